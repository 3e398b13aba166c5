/**
 * The data the `.xlsx` reader yields. The relationship pipeline depends only on these types and on
 * `openWorkbook()` from `etl/xlsx/mod.ts`.
 */

/** An Excel error value such as `#N/A` or `#REF!`, kept distinct from text that looks like one. */
export class CellError {
  constructor(readonly code: string) {}
  toString(): string {
    return this.code;
  }
}

/**
 * The code of the `CellError` a formula saved without its result reads as: a library wrote the
 * file and no spreadsheet program has calculated it since. Its value is not known, which an empty
 * cell would hide.
 */
export const UNCALCULATED = "#UNCALCULATED";

/** A typed cell value: number, text, boolean, error, or date (from `t="d"` or a date number format). */
export type CellValue = number | string | boolean | Date | CellError;

/** One non-empty cell. `row` and `col` are 1-based; `ref` is like `'Matriz de adyacencia'!F5`. */
export interface Cell {
  readonly row: number;
  readonly col: number;
  readonly value: CellValue;
  /** Computed on demand so that reading millions of cells does not build millions of strings. */
  readonly ref: string;
}

/**
 * One row with at least one value; cells are in column order; empty/style-only cells are absent.
 * When the read asked for packed columns (`RowsOptions.pack`), the plain 0/1 cells of those
 * columns may be in `packed` instead of `cells` (see `PackColumns`).
 */
export interface SheetRow {
  readonly row: number;
  readonly cells: readonly Cell[];
  /** 2 bits per packed column, column `first + i` at bits `2 * (i % 4)` of byte `i >> 2`: 1 = a 0, 2 = a 1, 0 = not here (see `cells`). */
  readonly packed?: Uint8Array;
  /** How many cells `packed` holds. */
  readonly packedCount?: number;
}

/**
 * Columns `first .. first + count - 1` (1-based) whose number cells holding exactly 0 or 1 the
 * consumer wants as 2-bit states in `SheetRow.packed` rather than as `Cell` objects: for a 0/1
 * matrix that is most of the cells, and building, dispatching and dropping one object per cell was
 * the reader's largest cost. The reader looks at `count` at each row start, so a consumer that only
 * learns the columns from the first rows sets it then (0 = off). Only cells in the common shape
 * (`<c r="F7"><v>1</v></c>`, optionally with a non-date ` s="N"` and ` t="n"`, in a row that has
 * `r=`) are packed; every other cell in those columns still arrives in `cells`.
 */
export interface PackColumns {
  first: number;
  count: number;
}

/**
 * A merged range of a sheet (`<mergeCell ref="A2:B3"/>`, ECMA-376 Part 1, 18.3.1.55): Excel shows
 * the top-left cell's value over the whole range, but the file holds it only in that cell (the
 * others are blank, or hold values Excel keeps hidden). 1-based and inclusive, top-left first.
 */
export interface MergedRange {
  readonly firstRow: number;
  readonly firstCol: number;
  readonly lastRow: number;
  readonly lastCol: number;
  /** Like `'Lista de actores'!A2:A3` (one cell: `'Hoja'!B2`). */
  readonly ref: string;
}

/**
 * Where a read sends the sheet's merged ranges (`RowsOptions.merges`), one call each, never held by
 * the reader. They follow the rows in the file (`<mergeCells>` comes after `<sheetData>`), so each
 * arrives once every row has been yielded. `onRange` is looked at as each range is read: a consumer
 * handed the rows may set it after `rows()` was called, as with `PackColumns`.
 */
export interface MergeListener {
  onRange: ((range: MergedRange) => void) | null;
}

/** Why a workbook could not be read. Each code has a plain message naming the file (and part). */
export type XlsxErrorCode =
  | "not-found" // the file does not exist or cannot be opened
  | "unreadable" // the file is there but we may not read it (EACCES, EPERM)
  | "not-zip" // no ZIP signature: not an .xlsx at all
  | "truncated" // a ZIP whose central directory or an entry is cut short
  | "corrupt" // a ZIP whose structure or compressed data is damaged (not merely cut short)
  | "encrypted" // an OLE/CFB container: a password-protected workbook (or a legacy .xls)
  | "xls" // a legacy binary .xls renamed to .xlsx
  | "xlsb" // a binary .xlsb renamed to .xlsx
  | "not-workbook" // a ZIP without a spreadsheet workbook part
  | "missing-sheet" // the sheet name is not in the workbook (message lists the ones that exist)
  | "malformed-xml" // a part's XML cannot be parsed (message says part and position)
  | "too-large" // an entry inflates past the size cap, or at an absurd ratio (zip bomb)
  | "unsupported"; // a ZIP feature we do not read (e.g. a compression method other than stored/deflate)

export class XlsxError extends Error {
  override readonly name = "XlsxError";
  constructor(
    readonly code: XlsxErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}
