/**
 * The run a load child could not record: one killed (`kill -9`, the kernel's OOM killer) or crashed
 * in the middle of its load leaves nothing in runs.jsonl, so the parent records it, as a failed run
 * (`crashed`), and alerts it as the child would have. "A crash is a failed run, not a dead server":
 * before, it was one log line, and three crashes in a row gave up with one more.
 */
import { existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { alertRuns } from "../alerts/mod.ts";
import { shownUrl } from "../fetch/mod.ts";
import { appendRun, findRun, newRunId, type RunKind, type RunRecord } from "../runs/mod.ts";
import { isUrl, readSettings, type Settings } from "../settings/mod.js";
import { oneLine } from "../text/mod.js";

/** What the parent knows of a load child that ended without printing its summary. */
export interface EndedChild {
  /** The inputs it was to load, in the order it loads them (relationships before contacts). */
  kinds: RunKind[];
  /** When the load was handed to it (ms since the epoch): its runs started after. */
  since: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** The child's inputs and alert settings: its own command line and environment, read as it reads them. */
export interface ChildInputs {
  dataDir: string;
  workbook?: string;
  contacts?: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Records a failed run (`crashed`) for the load `child` was running when it ended, unless it
 * recorded that run itself (a child stopped by SIGTERM records `stopped`; one killed while it sent
 * its alert had recorded its run already), and POSTs its alert when ALERT_WEBHOOK_URL is set.
 * Resolves with the run recorded, or null when there was none to record.
 *
 * @example
 * ```ts
 * await recordCrashedRun({ dataDir, env: process.env }, { kinds: ["relationships"], since, exitCode: null, signal: "SIGKILL", stderr: "" });
 * ```
 */
export async function recordCrashedRun(inputs: ChildInputs, child: EndedChild): Promise<RunRecord | null> {
  const settings = childSettings(inputs);
  const kind = unrecordedKind(inputs.dataDir, child, settings);
  if (kind === null) return null;
  const run = crashedRun(kind, inputFile(kind, inputs, settings), child);
  appendRun(inputs.dataDir, run);
  const webhook = settings?.alertWebhook;
  if (webhook !== undefined) {
    await alertRuns([run], { webhook, dataDir: inputs.dataDir, minSeverity: settings!.alertMinSeverity, timeoutMs: settings!.alertTimeoutMs, publicUrl: settings!.publicUrl });
  }
  return run;
}

/** The child's settings as it reads them (etl_args.js), or null when it could not have read them either. */
function childSettings(inputs: ChildInputs): Settings | null {
  const flags: Record<string, string> = { "data-dir": inputs.dataDir };
  if (inputs.workbook !== undefined) flags.workbook = inputs.workbook;
  if (inputs.contacts !== undefined) flags.contacts = inputs.contacts;
  try {
    return readSettings("etl", { flags, env: inputs.env });
  } catch {
    return null;
  }
}

/**
 * The first input the child was to load that has no run since it was handed the load: the one it
 * was loading when it ended (it loads them in turn; a later one never started). Contacts count only
 * when the child would have loaded them: named, or the default file there. Not exact against runs
 * other processes append meanwhile (a person's `npm run etl` the child waited for): such a run
 * reads as the child's, and the crash goes unrecorded, as before; runs carry no process id.
 */
function unrecordedKind(dataDir: string, child: EndedChild, settings: Settings | null): RunKind | null {
  for (const kind of child.kinds) {
    if (kind === "contacts" && child.kinds.length > 1 && settings !== null && !settings.contactsGiven && !existsSync(settings.contactsCsv)) continue;
    const last = findRun(dataDir, (r) => r.kind === kind);
    // Same machine, same clock: the child's run started after the parent handed it the load.
    if (last === undefined || Date.parse(last.started_at) < child.since) return kind;
  }
  return null;
}

/** The input file a load of `kind` reads: a URL workbook only by its URL (the download may not exist). */
function inputFile(kind: RunKind, inputs: ChildInputs, settings: Settings | null): { shown: string; path: string | null } {
  const path = kind === "relationships" ? (settings?.workbook ?? inputs.workbook ?? join(inputs.dataDir, "relaciones.xlsx")) : (settings?.contactsCsv ?? inputs.contacts ?? join(inputs.dataDir, "contacts.csv"));
  return isUrl(path) ? { shown: shownUrl(path), path: null } : { shown: path, path };
}

function crashedRun(kind: RunKind, file: { shown: string; path: string | null }, child: EndedChild): RunRecord {
  const now = new Date();
  const how = child.signal !== null ? `was ended by ${child.signal}${child.signal === "SIGKILL" ? " (killed, or out of memory)" : ""}` : `exited with code ${child.exitCode}`;
  const lastLine = child.stderr.trim().split("\n").at(-1)?.trim() ?? "";
  const said = lastLine === "" ? "" : `; its last output: ${oneLine(lastLine).slice(0, 300)}`;
  return {
    id: newRunId(now),
    kind,
    status: "failed",
    started_at: new Date(child.since).toISOString(),
    finished_at: now.toISOString(),
    // No SHA-256: the load judged nothing of the file, so the schedule tries it again (changedSinceLastLoad).
    file: file.path === null ? null : { name: basename(file.path), path: file.path, size: sizeOf(file.path), sha256: "" },
    counts: {},
    findings: [],
    changes: {},
    error: {
      code: "crashed",
      message: `The ${kind} load of '${file.shown}' did not finish: its process ${how} before it recorded its run${said}. Nothing it did is vouched for; the next load finishes or undoes what it left`,
    },
  };
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

