/**
 * CSV -> contacts.duckdb, set-based. One streaming pass hashes the file and maps records to
 * physical lines (`_csv_scan.ts`); read_csv stages it and SQL validates, groups and collects rejects
 * (`_stage_csv.ts`); then ONE transaction inserts the new people, updates the changed ones and adds
 * departments and links. No row is turned into a JavaScript object, so a million rows take seconds
 * and DuckDB's bounded memory. A file identical to the last one loaded, into tables nobody changed
 * since, is recognised from its hash without being read. Nothing is deleted, nothing is dropped
 * silently: a bad row becomes a reject with its physical line number.
 */
import { createHash, randomUUID } from "node:crypto";
import { constants, copyFileSync, createReadStream, linkSync, mkdirSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { isInterrupted, type Database, type SqlRunner } from "../db/mod.ts";
import { firstRejects, rejectsReportPath, UPLOADS_DIR, type IngestSummary } from "../handover/mod.ts";
import type { RunFile } from "../runs/mod.ts";
import { csvField, fold, terminalText } from "../text/mod.js";
import { writeFileAtomicFrom } from "../files/mod.ts";
import { scanCsvFile, type CsvScan } from "./_csv_scan.ts";
import { mapCsvHeader, type Layout } from "./_map_csv_header.ts";
import { dropStaging, STAGED_DEPARTMENT_NAMES, stageCsv, type Staged } from "./_stage_csv.ts";
import { q } from "./_ingest_sql.ts";
import { contactRecord } from "./contact_record.ts";
import { CONTACTS_LOAD_MEMORY_MB, loadMemoryMb, recordSql, writeBump } from "./contact_sql.ts";
import { ContactsCsvError, unreadableCsv } from "./contacts_csv_error.ts";
import { keyColumnOf, linksOf, upsertKeyOf, type RecordDefinition } from "./record_definition.ts";

export { ContactsCsvError, type ContactsCsvErrorCode, UNREADABLE_CSV_CAUSES } from "./contacts_csv_error.ts";

export interface IngestOptions {
  /** Name used in messages and references; defaults to the file's base name. */
  sourceName?: string;
  /** How messages name the file (default `csvPath`): the original when `csvPath` is a copy. */
  displayPath?: string;
  /** The record definition to load with; defaults to contactRecord. Tests pass extended ones. */
  record?: RecordDefinition;
  /** Write every reject to this CSV report (line, field, reason, value) when there are any. */
  rejectsFile?: string;
  /**
   * Stops the load when aborted (SIGINT, SIGTERM; the API's client went away, the API closing): up to its transaction's COMMIT, the
   * load fails with the signal's abort (an AbortError) and nothing is written; once the COMMIT has
   * begun, it finishes.
   */
  signal?: AbortSignal;
  /** DuckDB's memory_limit, in MB, that `db` runs with (default CONTACTS_LOAD_MEMORY_MB): raised for a big load's transaction, then set back. */
  memoryMb?: number;
  /**
   * Called as soon as the load's COMMIT is done, before its rejects report and clean-up: a caller
   * that keeps copies of the tables' rows (the API) forgets them then, not seconds later.
   */
  onCommitted?: () => void;
  /**
   * The run this load is part of, stored with the load in its transaction: a load killed after its
   * COMMIT and before its run reached runs.jsonl is recorded by the next (recover_run.ts). `file`
   * defaults to the file read, as `displayPath` names it.
   */
  run?: { id: string; started_at: string; origin: string; file?: RunFile | null };
}

/** The run a load stored with itself (contact_loads.run). */
export interface LoadRun {
  id: string;
  started_at: string;
  /** The machine and data dir whose runs.jsonl the run belongs in (runOrigin): PostgreSQL may be loaded from several. */
  origin: string;
  file: RunFile | null;
}

/** What a writer needs to know about the file being loaded. */
export interface LoadPlan {
  scan: CsvScan;
  layout: Layout;
  record: RecordDefinition;
  source: string;
  /** sha256 of the record definition: the same file read with another definition is another load. */
  definition: string;
  run: LoadRun | null;
  /** Where this load writes its rejects report (IngestOptions.rejectsFile), or null for none. */
  rejectsFile: string | null;
}

/** The spreadsheet's menu entry a file not in UTF-8 is to be saved again with, in the team's Spanish too. */
const SAVE_AS_CSV_UTF8 = `"CSV UTF-8 (Comma delimited)" ("CSV UTF-8 (delimitado por comas)" in a Spanish Excel)`;

/** A byte that is not UTF-8, and the letter Windows-1252 reads it as, when it is one: "byte 0xE9, 'é' in Windows-1252". */
function byteShown(byte: number): string {
  const hex = `byte 0x${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  const letter = new TextDecoder("windows-1252").decode(Uint8Array.of(byte));
  return /^\p{L}$/u.test(letter) ? `${hex}, '${letter}' in Windows-1252` : hex;
}

/** Definition keys that only the API reads (see planLoad's definition hash). */
const API_ONLY = new Set(["filter", "maxItems", "maxNew"]);

/**
 * Loads the CSV at `csvPath` into `db` (already migrated) in ONE transaction and returns what it
 * did. Throws ContactsCsvError when the file is unusable (unreadable, empty, a required column
 * missing); any other failure rolls everything back and rethrows.
 *
 * @example
 * ```ts
 * const summary = await ingestContacts(db, "data/contacts.csv");
 * console.log(summary.inserted, summary.updated, summary.rejected);
 * ```
 */
export async function ingestContacts(db: Database, csvPath: string, options: IngestOptions = {}): Promise<IngestSummary> {
  // Stopped before it began (the API's stopImports()): a stop, even for a file that is unchanged,
  // which would otherwise answer as loaded (PostgreSQL's load looks first too).
  options.signal?.throwIfAborted();
  const plan = planLoad(csvPath, options);
  const fingerprintNow = () => tablesFingerprint(db, plan.record);
  const unchanged = await unchangedSince(db, plan, fingerprintNow);
  if (unchanged !== undefined) return unchanged;
  const signal = options.signal;
  // Stopped when told, up to its COMMIT: DuckDB fails the running statement. Not the COMMIT itself:
  // an interrupted COMMIT reports a failure but has committed. And DuckDB ignores an interrupt that
  // lands between statements, so the signal is also checked at each step.
  const stop = () => db.interrupt();
  return withReadablePath(db, csvPath, async (readPath) => {
    signal?.addEventListener("abort", stop, { once: true });
    try {
      // stageCsv checks the signal before its first statement too.
      const staged = await stageCsv(db, readPath, plan.scan, plan.layout, plan.record, signal);
      // What to insert and update is worked out before the transaction (one writer: the API's
      // queue or the file lock), in autocommitted temp tables, which DuckDB fills faster than
      // transaction-local ones; inside it only the writes run.
      signal?.throwIfAborted();
      await planWrites(db, plan, staged);
      signal?.throwIfAborted();
      // Raised for the transaction only: the index entries it writes cannot spill (loadMemoryMb).
      const floor = options.memoryMb ?? CONTACTS_LOAD_MEMORY_MB;
      const budget = loadMemoryMb(staged.rows, floor);
      if (budget > floor) await db.run(`SET memory_limit = '${budget}MiB'`);
      let summary: IngestSummary;
      try {
        summary = await db.transaction(async (tx) => {
          const written = await writeDuckDb(tx, plan, staged);
          if (staged.contacts > 0) await recordLoad(tx, plan, written, await fingerprintNow());
          // The last moment to stop: the transaction's COMMIT follows, and is not to be interrupted.
          signal?.removeEventListener("abort", stop);
          signal?.throwIfAborted();
          return written;
        });
        // Committed: the caller's callback failing is a warning, not a failed load.
        try {
          options.onCommitted?.();
        } catch (error) {
          summary.warnings.push(`After the load's COMMIT, its caller's commit callback failed: ${(error as Error).message.split("\n")[0]}`);
        }
      } finally {
        // Not over the load's own error: a failed load may have left the connection unusable, and
        // DuckDB refuses a limit below what it holds (the API's engine sets its own after, and tries
        // again after a checkpoint).
        if (budget > floor) await db.run(`SET memory_limit = '${floor}MiB'`).catch(() => undefined);
      }
      // Committed: from here on nothing fails the load (a run recorded as failed whose rows are
      // stored, and the next run of the same file skipped as unchanged, would say it never loaded).
      await reportRejects(db, summary, options.rejectsFile);
      await dropStaging(db).catch(() => undefined);
      return summary;
    } catch (error) {
      // The staging tables go, but not over this error: after a fatal one (a full disk) DuckDB
      // refuses every statement, and "database has been invalidated" would hide what happened.
      await dropStaging(db).catch(() => undefined);
      // Stopped by DuckDB's interrupt: the caller hears the abort it asked for.
      if (signal?.aborted && isInterrupted(error)) signal.throwIfAborted();
      throw error;
    } finally {
      signal?.removeEventListener("abort", stop);
    }
  });
}

/** Scans the file and maps its header; throws ContactsCsvError for a file that cannot be loaded. */
export function planLoad(csvPath: string, options: IngestOptions): LoadPlan {
  const record = options.record ?? contactRecord;
  const shown = options.displayPath ?? csvPath;
  let scan: CsvScan;
  try {
    scan = scanCsvFile(csvPath);
  } catch (error) {
    throw unreadableCsv(shown, error);
  }
  // Before any reading as text: a workbook's or a gzip's bytes, read as a header, gave "no column
  // 'email'" with its binary shown and a UTF-16 hint (its NUL bytes). What to do is save it as CSV,
  // or decompress it (the API does, for a body that names its coding).
  if (scan.binary === "gzip") {
    throw new ContactsCsvError(
      "not-csv",
      `Contacts file '${shown}' is gzip-compressed, not CSV text; decompress it first (gunzip), load it as \`npm run etl -- --contacts <(gunzip -c ${shown})\`, or send it to the API as it is, with the header \`Content-Encoding: gzip\`. Nothing was loaded`,
      shown,
    );
  }
  if (scan.binary !== null) {
    const kind = scan.binary === "xlsx" ? "an Excel workbook (.xlsx) or another ZIP archive" : "an Excel 97-2003 workbook (.xls)";
    throw new ContactsCsvError(
      "not-csv",
      `Contacts file '${shown}' is ${kind}, not a CSV file; open it in Excel, save it as "CSV UTF-8 (Comma delimited)" and load that file. Nothing was loaded`,
      shown,
    );
  }
  if (scan.headerBlank && scan.bytes === 0) {
    throw new ContactsCsvError("empty-file", `Contacts file '${shown}' is empty; expected a header line and rows`, shown);
  }
  // A header of NUL bytes alone, or after a run of them, is no text; it was called UTF-16 (Excel's "Unicode Text").
  if (scan.zeroed !== null) {
    const what = scan.zeroed.only ? "is NUL bytes (0x00) only" : `begins with ${scan.zeroed.leading} NUL bytes (0x00)`;
    throw new ContactsCsvError(
      "not-csv",
      `Contacts file '${shown}' is not CSV text: its line 1 ${what}, as a file zeroed by a crash or a copy that did not finish is; export the contacts again, or load the file it was copied from. Nothing was loaded`,
      shown,
    );
  }
  // Read as UTF-8, its header was every letter beside a NUL: "no column 'email'" with those NULs shown.
  if (scan.utf16) {
    throw new ContactsCsvError(
      "not-utf8",
      `Contacts file '${shown}' is UTF-16 text (Excel's "Unicode Text"), not UTF-8; save it as ${SAVE_AS_CSV_UTF8} and load it again. Nothing was loaded`,
      shown,
    );
  }
  if (scan.notUtf8 !== null) {
    // Loading its lines one by one would keep everyone named in ASCII and reject everyone with an
    // accent (Peña, José): a load that quietly drops part of the people. Nothing, and what to do.
    throw new ContactsCsvError(
      "not-utf8",
      `Contacts file '${shown}' is not UTF-8 text: its accented letters are single bytes (the first on line ${scan.notUtf8.line}: ${byteShown(scan.notUtf8.byte)}), as Excel's ` +
        `"CSV (Comma delimited)" ("CSV (delimitado por comas)") in Windows-1252 or a Mac's Mac Roman saves them; save it as ${SAVE_AS_CSV_UTF8} and load it again` +
        `${scan.separator === "," ? "" : ` (its '${scan.separator === "\t" ? "tab" : scan.separator}' separator is read as it is)`}. Nothing was loaded`,
      shown,
    );
  }
  // A quote the header opens and never closes (one record in all) makes the rest of the file its last
  // name: the columns after it looked missing while the message showed them, and with the required
  // ones before it the load read no row at all. The quote is what to mend.
  if (scan.unterminatedQuoteLine !== null && scan.records === 1) {
    throw new ContactsCsvError(
      "unreadable",
      `Contacts file '${shown}' has a quote on line ${scan.unterminatedQuoteLine}, in its header, that is never closed, so the header runs to the end of the file and no row can be read; remove that quote (or close it) and load it again`,
      shown,
    );
  }
  // A quote a data line opens and never closes makes every line after it that quoted value: read
  // anyway, those rows were neither loaded nor rejected, and the load succeeded. Rejecting each of
  // them would list the whole rest of the file for one character; the quote is what to mend.
  if (scan.unterminatedQuoteLine !== null && scan.unterminatedQuoteTo !== null && scan.unterminatedQuoteTo > scan.unterminatedQuoteLine) {
    const from = scan.unterminatedQuoteLine;
    throw new ContactsCsvError(
      "unreadable",
      `Contacts file '${shown}' has a quote on line ${from} that is never closed, so lines ${from}-${scan.unterminatedQuoteTo}, to the end of the file, read as one value and no row from line ${from} on can be read; close that quote (or remove it) and load the file again. Nothing was loaded`,
      shown,
    );
  }
  const layout = mapCsvHeader(scan, record, shown);
  if (scan.mixedLineEnds !== null) {
    const { line, first, other } = scan.mixedLineEnds;
    throw new ContactsCsvError(
      "unreadable",
      `Contacts file '${shown}' mixes line ends: its lines end with ${first} but line ${line} ends with ${other}; save it again with one kind of line end`,
      shown,
    );
  }
  // A field's list filter and a link's cap on a JSON body change what the API serves and accepts,
  // not what a load stores: adding one must not make the next load of an unchanged file read it all again.
  const definition = createHash("sha256")
    .update(JSON.stringify(record, (key, value: unknown) => (API_ONLY.has(key) ? undefined : value instanceof RegExp ? value.source : value)))
    .digest("hex");
  const source = options.sourceName ?? basename(shown);
  const run = options.run === undefined ? null : { id: options.run.id, started_at: options.run.started_at, origin: options.run.origin, file: options.run.file ?? { name: source, path: shown, size: scan.bytes, sha256: scan.sha256 } };
  return { scan, layout, record, source, definition, run, rejectsFile: options.rejectsFile ?? null };
}

