// Test helper: turns a grid of values into the reader's SheetRow stream, so shape detection can be
// tested without writing .xlsx bytes. rows[0] is sheet row 1; column index 0 is column A.
import type { Cell, CellValue, SheetRow } from "../../etl/xlsx/mod.ts";
import { cellRef } from "../../etl/relationships/mod.ts";

export type GridValue = CellValue | null | undefined;

export async function* gridRows(sheet: string, grid: readonly (readonly GridValue[])[]): AsyncIterable<SheetRow> {
  for (let r = 0; r < grid.length; r++) {
    const cells: Cell[] = [];
    grid[r].forEach((value, c) => {
      // An empty string is a value (the reader yields one for an empty text cell); only null is no cell.
      if (value === null || value === undefined) return;
      cells.push({ row: r + 1, col: c + 1, value, get ref() { return cellRef(sheet, r + 1, c + 1); } });
    });
    if (cells.length > 0) yield { row: r + 1, cells };
  }
}

/** The users' layout for a small matrix: ids in row 1 from C1, codes in row 2, id+code+cells per row. */
export function usersGrid(matrix: readonly (readonly (0 | 1 | null)[])[], codes?: readonly string[]): GridValue[][] {
  const n = matrix.length;
  const code = (i: number) => codes?.[i] ?? String.fromCharCode(65 + i);
  return [
    [null, null, ...Array.from({ length: n }, (_, i) => i + 1)],
    [null, null, ...Array.from({ length: n }, (_, i) => code(i))],
    ...matrix.map((row, i) => [i + 1, code(i), ...row]),
  ];
}

/** Shifts a grid down by `rows` and right by `cols`. */
export function moveGrid(grid: GridValue[][], rows: number, cols: number): GridValue[][] {
  return [...Array.from({ length: rows }, () => []), ...grid.map((row) => [...new Array(cols).fill(null), ...row])];
}
