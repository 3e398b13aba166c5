/**
 * The record definition's validation as DuckDB SQL expressions, so a CSV of any size is validated
 * set-based, in the database, by the same rules `validateRecord()` applies in JavaScript to API
 * bodies: control characters refused, `String.prototype.trim()`, the declarative normalisers,
 * patterns, lengths in characters. `ingest_contacts_test.ts` checks both sides agree on a corpus.
 */
import { quoteIdent, quoteLiteral } from "../db/mod.ts";
import { BLANK_AT_ENDS_SQL, BLANK_LOOKING_SQL, hasLetterSql, noLetterProblemSql } from "./_letters.ts";
import { CSV_LIST_SEPARATOR, csvListItem } from "../text/mod.js";
import { WHITESPACE_CLASS, type FieldDefinition, type NormaliseSpec } from "./record_definition.ts";


// What String.prototype.trim() removes (WhiteSpace and LineTerminator), as an RE2 class.
const WHITESPACE = "[\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}]";
// What a person's name is trimmed of, as validateRecord's trimBlank(): whitespace and the characters
// that show as nothing wherever they stand (etl/text BLANK_AT_ENDS: 'Ann\u3164' kept its filler).
const PERSON_ENDS = `${WHITESPACE.slice(0, -1)}${BLANK_AT_ENDS_SQL.slice(1)}`;
// What a department's name is trimmed of, as validateRecord's trimUnseen(): those and invisible
// formatting characters (category Cf: a zero-width space made 'Sales\u200b' a department).
const NAME_ENDS = `${PERSON_ENDS.slice(0, -1)}\\p{Cf}]`;
// What a department's name may not be made of alone, as etl/text isBlank(): whitespace, Cf and
// every character that shows as nothing (U+3164 HANGUL FILLER, the variation selectors...).
const BLANK = `${WHITESPACE.slice(0, -1)}\\p{Cf}${BLANK_LOOKING_SQL.slice(1)}`;
// C0 controls, DEL and C1 controls, and the line and paragraph separators (U+2028, U+2029); a
// multi-line field may hold tab, line feed and carriage return, and those separators.
const CONTROL = "[\\x{00}-\\x{1F}\\x{7F}-\\x{9F}\\x{2028}\\x{2029}]";
// Category Cf but the joiners U+200C and U+200D (which Persian and Indic spellings need inside a name).
const FORMAT = "[^\\P{Cf}\\x{200C}\\x{200D}]";
const CONTROL_EXCEPT_LINES = "[\\x{00}-\\x{08}\\x{0B}\\x{0C}\\x{0E}-\\x{1F}\\x{7F}-\\x{9F}]";

/**
 * A cell as validation sees it: DuckDB's NULL (empty cell) is '', a quoted CRLF or CR is LF, and the
 * apostrophe a CSV export puts before a value starting with =, +, -, @, a tab or a carriage return
 * (ours, etl/text csvField, and spreadsheets', so that the value is not run as a formula) is taken
 * off again: a file the API exported loads back unchanged ('+1 504-621-8927 is +1 504-621-8927). A value
 * that itself starts with such an apostrophe is written with one more (''+1 504 for '+1 504), as a
 * spreadsheet shows it, and loses only that one here.
 */
export function cleanSql(column: string): string {
  // replace() copies every value it is given; most hold no carriage return (1M rows, 11 columns:
  // the validation step 2.64-2.75 s with replace() on every cell, 2.32-2.43 s with this test first).
  // A lone CR is a line break too (an old Mac's file, whose line ends are CRs, quotes its line breaks
  // as CRs): stored as it was, the same address loaded from a CRLF and a CR file was two values.
  const cell = `CASE WHEN contains(${column}, chr(13)) THEN replace(replace(${column}, chr(13) || chr(10), chr(10)), chr(13), chr(10)) ELSE coalesce(${column}, '') END`;
  return `CASE WHEN starts_with(${column}, '''') AND regexp_matches(${column}, '^''+[=+@\\t\\r-]') THEN substr(${cell}, 2) ELSE ${cell} END`;
}

/**
 * `String.prototype.trim()` in SQL, NULL when it would change nothing (so a table of trimmed cells
 * holds only the few that differ: read it as `coalesce(trimmed, text)`); the replacement runs only
 * for the cells that need it. The test is one match of the anchored class: at 1M rows, 11 columns,
 * 0.46-0.48 s, against 0.72-0.75 s for the first and last characters' code points looked up in a
 * list (`unicode(left(x, 1)) IN (...)`).
 */
