/**
 * Finds the adjacency matrix in a sheet by its shape and reads it in one pass over streamed rows.
 * Nothing is at a fixed cell: the header is a row with adjacent, increasing actor ids, final at
 * the first row that reads as its data (a later such row replaces it until then, as the matrix's own
 * header replaces a title of years); the code row sits right above or below it; the id (and code)
 * columns are left of the header.
 * Each data row is packed at 2 bits per cell, so memory is N²/4 bytes plus O(N) objects; once the
 * header is known the reader packs plain 0/1 cells itself (`pack`), so most cells never become
 * objects at all.
 */
import type { Cell, CellValue, MergeListener, PackColumns, SheetRow } from "../xlsx/mod.ts";
import { asBadId, asId, asMatrixValue, asText, asWholeNumber, isBrokenId, isUncalculated, show, tidy } from "./_values.ts";
import { cellRef } from "./cell_ref.ts";
import { addIdIsDate, datesAsIds } from "./checks.ts";
import { Findings, MAX_FINDING_CELLS } from "./findings.ts";

/** Cell states in a packed row. Blank is its own state: unknown is not 0. */
export const UNKNOWN = 0;
export const ZERO = 1;
export const ONE = 2;
export type CellState = typeof UNKNOWN | typeof ZERO | typeof ONE;

/** One data row of the matrix. */
export interface MatrixRow {
  readonly id: number;
  /** 1-based sheet row. */
  readonly sheetRow: number;
  readonly code: string | null;
  /** 2 bits per header position; read with `cellState()`. */
  readonly cells: Uint8Array;
  /** Blank cells in this row, not counting the diagonal. */
  readonly unknown: number;
}

/** The matrix as found in the sheet. Column of header position p is `firstCol + p`. */
export interface Matrix {
  readonly sheet: string;
  readonly headerRow: number;
  readonly firstCol: number;
  /** Actor ids in header order. */
  readonly ids: readonly number[];
  /** The code above/below each header id, if the sheet has a code row. */
  readonly headerCodes: readonly (string | null)[];
  readonly codeRow: number | null;
  readonly idCol: number | null;
  readonly codeCol: number | null;
  /** Data rows in sheet order (rows with an id; duplicates dropped after the first). */
  readonly rows: readonly MatrixRow[];
}

/**
 * Returns the state of header position `position` in a packed row.
 *
 * @example
 * ```ts
 * cellState(matrix.rows[0], 3) === ONE; // row 0 marks the 4th header actor
 * ```
 */
export function cellState(row: MatrixRow, position: number): CellState {
  return ((row.cells[position >> 2] >> ((position & 3) << 1)) & 3) as CellState;
}

/**
 * Reads the matrix from `rows` (one pass), recording problems in `findings`. Returns null when no
 * header row exists (the `matrix_not_found` error is recorded).
 *
 * @example
 * ```ts
 * const findings = new Findings();
 * const matrix = await readMatrix(workbook.rows("Matriz de adyacencia"), { sheet: "Matriz de adyacencia", findings });
 * matrix?.ids; // [1, 2, 3, ...]
 *
 * // Faster: let the reader pack the matrix's 0/1 cells once readMatrix knows its columns.
 * const pack = { first: 0, count: 0 };
 * await readMatrix(workbook.rows(sheet, { pack }), { sheet, findings, pack });
 * ```
 */
