/**
 * The SQL of a plain record table: one definition in `extraTables` (extra_tables.ts), served by the
 * generic table routes (api/tables/). Derived from the definition as the contacts' SQL is, with the
 * same rules (derivedColumns, filterClause, sortKeysOf), but plain: one statement per read, a write
 * its check then its statement in one transaction, no caches, no trigram filters, no set-based
 * groups. Identifiers come from the definition only (checked by checkTableDefinition, then quoted);
 * values are always bound.
 */
import { quoteIdent } from "../db/mod.ts";
import { contactRecord } from "./contact_record.ts";
import { derivedColumns, dialectSql, filterClause, listFilterFields, SEARCH_FILTER, sortKeysOf, writeBump, type Dialect, type FieldListFilter, type ListFilters, type ListSort } from "./contact_sql.ts";
import { linksOf, SEARCH_COLUMN, sortColumnOf, type RecordDefinition } from "./record_definition.ts";

/** A snake_case SQL identifier, as every table and column of a definition must be. */
const SNAKE_CASE = /^[a-z][a-z0-9_]{0,62}$/;

/** The columns every plain table has besides its fields, which the server sets. */
export const TABLE_SERVER_COLUMNS = ["id", "created_at", "updated_at", "version"] as const;

/** The tables of the contacts database that are not a plain table's to take. */
const TAKEN_TABLES = new Set([contactRecord.table, linksOf(contactRecord).table, linksOf(contactRecord).linkTable, "api_idempotency_keys", "contact_loads", "schema_migrations"]);

/**
 * Throws a TypeError naming what a plain table's definition gets wrong: a table, field or record
 * name that is not snake_case, a table of the contacts database's own, a field twice or named as a
 * server column, links or a unique field (which the generic routes do not serve), read-only columns
 * other than the server's, or a filter the SQL cannot serve (listFilterFields).
 *
 * @example
 * ```ts
 * checkTableDefinition({ name: "note", table: "notes", fields: [{ name: "body", type: "string", maxLength: 2000 }], readOnly: ["id", "created_at", "updated_at", "version"] });
 * ```
 */
export function checkTableDefinition(record: RecordDefinition): void {
  const what = `The table definition '${record.name}'`;
  if (!SNAKE_CASE.test(record.name)) throw new TypeError(`${what}: its name must be snake_case (a-z, 0-9, _), as it names the record in messages and schemas`);
  if (!SNAKE_CASE.test(record.table)) throw new TypeError(`${what}: table '${record.table}' must be snake_case (a-z, 0-9, _)`);
  if (TAKEN_TABLES.has(record.table)) throw new TypeError(`${what}: table '${record.table}' is one of the contacts database's own`);
  if (record.links !== undefined) throw new TypeError(`${what}: a plain table has no links (only contacts link departments)`);
  if (record.fields.length === 0) throw new TypeError(`${what}: it has no fields`);
  const seen = new Set<string>(TABLE_SERVER_COLUMNS);
  for (const field of record.fields) {
    if (!SNAKE_CASE.test(field.name)) throw new TypeError(`${what}: field '${field.name}' must be snake_case (a-z, 0-9, _)`);
    if (seen.has(field.name)) throw new TypeError(`${what}: field '${field.name}' is given twice or is a server column`);
    seen.add(field.name);
    if (field.uniqueIgnoringCase) throw new TypeError(`${what}: field '${field.name}' is unique, which the generic table routes do not serve (no 409 for it)`);
  }
  for (const field of record.fields) {
    if (field.sortable && seen.has(sortColumnOf(field))) throw new TypeError(`${what}: the sort key of '${field.name}' would be '${sortColumnOf(field)}', a field's name`);
  }
  if (record.fields.some((f) => f.searchable) && seen.has(SEARCH_COLUMN)) throw new TypeError(`${what}: '${SEARCH_COLUMN}' is the search column, not a field's name`);
  const readOnly = [...record.readOnly].sort();
  if (readOnly.join() !== [...TABLE_SERVER_COLUMNS].sort().join()) throw new TypeError(`${what}: readOnly must be exactly ${TABLE_SERVER_COLUMNS.join(", ")}`);
  tableFilters(record);
}

/** A plain table's field filters: listFilterFields, where `contains` is a scan (no trigram filters). */
export function tableFilters(record: RecordDefinition): readonly FieldListFilter[] {
  return listFilterFields(record, { scanContains: true });
}

/**
 * The query parameters that filter a list of a plain table: its fields' filters, then `q` when a
 * field is searchable.
 *
 * @example
 * ```ts
 * tableFilterNames(notesRecord); // ["topic", "q"]
 * ```
 */
export function tableFilterNames(record: RecordDefinition): readonly string[] {
  return [...tableFilters(record).map((f) => f.param), ...(record.fields.some((f) => f.searchable) ? [SEARCH_FILTER] : [])];
}

/**
 * The name a page's rows carry their sort key under: not snake_case (SNAKE_CASE), so no field can
 * take it. As `sort_key`, a field of that name and the key were two columns of one name, and the
 * cursor held the field's value.
 */
export const PAGE_KEY_COLUMN = "_sort_key";

