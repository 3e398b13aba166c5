/**
 * The contacts database behind the API, on DuckDB (`contacts.duckdb`, the embedded default) or
 * PostgreSQL (`DATABASE_URL`). Reads are SQL: keyset pages, filters, counts and `q` run in the
 * database, and only byte-bounded LRUs are kept in memory (hot point reads, contact JSON + ETag; on
 * DuckDB also list answers until the next commit), so start-up reads nothing and memory does not
 * grow with the table. Writes run the same statements on both backends (etl/contacts/contact_sql.ts);
 * how they commit is the engine's business (contacts_engines.ts): group commit through one writer on
 * DuckDB, and through two transactions at once on a pool on PostgreSQL, where several API processes
 * may write at once.
 */
import { createHash } from "node:crypto";
import {
  CONTACT_DELETE,
  CONTACT_LOCK_POSTGRES,
  CONTACTS_LOCK_POSTGRES,
  WRITE_KEYS_LOCK_POSTGRES,
  contactRecord,
  contactsExportIsCurrent,
  exportContacts,
  exportFailure,
  CONTACTS_COUNT,
  CONTACTS_PROBE,
  DATABASE_PING,
  CONTAINS_COLUMNS,
  DEPARTMENT_BY_NAME,
  DEPARTMENT_DELETE,
  DEPARTMENT_INSERT,
  DEPARTMENT_USE,
  DEPARTMENTS_ALL,
  DEPARTMENTS_WITH_COUNTS,
  IDEMPOTENCY_GET,
  IDEMPOTENCY_INSERT,
  IDEMPOTENCY_EXPIRED_ANY,
  IDEMPOTENCY_PURGE_BATCH,
  IDEMPOTENCY_PURGE_SOME,
  LINK_NAMES,
  LINKS_DELETE,
  LINKS_INSERT,
  readSql,
  recordSql,
  WRITE_CHECK,
  writeBump,
  type ContactInput,
  type ContactsExportResult,
  type FieldFix,
  type IdRanges,
  type ListFilters,
  type ListSort,
  type RecordDefinition,
  type RecordSql,
} from "../../etl/contacts/mod.ts";
import type { IngestSummary } from "../../etl/handover/mod.ts";
import { LoadStopped } from "../../etl/runs/mod.ts";
import { isTransientConflict, isUniqueViolation, type SqlRunner } from "../../etl/db/mod.ts";
import { combineSignals } from "../../etl/files/mod.ts";
import { fold } from "../../etl/text/mod.js";
import { join } from "node:path";
import { openEngine, tellCommitted, type CommitStats, type Engine, type StreamRunner, type WriteContext } from "./contacts_engines.ts";
import { ByteLru } from "./byte_lru.ts";
import { KeptAnswers } from "./kept_answers.ts";
import { PointFile, type PointBody, type PointBuild, type PointFileStats, type PointRow } from "./point_file.ts";
import { covers } from "./trigram_blocks.ts";
import { Cohort } from "./cohort.ts";

/** A contact as the API shows it. */
export interface ContactView {
  id: number;
  first_name: string;
  last_name: string;
  company_name: string | null;
  address: string | null;
  city: string | null;
  state: string | null;
  zip: string | null;
  phone1: string | null;
  phone2: string | null;
  email: string;
  departments: string[];
  created_at: string;
  updated_at: string;
  [field: string]: unknown;
}

/** One contact as served: its view, version, ETag and serialised JSON. */
export interface ContactEntry {
  view: ContactView;
  version: number;
  etag: string;
  json: string;
  /** `json` as UTF-8 bytes, encoded once instead of per request. */
  bytes: Buffer;
}

/** A stored Idempotency-Key answer: replayed exactly as first sent, ETag included. */
export interface IdempotentResult {
  fingerprint: string;
  status: number;
  location: string | null;
  body: string;
  /** null for answers stored before ETags were kept: replayed without one. */
  etag: string | null;
}

/** What a refused write is; the HTTP layer maps these to 404/409/412. */
export type ContactWriteCode = "not-found" | "duplicate-email" | "stale" | "department-in-use" | "too-many-new-departments";

/** A write refused by a rule (not a failure): thrown before the write changed anything. */
export class ContactWriteError extends Error {
  override readonly name = "ContactWriteError";
  constructor(
    readonly code: ContactWriteCode,
    message: string,
  ) {
    super(message);
  }
}

/** One of a record's sortFields() in etl/contacts (`GET /contacts?sort=`, prefix `-` for descending). */
export type SortField = string;

/** A sort key of a page's last row (the cursor): the sorted value, then the id. */
export type PageKey = [string | number, number];

/** The contacts database as the plain tables use it (ContactsStore.tableDatabase). */
export interface TableDatabase {
  readonly dialect: "duckdb" | "postgres";
  /** Reads of committed data. */
  readonly read: SqlRunner;
  /** Runs `op` in a transaction of its own; a ContactWriteError it throws is a refusal, nothing written. */
  write<T>(op: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * What `fn` yields for a CSV download, on a connection of its own: on DuckDB in one read
   * transaction (so statements after the first see the same snapshot), on PostgreSQL from the pool
   * (one statement, `stream`, is one snapshot). Undefined when the downloads bound (`maxDownloads`,
   * shared with contacts) is taken, as ContactsStore.download().
   */
  download<T>(fn: (read: StreamRunner) => AsyncIterable<T>): AsyncIterable<T> | undefined;
}

/** How to open the store; everything defaults to what ships. */
export interface ContactsStoreOptions {
  /** The record definition the API validates, stores and shows; default contactRecord. */
  record?: RecordDefinition;
  /** Folder of the DuckDB migrations; default etl/contacts/migrations. */
  migrationsDir?: string;
  /** Folder of the PostgreSQL migrations; default etl/contacts/migrations/postgres. */
  postgresMigrationsDir?: string;
  /** `postgres://...`: contacts live in PostgreSQL instead of `<data dir>/contacts.duckdb`. */
  databaseUrl?: string;
  /**
   * Bytes of contact JSON kept (default 32 MiB). On DuckDB this process is the only writer and knows
   * exactly when an entry goes stale: point reads and pages use what it holds. On PostgreSQL other
   * processes write too: a point read always asks the database, and a page uses a kept contact only
   * when its query found the same version (every change to a contact bumps its version).
   */
  cacheBytes?: number;
  /**
   * Keep every contact's JSON in a file for point reads and pages (point_file.ts), built in the
   * background after start-up and after each import: on DuckDB `<data dir>/contacts.points/`; on
   * PostgreSQL one per process under `<data dir>/contacts.points.pg/`, whose records are served only
   * at the version the database has (other processes write). Default: on when `cacheBytes` is not 0.
   */
  pointFile?: boolean;
  /** For tests: runs once a build of the point file has taken its snapshot, before it writes a row. */
  beforePointFill?: () => Promise<void>;
  /** For tests (DuckDB): runs once an import has committed, before the store hears of it. */
  afterImportCommit?: () => Promise<void>;
  /**
   * Bytes of list answers kept (default 4 MiB; DuckDB only, and none when `cacheBytes` is 0): the
   * ids and sort keys of pages and the counts asked since the last commit.
   */
  answerBytes?: number;
  /** How long, at most, a group of point reads waits for the reads it expects, in ms (default 2; see Cohort). */
  pointGatherMs?: number;
  /** DuckDB's memory while serving, in MB (default: by the number of contacts, etl/contacts servingMemoryMb). */
  duckdbMemoryMb?: number;
  /** How long DuckDB's writer stays idle after writes before memory is given back, in ms (default 10 s, IDLE_TRIM_MS). */
  idleTrimMs?: number;
  /** PostgreSQL: contacts written between two merges of the trigram indexes' pending lists (default 1,000, GIN_MERGE_EVERY). */
  ginMergeEvery?: number;
  /** PostgreSQL: how long a request waits for a lock before its 503 (default 5 s, PG_LOCK_TIMEOUT). */
  pgLockTimeoutMs?: number;
  /** PostgreSQL: how long a write waits for a lock in one of the process's two write transactions before it waits outside them (default 1 s, PG_SLOT_LOCK_WAIT_MS); tests that hold both set it high. */
  pgSlotLockWaitMs?: number;
  /** PostgreSQL: how long a request's statement may run before its 503 (default 30 s, PG_STATEMENT_TIMEOUT). */
  pgStatementTimeoutMs?: number;
  /** PostgreSQL: connections this process may open at once (default 16, PG_POOL_SIZE). */
  pgPoolSize?: number;
  /** CSV downloads of contacts that may run at once (default 4, MAX_DOWNLOADS); download() refuses more. */
  maxDownloads?: number;
  /** PostgreSQL: how long an import (503 `database-locked`), and the migrations at start-up, wait for another session's lock (default 5 min). */
  pgImportLockWaitMs?: number;
  /** How often Idempotency-Keys older than 24 h are purged while the API runs, in ms, besides once right after open (default 1 h, IDEMPOTENCY_PURGE_EVERY_MS; 0: never, for tests that call purgeIdempotencyKeys() themselves). */
  idempotencyPurgeMs?: number;
  /** PostgreSQL: how long a kept count (a list's total, GET /departments) is served, other processes' writes unseen: this (default 5 s, COUNTS_KEPT_MS) or 20 times as long as it took to count when that is longer, a minute at most (COUNTS_KEPT_MAX_MS); this process's commits drop it at once. */
  countsKeptMs?: number;
}

/** A department and how many contacts link to it (GET /departments). */
export type DepartmentCount = { id: number; name: string; contacts: number };

/** What the point-read cache holds. */
export interface CacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
}

/**
 * The contacts database of a running API.
 *
 * @example
 * ```ts
 * const store = await ContactsStore.open("data");
 * const { entry } = await store.create({ first_name: "Ann", last_name: "Lee", email: "a@b.co", departments: ["Sales"] });
 * (await store.get(entry.view.id))?.etag; // '"1"'
 * await store.close();
 * ```
 */