export async function readMatrix(
  rows: AsyncIterable<SheetRow>,
  options: {
    sheet: string;
    findings: Findings;
    /** The workbook counts dates from 1904 (`Workbook.date1904`): the dates hint's examples follow it. */
    date1904?: boolean;
    /** The `pack` passed to `rows()`: filled in with the header's columns once the header is final. */
    pack?: PackColumns;
    /** The `merges` passed to `rows()`: set to name the ranges merged inside the matrix (`matrix_merged_cells`). */
    merges?: MergeListener;
  },
): Promise<Matrix | null> {
  const { sheet, pack } = options;
  // Kept apart until the end: a blank header cell over a 0/1 column taken for the row ids makes the
  // row-id findings mere consequences (`clearedColumn()`), left out then.
  const findings = new Findings();
  const date1904 = options.date1904 ?? false;
  let previous: SheetRow | null = null;
  let header: Header | null = null;
  // The header a later row of ids replaced, and that row: kept until the first data row says which
  // of the two its ids belong to (a code row of digit text, "10" | "20", reads as ids too).
  let replaced: Replaced | null = null;
  // The header is final once a row reads as its data (`isDataRowOf`); until then a later row of
  // ids may replace it, and what the rows in between said is kept aside in `rowFindings`.
  let final = false;
  let rowFindings = new Findings();
  let headerCodes: (string | null)[] = [];
  let codeRow: number | null = null;
  let idCol: number | null = null;
  let expectCodeRow = false;
  // Text cells of the code row taken from above the header: the row below wins when it has more.
  let codesAbove = 0;
  const out: MatrixRow[] = [];
  // Each row's text cells left of the header, by column, until the code column is known (at the end).
  const rowTexts: Map<number, string>[] = [];
  const rowIdCell = new Map<number, string>();
  let positionOf = new Map<number, number>();
  let rowsWithoutId = 0;
  const rowsWithoutIdRefs: string[] = [];
  // Of those, the rows whose cell named is a date: an id column formatted as dates.
  let rowsWithDateId = 0;
  // Those rows' id cells and dates: the id_is_date error when other rows have ids (rows_not_found else).
  const datedIds: [ref: string, date: string][] = [];
  // Rows whose id cell holds no id and is not blank (#REF!, "3,0", TRUE): the id_not_a_number error
  // when other rows have ids, as datedIds. A row met before the id column was known (the first data
  // row's #REF! id) keeps its cells left of the header, to be judged once the column is known.
  const brokenIds: [ref: string, value: string][] = [];
  const undecided: { row: number; left: readonly Cell[]; ref: string }[] = [];
  // The first row holding adjacent dates before any header: a header of ids formatted as dates.
  let dateCells: string[] | null = null;
  // The cells under a blank header cell right left of the header (`Header.blankBefore`).
  let cleared = noCleared();

  // Ranges merged inside the matrix's cells (under the header and code rows, over the data rows,
  // within the header's columns). They follow the rows, so the matrix is known when they come; a
  // finding keeps 50 cells and a count, however many the sheet lists.
  const merged = new Findings();
  if (options.merges) {
    options.merges.onRange = (range) => {
      if (header === null || out.length === 0) return;
      const top = Math.max(header.row, codeRow ?? header.row) + 1;
      const bottom = out[out.length - 1]!.sheetRow;
      const first = header.firstCol;
      const last = first + header.ids.length - 1;
      if (range.lastRow < top || range.firstRow > bottom || range.lastCol < first || range.firstCol > last) return;
      merged.add("matrix_merged_cells", range.ref, range.ref);
    };
  }
  for await (const row of rows) {
    // A formula saved without its result is unknown wherever it sits: in a header id, a row id or a
    // code as much as in a matrix cell (an openpyxl script writing the header as =C1+1 cut the
    // matrix after its literal ids, and half the relationships went unknown with warnings only).
    // Packed cells are plain numbers, so only the row's Cells need a look.
    for (const cell of row.cells) {
      if (isUncalculated(cell.value)) findings.add("formula_not_calculated", cellRef(sheet, cell.row, cell.col));
    }
    const above = previous;
    previous = row;
    let confirms = false;
    if (!final) {
      // A title row of two years (`2025 | 2026`) looks like a header: it stays one only until a row
      // reads as its data, so a row with a number under it (a version, a page) is not its first data
      // row, and a later row of ids at least as long (the matrix's own header) replaces it.
      if (header !== null && isCornerAbove(row, header, positionOf)) {
        // The first header cell is the corner above the id column (a year, a count): before, it
        // joined the header, and the ids under it were taken for its actor's 0/1 column.
        header = withoutFirst(header);
        positionOf = headerPositions(header);
        headerCodes = headerCodes.slice(1);
      }
      confirms = header !== null && isDataRowOf(row, header, positionOf, idCol);
      const candidate: Header | null = confirms ? null : findHeader(row);
      if (candidate && (!header || candidate.ids.length >= header.ids.length)) {
        replaced = header ? { header, headerCodes, codeRow, by: row } : null;
        header = candidate;
        positionOf = headerPositions(candidate);
        headerCodes = candidate.ids.map(() => null);
        codeRow = null;
        expectCodeRow = false;
        idCol = null;
        out.length = 0;
        rowTexts.length = 0;
        rowIdCell.clear();
        rowsWithoutId = 0;
        rowsWithoutIdRefs.length = 0;
        rowsWithDateId = 0;
        datedIds.length = 0;
        brokenIds.length = 0;
        undecided.length = 0;
        cleared = noCleared();
        rowFindings = new Findings();
        // The code row is right above or below the header, whichever holds more codes: a title
        // above it (merged over the header) was taken for the code row when the codes were below.
        codesAbove = above && above.row === candidate.row - 1 ? codeCount(above, candidate.firstCol, candidate.ids.length) : 0;
        if (above && codesAbove > 0) {
          headerCodes = readCodes(above, candidate.firstCol, candidate.ids.length);
          codeRow = above.row;
        }
        expectCodeRow = true;
        continue;
      }
    }
    if (!header) {
      dateCells ??= adjacentDates(row, sheet);
      continue;
    }
    if (confirms && replaced !== null) {
      // The header is the row whose ids the data rows' ids are: when the first data row's id is not
      // in the row that replaced the header but is in the header it replaced, that one stands, and
      // the replacing row right under it is its code row (before, a code row "10" | "20" became
      // the header, its codes published as phantom actors with made-up pairs).
      const id = rowId(row, header.idsFrom, idCol);
      const back: Replaced = replaced;
      replaced = null;
      if (id !== null && !positionOf.has(id) && headerPositions(back.header).has(id)) {
        const kept: Header = back.header;
        header = kept;
        positionOf = headerPositions(kept);
        const under = back.by.row === kept.row + 1;
        headerCodes = under ? readCodes(back.by, kept.firstCol, kept.ids.length, true) : back.headerCodes;
        codeRow = under ? back.by.row : back.codeRow;
        expectCodeRow = false;
      }
    }
    const n = header.ids.length;
    const first: number = header.firstCol;
    const last = first + n - 1;
    if (confirms) {
      final = true;
      findings.absorb(rowFindings);
      rowFindings = findings;
      checkHeaderIds(header, sheet, findings);
      // The header is final (no header search after its first data row): from the next row on,
      // the reader may pack the plain 0/1 cells of its columns.
      if (pack) {
        pack.first = first;
        pack.count = n;
      }
    }
    if (expectCodeRow) {
      expectCodeRow = false;
      if (row.row === header.row + 1 && codeCount(row, first, n) > codesAbove) {
        headerCodes = readCodes(row, first, n);
        codeRow = row.row;
        continue;
      }
    }

    if (header.blankBefore !== null) tallyCleared(cleared, row, header.blankBefore);
    // Cells come in column order, so the id and code (left of the header) are known before the
    // first matrix cell arrives.
    const cells = row.cells;
    let i = 0;
    if (idCol === null) idCol = idCellOf(row, header.idsFrom, null)?.col ?? null;
    let id: number | null = null;
    let idCell: Cell | null = null;
    // With no id column known, the right-most date left of the header: where the id would be.
    let dateCol: number | null = null;
    const texts = new Map<number, string>();
    for (; i < cells.length && cells[i].col < first; i++) {
      const cell = cells[i];
      if (cell.col === idCol) {
        id = asId(cell.value);
        idCell = cell;
        continue;
      }
      if (cell.value instanceof Date) dateCol = cell.col;
      const text = codeText(cell.value);
      if (text !== null) texts.set(cell.col, text);
    }
    if (id === null && idCell !== null && asBadId(idCell.value) !== null) {
      // An id that cannot be stored (0, 2^31 or more): named as such, not "a row without an id".
      rowFindings.addOnce("id_out_of_range", [cellRef(sheet, idCell.row, idCell.col)], String(asBadId(idCell.value)));
      continue;
    }
    if (id === null) {
      // Notes, totals or blank-styled rows around the table; only rows with matrix values matter.
      let valued: Cell | null = null;
      for (let k = i; k < cells.length && cells[k].col <= last; k++) {
        if (!isBlank(cells[k])) {
          valued = cells[k];
          break;
        }
      }
      if (valued || (row.packedCount ?? 0) > 0) {
        rowsWithoutId++;
        // The cell to fix: the id column's, else a date where the id would be (it named the code
        // beside a column of ids formatted as dates), else the one left of the header.
        const col = idCol ?? dateCol ?? Math.max(1, first - 1);
        const date = row.cells.find((c) => c.col === col && c.value instanceof Date);
        const ref = cellRef(sheet, row.row, col);
        if (rowsWithoutIdRefs.length < MAX_FINDING_CELLS) rowsWithoutIdRefs.push(ref);
        if (date !== undefined) {
          // An id shown as a date (part of the id column formatted as dates): not a row without an
          // id to drop with a warning, but an error once other rows show the column (at the end).
          rowsWithDateId++;
          datedIds.push([ref, show(date.value)]);
        } else if (idCell !== null && isBrokenId(idCell.value)) {
          // An id cell holding an error, a boolean or text: a broken id, not a row without one.
          brokenIds.push([ref, show(idCell.value)]);
        } else if (idCol === null) undecided.push({ row: row.row, left: cells.slice(0, i), ref });
        else rowFindings.add("row_without_id", ref);
      }
      continue;
    }
    const idRef = idCell ? cellRef(sheet, idCell.row, idCell.col) : cellRef(sheet, row.row, idCol ?? 1);
    const seen = rowIdCell.get(id);
    if (seen !== undefined) {
      rowFindings.addOnce("duplicate_id", [seen, idRef], String(id));
      continue;
    }
    rowIdCell.set(id, idRef);

    const diagonal = positionOf.get(id) ?? -1;
    let packed: Uint8Array;
    let filled = 0;
    // A 1 on the diagonal that came packed is reported when the loop below passes its column, so
    // findings keep the column order they have when every cell is a Cell.
    let packedDiagonalOne = false;
    if (row.packed !== undefined && row.packed.length === (n + 3) >> 2) {
      packed = row.packed;
      filled = row.packedCount ?? 0;
      if (diagonal >= 0) {
        const state = (packed[diagonal >> 2] >> ((diagonal & 3) << 1)) & 3;
        if (state !== UNKNOWN) filled--;
        packedDiagonalOne = state === ONE;
      }
    } else packed = new Uint8Array((n + 3) >> 2);
    for (; i < cells.length; i++) {
      const cell = cells[i];
      if (packedDiagonalOne && cell.col > first + diagonal) {
        packedDiagonalOne = false;
        rowFindings.add("diagonal_one", cellRef(sheet, row.row, first + diagonal), String(id));
      }
      const value = cell.value;
      const bit = value === 0 || value === 1 ? value : asMatrixValue(value);
      if (bit === "blank" || (bit === null && isUncalculated(value))) continue; // reported above
      if (cell.col > last) {
        // Past a hole right of the header: its columns are the header_gap error's, not each a warning.
        if (header.gap !== null && header.gap > last) continue;
        // No header id above it: the value cannot be placed, but it must not vanish silently.
        rowFindings.add("cell_beyond_header", cellRef(sheet, cell.row, cell.col), show(value));
        continue;
      }
      if (bit === null) {
        rowFindings.add("invalid_value", cellRef(sheet, cell.row, cell.col), show(value));
        continue;
      }
      const p = cell.col - first;
      const state: CellState = bit === 0 ? ZERO : ONE;
      packed[p >> 2] |= state << ((p & 3) << 1);
      if (p !== diagonal) filled++;
      else if (state === ONE) rowFindings.add("diagonal_one", cellRef(sheet, cell.row, cell.col), String(id));
    }
    if (packedDiagonalOne) rowFindings.add("diagonal_one", cellRef(sheet, row.row, first + diagonal), String(id));
    const unknown = n - (diagonal >= 0 ? 1 : 0) - filled;
    out.push({ id, sheetRow: row.row, code: null, cells: packed, unknown });
    rowTexts.push(texts);
  }

  if (!header) {
    findings.add("matrix_not_found", dateCells ?? [], sheet);
    // weight 0: only the hint that the cells named are dates (DATES_AS_IDS, the message's second example).
    if (dateCells) findings.add("matrix_not_found", [], datesAsIds(date1904), 0);
    options.findings.absorb(findings);
    return null;
  }
  const codeCol = codeColumn(out, rowTexts, idCol, headerCodes, positionOf);
  const coded = codeCol === null ? out : out.map((r, k) => ({ ...r, code: rowTexts[k]!.get(codeCol) ?? null }));
  if (codeRow !== null && codeRow < header.row && isTitle(headerCodes, header.ids, coded)) {
    headerCodes = headerCodes.map(() => null);
    codeRow = null;
  }
  if (!final) {
    // No row read as the matrix's data (every row blank, or none): the last header stands.
    findings.absorb(rowFindings);
    checkHeaderIds(header, sheet, findings);
  }
  // Values under the header but not one row with an id: publishing would drop every relationship.
  if (out.length === 0 && rowsWithoutId > 0) {
    findings.add("rows_not_found", rowsWithoutIdRefs, sheet, rowsWithoutId);
    // weight 0: only the hint that the cells named are dates (DATES_AS_IDS, the message's second example).
    if (rowsWithDateId === rowsWithoutId) findings.add("rows_not_found", [], datesAsIds(date1904), 0);
  } else {
    // The undecided rows come before any row read once the id column was known.
    const broken: [ref: string, value: string][] = [];
    for (const { row, left, ref } of undecided) {
      const cell = left.find((c) => c.col === idCol);
      if (cell !== undefined && isBrokenId(cell.value)) broken.push([cellRef(sheet, row, cell.col), show(cell.value)]);
      else findings.add("row_without_id", ref);
    }
    for (const [ref, date] of datedIds) addIdIsDate(findings, ref, date, date1904);
    for (const [ref, value] of [...broken, ...brokenIds]) findings.add("id_not_a_number", ref, value);
  }
  if (header.blankBefore !== null && isClearedColumn(cleared)) {
    // First, as the load's message: the cause, not what follows from it. With the 0/1 column taken
    // for the row ids, what was said of those ids (0 out of range, 1 twice, rows without one) is left out.
    options.findings.add("header_id_blank", cellRef(sheet, header.row, header.blankBefore));
    if (idCol === header.blankBefore) {
      const kept = new Findings();
      checkHeaderIds(header, sheet, kept);
      kept.absorb(findings, ["formula_not_calculated", "invalid_value", "cell_beyond_header"]);
      options.findings.absorb(kept);
    } else options.findings.absorb(findings);
  } else options.findings.absorb(findings);
  options.findings.absorb(merged);
  return {
    sheet,
    headerRow: header.row,
    firstCol: header.firstCol,
    ids: header.ids,
    headerCodes,
    codeRow,
    idCol,
    codeCol,
    rows: coded,
  };
}

