// @ts-check
/**
 * Cell references as the workbook writes them (`'Matriz de adyacencia'!F5`, `Hoja1!C20:AZ20`),
 * both ways: naming a heat-map cell, and finding which actors a finding's reference points at.
 * The matrix layout (where the matrix sits in its sheet) comes from GET /matrix. Pure.
 */

/** @typedef {import("./api_client.js").MatrixLayout} MatrixLayout */
/** @typedef {import("./api_client.js").MatrixActor} MatrixActor */
/** @typedef {{ sheet: string | null, row: number, col: number, row2: number, col2: number }} ParsedRef  1-based; row2/col2 = row/col for one cell */
/**
 * Where a reference lands in the matrix: header positions (null outside it) and what it is.
 * @typedef {object} ResolvedRef
 * @property {string} ref
 * @property {"cell" | "row" | "header" | "label" | "list" | "other"} kind  cell: inside the matrix; row: a whole row range; header: the id/code rows; label: a row's id/code cell; list: another sheet
 * @property {number | null} rowPos
 * @property {number | null} colPos
 */

/**
 * Returns the column letters of a 1-based column number.
 *
 * @example
 * columnLetters(28); // "AB"
 * @param {number} col
 * @returns {string}
 */
export function columnLetters(col) {
  let letters = "";
  for (let n = col; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

/**
 * Returns the 1-based column number of column letters.
 *
 * @example
 * columnNumber("AB"); // 28
 * @param {string} letters
 * @returns {number}
 */
export function columnNumber(letters) {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

/**
 * Returns a reference's sheet and cells, or null when it is not a cell reference (`contacts.csv:12`).
 *
 * @example
 * parseCellRef("'Matriz de adyacencia'!C20:AZ20"); // { sheet: "Matriz de adyacencia", row: 20, col: 3, row2: 20, col2: 52 }
 * @param {string} ref
 * @returns {ParsedRef | null}
 */
export function parseCellRef(ref) {
  const m = /^(?:(?:'((?:[^']|'')+)'|([^'!]+))!)?\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$/.exec(ref);
  if (!m) return null;
  const sheet = m[1] !== undefined ? m[1].replaceAll("''", "'") : (m[2] ?? null);
  const col = columnNumber(m[3]);
  const row = Number(m[4]);
  return { sheet, row, col, row2: m[6] ? Number(m[6]) : row, col2: m[5] ? columnNumber(m[5]) : col };
}

/**
 * Returns the workbook's name of the heat-map cell (row position, column position), such as
 * `'Matriz de adyacencia'!F5`, or null when the layout (or the row's sheet row) is unknown.
 *
 * @example
 * cellName(layout, header, 2, 3); // "'Matriz de adyacencia'!F5"
 * @param {MatrixLayout | null} layout
 * @param {readonly MatrixActor[]} header
 * @param {number} rowPos
 * @param {number} colPos
 * @returns {string | null}
 */
export function cellName(layout, header, rowPos, colPos) {
  const sheetRow = header[rowPos]?.sheet_row;
  if (!layout || sheetRow == null) return null;
  const sheet = /^[A-Za-z_][A-Za-z0-9_.]*$/.test(layout.sheet) ? layout.sheet : `'${layout.sheet.replaceAll("'", "''")}'`;
  return `${sheet}!${columnLetters(layout.first_col + colPos)}${sheetRow}`;
}

/**
 * Returns where `ref` lands in the matrix described by `layout` and `header`.
 *
 * @example
 * resolveRef("'Matriz de adyacencia'!F5", layout, rowOfSheetRow(header)); // { kind: "cell", rowPos: 2, colPos: 3, ... }
 * @param {string} ref
 * @param {MatrixLayout | null} layout
 * @param {Map<number, number>} rowBySheetRow  header position of each data row's sheet row
 * @param {number} n  actors in the header
 * @returns {ResolvedRef}
 */
export function resolveRef(ref, layout, rowBySheetRow, n) {
  const parsed = parseCellRef(ref);
  if (!parsed || !layout) return { ref, kind: "other", rowPos: null, colPos: null };
  if (parsed.sheet !== null && parsed.sheet !== layout.sheet) return { ref, kind: "list", rowPos: null, colPos: null };
  const colPos = parsed.col - layout.first_col;
  const inColumns = colPos >= 0 && colPos < n;
  if (parsed.row === layout.header_row || parsed.row === layout.code_row) return { ref, kind: "header", rowPos: null, colPos: inColumns ? colPos : null };
  const rowPos = rowBySheetRow.get(parsed.row) ?? null;
  if (parsed.col2 !== parsed.col) return { ref, kind: "row", rowPos, colPos: null };
  if (parsed.col === layout.id_col || parsed.col === layout.code_col) return { ref, kind: "label", rowPos, colPos: null };
  return { ref, kind: inColumns && rowPos !== null ? "cell" : "other", rowPos, colPos: inColumns ? colPos : null };
}

/**
 * Returns the header position of each data row's sheet row, for `resolveRef()`.
 *
 * @example
 * rowOfSheetRow([{ id: 1, sheet_row: 3 }, { id: 2, sheet_row: 4 }]); // Map { 3 => 0, 4 => 1 }
 * @param {readonly Pick<MatrixActor, "sheet_row">[]} header
 * @returns {Map<number, number>}
 */
export function rowOfSheetRow(header) {
  /** @type {Map<number, number>} */
  const map = new Map();
  header.forEach((actor, position) => {
    if (actor.sheet_row != null) map.set(actor.sheet_row, position);
  });
  return map;
}