export function trimmedOrNullSql(text: string, kind: "department" | "person" | "text" = "text"): string {
  // A person's name loses blank-looking characters at its ends too, a department's name those and
  // invisible formatting characters.
  const ends = kind === "department" ? NAME_ENDS : kind === "person" ? PERSON_ENDS : WHITESPACE;
  const name = kind === "department";
  // A blank department name is '', as one of spaces: none of its characters is ASCII, which most names are.
  const blank = name ? `WHEN strlen(${text}) <> length(${text}) AND regexp_full_match(${text}, '${BLANK}+') THEN ''` : "";
  return `CASE ${blank} WHEN regexp_matches(${text}, '^${ends}|${ends}$')
    THEN regexp_replace(${text}, '^${ends}+|${ends}+$', '', 'g') END`;
}

/** True when any of `cells` holds a control character (one test per row instead of one per cell). */
export function anyControlSql(cells: readonly string[]): string {
  return cells.length === 0 ? "false" : `regexp_matches(${cells.join(" || ")}, '${CONTROL}')`;
}

/** The message for the first control character of `raw`, or NULL: "must not contain the control character U+0000 (at character 4)". */
export function controlSql(raw: string, multiline: boolean): string {
  const cls = multiline ? CONTROL_EXCEPT_LINES : CONTROL;
  const ch = `regexp_extract(${raw}, '${cls}')`;
  const what = `CASE unicode(${ch}) WHEN 8232 THEN 'line separator' WHEN 8233 THEN 'paragraph separator' ELSE 'control character' END`;
  return `CASE WHEN regexp_matches(${raw}, '${cls}') THEN 'must not contain the ' || ${what} || ' U+' || upper(printf('%04x', unicode(${ch}))) || ' (at character ' || instr(${raw}, ${ch}) || ')' END`;
}

/**
 * The condition and message of `trimmed`'s first invisible formatting character (category Cf but the
 * joiners), as validateRecord's formatCharacterProblem() words it, for a CASE's WHEN ... THEN. Cf
 * has no ASCII member: a cell as long in bytes as in characters skips the search (most).
 */
function formatSql(trimmed: string): { when: string; message: string; code: string } {
  const ch = `regexp_extract(${trimmed}, '${FORMAT}')`;
  const code = `'U+' || upper(printf('%04x', unicode(${ch})))`;
  return {
    when: `strlen(${trimmed}) <> length(${trimmed}) AND regexp_matches(${trimmed}, '${FORMAT}')`,
    message: `'must not contain the invisible formatting character ' || ${code} || ' (at character ' || instr(${trimmed}, ${ch}) || ')'`,
    code,
  };
}

/**
 * The most of a rejected cell a reject keeps (in the rejects report, the load's summary and an
 * import's answer): enough to find and mend it. Kept whole, a hundred rows with an address of 2 MB
 * each ran the load out of memory (DuckDB's "failed to allocate") where it should have rejected them,
 * and 30 of them made a 57 MB summary.
 */
export const MAX_REJECT_VALUE_CHARS = 1000;

/**
 * `text` as a reject keeps it: whole up to MAX_REJECT_VALUE_CHARS, else its start and its length, "Flat 2... (2000000 characters)".
 * `length`: the whole text's, where `text` is only its start.
 */
export function keptValueSql(text: string, length = `length(${text})`): string {
  return `CASE WHEN ${length} > ${MAX_REJECT_VALUE_CHARS} THEN left(${text}, ${MAX_REJECT_VALUE_CHARS}) || '... (' || ${length} || ' characters)' ELSE ${text} END`;
}

/** JavaScript's shorten() for messages: 60 characters at most. */
export function shortenSql(text: string): string {
  return `CASE WHEN length(${text}) > 60 THEN left(${text}, 57) || '...' ELSE ${text} END`;
}