/**
 * Finds the longest run of adjacent cells holding ids that starts with two increasing ids. Data
 * rows cannot match: their cells are 0/1, and 0 is not an id, while 1 followed by 1 is not increasing.
 */
interface Header {
  row: number;
  firstCol: number;
  ids: number[];
  /** The column where the run of ids stopped although more ids lie beyond it in the row, else null. */
  gap: number | null;
  /** True when the header starts left of the increasing pair that proved it (ids in any order). */
  extendedLeft: boolean;
  /**
   * The first column of the header row's ids: `firstCol`, or left of it past a `gap`. Row ids lie
   * left of it: the 0/1 column under a hole left of the header was read as the ids (review).
   */
  idsFrom: number;
  /**
   * The column right left of the header when its header cell is blank and no id lies left of the
   * header: actor 1's cleared id over its 0/1 column, or the corner above the id column.
   */
  blankBefore: number | null;
}

/** What the cells under `Header.blankBefore` held, in the rows after the header. */
interface Cleared {
  zeros: number;
  ones: number;
  /** Cells holding anything else (an id above 1, a code). */
  other: number;
  /** Rows with a whole number left of it: the real id column. */
  idLeft: number;
}

function noCleared(): Cleared {
  return { zeros: 0, ones: 0, other: 0, idLeft: 0 };
}

