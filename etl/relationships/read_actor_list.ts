/**
 * Finds the actor list (code | id | name) in a sheet by its shape: the first row holding an id
 * next to text fixes the columns; titles and header rows above it have no id and are skipped, so
 * the table may move down or right.
 */
import { CellError, type SheetRow } from "../xlsx/mod.ts";
import { asId, asText, isUncalculated, show } from "./_values.ts";
import { cellRef } from "./cell_ref.ts";
import type { Findings } from "./findings.ts";

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
  options: { sheet: string; findings: Findings },
): Promise<ActorList> {
  const { sheet, findings } = options;
  let layout: Layout | null = null;
  const actors: ListedActor[] = [];
  const seen = new Map<number, string>();
  const take = (row: SheetRow, layout: Layout) => {
    let id: number | null = null;
    let code: string | null = null;
    let name: string | null = null;
    for (const cell of row.cells) {
      const inTable = cell.col === layout.idCol || cell.col === layout.codeCol || cell.col === layout.nameCol;
      // An error (a VLOOKUP's #N/A) is no code and no name: shown as text it was published as the
      // actor's name "#N/A". Read as blank and named; a formula never calculated is reported above.
      if (inTable && cell.value instanceof CellError) {
        if (!isUncalculated(cell.value)) findings.add("list_error_value", cellRef(sheet, cell.row, cell.col), show(cell.value));
        continue;
      }
      if (cell.col === layout.idCol) id = asId(cell.value);
      else if (cell.col === layout.codeCol) code = asText(cell.value) ?? nonBlank(show(cell.value));
      else if (cell.col === layout.nameCol) name = nonBlank(show(cell.value));
    }
    if (id === null) return;
    const ref = cellRef(sheet, row.row, layout.idCol);
    const first = seen.get(id);
    if (first !== undefined) {
      findings.add("duplicate_id", [first, ref], String(id));
      return;
    }
    seen.set(id, ref);
    const codeRef = layout.codeCol === null ? null : cellRef(sheet, row.row, layout.codeCol);
    actors.push({ id, code, name, ref, codeRef });
  };
  // The columns are fixed by the first row with both a code and a name, not by the first row with
  // an id: that one's name or code may be blank, and would drop the column for every actor. Rows
  // read before it wait (all of them when no row has both: then the most complete layout is used).
  const waiting: SheetRow[] = [];
  for await (const row of rows) {
    // A formula saved without its result leaves an id, a code or a name unknown: an id column of
    // =B5+1 written by openpyxl dropped those actors from the list with a not_in_list warning only.
    for (const cell of row.cells) {
      if (isUncalculated(cell.value)) findings.add("formula_not_calculated", cellRef(sheet, cell.row, cell.col));
    }
    if (layout === null || completeness(layout) < 2) {
      const found = findLayout(row);
      if (found && (layout === null || (found.idCol === layout.idCol && completeness(found) > completeness(layout)))) layout = found;
      if (layout === null) continue;
      waiting.push(row);
      if (completeness(layout) < 2) continue;
      for (const w of waiting) take(w, layout);
      waiting.length = 0;
      continue;
    }
    take(row, layout);
  }
  if (layout) for (const w of waiting) take(w, layout);
  if (!layout) findings.add("list_not_found");
  return { sheet, actors };
}

type Layout = { idCol: number; codeCol: number | null; nameCol: number | null };

function completeness(layout: Layout): number {
  return (layout.codeCol === null ? 0 : 1) + (layout.nameCol === null ? 0 : 1);
}

function findLayout(row: SheetRow): Layout | null {
  const cells = row.cells;
  for (let i = 0; i < cells.length; i++) {
    if (asId(cells[i].value) === null) continue;
    const col = cells[i].col;
    const left = i > 0 && cells[i - 1].col === col - 1 && asText(cells[i - 1].value) !== null;
    const right = cells.slice(i + 1).filter((c) => asText(c.value) !== null).map((c) => c.col);
    if (left) return { idCol: col, codeCol: col - 1, nameCol: right[0] ?? null };
    // "id | code | name" puts two text columns on the right; "id | name" only one.
    if (right.length >= 2) return { idCol: col, codeCol: right[0], nameCol: right[1] };
    if (right.length === 1) return { idCol: col, codeCol: null, nameCol: right[0] };
  }
  return null;
}

/** Trimmed and composed (NFC, as `asText()`), or null when blank. */
function nonBlank(text: string): string | null {
  const trimmed = text.trim().normalize("NFC");
  return trimmed.length === 0 ? null : trimmed;
}
