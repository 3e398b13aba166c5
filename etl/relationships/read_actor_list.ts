/**
 * Finds the actor list (code | id | name, id | code | name, or name | code | id; a header row naming
 * the code and name columns places them in any order) in a sheet by its shape: the columns
 * most rows hold an id and, right beside it, a code and a name in; titles and header rows above it
 * have no id and are skipped, so the table may move down or right.
 */
import { fold } from "../text/mod.js";
import { CellError, type Cell, type CellValue, type MergedRange, type MergeListener, type SheetRow } from "../xlsx/mod.ts";
import { asBadId, asId, asText, isBrokenId, isUncalculated, show, tidy } from "./_values.ts";
import { cellRef, columnLetters } from "./cell_ref.ts";
import { addIdIsDate, datesAsIds } from "./checks.ts";
import { type Findings, MAX_FINDING_CELLS } from "./findings.ts";

/** One actor as listed. */
export interface ListedActor {
  readonly id: number;
  readonly code: string | null;
  readonly name: string | null;
  /** The ref of the id cell, for findings. */
  readonly ref: string;
  /** The ref of the code cell (or where it would be). */
  readonly codeRef: string | null;
}

/** The actor list as found in the sheet. */
export interface ActorList {
  readonly sheet: string;
  readonly actors: readonly ListedActor[];
}

/**
 * Reads the actor list from `rows`, recording duplicate ids and a missing table in `findings`.
 *
 * @example
 * ```ts
 * const list = await readActorList(workbook.rows("Lista de actores"), { sheet: "Lista de actores", findings });
 * list.actors[0]; // { id: 1, code: "A", name: "Helena Durán Crane", ref: "'Lista de actores'!B5", ... }
 * ```
 */
