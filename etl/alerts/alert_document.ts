/**
 * What an alert says: one JSON document that a chat webhook shows (its `text`) and a machine reads
 * (the run, its findings with cell references, links). Slack, Mattermost and Teams' incoming
 * webhooks all take `{ "text": ... }` and ignore fields they do not know, so one body serves both.
 */
import { randomUUID } from "node:crypto";
import { basename, resolve, sep } from "node:path";
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
  /**
   * The alert's id (a UUID), also its POSTs' `Idempotency-Key` header: the same on each attempt, so
   * a receiver can drop the copies a retry after a timeout or a 5xx may deliver.
   */
  id: string;
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
 * Returns the alert document for `run`, with links under `baseUrl` (the dashboard's address), a
 * new `id`, and the local paths its messages name made shareable (relative to `dataDir`, else base
 * names: `shareablePaths()`).
 *
 * @example
 * ```ts
 * const doc = alertDocument(run, { baseUrl: "https://relaciones.example.org", minSeverity: "error" });
 * doc.text; // "Relaciones: relationships load FAILED (relaciones.xlsx)\n..."
 * ```
 */
export function alertDocument(run: RunRecord, options: { baseUrl: string; minSeverity: Severity; dataDir?: string }): AlertDocument {
  const base = options.baseUrl.replace(/\/+$/, "");
  const links = { run: `${base}/runs/${encodeURIComponent(run.id)}`, dashboard: `${base}/#history` };
  const severity: Severity =
    run.status === "failed" ? "error" : run.findings.reduce<Severity>((worst, f) => (RANK[f.severity] > RANK[worst] ? f.severity : worst), "info");
  const shown = withoutLocalPaths(run, options.dataDir);
  const { file, findings, alert: _alert, parquet, ...rest } = shown;
  return {
    id: randomUUID(),
    text: alertText(shown, options.minSeverity, links),
    type: "relaciones.etl-run-alert",
    reason: run.status === "failed" ? "failed" : "findings",
    severity,
    run: {
      ...rest,
      // The name, size and hash say which file; its local path is nobody's business in a channel.
      file: file === null ? null : { name: file.name, size: file.size, sha256: file.sha256 },
      // The same for the Parquet folder (its error's message says `<PARQUET_DIR>`, withoutLocalPaths()).
      ...(parquet === undefined ? {} : { parquet: withoutDir(parquet) }),
      findings: findings.slice(0, MAX_FINDINGS).map((f) => ({ ...f, cells: f.cells.slice(0, MAX_CELLS), count: f.count ?? f.cells.length })),
      findings_total: findings.length,
    },
    links,
  };
}

function withoutDir({ dir: _dir, ...parquet }: RunParquet): Omit<RunParquet, "dir"> {
  return parquet;
}

/**
 * `run` with the local paths its messages name made shareable: a webhook may be a third party's
 * chat, and a path tells it the layout of someone's home folder. The Parquet folder (whose error
 * names files under it too, DuckDB's) becomes `<PARQUET_DIR>`, then `shareablePaths()` does the rest.
 */
function withoutLocalPaths(run: RunRecord, dataDir: string | undefined): RunRecord {
  const parquetDir = run.parquet?.dir ?? "";
  const shown = <T extends { message: string }>(value: T): T => {
    const message = parquetDir === "" ? value.message : value.message.replaceAll(parquetDir, "<PARQUET_DIR>");
    return { ...value, message: shareablePaths(message, dataDir) };
  };
  return {
    ...run,
    error: run.error === null ? null : shown(run.error),
    findings: run.findings.map(shown),
    ...(run.parquet?.error === undefined ? {} : { parquet: { ...run.parquet, error: shown(run.parquet.error) } }),
    ...(run.kept?.error === undefined ? {} : { kept: { ...run.kept, error: shown(run.kept.error) } }),
  };
}

/** An absolute path in a message: quoted (it may hold spaces), or bare after a space, `(`, `[`, `=` or `,` (so not a URL's). */
const QUOTED_PATH = /(['"`])(\/[^'"`\n]*)\1/g;
const BARE_PATH = /(^|[\s([=,])(\/[^\s'"`)\],;]*[^\s'"`)\],;.:])/g;

/**
 * Returns `message` with each absolute path shown as a person needs it to know which file: one
 * under `dataDir` relative to it (`relaciones.xlsx`, `snapshots/v4.duckdb`), the data dir itself
 * as `<DATA_DIR>`, any other by its base name.
 *
 * @example
 * ```ts
 * shareablePaths("Cannot find the workbook '/home/ana/data/relaciones.xlsx'", "/home/ana/data"); // "Cannot find the workbook 'relaciones.xlsx'"
 * shareablePaths("EACCES, open /home/ana/in/c.csv", "/home/ana/data"); // "EACCES, open c.csv"
 * ```
 */
function shareablePaths(message: string, dataDir: string | undefined): string {
  const root = dataDir === undefined ? null : resolve(dataDir);
  const shown = (path: string): string => {
    if (root !== null && (path === root || path === root + sep)) return "<DATA_DIR>";
    if (root !== null && path.startsWith(root + sep)) return path.slice(root.length + sep.length);
    return basename(path) || path;
  };
  return message
    .replace(QUOTED_PATH, (_all, quote: string, path: string) => `${quote}${shown(path)}${quote}`)
    .replace(BARE_PATH, (_all, before: string, path: string) => `${before}${shown(path)}`);
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