function tallyCleared(cleared: Cleared, row: SheetRow, col: number): void {
  let idLeft = false;
  for (const cell of row.cells) {
    if (cell.col > col) break;
    if (cell.col < col) {
      idLeft ||= asWholeNumber(cell.value) !== null;
      continue;
    }
    const value = cell.value === 0 || cell.value === 1 ? cell.value : asMatrixValue(cell.value);
    if (value === 0) cleared.zeros++;
    else if (value === 1) cleared.ones++;
    else if (value !== "blank") cleared.other++;
  }
  if (idLeft) cleared.idLeft++;
}

/**
 * True when the column under a blank header cell is a matrix column whose header id was cleared, not
 * the row ids: only 0, 1 and blanks, with a 0 or 1 twice (no id column holds those), and ids left of it.
 */
function isClearedColumn(cleared: Cleared): boolean {
  return cleared.other === 0 && (cleared.zeros > 0 || cleared.ones > 1) && cleared.idLeft > 0;
}

/** A header a later row of ids (`by`) replaced, with the codes it had. */
interface Replaced {
  header: Header;
  headerCodes: (string | null)[];
  codeRow: number | null;
  by: SheetRow;
}

/** A header cell's id, valid or not (`asBadId`), or null for a cell that is no number. */
function headerNumber(value: CellValue): number | null {
  return asId(value) ?? asBadId(value);
}

