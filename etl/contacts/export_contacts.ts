/**
 * The contacts tables as Parquet for analysts: while the API runs it holds `contacts.duckdb`'s lock
 * and nobody else can open the file, so a copy is written beside it,
 *
 *     <data dir>/exports/contacts/contacts.parquet
 *     <data dir>/exports/contacts/departments.parquet
 *     <data dir>/exports/contacts/contact_departments.parquet
 *     <data dir>/exports/contacts/export.json      { exported_at, generation, fingerprint, definition, rows, ..., complete }
 *
 * All three from ONE read transaction (DuckDB MVCC: a consistent snapshot, and the writer is not
 * held up), each to a temp name in the same folder, then renamed into place, `export.json` last, so
 * no reader ever opens half a file. Three renames are not one atomic step, so before the first of
 * them `export.json` is replaced by one saying `complete: false`: a reader that reads it before and
 * after the files, and retries when `exported_at` moved or `complete` is false, never takes a mix
 * of two exports for one (with `export.json` written only last, a reader whose files straddled the
 * renames read the same old `export.json` twice and took a mixed set as consistent). Only the process holding the database's lock exports (the API,
 * or `npm run etl` loading directly), so the temp names need not be unique: a crashed export's temp
 * files are overwritten by the next one.
 */
import { createHash } from "node:crypto";
import { readFileSync, rmSync, existsSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { quoteLiteral, type Database } from "../db/mod.ts";
import { makeDirs, replaceFile, writeFileAtomic } from "../files/mod.ts";
import { contactRecord } from "./contact_record.ts";
import { exportTables } from "./contact_sql.ts";
import { tablesFingerprint } from "./ingest_contacts.ts";
import type { RecordDefinition } from "./record_definition.ts";
import { firstLine } from "../text/mod.js";

/** The export's folder inside the data dir. */
export const CONTACTS_EXPORT_DIR = join("exports", "contacts");
/** The export's description, written after its files. */
export const EXPORT_INFO_FILE = "export.json";

/**
 * Returns the export's folder for `dataDir`.
 *
 * @example
 * ```ts
 * contactsExportDir("data"); // "data/exports/contacts"
 * ```
 */
export function contactsExportDir(dataDir: string): string {
  return join(dataDir, CONTACTS_EXPORT_DIR);
}

/** What `export.json` says about the files beside it. */
export interface ContactsExportInfo {
  /** When the snapshot was taken (ISO 8601): the files hold every write committed before it. */
  exported_at: string;
  /** Who wrote it: the running API, or `npm run etl` loading directly. */
  written_by: "api" | "etl";
  /**
   * The API's write counter when the snapshot was taken (every write acknowledged up to it is in
   * the files); it restarts at 0 with each API process. null when `npm run etl` wrote it.
   */
  generation: number | null;
  /** The tables' fingerprint (counts, sum of versions, highest ids): equal means the same data. */
  fingerprint: string;
  /**
   * sha256 of the export's queries (exportDefinition): the columns the files hold. A field added to
   * the record definition changes it, so the files are written again with the new column although no
   * row changed. Files written before this field existed lack it, and are not current.
   */
  definition: string;
  /** Rows per file, by table name. */
  rows: Record<string, number>;
  /** How long the export took, from the snapshot to the last rename. */
  duration_ms: number;
  /**
   * false while the files are being renamed into place (they may mix this export and the one
   * before), true once they all hold this export. Files written before this field existed lack it:
   * absent means true.
   */
  complete: boolean;
}

/**
 * Returns the sha256 of the export's queries for `record` (`export.json`'s `definition`).
 *
 * @example
 * ```ts
 * exportDefinition(contactRecord); // "3f1c..." (64 hex digits)
 * ```
 */
export function exportDefinition(record: RecordDefinition): string {
  return createHash("sha256").update(JSON.stringify(exportTables(record))).digest("hex");
}

/** An export's outcome: an error is a value with a code, never a throw. */
export type ContactsExportResult =
  | { status: "written"; dir: string; info: ContactsExportInfo }
  | { status: "failed"; dir: string; error: { code: "export-failed"; message: string } };

/**
 * Writes the contacts tables committed in `db` to `dir` as Parquet (zstd) plus `export.json`, from
 * one read transaction on `db` (a connection nobody else uses meanwhile). Never throws: a failure
 * (folder not writable, disk full) is returned with a message naming the folder, its temp files
 * removed, and the files already there are left as they were.
 *
 * @example
 * ```ts
 * const reader = await db.connect();
 * try { await exportContacts(reader, "data/exports/contacts", { writtenBy: "etl" }); } finally { reader.close(); }
 * // { status: "written", dir: "data/exports/contacts", info: { rows: { contacts: 58, ... }, ... } }
 * ```
 */
export async function exportContacts(
  db: Database,
  dir: string,
  options: { writtenBy: "api" | "etl"; generation?: number | null; record?: RecordDefinition },
): Promise<ContactsExportResult> {
  const record = options.record ?? contactRecord;
  const tables = exportTables(record);
  const temps = tables.map((t) => join(dir, `${t.name}.parquet.tmp`));
  const started = performance.now();
  try {
    makeDirs(dir);
    const exportedAt = new Date().toISOString();
    const rows: Record<string, number> = {};
    const fingerprint = await db.transaction(async (tx) => {
      for (const [i, table] of tables.entries()) {
        // COPY takes no bound parameters: the path is ours (the data dir), quoted as a literal.
        const copied = await tx.one<{ Count: bigint }>(`COPY (${table.query}) TO ${quoteLiteral(temps[i])} (FORMAT parquet, COMPRESSION zstd)`);
        rows[table.name] = Number(copied?.Count ?? 0);
      }
      return tablesFingerprint(tx, record);
    });
    // The bytes reach the disk off the event loop (the API keeps answering); replaceFile's own
    // fsync then finds nothing left to write. Renames only once every file is complete.
    for (const temp of temps) await syncFile(temp);
    const describe = (complete: boolean): ContactsExportInfo => ({
      exported_at: exportedAt,
      written_by: options.writtenBy,
      generation: options.generation ?? null,
      fingerprint,
      definition: exportDefinition(record),
      rows,
      duration_ms: Math.round(performance.now() - started),
      complete,
    });
    // Readers' before-and-after check must see the renames (see above); written before any of
    // them, so a failure here leaves the previous files and their export.json as they were.
    writeFileAtomic(join(dir, EXPORT_INFO_FILE), JSON.stringify(describe(false), null, 2) + "\n");
    for (const [i, table] of tables.entries()) replaceFile(temps[i], join(dir, `${table.name}.parquet`));
    const info = describe(true);
    writeFileAtomic(join(dir, EXPORT_INFO_FILE), JSON.stringify(info, null, 2) + "\n");
    return { status: "written", dir, info };
  } catch (error) {
    for (const temp of temps) {
      try {
        rmSync(temp, { force: true });
      } catch {
        // Not a file we could remove (a folder in its place): the failure below already says so.
      }
    }
    return exportFailure(dir, error);
  }
}

/**
 * The failed result for `error`, its message naming the folder (DuckDB's first line only: the rest
 * are hints).
 *
 * @example
 * ```ts
 * exportFailure("data/exports/contacts", new Error("No space left on device")).error.message;
 * // "Cannot write the contacts export to 'data/exports/contacts': No space left on device"
 * ```
 */
export function exportFailure(dir: string, error: unknown): Extract<ContactsExportResult, { status: "failed" }> {
  const message = firstLine(error);
  return { status: "failed", dir, error: { code: "export-failed", message: `Cannot write the contacts export to '${dir}': ${message}` } };
}

/**
 * Returns the `export.json` in `dir`, or undefined when there is none (or it cannot be read).
 *
 * @example
 * ```ts
 * readContactsExport("data/exports/contacts")?.exported_at; // "2026-11-30T06:18:20.102Z"
 * ```
 */
export function readContactsExport(dir: string): ContactsExportInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, EXPORT_INFO_FILE), "utf8")) as ContactsExportInfo;
  } catch {
    return undefined;
  }
}

/**
 * True when `dir` holds every file of an export of the tables exactly as they are in `db` (same
 * fingerprint), with the columns `record` shows (same definition). Compared by content, not by file times: DuckDB rewrites the database file when it
 * checkpoints at close, which would make every export look older than the data.
 *
 * @example
 * ```ts
 * if (!(await contactsExportIsCurrent(db, dir))) await exportContacts(db, dir, { writtenBy: "etl" });
 * ```
 */
export async function contactsExportIsCurrent(db: Database, dir: string, record: RecordDefinition = contactRecord): Promise<boolean> {
  const info = readContactsExport(dir);
  // Not complete: an export stopped between its renames (a crash) may have left a mixed set.
  if (info === undefined || info.complete === false || !exportTables(record).every((t) => existsSync(join(dir, `${t.name}.parquet`)))) return false;
  // A field added by a migration changes no row: the definition tells the files lack its column.
  if (info.definition !== exportDefinition(record)) return false;
  return info.fingerprint === (await tablesFingerprint(db, record));
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
