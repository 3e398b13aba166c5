/**
 * What an alert says: one JSON document that a chat webhook shows (its `text`) and a machine reads
 * (the run, its findings with cell references, links). Slack, Mattermost and Teams' incoming
 * webhooks all take `{ "text": ... }` and ignore fields they do not know, so one body serves both.
 */
import { stoppedBySignal, type Finding, type RunParquet, type RunRecord, type Severity } from "../runs/mod.ts";
import { oneLine } from "../text/mod.js";

/** Severities from least to most severe. */
const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** Findings listed in the machine-readable part, and cells per finding: a webhook refuses huge bodies. */
const MAX_FINDINGS = 50;
const MAX_CELLS = 20;
/** Findings named in the text a person reads in the channel. */
const MAX_TEXT_FINDINGS = 8;

/** The alert document POSTed to the webhook. */
export interface AlertDocument {
  /** One short message for people (Slack, Mattermost, Teams). */
  text: string;
  /** Identifies the document for machines. */
  type: "relaciones.etl-run-alert";
  /** Why it was sent: the run failed, or it has findings at or above the minimum severity. */
  reason: "failed" | "findings";
  /** The most severe reason: `error` for a failed run. */
  severity: Severity;
  run: Omit<RunRecord, "file" | "findings" | "alert" | "parquet"> & {
    file: { name: string; size: number; sha256: string } | null;
    /** The Parquet export's outcome without its folder, which its error names as `<PARQUET_DIR>`. */
    parquet?: Omit<RunParquet, "dir">;
    findings: Finding[];
    /** All findings of the run, when `findings` was cut to the first ones. */
    findings_total: number;
  };
  links: { run: string; dashboard: string };
}

/**
 * Returns true when `run` deserves an alert: it failed (not stopped by a signal), or it loaded and has a finding at or above
 * `minSeverity`. A skip never does: it loaded nothing, and the findings it carries (an unchanged
 * contacts CSV repeats its last load's) were alerted with that load, so each daily skip would
 * send the same alert again.
 *
 * @example
 * ```ts
 * alertDue({ ...run, status: "failed" }, "error"); // true
 * alertDue({ ...run, status: "succeeded", findings: [{ severity: "warning", ... }] }, "error"); // false
 * alertDue({ ...run, status: "skipped", findings: [{ severity: "error", ... }] }, "error"); // false
 * ```
 */
export function alertDue(run: RunRecord, minSeverity: Severity): boolean {
  // Someone (or a supervisor) stopped it: nothing went wrong to tell the channel about.
  if (stoppedBySignal(run)) return false;
  if (run.status === "failed") return true;
  return run.status === "succeeded" && run.findings.some((f) => RANK[f.severity] >= RANK[minSeverity]);
}

/**
 * Returns the alert document for `run`, with links under `baseUrl` (the dashboard's address).
 *
 * @example
 * ```ts
 * const doc = alertDocument(run, { baseUrl: "https://relaciones.example.org", minSeverity: "error" });
 * doc.text; // "Relaciones: relationships load FAILED (relaciones.xlsx)\n..."
 * ```
 */
export function alertDocument(run: RunRecord, options: { baseUrl: string; minSeverity: Severity }): AlertDocument {
  const base = options.baseUrl.replace(/\/+$/, "");
  const links = { run: `${base}/runs/${encodeURIComponent(run.id)}`, dashboard: `${base}/#history` };
  const severity: Severity =
    run.status === "failed" ? "error" : run.findings.reduce<Severity>((worst, f) => (RANK[f.severity] > RANK[worst] ? f.severity : worst), "info");
  const { file, findings, alert: _alert, parquet, ...rest } = run;
  return {
    text: alertText(run, options.minSeverity, links),
    type: "relaciones.etl-run-alert",
    reason: run.status === "failed" ? "failed" : "findings",
    severity,
    run: {
      ...rest,
      // The name, size and hash say which file; its local path is nobody's business in a channel.
      file: file === null ? null : { name: file.name, size: file.size, sha256: file.sha256 },
      // The same for the Parquet folder, which a failure's message names too (DuckDB's, with a file under it).
      ...(parquet === undefined ? {} : { parquet: withoutDir(parquet) }),
      findings: findings.slice(0, MAX_FINDINGS).map((f) => ({ ...f, cells: f.cells.slice(0, MAX_CELLS), count: f.count ?? f.cells.length })),
      findings_total: findings.length,
    },
    links,
  };
}

function withoutDir({ dir, ...parquet }: RunParquet): Omit<RunParquet, "dir"> {
  if (parquet.error === undefined || dir === "") return parquet;
  return { ...parquet, error: { ...parquet.error, message: parquet.error.message.replaceAll(dir, "<PARQUET_DIR>") } };
}

function alertText(run: RunRecord, minSeverity: Severity, links: AlertDocument["links"]): string {
  const file = run.file === null ? "" : ` (${run.file.name})`;
  const what = run.status === "failed" ? "FAILED" : `${run.status} with findings`;
  const lines = [`Relaciones: ${run.kind} load ${what}${file}`];
  if (run.error !== null && run.status === "failed") lines.push(run.error.message);
  const shown = run.findings.filter((f) => run.status === "failed" || RANK[f.severity] >= RANK[minSeverity]).sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  for (const f of shown.slice(0, MAX_TEXT_FINDINGS)) {
    const total = f.count ?? f.cells.length;
    const cells = f.cells.length === 0 ? "" : ` at ${f.cells.slice(0, 3).join(", ")}${total > 3 ? ` (+${total - 3} more)` : ""}`;
    lines.push(`${f.severity}: ${f.message}${cells}`);
  }
  if (shown.length > MAX_TEXT_FINDINGS) lines.push(`... and ${shown.length - MAX_TEXT_FINDINGS} more findings`);
  lines.push(`Run ${run.id}: ${links.run}`, `Dashboard: ${links.dashboard}`);
  // Each line as one line: a line break from a cell or a file name would start a line of its own.
  return chatSafe(lines.map(oneLine).join("\n"));
}

/**
 * Makes text from workbooks and CSV files inert in a chat: control characters go; `&`, `<`, `>`
 * become entities (Slack reads `<!channel>` and `<url|label>` as commands); an `@` before a word
 * gets a word joiner, so an actor named "@channel" pings nobody on Mattermost or Teams.
 */
function chatSafe(text: string): string {
  return text
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, " ")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replace(/@(?=\w)/g, "@\u2060");
}
