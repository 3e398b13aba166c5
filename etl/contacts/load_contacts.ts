/**
 * `npm run etl`'s contacts step: load a CSV into `<data-dir>/contacts.duckdb`, or, while the API
 * runs (it holds the file's write lock), hand the CSV to the API, which runs the same ingestion on
 * its own connection between its other writes. Either way one contacts RunRecord is appended to
 * runs.jsonl, here and only here, and the rejects are written as a CSV report.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Database } from "../db/database.ts";
import { appendRun, newRunId, type Finding, type RunRecord } from "../runs/run_log.ts";
import { ContactsCsvError, ingestContacts, type IngestSummary, type RowReject } from "./ingest_contacts.ts";
import { migrate, MigrationError } from "./migrate.ts";

export type ContactsLoadErrorCode = "api_rejected" | "api_unauthorized" | "api_failed" | "locked";

/** The hand-over or the database could not be used. `message` is meant for the person running the load. */
export class ContactsLoadError extends Error {
  readonly code: ContactsLoadErrorCode;
  constructor(code: ContactsLoadErrorCode, message: string) {
    super(message);
    this.name = "ContactsLoadError";
    this.code = code;
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

/** What api.json holds while the API listens (written by api/main.ts). */
export interface ApiInfo {
  pid: number;
  url: string;
  started_at: string;
}

const CELL_CAP = 50;

/**
 * Loads the contacts CSV (directly, or through the running API) and appends a contacts run to
 * runs.jsonl. On failure the run is recorded as failed and the error is rethrown (ContactsCsvError,
 * MigrationError, ContactsLoadError, or a database error).
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
    const summary = api !== null ? await viaApi(api, bytes, source, options) : await direct(options, source);
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

/**
 * Returns the running API announced in `<data-dir>/api.json`, or null when there is none: no
 * file, a dead pid (a crashed API leaves the file behind), or no answer from GET /healthz.
 *
 * @example
 * ```ts
 * const api = await runningApi("data"); // { pid: 4242, url: "http://127.0.0.1:8000", ... } or null
 * ```
 */
export async function runningApi(dataDir: string): Promise<ApiInfo | null> {
  let info: ApiInfo;
  try {
    info = JSON.parse(readFileSync(join(dataDir, "api.json"), "utf8")) as ApiInfo;
  } catch {
    return null;
  }
  if (typeof info?.url !== "string" || !Number.isInteger(info.pid)) return null;
  try {
    process.kill(info.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else; it may well be the API.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return null;
  }
  try {
    const response = await fetch(new URL("/healthz", info.url), { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok ? info : null;
  } catch {
    return null;
  }
}

async function viaApi(api: ApiInfo, bytes: Buffer, source: string, options: LoadContactsOptions): Promise<IngestSummary> {
  const headers: Record<string, string> = { "content-type": "text/csv", "x-source-name": source };
  if (options.apiToken) headers.authorization = `Bearer ${options.apiToken}`;
  let response: Response;
  try {
    response = await fetch(new URL("/imports/contacts", api.url), {
      method: "POST",
      headers,
      body: new Uint8Array(bytes),
      signal: AbortSignal.timeout(options.apiTimeoutMs ?? 600_000),
    });
  } catch (error) {
    throw new ContactsLoadError("api_failed", `The running API at ${api.url} did not take the import: ${(error as Error).message}`);
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // A non-JSON answer is described by its status below.
  }
  if (response.status === 200) return body as unknown as IngestSummary;
  const detail = typeof body.detail === "string" ? body.detail : typeof body.title === "string" ? body.title : text.slice(0, 200);
  if (response.status === 422 || response.status === 400) {
    throw new ContactsLoadError("api_rejected", detail);
  }
  if (response.status === 401 || response.status === 403) {
    throw new ContactsLoadError(
      "api_unauthorized",
      `The running API at ${api.url} refused the import (${response.status}); set API_TOKEN to the API's token`,
    );
  }
  throw new ContactsLoadError("api_failed", `The running API at ${api.url} answered ${response.status}: ${detail}`);
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
  const lines = ["line,field,reason,value", ...rejects.map((r) => [r.line ?? "", r.field, r.reason, r.value ?? ""].map(csvCell).join(","))];
  // Written beside and renamed, so nobody opens half a report.
  writeFileSync(`${path}.tmp`, lines.join("\r\n") + "\r\n");
  renameSync(`${path}.tmp`, path);
  return path;
}

function csvCell(value: string | number): string {
  const text = String(value);
  // A leading = + - @ makes spreadsheets run the cell as a formula; a quote prefix defuses it.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
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
  if (error instanceof ContactsCsvError || error instanceof MigrationError || error instanceof ContactsLoadError) {
    return error.code;
  }
  if ((error as NodeJS.ErrnoException)?.code === "ENOENT") return "unreadable";
  return "ingest_failed";
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
