/**
 * Schema migrations for contacts.duckdb: numbered `.sql` files applied in order, each in its own
 * transaction, recorded in `schema_migrations` with a SHA-256 of the file. A recorded migration
 * whose file has changed (or vanished) stops start-up: silently running a database whose history
 * differs from the code is how schemas drift.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLIENT_GRACE_MS, isDatabaseUnavailable, migratingMarker, type Database, type PostgresDatabase, type SqlRunner } from "../db/mod.ts";
import { boundLockWaits, ContactsLockTimeoutError, LOAD_IDLE_IN_TRANSACTION_MS, LOAD_LOCK_WAIT_MS, LOAD_STATEMENT_TIMEOUT_MS } from "./_lock_wait.ts";

/** Why migrating failed. Callers (CLI, API start-up) print `message` and stop. */
export type MigrationErrorCode = "edited" | "missing" | "bad-name" | "duplicate-version" | "failed" | "foreign-database";

/** A migration problem: carries a code and the migration file concerned. */
export class MigrationError extends Error {
  override readonly name = "MigrationError";
  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}

export interface MigrateOptions {
  /** Folder of `NNN_name.sql` files; defaults to etl/contacts/migrations. Tests pass their own. */
  dir?: string;
  /** PostgreSQL: how long to wait for one lock another session holds before giving up as `database-locked` (default LOAD_LOCK_WAIT_MS, a load's). */
  lockWaitMs?: number;
  /** PostgreSQL: how often a line says who the migrations wait for (default 10 s). */
  lockProgressMs?: number;
  /** PostgreSQL: receives those lines (default: stderr). */
  onLockWait?: (line: string) => void;
  /** PostgreSQL: the longest one statement may run (default LOAD_STATEMENT_TIMEOUT_MS) and the transaction sit idle (default LOAD_IDLE_IN_TRANSACTION_MS); tests set short ones. */
  statementTimeoutMs?: number;
  idleInTransactionMs?: number;
}

interface MigrationFile {
  version: number;
  name: string;
  path: string;
  sql: string;
  checksum: string;
}

/** The folder of the contacts migrations shipped with the code (DuckDB). */
export const defaultMigrationsDir = fileURLToPath(new URL("./migrations/", import.meta.url));
/** The PostgreSQL set: the same record in PostgreSQL's dialect, numbered on its own. */
export const defaultPostgresMigrationsDir = fileURLToPath(new URL("./migrations/postgres/", import.meta.url));

const FILE_NAME = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

/**
 * Brings `db` to the latest schema and returns the names of the migrations it applied (empty
 * when already up to date). Throws MigrationError when an applied migration was edited or
 * removed, or when one fails (that one is rolled back; earlier ones stay applied).
 *
 * @example
 * ```ts
 * const applied = await migrate(db); // ["001_contacts.sql", "002_api_idempotency_keys.sql"] on a new file, [] afterwards
 * ```
 */
export async function migrate(db: Database, options: MigrateOptions = {}): Promise<string[]> {
  const dir = options.dir ?? defaultMigrationsDir;
  const files = readMigrations(dir);
  await refuseForeign(db);
  await db.run(SCHEMA_MIGRATIONS);
  const pending = await checkHistory(db, files, dir);
  const marker = db.path === ":memory:" || db.path === "" ? undefined : migratingMarker(db.path);
  const ran: string[] = [];
  if (pending.length > 0) {
    // Schema changes go into the database file, not only the WAL: DuckDB 1.5 cannot replay a WAL
    // holding ALTER TABLE ... ADD COLUMN on a table whose DEFAULT or CHECK calls a function (003,
    // 010) after a crash ("GetDefaultDatabase with no default database set"). So everything before
    // the migrations is checkpointed first, the file is marked while they run, and each one is
    // checkpointed as it commits: a kill between a COMMIT and its CHECKPOINT leaves a WAL of that
    // migration only, which Database.open sets aside when the mark is there (the migration then
    // runs again). An upgrade killed anywhere is finished by the next start.
    await db.run("CHECKPOINT");
    if (marker !== undefined) writeMarker(marker);
    for (const file of pending) {
      try {
        await db.transaction((tx) => apply(tx, file));
      } catch (error) {
        // Rolled back: the WAL holds none of it, and the ones before were checkpointed.
        if (marker !== undefined) rmSync(marker, { force: true });
        throw failed(file, error);
      }
      await db.run("CHECKPOINT");
      ran.push(file.name);
    }
  }
  // Only once the WAL holds no migration: a mark left by a run killed after its last CHECKPOINT
  // goes too, before any other write can reach the WAL.
  if (marker !== undefined && existsSync(marker)) rmSync(marker, { force: true });
  return ran;
}

