/**
 * How the contacts store talks to each backend: where reads run, how writes commit, how a CSV is
 * loaded. The statements are the same on both (etl/contacts/contact_sql.ts); what differs is here.
 *
 * - DuckDB (`<data dir>/contacts.duckdb`): one process may write the file. Reads run on a few
 *   connections of their own (MVCC: they see committed data while a write is open). Writes go
 *   through one writer connection with GROUP COMMIT: the writes queued while a commit is on disk
 *   run in the next transaction together, each acknowledged only after the COMMIT that holds it.
 *   Each write checks its rules (404, 409, 412, a known Idempotency-Key) before it writes, so a
 *   refused write leaves the transaction clean for the others; if a write fails unexpectedly (a
 *   CHECK constraint), the group is rolled back and replayed one write per transaction, so only
 *   that write fails. One commit (WAL fsync) then serves many writes. The engine also keeps the
 *   trigram filters that narrow `q` and `company` lists (contains_filters.ts): built in the background
 *   after open and each import, every write's rows recorded in them before its COMMIT.
 * - PostgreSQL (`DATABASE_URL`): many processes may write. A process runs at most PG_WRITE_GROUPS
 *   write transactions at once, each on a pooled connection: a write that finds one free runs alone,
 *   in its own statements; the writes that queue meanwhile run in the next one together, set-based
 *   through the same batcher as DuckDB's, which there also locks the rows it updates. The database
 *   serialises what conflicts with other processes (row locks, unique keys); a group that meets such
 *   a conflict (or anything unforeseen) is rolled back and its writes run one by one, each as a write
 *   alone does, so each still gets the answer it would have got by itself.
 */
import { statfsSync } from "node:fs";
import { dirname, join } from "node:path";
import { Database, isDatabaseBusy, isDatabaseUnavailable, isTransientConflict, isUniqueViolation, PostgresDatabase, postgresErrorOf, type Row, type SqlRunner } from "../../etl/db/mod.ts";
import {
  CONTACTS_COUNT,
  CONTACTS_DUCKDB_SETTINGS,
  CONTACTS_LOAD_MEMORY_MB,
  CONTAINS_COLUMNS,
  fitMemoryToContacts,
  GIN_PENDING_CLEANUP,
  ingestContacts,
  ingestContactsPostgres,
  migrate,
  migratePostgres,
  readSql,
  type Dialect,
  type RecordDefinition,
  servingMemoryMb,
} from "../../etl/contacts/mod.ts";
import type { IngestSummary } from "../../etl/handover/mod.ts";
import { PG_LOCK_TIMEOUT_MS, PG_POOL_SIZE, PG_STATEMENT_TIMEOUT_MS, withoutPassword } from "../../etl/settings/mod.js";
import { Cohort } from "./cohort.ts";
import { type Build, ContainsFilters } from "./contains_filters.ts";

/**
 * What a write tells the store and the engine: the contacts whose cached reads it made stale, each
 * with its row as stored when the write has it (RETURNING returningList), for the search filters.
 */
export interface WriteContext {
  touch(id: number, stored?: Row): void;
}

/** A write: statements on `tx`, inside a transaction the engine owns. */
export type WriteOp<T> = (tx: SqlRunner, ctx: WriteContext) => Promise<T>;

/**
 * Writes described as data, so a group of them can be applied with a few set-based statements
 * (`batch`) instead of each write's own (`WriteOp`). What `batch` returns per write: its value, or
 * the refusal to reject it with. Anything it throws makes the engine fall back to the WriteOps.
 */
export type Batcher<D> = (tx: SqlRunner, ctx: WriteContext, writes: readonly D[]) => Promise<({ ok: true; value: unknown } | { ok: false; error: unknown })[]>;

