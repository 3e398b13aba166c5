/**
 * The one place loads raise alerts: `npm run etl` (and so the loads `npm start` schedules) hands
 * it the runs its loads recorded; each run that failed or found problems at or above the minimum
 * severity is POSTed to the webhook, and the outcome is appended to runs.jsonl as an amendment of
 * that run (the run itself was recorded, durably, before the alert was tried).
 */
import { runningApi } from "../handover/mod.ts";
import { amendRun, type RunAlert, type RunRecord, type Severity } from "../runs/mod.ts";
import { alertDocument, alertDue } from "./alert_document.ts";
import { sendAlert, type SendOptions } from "./send_alert.ts";

/** Where and when to alert (the ALERT_* and PUBLIC_URL settings). */
export interface AlertOptions extends SendOptions {
  /** The webhook URL. */
  webhook: string;
  /** The data dir whose runs.jsonl gets the outcomes. */
  dataDir: string;
  /** Default `error`. */
  minSeverity?: Severity;
  /** The dashboard's address for links; default the running API's (api.json), else http://127.0.0.1:8000. */
  publicUrl?: string;
}

/**
 * Sends an alert for each of `runs` that is due and records each outcome in runs.jsonl (and on the
 * run object, so a summary printed afterwards shows it). Resolves with the outcomes by run id;
 * never rejects. All alerts go out at once, so two runs take no longer than one.
 *
 * @example
 * ```ts
 * const { runs } = await collectRuns(() => loadRelationships({ workbook, dataDir }));
 * await alertRuns(runs, { webhook: process.env.ALERT_WEBHOOK_URL!, dataDir });
 * ```
 */
export async function alertRuns(runs: readonly RunRecord[], options: AlertOptions): Promise<Map<string, RunAlert>> {
  const minSeverity = options.minSeverity ?? "error";
  const due = runs.filter((run) => alertDue(run, minSeverity));
  const outcomes = new Map<string, RunAlert>();
  if (due.length === 0) return outcomes;
  const baseUrl = options.publicUrl ?? (await runningApi(options.dataDir).catch(() => null))?.url ?? "http://127.0.0.1:8000";
  await Promise.all(
    due.map(async (run) => {
      // Paths in what the webhook gets: relative to the data dir, else base names (runs.jsonl keeps them whole).
      const document = alertDocument(run, { baseUrl, minSeverity, dataDir: options.dataDir });
      const alert = await sendAlert(options.webhook, document, { ...options, idempotencyKey: document.id });
      run.alert = alert;
      outcomes.set(run.id, alert);
      try {
        amendRun(options.dataDir, { amends: run.id, alert });
      } catch {
        // The load and its run are recorded already; a log that cannot take one more line now
        // loses only the alert's outcome, which the summary still prints.
      }
    }),
  );
  return outcomes;
}
