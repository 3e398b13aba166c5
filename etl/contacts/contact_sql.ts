/**
 * Every SQL statement on the contacts tables, derived from a record definition, for both backends.
 * Statements use positional parameters (`$1`...) and run unchanged on DuckDB and PostgreSQL; the few
 * expressions that differ between the two are named in `DIALECTS` below. Nothing here is built from
 * request data: identifiers come from the record definition (quoted), values are always bound.
 */
import { quoteIdent, quoteLiteral } from "../db/mod.ts";
import { contactRecord } from "./contact_record.ts";
import { keyColumnOf, linksOf, normaliseValue, patternProblem, SEARCH_COLUMN, sortColumnOf, upsertKeyOf, type FieldDefinition, type FieldFilter, type RecordDefinition } from "./record_definition.ts";

/** The two backends. */
export type Dialect = "duckdb" | "postgres";

/** DuckDB's memory, in MB, for migrations and CSV loads of up to a million rows. */
export const CONTACTS_LOAD_MEMORY_MB = 512;

/**
 * DuckDB's memory, in MB, for the staging of a load `npm run etl` runs itself (no API running; its
 * transaction still gets loadMemoryMb's): the process is the load's alone, and its peak RSS is
 * what the load's 1 GB bound is about. The 1M-row file, `npm run etl` alternating the two (three
 * rounds): at 512 MB 11.7-12.5 s and 823-909 MB peak, at 384 MB 12.3-13.2 s and 689-757 MB.
 */
export const CONTACTS_DIRECT_LOAD_MEMORY_MB = 384;

/**
 * The storage format a new contacts.duckdb is created in (a file that exists keeps its own: DuckDB
 * reads and writes it as it was created). DuckDB 1.5 writes new files in its 1.0 format by default,
 * whose indexes (ART) it stores in an older layout: every checkpoint converted all of contacts' and
 * contact_departments' index nodes into it (the 1M-row load's checkpoint 1.24 s, against 0.23 s in
 * the 1.2 format). The columns are stored with the same compression either way. Such a file needs
 * DuckDB 1.2 or newer to open.
 */
export const CONTACTS_STORAGE_SETTINGS: Readonly<Record<string, string>> = { storage_compatibility_version: "v1.2.0" };

/**
 * DuckDB settings for contacts.duckdb (the API and `npm run etl`): a bounded memory budget, so a CSV
 * load spills its work tables to disk (`<file>.tmp/`) instead of growing the process. Not less: at a
 * million contacts, a 100k-row load through an API that had just taken a burst of updates ran out
 * of a 256 MB budget (DuckDB keeps indexes and uncheckpointed updates in memory).
 */
export const CONTACTS_DUCKDB_SETTINGS: Readonly<Record<string, string>> = { memory_limit: `${CONTACTS_LOAD_MEMORY_MB}MiB`, ...CONTACTS_STORAGE_SETTINGS };

/**
 * DuckDB settings for a load that has contacts.duckdb to itself (`npm run etl` without an API): its
 * allocator purges freed memory in a background thread, and, with that thread on, DuckDB's trims
 * leave glibc 32 MiB a thread instead of 128. The budget bounds what DuckDB uses, not what the
 * process keeps. Peak RSS of the 1M-row load, in process, alternating: defaults 766-1,067 MB (3 runs
 * in 11 over 1 GB); these settings 748-904 MB (7 runs); the background thread alone 764-924 MB
 * (7); the 32 MiB without the thread, which then flushes each thread's cache instead, 782-1,042 MB
 * and slower (4). Times alike otherwise. Not the API's: there the background thread turns that
 * per-thread flush off, and the API kept more (608-623 MB after reads and writes, against 531-564).
 * The thread is the allocator's, one for the process: a DuckDB database opened with other settings
 * while a load runs turns it off.
 */
export const CONTACTS_LOAD_DUCKDB_SETTINGS: Readonly<Record<string, string>> = {
  ...CONTACTS_DUCKDB_SETTINGS,
  allocator_flush_threshold: "32MiB",
  allocator_background_threads: "true",
};

/**
 * DuckDB's memory, in MB, for the transaction of a load of `rows` CSV rows: at least `floorMb`,
 * and 256 MB plus 224 bytes a row. DuckDB holds the index entries (ART) of the rows a transaction
 * writes in memory until it commits, and cannot spill them: ~100 bytes a row of the users' shape (a
 * 3M-row file, 2.18M contacts and 2.98M links: 301 MB of index before its commit), and the commit
 * merges them into the table's indexes, which needs about as much again. Measured: a 3M-row file
 * failed ("Out of Memory") at a fixed 512 MB after its work tables had spilled 1.7 GB to disk and
 * loaded with 700 MB; a 10M-row file failed in its COMMIT with 384 MB + 128 bytes a row (1.6 GB).
 * So a load's memory grows with the rows it writes, not with the table; a 1M-row file keeps 512 MB.
 *
 * @example
 * ```ts
 * loadMemoryMb(1_000_000, 512); // 512
 * loadMemoryMb(3_000_000, 512); // 897
 * ```
 */
export function loadMemoryMb(rows: number, floorMb: number): number {
  return Math.max(floorMb, 256 + Math.ceil((rows * 224) / 2 ** 20));
}

