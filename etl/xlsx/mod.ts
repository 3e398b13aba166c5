/**
 * A streaming, dependency-free .xlsx reader (node:zlib + node:fs).
 *
 * @example
 * import { openWorkbook } from "./etl/xlsx/mod.ts";
 * const wb = await openWorkbook("data/relaciones.xlsx");
 * try {
 *   for await (const row of wb.rows("Matriz de adyacencia")) for (const cell of row.cells) use(cell.ref, cell.value);
 * } finally {
 *   await wb.close();
 * }
 */
export { openWorkbook, MAX_CELL_CHARS, type ReaderOptions, type RowsOptions, type Workbook } from "./open_workbook.ts";
export { CellError, UNCALCULATED, XlsxError, type Cell, type CellValue, type MergedRange, type MergeListener, type PackColumns, type SheetRow, type XlsxErrorCode } from "./types.ts";
export { columnLetters } from "./_sheet_parser.ts";
export { zipEndIn } from "./_zip.ts";