function findHeader(row: SheetRow): Header | null {
  const cells = row.cells;
  let best: Header | null = null;
  for (let i = 0; i + 1 < cells.length; i++) {
    const a = asId(cells[i].value);
    const b = asId(cells[i + 1].value);
    if (a === null || b === null || b <= a || cells[i + 1].col !== cells[i].col + 1) continue;
    // The increasing pair only proves this is a header (data rows hold 0/1); the header itself may
    // start left of it in any order (2, 1, 3, ...): take the adjacent ids before the pair too.
    let start = i;
    // Numbers that are no valid id (0, 2^31 or more, 5.5) are header cells too, reported by
    // checkHeaderIds: read as "no id" they ended the header, their actors dropped with a warning.
    while (start > 0 && cells[start - 1].col === cells[start].col - 1 && headerNumber(cells[start - 1].value) !== null) start--;
    const ids = cells.slice(start, i).map((c) => headerNumber(c.value)!);
    ids.push(a, b);
    let j = i + 2;
    // Extend over adjacent ids (gaps in numbering and duplicates are allowed and checked later).
    for (; j < cells.length && cells[j].col === cells[j - 1].col + 1; j++) {
      const id = headerNumber(cells[j].value);
      if (id === null) break;
      ids.push(id);
    }
    // A header cell cleared or broken (#REF!) mid-row would silently cut the matrix there, the
    // shorter side lost: note the hole when ids lie beyond the run on either side.
    const isId = (c: (typeof cells)[number]) => headerNumber(c.value) !== null;
    const gap = cells.slice(j).some(isId) ? cells[start].col + ids.length : cells.slice(0, start).some(isId) ? cells[start].col - 1 : null;
    const idsFrom = gap !== null && gap < cells[start].col ? cells.find(isId)!.col : cells[start].col;
    const before = cells[start - 1];
    const blank = idsFrom === cells[start].col && cells[start].col > 1 && (before === undefined || before.col < cells[start].col - 1 || isBlank(before));
    const blankBefore = blank ? cells[start].col - 1 : null;
    if (!best || ids.length > best.ids.length) best = { row: row.row, firstCol: cells[start].col, ids, gap, extendedLeft: start < i, idsFrom, blankBefore };
    i = j - 1;
  }
  return best;
}