/** Writes the migrating mark to disk (fsync) before the first migration's statements run. */
function writeMarker(path: string): void {
  const fd = openSync(path, "w");
  try {
    writeSync(fd, `${process.pid} ${new Date().toISOString()}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Brings a PostgreSQL database to the latest schema (the `migrations/postgres/` set, or `dir`) and
 * returns the migrations it applied. Everything runs in one transaction holding an advisory lock,
 * so of several API processes starting together one migrates and the others wait, then find
 * nothing to do; a failure leaves the database as it was. Throws MigrationError as `migrate` does,
 * and ContactsLockTimeoutError (`database-locked`) when another session's lock outlasts `lockWaitMs`.
 *
 * @example
 * ```ts
 * await migratePostgres(pg); // ["001_contacts.sql"] on an empty database, [] afterwards
 * ```
 */
export async function migratePostgres(pg: PostgresDatabase, options: MigrateOptions = {}): Promise<string[]> {
  const dir = options.dir ?? defaultPostgresMigrationsDir;
  const files = readMigrations(dir);
  const waitMs = Math.max(1, Math.round(options.lockWaitMs ?? LOAD_LOCK_WAIT_MS));
  const statementMs = Math.max(1, Math.round(options.statementTimeoutMs ?? LOAD_STATEMENT_TIMEOUT_MS));
  const idleMs = Math.max(1, Math.round(options.idleInTransactionMs ?? LOAD_IDLE_IN_TRANSACTION_MS));
  let current: MigrationFile | undefined;
  try {
    return await pg.transaction(async (tx) => {
      // Migrations are bounded as a load is, not by the timeouts the pool sets for requests (the
      // API's: 5 s for a lock, 30 s a statement): they wait for another session's lock (another
      // process migrating, psql's LOCK TABLE left open) as long as a load does, saying who holds it
      // (unbounded, `npm start` hung silently at start-up), and a server that stops answering is
      // given up on (unbounded, `npm start` waited for good at its first statement).
      await tx.run(`SET LOCAL lock_timeout = ${waitMs}; SET LOCAL statement_timeout = ${statementMs}; SET LOCAL idle_in_transaction_session_timeout = ${idleMs}`);
      const bound = {
        waitMs,
        progressMs: options.lockProgressMs,
        onLine: options.onLockWait,
        who: "Contacts migrations",
        subject: "The contacts migrations",
        outcome: "none was applied, the database is as it was",
        retry: "start again",
      };
      return await boundLockWaits(pg, tx, bound, async () => {
        // Transaction-scoped: released by COMMIT or ROLLBACK, and by the server if this process dies.
        await tx.run("SELECT pg_advisory_xact_lock(hashtext('relaciones.contacts.migrations'))");
        // CREATE TABLE IF NOT EXISTS needs CREATE on the schema even when the table is there: a role
        // granted only reads and writes (README) could not start. Created only when missing.
        const present = await tx.one<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
        if (!present?.present) await tx.run(SCHEMA_MIGRATIONS);
        const pending = await checkHistory(tx, files, dir);
        for (const file of pending) {
          current = file;
          await apply(tx, file);
        }
        return pending.map((f) => f.name);
      });
    }, { deadlineMs: statementMs + CLIENT_GRACE_MS });
  } catch (error) {
    // A server that stopped answering is not the migration's fault: said as an unavailable database,
    // not as a failed migration, which would also claim a rollback nobody saw.
    if (error instanceof MigrationError || error instanceof ContactsLockTimeoutError || isDatabaseUnavailable(error) || current === undefined) throw error;
    throw failed(current, error);
  }
}

const SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       VARCHAR NOT NULL,
    checksum   VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
  )`;

/** The tables and views of the database file (not DuckDB's own catalog), by name. */
const OWN_TABLES = `SELECT DISTINCT table_name FROM information_schema.tables
  WHERE table_catalog = current_database() AND table_schema NOT IN ('information_schema', 'pg_catalog')
  ORDER BY table_name`;

/**
 * Throws `foreign-database` for a DuckDB file holding tables but no `schema_migrations`: every file
 * this product makes records its migrations before it holds anything else, so this one is someone's
 * own (a `contacts` table of theirs failed 001 with "Table ... already exists" and no next step,
 * after `schema_migrations` had been added to it). Nothing is written to it.
 */
async function refuseForeign(db: Database): Promise<void> {
  const tables = (await db.all<{ table_name: string }>(OWN_TABLES)).map((t) => t.table_name);
  if (tables.length === 0 || tables.includes("schema_migrations")) return;
  const shown = tables.slice(0, 5).map((t) => `'${t}'`).join(", ") + (tables.length > 5 ? ", ..." : "");
  throw new MigrationError(
    "foreign-database",
    `${db.path} is not a database this product made: it holds tables of its own (${shown}) but no record of this product's migrations (schema_migrations); nothing was changed. ` +
      `Point --data-dir (DATA_DIR) at another folder, or move ${db.path} elsewhere so that a new one is made there`,
    basename(db.path),
  );
}

async function apply(tx: SqlRunner, file: MigrationFile): Promise<void> {
  await tx.run(file.sql);
  await tx.run("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [file.version, file.name, file.checksum]);
}

function failed(file: MigrationFile, error: unknown): MigrationError {
  const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return new MigrationError("failed", `Migration '${file.path}' failed and was rolled back: ${reason}`, file.name);
}

/** Checks the recorded history against the files (edited or missing ones throw) and returns what is new. */
async function checkHistory(db: SqlRunner, files: MigrationFile[], dir: string): Promise<MigrationFile[]> {
  const applied = await db.all<{ version: number; name: string; checksum: string }>(
    "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
  );
  const byVersion = new Map(files.map((f) => [f.version, f]));
  // Check the whole recorded history before applying anything new.
  for (const row of applied) {
    const file = byVersion.get(row.version);
    if (file === undefined) {
      throw new MigrationError(
        "missing",
        `Migration '${row.name}' is recorded in the database but its file is missing from ${dir}; ` +
          "the database is newer than this code",
        row.name,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new MigrationError(
        "edited",
        `Migration file '${file.path}' was edited after it was applied (recorded checksum ${row.checksum.slice(0, 12)}, ` +
          `file now ${file.checksum.slice(0, 12)}); restore it and put the change in a new migration`,
        file.name,
      );
    }
  }
  const done = new Set(applied.map((row) => Number(row.version)));
  return files.filter((file) => !done.has(file.version));
}

/**
 * Returns the sha256 (hex) of a migration's text, with line endings normalised.
 *
 * @example
 * ```ts
 * migrationChecksum("SELECT 1;\r\n") === migrationChecksum("SELECT 1;\n"); // true
 * ```
 */
export function migrationChecksum(sql: string): string {
  // A checkout that turns LF into CRLF has not changed the migration; any other edit has.
  return createHash("sha256").update(sql.replaceAll("\r\n", "\n")).digest("hex");
}

function readMigrations(dir: string): MigrationFile[] {
  const files: MigrationFile[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (!entry.endsWith(".sql")) continue;
    const match = FILE_NAME.exec(entry);
    const path = join(dir, entry);
    if (match === null) {
      throw new MigrationError("bad-name", `Migration file '${path}' must be named NNN_lower_case_name.sql`, entry);
    }
    const sql = readFileSync(path, "utf8");
    files.push({ version: Number(match[1]), name: entry, path, sql, checksum: migrationChecksum(sql) });
  }
  files.sort((a, b) => a.version - b.version);
  for (let i = 1; i < files.length; i++) {
    if (files[i].version === files[i - 1].version) {
      throw new MigrationError(
        "duplicate-version",
        `Migrations '${files[i - 1].name}' and '${files[i].name}' share version ${files[i].version}`,
        files[i].name,
      );
    }
  }
  return files;
}