export async function readActorList(
  rows: AsyncIterable<SheetRow>,
  options: {
    sheet: string;
    findings: Findings;
    /** The workbook counts dates from 1904 (`Workbook.date1904`): the dates hint's examples follow it. */
    date1904?: boolean;
    /** The `merges` passed to `rows()`: set to take the sheet's merged ranges (`spreadMerges()`). */
    merges?: MergeListener;
  },
): Promise<ActorList> {
  const { sheet, findings } = options;

  const date1904 = options.date1904 ?? false;
  const actors: ListedActor[] = [];
  const seen = new Map<number, string>();
  // Rows above the first actor are titles and column headers; below it, a row with a code and a
  // name is an actor, and one whose id is blank or unreadable must not vanish unsaid.
  let started = false;
  const take = (row: SheetRow, layout: Layout) => {
    let id: number | null = null;
    let idValue: CellValue | undefined;
    let nameError = false;
    let code: string | null = null;
    let name: string | null = null;
    for (const cell of row.cells) {
      const inTable = cell.col === layout.idCol || cell.col === layout.codeCol || cell.col === layout.nameCol;
      // An error (a VLOOKUP's #N/A) is no code and no name: shown as text it was published as the
      // actor's name "#N/A". Read as blank and named; a formula never calculated is reported above.
      if (inTable && cell.value instanceof CellError) {
        if (cell.col === layout.idCol) idValue = cell.value;
        if (cell.col === layout.nameCol) nameError = true;
        // An error in the id column is a broken id (id_not_a_number below), not a blank one.
        if (!isUncalculated(cell.value) && cell.col !== layout.idCol) findings.add("list_error_value", cellRef(sheet, cell.row, cell.col), show(cell.value));
        continue;
      }
      if (cell.col === layout.idCol) {
        id = asId(cell.value);
        idValue = cell.value;
      }
      else if (cell.col === layout.codeCol) code = asText(cell.value) ?? nonBlank(show(cell.value));
      else if (cell.col === layout.nameCol) name = nonBlank(show(cell.value));
    }
    const ref = cellRef(sheet, row.row, layout.idCol);
    if (id === null) {
      const described = (layout.codeCol === null || code !== null) && (layout.nameCol === null || name !== null);
      if (idValue !== undefined && asBadId(idValue) !== null && (code !== null || name !== null)) findings.addOnce("id_out_of_range", [ref], String(asBadId(idValue)));
      // An id formatted as a date (part of the column): an error, not an actor dropped with a warning.
      else if (idValue instanceof Date && (code !== null || name !== null)) addIdIsDate(findings, ref, show(idValue), date1904);
      // An error, a boolean or text that is no number where the id goes: the actor cannot be placed.
      // Text above the first actor counts when it starts with a digit ("3,0", "6a"), so column
      // titles ("Id", "Id (1 a 50)") do not.
      else if (isBrokenId(idValue) && (code !== null || name !== null) && (started || typeof idValue !== "string" || /^\d/.test(tidy(idValue)))) {
        findings.add("id_not_a_number", ref, show(idValue!));
      } else if (started && described && !(idValue instanceof CellError)) {
        findings.add("list_row_without_id", ref, idValue === undefined || show(idValue).trim() === "" ? "blank" : show(idValue));
      }
      return;
    }
    // A total row (`Total | 5` under the list, `Total de actores | 4` above it) holds a count, not an
    // id: it was published as actor 5 coded 'Total', or failed the load as a duplicate of actor 4.
    const label = code === null ? name : name === null ? code : null;
    if (label !== null && TOTAL_LABEL.test(fold(label))) {
      findings.add("list_total_row", cellRef(sheet, row.row, (code === null ? layout.nameCol : layout.codeCol)!), `${label} | ${id}`);
      return;
    }
    started = true;
    const first = seen.get(id);
    if (first !== undefined) {
      findings.addOnce("duplicate_id", [first, ref], String(id));
      return;
    }
    seen.set(id, ref);
    const codeRef = layout.codeCol === null ? null : cellRef(sheet, row.row, layout.codeCol);
    // Published with a NULL name otherwise, unsaid (an error there is list_error_value already).
    if (layout.nameCol !== null && name === null && !nameError) findings.add("list_name_blank", cellRef(sheet, row.row, layout.nameCol), String(id));
    actors.push({ id, code, name, ref, codeRef });
  };
  // The columns are those most rows hold an id, a code and a name in, not those of the first row
  // with an id: that one's name or code may be blank, and would drop the column for every actor or,
  // with a fourth column (an e-mail, an organisation), read it as the names. The list is kept until
  // its end to count them (a row an actor: as the actors it returns).
  const all: SheetRow[] = [];
  // The ranges merged down from a cell the list kept, by top-left cell: they come after the rows, so
  // at most one a kept cell, however many ranges the sheet lists.
  const merged = new Map<string, MergedRange>();
  let byRow: Map<number, SheetRow> | null = null;
  if (options.merges) {
    options.merges.onRange = (range) => {
      if (range.lastRow === range.firstRow) return;
      byRow ??= new Map(all.map((row) => [row.row, row]));
      if (byRow.get(range.firstRow)?.cells.some((c) => c.col === range.firstCol)) merged.set(`${range.firstRow}:${range.firstCol}`, range);
    };
  }
  for await (const row of rows) {
    // A formula saved without its result leaves an id, a code or a name unknown: an id column of
    // =B5+1 written by openpyxl dropped those actors from the list with a not_in_list warning only.
    for (const cell of row.cells) {
      if (isUncalculated(cell.value)) findings.add("formula_not_calculated", cellRef(sheet, cell.row, cell.col));
    }
    // A row of blank text only (a lookup column of =IF(B5="","",...) filled down to row 1,048,576)
    // holds no id, code or name: kept, a million of them took 600 MB for a 60-actor list.
    if (!row.cells.every(isBlankText)) all.push(row);
  }
  // The columns are chosen with a merged cell's value in every row of its range, as Excel shows it
  // (the file holds it only in the top-left cell): a group label merged over its actors' rows,
  // `Gobierno` over 1 and 2, is then the repeated column it is, no names. Read as names before,
  // actor 1 was published named 'Gobierno' and actor 2 without a name. The actors' own values are
  // still the cells' (a merged cell's other rows stay blank).
  const shown = spreadMerges(all, merged, sheet);
  const shaped = mostHeldLayout(shown, holdsId);
  const labelled = shaped && labelledLayout(shown, shaped);
  const layout = labelled && (labelled === shaped ? withoutRepeatedNames(shown, labelled, sheet, findings) : labelled);
  if (layout) for (const row of all) take(row, layout);
  // Total rows only (a summary sheet's `Total | 3`) are no list.
  if (actors.length === 0) notFound(all, sheet, findings, date1904);
  return { sheet, actors };
}

const holdsId = (value: CellValue) => asId(value) !== null;

/**
 * `rows` with each range merged down a column given its top-left value in the rows below it that
 * the list kept and that hold nothing there (only those rows: one without a cell holds no actor).
 * Across columns a merged value stays in its first column, where it is read (a header `Nombre`
 * merged over two columns must not name both).
 */
function spreadMerges(rows: readonly SheetRow[], merged: ReadonlyMap<string, MergedRange>, sheet: string): readonly SheetRow[] {
  if (merged.size === 0) return rows;
  const at = new Map(rows.map((row, i) => [row.row, i]));
  const out = [...rows];
  for (const range of merged.values()) {
    const top = at.get(range.firstRow);
    const cell = top === undefined ? undefined : rows[top]!.cells.find((c) => c.col === range.firstCol);
    if (cell === undefined) continue;
    for (let r = range.firstRow + 1; r <= range.lastRow; r++) {
      const i = at.get(r);
      if (i === undefined || out[i]!.cells.some((c) => c.col === range.firstCol)) continue;
      const spread: Cell = { row: r, col: range.firstCol, value: cell.value, ref: cellRef(sheet, r, range.firstCol) };
      out[i] = { row: r, cells: [...out[i]!.cells, spread].sort((a, b) => a.col - b.col) };
    }
  }
  return out;
}