/** One backend. */
export interface Engine {
  readonly dialect: Dialect;
  /** For the log: a file path, or the database URL without its password. */
  readonly location: string;
  /** Where reads run (committed data only). */
  readonly read: SqlRunner;
  /** Groups of point reads the store runs at once (api/contacts/contacts_store.ts `get`). */
  readonly pointReadGroups: number;
  /**
   * Runs `fn`'s reads on one snapshot of committed data (DuckDB: one reader, one read transaction;
   * PostgreSQL: the read pool, where the store reads a contact with one statement).
   */
  snapshot<T>(fn: (read: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * What `fn` yields, reading for as long as the client reads. DuckDB: on a connection of its own
   * (a slow download holds no reader) in one read transaction, so every statement `fn` runs sees
   * one snapshot. PostgreSQL: on the pool, each statement its own snapshot (an export there is one
   * statement, streamed from a cursor).
   */
  streamSnapshot<T>(fn: (read: StreamRunner) => AsyncIterable<T>): AsyncIterable<T>;
  /**
   * Runs `op` in a transaction; `committed(touched)` runs right after its commit, before the caller
   * hears. `data` describes the same write for the engine's batcher, if it has one.
   */
  write<T>(op: WriteOp<T>, committed: (touched: number[]) => void, data?: unknown): Promise<T>;
  /** Lets the engine apply groups of writes set-based. */
  useBatcher(batch: Batcher<unknown>): void;
  /** Commits so far: how many, how many writes they held, how many went the set-based way. */
  readonly commits: CommitStats;
  /** Writes (and, on DuckDB, imports) queued now for a group to take them. */
  readonly queued: number;
  /**
   * DuckDB's trigram filters of the `contains()` columns (contains_filters.ts), built in the
   * background after open and after each import; undefined on PostgreSQL (its trigram indexes).
   */
  readonly contains?: ContainsFilters;
  /** DuckDB's trims after writes (see IDLE_TRIM_MS): done, put off because something was reading, failed. */
  readonly trims?: { readonly done: number; readonly putOff: number; readonly failed: number };
  /** PostgreSQL's merges of the trigram indexes' pending lists (see GIN_MERGE_EVERY): done, failed. */
  readonly ginMerges?: { readonly done: number; readonly failed: number };
  importCsv(csvPath: string, load: CsvLoad): Promise<IngestSummary>;
  /**
   * Runs `fn` on a connection of its own, outside the write queue (DuckDB: MVCC, so a long read
   * transaction there holds up no write). Undefined on PostgreSQL, where other tools connect anyway.
   */
  readonly withConnection?: <T>(fn: (db: Database) => Promise<T>) => Promise<T>;
  close(): Promise<void>;
}

/** What a streamed read may run: statements, and one streamed from a cursor in chunks. */
export type StreamRunner = SqlRunner & { stream(sql: string, params: readonly unknown[]): AsyncIterable<Row[]> };

/** One CSV load's names: the file's own name, the rejects report to write, where work files go. */
export interface CsvLoad {
  sourceName: string;
  record: RecordDefinition;
  rejectsFile?: string;
  workDir: string;
  /** Aborted when the import's client went away or the API closes: the load stops unless its COMMIT has begun. */
  signal?: AbortSignal;
  /** Called as soon as the import's COMMIT is done (DuckDB), before its report, clean-up and checkpoint. */
  committed?: () => void;
}

/** Counters of an engine's commits. */
export interface CommitStats {
  commits: number;
  writes: number;
  /** Groups applied set-based, and groups that fell back to one write after another. */
  batched: number;
  fallbacks: number;
}

/** Options the engines read (a subset of ContactsStoreOptions). */
export interface EngineOptions {
  record: RecordDefinition;
  databaseUrl?: string;
  migrationsDir?: string;
  postgresMigrationsDir?: string;
  /** DuckDB's memory while serving, in MB (default servingMemoryMb() of the contacts); tests set a small one. */
  duckdbMemoryMb?: number;
  /** How long DuckDB's writer stays idle after writes before memory is given back, in ms (default IDLE_TRIM_MS). */
  idleTrimMs?: number;
  /** PostgreSQL: contacts written between two merges of the trigram indexes' pending lists (default GIN_MERGE_EVERY). */
  ginMergeEvery?: number;
  /** PostgreSQL: how long a request waits for a lock before its 503 (default PG_LOCK_TIMEOUT_MS; the PG_LOCK_TIMEOUT setting). */
  pgLockTimeoutMs?: number;
  /** PostgreSQL: how long a write waits for a lock in one of the PG_WRITE_GROUPS transactions before it waits outside them (default PG_SLOT_LOCK_WAIT_MS). */
  pgSlotLockWaitMs?: number;
  /** PostgreSQL: how long a request's statement may run before its 503 (default PG_STATEMENT_TIMEOUT_MS; PG_STATEMENT_TIMEOUT). */
  pgStatementTimeoutMs?: number;
  /** PostgreSQL: connections this process may open at once (default PG_POOL_SIZE; the PG_POOL_SIZE setting). */
  pgPoolSize?: number;
  /** PostgreSQL: how long an import's write, and the migrations at start-up, wait for another session's lock before failing as `database-locked` (default 5 min, LOAD_LOCK_WAIT_MS). */
  pgImportLockWaitMs?: number;
  /** For tests (DuckDB): runs once an import has committed, before its caller hears of it. */
  afterImportCommit?: () => Promise<void>;
}

/** Opens the backend `options` name: PostgreSQL for a DATABASE_URL, else `<dataDir>/contacts.duckdb`. */
export async function openEngine(dataDir: string, options: EngineOptions): Promise<Engine> {
  return options.databaseUrl ? PostgresEngine.open(options.databaseUrl, options) : DuckDbEngine.open(join(dataDir, "contacts.duckdb"), options);
}

/** DuckDB: writes taken into one transaction at most (bounds the time a group holds the writer); PostgreSQL's is PG_MAX_GROUP. */
const MAX_GROUP = 256;
/**
 * PostgreSQL: write transactions one process runs at once (see PostgresEngine.write). Each write in
 * its own transaction cost the API 1.0-2.6 ms of CPU and PostgreSQL 1.0-2.3 ms, most of it round
 * trips (five per PUT); in groups, 0.5-1.0 and 0.3-0.8 ms. Measured at 728k contacts, 32
 * connections, in runs of three 5 s rounds: POST 1,265-1,646/s (p99 36-79 ms) and PUT 918-1,134/s
 * (p99 49-86 ms) with two, against 373-910/s and 415-720/s one write per transaction; three
 * measured alike, with a longer tail (the benchmark log, "PostgreSQL's writes in groups").
 */
const PG_WRITE_GROUPS = 2;
/**
 * PostgreSQL: writes in one group at most. A group holds an advisory lock for each distinct e-mail
 * and Idempotency-Key it writes (WRITE_KEYS_LOCK_POSTGRES), in the server's lock table, which all its
 * sessions share: max_locks_per_transaction (64) for each connection and worker the server allows,
 * about 7,800 entries by default, 3,000 at max_connections = 25. 64 writes take 128 locks at most, a
 * process's two groups 256. At 32 connections a group holds about 16 writes: groups this large come
 * only past 128 writes in flight.
 */
const PG_MAX_GROUP = 64;
/**
 * PostgreSQL: how long a write waits for a lock while it holds one of the PG_WRITE_GROUPS write
 * transactions. Past it, its transaction is rolled back and the write (each write of a group) waits
 * again in a transaction of its own, for as long as PG_LOCK_TIMEOUT allows, outside them: two writes
 * to a row another session holds (an analyst's open transaction) held both, and every write of the
 * process waited behind them. Writes of this process's own groups hold their rows a few ms, but a
 * write that merges a trigram index's full pending list holds it ~0.65 s at 1M contacts: at 250 ms,
 * a load driver's rounds (1M-row file, 32 connections) had 1-2 groups fall back one write at a time
 * per run, and p99 up to 812 ms; at 1 s, no fallback in 12 rounds.
 */
const PG_SLOT_LOCK_WAIT_MS = 1_000;
/**
 * How long, at most, a DuckDB write group waits for the writers it expects (Cohort): about what a
 * client's next request takes to arrive once its answer is written. Measured at 1M contacts, 32
 * connections, with the PUT route no longer reading before it writes: PUT 274-289 -> 330-419/s,
 * POST 599 -> 943/s.
 */
const GATHER_MS = 4;
/** Read connections on DuckDB: a couple per core is enough to keep them busy. */
const READ_CONNECTIONS = 4;
/** Prepared statements each reader keeps: the point reads and whatever else repeats its text. */
const READER_STATEMENTS = 32;
/**
 * Prepared statements the writer keeps: a group's checks and its UPDATE ... RETURNING (22 columns)
 * are the same text group after group, and binding and optimising that UPDATE took 6 of its 18 ms
 * (DuckDB's profile, 24 PUTs at 1M contacts).
 */
const WRITER_STATEMENTS = 32;
/**
 * DuckDB worker threads while the API serves: one, so each query runs on the thread that asked for
 * it. With four readers on two cores, queries already run side by side; splitting each one across
 * threads too only added scheduling (measured at 1M contacts, 32 concurrent requests, in process:
 * point reads 315 -> 410/s, state+city filters 266-292 -> 297-334/s, counts, q and pages unchanged;
 * a single scan alone takes up to twice as long). A CSV imported through the API keeps the one
 * thread, so the readers keep a core: on a 100k-row import beside reads at 8 connections, with every
 * core the import took 10.3 s and the reads' p99 was 64-69 ms, with one 8.6-9.3 s and 52-57 ms
 * (1M contacts). `npm run etl` alone loads with every core.
 */
const SERVING_THREADS = "1";
/**
 * DuckDB's memory while the API serves, in MB: servingMemoryMb() of the contacts there are (at open
 * and after each import), unless EngineOptions says. 256 MB up to a million contacts, which holds
 * what the lists scan (the sort, filter and search columns, about 150 MB at 1M contacts); beyond
 * it, DuckDB reads the columns again from the file (the OS page cache, not this process). At 1M
 * contacts the API stays at 343-358 MB while it reads; writes to random rows fill the budget (each
 * touches a row group and the indexes), ~500 MB, until the trim after them (IDLE_TRIM_MS).
 * Migrations and a CSV import get at least the load's budget (CONTACTS_LOAD_MEMORY_MB) while they run.
 */
function servingMb(contacts: number, options: EngineOptions): number {
  return options.duckdbMemoryMb ?? servingMemoryMb(contacts);
}

/**
 * How long the DuckDB writer stays idle after writes (or a download or Parquet export, which reads
 * every row) before the engine gives back what they left in memory (DuckDbEngine #trim): a
 * checkpoint, then DuckDB's budget lowered to TRIM_MB for an instant and set back, so DuckDB drops
 * the buffers and index blocks it keeps. Writes to random rows leave the process at ~520-590 MB at
 * 1M contacts; after a trim it held 296-383 MB (three bench runs). V8's garbage is the server's to
 * give back (api/collect_garbage.ts): with both, 254-295 MB at rest (six runs), on a faster machine
 * where the trim alone left 471-483 MB (two runs). An export after the writes' trim took it back to
 * 470 MB until exports brought a trim of their own (205 MB, the load driver). The price: writes
 * that arrive during a trim wait for its checkpoint (0.4-0.8 s at 1M contacts), and the first
 * writes after it load what they touch again (a group of 32 PUTs took 106, 59 and 41 ms instead of
 * ~14 ms standalone; through the API a single PUT 65-149 ms instead of 24-42, at 1M contacts). So
 * the wait is long enough that a steady trickle of writes never pays it, and short enough that a
 * quiet API holds less.
 */
export const IDLE_TRIM_MS = 10_000;
/** DuckDB's budget, in MB, for the instant of a trim: under what it keeps, so it drops every buffer it may. */
const TRIM_MB = 64;
/**
 * Free bytes the disk of contacts.duckdb must have for a group's COMMIT to be tried; below, the
 * group fails as a full disk does (503 `database-disk-full`) without trying. DuckDB 1.5 cannot undo
 * a COMMIT of an UPDATE that ran out of room: undoing it in the primary key index fails
 * ("INTERNAL Error: Failed to append to PRIMARY_contacts...: duplicate key") and the process aborts,
 * taking every client down. A group's WAL is kilobytes; the reserve also leaves room for the
 * checkpoint that follows. Another process filling the disk between this check and the COMMIT can
 * still get there.
 */
const COMMIT_RESERVE_BYTES = 8 * 2 ** 20;

interface Pending {
  run: (tx: SqlRunner, ctx: WriteContext) => Promise<unknown>;
  committed: (touched: number[]) => void;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** A job that needs the writer alone (a CSV load runs its own transaction). */
  exclusive?: boolean;
  /** The write as data, for the batcher. */
  data?: unknown;
}

/** A write refused by a rule, not a failure: the store's ContactWriteError (checked by name to avoid a cycle). */
function isRefusal(error: unknown): boolean {
  return error instanceof Error && error.name === "ContactWriteError";
}

class DuckDbEngine implements Engine {
  readonly dialect = "duckdb" as const;
  // One group at a time, on one reader (its two statements, the rows then their links, in one read
  // transaction): the reads that arrive meanwhile make the next group larger, and a contact costs
  // less the more are read together. Three readers stay for lists. Measured at 1M contacts, 32
  // connections: point reads/s with 1 group 3,260-3,343, 2 groups 2,453-2,748, 4 groups 1,148-1,863.
  readonly pointReadGroups = 1;
  readonly location: string;
  readonly read: SqlRunner;
  readonly #writer: Database;
  readonly #readers: Database[];
  readonly #idle: Database[];
  readonly #waiting: ((db: Database) => void)[] = [];
  #queue: Pending[] = [];
  #draining: Promise<void> | undefined;
  #batch: Batcher<unknown> | undefined;
  readonly commits: CommitStats = { commits: 0, writes: 0, batched: 0, fallbacks: 0 };
  get queued(): number {
    return this.#queue.length;
  }
  /** How many writes a group waits for before it starts (see Cohort). */
  readonly #writers = new Cohort(GATHER_MS, MAX_GROUP);

  readonly #options: EngineOptions;
  /** DuckDB's memory_limit in force, in MB: the serving budget, or an import's when #serve could not lower it. */
  #servingMb = 0;
  readonly trims = { done: 0, putOff: 0, failed: 0 };
  /**
   * Something filled DuckDB's buffers since the last trim: writes, or a download or Parquet export
   * (each reads every row it asks for; the export runs after writes, often after their trim).
   */
  #filled = false;
  #trimTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Connections outside the readers (downloads, Parquet exports): no trim lowers the budget under them. */
  #outside = 0;
  /** Set while a trim's budget is low: such a connection waits for it. */
  #lowBudget: Promise<void> | undefined;
  /** A trim could not set the budget back: the next drain or trim tries first. */
  #budgetLeftLow = false;
  readonly contains = new ContainsFilters(Object.values(CONTAINS_COLUMNS));
  readonly #containsSql: ReturnType<typeof readSql>;
  /** The trigram filters' build running (#buildFilters). */
  #building: Promise<void> | undefined;

  private constructor(path: string, writer: Database, readers: Database[], options: EngineOptions) {
    this.location = path;
    this.#writer = writer;
    this.#readers = readers;
    this.#idle = [...readers];
    this.#options = options;
    this.#containsSql = readSql(options.record, "duckdb");
    const borrow = <T>(fn: (db: Database) => Promise<T>) => this.#borrow(fn);
    // Each reader keeps its prepared statements; a query asked for with { plan: "custom" } (a
    // filter, whose best plan depends on its values) is planned for its values each time.
    this.read = {
      run: (sql, params) => borrow((db) => db.run(sql, params)),
      all: (sql, params, options) => borrow((db) => db.all(sql, params, options)),
      one: (sql, params, options) => borrow((db) => db.one(sql, params, options)),
    };
  }

  static async open(path: string, options: EngineOptions): Promise<DuckDbEngine> {
    const writer = await Database.open(path, { settings: { ...CONTACTS_DUCKDB_SETTINGS, threads: SERVING_THREADS }, statements: WRITER_STATEMENTS });
    const readers: Database[] = [];
    try {
      // With the load's memory at least: a migration may copy the whole table (004, 006).
      await fitMemoryToContacts(writer, CONTACTS_LOAD_MEMORY_MB);
      await migrate(writer, { dir: options.migrationsDir });
      const engine = new DuckDbEngine(path, writer, readers, options);
      await engine.#serve();
      for (let i = 0; i < READ_CONNECTIONS; i++) readers.push(await writer.connect({ statements: READER_STATEMENTS }));
      engine.#idle.push(...readers);
      engine.#buildFilters();
      return engine;
    } catch (error) {
      for (const r of readers) r.close();
      writer.close();
      throw error;
    }
  }

  async *streamSnapshot<T>(fn: (read: StreamRunner) => AsyncIterable<T>): AsyncIterable<T> {
    // A connection of its own for as long as the client reads: a slow download holds no reader.
    const db = await this.#connectOutside();
    try {
      await db.run("BEGIN TRANSACTION");
      try {
        yield* fn(db);
      } finally {
        await db.run("ROLLBACK").catch(() => undefined);
      }
    } finally {
      this.#closeOutside(db);
    }
  }

  readonly withConnection = async <T>(fn: (db: Database) => Promise<T>): Promise<T> => {
    const db = await this.#connectOutside();
    try {
      return await fn(db);
    } finally {
      this.#closeOutside(db);
    }
  };

  /** A connection outside the readers, once no trim has the budget low; counted until #closeOutside. */
  async #connectOutside(): Promise<Database> {
    while (this.#lowBudget !== undefined) await this.#lowBudget;
    this.#outside++;
    try {
      return await this.#writer.connect();
    } catch (error) {
      this.#outside--;
      throw error;
    }
  }

  #closeOutside(db: Database): void {
    this.#outside--;
    db.close();
    this.#filled = true;
    if (this.#draining === undefined && this.#queue.length === 0) this.#trimWhenIdle();
  }

  write<T>(op: WriteOp<T>, committed: (touched: number[]) => void, data?: unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run: op, committed, resolve: resolve as (v: unknown) => void, reject, data });
      this.#writers.arrived(this.#queue.length);
      this.#drain();
    });
  }

  useBatcher(batch: Batcher<unknown>): void {
    this.#batch = batch;
  }

  importCsv(csvPath: string, load: CsvLoad): Promise<IngestSummary> {
    return this.#exclusive(async () => {
      // Rows change wholesale, unrecorded: contains() filters scan until the filters are built again.
      this.contains.invalidate();
      const memoryMb = Math.max(CONTACTS_LOAD_MEMORY_MB, this.#servingMb);
      try {
        await this.#writer.run(`SET memory_limit = '${memoryMb}MiB'`);
        this.#servingMb = memoryMb;
        const summary = await ingestContacts(this.#writer, csvPath, { sourceName: load.sourceName, record: load.record, rejectsFile: load.rejectsFile, memoryMb, signal: load.signal, onCommitted: load.committed });
        await this.#options.afterImportCommit?.();
        return summary;
      } finally {
        // For the contacts there are now; not over the import's own error.
        await this.#serve().catch(() => undefined);
        this.#buildFilters();
      }
    });
  }

  /** Runs `run` with the writer alone, between two write groups. */
  #exclusive<T>(run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ exclusive: true, run, committed: () => {}, resolve: resolve as (v: unknown) => void, reject });
      this.#drain();
    });
  }

  /**
   * Builds the trigram filters in the background (one build at a time: a later one starts when the
   * one before ends, which it abandons if an import came meanwhile):
   * on a connection of its own, from a snapshot started while the writer is held, so every write is
   * either in the snapshot or recorded in the build (ContainsFilters). Until one is done, and if it
   * fails, contains() filters scan every row, as they did before the filters.
   */
  #buildFilters(): void {
    const before = this.#building;
    const building: Promise<void> = (async () => {
      await before;
      if (this.#closed) return;
      // Never rejects: nobody awaits a build but close().
      const db = await this.#connectOutside().catch(() => undefined);
      if (db === undefined) return;
      let build: Build | undefined;
      try {
        build = await this.#exclusive(async () => {
          await db.run("BEGIN TRANSACTION");
          return this.contains.begin(Number((await db.one<{ id: number }>(this.#containsSql.maxId))?.id ?? 0));
        });
        for await (const rows of db.stream(this.#containsSql.containsAll, [])) {
          if (this.#closed || !this.contains.current(build)) return;
          this.contains.fill(build, rows);
        }
        this.contains.finish(build);
      } catch {
        // Not built: the filters stay out of use (after an import) until the next import builds them again.
        this.contains.abandon(build);
      } finally {
        await db.run("ROLLBACK").catch(() => undefined);
        this.#closeOutside(db);
      }
    })();
    const tracked: Promise<void> = building.finally(() => {
      if (this.#building === tracked) this.#building = undefined;
    });
    this.#building = tracked;
  }

  /**
   * Records in the trigram filters the rows a write group stored, before its COMMIT: those the
   * writes returned, and the others it touched read back (a delete's: none). Reading them all back
   * cost POSTs 15-35% (690-700 against 805-948 req/s, alternating, at 1M contacts).
   */
  async #recordWritten(touched: readonly number[], stored: readonly Row[]): Promise<void> {
    if (touched.length === 0 || !this.contains.recording) return;
    this.contains.record(stored);
    const have = new Set(stored.map((row) => Number(row.id)));
    const missing = touched.filter((id) => !have.has(id));
    if (missing.length > 0) this.contains.record(await this.#writer.all(this.#containsSql.containsByIds, [missing]));
  }

  /**
   * DuckDB's memory for serving the contacts there are now (a metadata count: no scan). Lowering it
   * fails while DuckDB holds more than the new limit (after a big import, until its checkpoint):
   * then once more after a CHECKPOINT, and if that fails too the larger budget stays, and is what
   * the next import starts from.
   */
  async #serve(): Promise<void> {
    const contacts = Number((await this.#writer.one<{ n: number }>(CONTACTS_COUNT))?.n ?? 0);
    const mb = servingMb(contacts, this.#options);
    const set = () => this.#writer.run(`SET memory_limit = '${mb}MiB'`);
    await set().catch(async () => {
      await this.#writer.run("CHECKPOINT");
      await set();
    });
    this.#servingMb = mb;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#trimTimer);
    // A build still reading stops at its next chunk; one not started yet, at once.
    while (this.#building !== undefined) await this.#building;
    while (this.#draining !== undefined) await this.#draining;
    for (const r of this.#readers) r.close();
    this.#writer.close();
  }

  #drain(): void {
    this.#draining ??= (async () => {
      try {
        while (this.#queue.length > 0) {
          this.#filled = true;
          if (this.#budgetLeftLow) await this.#restoreBudget(this.#servingMb).catch(() => undefined);
          const head = this.#queue[0];
          if (head.exclusive) {
            this.#queue.shift();
            await head.run(this.#writer, { touch() {} }).then(head.resolve, head.reject);
            continue;
          }
          await this.#writers.gather(() => this.#queue.length);
          const end = this.#queue.findIndex((p, i) => p.exclusive || i >= MAX_GROUP);
          const group = this.#queue.splice(0, end === -1 ? this.#queue.length : end);
          this.#writers.started(group.length, this.#queue.length);
          try {
            await this.#commitGroup(group);
          } finally {
            this.#writers.finished(group.length);
          }
        }
      } finally {
        this.#draining = undefined;
        this.#trimWhenIdle();
      }
    })();
  }

  /** After writes (or a download or export), a trim once the writer has been idle for idleTrimMs (IDLE_TRIM_MS). */
  #trimWhenIdle(): void {
    clearTimeout(this.#trimTimer);
    if (!this.#filled || this.#closed) return;
    this.#trimTimer = setTimeout(() => {
      // A write came meanwhile: the end of its drain sets the timer again.
      if (this.#draining !== undefined || this.#queue.length > 0 || this.#closed) return;
      // Held as a drain, so writes queue behind the trim.
      this.#draining = this.#trim()
        // Setting the budget back failed three times (raising it has never failed): counted, and
        // tried again before the next write and by the trim after the next quiet spell.
        .catch(() => {
          this.trims.failed++;
          this.#budgetLeftLow = true;
          this.#filled = true;
        })
        .finally(() => {
          this.#draining = undefined;
          if (this.#queue.length > 0) this.#drain();
          else this.#trimWhenIdle();
        });
    }, this.#options.idleTrimMs ?? IDLE_TRIM_MS);
    this.#trimTimer.unref();
  }

  /**
   * Gives back what writes left in memory (see IDLE_TRIM_MS): a checkpoint, then, with every reader
   * idle and held and no other connection open, the budget lowered to TRIM_MB and set back. Put off
   * to the next quiet spell when DuckDB cannot checkpoint (a read transaction older than the last
   * write) or anything is reading: a lower budget would fail its query. Readers are not waited
   * for: one may be held by a snapshot that waits for a write, which waits for this.
   */
  async #trim(): Promise<void> {
    this.#filled = false;
    const putOff = () => {
      this.#filled = true;
      this.trims.putOff++;
    };
    // Raising the budget is safe under running reads.
    if (this.#budgetLeftLow) await this.#restoreBudget(this.#servingMb);
    if (this.#outside > 0) return putOff();
    try {
      await this.#writer.run("CHECKPOINT");
    } catch {
      return putOff();
    }
    // Set back to the serving budget of the contacts there are: with its buffers dropped, DuckDB can
    // take it even after an import whose #serve could not lower the budget.
    const serving = servingMb(Number((await this.#writer.one<{ n: number }>(CONTACTS_COUNT))?.n ?? 0), this.#options);
    if (this.#outside > 0 || this.#idle.length < this.#readers.length) return putOff();
    // Taken at once: reads asked for from now on wait in #waiting until the budget is back.
    const held = this.#idle.splice(0);
    try {
      let lifted!: () => void;
      this.#lowBudget = new Promise<void>((resolve) => (lifted = resolve));
      try {
        // Lowering fails when DuckDB cannot drop enough; what it dropped stays dropped.
        await this.#writer.run(`SET memory_limit = '${Math.min(TRIM_MB, serving)}MiB'`).catch(() => undefined);
      } finally {
        try {
          await this.#restoreBudget(serving);
        } finally {
          this.#lowBudget = undefined;
          lifted();
        }
      }
      this.trims.done++;
    } finally {
      for (const db of held) this.#release(db);
    }
  }

  /**
   * One transaction for the whole group: set-based through the batcher when every write has a data
   * form, else each write's own statements; on an unexpected failure, each write alone.
   */
  async #commitGroup(group: Pending[]): Promise<void> {
    const outcomes: { ok: boolean; value: unknown }[] = [];
    const touched: number[] = [];
    const stored: Row[] = [];
    const ctx: WriteContext = {
      touch: (id, row) => {
        touched.push(id);
        if (row !== undefined) stored.push(row);
      },
    };
    if (group.length > 1 && this.#batch !== undefined && group.every((p) => p.data !== undefined)) {
      try {
        await this.#writer.run("BEGIN TRANSACTION");
        const results = await this.#batch(this.#writer, ctx, group.map((p) => p.data));
        await this.#recordWritten(touched, stored);
        await this.#commit();
        answerGroup(this.commits, group, touched, results);
        return;
      } catch (error) {
        // Counted in /metrics (relaciones_contacts_commit_fallbacks_total); the first reason goes
        // to the log, for whoever follows that counter up: the set-based path should not fail.
        if (this.commits.fallbacks === 0) warnFallback(error);
        // Whatever the batcher did not foresee: roll back and let each write run its own statements.
        await this.#writer.run("ROLLBACK").catch(() => {});
        touched.length = 0;
        stored.length = 0;
        this.commits.fallbacks++;
      }
    }
    try {
      await this.#writer.run("BEGIN TRANSACTION");
      for (const p of group) {
        try {
          outcomes.push({ ok: true, value: await p.run(this.#writer, ctx) });
        } catch (error) {
          // A refusal is thrown before its write changed anything: the others go on.
          if (!isRefusal(error) || group.length === 1) throw error;
          outcomes.push({ ok: false, value: error });
        }
      }
      await this.#recordWritten(touched, stored);
      await this.#commit();
      this.commits.commits++;
      this.commits.writes += group.length;
    } catch (error) {
      await this.#writer.run("ROLLBACK").catch(() => {});
      if (group.length === 1) {
        group[0].reject(error);
        return;
      }
      for (const p of group) await this.#commitGroup([p]);
      return;
    }
    // Acknowledged only now, after the commit that holds them; the store forgets stale reads first.
    committedOnce(group, touched);
    group.forEach((p, i) => (outcomes[i].ok ? p.resolve(outcomes[i].value) : p.reject(outcomes[i].value)));
  }

  /** A write group's COMMIT, refused as a full disk's before it is tried when the disk has less than COMMIT_RESERVE_BYTES free. */
  async #commit(): Promise<void> {
    const dir = dirname(this.location);
    let free = Infinity;
    try {
      const { bavail, bsize } = statfsSync(dir);
      free = bavail * bsize;
    } catch {
      // No answer about the disk: the COMMIT says.
    }
    if (free < COMMIT_RESERVE_BYTES) {
      // Worded as the file system's own error, so it is answered as one (duckDbFailure: "disk-full").
      throw new Error(`No space left on device: ${dir} has ${free} bytes free, fewer than the ${COMMIT_RESERVE_BYTES} kept for a COMMIT; nothing was written`);
    }
    await this.#writer.run("COMMIT");
  }

  snapshot<T>(fn: (read: SqlRunner) => Promise<T>): Promise<T> {
    return this.#borrow((db) => db.transaction(fn));
  }

  /** Sets the budget to `mb` after a trim's instant at TRIM_MB; three tries. */
  async #restoreBudget(mb: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#writer.run(`SET memory_limit = '${mb}MiB'`);
        this.#servingMb = mb;
        this.#budgetLeftLow = false;
        return;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }

  async #borrow<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    const db = this.#idle.pop() ?? (await new Promise<Database>((resolve) => this.#waiting.push(resolve)));
    try {
      return await fn(db);
    } finally {
      this.#release(db);
    }
  }

  #release(db: Database): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next(db);
    else this.#idle.push(db);
  }
}

/**
 * PostgreSQL: contacts this process writes between two merges of the trigram indexes' pending
 * lists (GIN_PENDING_CLEANUP), run in the background on a pooled connection. Each write adds its
 * row to both lists (PostgreSQL's fastupdate); every `q` and `company` search reads them whole,
 * and the writer that finds one past 4 MB merges it inside its request (~0.65 s at 1M contacts).
 * A thousand rows merge in ~10 ms, and searches then read a few pages at most.
 */
const GIN_MERGE_EVERY = 1_000;

/** PostgreSQL: the most groups of point reads running at once (PostgresEngine.pointReadGroups). */
const POINT_READ_GROUPS = 2;

class PostgresEngine implements Engine {
  readonly dialect = "postgres" as const;
  // Groups of point reads running at once, one statement each: two (one with a pool of 2 or 3), so
  // lists and writes find connections while point reads stream in, and the reads arriving meanwhile
  // make the next groups larger. With the point file most groups are one light statement (ids and
  // versions), and fewer, larger groups answered more: in a load driver alternating them (802,649
  // contacts, 32 connections), 13,805-18,226 reads/s with two against 8,553-12,090 with eight (half
  // the pool, as before), 12,265-15,189 with four and 13,171-16,452 with one. Without the file
  // (whole rows) one, two or five had measured alike.
  readonly pointReadGroups: number;
  readonly commits: CommitStats = { commits: 0, writes: 0, batched: 0, fallbacks: 0 };
  readonly location: string;
  readonly read: SqlRunner;
  readonly ginMerges = { done: 0, failed: 0 };
  readonly #pg: PostgresDatabase;
  readonly #table: string;
  readonly #mergeEvery: number;
  readonly #importLockWaitMs: number | undefined;
  /** SET LOCAL for the write transactions in the PG_WRITE_GROUPS slots; undefined when the session's lock wait is no longer. */
  readonly #slotLockWait: string | undefined;
  #sinceMerge = 0;
  #merging = false;
  readonly #queue: Pending[] = [];
  #groupsRunning = 0;
  #batch: Batcher<unknown> | undefined;
  #warnedFallback = false;

  get queued(): number {
    return this.#queue.length;
  }

  private constructor(pg: PostgresDatabase, options: EngineOptions) {
    this.#pg = pg;
    this.pointReadGroups = Math.max(1, Math.min(POINT_READ_GROUPS, Math.floor((options.pgPoolSize ?? PG_POOL_SIZE) / 2)));
    this.read = pg;
    this.location = withoutPassword(pg.url);
    this.#table = options.record.table;
    this.#mergeEvery = options.ginMergeEvery ?? GIN_MERGE_EVERY;
    this.#importLockWaitMs = options.pgImportLockWaitMs;
    const slotWaitMs = Math.trunc(options.pgSlotLockWaitMs ?? PG_SLOT_LOCK_WAIT_MS);
    this.#slotLockWait = slotWaitMs < (options.pgLockTimeoutMs ?? PG_LOCK_TIMEOUT_MS) ? `SET LOCAL lock_timeout = '${slotWaitMs}ms'` : undefined;
  }

  snapshot<T>(fn: (read: SqlRunner) => Promise<T>): Promise<T> {
    return fn(this.read);
  }

  static async open(url: string, options: EngineOptions): Promise<PostgresEngine> {
    // Bounded waits: a request behind a row lock held elsewhere (an analyst's open transaction, a
    // load's index rebuild) gives its pooled connection back with a 503 instead of holding it and,
    // once all 16 wait, every request of the process, /readyz included. Loads and migrations lift both.
    const pg = await PostgresDatabase.connect(url, {
      max: options.pgPoolSize ?? PG_POOL_SIZE,
      applicationName: "relaciones-api",
      lockTimeoutMs: options.pgLockTimeoutMs ?? PG_LOCK_TIMEOUT_MS,
      statementTimeoutMs: options.pgStatementTimeoutMs ?? PG_STATEMENT_TIMEOUT_MS,
    });
    try {
      // Another session's lock is waited for as an import's is (pgImportLockWaitMs), then start-up fails `database-locked`.
      await migratePostgres(pg, { dir: options.postgresMigrationsDir, lockWaitMs: options.pgImportLockWaitMs });
      return new PostgresEngine(pg, options);
    } catch (error) {
      await pg.close();
      throw error;
    }
  }

  streamSnapshot<T>(fn: (read: StreamRunner) => AsyncIterable<T>): AsyncIterable<T> {
    return fn(this.#pg);
  }

  useBatcher(batch: Batcher<unknown>): void {
    this.#batch = batch;
  }

  write<T>(op: WriteOp<T>, committed: (touched: number[]) => void, data?: unknown): Promise<T> {
    if (data === undefined || this.#batch === undefined) return this.#alone(op, committed);
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run: op, committed, resolve: resolve as (v: unknown) => void, reject, data });
      this.#startGroups();
    });
  }

  /** Starts groups of the queued writes while fewer than PG_WRITE_GROUPS run. */
  #startGroups(): void {
    while (this.#groupsRunning < PG_WRITE_GROUPS && this.#queue.length > 0) {
      const group = this.#queue.splice(0, PG_MAX_GROUP);
      this.#groupsRunning++;
      void this.#commitGroup(group).then((again) => {
        this.#groupsRunning--;
        this.#startGroups();
        // Outside the slots, each in a transaction of its own (the pool bounds them).
        for (const p of again) this.#alone(p.run, p.committed).then(p.resolve, p.reject);
      });
    }
  }

  /**
   * One transaction for the group, set-based through the batcher, or for its one write. Resolves with
   * the writes to run again one by one outside the slots (never rejects): a group that failed (a
   * unique key or a row another process took meanwhile, a deadlock, a lock not granted within
   * PG_SLOT_LOCK_WAIT_MS), or a write alone that waited that long for a lock. Not a group whose
   * COMMIT's answer was lost: each of its writes fails as a write alone would (503).
   */
  async #commitGroup(group: Pending[]): Promise<Pending[]> {
    if (group.length === 1) {
      const [p] = group;
      try {
        p.resolve(await this.#alone(p.run, p.committed, { inSlot: true }));
      } catch (error) {
        // A lock not granted within the slot's wait (55P03): waited for again outside it.
        if (postgresErrorOf(error)?.code === "55P03" && this.#slotLockWait !== undefined) return group;
        p.reject(error);
      }
      return [];
    }
    const touched: number[] = [];
    const ctx: WriteContext = { touch: (id) => void touched.push(id) };
    // Set once every statement has run: what fails after that is the COMMIT.
    let statementsDone = false;
    try {
      const results = await this.#inSlot(async (tx) => {
        const results = await this.#batch!(tx, ctx, group.map((p) => p.data));
        statementsDone = true;
        return results;
      });
      this.#written(touched.length);
      answerGroup(this.commits, group, touched, results);
      return [];
    } catch (error) {
      // A COMMIT whose answer was lost (the connection gone, or no answer in time) may have
      // committed: run again, the writes would meet themselves (a POST's own e-mail a 409, a PUT's
      // If-Match a 412) or apply twice (a PATCH). Each gets the failure, as a write alone does
      // (503). A COMMIT the server refused, or a failure before it, wrote nothing: the writes can
      // run again.
      if (statementsDone && isDatabaseUnavailable(error)) {
        for (const p of group) p.reject(error);
        return [];
      }
      // Rolled back: each write runs again alone, and meets the conflict as a write alone does
      // (the store's retry after a unique key taken meanwhile, its 409 or 503). Another process's
      // commit, or the database busy or gone, is to be expected; anything else the batcher should
      // have foreseen: its first reason goes to the log, as on DuckDB.
      const expected = isUniqueViolation(error) || isTransientConflict(error) || isDatabaseBusy(error) || isDatabaseUnavailable(error);
      if (!expected && !this.#warnedFallback) {
        this.#warnedFallback = true;
        warnFallback(error);
      }
      this.commits.fallbacks++;
      return group;
    }
  }

  /** `fn` in a transaction that waits for a lock no longer than PG_SLOT_LOCK_WAIT_MS (its SET LOCAL sent with fn's first statement). */
  #inSlot<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.#pg.transaction(async (tx) => {
      if (this.#slotLockWait === undefined) return fn(tx);
      const shortWait = tx.run(this.#slotLockWait);
      // Its failure fails fn's statements too (the transaction is aborted); reported after them.
      shortWait.catch(() => {});
      const value = await fn(tx);
      await shortWait;
      return value;
    });
  }

  /** A write in its own transaction (in one of the slots: its lock wait short, #inSlot). */
  async #alone<T>(op: WriteOp<T>, committed: (touched: number[]) => void, options: { inSlot?: boolean } = {}): Promise<T> {
    const touched: number[] = [];
    const run = (tx: SqlRunner) => op(tx, { touch: (id) => touched.push(id) });
    const value = await (options.inSlot ? this.#inSlot(run) : this.#pg.transaction(run));
    this.commits.commits++;
    this.commits.writes++;
    tellCommitted(committed, touched);
    this.#written(touched.length);
    return value;
  }

  /** Counts written contacts towards the next merge of the trigram indexes' pending lists, and starts it when due. */
  #written(contacts: number): void {
    this.#sinceMerge += contacts;
    if (this.#sinceMerge >= this.#mergeEvery && !this.#merging) {
      this.#sinceMerge = 0;
      // Not awaited: no request waits for it. It gives up after a second waiting for a lock
      // (another process's load rebuilding the indexes holds them for its whole transaction, and
      // the merge would hold a pooled connection meanwhile). A failure is counted; the next
      // thousand writes try again.
      this.#merging = true;
      void this.#pg
        .transaction(async (tx) => {
          await tx.run("SET LOCAL lock_timeout = '1s'");
          await tx.all(GIN_PENDING_CLEANUP, [this.#table]);
        })
        .then(() => void this.ginMerges.done++, () => void this.ginMerges.failed++)
        .finally(() => (this.#merging = false));
    }
  }

  importCsv(csvPath: string, load: CsvLoad): Promise<IngestSummary> {
    // Its waiting lines (who holds the lock) go to stderr, the API's log, as the ETL's do.
    return ingestContactsPostgres(this.#pg, csvPath, {
      sourceName: load.sourceName,
      record: load.record,
      rejectsFile: load.rejectsFile,
      workDir: load.workDir,
      lockWaitMs: this.#importLockWaitMs,
      signal: load.signal,
    });
  }

  close(): Promise<void> {
    // A merge still running is not waited for: it may wait on another process's load for as long
    // as that runs. The pool's close ends it (counted as failed); nothing depends on it.
    return this.#pg.close();
  }
}

/** A group committed set-based: counted, its commit told to the store, each write answered with its outcome. */
function answerGroup(commits: CommitStats, group: readonly Pending[], touched: number[], outcomes: Awaited<ReturnType<Batcher<unknown>>>): void {
  commits.commits++;
  commits.writes += group.length;
  commits.batched++;
  committedOnce(group, touched);
  group.forEach((p, i) => {
    const r = outcomes[i];
    if (r.ok) p.resolve(r.value);
    else p.reject(r.error);
  });
}

/** Logs why a group of writes ran one write at a time: counted in /metrics (relaciones_contacts_commit_fallbacks_total), explained once here. */
function warnFallback(error: unknown): void {
  process.emitWarning(`A group of contact writes ran one write at a time instead: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`, { code: "RELACIONES_WRITE_GROUP_FALLBACK" });
}

/**
 * Tells a group's commit to each distinct `committed` of its writes once: the store's writes share
 * one, which forgets what the commit touched (and moves the generation on) once a commit, not once
 * a write of it.
 */
function committedOnce(group: readonly { committed: (touched: number[]) => void }[], touched: number[]): void {
  for (const committed of new Set(group.map((p) => p.committed))) tellCommitted(committed, touched);
}

/**
 * Calls `committed(touched)` once a commit is done. The writes are committed whatever it throws: a
 * throw is a warning (RELACIONES_COMMIT_LISTENER), never their failure, nor, caught as a group's
 * failure, a reason to run them a second time (a POST meeting its own e-mail, a PATCH applied twice).
 */
export function tellCommitted(committed: (touched: number[]) => void, touched: number[]): void {
  try {
    committed(touched);
  } catch (error) {
    process.emitWarning(`Told of a commit, a listener failed (the writes stand): ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`, { code: "RELACIONES_COMMIT_LISTENER" });
  }
}