/** The statements of one plain table, for one dialect. */
export interface TableSql {
  /** Field columns in definition order (= JSON keys). */
  readonly columns: readonly string[];
  /**
   * A query that reads no row but names every column the statements below use (the server's, the
   * fields, the sort keys, the search text): it fails, naming the first missing one, when the
   * table is not as the definition says.
   */
  readonly probe: string;
  /** One row by id ($1). */
  readonly byId: string;
  /** A row's version by id ($1), locking the row on PostgreSQL until the write's transaction ends. */
  readonly versionForWrite: string;
  /** INSERT of every field ($1..$n in `columns` order) and the derived columns; RETURNING the row. */
  readonly insert: string;
  /** UPDATE of `fields` ($1..$k) WHERE id = $k+1 AND version = $k+2, bumping version and updated_at; RETURNING the row. */
  update(fields: readonly string[]): string;
  /** DELETE of row $1 if still at version $2; RETURNING its id. */
  readonly delete: string;
  /** One page: the rows matching `filters` after `after` (sort key, id), `limit` of them (every one when undefined), each with its key as `PAGE_KEY_COLUMN`. */
  page(filters: ListFilters, sort: ListSort, after: [string | number, number] | undefined, limit: number | undefined): { sql: string; params: unknown[] };
  /** How many rows match `filters`. */
  count(filters: ListFilters): { sql: string; params: unknown[] };
}

/**
 * Returns the SQL of the plain table `record` (checked with checkTableDefinition) on `dialect`.
 *
 * @example
 * ```ts
 * const sql = tableSql(notesRecord, "duckdb");
 * await db.one(sql.byId, [1]); // { id: 1, title: "...", created_at, updated_at, version: 1 }
 * ```
 */
export function tableSql(record: RecordDefinition, dialect: Dialect): TableSql {
  checkTableDefinition(record);
  const d = dialectSql(dialect);
  const table = quoteIdent(record.table);
  const columns = record.fields.map((f) => f.name);
  // INTEGER: both drivers hand it over as a number (PostgreSQL's BIGINT comes as text).
  const list = (prefix: string) =>
    [`${prefix}id::INTEGER AS id`, ...columns.map((c) => `${prefix}${quoteIdent(c)}`), `${prefix}created_at`, `${prefix}updated_at`, `${prefix}version::INTEGER AS version`].join(", ");
  const selectList = list("c.");
  const returning = list("");
  const inserted = derivedColumns(record, columns, (f) => `$${columns.indexOf(f) + 1}`);
  const filters = tableFilters(record);
  const { sortKey, orderKey } = sortKeysOf(record, dialect);
  const searchable = record.fields.some((f) => f.searchable);

  function where(values: ListFilters, params: unknown[]): string[] {
    const clauses: string[] = [];
    for (const filter of filters) {
      const value = values[filter.param];
      if (value) clauses.push(filterClause(dialect, filter, `$${params.push(value)}`));
    }
    const q = values[SEARCH_FILTER];
    if (searchable && q) clauses.push(d.contains(`c.${quoteIdent(SEARCH_COLUMN)}`, `fold($${params.push(q)})`));
    return clauses;
  }

  return {
    columns,
    probe: `SELECT ${[...TABLE_SERVER_COLUMNS, ...columns].map(quoteIdent).join(", ")}${inserted.map(([c]) => `, ${c}`).join("")} FROM ${table} LIMIT 0`,
    byId: `SELECT ${selectList} FROM ${table} c WHERE c.id = $1`,
    versionForWrite: `SELECT c.version::INTEGER AS version FROM ${table} c WHERE c.id = $1${dialect === "postgres" ? " FOR UPDATE" : ""}`,
    insert:
      `INSERT INTO ${table} (${[...columns.map(quoteIdent), ...inserted.map(([c]) => c)].join(", ")}) ` +
      `VALUES (${[...columns.map((_, i) => `$${i + 1}`), ...inserted.map(([, v]) => v)].join(", ")}) RETURNING ${returning}`,
    update(fields) {
      for (const f of fields) if (!columns.includes(f)) throw new TypeError(`'${f}' is not a column of ${record.table}`);
      // The search text joins several fields: one not being written keeps its stored value.
      const valueOf = (f: string) => (fields.includes(f) ? `$${fields.indexOf(f) + 1}` : quoteIdent(f));
      const sets = fields.map((f, i) => `${quoteIdent(f)} = $${i + 1}`);
      for (const [column, value] of derivedColumns(record, fields, valueOf)) sets.push(`${column} = ${value}`);
      sets.push(writeBump());
      const id = fields.length + 1;
      return `UPDATE ${table} SET ${sets.join(", ")} WHERE id = $${id} AND version = $${id + 1} RETURNING ${returning}`;
    },
    delete: `DELETE FROM ${table} WHERE id = $1 AND version = $2 RETURNING id`,
    page(values, sort, after, limit) {
      const params: unknown[] = [];
      const clauses = where(values, params);
      const key = sortKey(sort.field);
      if (after !== undefined) {
        const numeric = sort.field === "id" || sort.field === "created_at" || sort.field === "updated_at";
        const value = `$${params.push(numeric ? Number(after[0]) : String(after[0]))}${numeric ? "::BIGINT" : ""}`;
        clauses.push(`(${key}, c.id) ${sort.descending ? "<" : ">"} (${value}, $${params.push(after[1])}::INTEGER)`);
      }
      const dir = sort.descending ? " DESC" : "";
      const order = orderKey(sort.field);
      const sql =
        `SELECT ${selectList}, ${key} AS ${PAGE_KEY_COLUMN} FROM ${table} c` +
        (clauses.length > 0 ? ` WHERE ${clauses.join(" AND ")}` : "") +
        ` ORDER BY ${order}${dir}, c.id${dir}` +
        (limit === undefined ? "" : ` LIMIT ${Math.trunc(limit)}`);
      return { sql, params };
    },
    count(values) {
      const params: unknown[] = [];
      const clauses = where(values, params);
      return { sql: `SELECT count(*)::INTEGER AS n FROM ${table} c${clauses.length > 0 ? ` WHERE ${clauses.join(" AND ")}` : ""}`, params };
    },
  };
}
