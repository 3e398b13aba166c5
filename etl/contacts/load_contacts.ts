/**
 * `npm run etl`'s contacts step: load a CSV into `<data-dir>/contacts.duckdb`, or, while the API
 * runs (it holds the file's write lock), hand the CSV to the API, which runs the same ingestion on
 * its own connection between its other writes. Either way one contacts RunRecord is appended to
 * runs.jsonl, here and only here, and the rejects are written as a CSV report.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Database } from "../db/mod.ts";
import { writeFileAtomic } from "../files/mod.ts";
import { csvField } from "../text/mod.js";
import { appendRun, newRunId, type Finding, type RunRecord } from "../runs/mod.ts";
import { HandoverError, importThroughApi, runningApi, type IngestSummary, type RowReject } from "../handover/mod.ts";
import { ContactsCsvError, ingestContacts } from "./ingest_contacts.ts";
import { migrate, MigrationError } from "./migrate.ts";

export type ContactsLoadErrorCode = "locked";

/** The database is locked by a process that is not a running API. `message` is for the person running the load. */
export class ContactsLoadError extends Error {
  override readonly name = "ContactsLoadError";
  constructor(
    readonly code: ContactsLoadErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface LoadContactsOptions {
  csvPath: string;
  dataDir: string;
  /** Sent as `Authorization: Bearer ...` to the API (its API_TOKEN). */
  apiToken?: string;
  /** How long to wait for the API to answer the import; default 10 minutes. */
  apiTimeoutMs?: number;
  /** How long a locked contacts.duckdb (an API starting up?) is retried; default 5 s. */
  lockWaitMs?: number;
}

/** The ingestion summary plus how it ran, the run id, and the rejects report (null when none). */
export type LoadContactsResult = IngestSummary & { via: "direct" | "api"; run_id: string; rejects_file: string | null };

const CELL_CAP = 50;

/**
 * Loads the contacts CSV (directly, or through the running API) and appends a contacts run to
 * runs.jsonl. On failure the run is recorded as failed and the error is rethrown (ContactsCsvError,
 * MigrationError, ContactsLoadError, HandoverError, or a database error).
 *
 * @example
 * ```ts
 * const result = await loadContacts({ csvPath: "data/contacts.csv", dataDir: "data", apiToken: process.env.API_TOKEN });
 * console.log(result.via, result.inserted, result.rejected, result.rejects_file);
 * ```
 */
export async function loadContacts(options: LoadContactsOptions): Promise<LoadContactsResult> {
  const runId = newRunId();
  const startedAt = new Date().toISOString();
  const source = basename(options.csvPath);
  let file: RunRecord["file"] = null;
  try {
    const bytes = readFileSync(options.csvPath);
    file = {
      name: source,
      path: resolve(options.csvPath),
      size: bytes.byteLength,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    };
    const api = await runningApi(options.dataDir);
    const summary =
      api !== null
        ? await importThroughApi(api, bytes, { sourceName: source, apiToken: options.apiToken, timeoutMs: options.apiTimeoutMs })
        : await direct(options, source);
    const via: "api" | "direct" = api !== null ? "api" : "direct";
    const rejectsFile = summary.rejects.length > 0 ? writeRejects(options.dataDir, runId, summary.rejects) : null;
    appendRun(options.dataDir, {
      id: runId,
      kind: "contacts",
      status: "succeeded",
      started_at: startedAt,
      finished_at: new Date().toISOString(),
      file,
      counts: {
        rows: summary.rows,
        contacts: summary.contacts,
        inserted: summary.inserted,
        updated: summary.updated,
        unchanged: summary.unchanged,
        rejected: summary.rejected,
        fixes: summary.fixes,
        departments: summary.departments,
        links: summary.links,
      },
      findings: findingsOf(summary, source, rejectsFile),
      changes: {
        inserted: summary.inserted,
        updated: summary.updated,
        departments_added: summary.departments_added,
        links_added: summary.links_added,
      },
      error: null,
    });
    return { ...summary, via, run_id: runId, rejects_file: rejectsFile };
  } catch (error) {
    appendRun(options.dataDir, {
      id: runId,
      kind: "contacts",
      status: "failed",
      started_at: startedAt,
      finished_at: new Date().toISOString(),
      file,
      counts: {},
      findings: [],
      changes: {},
      error: { code: errorCode(error), message: plainMessage(error, options.csvPath) },
    });
    throw normalise(error, options.csvPath);
  }
}

async function direct(options: LoadContactsOptions, source: string): Promise<IngestSummary> {
  mkdirSync(options.dataDir, { recursive: true });
  const path = join(options.dataDir, "contacts.duckdb");
  const db = await openUnlocked(path, options.dataDir, options.lockWaitMs ?? 5000);
  try {
    await migrate(db);
    return await ingestContacts(db, options.csvPath, { sourceName: source });
  } finally {
    db.close();
  }
}

/**
 * Opens contacts.duckdb. If another process holds its lock, that is usually an API that is just
 * starting (api.json not written yet): wait a little and, if it shows up, hand the load to it.
 */
async function openUnlocked(path: string, dataDir: string, waitMs: number): Promise<Database> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await Database.open(path);
    } catch (error) {
      if (!/lock/i.test((error as Error).message)) throw error;
      if (Date.now() >= deadline) {
        throw new ContactsLoadError(
          "locked",
          `${path} is locked by another process and no running API answers in ${join(dataDir, "api.json")}; ` +
            "stop that process or start the API, then retry",
        );
      }
      await sleep(250);
      if ((await runningApi(dataDir)) !== null) {
        throw new ContactsLoadError("locked", `${path} was taken by an API that just started; retry to load through it`);
      }
    }
  }
}

