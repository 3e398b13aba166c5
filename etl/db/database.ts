/**
 * The one module that touches the DuckDB driver. Everything else (ETL and API) opens databases,
 * runs SQL with bound parameters, appends bulk rows and reads rows through this class, so a driver
 * upgrade changes this file only (an architecture test checks nobody else imports the driver).
 *
 * The driver is loaded on the first `Database.open()` (or `Database.loadDriver()`), not when this
 * module is imported, and with `require()`: it is CommonJS made of ~120 re-exporting files, which
 * Node's ESM loader pre-parses one by one (`import` took 0.22-0.24 s here, `require` 0.11 s). So a
 * command that never opens a database (`--help`, a usage error) never pays for it.
 */
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance, DuckDBPreparedStatement, DuckDBType, DuckDBValue } from "@duckdb/node-api";
import { existsSync, readFileSync, renameSync } from "node:fs";
import { createRequire } from "node:module";

type DriverApi = typeof import("@duckdb/node-api");
type Bindings = typeof import("@duckdb/node-bindings");
let api: DriverApi | null = null;
let bindings: Bindings | null = null;

function driver(): DriverApi {
  return (api ??= createRequire(import.meta.url)("@duckdb/node-api") as DriverApi);
}

/** The raw C-API bindings under node-api, resolved from node-api's own folder (they are its dependency, not ours). */
function rawBindings(): Bindings {
  const require = createRequire(import.meta.url);
  return (bindings ??= createRequire(require.resolve("@duckdb/node-api"))("@duckdb/node-bindings") as Bindings);
}

/** One bound value: a DuckDB value, or a JS array of them (bound as a LIST, e.g. `$1::INTEGER[]`). */
export type Param = DuckDBValue | readonly DuckDBValue[];

/** Values accepted as bound parameters (each a Param): positional (`$1`) or named (`$name`). */
export type Params = readonly unknown[] | Record<string, unknown>;

/** A plain row: BIGINT/HUGEINT come back as `bigint` unless cast in SQL. */
import type { QueryOptions, Row } from "./sql_runner.ts";

/**
 * True for DuckDB's refusal to open a file another process holds ("Could not set lock on file ...:
 * Conflicting lock is held in ..."). Not for any message that merely contains "lock": a corrupt
 * file's "... in block at location 8192" is no lock to wait for.
 *
 * @example
 * ```ts
 * await Database.open("data/contacts.duckdb").catch((e) => isDuckDbLocked(e)); // true while the API runs
 * ```
 */
export function isDuckDbLocked(error: unknown): boolean {
  return error instanceof Error && /Could not set lock on file|Conflicting lock is held/.test(error.message);
}

/**
 * How DuckDB failed, when it is not the statement's fault: "out-of-memory" (the memory_limit could
 * not hold the work: the same statement may pass once other work has finished) or "invalidated" (a
 * fatal error, e.g. a rollback that itself ran out of memory: DuckDB refuses every statement until
 * the database is opened again) or "disk-full" (a write found no room on the disk: the same
 * statement may pass once there is). Undefined for anything else. DuckDB's errors carry no code, only
 * these messages' prefixes.
 *
 * @example
 * ```ts
 * duckDbFailure(new Error("Out of Memory Error: failed to pin block of size 256.0 KiB")); // "out-of-memory"
 * ```
 */
export function duckDbFailure(error: unknown): "out-of-memory" | "invalidated" | "disk-full" | undefined {
  const message = error instanceof Error ? error.message : "";
  if (/^(FATAL Error|INTERNAL Error)|database has been invalidated/.test(message)) return "invalidated";
  // A write (a COMMIT's WAL, a checkpoint) the file system refused for room: passes once there is room.
  if (/No space left on device|Disk quota exceeded/.test(message)) return "disk-full";
  // A COMMIT reports its cause after "Failed to commit: ", without the error's type.
  if (/^(TransactionContext Error: Failed to commit: )?(Out of Memory Error|could not allocate|failed to (pin|allocate|resize))/i.test(message)) return "out-of-memory";
  return undefined;
}