/**
 * DuckDB's memory, in MB, while the API serves `contacts`: 256 MB, and past a million contacts
 * 256 bytes each. Writes to random contacts load and dirty the indexes (ART) of the whole table,
 * which stay in memory until a checkpoint; short of memory, DuckDB fails the write ("Out of
 * Memory"), may fail the rollback too and invalidate the database until the process restarts, and
 * in one case aborted the process. Measured with PUTs at 32 connections: at 728k contacts 256 MB
 * holds; at 2.18M, 256 and 352 MB failed within seconds and 512 MB held.
 *
 * @example
 * ```ts
 * servingMemoryMb(728_124); // 256
 * servingMemoryMb(2_186_343); // 534
 * ```
 */
export function servingMemoryMb(contacts: number): number {
  return Math.max(256, Math.ceil((contacts * 256) / 2 ** 20));
}

/** The expressions that are spelled differently on the two backends. */
export interface DialectSql {
  /** A timestamp column as integer microseconds since 1970 (keyset cursors must not lose precision). */
  epochMicros(column: string): string;
  /** `column` contains the text `value` (a bound parameter, already folded). */
  contains(column: string, value: string): string;
  /**
   * What ORDER BY names for a timestamp sort: the same order as epochMicros(column). DuckDB sorts the
   * stored column (half the time of sorting a computed key at 1M rows); PostgreSQL names the
   * expression its indexes are built on.
   */
  timestampOrder(column: string): string;
}

const DIALECTS: Record<Dialect, DialectSql> = {
  duckdb: {
    epochMicros: (column) => `epoch_us(${column})`,
    contains: (column, value) => `contains(${column}, ${value})`,
    timestampOrder: (column) => column,
  },
  postgres: {
    // epoch_us(), as DuckDB names it, is a function of migrations/postgres/001; its expression
    // indexes serve keyset pages on timestamps.
    epochMicros: (column) => `epoch_us(${column})`,
    // LIKE is what the trigram indexes serve; the value's own % _ \ are escaped to mean themselves.
    contains: (column, value) => `${column} LIKE '%' || replace(replace(replace(${value}, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'`,
    timestampOrder: (column) => `epoch_us(${column})`,
  },
};

/**
 * The SET item every write of a row ends with, `row` naming the table where a join makes the
 * columns ambiguous: the version bumped (the ETag follows it), and updated_at moved to the
 * transaction's time but never back. On PostgreSQL writes are transactions of their own, several
 * at once and from several processes, and `current_timestamp` is the time a transaction began: one
 * begun before another committed a write of the same row (or created it) set a time before that
 * write's, or before created_at, which the table's CHECK refuses (a PUT answered 500,
 * api/contacts/write_races_postgres_test.ts). On DuckDB writes are one after another: no change.
 */
export function writeBump(row = ""): string {
  return `version = ${row}version + 1, updated_at = greatest(current_timestamp, ${row}updated_at)`;
}

/** The column each `contains()` filter reads (folded text). */
export const CONTAINS_COLUMNS = { company: "company_name_sort", q: SEARCH_COLUMN } as const;

/** Statements and column lists for one record table. */
export interface RecordSql {
  /** Quoted table name. */
  readonly table: string;
  /** Field columns in definition order (unquoted names, = JSON keys). */
  readonly columns: readonly string[];
  /** The unique-ignoring-case field (`email`) and its key column (`email_key`). */
  readonly keyField: string;
  readonly keyColumn: string;
  /** `id, first_name, ..., created_at, updated_at, version` (quoted), for SELECTs. */
  readonly selectList: string;
  /**
   * What writes return: selectList, then the CONTAINS_COLUMNS as stored, which the DuckDB engine
   * records in its search filters (api/contacts/contains_filters.ts) without reading them back.
   */
  readonly returningList: string;
  /**
   * INSERT of every field column ($1..$n in `columns` order) + the key, sort and search columns;
   * RETURNING the whole row (returningList).
   */
  readonly insert: string;
  /**
   * UPDATE of `fields` ($1..$k in the given order) WHERE id = $k+1 (AND version = $k+2 when
   * `ifVersion`), bumping version and updated_at; RETURNING the whole row (returningList). Sets the key column only
   * when the key field is among `fields` (DuckDB rewrites an UPDATE of an indexed column as delete +
   * insert; with RETURNING it does so anyway, contact_schema_test.ts).
   */
  update(fields: readonly string[], options?: { ifVersion?: boolean }): string;
  /** `SET` items keeping the sort and search columns of `fields` in step, given each field's SQL value. */
  derivedSets(fields: readonly string[], valueOf: (field: string) => string): string[];
}

/**
 * Returns the SQL for `record`.
 *
 * @example
 * ```ts
 * const sql = recordSql(contactRecord);
 * await db.all(sql.insert, sql.columns.map((c) => value[c] ?? null)); // [{ id: 1, version: 1, ... }]
 * ```
 */
