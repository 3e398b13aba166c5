/**
 * One plain record table (an `extraTables` definition) behind the API: plain SQL with bound
 * parameters (etl/contacts tableSql), in the contacts database, on either backend. Correct before
 * fast, on purpose: every read is one statement (a page reads its rows whole, the count is a scan),
 * every write one transaction holding its check and its statement, nothing cached. Fine for the
 * thousands of rows such tables hold; a table of a million rows would want what contacts have
 * (indexes on PostgreSQL for its sorts and filters, a point-read cache, group commit's set-based
 * writes on DuckDB, trigram filters for `contains`), none of which this needs to be correct.
 */
import { IDEMPOTENCY_GET, IDEMPOTENCY_INSERT, PAGE_KEY_COLUMN, tableSql, type ContactInput, type ListFilters, type ListSort, type RecordDefinition, type TableSql } from "../../etl/contacts/mod.ts";
import type { SqlRunner } from "../../etl/db/mod.ts";
import type { StreamRunner } from "../contacts/contacts_engines.ts";
import { ContactWriteError, iso, recordTitle, staleError, type IdempotentResult, type PageKey, type TableDatabase } from "../contacts/contacts_store.ts";

/** Rows a CSV download reads per statement. */
const DOWNLOAD_PAGE = 1000;

/** The keyset position of a row read by a page statement: its sort key, then its id. */
function pageKeyOf(row: Record<string, unknown>): PageKey {
  const key = row[PAGE_KEY_COLUMN];
  return [typeof key === "string" ? key : Number(key), Number(row.id)];
}

/** One row as served: its view, version, ETag and serialised JSON. */
export interface TableEntry {
  view: Record<string, unknown>;
  version: number;
  etag: string;
  json: string;
}

/**
 * The rows of one plain table.
 *
 * @example
 * ```ts
 * const notes = await TableStore.open(notesRecord, contacts.tableDatabase);
 * const { entry } = await notes.create({ title: "Call back" });
 * (await notes.get(entry!.view.id as number))?.etag; // '"1"'
 * ```
 */
export class TableStore {
  readonly record: RecordDefinition;
  readonly #db: TableDatabase;
  readonly #sql: TableSql;

  private constructor(record: RecordDefinition, db: TableDatabase) {
    this.record = record;
    this.#db = db;
    this.#sql = tableSql(record, db.dialect);
  }

