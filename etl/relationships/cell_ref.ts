/**
 * Cell references for findings. Blank cells have no `Cell` object from the reader, yet a finding
 * about "unknown cells" or an asymmetric pair must still point at them, so we format refs ourselves.
 */

/**
 * Returns the column letters for a 1-based column number.
 *
 * @example
 * ```ts
 * columnLetters(28); // "AB"
 * ```
 */
export function columnLetters(col: number): string {
  let letters = "";
  for (let n = col; n > 0; n = Math.floor((n - 1) / 26)) {
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  }
  return letters;
}

/**
 * Returns an Excel-style reference with the sheet name quoted like the reader's `Cell.ref`.
 *
 * @example
 * ```ts
 * cellRef("Matriz de adyacencia", 5, 6); // "'Matriz de adyacencia'!F5"
 * ```
 */
export function cellRef(sheet: string, row: number, col: number): string {
  return `${sheetPrefix(sheet)}${columnLetters(col)}${row}`;
}

/**
 * Returns a range reference such as `'Matriz de adyacencia'!C20:AZ20`.
 *
 * @example
 * ```ts
 * rangeRef("Hoja1", 20, 3, 20, 52); // "Hoja1!C20:AZ20"
 * ```
 */
export function rangeRef(sheet: string, row1: number, col1: number, row2: number, col2: number): string {
  return `${sheetPrefix(sheet)}${columnLetters(col1)}${row1}:${columnLetters(col2)}${row2}`;
}

function sheetPrefix(sheet: string): string {
  // Excel only quotes names that need it; quoting always would be valid too, but matching the
  // reader's own refs keeps findings comparable.
  return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(sheet) ? `${sheet}!` : `'${sheet.replaceAll("'", "''")}'!`;
}