/**
 * True when `row` reads as a data row of `header`: an id left of it (in the id column, once known)
 * that is one of the header's ids, or beside a 0 or 1 under it. A title's number row (`Versión | 3`)
 * is neither, and nor is the matrix's own header row under a title of years.
 */
/**
 * The rows' code column. With codes in the header, the text column left of the header that agrees
 * with them in most rows (`code | name | id`: the text beside the id is the names, and was published
 * as every actor's letter code). Else the text right beside the id: left of it when any row has text
 * there (`code | id`, `code | id | name`), else right of it (`id | code`, `id | code | name`). Decided
 * over all rows, not by the first with text beside its id: one whose code was blank made the names
 * beside it every actor's letter code.
 */
function codeColumn(
  rows: readonly MatrixRow[],
  rowTexts: readonly ReadonlyMap<number, string>[],
  idCol: number | null,
  headerCodes: readonly (string | null)[],
  positionOf: ReadonlyMap<number, number>,
): number | null {
  if (idCol === null) return null;
  const agree = new Map<number, number>();
  rows.forEach((row, k) => {
    const p = positionOf.get(row.id);
    const code = p === undefined ? null : headerCodes[p];
    if (code === null || code === undefined) return;
    for (const [col, text] of rowTexts[k]!) if (text === code) agree.set(col, (agree.get(col) ?? 0) + 1);
  });
  let best: number | null = null;
  for (const [col, count] of agree) {
    const nearer = best !== null && count === agree.get(best)! && Math.abs(col - idCol) < Math.abs(best - idCol);
    if (best === null || count > agree.get(best)! || nearer) best = col;
  }
  if (best !== null) return best;
  if (rowTexts.some((texts) => texts.has(idCol - 1))) return idCol - 1;
  return rowTexts.some((texts) => texts.has(idCol + 1)) ? idCol + 1 : null;
}