export function recordSql(record: RecordDefinition): RecordSql {
  const columns = record.fields.map((f) => f.name);
  const key = upsertKeyOf(record);
  const keyColumn = keyColumnOf(key);
  const table = quoteIdent(record.table);
  const quoted = columns.map(quoteIdent);
  const selectList = ["id", ...quoted, "created_at", "updated_at", "version"].join(", ");
  const returningList = [selectList, ...Object.values(CONTAINS_COLUMNS).map(quoteIdent)].join(", ");
  const derived = (fields: readonly string[], valueOf: (field: string) => string) => derivedColumns(record, fields, valueOf);
  const position = (f: string) => `$${columns.indexOf(f) + 1}`;
  const inserted = derived(columns, position);
  const insert =
    `INSERT INTO ${table} (${[...quoted, ...inserted.map(([c]) => c)].join(", ")}) ` +
    `VALUES (${[...columns.map((_, i) => `$${i + 1}`), ...inserted.map(([, v]) => v)].join(", ")}) RETURNING ${returningList}`;
  return {
    table,
    columns,
    keyField: key.name,
    keyColumn,
    selectList,
    returningList,
    insert,
    update(fields, options = {}) {
      for (const f of fields) {
        if (!columns.includes(f)) throw new TypeError(`'${f}' is not a column of ${record.table}`);
      }
      const at = (f: string) => `$${fields.indexOf(f) + 1}`;
      // The search text joins several fields: one not being written keeps its stored value.
      const valueOf = (f: string) => (fields.includes(f) ? at(f) : quoteIdent(f));
      const sets = fields.map((f, i) => `${quoteIdent(f)} = $${i + 1}`);
      for (const [column, value] of derived(fields, valueOf)) sets.push(`${column} = ${value}`);
      sets.push(writeBump());
      const id = fields.length + 1;
      const guard = options.ifVersion ? ` AND version = $${id + 1}` : "";
      return `UPDATE ${table} SET ${sets.join(", ")} WHERE id = $${id}${guard} RETURNING ${returningList}`;
    },
    derivedSets(fields, valueOf) {
      return derived(fields, (f) => (fields.includes(f) ? valueOf(f) : quoteIdent(f))).map(([c, v]) => `${c} = ${v}`);
    },
  };
}

/**
 * The columns every writer derives from `fields` of `record` (a subset being written), as (quoted
 * column, SQL value) pairs given each field's SQL value: the key column of a unique-ignoring-case
 * field (`lower()`), the sort key of each sortable one and the search text when a searchable one is
 * among them. The one rule for contacts (recordSql) and plain tables (table_sql.ts) alike.
 *
 * @example
 * ```ts
 * derivedColumns(contactRecord, ["city"], () => "$1"); // [['"city_sort"', "fold($1)"]]
 * ```
 */
export function derivedColumns(record: RecordDefinition, fields: readonly string[], valueOf: (field: string) => string): [string, string][] {
  const key = record.fields.find((f) => f.uniqueIgnoringCase);
  const searchable = record.fields.filter((f) => f.searchable).map((f) => f.name);
  // fold() is the SQL twin of etl/text fold(): a macro (DuckDB) or function (PostgreSQL) created by
  // the migrations. Sort keys and the search text are plain columns written with the row.
  const pairs: [string, string][] = [];
  if (key !== undefined && fields.includes(key.name)) pairs.push([quoteIdent(keyColumnOf(key)), `lower(${valueOf(key.name)})`]);
  for (const f of record.fields) if (f.sortable && fields.includes(f.name)) pairs.push([quoteIdent(sortColumnOf(f)), `fold(${valueOf(f.name)})`]);
  if (searchable.length > 0 && searchable.some((f) => fields.includes(f))) {
    pairs.push([quoteIdent(SEARCH_COLUMN), searchable.map((f) => `fold(${valueOf(f)})`).join(" || ' ' || ")]);
  }
  return pairs;
}

/** The contacts table's SQL (see recordSql). */
export const contactSql: RecordSql = recordSql(contactRecord);

/** Id ranges [first, last], inclusive (api/contacts/trigram_blocks.ts). */
export type IdRanges = readonly (readonly [number, number])[];

/**
 * A list's filters: a value by query parameter, one of listFilterNames(record) (`{ state: "CA" }`).
 * Empty and absent values filter nothing.
 */
export type ListFilters = Readonly<Record<string, string | undefined>>;

/** The list filters that are not a field's: a department's name (the record's links) and `q` (searchable fields). */
export const LINK_FILTER = "department";
export const SEARCH_FILTER = "q";

// The other parameters of a list, which no field's filter may take.
const LIST_PARAMETERS = new Set([LINK_FILTER, SEARCH_FILTER, "sort", "limit", "cursor", "count", "format"]);

/** A field's list filter: its query parameter, the field and how it matches. */
export interface FieldListFilter {
  readonly param: string;
  readonly field: FieldDefinition;
  readonly match: FieldFilter["match"];
  /** For the API document. */
  readonly description: string;
}

/**
 * The filters a list of `record` takes from its fields (those with `filter` in the definition), in
 * the order their SQL is written: `exact` ones, `folded`, then `contains`, each in definition order.
 * Throws a TypeError for a definition whose filter cannot be served: `folded` on a field that is not
 * sortable (it reads the sort key), `contains` on a column the trigram filters do not know, or a
 * parameter name taken.
 *
 * @example
 * ```ts
 * listFilterFields(contactRecord).map((f) => f.param); // ["state", "city", "company"]
 * ```
 */
export function listFilterFields(record: RecordDefinition, options: { scanContains?: boolean } = {}): readonly FieldListFilter[] {
  const filters: FieldListFilter[] = [];
  const taken = new Set(LIST_PARAMETERS);
  for (const match of ["exact", "folded", "contains"] as const) {
    for (const field of record.fields) {
      if (field.filter?.match !== match) continue;
      const param = field.filter.param ?? field.name;
      if (taken.has(param)) throw new TypeError(`The list filter of '${field.name}' would be '${param}', a parameter lists already take; give it another \`param\``);
      taken.add(param);
      if (match === "folded" && !field.sortable) throw new TypeError(`'${field.name}' filters folded, which reads its sort key: mark it sortable too`);
      if (match === "contains" && !field.sortable) throw new TypeError(`'${field.name}' filters by contains, which reads its sort key: mark it sortable too`);
      // A plain table (table_sql.ts) scans for a substring; contacts keep trigram filters for theirs.
      if (match === "contains" && !options.scanContains && (CONTAINS_COLUMNS as Record<string, string>)[param] !== sortColumnOf(field)) {
        throw new TypeError(`'${field.name}' cannot filter by contains: only the columns CONTAINS_COLUMNS names have trigram filters`);
      }
      filters.push({ param, field, match, description: field.filter.description ?? filterDescription(record, field, match) });
    }
  }
  return filters;
}

