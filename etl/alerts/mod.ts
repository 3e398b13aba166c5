/**
 * Alerts: when a load fails or finds problems, a JSON document (a `text` line for Slack, Mattermost
 * and Teams incoming webhooks, the run for machines) is POSTed to ALERT_WEBHOOK_URL with retries
 * and a timeout, and the outcome is recorded with the run.
 *
 * @example
 * ```ts
 * import { alertRuns } from "../alerts/mod.ts";
 * const { value, runs } = await collectRuns(() => loads());
 * await alertRuns(runs, { webhook, dataDir, minSeverity: "warning", timeoutMs: 5000 });
 * ```
 */
export { alertDocument, alertDue, type AlertDocument } from "./alert_document.ts";
export { alertRuns, type AlertOptions } from "./alert_runs.ts";
export { sendAlert, type SendOptions } from "./send_alert.ts";
