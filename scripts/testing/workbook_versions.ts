/**
 * Versions of a real workbook, for the tests and the screenshot that need "yesterday's file": the
 * same workbook with some pairs unmarked and an actor renamed, so loading the real one next shows
 * changes (pairs added, an actor changed).
 */
import { openWorkbook, CellError } from "../../etl/xlsx/mod.ts";
import type { CellInput, SheetSpec } from "./xlsx_writer.ts";

const MATRIX = "Matriz de adyacencia";
const LIST = "Lista de actores";

/**
 * Returns the sample workbook's sheets with `pairs` mutual pairs unmarked (set to 0 both ways) and
 * one actor renamed: "last week's file", so loading the real sample next shows changes.
 *
 * @example
 * const sheets = await olderVersion(sampleWorkbook, 4);
 */
export async function olderVersion(path: string, pairs: number): Promise<SheetSpec[]> {
  const workbook = await openWorkbook(path);
  try {
    const sheets: SheetSpec[] = [];
    for (const name of workbook.sheetNames) {
      const rows: CellInput[][] = [];
      for await (const row of workbook.rows(name)) {
        const values: CellInput[] = [];
        for (const cell of row.cells) values[cell.col - 1] = cell.value instanceof CellError ? { error: cell.value.code } : cell.value;
        rows[row.row - 1] = values;
      }
      for (let i = 0; i < rows.length; i++) rows[i] ??= [];
      sheets.push({ name, rows });
    }
    const matrix = sheets.find((s) => s.name === MATRIX)!.rows as CellInput[][];
    let removed = 0;
    // Data starts at row 3, column C (the users' layout); (r, c) and its mirror share an actor offset.
    for (let r = 2; r < matrix.length && removed < pairs; r++) {
      for (let c = r + 1; c < matrix[r].length && removed < pairs; c++) {
        const mirror = matrix[c]?.[r];
        if (matrix[r][c] === 1 && mirror === 1) {
          matrix[r][c] = 0;
          matrix[c][r] = 0;
          removed++;
          r += 3; // spread the removed pairs over several actors
          break;
        }
      }
    }
    const list = sheets.find((s) => s.name === LIST)!.rows as CellInput[][];
    const named = list.findIndex((row, i) => i > 0 && typeof row[2] === "string");
    if (named > 0) list[named][2] = `${list[named][2]} (old spelling)`;
    return sheets;
  } finally {
    await workbook.close();
  }
}