/**
 * Why `value` can never match the exact filter `filter`, or null: a field with a `pattern` holds
 * only values it takes (after its normalisation, as a write's), so `state=cal` is a client's
 * mistake to be told, not an empty page. Folded and contains filters compare another form of the
 * value (folded, a substring), which no pattern describes: they take any text.
 *
 * @example
 * ```ts
 * impossibleFilterValue(stateFilter, "cal"); // "must be two letters A-Z"
 * impossibleFilterValue(stateFilter, "ca"); // null
 * ```
 */
export function impossibleFilterValue(filter: FieldListFilter, value: string): string | null {
  const { field } = filter;
  if (filter.match !== "exact" || field.pattern === undefined) return null;
  const normalised = field.normalise === undefined ? value : normaliseValue(field.normalise, value).value;
  return field.pattern.test(normalised) ? null : patternProblem(field, value);
}

/**
 * The JSON Schema of `filter`'s query parameter: with the field's pattern where the filter holds
 * values to it (an exact filter; any case when the field is upper-cased on input), so the document
 * shows what impossibleFilterValue() refuses.
 */
export function filterParamSchema(filter: FieldListFilter): { type: "string"; pattern?: string } {
  const { field } = filter;
  if (filter.match !== "exact" || field.pattern === undefined) return { type: "string" };
  if (field.normalise === undefined) return { type: "string", pattern: field.pattern.source };
  // Upper-cased on input: its A-Z ranges take a-z too. Another normalisation has no pattern to show.
  if (field.normalise.kind === "upper" && !/a-z/.test(field.pattern.source)) return { type: "string", pattern: field.pattern.source.replaceAll("A-Z", "A-Za-z") };
  return { type: "string" };
}

// The record's own name: a plain table's list is documented from these too.
function filterDescription(record: RecordDefinition, field: FieldDefinition, match: FieldFilter["match"]): string {
  if (match === "exact") return `\`${field.name}\`, exact match${field.normalise?.kind === "upper" ? ", any case" : ""}.`;
  if (match === "folded") return `\`${field.name}\`, exact match ignoring case and accents (a ${record.name} without one never matches).`;
  return `Substring of \`${field.name}\`, ignoring case and accents (a ${record.name} without one never matches).`;
}

/**
 * The query parameters that filter a list of `record`: its fields' filters (listFilterFields), then
 * the department and `q`. What `GET /contacts` accepts and documents; a field given a `filter` in
 * the definition is among them.
 *
 * @example
 * ```ts
 * listFilterNames(contactRecord); // ["state", "city", "company", "department", "q"]
 * ```
 */
export function listFilterNames(record: RecordDefinition): readonly string[] {
  return [...listFilterFields(record).map((f) => f.param), LINK_FILTER, SEARCH_FILTER];
}

/**
 * The fields a list of `record` may be sorted by, in this order: `id`, the sortable fields (in
 * definition order), the unique key field, `created_at`, `updated_at`. What `GET /contacts?sort=`
 * accepts and documents; a field marked `sortable` in the definition is among them.
 *
 * @example
 * ```ts
 * sortFields(contactRecord); // ["id", "first_name", "last_name", "company_name", "city", "state", "zip", "email", "created_at", "updated_at"]
 * ```
 */
export function sortFields(record: RecordDefinition): readonly string[] {
  // A plain table may have no unique key: then only its sortable fields.
  const key = record.fields.find((f) => f.uniqueIgnoringCase)?.name;
  const sortable = record.fields.filter((f) => f.sortable && f.name !== key).map((f) => f.name);
  return ["id", ...sortable, ...(key === undefined ? [] : [key]), "created_at", "updated_at"];
}

/** How a list is sorted: a field name (sortable, `id`, the key field, or a timestamp) and direction. */
export interface ListSort {
  field: string;
  descending: boolean;
}

/**
 * The WHERE clause of one field's list filter on the table aliased `c`, given its bound value (a
 * parameter such as `$1`): the rule its `match` names, for contacts and plain tables alike.
 *
 * @example
 * ```ts
 * filterClause("duckdb", listFilterFields(contactRecord)[0], "$1"); // 'c."state" = upper($1)'
 * ```
 */
export function filterClause(dialect: Dialect, { field, match }: FieldListFilter, value: string): string {
  const column = `c.${quoteIdent(field.name)}`;
  // upper(), not the normaliser's a-z: what the state filter has always done.
  if (match === "exact") return `${column} = ${field.normalise?.kind === "upper" ? `upper(${value})` : value}`;
  // A missing value is stored folded as '' (fold(NULL)): a text that folds to '' (combining marks
  // alone, `city=%CC%81`) matched exactly the contacts without one. They have none to match.
  const folded = `c.${quoteIdent(sortColumnOf(field))}`;
  if (match === "folded") return `${column} IS NOT NULL AND ${folded} = fold(${value})`;
  return `${column} IS NOT NULL AND ${DIALECTS[dialect].contains(folded, `fold(${value})`)}`;
}