/**
 * What to tell a person whose database file or WAL DuckDB found damaged on opening it (a checksum
 * that does not match, a file cut short, one that is no DuckDB file), or undefined for any other
 * error. DuckDB's own line names the file but not what to do; this says which file, that nothing was
 * changed, and the ways out. `path` is the database opened: DuckDB's message names the file mostly,
 * not always ("Corrupt database file: computed checksum ..."); `reload` the command that fills a new one.
 *
 * @example
 * ```ts
 * await Database.open("data/contacts.duckdb").catch((e) => damagedDuckDb(e, "data/contacts.duckdb", "npm run etl -- --only contacts"));
 * // "data/contacts.duckdb.wal is damaged (...). Nothing was changed. ..."
 * ```
 */
export function damagedDuckDb(error: unknown, path: string, reload: string): string | undefined {
  const message = error instanceof Error ? error.message.split("\n")[0] : "";
  const wal = /Failure while replaying WAL file "([^"]+)"/.exec(message);
  if (wal !== null) {
    const file = wal[1];
    return (
      `${file} is damaged (DuckDB: ${message}). It holds the writes made since ${file.replace(/\.wal$/, "")} was last checkpointed, ` +
      `so the database cannot be opened while it is there. Nothing was changed. Restore both files from a backup; or, to start from ` +
      `the database as last checkpointed (the writes only this WAL holds are lost), move ${file} out of the folder, keeping it, and start again`
    );
  }
  const named = /Could not read enough bytes from file "([^"]+)"|The file "([^"]+)" exists, but it is not a valid DuckDB database/.exec(message);
  const file = named !== null ? (named[1] ?? named[2]) : /^IO Error: Corrupt database file/.test(message) ? path : undefined;
  if (file === undefined) return undefined;
  return (
    `${file} is damaged or is not a DuckDB database (DuckDB: ${message}). Nothing was changed. Restore it (and its .wal, if there is one) ` +
    `from a backup; or move both out of the folder, keeping them, and load again (${reload}) into a new file`
  );
}

/**
 * What to tell a person whose database file DuckDB could not open for writing (a read-only file,
 * another user's, a read-only mount), or undefined for any other error. DuckDB's line ("IO Error:
 * Cannot open file ...: Permission denied") names the file but not that nothing was changed nor
 * what to do.
 *
 * @example
 * ```ts
 * unwritableDuckDb(new Error('IO Error: Cannot open file "data/contacts.duckdb": Permission denied'));
 * // "data/contacts.duckdb cannot be opened for writing (DuckDB: ...). Nothing was changed. ..."
 * ```
 */
export function unwritableDuckDb(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message.split("\n")[0] : "";
  const named = /^IO Error: Cannot open file "([^"]+)": (Permission denied|Read-only file system)/.exec(message);
  if (named === null) return undefined;
  const file = named[1];
  return (
    `${file} cannot be opened for writing (DuckDB: ${message}). Nothing was changed. Let the user running this write it and its folder ` +
    `(chmod u+w ${file}, or chown it to that user; a read-only mount must be mounted read-write), or run this as the user who owns it`
  );
}

/**
 * Whether `error` is DuckDB's for a statement stopped by `Database.interrupt()`.
 *
 * @example
 * ```ts
 * isInterrupted(new Error("INTERRUPT Error: Interrupted!")); // true
 * ```
 */
export function isInterrupted(error: unknown): boolean {
  return error instanceof Error && /^INTERRUPT Error/.test(error.message);
}

export interface OpenOptions {
  /** Open without taking the write lock, so other processes can read the file too. */
  readOnly?: boolean;
  /** Extra DuckDB settings, e.g. `{ threads: "2", memory_limit: "512MB" }`. */
  settings?: Record<string, string>;
  /** Prepared statements this connection keeps, as `connect({ statements })` does for another one. */
  statements?: number;
}

/**
 * The file that marks `path` as being migrated (etl/contacts/migrate.ts): while it exists, the WAL
 * holds only migrations, which can run again, and `Database.open` may set an unreplayable WAL aside.
 */
export function migratingMarker(path: string): string {
  return `${path}.migrating`;
}

/**
 * An open database file with one connection. `close()` releases the file lock.
 *
 * @example
 * ```ts
 * const db = await Database.open("data/contacts.duckdb");
 * try { const rows = await db.all("select * from contacts where id = $1", [7]); }
 * finally { db.close(); }
 * ```
 */