function writeRejects(dataDir: string, runId: string, rejects: readonly RowReject[]): string {
  const dir = join(dataDir, "rejects");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `contacts-${runId}.csv`);
  const lines = ["line,field,reason,value", ...rejects.map((r) => [r.line ?? "", r.field, r.reason, r.value ?? ""].map(csvField).join(","))];
  writeFileAtomic(path, lines.join("\r\n") + "\r\n");
  return path;
}

function findingsOf(summary: IngestSummary, source: string, rejectsFile: string | null): Finding[] {
  const findings: Finding[] = [];
  const ref = (line: number | null) => (line === null ? source : `${source}:${line}`);
  const byField = new Map<string, RowReject[]>();
  for (const reject of summary.rejects) byField.set(reject.field, [...(byField.get(reject.field) ?? []), reject]);
  for (const [field, rejects] of byField) {
    const lines = [...new Set(rejects.map((r) => r.line))];
    const what = field === "*" ? "could not be parsed" : `have an invalid '${field}'`;
    findings.push({
      check: field === "*" ? "contacts.unparsable_row" : `contacts.invalid_${field}`,
      severity: "error",
      message:
        `${lines.length} ${lines.length === 1 ? "line" : "lines"} ${what} and ${lines.length === 1 ? "was" : "were"} not loaded; ` +
        `first: ${ref(rejects[0].line)}: ${rejects[0].reason}` +
        (rejectsFile === null ? "" : ` (all rejects: ${rejectsFile})`),
      cells: lines.slice(0, CELL_CAP).map(ref),
      count: lines.length,
    });
  }
  const fixesByField = new Map<string, IngestSummary["fixed"]>();
  for (const fix of summary.fixed) fixesByField.set(fix.field, [...(fixesByField.get(fix.field) ?? []), fix]);
  for (const [field, fixes] of fixesByField) {
    findings.push({
      check: `contacts.fixed_${field}`,
      severity: "info",
      message: `${fixes.length} '${field}' ${fixes.length === 1 ? "value was" : "values were"} repaired; first: ${fixes[0].reason}`,
      cells: fixes.slice(0, CELL_CAP).map((f) => ref(f.line)),
      count: fixes.length,
    });
  }
  for (const warning of summary.warnings) {
    findings.push({ check: "contacts.file", severity: "warning", message: warning, cells: [], count: 1 });
  }
  return findings;
}

function errorCode(error: unknown): string {
  if (error instanceof ContactsCsvError || error instanceof MigrationError || error instanceof ContactsLoadError || error instanceof HandoverError) {
    return error.code;
  }
  if ((error as NodeJS.ErrnoException)?.code === "ENOENT") return "unreadable";
  return "ingest-failed";
}

function plainMessage(error: unknown, csvPath: string): string {
  if ((error as NodeJS.ErrnoException)?.code === "ENOENT") return `Cannot read contacts file '${csvPath}': no such file`;
  const message = error instanceof Error ? error.message : String(error);
  // DuckDB messages can run to many lines of hints; the first says what went wrong.
  return message.split("\n")[0];
}

function normalise(error: unknown, csvPath: string): unknown {
  if ((error as NodeJS.ErrnoException)?.code === "ENOENT" && !(error instanceof ContactsCsvError)) {
    return new ContactsCsvError("unreadable", plainMessage(error, csvPath), csvPath);
  }
  return error;
}