function normaliseSql(spec: NormaliseSpec | undefined, trimmed: string): { value: string; fixed: string | null; fixMessage: ((from: string) => string) | null } {
  if (spec === undefined) return { value: trimmed, fixed: null, fixMessage: null };
  // ASCII upper-casing only, as in JavaScript; the pattern then refuses anything else. upper() alone
  // maps the dotless ı and the long ſ to I and S, so a CSV's 'ıl' was stored as IL: only an ASCII
  // cell (as long in bytes as in characters) is upper-cased; any other fails a pattern of A-Z as it
  // is. (translate() with the 26 letters says the same, 100 times slower: 9 s over 3M cells.)
  if (spec.kind === "upper") return { value: `CASE WHEN strlen(${trimmed}) = length(${trimmed}) THEN upper(${trimmed}) ELSE ${trimmed} END`, fixed: null, fixMessage: null };
  const [before, after = ""] = spec.fix.split("{value}");
  const fixMessage = (from: string) => `${quoteLiteral(before)} || ${from} || ${quoteLiteral(after)}`;
  if (spec.kind === "collapseWhitespace") {
    // The regular expression's replace runs only for the rare cell that needs it.
    const fixed = `regexp_matches(${trimmed}, ${quoteLiteral(`${WHITESPACE_CLASS}{2}|[\u00a0\u202f]`)})`;
    return {
      value: `CASE WHEN ${fixed} THEN regexp_replace(${trimmed}, ${quoteLiteral(`${WHITESPACE_CLASS}+`)}, ' ', 'g') ELSE ${trimmed} END`,
      fixed,
      fixMessage,
    };
  }
  if (spec.kind === "collapseSpaces") {
    return {
      // The regular expression runs only for the rare cell with two spaces in a row.
      value: `CASE WHEN contains(${trimmed}, '  ') THEN regexp_replace(${trimmed}, ' {2,}', ' ', 'g') ELSE ${trimmed} END`,
      fixed: `contains(${trimmed}, '  ')`,
      fixMessage,
    };
  }
  // padStart: regexp_extract() of the first group is '' when the value does not match, so `short`
  // is `width` then, and `fixed` asks for the match too.
  const pattern = quoteLiteral(`^(?:${spec.when.source.replace(/^\^|\$$/g, "")})$`);
  const short = `(${spec.width} - length(regexp_extract(${trimmed}, ${pattern}, 1)))`;
  const fixed = `(regexp_full_match(${trimmed}, ${pattern}) AND ${short} > 0)`;
  return { value: `CASE WHEN ${fixed} THEN repeat(${quoteLiteral(spec.fill)}, ${short}) || ${trimmed} ELSE ${trimmed} END`, fixed, fixMessage };
}

/** The SQL of one field over a cleaned column `raw`: its stored value, its error (or NULL) and its repair. */
export interface FieldSql {
  /** The stored value: NULL for an empty optional field. */
  value: string;
  /** The problem as validateRecord words it ("must not be empty", "...; got 'x'"), or NULL. */
  error: string;
  /** True when the normaliser repaired the value (a fix to report). */
  fixed: string;
  /** The repair's message, given the SQL of the value before it. */
  fixMessage: (from: string) => string;
}

/**
 * Returns the SQL of `field` over the cleaned cell `raw` and its trimmed form `trimmed` (columns a
 * subquery computed once: each appears several times below).
 *
 * @example
 * ```ts
 * fieldSql(zipField, "r.r6", "r.t6").value; // CASE WHEN r.t6 = '' THEN NULL ELSE CASE WHEN regexp_full_match(r.t6, ...) ...
 * ```
 */
export function fieldSql(field: FieldDefinition, raw: string, trimmed: string, anyControl = "true"): FieldSql {
  const normalised = normaliseSql(field.normalise, trimmed);
  const n = normalised.value;
  const got = `'; got ''' || ${shortenSql(raw)} || ''''`;
  const control = controlSql(raw, field.multiline === true);
  // Most cells hold no control character: one cheap test guards the message's work.
  const checks: string[] = [`WHEN ${anyControl} AND regexp_matches(${raw}, '${field.multiline === true ? CONTROL_EXCEPT_LINES : CONTROL}') THEN ${control}`];
  checks.push(`WHEN ${trimmed} = '' THEN ${field.required ? "'must not be empty'" : "NULL"}`);
  // A person's name (validateRecord's personName), on the trimmed value: no invisible formatting
  // character (category Cf) but the joiners U+200C and U+200D, and at least one letter (of Unicode
  // 15.0, _letters.ts, as validateRecord() has it).
  if (field.personName === true) {
    const format = formatSql(trimmed);
    checks.push(`WHEN ${format.when} THEN ${format.message}`);
    checks.push(`WHEN NOT ${hasLetterSql(trimmed)} THEN ${noLetterProblemSql(trimmed)} || ${got}`);
  }
  // A pattern says more than a length: one message, as in validateRecord.
  if (field.pattern) {
    const message = field.patternMessage ?? `must match ${field.pattern.source}`;
    // The hints (record_definition.ts patternProblem) are tested only in this branch: for the rows
    // the pattern refused, never for the million it accepts.
    const hints = (field.patternHints ?? []).map((h) => ` || CASE WHEN regexp_full_match(${n}, ${wholeSql(h.when)}) THEN ${quoteLiteral(`; ${h.hint}`)} ELSE '' END`);
    checks.push(`WHEN NOT regexp_full_match(${n}, ${wholeSql(field.pattern)}) THEN ${quoteLiteral(message)}${hints.join("")} || ${got}`);
  }
  checks.push(`WHEN length(${n}) > ${field.maxLength} THEN 'must be at most ${field.maxLength} characters (has ' || length(${n}) || ')' || ${got}`);
  return {
    value: `CASE WHEN ${trimmed} = '' THEN NULL ELSE ${n} END`,
    error: `CASE ${checks.join(" ")} END`,
    fixed: normalised.fixed === null ? "false" : `(${trimmed} <> '' AND ${normalised.fixed})`,
    fixMessage: normalised.fixMessage ?? (() => "NULL"),
  };
}

