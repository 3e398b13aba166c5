/**
 * The catalog of quality checks: one place that names each check, gives its severity and says how
 * its message reads. Errors stop the load; warnings and info are published with the version.
 */
import type { Severity } from "../runs/mod.ts";
import { MAX_ID } from "./_values.ts";

interface CheckDefinition {
  severity: Severity;
  /** The message for `count` occurrences; `examples` are the first few offending values. */
  message: (count: number, examples: readonly string[]) => string;
}

function quoted(examples: readonly string[], more = examples.length >= 5): string {
  return examples.length === 0 ? "" : ` (${examples.map((e) => `'${e}'`).join(", ")}${more ? ", ..." : ""})`;
}

/**
 * The second example of `matrix_not_found`, `rows_not_found` and `list_not_found` when the cells
 * named hold dates where the ids would be (`datesHint()` then ends the message).
 */
export const DATES_AS_IDS = "dates";
/**
 * DATES_AS_IDS in a workbook of the 1904 date system (`workbookPr date1904`), where a date format
 * shows 1, 2, 3 as 1904-01-02...; for `id_is_date`, an example of weight 0 before its dates.
 */
export const DATES_AS_IDS_1904 = "dates (1904)";

/** The dates marker for a workbook of that date system. */
export function datesAsIds(date1904: boolean): string {
  return date1904 ? DATES_AS_IDS_1904 : DATES_AS_IDS;
}

/** What a date format shows for the ids 1, 2, 3 in that date system. */
function datesOfIds(date1904: boolean): string {
  return `a date format turns 1, 2, 3 into ${date1904 ? "1904-01-02" : "1900-01-01"}...`;
}

const isDatesMarker = (example: string) => example === DATES_AS_IDS || example === DATES_AS_IDS_1904;

function datesHint(examples: readonly string[]): string {
  // The marker follows its sheet; after the first when several sheets were looked in (`sheetsSearched`).
  const marker = examples.slice(1).find(isDatesMarker);
  return marker !== undefined
    ? `; the cells named hold dates where the ids would be: format them as numbers (${datesOfIds(marker === DATES_AS_IDS_1904)})`
    : "";
}

/**
 * "sheet 'A'", or "any of the sheets 'A', 'B'" when no sheet whose name hints at the table held it
 * (each sheet looked in is an example of `matrix_not_found` / `list_not_found`, `count` of them).
 */
function sheetsSearched(count: number, examples: readonly string[]): string {
  const sheets = examples.filter((e) => !isDatesMarker(e));
  if (sheets.length <= 1) return `sheet '${sheets[0] ?? "?"}'`;
  return `any of the ${count} sheets whose names hint at it (${sheets.map((s) => `'${s}'`).join(", ")}${count > sheets.length ? ", ..." : ""})`;
}

/** What `addIdIsDate()` uses of `Findings` (findings.ts imports this catalog, so not the class). */
interface FindingsBag {
  has(check: CheckName): boolean;
  add(check: CheckName, cells?: string | readonly string[], value?: string, weight?: number): void;
}

/**
 * Records an id cell formatted as a date (`id_is_date`), `date` as read; in a 1904 workbook, marks
 * the finding first (DATES_AS_IDS_1904) so its hint shows that system's dates.
 */
export function addIdIsDate(findings: FindingsBag, ref: string, date: string, date1904: boolean): void {
  if (date1904 && !findings.has("id_is_date")) findings.add("id_is_date", [], DATES_AS_IDS_1904, 0);
  findings.add("id_is_date", ref, date);
}