/**
 * True when the header's first cell is the corner above the row ids, not an actor: it was taken in
 * only by extending the header left, and `row` has nothing left of the header but holds one of the
 * other header ids under that cell (a matrix cell holds 0 or 1; an id column with no id left of it
 * is otherwise unreadable).
 */
function isCornerAbove(row: SheetRow, header: Header, positionOf: ReadonlyMap<number, number>): boolean {
  if (!header.extendedLeft || header.ids.length < 3) return false;
  const first = row.cells[0];
  if (first === undefined || first.col !== header.firstCol) return false;
  const id = asId(first.value);
  return id !== null && (positionOf.get(id) ?? 0) > 0;
}

/** The cells of `row`'s first run of two or more adjacent dates, or null. */
function adjacentDates(row: SheetRow, sheet: string): string[] | null {
  const cells = row.cells;
  for (let i = 0; i + 1 < cells.length; i++) {
    if (!(cells[i].value instanceof Date) || !(cells[i + 1].value instanceof Date) || cells[i + 1].col !== cells[i].col + 1) continue;
    let j = i + 1;
    while (j + 1 < cells.length && cells[j + 1].value instanceof Date && cells[j + 1].col === cells[j].col + 1) j++;
    return cells.slice(i, Math.min(j + 1, i + MAX_FINDING_CELLS)).map((c) => cellRef(sheet, c.row, c.col));
  }
  return null;
}

function withoutFirst(header: Header): Header {
  const firstCol = header.firstCol + 1;
  return { ...header, firstCol, ids: header.ids.slice(1), extendedLeft: false, idsFrom: Math.max(header.idsFrom, firstCol), blankBefore: null };
}

/**
 * The cell of the row's id: the one in `idCol` once known, else the right-most whole number left of
 * `first`, a number cell before digit text. Codes stored as digit text ("10") beside number ids read
 * as whole numbers too: the right-most took the code column for the ids, and with a code row of the
 * same digits the codes were published as the actors.
 */
function idCellOf(row: SheetRow, first: number, idCol: number | null): Cell | null {
  let number: Cell | null = null;
  let text: Cell | null = null;
  for (const cell of row.cells) {
    if (cell.col >= first) break;
    if (idCol !== null && cell.col !== idCol) continue;
    if (asWholeNumber(cell.value) === null) continue;
    if (typeof cell.value === "number") number = cell;
    else text = cell;
  }
  return number ?? text;
}