/**
 * The expressions of `dialect` a plain table's reads need (table_sql.ts): a timestamp as integer
 * microseconds, what ORDER BY names for one, and a substring test on folded text.
 */
export function dialectSql(dialect: Dialect): DialectSql {
  return DIALECTS[dialect];
}

/**
 * The keys a sort of `record` orders by on `dialect`: `sortKey(field)` is what a cursor holds (a
 * number: id, microseconds; or text: a folded value, the unique field's lower-cased key);
 * `orderKey(field)` what ORDER BY names (a timestamp column, in the same order as its key). A field
 * that is not sortable is a TypeError. Contacts' reads and plain tables' share it.
 *
 * @example
 * ```ts
 * sortKeysOf(contactRecord, "duckdb").sortKey("last_name"); // 'c."last_name_sort"'
 * ```
 */
export function sortKeysOf(record: RecordDefinition, dialect: Dialect): { sortKey(field: string): string; orderKey(field: string): string } {
  const d = DIALECTS[dialect];
  const key = record.fields.find((f) => f.uniqueIgnoringCase);
  const sortable = new Map(record.fields.filter((f) => f.sortable).map((f) => [f.name, f]));
  function sortKey(field: string): string {
    if (field === "id") return "c.id";
    if (field === "created_at" || field === "updated_at") return d.epochMicros(`c.${field}`);
    if (key !== undefined && field === key.name) return `c.${quoteIdent(keyColumnOf(key))}`;
    const sorted = sortable.get(field);
    if (sorted !== undefined) return `c.${quoteIdent(sortColumnOf(sorted))}`;
    throw new TypeError(`'${field}' is not a sortable field of ${record.table}`);
  }
  return {
    sortKey,
    orderKey: (field) => (field === "created_at" || field === "updated_at" ? d.timestampOrder(`c.${field}`) : sortKey(field)),
  };
}

/**
 * The read statements of the API (lists, counts, pages, point reads), for one record and dialect.
 *
 * @example
 * ```ts
 * const reads = readSql(contactRecord, "duckdb");
 * const { sql, params } = reads.page({ state: "CA" }, { field: "last_name", descending: false }, undefined, 51);
 * ```
 */