/**
 * Records `list_not_found`; when the list is there with dates for ids (an id column formatted as
 * dates shows 1900-01-01...), naming those cells and saying so, as the matrix's reader does.
 */
/** An empty text cell, or one of spaces and invisible characters only: nothing a list row could use. */
function isBlankText(cell: { value: CellValue }): boolean {
  return typeof cell.value === "string" && tidy(cell.value) === "";
}

function notFound(rows: readonly SheetRow[], sheet: string, findings: Findings, date1904: boolean): void {
  const dated = mostHeldLayout(rows, (value) => value instanceof Date);
  if (dated === null) {
    findings.add("list_not_found", [], sheet);
    return;
  }
  const cells = rows.flatMap((row) => row.cells.filter((c) => c.col === dated.idCol && c.value instanceof Date));
  findings.add("list_not_found", cells.slice(0, MAX_FINDING_CELLS).map((c) => cellRef(sheet, c.row, c.col)), sheet);
  // weight 0: only the hint that the cells named are dates (DATES_AS_IDS, the message's second example).
  findings.add("list_not_found", [], datesAsIds(date1904), 0);
}

type Layout = { idCol: number; codeCol: number | null; nameCol: number | null };

function completeness(layout: Layout): number {
  return (layout.codeCol === null ? 0 : 1) + (layout.nameCol === null ? 0 : 1);
}

/**
 * The layout most rows have, each row voting for each id cell it holds with text beside it (a
 * numbered list's counter is an id too); among as many votes, the more complete, then the code
 * left of the id (`code | id | name`, the users' own layout), then the first.
 */
function mostHeldLayout(rows: readonly SheetRow[], isId: (value: CellValue) => boolean): Layout | null {
  const votes = new Map<string, { layout: Layout; count: number }>();
  for (const row of rows) {
    for (const layout of rowLayouts(row, isId)) {
      const key = `${layout.idCol}:${layout.codeCol}:${layout.nameCol}`;
      const vote = votes.get(key);
      if (vote) vote.count++;
      else votes.set(key, { layout, count: 1 });
    }
  }
  const rank = (v: { layout: Layout; count: number }) => [v.count, completeness(v.layout), v.layout.codeCol !== null && v.layout.codeCol < v.layout.idCol ? 1 : 0];
  const outranks = (a: number[], b: number[]) => {
    const k = a.findIndex((x, i) => x !== b[i]);
    return k >= 0 && a[k]! > b[k]!;
  };
  // Votes in the order rows first cast them: a later one wins only when it ranks higher.
  let best: { layout: Layout; count: number } | null = null;
  for (const vote of votes.values()) if (best === null || outranks(rank(vote), rank(best))) best = vote;
  return best?.layout ?? null;
}

/**
 * For each id cell of a row, the code and name right beside it: `code | id | name`, `id | code |
 * name`, or `name | code | id` when nothing is right of the id (its names were dropped, unsaid). A code may be digit text ("10"), which reads as an id too: counted only as a name it took
 * the id column from the number ids beside it, or was dropped.
 */
function rowLayouts(row: SheetRow, isId: (value: CellValue) => boolean): Layout[] {
  const text = new Set(row.cells.filter((c) => asText(c.value) !== null).map((c) => c.col));
  const codes = new Set(row.cells.filter((c) => typeof c.value === "string" && c.value.trim() !== "").map((c) => c.col));
  const layouts: Layout[] = [];
  for (const cell of row.cells) {
    if (!isId(cell.value)) continue;
    const col = cell.col;
    if (codes.has(col - 1)) layouts.push({ idCol: col, codeCol: col - 1, nameCol: text.has(col + 1) ? col + 1 : text.has(col - 2) ? col - 2 : null });
    // "id | code | name" puts two text cells on the right; "id | name" (or a blank name) one.
    else if (codes.has(col + 1) && text.has(col + 2)) layouts.push({ idCol: col, codeCol: col + 1, nameCol: col + 2 });
    else if (text.has(col + 1)) layouts.push({ idCol: col, codeCol: null, nameCol: col + 1 });
  }
  return layouts;
}

/**
 * A count's label beside a number in the list, the whole label (folded): a total row, no actor. A
 * name that only starts with one (`Total Energies`, `Suma de Voluntades`) is an actor's, code or no
 * code: matched as a prefix, a list without codes (`Id | Nombre`) dropped those actors.
 */