/**
 * The summary of the last load when `plan`'s file is byte for byte the one it loaded, with the same
 * definition, into tables whose fingerprint has not moved since: loading it again would change
 * nothing, so nothing is read. It repeats that load's findings, and so its rejects: the load's
 * rejects report becomes this one's too (`repeatRejects`).
 */
export async function unchangedSince(db: SqlRunner, plan: LoadPlan, fingerprint: () => Promise<string>): Promise<IngestSummary | undefined> {
  const last = await db.one<{ sha256: string; definition: string; fingerprint: string; summary: string; loaded_at: unknown; run: string | null }>(
    "SELECT sha256, definition, fingerprint, summary, loaded_at, run FROM contact_loads ORDER BY loaded_at DESC LIMIT 1",
  );
  if (last === undefined || last.sha256 !== plan.scan.sha256 || last.definition !== plan.definition) return undefined;
  if (last.fingerprint !== (await fingerprint())) return undefined;
  const previous = JSON.parse(last.summary) as StoredSummary;
  const since = last.loaded_at instanceof Date ? last.loaded_at.toISOString() : String(last.loaded_at);
  // A load stored before the report's name was (it is its run's, when it stored one).
  const report = previous.rejects_file ?? (last.run === null ? null : basename(rejectsReportPath(".", (JSON.parse(last.run) as LoadRun).id)));
  const summary: IngestSummary = {
    ...previous,
    source: plan.source,
    inserted: 0,
    updated: 0,
    unchanged: previous.contacts,
    departments_added: 0,
    links_added: 0,
    rejects_file: null,
    warnings: [...previous.warnings, `Unchanged since the load of ${since}: the file and the tables are as that load left them, so nothing was read`],
    unchanged_since: since,
  };
  await repeatRejects(summary, report, plan.rejectsFile);
  return summary;
}

