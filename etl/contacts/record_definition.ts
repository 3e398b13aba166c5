/**
 * The shape of a record definition: a plain data description of a record's fields, from which
 * validation, SQL column lists, the CSV mapping and the JSON Schema are derived. Kept apart from
 * the contact definition itself so a test can build an extended definition (one more field) and
 * run the same validation and ingestion code over it.
 */

/** What a field's normaliser returns: the new value and, when it repaired something, a note. */
export interface Normalised {
  value: string;
  /** A human note when the value was repaired (e.g. "Restored the leading zero"), reported as a fix. */
  fix?: string;
}

/**
 * A normaliser as data, not code, so the API (JavaScript, `normaliseValue`) and the CSV load (SQL
 * over a whole file, `etl/contacts/_ingest_sql.ts`) apply the same rule from one definition.
 * - `upper`: ASCII letters upper-cased (`ny` -> `NY`); not a repair, nothing is reported. Only a-z:
 *   SQL's upper() also maps the dotless ı and the long ſ to I and S, which would turn `ıl` into `IL`.
 * - `padStart`: when the value matches `when` (whole value) and `when`'s first group, which begins
 *   the value, is shorter than `width`, `fill` is put in front until that group is `width` long
 *   (`901-1234` -> `00901-1234`); the repair is reported with `fix`, where `{value}` stands for the
 *   value as given.
 * - `collapseSpaces`: every run of two or more spaces (U+0020) inside the value becomes one space,
 *   reported with `fix` (`{value}` as above): `Mary  Ann` is stored, searched and sorted as `Mary Ann`.
 * - `collapseWhitespace`: as `collapseSpaces`, and a no-break space (U+00A0, U+202F) counts as a
 *   space: `Human\u00a0Resources` becomes `Human Resources` (a department's name, told apart by it).
 */
export type NormaliseSpec =
  | { readonly kind: "upper" }
  | { readonly kind: "padStart"; readonly when: RegExp; readonly width: number; readonly fill: string; readonly fix: string }
  | { readonly kind: "collapseSpaces"; readonly fix: string }
  | { readonly kind: "collapseWhitespace"; readonly fix: string };

/** The spaces `collapseWhitespace` makes one: the space and the no-break spaces (as a character class, for JavaScript and DuckDB). */
export const WHITESPACE_CLASS = "[ \u00a0\u202f]";
const WHITESPACE_RUNS = new RegExp(`${WHITESPACE_CLASS}+`, "g");

/**
 * Returns `value` normalised by `spec` (the JavaScript side of a NormaliseSpec).
 *
 * @example
 * ```ts
 * normaliseValue({ kind: "padStart", when: /^([0-9]{3,4})$/, width: 5, fill: "0", fix: "Restored '{value}'" }, "901"); // { value: "00901", fix: "Restored '901'" }
 * ```
 */
export function normaliseValue(spec: NormaliseSpec, value: string): Normalised {
  if (spec.kind === "upper") return { value: value.replace(/[a-z]+/g, (letters) => letters.toUpperCase()) };
  if (spec.kind === "collapseSpaces" || spec.kind === "collapseWhitespace") {
    const collapsed = spec.kind === "collapseSpaces" ? value.replace(/ {2,}/g, " ") : value.replace(WHITESPACE_RUNS, " ");
    return collapsed === value ? { value } : { value: collapsed, fix: quoteIn(spec.fix, value) };
  }
  const match = new RegExp(`^(?:${spec.when.source.replace(/^\^|\$$/g, "")})$`).exec(value);
  const short = match === null ? 0 : spec.width - (match[1] ?? "").length;
  return short > 0 ? { value: spec.fill.repeat(short) + value, fix: quoteIn(spec.fix, value) } : { value };
}

/** `template` with `{value}` replaced by `value` as typed (a string replacement would read "$&" in it as a pattern). */
function quoteIn(template: string, value: string): string {
  return template.replaceAll("{value}", () => value);
}