/** Every check the relationship pipeline runs, by name. */
export const CHECKS = {
  matrix_not_found: {
    severity: "error",
    // The rule readMatrix's findHeader applies: an id followed by a larger one proves a header (data
    // rows hold only 0 and 1). It said "consecutive ids", which a header sorted 3, 2, 1 has (review).
    // The sheet is the first example (chosen by name hints, so the reader must know which one was
    // searched); DATES_AS_IDS the second when a row held dates where ids would be.
    message: (n, ex) =>
      `Cannot find the matrix in ${sheetsSearched(n, ex)}: no row holds a header of actor ids, which needs somewhere an id followed in the next cell by a larger one (such as 1, 2; a header sorted from the last id to the first has none)` +
      datesHint(ex),
  },
  rows_not_found: {
    severity: "error",
    message: (n, ex) =>
      `Cannot find the matrix's rows in sheet '${ex[0] ?? "?"}': ${n} row${n === 1 ? " has" : "s have"} values but no numeric id left of the header (every row must start with its actor id)${datesHint(ex)}`,
  },
  list_not_found: {
    severity: "error",
    message: (n, ex) => `Cannot find the actor list in ${sheetsSearched(n, ex)}: no row holds a numeric id next to a code or a name${datesHint(ex)}`,
  },
  header_gap: {
    severity: "error",
    // It said "the columns right of it cannot be placed": wrong for a hole left of the longer run of
    // ids, which is the one read (the columns left of the hole were lost then; review).
    message: () =>
      "The header row of ids is broken: a cell without an id (blank, text or an error) sits between actor ids, so its column has no actor and the ids on both sides of it cannot be read as one header: write the missing actor's id in it",
  },
  header_id_blank: {
    // An error: actor 1's id cleared from the header made its 0/1 column the row ids, and the load
    // failed as "1 id is not valid ('0')" naming the matrix cells under it (or, with a blank in the
    // first row there, published without that actor's column) (review).
    severity: "error",
    message: () =>
      "The header row's cell left of the first actor id is blank, but the column under it holds 0/1 values, not row ids: it is an actor's column whose id was cleared, so it cannot be placed: write the actor's id in that header cell",
  },
  id_out_of_range: {
    // An error: an id of 2^31 or more (or 0) cannot be stored (INTEGER columns), and read as "no id"
    // it ended the header or dropped its row, its actor and relationships lost with exit 0 (review).
    severity: "error",
    message: (n, ex) =>
      `${n} id${n === 1 ? " is" : "s are"} not valid${quoted(ex)}: ids are 1 to ${MAX_ID} (the largest supported id), whole numbers only, so ${n === 1 ? "its actor" : "their actors"} cannot be placed`,
  },
  id_is_date: {
    // An error: a row or list id shown as a date (a date format applied to part of the id column)
    // was a row_without_id or list_row_without_id warning, its row or actor dropped with exit 0.
    // Not read back as the number: serials 60 and 61 are both 1 March 1900 once read as dates.
    severity: "error",
    // A 1904 workbook's finding starts with DATES_AS_IDS_1904 (`addIdIsDate()`), not quoted.
    message: (n, ex) => {
      const dates = ex.filter((e) => e !== DATES_AS_IDS_1904);
      const more = dates.length >= 5 || n > dates.length;
      return `${n} id${n === 1 ? " is" : "s are"} formatted as ${n === 1 ? "a date" : "dates"}${quoted(dates, more)}, so ${n === 1 ? "its row or actor" : "their rows or actors"} cannot be placed: format the id column as numbers (${datesOfIds(dates.length < ex.length)})`;
    },
  },
  id_not_a_number: {
    // An error: a row or list id holding an error (#REF!, #N/A), a boolean or text that is no number
    // ("3,0") was a row_without_id warning (list: list_error_value, list_row_without_id, or nothing),
    // the actor and all its relationships dropped with exit 0. A blank id stays row_without_id.
    severity: "error",
    message: (n, ex) =>
      `${n} id cell${n === 1 ? " holds" : "s hold"} no id${quoted(ex)} (an error, TRUE/FALSE or text that is no number), so ${n === 1 ? "its row or actor" : "their rows or actors"} cannot be placed: ` +
      `type the actor's id in ${n === 1 ? "it" : "each"}, a whole number from 1 to ${MAX_ID}, or clear ${n === 1 ? "it" : "them"} to leave ${n === 1 ? "the row" : "those rows"} out`,
  },
  duplicate_id: {
    severity: "error",
    message: (n, ex) => `${n} actor id${n === 1 ? " appears" : "s appear"} more than once${quoted(ex)}`,
  },
  invalid_value: {
    severity: "error",
    message: (n, ex) => `${n} matrix cell${n === 1 ? " holds a value" : "s hold values"} other than 0 or 1${quoted(ex)}`,
  },
  formula_not_calculated: {
    severity: "error",
    message: (n) =>
      `${n} cell${n === 1 ? " holds a formula" : "s hold formulas"} saved without ${n === 1 ? "its result" : "their results"}: the file was written by a program that does not calculate formulas; open it in Excel or LibreOffice, save it, and load it again`,
  },
  cell_beyond_header: {
    // A warning, not an error: a notes column beside the matrix is common and harmless, and the
    // matrix itself is complete; but a 1 with no actor above it is a relationship nobody will see,
    // so the cells are named.
    severity: "warning",
    message: (n, ex) => `${n} cell${n === 1 ? " lies" : "s lie"} right of the matrix (no header id above ${n === 1 ? "it" : "them"}) and ${n === 1 ? "is" : "are"} ignored${quoted(ex)}`,
  },
  list_error_value: {
    // A warning: the actor and its relationships are complete; only its id, code or name is missing.
    severity: "warning",
    message: (n, ex) => `${n} actor list cell${n === 1 ? " holds an error" : "s hold errors"} instead of an id, a code or a name and ${n === 1 ? "is" : "are"} read as blank${quoted(ex)}`,
  },
  list_row_without_id: {
    // A warning: the row cannot be placed, but an actor with a code and a name whose id was cleared
    // or mistyped (6a, 7.5) vanished from the list without a word (review).
    severity: "warning",
    message: (n, ex) => `${n} actor list row${n === 1 ? " has" : "s have"} a code and a name but no id (1 to ${MAX_ID}) and ${n === 1 ? "is" : "are"} ignored${quoted(ex)}`,
  },
  matrix_merged_cells: {
    // A warning, not an error: nothing is read that the file does not hold, but Excel shows the
    // top-left value over the range, so the user sees pairs (a 1 merged over two) that are unknown.
    severity: "warning",
    message: (n, ex) =>
      // The examples are the ranges' references, sheet named, quoted as Excel quotes them.
      `${n} merged range${n === 1 ? " lies" : "s lie"} inside the matrix${ex.length === 0 ? "" : ` (${ex.join(", ")}${ex.length >= 5 ? ", ..." : ""})`}: Excel shows the top-left cell's value over ${n === 1 ? "the whole range" : "each whole range"}, ` +
      "but the file holds it in that cell only, so only its pair is read; the range's other pairs are read as the file holds them (blank: unknown, not copied). Unmerge and fill each cell",
  },
  list_name_blank: {
    // A warning: the actor is complete but for its name, published as NULL.
    severity: "warning",
    message: (n, ex) => `${n} actor${n === 1 ? " is" : "s are"} listed without a name${quoted(ex)}`,
  },
  list_total_row: {
    // Info: the row is a count under or above the list (`Total | 5`), not an actor; named so a real
    // actor coded or named so can be told apart.
    severity: "info",
    message: (n, ex) => `${n} actor list row${n === 1 ? " reads" : "s read"} as a total (a label such as 'Total' beside a number, no code and name) and ${n === 1 ? "is" : "are"} not read as an actor${quoted(ex)}`,
  },
  list_names_repeated: {
    // A warning: the actors are complete but for their names, published as NULL; the example is
    // `<column letters>|<the values repeated> in <the column's range>`.
    severity: "warning",
    message: (n, ex) => {
      const [column, values] = (ex[0] ?? "|").split(/\|(.*)/s);
      return `${n} actor${n === 1 ? " is" : "s are"} published without a name: the actor list's column ${column}, left of the codes and under no header naming it, ` +
        `repeats a few values across the actors (a group or a category, not names) and is not read as names (${values}); ` +
        "a header row naming the columns (Nombre | Código | Id) places the names";
    },
  },
  row_without_id: {
    severity: "warning",
    message: (n) => `${n} matrix row${n === 1 ? " has" : "s have"} values but no numeric id; ignored`,
  },
  row_not_in_header: {
    severity: "warning",
    // Published, not dropped: each cell of such a row says what its actor says of a header actor,
    // so it is that one direction of the pair; the other is unknown (there is no column to hold it).
    message: (n, ex) =>
      `${n} matrix row id${n === 1 ? " is" : "s are"} not in the header row; ${n === 1 ? "its" : "their"} cells are published as one direction of each pair, ` +
      `the other direction unknown (no column)${quoted(ex)}`,
  },
  header_id_without_row: {
    severity: "info",
    message: (n, ex) => `${n} header id${n === 1 ? " has" : "s have"} no data row; their rows are unknown${quoted(ex)}`,
  },
  not_in_list: {
    severity: "warning",
    message: (n, ex) => `${n} id${n === 1 ? " is" : "s are"} in the matrix but not in the actor list${quoted(ex)}`,
  },
  not_in_matrix: {
    severity: "warning",
    message: (n, ex) => `${n} id${n === 1 ? " is" : "s are"} in the actor list but not in the matrix${quoted(ex)}`,
  },
  code_mismatch_matrix: {
    severity: "warning",
    message: (n, ex) => `${n} letter code${n === 1 ? "" : "s"} in the header row disagree${n === 1 ? "s" : ""} with the row's code${quoted(ex)}`,
  },
  code_mismatch_list: {
    severity: "warning",
    message: (n, ex) => `${n} letter code${n === 1 ? "" : "s"} in the matrix disagree${n === 1 ? "s" : ""} with the actor list${quoted(ex)}`,
  },
  duplicate_code: {
    // A warning: the version is complete, but the code no longer names one actor (the API answers
    // 409 for it, and people reading the matrix confuse the two).
    severity: "warning",
    message: (n, ex) => `${n} letter code${n === 1 ? " is" : "s are"} given to more than one actor${quoted(ex)}`,
  },
  asymmetric_pair: {
    severity: "warning",
    message: (n) => `${n} pair${n === 1 ? " is" : "s are"} marked in one direction and 0 in the other`,
  },
  diagonal_one: {
    severity: "warning",
    message: (n, ex) => `${n} actor${n === 1 ? " is" : "s are"} marked as related to ${n === 1 ? "itself" : "themselves"} (1 on the diagonal)${quoted(ex)}`,
  },
  unknown_cells: {
    severity: "info",
    message: (n) => `${n} matrix cell${n === 1 ? " is" : "s are"} blank (unknown, not 0)`,
  },
  hidden_sheet: {
    severity: "warning",
    // Each example says why the hidden sheet was read: "no visible sheet matched" was said too when a
    // visible sheet matched by a hint and was passed over, holding no table (review).
    message: (n, ex) => `${n === 1 ? "A sheet" : `${n} sheets`} read ${n === 1 ? "is" : "are"} hidden in Excel: ${ex.join("; ")}; check that ${n === 1 ? "it is the current one" : "they are the current ones"}`,
  },
  sheet_passed_over: {
    // Before, the first sheet whose name held a hint was read alone: a summary "Resumen de la matriz"
    // before "Matriz de adyacencia 2026" made the load refuse with matrix_not_found (review).
    severity: "warning",
    message: (n, ex) =>
      `${n === 1 ? "A sheet" : `${n} sheets`} whose name${n === 1 ? "" : "s"} hint${n === 1 ? "s" : ""} at the matrix or the actor list ${n === 1 ? "was" : "were"} passed over: ${ex.join("; ")}${n > ex.length ? "; ..." : ""}`,
  },
  history_unavailable: {
    severity: "warning",
    message: (_n, ex) => `The previous snapshot could not be read, so this version starts a new history${quoted(ex)}`,
  },
} satisfies Record<string, CheckDefinition>;

/** The name of a check in the catalog. */
export type CheckName = keyof typeof CHECKS;