export class Database {
  readonly path: string;
  readonly readOnly: boolean;
  #instance: DuckDBInstance;
  #connection: DuckDBConnection;
  /** Only the Database that opened the instance closes it; connect() siblings close their connection. */
  readonly #ownsInstance: boolean;
  /** Prepared statements by SQL text, least recently used first (connect({ statements })). */
  readonly #statements = new Map<string, DuckDBPreparedStatement>();
  readonly #maxStatements: number;
  /** Statements bound and running now: a second caller of the same text runs it unprepared. */
  readonly #busy = new Set<DuckDBPreparedStatement>();
  #closed = false;

  private constructor(path: string, readOnly: boolean, instance: DuckDBInstance, connection: DuckDBConnection, ownsInstance = true, maxStatements = 0) {
    this.path = path;
    this.readOnly = readOnly;
    this.#instance = instance;
    this.#connection = connection;
    this.#ownsInstance = ownsInstance;
    this.#maxStatements = maxStatements;
  }

  /**
   * Returns another connection to the same open database. Each connection runs one statement at a
   * time and has its own transaction, so readers on their own connections see committed data
   * (MVCC) while a writer's transaction is open. Close it before the Database that made it.
   *
   * With `statements`, `all()` and `one()` with parameters keep up to that many prepared statements
   * (by SQL text) and run the same text again by binding new values: parsing, binding and planning
   * happen once (measured: a one-row `SELECT $1` 0.8 ms each time against 0.15 ms prepared). A
   * query asked for with `{ plan: "custom" }` is planned for its values every time instead.
   *
   * @example
   * ```ts
   * const reader = await db.connect({ statements: 32 });
   * try { await reader.all("select * from contacts where id = $1", [7]); } finally { reader.close(); }
   * ```
   */
  async connect(options: { statements?: number } = {}): Promise<Database> {
    return new Database(this.path, this.readOnly, this.#instance, await this.#instance.connect(), false, options.statements ?? 0);
  }

  /**
   * Loads the DuckDB driver now instead of at the first `open()`, e.g. in a process that starts
   * ahead of its work (see etl/schedule). Returns at once if it is loaded.
   *
   * @example
   * ```ts
   * Database.loadDriver(); // ~0.1 s the first time
   * ```
   */
  static loadDriver(): void {
    driver();
  }

  /**
   * Opens (or creates, unless read-only) the database file at `path` (`:memory:` for none). DuckDB
   * takes 80% of the machine's memory by default; callers that load files bound it in `settings`.
   */
  static async open(path: string, options: OpenOptions = {}): Promise<Database> {
    const settings: Record<string, string> = { ...options.settings };
    if (options.readOnly) settings.access_mode = "READ_ONLY";
    let instance: DuckDBInstance;
    try {
      instance = await driver().DuckDBInstance.create(path, settings);
    } catch (error) {
      // A migration killed between its COMMIT and its CHECKPOINT leaves a WAL DuckDB 1.5 cannot
      // replay (ALTER TABLE ... ADD COLUMN on a table with a DEFAULT or CHECK calling a function).
      // migrate() checkpoints before it starts and marks the file meanwhile, so that WAL holds
      // migrations only: set aside (kept, never deleted), the file is as the checkpoint before them
      // left it, and the migrations run again. Without the mark the WAL is never touched.
      const wal = `${path}.wal`;
      if (options.readOnly || !/replaying WAL/i.test(String(error)) || !existsSync(migratingMarker(path)) || !existsSync(wal)) throw error;
      const aside = `${wal}.interrupted-migration-${Date.now()}`;
      renameSync(wal, aside);
      process.stderr.write(`${path}: a migration was interrupted; its unreadable WAL was moved to ${aside} and the migrations run again\n`);
      instance = await driver().DuckDBInstance.create(path, settings);
    }
    try {
      const connection = await instance.connect();
      return new Database(path, options.readOnly === true, instance, connection, true, options.statements ?? 0);
    } catch (error) {
      instance.closeSync();
      throw error;
    }
  }

  /**
   * Returns an appender for bulk rows into `table` (in `schema`, e.g. "temp"): far faster than one
   * INSERT per row. Close it (in `finally`) before the transaction that holds it commits.
   *
   * @example
   * ```ts
   * const rows = await db.appender("pairs");
   * try { rows.int(1).int(2).bool(null).endRow(); } finally { rows.close(); }
   * ```
   */
  async appender(table: string, options: { schema?: string } = {}): Promise<Appender> {
    return new Appender(await this.#connection.createAppender(table, null, options.schema ?? null));
  }

  /**
   * Returns an appender that sends rows to `table` in DuckDB data chunks of 2048 rows built from
   * typed arrays: one native copy per column per chunk instead of a native call per value, for
   * tables of INTEGER and BOOLEAN columns only (it refuses others with a TypeError). Same calls as
   * `appender()`. Every 64 chunks it flushes, so the appender's buffer stays bounded.
   *
   * @example
   * ```ts
   * const rows = await db.chunkAppender("user_relationships");
   * try { rows.int(1).int(2).bool(true).bool(null).endRow(); } finally { rows.close(); }
   * ```
   */
  async chunkAppender(table: string): Promise<ChunkAppender> {
    return new ChunkAppender(await this.#connection.createAppender(table), table);
  }

  /** Runs one or more statements and discards any result. */
  async run(sql: string, params?: Params): Promise<void> {
    await this.#connection.run(sql, bind(params), typesOf(params));
  }

  /**
   * Returns every row as a plain object (JS values: bigint, Date, string, number, boolean, null).
   * On a connection made with `connect({ statements })`, through a kept prepared statement unless
   * `options.plan` is "custom".
   */
  async all<T = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<T[]> {
    const statement = params !== undefined && options?.plan !== "custom" ? await this.#claim(sql) : undefined;
    if (statement === undefined) {
      const reader = await this.#connection.runAndReadAll(sql, bind(params), typesOf(params));
      return reader.getRowObjectsJS() as T[];
    }
    try {
      statement.bind(bind(params)!, typesOf(params));
      return (await statement.runAndReadAll()).getRowObjectsJS() as T[];
    } finally {
      this.#busy.delete(statement);
    }
  }

  /**
   * The kept statement for `sql` (prepared now if new), marked busy for the caller, who must delete
   * it from #busy when done; undefined when none is kept here or it is in use.
   */
  async #claim(sql: string): Promise<DuckDBPreparedStatement | undefined> {
    if (this.#maxStatements === 0) return undefined;
    const kept = this.#statements.get(sql);
    if (kept !== undefined) {
      if (this.#busy.has(kept)) return undefined;
      this.#busy.add(kept);
      this.#statements.delete(sql);
      this.#statements.set(sql, kept);
      return kept;
    }
    const statement = await this.#connection.prepare(sql);
    if (this.#statements.has(sql)) {
      // Another call prepared the same text meanwhile: keep that one, run this call unprepared.
      statement.destroySync();
      return undefined;
    }
    this.#busy.add(statement);
    this.#statements.set(sql, statement);
    for (const [text, old] of this.#statements) {
      if (this.#statements.size <= this.#maxStatements) break;
      if (this.#busy.has(old)) continue;
      this.#statements.delete(text);
      old.destroySync();
    }
    return statement;
  }

  /**
   * Yields the rows of a query in chunks (DuckDB's vectors, about 2048 rows each) as they are
   * produced, so a result of any size is never held whole.
   *
   * @example
   * ```ts
   * for await (const rows of db.stream("select * from big")) write(rows);
   * ```
   */
  async *stream<T = Row>(sql: string, params?: Params): AsyncGenerator<T[]> {
    const result = await this.#connection.stream(sql, bind(params), typesOf(params));
    for await (const rows of result.yieldRowObjectJs()) yield rows as T[];
  }

  /** Returns the first row, or undefined. */
  async one<T = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<T | undefined> {
    const rows = await this.all<T>(sql, params, options);
    return rows[0];
  }

  /**
   * Runs `fn` inside BEGIN/COMMIT; any throw rolls back and rethrows. DuckDB has one transaction
   * per connection, so callers must not interleave other work on this Database meanwhile.
   */
  async transaction<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    await this.run("BEGIN TRANSACTION");
    try {
      const result = await fn(this);
      await this.run("COMMIT");
      return result;
    } catch (error) {
      try {
        await this.run("ROLLBACK");
      } catch {
        // The transaction may already be aborted; the original error is the one that matters.
      }
      throw error;
    }
  }

  /**
   * Stops the statement this connection is running, which then fails with DuckDB's "INTERRUPT
   * Error" (a transaction it was in must then be rolled back, as after any failure). Does nothing
   * when none runs or the connection is closed.
   */
  interrupt(): void {
    if (!this.#closed) this.#connection.interrupt();
  }

  /** How many prepared statements this connection keeps now (`statements` in open() or connect()). */
  get statementsKept(): number {
    return this.#statements.size;
  }

  /** Closes the connection and the instance; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const statement of this.#statements.values()) statement.destroySync();
    this.#statements.clear();
    this.#connection.closeSync();
    if (this.#ownsInstance) this.#instance.closeSync();
  }
}

/**
 * Types for the lists DuckDB cannot infer: an empty list, or one of NULLs only, is bound as a list
 * of VARCHAR (the SQL casts it, `$1::INTEGER[]`); every other parameter is inferred from its value.
 */
function typesOf(params: Params | undefined): DuckDBType[] | undefined {
  if (!Array.isArray(params)) return undefined;
  const untyped = (v: unknown) => Array.isArray(v) && v.every((item) => item === null || item === undefined);
  if (!(params as readonly unknown[]).some(untyped)) return undefined;
  return (params as readonly unknown[]).map((v) => (untyped(v) ? driver().LIST(driver().VARCHAR) : (undefined as unknown as DuckDBType)));
}

/** JS arrays become DuckDB LIST values; everything else is bound as it is. */
function bind(params: Params | undefined): DuckDBValue[] | Record<string, DuckDBValue> | undefined {
  if (params === undefined) return undefined;
  const one = (value: unknown): DuckDBValue => (Array.isArray(value) ? driver().listValue((value as unknown[]).map((v) => (v === undefined ? null : v)) as DuckDBValue[]) : (value as DuckDBValue));
  if (Array.isArray(params)) return (params as readonly unknown[]).map(one);
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, one(v)]));
}

/**
 * Rows appended column by column; `null` appends SQL NULL. Methods chain: `a.int(1).text(null).endRow()`.
 */
export class Appender {
  readonly #inner: DuckDBAppender;

  constructor(inner: DuckDBAppender) {
    this.#inner = inner;
  }

  /** Appends an INTEGER (or NULL). */
  int(value: number | null): this {
    if (value === null) this.#inner.appendNull();
    else this.#inner.appendInteger(value);
    return this;
  }

  /** Appends a VARCHAR (or NULL). */
  text(value: string | null): this {
    if (value === null) this.#inner.appendNull();
    else this.#inner.appendVarchar(value);
    return this;
  }

  /** Appends a BOOLEAN (or NULL). */
  bool(value: boolean | null): this {
    if (value === null) this.#inner.appendNull();
    else this.#inner.appendBoolean(value);
    return this;
  }

  /** Ends the current row. */
  endRow(): void {
    this.#inner.endRow();
  }

  /** Hands the buffered rows to the table now (bounds the appender's memory on wide rows). */
  flush(): void {
    this.#inner.flushSync();
  }

  /** Flushes and closes; the appender cannot be used afterwards. */
  close(): void {
    this.#inner.closeSync();
  }
}

/** Rows per data chunk: DuckDB's standard vector size. */
const CHUNK_ROWS = 2048;
/** Chunks between flushes of the appender's buffer (~130 k rows). */
const CHUNKS_PER_FLUSH = 64;

/**
 * Rows of INTEGER/BOOLEAN columns collected in typed arrays and handed to DuckDB a chunk at a time
 * (`Database.chunkAppender()`). node-api's `DataChunk.setColumnValues` would do the copying too,
 * but it converts every value through JS wrappers (and BigInt arithmetic for validity once a
 * column has a NULL), which made it slower than appending row by row.
 */
export class ChunkAppender {
  readonly #inner: DuckDBAppender;
  readonly #types: import("@duckdb/node-api").DuckDBType[];
  /** Column data in DuckDB's physical layout: INTEGER as int32, BOOLEAN as one byte. */
  readonly #data: (Int32Array | Uint8Array)[];
  /** Validity bits per column (1 = valid), 64-bit words as DuckDB keeps them. */
  readonly #valid: Uint8Array[];
  readonly #hasNull: boolean[];
  #row = 0;
  #col = 0;
  #chunks = 0;

  constructor(inner: DuckDBAppender, table: string) {
    const { DuckDBTypeId } = driver();
    this.#inner = inner;
    this.#types = [];
    this.#data = [];
    this.#valid = [];
    this.#hasNull = [];
    for (let c = 0; c < inner.columnCount; c++) {
      const type = inner.columnType(c);
      if (type.typeId === DuckDBTypeId.INTEGER) this.#data.push(new Int32Array(CHUNK_ROWS));
      else if (type.typeId === DuckDBTypeId.BOOLEAN) this.#data.push(new Uint8Array(CHUNK_ROWS));
      else {
        inner.closeSync();
        throw new TypeError(`Cannot append to '${table}' in chunks: column ${c + 1} is ${type.toString()}, not INTEGER or BOOLEAN`);
      }
      this.#types.push(type);
      this.#valid.push(new Uint8Array(CHUNK_ROWS / 8).fill(255));
      this.#hasNull.push(false);
    }
  }

  /** Appends an INTEGER (or NULL) to the next column of the current row. */
  int(value: number | null): this {
    if (value === null) this.#null();
    else this.#data[this.#col++][this.#row] = value;
    return this;
  }

  /** Appends a BOOLEAN (or NULL) to the next column of the current row. */
  bool(value: boolean | null): this {
    if (value === null) this.#null();
    else this.#data[this.#col++][this.#row] = value ? 1 : 0;
    return this;
  }

  #null(): void {
    const c = this.#col++;
    const r = this.#row;
    this.#data[c][r] = 0;
    this.#valid[c][r >> 3] &= ~(1 << (r & 7));
    this.#hasNull[c] = true;
  }

  /** Ends the current row. */
  endRow(): void {
    if (this.#col !== this.#data.length) throw new RangeError(`A row needs ${this.#data.length} values; got ${this.#col}`);
    this.#col = 0;
    if (++this.#row === CHUNK_ROWS) this.#appendChunk();
  }

  /** Appends what is left, flushes and closes; the appender cannot be used afterwards. */
  close(): void {
    try {
      this.#appendChunk();
    } finally {
      this.#inner.closeSync();
    }
  }

  #appendChunk(): void {
    const n = this.#row;
    if (n === 0) return;
    const b = rawBindings();
    const chunk = driver().DuckDBDataChunk.create(this.#types, n);
    for (let c = 0; c < this.#data.length; c++) {
      const vector = b.data_chunk_get_vector(chunk.chunk, c);
      const data = this.#data[c];
      b.copy_data_to_vector(vector, 0, data.buffer as ArrayBuffer, 0, data.BYTES_PER_ELEMENT * n);
      if (this.#hasNull[c]) {
        b.vector_ensure_validity_writable(vector);
        b.copy_data_to_vector_validity(vector, 0, this.#valid[c].buffer as ArrayBuffer, 0, Math.ceil(n / 64) * 8);
        this.#valid[c].fill(255);
        this.#hasNull[c] = false;
      }
    }
    this.#inner.appendDataChunk(chunk);
    this.#row = 0;
    if (++this.#chunks % CHUNKS_PER_FLUSH === 0) this.#inner.flushSync();
  }
}

/**
 * Reads a `.sql` file that sits beside the calling module.
 *
 * @example
 * ```ts
 * const ddl = readSql(import.meta.url, "schema.sql");
 * ```
 */
export function readSql(moduleUrl: string, name: string): string {
  return readFileSync(new URL(name, moduleUrl), "utf8");
}

/** Quotes an identifier built from data (table or column names) for DuckDB. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Returns `text` as a SQL string literal, for what takes no bound parameter: ATTACH and COPY paths
 * (ours: the data dir, PARQUET_DIR) and texts of the record definition. Never for data.
 *
 * @example
 * ```ts
 * quoteLiteral("/srv/o'neil/x.duckdb"); // "'/srv/o''neil/x.duckdb'"
 * ```
 */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