/** One text field of a record. Every field is stored as VARCHAR; text loses nothing (zip codes). */
export interface FieldDefinition {
  /** Column name in the database, key in JSON and default CSV header. snake_case. */
  readonly name: string;
  readonly type: "string";
  /** Required fields must be present and non-empty after trimming. */
  readonly required?: boolean;
  /** Maximum length in characters, checked after normalising. */
  readonly maxLength: number;
  /** The stored form must match this (checked after normalising). No flags: it must be valid in JSON Schema too. */
  readonly pattern?: RegExp;
  /** Said when `pattern` does not match, e.g. "must be two letters A-Z". */
  readonly patternMessage?: string;
  /**
   * Why a value `pattern` refuses is refused, when it looks right: each hint whose `when` matches
   * the whole value is said after `patternMessage`, in order ("...; the part before @ must be
   * ASCII"). Tested only for a value the pattern refused, by validateRecord() and the CSV load's SQL
   * alike, so `when` must read the same in JavaScript and DuckDB's RE2 (no flags, no look-around),
   * and a hint is fixed text: the SQL cannot say what JavaScript computes (a domain's xn-- form).
   */
  readonly patternHints?: readonly PatternHint[];
  /**
   * A person's name: it must hold at least one letter of some script (`\p{L}` of Unicode 15.0, the
   * newest both engines know, `_letters.ts`: O'Brien, 李, محمد, Дмитрий, देवनागरी; a name of only
   * emoji, digits, punctuation or letters added since is refused) and no invisible
   * formatting character (Unicode category Cf: zero-width space, soft hyphen, byte order mark,
   * bidirectional overrides...), except the zero-width non-joiner and joiner (U+200C, U+200D) that
   * Persian and Indic spellings need. Checked on the trimmed value by validateRecord() and by the
   * CSV load's SQL alike; the databases cannot say "letter" in a CHECK (PostgreSQL's regular
   * expressions have no \p classes), so this rule is the application's.
   */
  readonly personName?: boolean;
  /** Applied to the trimmed, non-empty value before the checks (upper-casing, restoring zeros...). */
  readonly normalise?: NormaliseSpec;
  /**
   * Lists can be sorted by this field. The database keeps `<name>_sort` = the folded value (lower
   * case, no accents, '' for none), set by every write, so a sorted page is read in key order.
   */
  readonly sortable?: boolean;
  /** `q` searches this field: it is part of the `search_text` column (folded values joined by spaces). */
  readonly searchable?: boolean;
  /**
   * Lists can be filtered by this field: `GET /contacts?<param>=value` (and its CSV download). The
   * matching rules (`contact_sql.ts` `readSql`), each the one an existing filter has:
   * - `exact`: the stored value equals the given one; with the `upper` normaliser the given value is
   *   upper-cased first, so any case matches (`state`). PostgreSQL needs an index `(<name>, id)`.
   * - `folded`: equal ignoring case and accents, read from `<name>_sort`, so the field must be
   *   `sortable` too, and the sort key's index on PostgreSQL serves the filter (`city`). A contact
   *   without a value never matches.
   * - `contains`: the folded value holds the given text (`company`): only for the columns the
   *   trigram filters know (`CONTAINS_COLUMNS`), which a definition line does not extend.
   */
  readonly filter?: FieldFilter;
  /**
   * The value may span lines: line feed, carriage return, tab and the line and paragraph separators
   * (U+2028, U+2029) are allowed in it. Every other control character is refused in every field,
   * and those in a single-line one (see `controlCharacterProblem`).
   */
  readonly multiline?: boolean;
  /** JSON Schema `format`, for the API document. */
  readonly format?: "email";
  /**
   * Unique without regard to case. The database keeps `<name>_key = lower(<name>)` with a UNIQUE
   * constraint; ingestion upserts by it.
   */
  readonly uniqueIgnoringCase?: boolean;
  /** Header of this field in CSV files, when it differs from `name`. */
  readonly csvColumn?: string;
  readonly description?: string;
  readonly example?: string;
}

/** A hint said when a field's pattern refuses a value (see FieldDefinition.patternHints). */
export interface PatternHint {
  readonly when: RegExp;
  readonly hint: string;
}

/**
 * Returns what is said of a value `field.pattern` refused: its message and the hints `value` matches.
 *
 * @example
 * ```ts
 * patternProblem(emailField, "jö@example.com"); // "must be an e-mail address like name@example.com; the part before @ must be ASCII"
 * ```
 */
export function patternProblem(field: FieldDefinition, value: string): string {
  const message = field.patternMessage ?? `must match ${field.pattern?.source}`;
  return [message, ...(field.patternHints ?? []).filter((h) => h.when.test(value)).map((h) => h.hint)].join("; ");
}

/** How a field filters lists (see FieldDefinition.filter). */
export interface FieldFilter {
  readonly match: "exact" | "folded" | "contains";
  /** The query parameter, when it is not the field's name (`company` for `company_name`). */
  readonly param?: string;
  /** What the API document says of the parameter; derived from the rule when absent. */
  readonly description?: string;
}