export function readSql(record: RecordDefinition, dialect: Dialect) {
  const base = recordSql(record);
  const d = DIALECTS[dialect];
  const links = linksOf(record);
  const linkTable = quoteIdent(links.linkTable);
  const nameTable = quoteIdent(links.table);
  const recordKey = quoteIdent(links.recordKey);
  const nameKey = quoteIdent(links.nameKey);

  const { sortKey, orderKey } = sortKeysOf(record, dialect);

  const fieldFilters = listFilterFields(record);
  const fieldClause = (filter: FieldListFilter, value: string) => filterClause(dialect, filter, value);

  function where(filters: ListFilters, params: unknown[]): string[] {
    const clauses: string[] = [];
    const bind = (value: unknown) => `$${params.push(value)}`;
    for (const filter of fieldFilters) {
      const value = filters[filter.param];
      if (value) clauses.push(fieldClause(filter, bind(value)));
    }
    if (filters.q) clauses.push(d.contains(`c.${CONTAINS_COLUMNS.q}`, `fold(${bind(filters.q)})`));
    if (filters.department) {
      clauses.push(
        `c.id IN (SELECT l.${recordKey} FROM ${linkTable} l JOIN ${nameTable} n ON n.id = l.${nameKey} WHERE fold(n.name) = fold(${bind(filters.department)}))`,
      );
    }
    return clauses;
  }

  /**
   * The table as `c`, or only its rows with ids in `within` (ranges a trigram filter left, from
   * api/contacts/trigram_blocks.ts): a union of id ranges, as DuckDB skips the row groups outside
   * one range but scans everything for several ORed together.
   */
  function source(within: IdRanges | undefined, params: unknown[]): string {
    if (within === undefined) return `${base.table} c`;
    if (within.length === 0) return `(SELECT * FROM ${base.table} WHERE false) c`;
    const parts = within.map(([first, last]) => `SELECT * FROM ${base.table} WHERE id BETWEEN $${params.push(first)}::INTEGER AND $${params.push(last)}::INTEGER`);
    return `(${parts.join(" UNION ALL ")}) c`;
  }

  const containsList = Object.values(CONTAINS_COLUMNS).map(quoteIdent).join(", ");
  const contactColumns = base.selectList.split(", ").map((col) => `c.${col}`).join(", ");

  const departmentsOf = `(SELECT array_agg(n.name ORDER BY n.name) FROM ${linkTable} l JOIN ${nameTable} n ON n.id = l.${nameKey} WHERE l.${recordKey} = c.id) AS ${quoteIdent(links.name)}`;
  // PostgreSQL runs the correlated subquery per row through its index, so a contact and its
  // departments are one statement and one snapshot, which matters when other processes write. On
  // DuckDB a correlated subquery is computed for the whole table (1.3 s at 1M rows), and even one
  // bound to a single id cost 4-6 ms (its decorrelation), so contacts are read in two statements,
  // the rows then their links (1.2 and 2 ms for one contact, 4 and 3 ms for 32, at 728k contacts),
  // which the store reads in one read transaction. Names are looked up per link (a scalar
  // subquery), not joined: with a join DuckDB scanned every link before filtering them.
  const nameOfLink = `(SELECT n.name FROM ${nameTable} n WHERE n.id = l.${nameKey})`;
  const together = dialect === "postgres";
  const linkNamesByIds = `SELECT l.${recordKey}::INTEGER AS id, ${nameOfLink} AS name FROM ${linkTable} l WHERE l.${recordKey} = ANY($1::INTEGER[])`;
  // A whole export reads every row once: there the subquery becomes one join, on both backends.
  const rowList = `${contactColumns}, ${departmentsOf}`;
  return {
    /** Contacts by ids ($1, an integer list), any order; with their departments on PostgreSQL (else linksByIds has them). */
    byIds: `SELECT ${contactColumns}${together ? `, ${departmentsOf}` : ""} FROM ${base.table} c WHERE c.id = ANY($1::INTEGER[])`,
    /** Contacts with ids $1 to $2, as byIds reads them (the point file's build on PostgreSQL). */
    byIdRange: `SELECT ${contactColumns}${together ? `, ${departmentsOf}` : ""} FROM ${base.table} c WHERE c.id BETWEEN $1::INTEGER AND $2::INTEGER`,
    /** The id and version of the contacts in $1 (an integer list): against which kept records are checked on PostgreSQL. */
    versionsByIds: `SELECT id::INTEGER AS id, version::INTEGER AS version FROM ${base.table} WHERE id = ANY($1::INTEGER[])`,
    /** The department names of the contacts in $1 (an integer list), rows (id, name); null when byIds has them. */
    linksByIds: together ? null : linkNamesByIds,
    /** The department names of the contacts in $1 (an integer list), rows (id, name), on both backends (a write group's PATCHes that keep them). */
    linkNamesByIds,
    /**
     * The ids and sort keys of one page: rows matching `filters` after the cursor `after` (the
     * sort key and id of the last row of the previous page), `limit` of them, in sort order. On
     * PostgreSQL also each row's version, against which the API checks the contacts it keeps (other
     * processes write); DuckDB's API knows every commit, and would scan one more column for it.
     */
    page(filters: ListFilters, sort: ListSort, after: [string | number, number] | undefined, limit: number, within?: IdRanges) {
      const params: unknown[] = [];
      const from = source(within, params);
      const clauses = where(filters, params);
      const key = sortKey(sort.field);
      const op = sort.descending ? "<" : ">";
      if (after !== undefined) {
        const numeric = sort.field === "id" || sort.field === "created_at" || sort.field === "updated_at";
        const value = `$${params.push(numeric ? Number(after[0]) : String(after[0]))}${numeric ? "::BIGINT" : ""}`;
        clauses.push(`(${key}, c.id) ${op} (${value}, $${params.push(after[1])}::INTEGER)`);
      }
      const dir = sort.descending ? " DESC" : "";
      const sql =
        `SELECT c.id, ${key} AS sort_key${together ? ", c.version" : ""} FROM ${from}` +
        (clauses.length > 0 ? ` WHERE ${clauses.join(" AND ")}` : "") +
        ` ORDER BY ${orderKey(sort.field)}${dir}, c.id${dir} LIMIT ${Math.trunc(limit)}`;
      return { sql, params };
    },
    /** How many contacts match `filters` (among the ids `within`, when given). */
    count(filters: ListFilters, within?: IdRanges) {
      const params: unknown[] = [];
      const from = source(within, params);
      const clauses = where(filters, params);
      return { sql: `SELECT count(*)::INTEGER AS n FROM ${from}${clauses.length > 0 ? ` WHERE ${clauses.join(" AND ")}` : ""}`, params };
    },
    /** Every contact's id and CONTAINS_COLUMNS values: what the trigram filters are built from. */
    containsAll: `SELECT id::INTEGER AS id, ${containsList} FROM ${base.table}`,
    /** The same for the contacts in $1 (an integer list): what a write records in them. */
    containsByIds: `SELECT id::INTEGER AS id, ${containsList} FROM ${base.table} WHERE id = ANY($1::INTEGER[])`,
    /**
     * The contacts with ids $1 to $2 (DuckDB), unordered, as DuckDB writes the JSON the API serves
     * (api/contacts toEntry) around their departments: `head`, the id and fields in definition
     * order; `tail`, the timestamps in ISO 8601 with milliseconds, UTC; `plain` is false for a
     * timestamp outside 1970-9999, which it would write differently. With pointLinks, what the point
     * reads' file is built from (api/contacts/point_file.ts), a range of ids at a time: one statement
     * gathering every contact's departments held them all at once (at 728k contacts ~150 MB more RSS,
     * and a serving budget of 24 MB ran out under a download).
     */
    pointRows:
      `SELECT c.id::INTEGER AS id, c.version::BIGINT AS version, json_object('id', c.id` +
      record.fields.map((f) => `, ${quoteLiteral(f.name)}, c.${quoteIdent(f.name)}`).join("") +
      `)::VARCHAR AS head, json_object('created_at', ${isoText("c.created_at")}, 'updated_at', ${isoText("c.updated_at")})::VARCHAR AS tail, ` +
      `(${plainTime("c.created_at")} AND ${plainTime("c.updated_at")}) AS plain FROM ${base.table} c WHERE c.id BETWEEN $1::INTEGER AND $2::INTEGER`,
    /** The department names of the contacts with ids $1 to $2, rows (id, name), any order. */
    pointLinks: `SELECT l.${recordKey}::INTEGER AS id, ${nameOfLink} AS name FROM ${linkTable} l WHERE l.${recordKey} BETWEEN $1::INTEGER AND $2::INTEGER`,
    /** The largest id (0 when there are none). */
    maxId: `SELECT coalesce(max(id), 0)::INTEGER AS id FROM ${base.table}`,
    /** Every matching row in sort order (CSV exports stream it). */
    all(filters: ListFilters, sort: ListSort) {
      const params: unknown[] = [];
      const clauses = where(filters, params);
      const dir = sort.descending ? " DESC" : "";
      const sql =
        `SELECT ${rowList} FROM ${base.table} c${clauses.length > 0 ? ` WHERE ${clauses.join(" AND ")}` : ""}` +
        ` ORDER BY ${orderKey(sort.field)}${dir}, c.id${dir}`;
      return { sql, params };
    },
  };
}