export class ContactsStore {
  /** The record definition every write is validated against and every read shows. */
  readonly record: RecordDefinition;
  readonly #engine: Engine;
  readonly #sql: RecordSql;
  readonly #reads: ReturnType<typeof readSql>;
  readonly #fields: readonly string[];
  readonly #cache: ByteLru<number, ContactEntry>;
  /** Whether a kept entry is current without asking (DuckDB: this process is the only writer). */
  readonly #trustCache: boolean;
  readonly #maxDownloads: number;
  /** The most names a write may give that are no department yet (the definition's links.maxNew). */
  readonly #maxNewDepartments: number;
  #downloads = 0;
  /**
   * Answers of list queries (the ids and sort keys of a page, a count, the departments' counts) by
   * statement and values, DuckDB only like the point cache: a dashboard asks for the same first
   * pages and counts again and again, and each is a scan of the table. Emptied by every commit.
   */
  readonly #answers: KeptAnswers;
  /**
   * The counts' answers (a list's total, the departments'): on DuckDB `#answers`; on PostgreSQL kept
   * too, but for COUNTS_KEPT_MS or 20 times as long as each took to count (the longer, a minute at
   * most), as other processes' commits are not heard. Counting
   * there scans every match: the dashboard's first page, `count=true` over 802k contacts, was 2
   * requests a second at 32 connections (p50 2.7 s).
   */
  readonly #counts: KeptAnswers;
  /** The point reads waiting for the next turn of the event loop, read together then. */
  #pointBatch: PointBatch | undefined;
  /** Groups of point reads not yet started, and how many are running. */
  readonly #pointWaiting: PointBatch[] = [];
  #pointFetches = 0;
  /** How many point reads a group waits for before it starts (see Cohort). */
  readonly #pointCohort: Cohort;
  /** A group is waiting for its cohort: no other starts meanwhile. */
  #pointGathering = false;
  readonly #pointReads = { misses: 0, fetches: 0 };
  /** Bumped after every commit: a read that began before it does not fill the cache. */
  #generation = 0;
  /** Every contact's JSON on disk (DuckDB; point_file.ts); undefined when off. */
  readonly #points: PointFile | undefined;
  /** The point file's build running now, if any. */
  #pointsBuilding: Promise<void> | undefined;
  #pointsStarted = false;
  readonly #beforePointFill: (() => Promise<void>) | undefined;
  /** What each write tells the engine to call after the commit that holds it: one function, so a group's commit calls it once. */
  readonly #committed = (touched: number[]) => this.#afterCommit(touched);
  /** Told after every commit (the Parquet export's trigger). */
  readonly #commitListeners = new Set<() => void>();
  readonly #purgeTimer: NodeJS.Timeout | undefined;
  /** The purge of old Idempotency-Keys running now, if any. */
  #purging: Promise<void> | undefined;
  #closed = false;
  /** Aborted by stopImports(): the imports running or still to come stop before their COMMIT. */
  readonly #stopping = new AbortController();