/** A list of names attached to a record through a link table (contact -> departments). */
export interface LinkDefinition {
  /** JSON key holding the names, e.g. `departments`. */
  readonly name: string;
  /** The named table (`departments(id, name UNIQUE)`) and the link table. */
  readonly table: string;
  readonly linkTable: string;
  /** Column of the link table pointing at the record, and the one pointing at the named row. */
  readonly recordKey: string;
  readonly nameKey: string;
  /** CSV header holding ONE name per row; a record repeated on several rows collects them all. */
  readonly csvColumn: string;
  /**
   * CSV header holding ALL of a record's names in one cell, joined by `CSV_LIST_SEPARATOR` ("; "):
   * the column the API's CSV download writes, read back by a load of a file without `csvColumn`
   * (each name trimmed, empty ones skipped). A ";" inside a name is written doubled (`csvListItem`).
   */
  readonly csvListColumn: string;
  /** How each name is normalised, by the API and the CSV load alike (reported as a repair). */
  readonly normalise?: NormaliseSpec;
  readonly maxLength: number;
  /**
   * The most names one JSON body may give: a bound on the work of reading one. Well above what a
   * record holds, because a record is written back whole (a PUT, the dashboard's edit) and the CSV
   * load links it to as many names as it has rows.
   */
  readonly maxItems: number;
  /**
   * The most names one write may give that name no row yet. Each is a row created in the write's
   * transaction, one statement each, on the one writer: without a bound, one 1 MiB body of 60,000
   * new names held every write for three minutes. Names already stored cost nothing more: the
   * write reads the named table once, whatever it gives.
   */
  readonly maxNew: number;
  readonly description?: string;
}

/** A whole record: its table, its fields in column order, its server-managed columns and links. */
export interface RecordDefinition {
  /** Singular name used in messages ("contact"). */
  readonly name: string;
  readonly table: string;
  readonly fields: readonly FieldDefinition[];
  /** Columns the server sets (id, timestamps, version): readable, never accepted as input. */
  readonly readOnly: readonly string[];
  /**
   * The list of names linked to each record (contacts' departments). A plain record table (served by
   * the generic table routes, `extraTables`) has none; the contacts load and routes need one
   * (`linksOf`).
   */
  readonly links?: LinkDefinition;
  /**
   * Fields a CSV load writes its new records in the order of (on DuckDB), so that a filter on the
   * first skips most of the table: DuckDB keeps each column's min and max per row group (122,880
   * rows) and reads only the row groups a filter's value may be in. Ids stay in file order. Records
   * already stored are not reordered: a load updates them in place, but each update through the
   * API moves one to the table's end (DuckDB runs an UPDATE ... RETURNING as a delete and an
   * insert: contact_schema_test.ts), so the order decays with the API's writes.
   */
  readonly clusterBy?: readonly string[];
}

/**
 * Returns `record` with `extra` fields appended: the one-line way to add a field.
 *
 * @example
 * ```ts
 * const withTitle = extendRecord(contactRecord, { name: "title", type: "string", maxLength: 80 });
 * ```
 */
export function extendRecord(record: RecordDefinition, ...extra: FieldDefinition[]): RecordDefinition {
  return { ...record, fields: [...record.fields, ...extra] };
}

/**
 * Returns the links of `record`; throws a TypeError for a record without any (a plain table's
 * definition given where the contacts' is expected).
 *
 * @example
 * ```ts
 * linksOf(contactRecord).linkTable; // "contact_departments"
 * ```
 */
export function linksOf(record: RecordDefinition): LinkDefinition {
  if (record.links === undefined) throw new TypeError(`Record '${record.name}' has no links; the contacts code needs its department links`);
  return record.links;
}

/**
 * Returns the CSV header a field is read from.
 *
 * @example
 * ```ts
 * csvColumnOf({ name: "zip", type: "string", maxLength: 10 }); // "zip"
 * ```
 */
export function csvColumnOf(field: FieldDefinition): string {
  return field.csvColumn ?? field.name;
}

/**
 * Returns the database column holding the case-folded key of a unique-ignoring-case field.
 *
 * @example
 * ```ts
 * keyColumnOf(upsertKeyOf(contactRecord)); // "email_key"
 * ```
 */
export function keyColumnOf(field: FieldDefinition): string {
  return `${field.name}_key`;
}

/**
 * Returns the database column holding the sort key of a sortable field.
 *
 * @example
 * ```ts
 * sortColumnOf(contactRecord.fields[1]); // "last_name_sort"
 * ```
 */
export function sortColumnOf(field: FieldDefinition): string {
  return `${field.name}_sort`;
}

/** The column holding the folded text `q` searches (every searchable field, in definition order). */
export const SEARCH_COLUMN = "search_text";

/**
 * Returns the field the record is upserted by (the first unique-ignoring-case field).
 *
 * @example
 * ```ts
 * upsertKeyOf(contactRecord).name; // "email"
 * ```
 */
export function upsertKeyOf(record: RecordDefinition): FieldDefinition {
  const field = record.fields.find((f) => f.uniqueIgnoringCase);
  if (field === undefined) throw new TypeError(`Record '${record.name}' has no unique field to upsert by`);
  return field;
}