/** The whole number in the row's id cell (`idCellOf()`), or null. */
function rowId(row: SheetRow, first: number, idCol: number | null): number | null {
  const cell = idCellOf(row, first, idCol);
  return cell === null ? null : asWholeNumber(cell.value);
}

/** A code as a data row holds it left of the header: text, or digit text beside a number id. */
function codeText(value: CellValue): string | null {
  return asText(value) ?? (typeof value === "string" && tidy(value) !== "" ? tidy(value) : null);
}

function isDataRowOf(row: SheetRow, header: Header, positionOf: ReadonlyMap<number, number>, idCol: number | null): boolean {
  const id = rowId(row, header.idsFrom, idCol);
  if (id === null) return false;
  for (const cell of row.cells) {
    if (cell.col < header.firstCol) continue;
    if (cell.col >= header.firstCol + header.ids.length) break;
    const value = asMatrixValue(cell.value);
    if (value === 0 || value === 1) return true;
  }
  return positionOf.has(id);
}

function headerPositions(header: Header): Map<number, number> {
  const positionOf = new Map<number, number>();
  header.ids.forEach((id, p) => {
    if (!positionOf.has(id)) positionOf.set(id, p);
  });
  return positionOf;
}

/** Records duplicate header ids; called once the header is final (a data row follows it). */
function checkHeaderIds(header: Header, sheet: string, findings: Findings): void {
  if (header.gap !== null) findings.add("header_gap", cellRef(sheet, header.row, header.gap));
  header.ids.forEach((id, p) => {
    if (asId(id) === null) findings.addOnce("id_out_of_range", [cellRef(sheet, header.row, header.firstCol + p)], String(id));
  });
  const first = new Map<number, number>();
  header.ids.forEach((id, p) => {
    const q = first.get(id);
    if (q === undefined) first.set(id, p);
    else {
      findings.addOnce(
        "duplicate_id",
        [cellRef(sheet, header.row, header.firstCol + q), cellRef(sheet, header.row, header.firstCol + p)],
        String(id),
      );
    }
  });
}

/**
 * The text cells of `row` under the header's columns when it reads as a code row (mostly text),
 * else 0.
 */
function codeCount(row: SheetRow, first: number, n: number): number {
  let text = 0;
  let other = 0;
  for (const cell of row.cells) {
    if (cell.col < first) {
      if (asId(cell.value) !== null) return 0; // an id on the left: a data row
      continue;
    }
    if (cell.col >= first + n) break;
    if (asText(cell.value) !== null) text++;
    else if (!isBlank(cell)) other++;
  }
  return text > 0 && text >= other ? text : 0;
}

/**
 * True when a code row taken from above the header is a title (and notes) over it, not a sparse
 * code row: no data row holds the same code as a text above its actor, and the texts are one, or
 * lie over half the header's columns or fewer. With no code row below to win over it, a title was
 * actor 1's letter code (published so when the rows have no codes, else a false
 * code_mismatch_matrix); a second text (a source note) made the row a code row again.
 */
function isTitle(headerCodes: readonly (string | null)[], ids: readonly number[], rows: readonly MatrixRow[]): boolean {
  const held = headerCodes.flatMap((code, p) => (code === null ? [] : [p]));
  if (held.length === 0 || (held.length > 1 && held.length * 2 > ids.length)) return false;
  const heldAt = new Map(held.map((p) => [ids[p]!, p]));
  return !rows.some((r) => {
    const p = heldAt.get(r.id);
    return p !== undefined && r.code === headerCodes[p];
  });
}

/** The codes of a code row; `digits`: text of digits ("10") counts as a code, for a row known to be no header. */
function readCodes(row: SheetRow, first: number, n: number, digits = false): (string | null)[] {
  const codes: (string | null)[] = new Array(n).fill(null);
  for (const cell of row.cells) {
    if (cell.col < first || cell.col >= first + n) continue;
    const value = cell.value;
    codes[cell.col - first] = digits ? codeText(value) : asText(value);
  }
  return codes;
}

function isBlank(cell: Cell): boolean {
  return asMatrixValue(cell.value) === "blank";
}