// The write statements of the API on the contacts tables (the tables are the migrations').

/** Departments, for matching names without regard to case or accents (a small table). */
export const DEPARTMENTS_ALL = `SELECT id::INTEGER AS id, name FROM departments ORDER BY name, id`;
/**
 * Departments with how many contacts link to each: one pass over the links, grouped. A count per
 * department read each one's links through its index, page by page: 0.55-0.77 s at 1.1M links on
 * PostgreSQL, against 0.2 s (DuckDB, 995k links: median 5.0 ms, against 3.9).
 */
export const DEPARTMENTS_WITH_COUNTS = `
  SELECT d.id::INTEGER AS id, d.name, coalesce(l.n, 0)::INTEGER AS contacts
  FROM departments d LEFT JOIN (SELECT department_id, count(*) AS n FROM contact_departments GROUP BY department_id) l ON l.department_id = d.id
  ORDER BY d.name, d.id`;
/** A department created on first use; nothing when another writer created the same name first. */
export const DEPARTMENT_INSERT = `INSERT INTO departments (name) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id::INTEGER AS id, name`;
/**
 * The department an insert found taken: by its folded name, as PostgreSQL's unique index
 * `departments_folded` compares (the CSV load's fallback does the same). By the exact name only,
 * a name that SQL's fold() equates with a stored one but etl/text fold() does not (final sigma:
 * "ΟΔΟΣ" and "οδοσ") found nothing, and the write failed with a 500.
 */
export const DEPARTMENT_BY_NAME = `SELECT id::INTEGER AS id, name FROM departments WHERE name = $1 OR fold(name) = fold($1) ORDER BY name <> $1, id LIMIT 1`;
/** How many contacts link to department $1, and whether it exists. */
export const DEPARTMENT_USE = `SELECT (SELECT count(*) FROM contact_departments WHERE department_id = $1)::INTEGER AS contacts, (SELECT count(*) FROM departments WHERE id = $1)::INTEGER AS found`;
/** Deletes department $1 if no contact links to it (returns nothing otherwise). */
export const DEPARTMENT_DELETE = `DELETE FROM departments WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM contact_departments WHERE department_id = $1) RETURNING id`;
/** Links contact $1 to every department id in $2 (an integer list). */
export const LINKS_INSERT = `INSERT INTO contact_departments (contact_id, department_id) SELECT $1, unnest($2::INTEGER[])`;
/** Drops a contact's department links (before relinking or deleting it). */
export const LINKS_DELETE = `DELETE FROM contact_departments WHERE contact_id = $1`;
/** A contact's department names, by name (looked up per link: a join made DuckDB scan every link, see readSql). */
export const LINK_NAMES = `SELECT (SELECT d.name FROM departments d WHERE d.id = l.department_id) AS name FROM contact_departments l WHERE l.contact_id = $1 ORDER BY name`;
/**
 * The version and e-mail of contact $1, and the contact owning e-mail key $2 (if any), in one round
 * trip; when $1 owns $2 its row comes twice (the caller tells them apart by id).
 */
// UNION ALL, not OR, and nothing but the key on the e-mail side: each side is then an index lookup.
// DuckDB scans the whole table for an OR, and for `email_key = $2 AND id <> $1` too (30-35 ms at
// 1M rows, against 0.5 ms).
export const WRITE_CHECK = `SELECT id::INTEGER AS id, version::INTEGER AS version, email FROM contacts WHERE id = $1
  UNION ALL SELECT id::INTEGER AS id, version::INTEGER AS version, email FROM contacts WHERE email_key = $2`;
/**
 * PostgreSQL only: locks contact $1's row until the transaction ends, so the check that follows and
 * the write see the same version even with other processes writing (an unconditional write that
 * raced another would otherwise fail its version condition). DuckDB has one writer: no lock needed.
 */
export const CONTACT_LOCK_POSTGRES = `SELECT id FROM contacts WHERE id = $1 FOR UPDATE`;
/** PostgreSQL: holds the contacts in $1 (an integer list) until the transaction ends, locked in id order. */
export const CONTACTS_LOCK_POSTGRES = `SELECT id FROM contacts WHERE id = ANY($1::INTEGER[]) ORDER BY id FOR UPDATE`;
/**
 * PostgreSQL: holds the e-mail keys in $1 and the Idempotency-Keys in $2 (text lists) until the
 * transaction ends, as advisory locks taken in one order (two-key locks, apart from the loads' and
 * migrations' one-key ones). A write group takes them before it reads who owns its keys, so two
 * groups (of one process or two) with a key in common run one after the other. Each group used to
 * take its keys in its own order, by its INSERTs and UPDATE: two groups creating [x, y] and [y, x]
 * at once each held one and waited for the other's until PostgreSQL broke the deadlock (after 1 s)
 * and rolled one back. One lock a distinct key: at most 128 a group (PG_MAX_GROUP).
 */