/**
 * A load's summary as contact_loads stores it: without the row lists, and with the file name of
 * its rejects report (in the rejects folder of the data dir that loaded it) in place of its path.
 */
type StoredSummary = Omit<IngestSummary, "rejects_file"> & { rejects_file?: string | null };

/**
 * Gives a skip (`summary`, which repeats a load's counts and findings) that load's rejects: its
 * report `report` (a file name in the folder of `path`) linked as `path`, the skip run's own report
 * (a hard link: the same file, no room taken, and it stays when the load's report is deleted; a
 * copy where the file system has no hard links), and its first rejects. When the load's report is
 * not there (deleted, never written, or written in another data dir: PostgreSQL may be loaded from
 * several), the skip has none and a warning says so.
 */
async function repeatRejects(summary: IngestSummary, report: string | null, path: string | null): Promise<void> {
  summary.rejects = [];
  if (path === null || summary.rejected === 0) return;
  const from = report === null || basename(report) !== report ? null : join(dirname(path), report);
  if (from === null) {
    summary.warnings.push(`The load this run repeats left no rejects report to repeat; its ${summary.rejected} rejected rows are not listed`);
    return;
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
    try {
      linkSync(from, path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") throw error;
      // No hard links here (some network and FAT file systems) or too many to one file: a copy,
      // published whole as the load's report was.
      if (code !== "EEXIST") await writeFileAtomicFrom(path, createReadStream(from));
    }
    const handle = await open(path, constants.O_RDONLY);
    try {
      // As many as a load lists (_stage_csv.ts), as the report holds them.
      summary.rejects = (await firstRejects(handle, 100)).items;
    } finally {
      await handle.close();
    }
    summary.rejects_file = path;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "is not there (deleted, or never written)" : `could not be repeated as ${path} (${(error as Error).message.split("\n")[0]})`;
    summary.warnings.push(`The rejects report of the load it repeats, ${from}, ${reason}: this run's ${summary.rejected} rejected rows are not listed`);
  }
}

/**
 * A fingerprint of the contacts tables that every write moves: counts, the sum of versions (every
 * update bumps one), the highest ids (every insert takes a new one), links and departments.
 */
export async function tablesFingerprint(db: SqlRunner, record: RecordDefinition): Promise<string> {
  const t = q(record.table);
  const row = await db.one<{ f: string }>(
    `SELECT (SELECT count(*) FROM ${t})::VARCHAR || ':' || (SELECT coalesce(sum(version), 0) FROM ${t})::VARCHAR || ':' ||
            (SELECT coalesce(max(id), 0) FROM ${t})::VARCHAR || ':' || (SELECT count(*) FROM ${q(linksOf(record).linkTable)})::VARCHAR || ':' ||
            (SELECT count(*) FROM ${q(linksOf(record).table)})::VARCHAR || ':' || (SELECT coalesce(max(id), 0) FROM ${q(linksOf(record).table)})::VARCHAR AS f`,
  );
  return String(row?.f);
}

/** The highest ids a load gave to the contacts and departments it created (0: none). */
export interface NewestIds {
  contact: number;
  department: number;
}

/**
 * The fingerprint (tablesFingerprint) the tables have after a load's writes when nobody else wrote
 * meanwhile, from the one they had before: the load only adds contacts (version 1 each), bumps each
 * contact it updates once, and adds links and departments.
 */
export function fingerprintAfterLoad(before: string, written: IngestSummary, newest: NewestIds): string {
  const [contacts, versions, maxId, links, departments, maxDepartment] = before.split(":").map(BigInt);
  return [
    contacts + BigInt(written.inserted),
    versions + BigInt(written.inserted + written.updated),
    maxId > BigInt(newest.contact) ? maxId : BigInt(newest.contact),
    links + BigInt(written.links_added),
    departments + BigInt(written.departments_added),
    maxDepartment > BigInt(newest.department) ? maxDepartment : BigInt(newest.department),
  ].join(":");
}

/**
 * Records a committed load (its summary without the row lists, with its rejects report's file name:
 * the report is written after the COMMIT) for unchanged-file detection.
 */
export async function recordLoad(tx: SqlRunner, plan: LoadPlan, summary: IngestSummary, fingerprint: string): Promise<void> {
  const { rejects: _r, fixed: _f, rejects_file: _file, ...kept } = summary;
  const stored: StoredSummary = { ...kept, rejects: [], fixed: [], rejects_file: plan.rejectsFile === null || summary.rejected === 0 ? null : basename(plan.rejectsFile) };
  await tx.run("INSERT INTO contact_loads (sha256, definition, fingerprint, summary, run) VALUES ($1, $2, $3, $4, $5)", [
    plan.scan.sha256,
    plan.definition,
    fingerprint,
    JSON.stringify(stored),
    plan.run === null ? null : JSON.stringify(plan.run),
  ]);
}

/** The summary's fields that staging already knows. */
export function stagedSummary(plan: LoadPlan, staged: Staged): IngestSummary {
  return {
    source: plan.source,
    rows: staged.rows,
    contacts: staged.contacts,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    rejected: staged.rejected,
    fixes: staged.fixes,
    departments: 0,
    departments_added: 0,
    links: 0,
    links_added: 0,
    rejects: staged.rejects,
    fixed: staged.fixed,
    rejects_by_field: staged.rejectsByField,
    fixes_by_field: staged.fixesByField,
    rejects_file: null,
    warnings: staged.warnings,
  };
}

/** New departments created per statement (DEPARTMENTS_PER_INSERT names bound as one array). */
export const DEPARTMENTS_PER_INSERT = 1000;

/**
 * The department names of the loaded lines, matched to stored departments without regard to case
 * or accents, the new ones (the first spelling of each fold) created in file order,
 * DEPARTMENTS_PER_INSERT at a time by `create`, which returns each given name's id. One statement
 * per new name cost 2-3 ms each: a file naming 20,000 departments spent 34.9 s creating them, 1.2 s in chunks (in process, DuckDB).
 * Returns name -> id and the counts.
 */
export async function resolveDepartments(
  names: readonly string[],
  existing: readonly { id: number; name: string }[],
  create: (names: string[]) => Promise<Map<string, number>>,
): Promise<{ ids: Map<string, number>; distinct: number; added: number }> {
  const byFold = new Map<string, number>();
  for (const d of existing) if (!byFold.has(fold(d.name))) byFold.set(fold(d.name), Number(d.id));
  const seen = new Set<string>();
  const fresh = new Map<string, string>();
  for (const name of names) {
    const folded = fold(name);
    seen.add(folded);
    if (!byFold.has(folded) && !fresh.has(folded)) fresh.set(folded, name);
  }
  const toCreate = [...fresh.values()];
  for (let i = 0; i < toCreate.length; i += DEPARTMENTS_PER_INSERT) {
    const chunk = toCreate.slice(i, i + DEPARTMENTS_PER_INSERT);
    const created = await create(chunk);
    for (const name of chunk) {
      const id = created.get(name);
      if (id === undefined) throw new Error(`The department '${name}' was not created`);
      byFold.set(fold(name), id);
    }
  }
  const ids = new Map<string, number>();
  for (const name of names) ids.set(name, byFold.get(fold(name))!);
  return { ids, distinct: seen.size, added: toCreate.length };
}

/** `_new` (the people to insert, by their `first_ord` in _people) and `_changed` (stored people whose values differ). */
async function planWrites(db: Database, plan: LoadPlan, staged: Staged): Promise<void> {
  const table = q(plan.record.table);
  const keyColumn = q(keyColumnOf(upsertKeyOf(plan.record)));
  const names = staged.fields;
  const differs = names.map((n) => `t.${q(n)} IS DISTINCT FROM p.${q(n)}`).join(" OR ");
  await db.run(
    `DROP TABLE IF EXISTS temp._new; DROP TABLE IF EXISTS temp._changed;
     CREATE TEMP TABLE _new AS SELECT p.first_ord FROM _people p WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.${keyColumn} = p.key);
     CREATE TEMP TABLE _changed AS SELECT t.id, ${names.map((n) => `p.${q(n)} AS ${q(`v_${n}`)}`).join(", ")}
       FROM _people p JOIN ${table} t ON t.${keyColumn} = p.key WHERE ${differs}`,
  );
}

/** The DuckDB writer: set-based statements over the staged temp tables, inside the caller's transaction. */
async function writeDuckDb(tx: Database, plan: LoadPlan, staged: Staged): Promise<IngestSummary> {
  const summary = stagedSummary(plan, staged);
  const { record } = plan;
  const sql = recordSql(record);
  const table = q(record.table);
  const keyColumn = q(keyColumnOf(upsertKeyOf(record)));
  const names = staged.fields;
  const cols = names.map(q);
  const links = linksOf(record);

  const departmentNames = await tx.all<{ name: string }>(STAGED_DEPARTMENT_NAMES);
  const departments = await resolveDepartments(
    departmentNames.map((d) => d.name),
    await tx.all<{ id: number; name: string }>(`SELECT id::INTEGER AS id, name FROM ${q(links.table)} ORDER BY id`),
    // One chunk of a list is one vector, read in order: the sequence gives the ids in file order.
    async (chunk) =>
      new Map(
        (await tx.all<{ id: number; name: string }>(`INSERT INTO ${q(links.table)} (name) SELECT unnest($1::VARCHAR[]) RETURNING id::INTEGER AS id, name`, [chunk])).map((r) => [r.name, Number(r.id)]),
      ),
  );
  await tx.run("DROP TABLE IF EXISTS temp._dept_map; CREATE TEMP TABLE _dept_map (name VARCHAR, id INTEGER)");
  const map = await tx.appender("_dept_map", { schema: "temp" });
  try {
    for (const [name, id] of departments.ids) map.text(name).int(id).endRow();
  } finally {
    map.close();
  }

  // New people, ids in file order; their sort and search columns derived as every write derives
  // them. Every sort column gets a value (fold of NULL is ''), also for columns the file lacks.
  // Written in the order of the record's clusterBy fields the file has (see RecordDefinition), then
  // of their ids. Only new records: stored ones are not reordered. Reordering a stored table
  // takes a copy declared with every column, which stops on any install that added a column of its
  // own with a migration ("adding a field"; 008 is such a copy, made for a larger gain and with the
  // way out in etl/contacts/README.md), so none is shipped for the order alone: a table filled
  // before keeps its order, and writes the contacts new to it in this order. A changed contact is
  // updated in place (since migration 008; the API's writes, with RETURNING, move theirs to the
  // table's end: contact_schema_test.ts).
  const cluster = (record.clusterBy ?? []).filter((n) => names.includes(n));
  const derivedInsert = sql.derivedSets(sql.columns, (f) => (names.includes(f) ? `p.${q(f)}` : "NULL")).map((set) => [set.slice(0, set.indexOf(" = ")), set.slice(set.indexOf(" = ") + 3)]);
  const inserted = await tx.one<{ n: number }>("SELECT count(*)::INTEGER AS n FROM _new");
  const count = Number(inserted!.n);
  // The ids this load gives its new people (consecutive, checked below): none of them can have gained a department.
  let insertedIds: { first: number; last: number } | null = null;
  if (count > 0) {
    // Ids in file order, the same for the same file into the same tables: taken from the id
    // column's own default (its sequence) first, then given out by rank. Left to the default as
    // the sorted rows streamed into the table, they were not: with two threads the 1M-row file's
    // ids came in blocks from all over the file. One writer, so the values taken are consecutive.
    const idDefault = await tx.one<{ expr: string }>(
      "SELECT column_default AS expr FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = $1 AND column_name = 'id'",
      [record.table],
    );
    const ids = await tx.one<{ first: number; last: number }>(`SELECT min(v)::BIGINT AS first, max(v)::BIGINT AS last FROM (SELECT ${idDefault!.expr} AS v FROM range($1))`, [count]);
    const first = Number(ids!.first);
    if (Number(ids!.last) - first + 1 !== count) throw new Error(`${record.table}: ${count} ids taken from its sequence are not consecutive`);
    insertedIds = { first, last: first + count - 1 };
    // Ranked on the narrow column, then joined: a window over the whole rows cost 4.3 s at 1M rows.
    // Sorted before the derived columns are computed, so the sort carries the file's columns only
    // (the 1M-row file's 728k people, measured alone: 4.6-5.1 s instead of 5.0-5.2 s).
    await tx.run(
      `DROP TABLE IF EXISTS temp._rank; CREATE TEMP TABLE _rank AS SELECT first_ord, (row_number() OVER (ORDER BY first_ord))::INTEGER AS r FROM _new;
       INSERT INTO ${table} (id, ${[...cols, ...derivedInsert.map(([c]) => c)].join(", ")})
       SELECT ${first} + p.__rank - 1, ${[...names.map((n) => `p.${q(n)}`), ...derivedInsert.map(([, v]) => v)].join(", ")}
       FROM (SELECT p.*, k.r AS __rank FROM _people p JOIN _rank k USING (first_ord)${cluster.length > 0 ? ` ORDER BY ${cluster.map((n) => `p.${q(n)}`).join(", ")}, k.r` : ""}) p;
       DROP TABLE temp._rank`,
    );
  }
  // Changed people (_changed, planWrites): only the columns present in the file are compared and
  // set. The key column is what matched, so it is never rewritten.
  const updated = Number((await tx.one<{ n: number }>("SELECT count(*)::INTEGER AS n FROM _changed"))!.n);
  if (updated > 0) {
    const sets = [
      ...names.filter((n) => n !== sql.keyField).map((n) => `${q(n)} = c.${q(`v_${n}`)}`),
      ...(names.includes(sql.keyField) ? [`${q(sql.keyField)} = c.${q(`v_${sql.keyField}`)}`] : []),
      ...sql.derivedSets(names.filter((n) => n !== sql.keyField), (f) => `c.${q(`v_${f}`)}`),
    ];
    await tx.run(`UPDATE ${table} SET ${sets.join(", ")}, ${writeBump(`${table}.`)} FROM _changed c WHERE ${table}.id = c.id`);
  }

  const recordKey = q(links.recordKey);
  const nameKey = q(links.nameKey);
  const linkTable = q(links.linkTable);
  await tx.run(`DROP TABLE IF EXISTS temp._links; DROP TABLE IF EXISTS temp._new_links;
    CREATE TEMP TABLE _links AS SELECT DISTINCT t.id AS cid, m.id AS did FROM _okrows o JOIN _dept_map m ON m.name = o.dept JOIN ${table} t ON t.${keyColumn} = o.key;
    CREATE TEMP TABLE _new_links AS SELECT l.cid, l.did FROM _links l WHERE NOT EXISTS (SELECT 1 FROM ${linkTable} x WHERE x.${recordKey} = l.cid AND x.${nameKey} = l.did)`);
  const linkCounts = await tx.one<{ links: number; added: number }>("SELECT (SELECT count(*) FROM _links)::INTEGER AS links, (SELECT count(*) FROM _new_links)::INTEGER AS added");
  let bumped = 0;
  if (Number(linkCounts!.added) > 0) {
    await tx.run(`INSERT INTO ${linkTable} (${recordKey}, ${nameKey}) SELECT cid, did FROM _new_links ORDER BY cid, did`);
    // A person who gained a department changed (the API's ETag covers departments) unless this
    // load already wrote the row: updated it (_changed), or inserted it (created_at is then the
    // transaction's time). Not "updated_at <> current_timestamp": updated_at never moves back
    // (writeBump), so a row dated ahead of this clock and updated here would be bumped twice.
    // The links of the people this load inserted (ids first..last, all of a first load's) are left
    // out before the table is searched: that search for a first load's 994k new links cost
    // 0.15-0.25 s for no row.
    const others = insertedIds === null ? "" : ` WHERE cid NOT BETWEEN ${insertedIds.first} AND ${insertedIds.last}`;
    const gained = `id IN (SELECT DISTINCT cid FROM _new_links${others}) AND created_at <> current_timestamp AND id NOT IN (SELECT id FROM _changed)`;
    bumped = Number((await tx.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ${table} WHERE ${gained}`))!.n);
    if (bumped > 0) await tx.run(`UPDATE ${table} SET ${writeBump()} WHERE ${gained}`);
  }
  await tx.run("DROP TABLE temp._dept_map; DROP TABLE temp._links; DROP TABLE temp._new_links");

  return withWrites(summary, { inserted: count, updated: updated + bumped, departments, links: Number(linkCounts!.links), linksAdded: Number(linkCounts!.added) });
}

/** The summary with what a writer did (both backends count the same things). */
export function withWrites(
  summary: IngestSummary,
  done: { inserted: number; updated: number; departments: { distinct: number; added: number }; links: number; linksAdded: number },
): IngestSummary {
  summary.inserted = done.inserted;
  summary.updated = done.updated;
  summary.unchanged = summary.contacts - done.inserted - done.updated;
  summary.departments = done.departments.distinct;
  summary.departments_added = done.departments.added;
  summary.links = done.links;
  summary.links_added = done.linksAdded;
  return summary;
}

/**
 * Writes the committed load's rejects report to `path` (when it has rejects) and names it in
 * `summary`. A report that cannot be written (a full disk, a folder the process may not create) is
 * one more warning, not a failure: the load it reports on is committed.
 */
export async function reportRejects(db: Database, summary: IngestSummary, path: string | undefined): Promise<void> {
  summary.rejects_file = null;
  if (path === undefined || summary.rejected === 0) return;
  try {
    summary.rejects_file = await writeRejectsReport(db, path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOSPC" ? "the disk is full" : (error as Error).message.split("\n")[0];
    summary.warnings.push(`The rejects report could not be written to ${path} (${reason}); the load is committed, and its summary lists the first ${summary.rejects.length} reasons`);
  }
}

/** How many characters of the rejects report are gathered before a write: memory holds about this much of it. */
export const REJECTS_REPORT_BATCH_CHARS = 1 << 20;

/**
 * Streams every reject of the staged load to `path` as CSV (`line,field,reason,value`, the one
 * formula-safe csvField rule of etl/text, control characters but tab and line feed as `\uXXXX`) and
 * returns the path. Lines are written as the result is
 * read, a batch of about `batchChars` characters at a time, to a temp file published whole
 * (writeFileAtomicFrom): a report of any size costs one batch of memory, and a reader never sees
 * half of one. `write` is how a batch reaches the file (tests observe the writes through it).
 */
export async function writeRejectsReport(
  db: Database,
  path: string,
  options: { batchChars?: number; write?: (fd: number, bytes: Uint8Array) => void } = {},
): Promise<string> {
  const batchChars = options.batchChars ?? REJECTS_REPORT_BATCH_CHARS;
  async function* batches(): AsyncGenerator<string> {
    let batch: string[] = ["line,field,reason,value\r\n"];
    let chars = batch[0].length;
    for await (const rows of db.stream<{ line: number | null; field: string; reason: string; value: string | null }>(
      "SELECT line, field, reason, value FROM _rejects ORDER BY seq, o",
    )) {
      for (const r of rows) {
        // A rejected cell may hold the very control characters it was rejected for (a NUL byte):
        // written as their \uXXXX escapes (etl/text terminalText, the reason names the character),
        // so the report stays a text file any editor or spreadsheet opens. Tab and line feed stay.
        const line = [r.line ?? "", r.field, r.reason, r.value ?? ""].map((v) => csvField(typeof v === "string" ? terminalText(v) : v)).join(",") + "\r\n";
        batch.push(line);
        chars += line.length;
        if (chars >= batchChars) {
          yield batch.join("");
          batch = [];
          chars = 0;
        }
      }
    }
    if (batch.length > 0) yield batch.join("");
  }
  mkdirSync(dirname(path), { recursive: true });
  await writeFileAtomicFrom(path, batches(), options.write);
  return path;
}

/**
 * Runs `fn` with a path DuckDB reads as exactly this file. read_csv takes `*`, `?`, `[` and `{` as a
 * pattern (`export*.csv` would read every export): such a name is copied to a private name first,
 * beside the database (never /tmp), and removed afterwards.
 */
async function withReadablePath<T>(db: Database, csvPath: string, fn: (path: string) => Promise<T>): Promise<T> {
  if (!/[*?[\]{}]/.test(csvPath)) return fn(csvPath);
  const dir = db.path === ":memory:" || db.path === "" ? join(dirname(csvPath), ".contacts-load") : join(dirname(db.path), UPLOADS_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A random name, never an existing file's: two loads in one millisecond once shared pid-time names.
  const copy = join(dir, `copy-${randomUUID()}.csv`);
  copyFileSync(csvPath, copy, constants.COPYFILE_EXCL);
  try {
    return await fn(copy);
  } finally {
    rmSync(copy, { force: true });
  }
}
