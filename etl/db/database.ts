/**
 * The one module that touches the DuckDB driver. Everything else (ETL and API) opens databases,
 * runs SQL with bound parameters, appends bulk rows and reads rows through this class, so a driver
 * upgrade changes this file only (an architecture test checks nobody else imports the driver).
 */
import { DuckDBAppender, DuckDBConnection, DuckDBInstance, LIST, listValue, VARCHAR, type DuckDBType, type DuckDBValue } from "@duckdb/node-api";
import { readFileSync } from "node:fs";

/** One bound value: a DuckDB value, or a JS array of them (bound as a LIST, e.g. `$1::INTEGER[]`). */
export type Param = DuckDBValue | readonly DuckDBValue[];

/** Values accepted as bound parameters (each a Param): positional (`$1`) or named (`$name`). */
export type Params = readonly unknown[] | Record<string, unknown>;

/** A plain row: BIGINT/HUGEINT come back as `bigint` unless cast in SQL. */
import type { Row } from "./sql_runner.ts";

export interface OpenOptions {
  /** Open without taking the write lock, so other processes can read the file too. */
  readOnly?: boolean;
  /** Extra DuckDB settings, e.g. `{ threads: "2", memory_limit: "512MB" }`. */
  settings?: Record<string, string>;
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
  #closed = false;

  private constructor(path: string, readOnly: boolean, instance: DuckDBInstance, connection: DuckDBConnection, ownsInstance = true) {
    this.path = path;
    this.readOnly = readOnly;
    this.#instance = instance;
    this.#connection = connection;
    this.#ownsInstance = ownsInstance;
  }

  /**
   * Returns another connection to the same open database. Each connection runs one statement at a
   * time and has its own transaction, so readers on their own connections see committed data
   * (MVCC) while a writer's transaction is open. Close it before the Database that made it.
   *
   * @example
   * ```ts
   * const reader = await db.connect();
   * try { await reader.all("select count(*) from contacts"); } finally { reader.close(); }
   * ```
   */
  async connect(): Promise<Database> {
    return new Database(this.path, this.readOnly, this.#instance, await this.#instance.connect(), false);
  }

  /**
   * Opens (or creates, unless read-only) the database file at `path` (`:memory:` for none). DuckDB
   * takes 80% of the machine's memory by default; callers that load files bound it in `settings`.
   */
  static async open(path: string, options: OpenOptions = {}): Promise<Database> {
    const settings: Record<string, string> = { ...options.settings };
    if (options.readOnly) settings.access_mode = "READ_ONLY";
    const instance = await DuckDBInstance.create(path, settings);
    try {
      const connection = await instance.connect();
      return new Database(path, options.readOnly === true, instance, connection);
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

  /** Runs one or more statements and discards any result. */
  async run(sql: string, params?: Params): Promise<void> {
    await this.#connection.run(sql, bind(params), typesOf(params));
  }

  /** Returns every row as a plain object (JS values: bigint, Date, string, number, boolean, null). */
  async all<T = Row>(sql: string, params?: Params): Promise<T[]> {
    const reader = await this.#connection.runAndReadAll(sql, bind(params), typesOf(params));
    return reader.getRowObjectsJS() as T[];
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
  async one<T = Row>(sql: string, params?: Params): Promise<T | undefined> {
    const rows = await this.all<T>(sql, params);
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

  /** Closes the connection and the instance; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
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
  return (params as readonly unknown[]).map((v) => (untyped(v) ? LIST(VARCHAR) : (undefined as unknown as DuckDBType)));
}

/** JS arrays become DuckDB LIST values; everything else is bound as it is. */
function bind(params: Params | undefined): DuckDBValue[] | Record<string, DuckDBValue> | undefined {
  if (params === undefined) return undefined;
  const one = (value: unknown): DuckDBValue => (Array.isArray(value) ? listValue((value as unknown[]).map((v) => (v === undefined ? null : v)) as DuckDBValue[]) : (value as DuckDBValue));
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