const TOTAL_LABEL = /^(?:(?:total(?:es)?(?: general)?|suma(?: total)?|recuento|count)(?: (?:de )?actores)?|n(?:umero|º|°|o\.?)? de actores)\s*:?$/;
const CODE_LABEL = /\b(?:codigo|cod|code|letra|sigla|clave)\b/;
const NAME_LABEL = /\b(?:nombre|name)\b/;

/**
 * The layout with the code and name columns the list's header row names, when it names one of
 * each (`Nombre | Código | Id`, `Id | Nombre | Código`): the rows' shape alone reads only `code |
 * id | name` and `id | code | name`, and took `name | code | id` for a list without names (all
 * published NULL, unsaid) and `id | name | code` for one with the names as codes. A header row
 * naming only the name column (`Nombre | Id`) or only the code column (`Id | Código`, `Nº | Actor
 * | Sigla`) over the column the shape gave the other swaps the two. The header row
 * is the nearest row above the first actor with two texts or more; otherwise `shaped` stands.
 */
function labelledLayout(rows: readonly SheetRow[], shaped: Layout): Layout {
  const first = rows.findIndex((row) => row.cells.some((c) => c.col === shaped.idCol && asId(c.value) !== null));
  for (let r = first - 1; r >= 0; r--) {
    const labels = rows[r]!.cells.filter((c) => typeof c.value === "string" && tidy(c.value) !== "");
    if (labels.length < 2) continue;
    const folded = labels.map((c) => ({ col: c.col, text: fold(c.value as string) }));
    const codes = folded.filter((l) => CODE_LABEL.test(l.text) && !NAME_LABEL.test(l.text));
    const names = folded.filter((l) => NAME_LABEL.test(l.text) && !CODE_LABEL.test(l.text));
    if (codes.length > 1 || names.length > 1 || codes[0]?.col === shaped.idCol || names[0]?.col === shaped.idCol) return shaped;
    if (codes.length === 1 && names.length === 1) return { idCol: shaped.idCol, codeCol: codes[0]!.col, nameCol: names[0]!.col };
    // One of them named, over the column the shape gave the other: the two are swapped. `Nombre |
    // Id` read the names as the codes, `Id | Código` the codes as the names, `Nº | Actor | Sigla`
    // both the wrong way round. Any other column named alone is left alone.
    const swapped = { idCol: shaped.idCol, codeCol: shaped.nameCol, nameCol: shaped.codeCol };
    if (names.length === 1 && names[0]!.col === shaped.codeCol) return swapped;
    if (codes.length === 1 && codes[0]!.col === shaped.nameCol) return swapped;
    return shaped;
  }
  return shaped;
}

/**
 * `layout` without its name column when the rows' shape alone placed it left of the code (`name |
 * code | id`, no header row naming it) and it repeats a few values across the actors: `Grupo |
 * Código | Id` published each actor of the group 'Gobierno' as an actor named 'Gobierno', unsaid.
 * Names are credible while the cells holding a value given more than once are at most half of
 * them (a name typed twice among distinct ones stays names); otherwise the actors are published
 * without names and `list_names_repeated` names the column's cells.
 */
function withoutRepeatedNames(rows: readonly SheetRow[], layout: Layout, sheet: string, findings: Findings): Layout {
  const nameCol = layout.nameCol;
  if (nameCol === null || nameCol > layout.idCol) return layout;
  const refs: string[] = [];
  const counts = new Map<string, { name: string; count: number }>();
  for (const row of rows) {
    if (!row.cells.some((c) => c.col === layout.idCol && asId(c.value) !== null)) continue;
    const cell = row.cells.find((c) => c.col === nameCol);
    const name = cell === undefined || cell.value instanceof CellError ? null : nonBlank(show(cell.value));
    if (name === null) continue;
    refs.push(cellRef(sheet, row.row, nameCol));
    const key = fold(name);
    const seen = counts.get(key);
    if (seen) seen.count++;
    else counts.set(key, { name, count: 1 });
  }
  const repeated = [...counts.values()].filter((v) => v.count > 1).sort((a, b) => b.count - a.count);
  if (repeated.reduce((n, v) => n + v.count, 0) * 2 <= refs.length) return layout;
  const where = `${refs[0]}:${refs[refs.length - 1]!.slice(refs[0]!.lastIndexOf("!") + 1)}`;
  const values = repeated.slice(0, 3).map((v) => `'${v.name}' ${v.count} times`).join(", ");
  findings.add("list_names_repeated", refs.slice(0, MAX_FINDING_CELLS), `${columnLetters(nameCol)}|${values} in ${where}`, refs.length);
  return { ...layout, nameCol: null };
}

/** Trimmed and composed (NFC, as `asText()`), or null when blank. */
function nonBlank(text: string): string | null {
  const trimmed = tidy(text);
  return trimmed.length === 0 ? null : trimmed;
}