  /**
   * Checks the definition and that the table has every column its statements name (the fields,
   * and the sort keys and search text the writes fill), so a definition without its migration, or
   * a migration missing one of them, stops the start-up instead of failing requests.
   */
  static async open(record: RecordDefinition, db: TableDatabase): Promise<TableStore> {
    const store = new TableStore(record, db);
    try {
      await db.read.all(store.#sql.probe, []);
    } catch (error) {
      throw new Error(`The table '${record.table}' of the definition '${record.name}' cannot be read as the definition says (${(error as Error).message.split("\n")[0]}); add its migration, with every column "Adding a table" lists, to each backend's set (etl/contacts/README.md)`, { cause: error });
    }
    return store;
  }

  /** Row `id`, or undefined. */
  async get(id: number): Promise<TableEntry | undefined> {
    const row = await this.#db.read.one<Record<string, unknown>>(this.#sql.byId, [id]);
    return row === undefined ? undefined : this.#entry(row);
  }

  /** One page (limit rows after `after`), the key after its last row when there are more, and the total when asked. */
  async page(filters: ListFilters, sort: ListSort, after: PageKey | undefined, limit: number, withTotal: boolean): Promise<{ entries: TableEntry[]; nextKey: PageKey | undefined; total?: number }> {
    const { sql, params } = this.#sql.page(filters, sort, after, limit + 1);
    const rows = await this.#db.read.all<Record<string, unknown>>(sql, params, { plan: "custom" });
    const more = rows.length > limit;
    const kept = more ? rows.slice(0, limit) : rows;
    const last = kept.at(-1);
    const nextKey = more && last !== undefined ? pageKeyOf(last) : undefined;
    const entries = kept.map((row) => this.#entry(row));
    if (!withTotal) return { entries, nextKey };
    const count = this.#sql.count(filters);
    const total = Number((await this.#db.read.one<{ n: number }>(count.sql, count.params, { plan: "custom" }))?.n ?? 0);
    return { entries, nextKey, total };
  }

  /**
   * Every row `filters` match, in `sort` order, as the API shows them, for a CSV download: from one
   * read snapshot (a row written meanwhile is in it whole or not at all, never twice), in bounded
   * memory whatever the table holds, as contacts' downloads: on PostgreSQL one statement through a
   * cursor, on DuckDB pages of DOWNLOAD_PAGE rows in one read transaction. Undefined when the
   * downloads bound shared with contacts is taken.
   */
  download(filters: ListFilters, sort: ListSort): AsyncIterable<Record<string, unknown>> | undefined {
    return this.#db.download((read) => (this.#db.dialect === "postgres" ? this.#streamAll(read, filters, sort) : this.#pages(read, filters, sort)));
  }

  async *#streamAll(read: StreamRunner, filters: ListFilters, sort: ListSort): AsyncGenerator<Record<string, unknown>> {
    const { sql, params } = this.#sql.page(filters, sort, undefined, undefined);
    for await (const rows of read.stream(sql, params)) {
      for (const row of rows) yield this.#entry(row).view;
    }
  }

  async *#pages(read: SqlRunner, filters: ListFilters, sort: ListSort): AsyncGenerator<Record<string, unknown>> {
    let after: PageKey | undefined;
    for (;;) {
      const { sql, params } = this.#sql.page(filters, sort, after, DOWNLOAD_PAGE + 1);
      const rows = await read.all<Record<string, unknown>>(sql, params, { plan: "custom" });
      const shown = rows.slice(0, DOWNLOAD_PAGE);
      for (const row of shown) yield this.#entry(row).view;
      const last = shown.at(-1);
      if (rows.length <= DOWNLOAD_PAGE || last === undefined) return;
      after = pageKeyOf(last);
    }
  }

  /** The stored answer of a POST for an Idempotency-Key, if any. */
  idempotent(key: string): Promise<IdempotentResult | undefined> {
    return this.#db.read.one<IdempotentResult>(IDEMPOTENCY_GET, [key]);
  }

  /**
   * Inserts a validated row. With `idempotency`, the key and the answer (built by `respond`) are
   * stored in the same transaction (the contacts' table of keys); a key already stored gives its
   * answer as `replay`.
   */
  create(
    input: ContactInput,
    idempotency?: { key: string; fingerprint: string; respond: (entry: TableEntry) => { status: number; location: string; body: string } },
  ): Promise<{ entry: TableEntry; replay?: undefined } | { entry?: undefined; replay: IdempotentResult }> {
    return this.#db.write(async (tx) => {
      if (idempotency !== undefined) {
        const previous = await tx.one<IdempotentResult>(IDEMPOTENCY_GET, [idempotency.key]);
        if (previous !== undefined) return { replay: previous };
      }
      const row = await tx.one<Record<string, unknown>>(this.#sql.insert, this.#sql.columns.map((f) => (input[f] as string | null | undefined) ?? null));
      const entry = this.#entry(row!);
      if (idempotency !== undefined) {
        const answer = idempotency.respond(entry);
        await tx.run(IDEMPOTENCY_INSERT, [idempotency.key, idempotency.fingerprint, answer.status, answer.location, answer.body, entry.etag]);
      }
      return { entry };
    });
  }

  /** Writes `input` over row `id` (every field, or only the given ones when `partial`), conditionally on `ifMatch`. */
  update(id: number, input: ContactInput, options: { ifMatch?: readonly number[]; partial: boolean }): Promise<TableEntry> {
    return this.#db.write(async (tx) => {
      const version = await this.#checked(tx, id, options.ifMatch);
      // An empty merge patch bumps the version alone, as a contact's does.
      const fields = options.partial ? this.#sql.columns.filter((f) => Object.hasOwn(input, f)) : this.#sql.columns;
      const row = await tx.one<Record<string, unknown>>(this.#sql.update(fields), [...fields.map((f) => (input[f] as string | null | undefined) ?? null), id, version]);
      if (row === undefined) throw new ContactWriteError("stale", `${recordTitle(this.record.name)} ${id} changed while being written; read it again and retry`);
      return this.#entry(row);
    });
  }

  /** Deletes row `id`, conditionally on `ifMatch`. */
  delete(id: number, ifMatch?: readonly number[]): Promise<void> {
    return this.#db.write(async (tx) => {
      const version = await this.#checked(tx, id, ifMatch);
      const gone = await tx.all(this.#sql.delete, [id, version]);
      if (gone.length === 0) throw new ContactWriteError("stale", `${recordTitle(this.record.name)} ${id} changed while being deleted; read it again and retry`);
    });
  }

  /** Row `id`'s version (locked on PostgreSQL), or the refusal: not there, or not the version If-Match names. */
  async #checked(tx: SqlRunner, id: number, ifMatch: readonly number[] | undefined): Promise<number> {
    const current = await tx.one<{ version: number }>(this.#sql.versionForWrite, [id]);
    if (current === undefined) throw new ContactWriteError("not-found", `No ${this.record.name} has id ${id}`);
    const version = Number(current.version);
    if (ifMatch !== undefined && !ifMatch.includes(version)) throw staleError(id, version, ifMatch, this.record.name);
    return version;
  }

  /** A row as the API shows it: id, the fields in definition order, the timestamps; the version is its ETag. */
  #entry(row: Record<string, unknown>): TableEntry {
    const view: Record<string, unknown> = { id: Number(row.id) };
    for (const f of this.#sql.columns) view[f] = (row[f] as string | null | undefined) ?? null;
    view.created_at = iso(row.created_at);
    view.updated_at = iso(row.updated_at);
    const version = Number(row.version);
    return { view, version, etag: `"${version}"`, json: JSON.stringify(view) };
  }
}