  private constructor(engine: Engine, record: RecordDefinition, options: ContactsStoreOptions, points: PointFile | undefined) {
    const cacheBytes = options.cacheBytes ?? 32 * 1024 * 1024;
    this.#engine = engine;
    this.record = record;
    this.#sql = recordSql(record);
    this.#reads = readSql(record, engine.dialect);
    this.#fields = record.fields.map((f) => f.name);
    this.#cache = new ByteLru(cacheBytes);
    this.#trustCache = engine.dialect === "duckdb";
    this.#maxDownloads = options.maxDownloads ?? MAX_DOWNLOADS;
    this.#maxNewDepartments = record.links?.maxNew ?? Infinity;
    this.#answers = new KeptAnswers(cacheBytes > 0 && this.#trustCache ? (options.answerBytes ?? ANSWER_BYTES) : 0);
    // The departments' answer among them, 48 bytes and a name a department: the list answers'
    // budget, not a few counts' (thousands of departments would not fit in 256 KiB, and went unkept).
    this.#counts = this.#trustCache
      ? this.#answers
      : new KeptAnswers(cacheBytes > 0 ? (options.answerBytes ?? ANSWER_BYTES) : 0, { minAgeMs: options.countsKeptMs ?? COUNTS_KEPT_MS, maxAgeMs: COUNTS_KEPT_MAX_MS });
    this.#pointCohort = new Cohort(options.pointGatherMs ?? POINT_GATHER_MS, MAX_POINT_BATCH);
    engine.useBatcher((tx, ctx, writes) => this.#applyBatch(tx, ctx, writes as readonly WriteData[]));
    this.#points = points;
    this.#beforePointFill = options.beforePointFill;
    const purgeEvery = options.idempotencyPurgeMs ?? IDEMPOTENCY_PURGE_EVERY_MS;
    if (purgeEvery > 0) {
      this.#purgeTimer = setInterval(() => void this.purgeIdempotencyKeys(), purgeEvery);
      this.#purgeTimer.unref();
    }
    // The keys that expired while no API ran, in the background and in batches as every purge: one
    // DELETE in the engine's open had to finish before the API served, so a weekend's backlog (a
    // day at 500 POSTs a second is 43M keys) could outlast PostgreSQL's statement timeout and fail
    // every start, and a lock held on the keys' table by another session failed it too.
    if (purgeEvery > 0) void this.purgeIdempotencyKeys();
    // DuckDB builds in a thread of its own; on PostgreSQL this process writes every contact's JSON,
    // so the build waits for startPointBuild(), once the API is up (it slowed start-up by ~0.5 s).
    if (engine.dialect === "duckdb") this.startPointBuild();
  }

  /**
   * Starts building the point file in the background, once (later builds follow imports): at open
   * on DuckDB; on PostgreSQL when the server listens (api/server.ts), or never for a store without
   * one, whose point reads then ask the database and keep what they read.
   */
  startPointBuild(): void {
    if (this.#pointsStarted) return;
    this.#pointsStarted = true;
    this.#buildPoints();
  }

  /**
   * Opens the contacts database for `dataDir` (or `options.databaseUrl`), migrating it and purging
   * Idempotency-Keys older than 24 h. Reads no contact.
   */
  static async open(dataDir: string, options: ContactsStoreOptions = {}): Promise<ContactsStore> {
    const record = options.record ?? contactRecord;
    const engine = await openEngine(dataDir, { ...options, record });
    let points: PointFile | undefined;
    if (options.pointFile ?? (options.cacheBytes ?? 1) > 0) {
      try {
        points = engine.dialect === "duckdb" ? PointFile.open(join(dataDir, "contacts.points")) : PointFile.openForProcess(join(dataDir, "contacts.points.pg"));
      } catch (error) {
        // A data dir the API cannot write in: point reads ask DuckDB, as they would without the file.
        process.emitWarning(`Point reads go to the database: ${error instanceof Error ? error.message : String(error)}`, { code: "RELACIONES_POINT_FILE" });
      }
    }
    return new ContactsStore(engine, record, options, points);
  }

  /**
   * Where the plain tables (api/tables/) run their statements: this database's reads, and writes in
   * transactions of their own through the same engine (on DuckDB its one writer, so a table's write
   * queues with the contacts' and never races them). A table's write touches no contact: it leaves
   * the contacts' caches, list ETags and Parquet export alone. Refusals are ContactWriteErrors
   * thrown before the write changed anything, as the engine's groups require.
   */
  get tableDatabase(): TableDatabase {
    const engine = this.#engine;
    return {
      dialect: engine.dialect,
      read: engine.read,
      write: async <T>(op: (tx: SqlRunner) => Promise<T>): Promise<T> => {
        if (this.#closed) throw new Error("The contacts database is closed");
        const run = () => engine.write((tx) => op(tx), () => {});
        try {
          return await run();
        } catch (error) {
          // As #write: a key taken meanwhile (an Idempotency-Key) or a transaction PostgreSQL rolled
          // back runs once more, and its checks then see the other's commit.
          if (!isUniqueViolation(error) && !isTransientConflict(error)) throw error;
          return run();
        }
      },
      download: (fn) => this.#counted(() => engine.streamSnapshot(fn)),
    };
  }

  /** "duckdb" or "postgres". */
  get backend(): "duckdb" | "postgres" {
    return this.#engine.dialect;
  }

  get isOpen(): boolean {
    return !this.#closed;
  }

  /** Where the contacts live, for the log: a file path, or the database URL without its password. */
  get location(): string {
    return this.#engine.location;
  }

  /** Bumped after every committed write; list ETags derive from it (per process). */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Calls `listener` after every committed write or import (before its caller hears); returns the
   * function that stops it. Listeners must be quick: they run on every write's path. One that
   * throws is reported as a warning (RELACIONES_COMMIT_LISTENER); the write stands, and the
   * listeners after it are still told.
   */
  onCommit(listener: () => void): () => void {
    this.#commitListeners.add(listener);
    return () => this.#commitListeners.delete(listener);
  }

  /**
   * Writes the committed contacts tables to `dir` as Parquet (etl/contacts `exportContacts`), from
   * one read transaction on a connection of its own: writes go on meanwhile. DuckDB only. Never
   * throws: a failure is the result's `error`.
   */
  async exportTables(dir: string): Promise<ContactsExportResult> {
    const generation = this.#generation;
    const withConnection = this.#engine.withConnection;
    if (withConnection === undefined) throw new Error("The Parquet export is for contacts.duckdb; on PostgreSQL, query the database");
    try {
      // The generation is read before the snapshot is taken, so every write it counts is in the files.
      return await withConnection((db) => exportContacts(db, dir, { writtenBy: "api", generation, record: this.record }));
    } catch (error) {
      // A connection that could not be opened.
      return exportFailure(dir, error);
    }
  }

  /** True when `dir` holds an export of the contacts tables exactly as they are now (DuckDB only). */
  exportIsCurrent(dir: string): Promise<boolean> {
    const withConnection = this.#engine.withConnection;
    if (withConnection === undefined) return Promise.resolve(false);
    return withConnection((db) => contactsExportIsCurrent(db, dir, this.record));
  }

  cacheStats(): CacheStats {
    return this.#cache.stats();
  }

  /** What the list answers hold, and how many list queries were asked and how many the database read. */
  answerStats(): CacheStats & { asked: number; read: number } {
    const lists = this.#answers.stats();
    if (this.#counts === this.#answers) return lists;
    const counts = this.#counts.stats();
    return {
      entries: lists.entries + counts.entries,
      bytes: lists.bytes + counts.bytes,
      maxBytes: lists.maxBytes + counts.maxBytes,
      asked: lists.asked + counts.asked,
      read: lists.read + counts.read,
    };
  }

  /** Point reads asked for so far that missed the cache, and the database reads that served them. */
  pointReadStats(): { misses: number; fetches: number } {
    return { ...this.#pointReads };
  }

  /** Commits so far: how many, how many writes they held, how many groups went the set-based way; and the writes queued now. */
  commitStats(): CommitStats & { queued: number } {
    return { ...this.#engine.commits, queued: this.#engine.queued };
  }

  /** DuckDB's trims after writes (done, put off, failed); undefined on PostgreSQL, which has none. */
  trimStats(): { done: number; putOff: number; failed: number } | undefined {
    return this.#engine.trims && { ...this.#engine.trims };
  }

  /** PostgreSQL's background merges of the trigram indexes' pending lists (done, failed); undefined on DuckDB. */
  ginMergeStats(): { done: number; failed: number } | undefined {
    return this.#engine.ginMerges && { ...this.#engine.ginMerges };
  }

  /**
   * The trigram filters that narrow `q` and `company` (DuckDB): their memory in bytes (0 while
   * they are built, after open and each import, when those filters scan every row) and how many
   * lists they have narrowed; undefined on PostgreSQL (trigram indexes).
   */
  searchFilters(): { bytes: number; narrowed: number } | undefined {
    const contains = this.#engine.contains;
    return contains && { bytes: contains.bytes, narrowed: contains.narrowed };
  }

  /**
   * Resolves once the contacts database answers a query that reads no table, in the same time at any
   * size and behind any table lock (another process's load rebuilding the indexes): what readiness
   * needs. A count was 0.3-0.55 s at 803k contacts on PostgreSQL, and grows with the table.
   */
  async ping(): Promise<void> {
    await this.#engine.read.one(DATABASE_PING);
  }

  /**
   * Resolves once the contacts table answers a read, by one index lookup (the same time at any
   * size): what the contact routes need, so it fails as they do, on a revoked grant or behind a
   * lock held elsewhere. What /metrics' `relaciones_contacts_database_up` asks each scrape.
   */
  async probe(): Promise<void> {
    await this.#engine.read.one(CONTACTS_PROBE);
  }

  /**
   * Purges Idempotency-Keys older than 24 h, a batch at a time (once right after open, every
   * IDEMPOTENCY_PURGE_EVERY_MS, and by tests); returns the running purge when one is. Purged only at
   * open, an API running for months kept every key since it started: a table growing with every POST that carried one. A read
   * first: a purge with nothing to delete writes nothing (on DuckDB a write also brings the idle
   * trim, and a read-only API would trim every hour). Never rejects: a failure is a process warning,
   * and the keys wait for the next purge.
   */
  purgeIdempotencyKeys(): Promise<void> {
    if (this.#purging !== undefined) return this.#purging;
    if (this.#closed) return Promise.resolve();
    const purging = (async () => {
      try {
        if ((await this.#engine.read.one(IDEMPOTENCY_EXPIRED_ANY)) === undefined) return;
        for (;;) {
          const gone = await this.#engine.write((tx) => tx.all(IDEMPOTENCY_PURGE_SOME), () => {});
          if (gone.length < IDEMPOTENCY_PURGE_BATCH || this.#closed) return;
        }
      } catch (error) {
        process.emitWarning(`Idempotency-Keys older than 24 h could not be purged (the next try is in an hour): ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`, {
          code: "RELACIONES_IDEMPOTENCY_PURGE",
        });
      } finally {
        this.#purging = undefined;
      }
    })();
    this.#purging = purging;
    return purging;
  }

  /** How many contacts there are (one count query). */
  async count(): Promise<number> {
    return Number((await this.#engine.read.one<{ n: number }>(CONTACTS_COUNT))?.n ?? 0);
  }

  /**
   * One contact, or undefined: from the cache, else from the database. Point reads that miss the
   * cache are read together, with the statements of a page (per contact, a read of 32 costs a
   * tenth of one alone on DuckDB): those asked for in the same turn of the event loop, and, while
   * the engine's `pointReadGroups` reads are running, every one asked for meanwhile (the group
   * commit's idea, for reads: under load the groups grow instead of the queue).
   */
  get(id: number): Promise<ContactEntry | undefined> {
    const cached = this.#trustCache ? this.#cache.get(id) : undefined;
    if (cached !== undefined) return Promise.resolve(cached);
    const kept = this.#trustCache ? this.#points?.get(id) : undefined;
    if (kept !== undefined) return Promise.resolve(kept === null ? undefined : new KeptEntry(kept));
    let batch = this.#pointBatch;
    if (batch === undefined || batch.ids.size >= MAX_POINT_BATCH) {
      let settle!: (result: Promise<Map<number, ContactEntry>>) => void;
      const entries = new Promise<Map<number, ContactEntry>>((resolve) => (settle = resolve));
      batch = this.#pointBatch = { ids: new Set(), requests: 0, entries, settle };
      this.#pointWaiting.push(batch);
      setImmediate(() => this.#startPointReads());
    }
    batch.ids.add(id);
    batch.requests++;
    this.#pointReads.misses++;
    this.#pointCohort.arrived(this.#queuedReads());
    return batch.entries.then((found) => found.get(id));
  }

  /** Point reads waiting in groups not yet started. */
  #queuedReads(): number {
    return this.#pointWaiting.reduce((n, b) => n + b.requests, 0);
  }

  /** Starts the waiting groups of point reads, as many as may run at once, each once its cohort has come. */
  #startPointReads(): void {
    while (!this.#pointGathering && this.#pointFetches < this.#engine.pointReadGroups && this.#pointWaiting.length > 0) {
      const next = this.#pointWaiting[0];
      // Only where groups run one at a time (DuckDB): there the cohorts form.
      if (!next.gathered && this.#engine.pointReadGroups === 1) {
        next.gathered = true;
        this.#pointGathering = true;
        void this.#pointCohort.gather(() => next.requests).then(() => {
          this.#pointGathering = false;
          this.#startPointReads();
        });
        return;
      }
      const batch = this.#pointWaiting.shift()!;
      // Started: later reads go to a new group.
      if (this.#pointBatch === batch) this.#pointBatch = undefined;
      this.#pointFetches++;
      this.#pointReads.fetches++;
      const size = batch.requests;
      this.#pointCohort.started(size, this.#queuedReads());
      const read = this.#trustCache || this.#points === undefined ? this.#fetch([...batch.ids]).then(byId) : this.#fetchChecked([...batch.ids]);
      batch.settle(read);
      void read
        .catch(() => undefined)
        .finally(() => {
          this.#pointFetches--;
          this.#pointCohort.finished(size);
          this.#startPointReads();
        });
    }
  }

  /**
   * One page of contacts matching `filters` in `sort` order after `after`, at most `limit`, the
   * key of its last row when more follow, and (with `withTotal`) how many match in all.
   */
  async page(
    filters: ListFilters,
    sort: ListSort,
    after: PageKey | undefined,
    limit: number,
    withTotal: boolean,
  ): Promise<{ entries: ContactEntry[]; nextKey: PageKey | undefined; total?: number }> {
    for (let attempt = 1; ; attempt++) {
      // After two lists overtaken by writes, one that scans (see below).
      const epoch = this.#engine.contains?.epoch;
      const within = attempt <= 2 ? this.#within(filters) : undefined;
      // No contact's text has every trigram asked for, now: nothing matches, and DuckDB need not be asked.
      if (within?.length === 0) return { entries: [], nextKey: undefined, ...(withTotal ? { total: 0 } : {}) };
      const answer = await this.#pageWithin(filters, sort, after, limit, withTotal, within);
      // The queries' snapshots start after the ranges were taken: a write that committed in between
      // may be in them and outside the ranges. Every write records its rows before its commit, so
      // such a write shows as ranges that now reach further; if they do not, the answer holds. Unless
      // the filters were replaced meanwhile (an import, then a build): new ones need not hold a
      // value the old ones did, that the queries' snapshots saw.
      if (within === undefined || (this.#engine.contains?.epoch === epoch && covers(within, this.#within(filters)))) return answer;
    }
  }

  async #pageWithin(
    filters: ListFilters,
    sort: ListSort,
    after: PageKey | undefined,
    limit: number,
    withTotal: boolean,
    within: IdRanges | undefined,
  ): Promise<{ entries: ContactEntry[]; nextKey: PageKey | undefined; total?: number }> {
    const { sql, params } = this.#reads.page(filters, sort, after, limit + 1, within);
    // A first page that holds every match is its own count: for a narrow filter (most counts a
    // client asks, and every one that matches nothing) the count's scan is not run at all. Later
    // pages, and first pages with more after them, count beside the page; awaited with it, as a
    // count that fails while the page is still being read must not be a rejection nobody handles
    // (Node ends the process on one).
    const countApart = withTotal && after !== undefined;
    const counting = countApart ? this.#count(filters, within) : Promise.resolve(undefined);
    const paging = (async () => {
      const keys = await this.#answers.get(JSON.stringify([sql, params]), (rows: { id: number; sort_key: unknown; version?: number }[]) => rows.reduce((n, r) => n + PAGE_KEY_BYTES + (typeof r.sort_key === "string" ? r.sort_key.length * 2 : 0), 0), () =>
        // Planned for these values each time: a filter's cost depends on which value it has.
        this.#engine.read.all<{ id: number; sort_key: unknown; version?: number }>(sql, params, { plan: "custom" }),
      );
      const shown = keys.slice(0, limit);
      const entries = await this.#many(shown.map((k) => [Number(k.id), k.version === undefined ? undefined : Number(k.version)]));
      return { more: keys.length > limit, shown, entries };
    })();
    const [{ more, shown, entries }, counted] = await Promise.all([paging, counting]);
    let total: number | undefined;
    // What the page shows, when it shows every match (on PostgreSQL a contact deleted between the
    // page's two reads is neither shown nor counted). A full first page counts after it, not beside
    // it: slower for a broad filter, but a narrow one, the usual count, is spared its scan.
    if (withTotal) total = countApart ? counted : more ? await this.#count(filters, within) : entries.length;
    const last = shown.at(-1);
    const nextKey: PageKey | undefined = more && last !== undefined ? pageKeyOf(last) : undefined;
    return { entries, nextKey, ...(total === undefined ? {} : { total }) };
  }

  /**
   * The ids that may match the `contains()` filters of `filters`, from the engine's trigram
   * filters (DuckDB), the fewest ranges of them; undefined when none can narrow them.
   */
  #within(filters: ListFilters): IdRanges | undefined {
    const contains = this.#engine.contains;
    if (contains === undefined) return undefined;
    let fewest: IdRanges | undefined;
    for (const [filter, column] of Object.entries(CONTAINS_COLUMNS)) {
      const text = filters[filter as keyof typeof CONTAINS_COLUMNS];
      const ranges = text ? contains.narrow(column, text) : undefined;
      if (ranges !== undefined && (fewest === undefined || ranges.length < fewest.length)) fewest = ranges;
    }
    return fewest;
  }

  /** How many contacts match `filters`: one count query, or its answer kept (`#counts`). */
  async #count(filters: ListFilters, within: IdRanges | undefined): Promise<number> {
    const { sql, params } = this.#reads.count(filters, within);
    return this.#counts.get(JSON.stringify([sql, params]), () => 0, async () => Number((await this.#engine.read.one<{ n: number }>(sql, params, { plan: "custom" }))?.n ?? 0));
  }

  /**
   * Every contact matching `filters`, in `sort` order, as views, on one snapshot, read as the
   * client takes them. PostgreSQL: one statement from a cursor (its sort spills to disk). DuckDB: in
   * keyset pages of EXPORT_PAGE, as the API reads a page, in one read transaction: one statement
   * sorting every matching row whole, with its departments, ran out of the serving budget at 728k
   * contacts (the download ended with no byte sent).
   */
  views(filters: ListFilters, sort: ListSort): AsyncIterable<ContactView> {
    return this.#engine.streamSnapshot((read) => (this.#engine.dialect === "postgres" ? this.#streamAll(read, filters, sort) : this.#pages(read, filters, sort)));
  }

  /**
   * views() for a download, or undefined when `maxDownloads` are running: each holds a connection
   * and a read transaction for as long as its client reads, and DuckDB memory for its pages; 300
   * stalled clients took the serving budget from every other read. The count is given back when
   * the download ends, fails or is cancelled (a HEAD, a client gone), even before its first row.
   */
  download(filters: ListFilters, sort: ListSort): AsyncIterable<ContactView> | undefined {
    return this.#counted(() => this.views(filters, sort));
  }

  /** `rows()` counted against `maxDownloads` (contacts' and plain tables' downloads together), or undefined when it is taken. */
  #counted<T>(rows: () => AsyncIterable<T>): AsyncIterable<T> | undefined {
    if (this.#downloads >= this.#maxDownloads) return undefined;
    this.#downloads++;
    return whenDone(rows(), () => this.#downloads--);
  }

  async *#streamAll(read: StreamRunner, filters: ListFilters, sort: ListSort): AsyncGenerator<ContactView> {
    const { sql, params } = this.#reads.all(filters, sort);
    for await (const rows of read.stream(sql, params)) {
      for (const row of rows) yield toEntry(this.#fields, row).view;
    }
  }

  async *#pages(read: SqlRunner, filters: ListFilters, sort: ListSort): AsyncGenerator<ContactView> {
    let after: PageKey | undefined;
    for (;;) {
      const { sql, params } = this.#reads.page(filters, sort, after, EXPORT_PAGE + 1);
      const keys = await read.all<{ id: number; sort_key: unknown }>(sql, params);
      const shown = keys.slice(0, EXPORT_PAGE);
      // Not through the point-read cache: an export would fill it with every contact once.
      const byId = new Map((await this.#readEntries(read, shown.map((k) => Number(k.id)))).map((e) => [e.view.id, e]));
      for (const k of shown) {
        const entry = byId.get(Number(k.id));
        if (entry !== undefined) yield entry.view;
      }
      const last = shown.at(-1);
      if (keys.length <= EXPORT_PAGE || last === undefined) return;
      after = pageKeyOf(last);
    }
  }

  /**
   * Every department with how many contacts link to it, by name in the order of each contact's
   * `departments` (toEntry): sorted here, as SQL's ORDER BY follows a PostgreSQL database's
   * collation (en_US puts "alpha" before "Beta"; DuckDB and "C" put it after "Zeta").
   */
  departments(): Promise<readonly DepartmentCount[]> {
    // Counting scans every link (PostgreSQL: 0.2 s at 1.1M links, 0.55-0.77 s before the counts were
    // one GROUP BY; DuckDB about 4 ms), and the dashboard asks on each open: kept as a count is.
    return this.#counts.get(DEPARTMENTS_WITH_COUNTS, (rows) => rows.reduce((n, d) => n + 48 + d.name.length * 2, 0), async () =>
      (await this.#engine.read.all<DepartmentCount>(DEPARTMENTS_WITH_COUNTS)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id)),
    );
  }

  /** The stored answer of a POST /contacts for an Idempotency-Key, if any. */
  async idempotent(key: string): Promise<IdempotentResult | undefined> {
    return this.#engine.read.one<IdempotentResult>(IDEMPOTENCY_GET, [key]);
  }

  /**
   * Creates a contact. With `idempotency`, the key and the answer (built by `respond` from the new
   * entry) are stored in the same transaction; a key already stored gives its answer as `replay`.
   */
  create(
    input: ContactInput,
    idempotency?: { key: string; fingerprint: string; respond: (entry: ContactEntry) => { status: number; location: string; body: string } },
  ): Promise<{ entry: ContactEntry; replay?: undefined } | { entry?: undefined; replay: IdempotentResult }> {
    const data: WriteData = { kind: "create", input, idempotency };
    return this.#write(async (tx, ctx) => {
      const email = input.email!;
      const wanted = input.departments ?? [];
      // The key is looked up after the e-mail: on PostgreSQL each statement sees the latest commits,
      // so a retry of this very request committed by another process meanwhile is seen as such.
      const [owner, previous, stored] = await this.#together([
        () => tx.one<{ id: number }>(WRITE_CHECK, [0, email.toLowerCase()]),
        () => (idempotency === undefined ? Promise.resolve(undefined) : tx.one<IdempotentResult>(IDEMPOTENCY_GET, [idempotency.key])),
        () => this.#storedDepartments(tx, wanted),
      ]);
      if (previous !== undefined) return { replay: previous };
      if (owner !== undefined) throw duplicate(Number(owner.id), email);
      const departments = await this.#departmentIds(tx, wanted, stored);
      const row = await tx.one<Record<string, unknown>>(this.#sql.insert, this.#fields.map((f) => (input[f] as string | null | undefined) ?? null));
      const id = Number(row!.id);
      const entry = toEntry(this.#fields, { ...row, departments: departments.names });
      ctx.touch(id, row);
      const answer = idempotency?.respond(entry);
      await this.#together([
        () => (departments.ids.length > 0 ? tx.run(LINKS_INSERT, [id, departments.ids]) : Promise.resolve()),
        () =>
          idempotency === undefined || answer === undefined
            ? Promise.resolve()
            : tx.run(IDEMPOTENCY_INSERT, [idempotency.key, idempotency.fingerprint, answer.status, answer.location, answer.body, entry.etag]),
      ]);
      return { entry };
    }, data);
  }

  /**
   * Writes `input` over contact `id`: every field for a replace, only the given ones for a patch.
   * `ifMatch` (the versions an If-Match header named) makes it conditional: "stale" unless the
   * stored version is among them. The check and the write are one transaction, so it cannot race.
   */
  update(id: number, input: ContactInput, options: { ifMatch?: readonly number[]; partial: boolean }): Promise<ContactEntry> {
    const data: WriteData = { kind: "update", id, input, ifMatch: options.ifMatch, partial: options.partial };
    return this.#write(async (tx, ctx) => {
      const email = typeof input.email === "string" ? input.email.toLowerCase() : "";
      const relink = !options.partial || input.departments !== undefined;
      const wanted = relink ? (input.departments ?? []) : [];
      const [, checked, stored] = await this.#together([
        () => this.#lockRow(tx, id),
        () => tx.all<{ id: number; version: number; email: string }>(WRITE_CHECK, [id, email]),
        () => this.#storedDepartments(tx, wanted),
      ]);
      const current = checked.find((r) => Number(r.id) === id);
      if (current === undefined) throw new ContactWriteError("not-found", `No contact has id ${id}`);
      assertMatch(id, Number(current.version), options.ifMatch);
      const owner = checked.find((r) => Number(r.id) !== id);
      if (owner !== undefined) throw duplicate(Number(owner.id), input.email!);
      // An e-mail written back unchanged is left out, and with it its key column: no index entry to
      // rewrite (on DuckDB the UPDATE's RETURNING makes it a delete and an insert anyway).
      const fields = (options.partial ? this.#fields.filter((f) => Object.hasOwn(input, f)) : this.#fields).filter(
        (f) => f !== this.#sql.keyField || input[f] !== current.email,
      );
      const departments = relink ? await this.#departmentIds(tx, wanted, stored) : undefined;
      const row = await tx.one<Record<string, unknown>>(this.#sql.update(fields, { ifVersion: true }), [
        ...fields.map((f) => (input[f] as string | null | undefined) ?? null),
        id,
        Number(current.version),
      ]);
      // A conditional UPDATE that matches nothing after the check means someone else wrote in
      // between (another PostgreSQL process): the same answer a stale If-Match gets.
      if (row === undefined) throw new ContactWriteError("stale", `Contact ${id} changed while being written; read it again and retry`);
      let names: string[];
      if (departments !== undefined) {
        await this.#together([() => tx.run(LINKS_DELETE, [id]), () => (departments.ids.length > 0 ? tx.run(LINKS_INSERT, [id, departments.ids]) : Promise.resolve())]);
        names = departments.names;
      } else names = (await tx.all<{ name: string }>(LINK_NAMES, [id])).map((r) => r.name);
      ctx.touch(id, row);
      return toEntry(this.#fields, { ...row, departments: names });
    }, data);
  }

  /** Deletes contact `id` (conditionally on `ifMatch`, as in update). */
  delete(id: number, ifMatch?: readonly number[]): Promise<void> {
    return this.#write(async (tx, ctx) => {
      const [, checked] = await this.#together([() => this.#lockRow(tx, id), () => tx.all<{ id: number; version: number }>(WRITE_CHECK, [id, ""])]);
      const current = checked.find((r) => Number(r.id) === id);
      if (current === undefined) throw new ContactWriteError("not-found", `No contact has id ${id}`);
      assertMatch(id, Number(current.version), ifMatch);
      const [, gone] = await this.#together([() => tx.run(LINKS_DELETE, [id]), () => tx.all(CONTACT_DELETE, [id, Number(current.version)])]);
      if (gone.length === 0) throw new ContactWriteError("stale", `Contact ${id} changed while being deleted; read it again and retry`);
      ctx.touch(id);
    });
  }

  /**
   * Deletes department `id` when no contact links to it; "department-in-use" (with the count)
   * otherwise. `check` is told in the write's transaction whether the department exists, and
   * throws to refuse the delete (a request's preconditions, decided on what the delete sees).
   */
  deleteDepartment(id: number, check?: (found: boolean) => void): Promise<void> {
    return this.#write(async (tx) => {
      const use = await tx.one<{ contacts: number; found: number }>(DEPARTMENT_USE, [id]);
      check?.(Number(use?.found ?? 0) > 0);
      if (Number(use?.found ?? 0) === 0) throw new ContactWriteError("not-found", `No department has id ${id}`);
      const contacts = Number(use?.contacts ?? 0);
      if (contacts > 0) {
        throw new ContactWriteError("department-in-use", `Department ${id} still has ${contacts} ${contacts === 1 ? "contact" : "contacts"}; remove it from them first`);
      }
      const gone = await tx.all(DEPARTMENT_DELETE, [id]);
      if (gone.length === 0) throw new ContactWriteError("department-in-use", `Department ${id} was given a contact meanwhile; it is kept`);
    });
  }

  /**
   * Loads the CSV file at `csvPath` (a file of this machine the API may read) with the set-based
   * ingestion, between other writes; the point-read cache is emptied when it commits.
   */
  async importCsv(csvPath: string, load: { sourceName: string; rejectsFile?: string; workDir: string; signal?: AbortSignal }): Promise<IngestSummary> {
    // Heard of as soon as its COMMIT is done, not once the import returns (its rejects report,
    // clean-up and checkpoint take seconds more): until then what is kept would serve a contact the
    // import changed as it was, beside one it created, read from the database, as it is.
    let heard = false;
    const committed = () => {
      heard = true;
      this.#afterCommit("all");
    };
    // Stopped by its client's going (load.signal) or by the API's close (stopImports), whichever
    // comes first.
    const either = combineSignals([load.signal, this.#stopping.signal]);
    try {
      return await this.#engine.importCsv(csvPath, { ...load, record: this.record, committed, signal: either.signal });
    } finally {
      either.dispose();
      // A failed import changed nothing; forgetting is only the safe side.
      if (!heard) this.#afterCommit("all");
    }
  }

  /**
   * What every commit (a write's, or an import's: "all") makes stale, forgotten before anyone hears
   * of it: the cached contacts it touched, the kept list answers; then the generation moves on and
   * the listeners are told.
   */
  #afterCommit(touched: readonly number[] | "all"): void {
    if (touched === "all") this.#cache.clear();
    else for (const id of touched) this.#cache.delete(id);
    // What is in memory first: the point file's writes come after, so nothing kept outlives a
    // commit whatever they meet.
    this.#answers.clear();
    if (this.#counts !== this.#answers) this.#counts.clear();
    this.#generation++;
    const points = this.#points;
    if (points !== undefined) {
      if (touched === "all") this.#rebuildPoints();
      else {
        for (const id of touched) points.forget(id);
        this.#compactPoints();
      }
    }
    // Each listener alone: one that throws must not keep the others from hearing.
    for (const listener of this.#commitListeners) tellCommitted(listener, []);
  }

  /**
   * Stops the imports running, and any asked for after, as the ETL's Ctrl-C stops a load: before
   * their COMMIT they fail with a LoadStopped naming `by` (DuckDB interrupted; on PostgreSQL the
   * statement running cancelled, the transaction rolled back) and nothing of them is written; one
   * whose COMMIT has begun finishes. What the API's close does first, so that it need not wait for
   * an import (a lock another session holds, minutes; a million rows, a minute).
   *
   * @example
   * ```ts
   * store.stopImports("SIGTERM to the API"); // a running import fails: "Stopped by SIGTERM to the API"
   * ```
   */
  stopImports(by: string): void {
    if (!this.#stopping.signal.aborted) this.#stopping.abort(new LoadStopped(by));
  }

  /** The stop `stopImports()` gave, once it has been called (the API is closing); undefined before. */
  importsStopped(): LoadStopped | undefined {
    return this.#stopping.signal.aborted ? (this.#stopping.signal.reason as LoadStopped) : undefined;
  }

  /** Waits for queued writes, then closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#purgeTimer);
    await this.#purging;
    await this.#pointsBuilding;
    await this.#engine.close();
    this.#points?.close();
  }

  /** What the point file holds (DuckDB); undefined when it is off. */
  pointFileStats(): PointFileStats | undefined {
    return this.#points?.stats();
  }

  /**
   * Builds the point file in the background (one build at a time; a later one waits for the one
   * before, which a clear() has abandoned): every contact's JSON from one snapshot on a connection
   * of its own, a range of ids at a time, DuckDB writing all of it but the departments (readSql's
   * pointRows and pointLinks), so the API's thread mostly copies bytes.
   * The file records commits from before the snapshot starts, and the build skips what they wrote.
   * Never rejects: a failed build leaves the ranges it wrote (each record as true as when written)
   * and the rest unknown, which reads ask of the database.
   */
  #buildPoints(): void {
    const points = this.#points;
    const withConnection = this.#engine.withConnection;
    if (points === undefined) return;
    const before = this.#pointsBuilding;
    const building: Promise<void> = (async () => {
      await before;
      if (this.#closed) return;
      const build = points.begin();
      try {
        if (withConnection === undefined) return await this.#buildPointsPostgres(points, build);
        await withConnection(async (db) => {
          await db.run("BEGIN TRANSACTION");
          try {
            const maxId = Number((await db.one<{ id: number }>(this.#reads.maxId))?.id ?? 0);
            await this.#beforePointFill?.();
            for (let first = 1; first <= maxId; first += POINT_BUILD_IDS) {
              const range = [first, Math.min(maxId, first + POINT_BUILD_IDS - 1)];
              const names = namesByContact(await db.all<{ id: number; name: string }>(this.#reads.pointLinks, range));
              if (this.#closed || !points.beginRange(build, range[0], range[1])) return;
              for await (const rows of db.stream<PointRowParts>(this.#reads.pointRows, range)) {
                const bodies = rows.map((r): PointRow => ({ id: r.id, version: r.version, body: pointBody(r.head, names.get(Number(r.id)) ?? [], r.tail), plain: r.plain }));
                if (this.#closed || !points.fill(build, bodies)) return;
              }
              if (!points.endRange(build)) return;
            }
            points.finish(build);
          } finally {
            await db.run("ROLLBACK").catch(() => undefined);
          }
        });
      } catch {
        // Not built: the records it did not write stay unknown until the next build.
      } finally {
        points.abandon(build);
      }
    })();
    const tracked: Promise<void> = building.finally(() => {
      if (this.#pointsBuilding === tracked) this.#pointsBuilding = undefined;
    });
    this.#pointsBuilding = tracked;
  }

  /**
   * The point file's build on PostgreSQL: the contacts a range of ids at a time, each read whole (one
   * statement: every row with its departments) and written as the API serves it (toEntry). No
   * snapshot is needed: each record carries its contact's version, and is served only at the version
   * the database has (#fetchChecked). Small ranges: this process turns the rows into JSON, between
   * its requests.
   */
  async #buildPointsPostgres(points: PointFile, build: PointBuild): Promise<void> {
    const read = this.#engine.read;
    const maxId = Number((await read.one<{ id: number }>(this.#reads.maxId))?.id ?? 0);
    await this.#beforePointFill?.();
    const rangeOf = (first: number) => {
      const last = Math.min(maxId, first + POINT_BUILD_IDS_POSTGRES - 1);
      const rows = read.all<Record<string, unknown>>(this.#reads.byIdRange, [first, last]);
      // Settled here too: a range asked ahead whose build then stops is not an unhandled rejection.
      rows.catch(() => undefined);
      return { first, last, rows };
    };
    // The next range is asked for while this one is turned into JSON: the database's time and this
    // thread's overlap, so small ranges (short turns of the event loop) cost no build time.
    let next = maxId >= 1 ? rangeOf(1) : undefined;
    while (next !== undefined) {
      const { first, last } = next;
      const rows = await next.rows;
      next = last < maxId && !this.#closed ? rangeOf(last + 1) : undefined;
      if (this.#closed || !points.beginRange(build, first, last)) return;
      const bodies = rows.map((row): PointRow => {
        const entry = toEntry(this.#fields, row);
        return { id: entry.view.id, version: entry.version, body: entry.bytes, plain: true };
      });
      if (!points.fill(build, bodies) || !points.endRange(build)) return;
    }
    points.finish(build);
  }

  /**
   * Runs a write's next statements, which do not depend on each other's answers: on PostgreSQL sent
   * together (pipelined on the transaction's connection, executed in this order), so they cost one
   * round trip and one socket write, the biggest share of the API's CPU per write there (0.14 ms
   * each on a Unix socket, more on TCP); on DuckDB one after another, as its connection runs them.
   */
  async #together<T extends readonly unknown[]>(steps: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
    if (this.#engine.dialect === "postgres") return (await Promise.all(steps.map((step) => step()))) as unknown as T;
    const results: unknown[] = [];
    for (const step of steps) results.push(await step());
    return results as unknown as T;
  }

  /** The stored departments, for #departmentIds, when `names` needs them. */
  #storedDepartments(tx: SqlRunner, names: readonly string[]): Promise<{ id: number; name: string }[]> {
    return names.length === 0 ? Promise.resolve([]) : tx.all<{ id: number; name: string }>(DEPARTMENTS_ALL);
  }

  /** On PostgreSQL, holds contact `id`'s row for the rest of the write (see CONTACT_LOCK_POSTGRES). */
  async #lockRow(tx: SqlRunner, id: number): Promise<void> {
    if (this.#engine.dialect === "postgres") await tx.run(CONTACT_LOCK_POSTGRES, [id]);
  }

  /**
   * Runs `op` through the engine; after its commit, forgets what it touched before anyone hears of
   * it. A unique key taken between the checks and the write (another PostgreSQL process created the
   * same e-mail or Idempotency-Key meanwhile), or a conflict with another transaction (a deadlock; a
   * department deleted, or linked, by another process meanwhile: isTransientConflict) runs the write
   * once more: its checks then see the other's commit and answer as if it had come first (409, or
   * the stored answer to replay). A second conflict is answered 503, busy.
   */
  async #write<T>(op: (tx: SqlRunner, ctx: WriteContext) => Promise<T>, data?: WriteData): Promise<T> {
    if (this.#closed) throw new Error("The contacts database is closed");
    try {
      return await this.#engine.write(op, this.#committed, data);
    } catch (error) {
      // A deadlock or serialization failure rolled the transaction back: running it again is safe.
      if (!isUniqueViolation(error) && !isTransientConflict(error)) throw error;
      return this.#engine.write(op, this.#committed, data);
    }
  }

  /**
   * Group commit's fast path: a group of creates and updates decided in JavaScript, in queue order,
   * against the committed state read in a few queries (on PostgreSQL after locking the rows it
   * updates) plus the group's own earlier writes (exactly what one write after another would see),
   * then applied with one INSERT, one UPDATE per set of fields, one links DELETE and INSERT, one
   * Idempotency-Key INSERT. A refused write (404, 409, 412) changes nothing; a case this does not
   * handle throws, and the engine runs the group's writes one by one instead.
   */
  async #applyBatch(tx: SqlRunner, ctx: WriteContext, writes: readonly WriteData[]): Promise<({ ok: true; value: unknown } | { ok: false; error: unknown })[]> {
    const key = this.#sql.keyField;
    const updates = writes.flatMap((w) => (w.kind === "update" ? [w.id] : []));
    if (new Set(updates).size !== updates.length) throw new Error("the same contact twice in one group");
    const emails = writes.flatMap((w) => (typeof w.input.email === "string" ? [w.input.email.toLowerCase()] : []));
    const idempotencyKeys = writes.flatMap((w) => (w.kind === "create" && w.idempotency ? [w.idempotency.key] : []));
    const postgres = this.#engine.dialect === "postgres";
    const [, , rows] = await this.#together([
      // On PostgreSQL, where other transactions write meanwhile, the rows to update are held for
      // the rest of the group, in id order, then its e-mails and Idempotency-Keys (two groups lock
      // alike, so neither waits for the other in a cycle), before they are read.
      () => (postgres && updates.length > 0 ? tx.run(CONTACTS_LOCK_POSTGRES, [updates]) : Promise.resolve()),
      () => (postgres && emails.length + idempotencyKeys.length > 0 ? tx.run(WRITE_KEYS_LOCK_POSTGRES, [emails, idempotencyKeys]) : Promise.resolve()),
      () =>
        tx.all<{ id: number; version: number; email: string; email_key: string }>(
          // IN (SELECT unnest(...)) for the e-mails: DuckDB probes the unique index with each, where
          // = ANY($2) compared every stored key with the list.
          `SELECT id::INTEGER AS id, version::INTEGER AS version, email, email_key FROM contacts WHERE id = ANY($1::INTEGER[])
           UNION ALL SELECT id::INTEGER AS id, version::INTEGER AS version, email, email_key FROM contacts WHERE email_key IN (SELECT unnest($2::VARCHAR[]))`,
          [updates, emails],
        ),
    ]);
    const stored = new Map<string, IdempotentResult>();
    if (idempotencyKeys.length > 0) {
      for (const r of await tx.all<IdempotentResult & { key: string }>(`SELECT key, fingerprint, status::INTEGER AS status, location, body, etag FROM api_idempotency_keys WHERE key = ANY($1::VARCHAR[])`, [idempotencyKeys])) {
        stored.set(r.key, r);
      }
    }
    const state = new Map<number, { version: number; email: string; emailKey: string }>();
    const owner = new Map<string, number>();
    for (const r of rows) {
      state.set(Number(r.id), { version: Number(r.version), email: r.email, emailKey: r.email_key });
      owner.set(r.email_key, Number(r.id));
    }
    // The departments, read once for the group: each write's new names are counted against them
    // and the names of the group's accepted writes before it (which create them first, as one
    // write after another would).
    const storedDepartments = await this.#storedDepartments(tx, writes.flatMap((w) => w.input.departments ?? []));
    const knownDepartments = new Set(foldedDepartments(storedDepartments).keys());
    // An accepted write's new names (folded once, by newDepartments) are known to the writes after it.
    const departmentsKnown = (newNames: ReadonlyMap<string, string>) => {
      for (const key of newNames.keys()) knownDepartments.add(key);
    };
    const creates = writes.filter((w) => w.kind === "create").length;
    const fresh = creates === 0 ? [] : (await tx.all<{ id: number }>(`SELECT nextval('contacts_id_seq')::INTEGER AS id FROM ${postgres ? `generate_series(1, ${creates})` : `range(${creates})`} ORDER BY 1`)).map((r) => Number(r.id));
    // A contact the group creates and also updates would be relinked twice, its pairs inserted twice
    // (nothing in DuckDB refuses them, 007): like one contact updated twice, the writes run one by one.
    if (updates.some((id) => fresh.includes(id))) throw new Error("a contact created and updated in one group");
    const sameGroupKey = new Map<string, number>();
    type Accepted = { index: number; id: number; fields: string[]; rekey: boolean; relink: boolean };
    const accepted: Accepted[] = [];
    const results: ({ ok: true; value: unknown } | { ok: false; error: unknown } | { replayOf: number })[] = [];
    const oldKeys = new Set<string>();
    for (const [index, w] of writes.entries()) {
      const newNames = newDepartments(w.input.departments ?? [], knownDepartments).fresh;
      const excess = newNames.size > this.#maxNewDepartments ? tooManyNewDepartments(newNames.size, this.#maxNewDepartments) : undefined;
      if (w.kind === "create") {
        const emailKey = w.input.email!.toLowerCase();
        const idem = w.idempotency;
        if (idem !== undefined && stored.has(idem.key)) results.push({ ok: true, value: { replay: stored.get(idem.key)! } });
        else if (idem !== undefined && sameGroupKey.has(idem.key)) results.push({ replayOf: sameGroupKey.get(idem.key)! });
        else if (owner.has(emailKey)) results.push({ ok: false, error: duplicate(owner.get(emailKey)!, w.input.email!) });
        else if (excess !== undefined) results.push({ ok: false, error: excess });
        else {
          const id = fresh.shift()!;
          owner.set(emailKey, id);
          state.set(id, { version: 1, email: w.input.email!, emailKey });
          if (idem !== undefined) sameGroupKey.set(idem.key, index);
          departmentsKnown(newNames);
          accepted.push({ index, id, fields: [...this.#fields], rekey: true, relink: true });
          results.push({ ok: true, value: undefined });
        }
        continue;
      }
      const current = state.get(w.id);
      if (current === undefined) {
        results.push({ ok: false, error: new ContactWriteError("not-found", `No contact has id ${w.id}`) });
        continue;
      }
      if (w.ifMatch !== undefined && !w.ifMatch.includes(current.version)) {
        results.push({ ok: false, error: staleError(w.id, current.version, w.ifMatch) });
        continue;
      }
      const newKey = typeof w.input.email === "string" ? w.input.email.toLowerCase() : current.emailKey;
      const other = owner.get(newKey);
      if (other !== undefined && other !== w.id) {
        results.push({ ok: false, error: duplicate(other, w.input.email!) });
        continue;
      }
      if (excess !== undefined) {
        results.push({ ok: false, error: excess });
        continue;
      }
      const fields = (w.partial ? this.#fields.filter((f) => Object.hasOwn(w.input, f)) : [...this.#fields]).filter((f) => f !== key || w.input[f] !== current.email);
      const rekey = fields.includes(key);
      if (rekey) {
        // A key given up and taken in the same statement would collide inside DuckDB's index.
        if (oldKeys.has(newKey)) throw new Error("an e-mail moves between contacts within one group");
        oldKeys.add(current.emailKey);
        owner.delete(current.emailKey);
        owner.set(newKey, w.id);
        current.email = w.input.email as string;
        current.emailKey = newKey;
      }
      current.version++;
      departmentsKnown(newNames);
      accepted.push({ index, id: w.id, fields, rekey, relink: !w.partial || w.input.departments !== undefined });
      results.push({ ok: true, value: undefined });
    }
    for (const a of accepted) if (writes[a.index].kind === "create" && oldKeys.has(state.get(a.id)!.emailKey)) throw new Error("a freed e-mail taken by a create in the same group");

    // Departments of every accepted write, resolved (and created) once for the group.
    const departmentOf = new Map<number, { ids: number[]; names: string[] }>();
    const wanted = accepted.filter((a) => a.relink).flatMap((a) => writes[a.index].input.departments ?? []);
    // Each write's new names were counted above; the group's together may be more.
    const resolved = wanted.length === 0 ? undefined : await this.#departmentIds(tx, wanted, storedDepartments, Infinity);
    // Built once for the group: a write may give thousands of names.
    const byFold = new Map((resolved?.names ?? []).map((n, i) => [fold(n), { id: resolved!.ids[i], name: n }]));
    for (const a of accepted.filter((x) => x.relink)) {
      const names = writes[a.index].input.departments ?? [];
      const chosen = new Map<number, string>();
      for (const n of names) {
        const d = byFold.get(fold(n));
        if (d === undefined) throw new Error(`department '${n}' was not resolved`);
        chosen.set(d.id, d.name);
      }
      const sorted = [...chosen].sort((x, y) => (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
      departmentOf.set(a.id, { ids: sorted.map(([id]) => id), names: sorted.map(([, n]) => n) });
    }

    const value = (a: Accepted, f: string) => (writes[a.index].input[f] as string | null | undefined) ?? null;
    const written = new Map<number, Record<string, unknown>>();
    const created = accepted.filter((a) => writes[a.index].kind === "create");
    if (created.length > 0) {
      const columns = ["id", ...this.#fields];
      const lists = [created.map((a) => a.id), ...this.#fields.map((f) => created.map((a) => value(a, f)))];
      const unnest = columns.map((c, i) => `unnest($${i + 1}::${i === 0 ? "INTEGER" : "VARCHAR"}[]) AS ${c === "id" ? "id" : `"v_${c}"`}`).join(", ");
      const derived = this.#sql.derivedSets(this.#fields, (f) => `u."v_${f}"`).map((set) => [set.slice(0, set.indexOf(" = ")), set.slice(set.indexOf(" = ") + 3)]);
      for (const row of await tx.all<Record<string, unknown>>(
        `INSERT INTO ${this.#sql.table} (id, ${this.#fields.map((f) => `"${f}"`).join(", ")}, ${derived.map(([c]) => c).join(", ")})
         SELECT u.id, ${this.#fields.map((f) => `u."v_${f}"`).join(", ")}, ${derived.map(([, v]) => v).join(", ")} FROM (SELECT ${unnest}) u
         RETURNING ${this.#sql.returningList}`,
        lists,
      )) written.set(Number(row.id), row);
    }
    // Updates, one statement per set of fields written (a PUT writes all; a PATCH some).
    const updated = accepted.filter((a) => writes[a.index].kind === "update");
    const bySet = new Map<string, Accepted[]>();
    for (const a of updated) bySet.set(a.fields.join(","), [...(bySet.get(a.fields.join(",")) ?? []), a]);
    for (const [, same] of bySet) {
      const fields = same[0].fields;
      const lists = [same.map((a) => a.id), ...fields.map((f) => same.map((a) => value(a, f)))];
      // Each row's values are picked from the lists by its id's position, and the rows by
      // `id = ANY($1)`, which DuckDB serves from the primary key: joining an unnested list instead
      // scanned every id of the table (24-38 ms against 11 ms for 16 PUTs at 1M rows).
      const valueOf = (f: string) =>
        postgres
          ? `($${fields.indexOf(f) + 2}::VARCHAR[])[array_position($1::INTEGER[], id)]`
          : `list_extract($${fields.indexOf(f) + 2}::VARCHAR[], list_position($1::INTEGER[], id))`;
      const sets = [...fields.map((f) => `"${f}" = ${valueOf(f)}`), ...this.#sql.derivedSets(fields, valueOf)];
      sets.push(writeBump());
      const returned = await tx.all<Record<string, unknown>>(
        `UPDATE ${this.#sql.table} SET ${sets.join(", ")} WHERE id = ANY($1::INTEGER[]) RETURNING ${this.#sql.returningList}`,
        lists,
      );
      if (returned.length !== same.length) throw new Error("an update matched no row");
      for (const row of returned) written.set(Number(row.id), row);
    }
    const relinked = accepted.filter((a) => a.relink);
    const relinkedUpdates = relinked.filter((a) => writes[a.index].kind === "update").map((a) => a.id);
    if (relinkedUpdates.length > 0) await tx.run(`DELETE FROM contact_departments WHERE contact_id = ANY($1::INTEGER[])`, [relinkedUpdates]);
    const pairs = relinked.flatMap((a) => departmentOf.get(a.id)!.ids.map((d) => [a.id, d] as const));
    if (pairs.length > 0) {
      await tx.run(`INSERT INTO contact_departments (contact_id, department_id) SELECT unnest($1::INTEGER[]), unnest($2::INTEGER[])`, [pairs.map((p) => p[0]), pairs.map((p) => p[1])]);
    }
    const kept = updated.filter((a) => !a.relink).map((a) => a.id);
    const keptNames = namesByContact(kept.length > 0 ? await tx.all<{ id: number; name: string }>(this.#reads.linkNamesByIds, [kept]) : []);
    const entries = new Map<number, ContactEntry>();
    for (const a of accepted) {
      const entry = toEntry(this.#fields, { ...written.get(a.id)!, departments: a.relink ? departmentOf.get(a.id)!.names : (keptNames.get(a.id) ?? []) });
      entries.set(a.index, entry);
      ctx.touch(a.id, written.get(a.id));
    }
    // Idempotency answers, in the same transaction as the contacts they created.
    const answers: IdempotentResult[] = [];
    const keyRows: [string, string, number, string, string, string][] = [];
    for (const a of created) {
      const idem = (writes[a.index] as Extract<WriteData, { kind: "create" }>).idempotency;
      if (idem === undefined) continue;
      const entry = entries.get(a.index)!;
      const answer = idem.respond(entry);
      answers[a.index] = { fingerprint: idem.fingerprint, status: answer.status, location: answer.location, body: answer.body, etag: entry.etag };
      keyRows.push([idem.key, idem.fingerprint, answer.status, answer.location, answer.body, entry.etag]);
    }
    if (keyRows.length > 0) {
      await tx.run(
        `INSERT INTO api_idempotency_keys (key, fingerprint, status, location, body, etag)
         SELECT unnest($1::VARCHAR[]), unnest($2::VARCHAR[]), unnest($3::INTEGER[]), unnest($4::VARCHAR[]), unnest($5::VARCHAR[]), unnest($6::VARCHAR[])`,
        [0, 1, 2, 3, 4, 5].map((i) => keyRows.map((r) => r[i])),
      );
    }
    return results.map((r, index) => {
      if ("replayOf" in r) return { ok: true, value: { replay: answers[r.replayOf] } };
      if (!r.ok) return r;
      if (r.value !== undefined) return r;
      const entry = entries.get(index)!;
      return { ok: true, value: writes[index].kind === "create" ? { entry } : entry };
    });
  }

  #remember(entry: ContactEntry, generation: number): void {
    // A write committed while this read ran may have changed the row: do not keep what was read.
    // Its size: the UTF-8 bytes, the JSON string (UTF-16) and the view object, about 4x the bytes.
    if (generation !== this.#generation) return;
    this.#cache.set(entry.view.id, entry, entry.bytes.byteLength * 4);
    if (this.#points === undefined) return;
    this.#points.set(entry.view.id, entry.version, entry.bytes);
    // On PostgreSQL a record is set again over its older version each time another process's write
    // is read: a process that never commits must still bound the bodies that leaves dead.
    this.#compactPoints();
  }

  /** Empties the point file and builds it again: an import touched every contact. */
  #rebuildPoints(): void {
    this.#points?.clear();
    this.#buildPoints();
  }

  /** Rebuilds the point file once the bodies its records no longer point to call for it (PointFile.wasteful). */
  #compactPoints(): void {
    if (this.#points?.wasteful) this.#rebuildPoints();
  }

  /**
   * Entries for `ids` in that order (missing ones skipped): kept ones, the rest from the database.
   * An id that comes with a version (the page query read it, on PostgreSQL) takes a kept entry only
   * at that version: what another process wrote since is read again.
   */
  async #many(ids: readonly (readonly [id: number, version: number | undefined])[]): Promise<ContactEntry[]> {
    const found = new Map<number, ContactEntry>();
    const missing: number[] = [];
    for (const [id, version] of ids) {
      const cached = this.#cache.get(id);
      if (cached !== undefined && (version === undefined ? this.#trustCache : cached.version === version)) {
        found.set(id, cached);
        continue;
      }
      const kept = this.#points?.get(id);
      if (kept && (version === undefined ? this.#trustCache : kept.version === version)) {
        // Kept in memory too: pages come back to the same contacts (a dashboard's first pages), and
        // from the cache they skip the read and the JSON's decoding (pages: 3,659-3,678/s from the
        // file each time, 4,697-4,854 from the cache before the file). Current now, with no await
        // in between, so no commit can have passed it.
        // A copy of its own: the read's bytes are a slice of a buffer from Node's shared pool, and
        // one kept slice would hold a whole 8 KiB slab, past what the cache counts.
        const own = Buffer.allocUnsafeSlow(kept.bytes.length);
        kept.bytes.copy(own);
        const entry = new KeptEntry({ bytes: own, version: kept.version });
        this.#cache.set(id, entry, entry.bytes.byteLength * 4);
        found.set(id, entry);
      } else missing.push(id);
    }
    if (missing.length > 0) for (const entry of await this.#fetch(missing)) found.set(entry.view.id, entry);
    return ids.flatMap(([id]) => found.get(id) ?? []);
  }

  /**
   * Point reads on PostgreSQL with the point file: other processes write, so a record is served only
   * at the version the database has now, which one statement of ids and versions tells (an index
   * lookup each, no departments); the contacts whose record is older or unknown are then read whole
   * (and kept). A group none of whose ids has a record (the file not built yet, or emptied by an
   * import) is read whole at once, as without the file.
   */
  async #fetchChecked(ids: number[]): Promise<Map<number, ContactEntry>> {
    const points = this.#points!;
    const kept = new Map<number, PointBody>();
    for (const id of ids) {
      const body = points.get(id);
      if (body) kept.set(id, body);
    }
    if (kept.size === 0) return byId(await this.#fetch(ids));
    const found = new Map<number, ContactEntry>();
    const stale: number[] = [];
    for (const row of await this.#engine.read.all<{ id: number; version: number }>(this.#reads.versionsByIds, [ids])) {
      const id = Number(row.id);
      const body = kept.get(id);
      if (body !== undefined && body.version === Number(row.version)) found.set(id, new KeptEntry(body));
      else stale.push(id);
    }
    if (stale.length > 0) for (const entry of await this.#fetch(stale)) found.set(entry.view.id, entry);
    return found;
  }

  /**
   * Reads `ids` from the database, on one snapshot: on PostgreSQL one statement (each row with its
   * departments); on DuckDB the rows, then their links, in one read transaction, so an answer never
   * pairs one version's fields with another's departments, whatever commits meanwhile (a load's
   * included).
   */
  async #fetch(ids: number[]): Promise<ContactEntry[]> {
    const generation = this.#generation;
    const entries = await this.#engine.snapshot((read) => this.#readEntries(read, ids));
    for (const entry of entries) this.#remember(entry, generation);
    if (this.#points !== undefined && entries.length < ids.length && generation === this.#generation) {
      const found = new Set(entries.map((e) => e.view.id));
      for (const id of ids) if (!found.has(id)) this.#points.setAbsent(id);
    }
    return entries;
  }

  /** `ids` as entries, read by `read` (one snapshot on DuckDB: a read transaction), in any order. */
  async #readEntries(read: SqlRunner, ids: number[]): Promise<ContactEntry[]> {
    if (ids.length === 0) return [];
    const linksSql = this.#reads.linksByIds;
    const rows = await read.all<Record<string, unknown>>(this.#reads.byIds, [ids]);
    const links = linksSql === null || rows.length === 0 ? undefined : await read.all<{ id: number; name: string }>(linksSql, [ids]);
    const names = namesByContact(links ?? []);
    return rows.map((row) => toEntry(this.#fields, linksSql === null ? row : { ...row, departments: names.get(Number(row.id)) ?? [] }));
  }

  /**
   * The ids and stored names of `names` (given in any case or accents: "sales" is "Sales"), creating
   * the new ones; a name repeated in another spelling is linked once. `stored`: the departments,
   * when the write read them with its checks (#storedDepartments).
   */
  async #departmentIds(
    tx: SqlRunner,
    names: readonly string[],
    stored?: readonly { id: number; name: string }[],
    maxNew = this.#maxNewDepartments,
  ): Promise<{ ids: number[]; names: string[] }> {
    if (names.length === 0) return { ids: [], names: [] };
    const known = foldedDepartments(stored ?? (await this.#storedDepartments(tx, names)));
    const { folded, fresh } = newDepartments(names, known);
    if (fresh.size > maxNew) throw tooManyNewDepartments(fresh.size, maxNew);
    // New names are created in one order (by folded name) whatever order the request gave them in:
    // two writers creating [A, B] and [B, A] at once each held one and waited for the other's
    // (departments_folded), and PostgreSQL answered one with "deadlock detected".
    for (const [key, raw] of [...fresh].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      // Another process may create the same name meanwhile (PostgreSQL): take theirs.
      const row = (await tx.one<{ id: number; name: string }>(DEPARTMENT_INSERT, [raw])) ?? (await tx.one<{ id: number; name: string }>(DEPARTMENT_BY_NAME, [raw]));
      if (row === undefined) throw new Error(`Department '${raw}' could not be created or found`);
      known.set(key, { id: Number(row.id), name: row.name });
    }
    const chosen = new Map<number, string>();
    for (const [key] of folded) {
      const department = known.get(key)!;
      chosen.set(department.id, department.name);
    }
    const sorted = [...chosen].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    return { ids: sorted.map(([id]) => id), names: sorted.map(([, name]) => name) };
  }
}

/**
 * Bytes of list answers kept per generation: a few thousand pages' keys, enough for the first
 * pages and counts of the filters clients are paging through (a page of 50 keys is ~3 KB).
 */
const ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * How often Idempotency-Keys older than 24 h are purged while the API runs: a key is kept 24 h at
 * least, and at most an hour more, so the table holds about a day of POSTs.
 */
const IDEMPOTENCY_PURGE_EVERY_MS = 60 * 60 * 1000;
/** PostgreSQL: a kept count is served this long, or 20 times as long as it took to count when that is longer (`#counts`). */
const COUNTS_KEPT_MS = 5_000;
/**
 * PostgreSQL: a kept count is served this long at most. Its reading's time includes waiting for a
 * connection and for locks: a count that took 29 s would otherwise hide other processes' writes for
 * ten minutes.
 */
const COUNTS_KEPT_MAX_MS = 60_000;

/**
 * Ids the point file's build reads at a time (and writes at once: 16 MiB of records). At 728k
 * contacts (one DuckDB thread) ranges of 32k ids took 5.1 s in all, of 16k 5.4 s, of 64k 4.8 s.
 */
const POINT_BUILD_IDS = 32_768;

/**
 * The same on PostgreSQL, where this process turns each row into JSON itself (toEntry), between its
 * requests: a range is one turn of the event loop. With 1,024 ids, requests during the build (20-27 s
 * at 803k contacts) waited 8.7-11.9 ms at the median, 32.9-39.0 ms at p99; with 256, 2.9-3.4 and
 * 15.5-25.8 ms (GET /healthz, starts alternating on the bench's database).
 */
const POINT_BUILD_IDS_POSTGRES = 256;
/** Rough bytes of one row of a page's answer: its object, id and version, beside its sort key's text (counted apart). */
const PAGE_KEY_BYTES = 96;
/** CSV downloads of contacts at once, by default (ContactsStoreOptions.maxDownloads). */
const MAX_DOWNLOADS = 4;
/** Contacts a DuckDB CSV export reads per page (views()): bounded memory, whatever the export's size. */
const EXPORT_PAGE = 10_000;
/** Point reads read together at most (a page reads up to 1000; this bounds one statement's list). */
const MAX_POINT_BATCH = 256;
/**
 * How long, at most, a group of point reads waits for the reads it expects (Cohort). Measured at 1M
 * contacts, 32 connections, DuckDB: groups of 1-32 (most 11-32) at 2,075-2,405 point reads/s
 * without; with 2 ms, nearly all 32, 2,632-2,930/s and p99 28-30 -> 20-25 ms.
 */
const POINT_GATHER_MS = 2;

/** Point reads to be read together, and their answer once read. */
interface PointBatch {
  ids: Set<number>;
  /** The reads asking for them (a contact asked twice is read once, for both). */
  requests: number;
  /** It has waited for its cohort (Cohort.gather). */
  gathered?: boolean;
  entries: Promise<Map<number, ContactEntry>>;
  settle(result: Promise<Map<number, ContactEntry>>): void;
}

/** A create or update as data, for group commit's set-based path. */
type WriteData =
  | {
      kind: "create";
      input: ContactInput;
      idempotency?: { key: string; fingerprint: string; respond: (entry: ContactEntry) => { status: number; location: string; body: string } };
    }
  | { kind: "update"; id: number; input: ContactInput; ifMatch?: readonly number[]; partial: boolean };

/** Stored departments by folded name (the first of a fold, as the unique index keeps one). */
function foldedDepartments(stored: readonly { id: number; name: string }[]): Map<string, { id: number; name: string }> {
  const known = new Map<string, { id: number; name: string }>();
  for (const d of stored) {
    const key = fold(d.name);
    if (!known.has(key)) known.set(key, { id: Number(d.id), name: d.name });
  }
  return known;
}

/**
 * `names` folded, each once (a write may give thousands), and those no stored department has by its
 * folded name (`known`), each fold with the first spelling given.
 */
function newDepartments(names: readonly string[], known: { has(key: string): boolean }): { folded: (readonly [key: string, raw: string])[]; fresh: Map<string, string> } {
  const folded = names.map((raw) => [fold(raw), raw] as const);
  const fresh = new Map<string, string>();
  for (const [key, raw] of folded) if (!known.has(key) && !fresh.has(key)) fresh.set(key, raw);
  return { folded, fresh };
}

/** The refusal of a write that gives `count` names that are no department yet, over `max`. */
function tooManyNewDepartments(count: number, max: number): ContactWriteError {
  return new ContactWriteError(
    "too-many-new-departments",
    `names ${count} departments that do not exist yet; one write may create at most ${max} (create them over several writes)`,
  );
}

/** Department names by contact id, from link rows (id, name) in any order. */
function namesByContact(links: readonly { id: number; name: string }[]): Map<number, string[]> {
  const names = new Map<number, string[]>();
  for (const l of links) {
    const id = Number(l.id);
    const list = names.get(id);
    if (list === undefined) names.set(id, [l.name]);
    else list.push(l.name);
  }
  return names;
}

function duplicate(owner: number, email: string): ContactWriteError {
  return new ContactWriteError("duplicate-email", `The e-mail address '${email}' is already used by contact ${owner} (e-mail addresses are compared without regard to case)`);
}

function assertMatch(id: number, version: number, ifMatch: readonly number[] | undefined): void {
  if (ifMatch !== undefined && !ifMatch.includes(version)) throw staleError(id, version, ifMatch);
}

/**
 * The "stale" error of a write whose If-Match (`ifMatch`, the versions it named) does not name
 * contact `id`'s `version`. An If-Match that named no strong ETag (a weak W/"3", or something else)
 * did not fail because the contact changed: the message then says what was wrong with the header.
 * `record` names another record (a plain table's, api/tables/).
 */
export function staleError(id: number, version: number, ifMatch: readonly number[], record = "contact"): ContactWriteError {
  const title = recordTitle(record);
  return ifMatch.length === 0
    ? new ContactWriteError("stale", `If-Match names no strong ETag of ${record} ${id} (a weak W/"..." never matches a write); send its ETag, "${version}"`)
    : new ContactWriteError("stale", `${title} ${id} changed since you read it (its ETag is now "${version}"); GET it again and retry`);
}

/** A record's name as a message begins with it: "contact" -> "Contact". */
export function recordTitle(record: string): string {
  return record.charAt(0).toUpperCase() + record.slice(1);
}

/** A timestamp as the API shows it (ISO 8601, UTC), from either driver's form of it. */
export function iso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string") return new Date(value).toISOString();
  return String(value);
}

/**
 * A contact from the point file: its bytes and ETag at once; its JSON text and view, which a GET
 * does not need, only when asked.
 */
/** Entries by contact id. */
function byId(entries: readonly ContactEntry[]): Map<number, ContactEntry> {
  return new Map(entries.map((e) => [e.view.id, e]));
}

class KeptEntry implements ContactEntry {
  readonly bytes: Buffer;
  readonly version: number;
  readonly etag: string;
  #json: string | undefined;
  #view: ContactView | undefined;

  constructor(kept: PointBody) {
    this.bytes = kept.bytes;
    this.version = kept.version;
    this.etag = `"${kept.version}"`;
  }

  get json(): string {
    return (this.#json ??= this.bytes.toString("utf8"));
  }

  get view(): ContactView {
    return (this.#view ??= JSON.parse(this.json) as ContactView);
  }
}

/** What readSql's pointRows gives for a contact: the JSON before its departments and after them. */
interface PointRowParts {
  id: number;
  version: number | bigint;
  head: string;
  tail: string;
  plain: boolean;
}

/** A contact's JSON from pointRows' `head` and `tail` and its department names: toEntry's, byte for byte (point_file.ts checks the rest). */
function pointBody(head: string, departments: string[], tail: string): string {
  return `${head.slice(0, -1)},"departments":${JSON.stringify(sortedNames(departments))},${tail.slice(1)}`;
}

/** Department names in the order a contact shows them (UTF-16 code units, as JavaScript compares). */
function sortedNames(names: readonly string[]): string[] {
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A database row (fields, timestamps, version, departments) as the API shows it. */
function toEntry(fields: readonly string[], row: Record<string, unknown>): ContactEntry {
  const view = { id: Number(row.id) } as ContactView;
  for (const f of fields) view[f] = (row[f] as string | null | undefined) ?? null;
  view.departments = sortedNames((row.departments as string[] | null | undefined) ?? []);
  view.created_at = iso(row.created_at);
  view.updated_at = iso(row.updated_at);
  const version = Number(row.version);
  const json = JSON.stringify(view);
  return { view, version, etag: `"${version}"`, json, bytes: Buffer.from(json, "utf8") };
}

/** The body a write answers with: the contact, plus `warnings` naming each value the server repaired. */
export function writtenBody(entry: { json: string }, fixes: readonly FieldFix[]): string {
  if (fixes.length === 0) return entry.json;
  const warnings = fixes.map((f) => ({ field: f.field, from: f.from, to: f.to, message: f.message }));
  return `${entry.json.slice(0, -1)},"warnings":${JSON.stringify(warnings)}}`;
}

/** A stable fingerprint of a request body, to refuse an Idempotency-Key reused for a different body. */
export function fingerprint(text: string): string {
  return createHash("sha256").update(text).digest("base64url");
}

/** The cursor key after a page's last row: its sort key (text, or a number) and its id. */
function pageKeyOf(row: { id: unknown; sort_key: unknown }): PageKey {
  return [typeof row.sort_key === "string" ? row.sort_key : Number(row.sort_key), Number(row.id)];
}

/**
 * `inner`, calling `done` once when its iteration ends: finished, failed, or stopped by `return()`,
 * which a cancelled body calls even when no row was asked for (an async generator's `finally`
 * would not run then).
 */
function whenDone<T>(inner: AsyncIterable<T>, done: () => void): AsyncIterable<T> {
  let called = false;
  const once = () => {
    if (!called) {
      called = true;
      done();
    }
  };
  return {
    [Symbol.asyncIterator]() {
      const it = inner[Symbol.asyncIterator]();
      return {
        async next() {
          try {
            const next = await it.next();
            if (next.done) once();
            return next;
          } catch (error) {
            once();
            throw error;
          }
        },
        async return(value?: unknown) {
          // Given back at once, not after the inner return(): given back after it, a HEAD's slot
          // was still taken when the client's next request came (the download tests). So a
          // return() that arrives while a page is being read lets a new download start before that
          // page's connection closes: the bound is exceeded by one, for the length of a page query.
          once();
          return (await it.return?.(value)) ?? { done: true, value: undefined };
        },
      };
    },
  };
}