export const WRITE_KEYS_LOCK_POSTGRES = `SELECT pg_advisory_xact_lock(k.space, k.hash) FROM (
  SELECT DISTINCT space, hashtext(key) AS hash FROM (
    SELECT hashtext('relaciones.contacts.email') AS space, unnest($1::text[]) AS key
    UNION ALL SELECT hashtext('relaciones.contacts.idempotency'), unnest($2::text[])) keys
  ORDER BY 1, 2) k`;
/** Deletes a contact if still at the version checked (returns nothing otherwise). */
export const CONTACT_DELETE = `DELETE FROM contacts WHERE id = $1 AND version = $2 RETURNING id`;
/** How many contacts there are. */
export const CONTACTS_COUNT = `SELECT count(*)::INTEGER AS n FROM contacts`;

/** A query that reads no table: the database answers (readiness). */
export const DATABASE_PING = `SELECT 1 AS up`;
/**
 * A read of the contacts table that finds nothing (ids start at 1) by one index lookup: the same
 * time at any size, yet refused as any read of the table is (a revoked grant) and waiting behind
 * the same locks (another session's ACCESS EXCLUSIVE). What "the contact routes can answer" needs,
 * without a count's scan of every row.
 */
export const CONTACTS_PROBE = `SELECT id FROM contacts WHERE id = 0`;
/**
 * PostgreSQL: merges the pending list of every GIN (trigram) index on the table named $1 into the
 * index, one row per index with the pages merged. A search reads the whole pending list: with the
 * 4 MB a list holds before a writer merges it, a count with a company filter took 5.0 ms, 0.08 ms
 * merged (1M contacts). Only the indexes this role may merge (their owner's): a role that was only
 * granted the rights to read and write merges none and leaves the lists to autovacuum.
 */
export const GIN_PENDING_CLEANUP = `SELECT gin_clean_pending_list(i.indexrelid) AS merged FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
  WHERE i.indrelid = to_regclass(quote_ident($1)) AND a.amname = 'gin' AND pg_has_role(c.relowner, 'USAGE')`;

/** About how many contacts there are, from DuckDB's catalog: 0 before the first migration made the table. */
export const CONTACTS_ESTIMATED_COUNT = `SELECT coalesce((SELECT estimated_size FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'contacts'), 0)::BIGINT AS n`;

/** One key older than 24 h, if any: whether a purge has anything to delete. */
export const IDEMPOTENCY_EXPIRED_ANY = `SELECT 1 AS expired FROM api_idempotency_keys WHERE created_at < current_timestamp - INTERVAL '24 hours' LIMIT 1`;
/** Keys IDEMPOTENCY_PURGE_SOME deletes at most. */
export const IDEMPOTENCY_PURGE_BATCH = 10_000;
/**
 * Idempotency keys are kept 24 h. The table is written in the same transaction as the contact a POST
 * created, so a retry after a crash, or on another API process, finds it. They are purged after the
 * API opens and hourly while it runs, at most IDEMPOTENCY_PURGE_BATCH keys older than 24 h a
 * statement, each batch a short write between the requests' (on DuckDB they queue behind it).
 * Returns the keys deleted.
 */
export const IDEMPOTENCY_PURGE_SOME = `DELETE FROM api_idempotency_keys WHERE key IN (
  SELECT key FROM api_idempotency_keys WHERE created_at < current_timestamp - INTERVAL '24 hours' LIMIT ${IDEMPOTENCY_PURGE_BATCH}) RETURNING key`;
/** The stored answer for one key. */
export const IDEMPOTENCY_GET = `SELECT fingerprint, status::INTEGER AS status, location, body, etag FROM api_idempotency_keys WHERE key = $1`;
/** Records a key and the answer as first sent, in the transaction of the contact it created. */
export const IDEMPOTENCY_INSERT = `INSERT INTO api_idempotency_keys (key, fingerprint, status, location, body, etag) VALUES ($1, $2, $3, $4, $5, $6)`;

/** One table of the analysts' Parquet copy: its file name (without `.parquet`) and its query. */
export interface ExportTable {
  readonly name: string;
  readonly query: string;
}

/**
 * The queries of the analysts' Parquet copy (`<data dir>/exports/contacts/`), in a stable order:
 * the record's table with the columns the API shows (not the key, sort and search columns, which
 * are the database's own), its named table and the link table. Never `api_idempotency_keys`: it
 * holds stored answers, and nothing there is for analysis.
 *
 * @example
 * ```ts
 * exportTables(contactRecord).map((t) => t.name); // ["contacts", "departments", "contact_departments"]
 * ```
 */
export function exportTables(record: RecordDefinition): readonly ExportTable[] {
  const { table, selectList } = recordSql(record);
  const links = linksOf(record);
  return [
    { name: record.table, query: `SELECT ${selectList} FROM ${table} ORDER BY id` },
    { name: links.table, query: `SELECT id, name, created_at FROM ${quoteIdent(links.table)} ORDER BY id` },
    {
      name: links.linkTable,
      query: `SELECT ${quoteIdent(links.recordKey)}, ${quoteIdent(links.nameKey)}, created_at FROM ${quoteIdent(links.linkTable)} ORDER BY 1, 2`,
    },
  ];
}

/** A TIMESTAMPTZ column as JavaScript's toISOString() writes it, whatever the session's time zone. */
function isoText(column: string): string {
  return `strftime(make_timestamp(epoch_us(${column})), '%Y-%m-%dT%H:%M:%S.%gZ')`;
}

/** True when a TIMESTAMPTZ column is within 1970-9999, where isoText and toISOString() agree. */
function plainTime(column: string): string {
  return `(epoch_us(${column}) BETWEEN 0 AND 253402300799999999)`;
}