/** A whole-value pattern (`^...$`) as the SQL literal regexp_full_match() takes (it anchors itself). */
function wholeSql(pattern: RegExp): string {
  return quoteLiteral(pattern.source.replace(/^\^|\$$/g, ""));
}

/**
 * The SQL of the link column over its cleaned and trimmed cell: its text (or '') and its error. One
 * name per row, or with `listed` every name in the cell (`listItemsSql`), each checked for length.
 */
export function linkSql(
  raw: string,
  trimmed: string,
  maxLength: number,
  anyControl = "true",
  listed = false,
  normalise?: NormaliseSpec,
): { name: string; error: string; fixed: string; fixMessage: (from: string) => string } {
  // A cell no longer than a name holds no name longer than one: the split runs only for the rest.
  // Said as other lengths are: "(has N); got '...'", of the name that is too long.
  const longName = `list_filter(${listItemsSql(trimmed)}, lambda x: length(x) > ${maxLength})[1]`;
  const tooLong = listed
    ? `WHEN length(${trimmed}) > ${maxLength} AND ${longName} IS NOT NULL
         THEN 'each name must be at most ${maxLength} characters (names are separated by '';''; has ' || length(${longName}) || '); got ''' || ${shortenSql(longName)} || ''''`
    : `WHEN length(${trimmed}) > ${maxLength} THEN 'must be at most ${maxLength} characters (has ' || length(${trimmed}) || '); got ''' || ${shortenSql(trimmed)} || ''''`;
  // An invisible formatting character inside a name (its ends are trimmed off), as validateRecord says it.
  // In a list cell, said of the name that holds one, as a name too long is.
  const format = formatSql(trimmed);
  const invisibleName = `list_filter(${listItemsSql(trimmed)}, lambda x: regexp_matches(x, '${FORMAT}'))[1]`;
  const inside = listed
    ? `WHEN ${format.when} AND ${invisibleName} IS NOT NULL
         THEN 'each name must not contain the invisible formatting character ' || ${formatSql(invisibleName).code} || ' (names are separated by '';''; at character ' || instr(${invisibleName}, regexp_extract(${invisibleName}, '${FORMAT}')) || '); got ''' || ${shortenSql(invisibleName)} || ''''`
    : `WHEN ${format.when} THEN ${format.message}`;
  const normalised = normaliseSql(normalise, trimmed);
  // A list cell is repaired only when one of its names is ("IT;\u00a0Sales" is trimmed to the same names).
  const fixed = normalised.fixed === null ? "false" : listed ? `(${normalised.fixed} AND ${listItemsSql(trimmed)} <> ${listItemsSql(normalised.value)})` : normalised.fixed;
  return {
    name: normalised.value,
    error: `CASE WHEN ${anyControl} AND regexp_matches(${raw}, '${CONTROL}') THEN ${controlSql(raw, false)} ${inside} ${tooLong} END`,
    fixed,
    fixMessage: normalised.fixMessage ?? (() => "NULL"),
  };
}

/**
 * The names of a list cell (`LinkDefinition.csvListColumn`: "IT; Sales", as the API's download
 * joins them with CSV_LIST_SEPARATOR) as a SQL list: split at each ";" that is not doubled, each
 * trimmed as String.prototype.trim() trims, ";;" read back as ";" (etl/text csvListItem), the empty
 * ones left out.
 */
export function listItemsSql(cell: string): string {
  // A doubled ";" stands in as U+0001 while the cell is split: a control character, so never in a
  // cell that is loaded (controlSql rejects its line). DuckDB's `lambda x:` form: the arrow form is
  // deprecated since 1.3.
  const semicolon = quoteLiteral(CSV_LIST_SEPARATOR.trim());
  const split = `string_split(replace(${cell}, ${quoteLiteral(csvListItem(CSV_LIST_SEPARATOR.trim()))}, chr(1)), ${semicolon})`;
  return `list_filter(list_transform(${split}, lambda x: replace(coalesce(${trimmedOrNullSql("x", "department")}, x), chr(1), ${semicolon})), lambda x: x <> '')`;
}

/** A quoted column name. */
export const q = quoteIdent;
