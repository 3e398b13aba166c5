// The hot path: turns the byte ranges of a worksheet's XML into rows of typed cells. It keeps only
// the current row; numbers are parsed straight from bytes, and strings are decoded only for the
// cells that hold text.
import { CellError, UNCALCULATED, XlsxError, type Cell, type CellValue, type MergedRange, type PackColumns, type SheetRow } from "./types.ts";
import { XmlTokenizer, bytesEqual, decodeXmlText, unescapeOoxml, type FastLane, type XmlHandler } from "./_xml_tokenizer.ts";
import { excelSerialToDate, parseIsoDate } from "./_dates.ts";
import { hasPreserve, textOfT } from "./_text.ts";

/**
 * Column number (1-based) to letters.
 * @example columnLetters(28); // "AB"
 */
export function columnLetters(col: number): string {
  let s = "";
  for (let n = col; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** Column letters (any case) to the 1-based column number. */
function columnNumber(letters: string): number {
  let col = 0;
  for (const ch of letters.toUpperCase()) col = col * 26 + (ch.charCodeAt(0) - 64);
  return col;
}

/** A cell; `ref` is built only when asked for, so millions of cells cost no strings. */
export class SheetCell implements Cell {
  readonly row: number;
  readonly col: number;
  readonly value: CellValue;
  readonly #prefix: string;
  constructor(row: number, col: number, value: CellValue, prefix: string) {
    this.row = row;
    this.col = col;
    this.value = value;
    this.#prefix = prefix;
  }
  get ref(): string {
    return this.#prefix + columnLetters(this.col) + this.row;
  }
  toJSON(): { row: number; col: number; value: CellValue; ref: string } {
    return { row: this.row, col: this.col, value: this.value, ref: this.ref };
  }
}

/** `'Sheet Name'!` with quotes doubled, as Excel writes references. */
export function sheetPrefix(sheet: string): string {
  return `'${sheet.replaceAll("'", "''")}'!`;
}

/** Column XFD, the last one Excel has: a file past it is not a sheet any program shows. */
const MAX_COL = 16_384;
/** Row 1,048,576, the last one Excel has (a merged range past it is no range of a sheet). */
const MAX_ROW = 1_048_576;
/** The fast lane only runs when at least this many bytes follow (see fast()). */
const FAST_MARGIN = 512;
// The packed lane's fixed parts as little-endian 32/16-bit words: `<c r`, `="`, `"><v`, `</v>`, `</c>`.
const W_C_R = 0x7220633c;
const W_EQ_QUOTE = 0x223d;
const W_QUOTE_GT_LT_V = 0x763c3e22;
const W_END_V = 0x3e762f3c;
const W_END_C = 0x3e632f3c;
const T_N = 0;
const T_S = 1;
const T_B = 2;
const T_STR = 3;
const T_E = 4;
const T_D = 5;
const T_INLINE = 6;

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16];
const NUMBER = /^[ \t\r\n]*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[ \t\r\n]*$/;
const ERROR_CODES = new Set(["#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#EXTERNAL!", "#PYTHON!"]);

/**
 * A plain decimal with at most 15 digits, parsed exactly: m / 10^k is one correctly rounded IEEE
 * operation on two exact operands. Anything else (exponents, spaces) returns NaN for the slow path.
 */
function fastNumber(buf: Buffer, s: number, e: number): number {
  let i = s;
  let neg = false;
  if (i < e && buf[i] === 45) {
    neg = true;
    i++;
  }
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < e; i++) {
    const c = buf[i];
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) frac = 0;
    else return NaN;
  }
  if (digits === 0 || digits > 15) return NaN;
  const v = frac > 0 ? m / POW10[frac] : m;
  return neg ? -v : v;
}

/** What a sheet needs from the rest of the workbook. */
export interface SheetContext {
  sheet: string;
  sharedStrings: readonly string[];
  dateStyles: Uint8Array;
  date1904: boolean;
  /** Longest text a cell may hold, in characters (see MAX_CELL_CHARS in open_workbook.ts). */
  maxCellChars: number;
}

/**
 * Turns worksheet XML into rows: feed chunks to `parser.tokenizer`, then take `parser.out`.
 * @example
 * const parser = new SheetParser(ctx, "xl/worksheets/sheet1.xml", "data/x.xlsx");
 * parser.tokenizer.feed(chunk);
 * for (const row of parser.out) use(row);
 * parser.out = [];
 */
export class SheetParser implements XmlHandler, FastLane {
  /** Rows completed since the caller last emptied this array. */
  out: SheetRow[] = [];
  /** Merged ranges (`<mergeCell>`) read since the caller last emptied this array. */
  merges: MergedRange[] = [];
  /** Columns to pack (see PackColumns); looked at when each row starts. */
  pack: PackColumns | null = null;
  /** The current row's packed states, or null when this row is not packed. */
  #packed: Uint8Array | null = null;
  #packedCount = 0;
  #packFirst = 0;
  #packLast = -1;
  readonly #t: XmlTokenizer;
  readonly #prefix: string;
  readonly #sst: readonly string[];
  readonly #dates: Uint8Array;
  readonly #date1904: boolean;
  readonly #maxChars: number;

  #sheetDataD = -1;
  #mergeCellsD = -1;
  #rowD = -1;
  #cellD = -1;
  #vD = -1;
  #isD = -1;
  #rD = -1;
  #tD = -1;

  #prevRow = 0;
  #rowNum = 0;
  #rowFixed = false;
  #cells: Cell[] = [];
  #col = 0;

  #type = T_N;
  #style = 0;
  #cellPos = 0;
  #hasNum = false;
  #num = 0;
  #raw: string | null = null;
  #hasStr = false;
  #str = "";
  #hasF = false;
  #tText = "";
  #tPreserve = false;

  constructor(ctx: SheetContext, part: string, file: string) {
    this.#t = new XmlTokenizer(this, part, file);
    this.#t.fastLane = this;
    this.#prefix = sheetPrefix(ctx.sheet);
    this.#sst = ctx.sharedStrings;
    this.#dates = ctx.dateStyles;
    this.#date1904 = ctx.date1904;
    this.#maxChars = ctx.maxCellChars;
  }

  get tokenizer(): XmlTokenizer {
    return this.#t;
  }

  open(buf: Buffer, ls: number, ne: number, depth: number): void {
    const n = ne - ls;
    const c0 = buf[ls];
    if (depth === this.#rowD + 1 && this.#rowD >= 0) {
      if (n === 1 && c0 === 99) this.#startCell(buf, ls, depth);
      return;
    }
    if (this.#cellD >= 0) {
      if (depth === this.#cellD + 1) {
        if (n === 1) {
          if (c0 === 118) {
            this.#vD = depth;
            // <v></v> on a text cell is an empty string (a formula that returned "").
            if (this.#type === T_STR) this.#hasStr = true;
          }
          else if (c0 === 102) this.#hasF = true;
        } else if (n === 2 && c0 === 105 && buf[ls + 1] === 115) {
          this.#isD = depth;
          this.#hasStr = true;
        }
      } else if (this.#isD >= 0 && n === 1) {
        if (c0 === 116 && (depth === this.#isD + 1 || (this.#rD >= 0 && depth === this.#rD + 1))) {
          this.#tD = depth;
          this.#tText = "";
          this.#tPreserve = hasPreserve(this.#t, buf);
        } else if (c0 === 114 && depth === this.#isD + 1) this.#rD = depth;
      }
      return;
    }
    if (this.#sheetDataD >= 0) {
      if (depth === this.#sheetDataD + 1 && n === 3 && c0 === 114 && buf[ls + 1] === 111 && buf[ls + 2] === 119) this.#startRow(buf, depth);
    } else if (depth === 2 && n === 9 && bytesEqual(buf, ls, ne, "sheetData")) {
      this.#sheetDataD = depth;
    } else if (depth === 2 && n === 10 && bytesEqual(buf, ls, ne, "mergeCells")) {
      this.#mergeCellsD = depth;
    } else if (depth === 3 && this.#mergeCellsD === 2 && n === 9 && bytesEqual(buf, ls, ne, "mergeCell")) {
      this.#mergeCell(buf);
    }
  }

  close(_buf: Buffer, _ls: number, _ne: number, depth: number): void {
    if (depth === this.#vD) this.#vD = -1;
    else if (depth === this.#cellD) this.#endCell();
    else if (depth === this.#rowD) this.#endRow();
    else if (depth === this.#tD) {
      this.#str = this.#grow(this.#str, textOfT(this.#tText, this.#tPreserve));
      this.#tD = -1;
    } else if (depth === this.#rD) this.#rD = -1;
    else if (depth === this.#isD) this.#isD = -1;
    else if (depth === this.#sheetDataD) this.#sheetDataD = -1;
    else if (depth === this.#mergeCellsD) this.#mergeCellsD = -1;
  }

  text(buf: Buffer, s: number, e: number, depth: number): void {
    if (depth === this.#vD) {
      const type = this.#type;
      if (type <= T_B) {
        // Numbers, shared-string indexes, booleans: parse bytes directly when the text is the
        // whole value (followed by '</'); otherwise collect it for the slow path.
        if (this.#raw === null && !this.#hasNum && e + 1 < buf.length && buf[e + 1] === 47) {
          const v = fastNumber(buf, s, e);
          if (v === v) {
            this.#num = v;
            this.#hasNum = true;
            return;
          }
        }
        const str = decodeXmlText(buf, s, e);
        if (str === null) throw this.#t.fail("a bad character reference", this.#t.base + s);
        if (this.#hasNum) {
          this.#raw = String(this.#num);
          this.#hasNum = false;
        }
        this.#raw = this.#grow(this.#raw ?? "", str);
      } else {
        const str = decodeXmlText(buf, s, e);
        if (str === null) throw this.#t.fail("a bad character reference", this.#t.base + s);
        this.#str = this.#grow(this.#str, str);
        this.#hasStr = true;
      }
    } else if (depth === this.#tD) {
      const str = decodeXmlText(buf, s, e);
      if (str === null) throw this.#t.fail("a bad character reference", this.#t.base + s);
      this.#tText = this.#grow(this.#tText, str);
    }
  }

  cdata(buf: Buffer, s: number, e: number, depth: number): void {
    const str = buf.toString("utf8", s, e);
    if (depth === this.#vD) {
      if (this.#type <= T_B) {
        if (this.#hasNum) {
          this.#raw = String(this.#num);
          this.#hasNum = false;
        }
        this.#raw = this.#grow(this.#raw ?? "", str);
      } else {
        this.#str = this.#grow(this.#str, str);
        this.#hasStr = true;
      }
    } else if (depth === this.#tD) this.#tText = this.#grow(this.#tText, str);
  }

  /**
   * The fast lane for the common shape `<c r="B2" s="1" t="s"><v>12</v></c>` (or `<c .../>`):
   * parsed in one pass with no callbacks, cell after cell. It returns where it stopped, or -1 if
   * it took nothing; anything else (prefixes, formulas, inline strings, odd spacing, a chunk
   * boundary) goes to the generic path, which also reports errors.
   */
  fast(buf: Buffer, first: number): number {
    const len = buf.length;
    // One call handles a run of cells, so the tokenizer's loop is not re-entered per cell.
    let lt = first;
    const packed = this.#packed;
    // The packed lane's view of this buffer, made once per call (not per cell it is tried at).
    let words: DataView | undefined;
    cells: for (;;) {
      // Near the chunk end, leave it to the generic path: reading past a Buffer's end makes V8
      // throw away this function's optimised code, which costs far more than the few cells here.
      if (lt + FAST_MARGIN > len || buf[lt] !== 60 || buf[lt + 1] !== 99) return lt === first ? -1 : lt;
      if (packed !== null) {
        words ??= new DataView(buf.buffer, buf.byteOffset, buf.length);
        const taken = this.#packRun(buf, words, lt, packed);
        if (taken !== lt) {
          lt = taken;
          continue cells;
        }
      }
      let i = lt + 2;
      let col = 0;
      let refRow = 0;
      let type = T_N;
      let style = 0;
      let b = buf[i];
      if (b !== 32 && b !== 62 && b !== 47) return lt === first ? -1 : lt; // e.g. <col>
      // The usual first attribute, r="AB12", parsed in place.
      if (buf[i + 1] === 114 && buf[i + 2] === 61 && buf[i + 3] === 34) {
        i += 4;
        const vs = i;
        // (i < len guards: past the end a Buffer yields undefined, which fails no comparison)
        for (; i < len; i++) {
          b = buf[i];
          if (b < 65 || b > 90) break;
          col = col * 26 + (b - 64);
        }
        if (i - vs > 3 || col === 0 || b === 34 || i >= len) return lt === first ? -1 : lt;
        for (; i < len; i++) {
          b = buf[i];
          if (b === 34) break;
          const d = b - 48;
          if (!(d >= 0 && d <= 9) || refRow > 1e8) return lt === first ? -1 : lt;
          refRow = refRow * 10 + d;
        }
        if (i >= len) return lt === first ? -1 : lt;
        i++;
        b = buf[i];
        if (b !== 32 && b !== 62 && b !== 47) return lt === first ? -1 : lt;
      }
      for (;;) {
        b = buf[i];
        if (b === 32) {
          i++;
          continue;
        }
        if (b === 62) {
          i++;
          break;
        }
        if (b === 47) {
          if (buf[i + 1] !== 62) return lt === first ? -1 : lt;
          // A style-only cell: it still takes its column.
          this.#commitPosition(col, refRow, lt);
          lt = i + 2;
          continue cells;
        }
        const an = i;
        while (i < len) {
          b = buf[i];
          if (b === 61 || b === 32 || b === 62 || b === 47 || b === 34) break;
          i++;
        }
        if (b !== 61 || i >= len) return lt === first ? -1 : lt;
        const anl = i - an;
        i++;
        if (buf[i] !== 34) return lt === first ? -1 : lt;
        i++;
        const vs = i;
        while (i < len) {
          b = buf[i];
          if (b === 34 || b === 60 || b === 38) break;
          i++;
        }
        if (b !== 34 || i >= len) return lt === first ? -1 : lt;
        const ve = i;
        i++;
        b = buf[i];
        if (b !== 32 && b !== 62 && b !== 47) return lt === first ? -1 : lt;
        if (anl !== 1) continue;
        const a = buf[an];
        if (a === 114) {
          if (col !== 0) return lt === first ? -1 : lt; // a second r=
          let j = vs;
          for (; j < ve; j++) {
            const c = buf[j];
            if (c < 65 || c > 90) break;
            col = col * 26 + (c - 64);
          }
          if (j - vs > 3 || col === 0 || j === ve) return lt === first ? -1 : lt;
          for (; j < ve; j++) {
            const d = buf[j] - 48;
            if (d < 0 || d > 9 || refRow > 1e8) return lt === first ? -1 : lt;
            refRow = refRow * 10 + d;
          }
        } else if (a === 115) {
          if (ve === vs || ve - vs > 8) return lt === first ? -1 : lt;
          for (let j = vs; j < ve; j++) {
            const d = buf[j] - 48;
            if (d < 0 || d > 9) return lt === first ? -1 : lt;
            style = style * 10 + d;
          }
        } else if (a === 116) {
          const n = ve - vs;
          const c = buf[vs];
          if (n === 1) {
            if (c === 115) type = T_S;
            else if (c === 110) type = T_N;
            else if (c === 98) type = T_B;
            else return lt === first ? -1 : lt;
          } else if (n === 3 && c === 115 && buf[vs + 1] === 116 && buf[vs + 2] === 114) type = T_STR;
          else return lt === first ? -1 : lt;
        }
      }
      // <v>text</v></c>
      if (buf[i] !== 60 || buf[i + 1] !== 118 || buf[i + 2] !== 62) return lt === first ? -1 : lt;
      i += 3;
      const vs = i;
      while (i < len && buf[i] !== 60) i++;
      if (i + 8 > len) return lt === first ? -1 : lt;
      const ve = i;
      if (buf[i + 1] !== 47 || buf[i + 2] !== 118 || buf[i + 3] !== 62 || buf[i + 4] !== 60 || buf[i + 5] !== 47 || buf[i + 6] !== 99 || buf[i + 7] !== 62) return lt === first ? -1 : lt;
      if (type === T_STR) {
        // (a text that may be too long is left to the generic path, which counts its characters)
        if (vs === ve || ve - vs > this.#maxChars) return lt === first ? -1 : lt;
        const s = decodeXmlText(buf, vs, ve);
        if (s === null) return lt === first ? -1 : lt;
        this.#str = s;
        this.#hasStr = true;
      } else {
        const v = fastNumber(buf, vs, ve);
        if (v !== v) return lt === first ? -1 : lt;
        const dates = this.#dates;
        if (type === T_N && (style >= dates.length || dates[style] === 0)) {
          // The commonest case by far: a plain number. Straight to the row.
          this.#commitPosition(col, refRow, lt);
          this.#cells.push(new SheetCell(this.#rowNum, this.#col, v, this.#prefix));
          lt = i + 8;
          continue cells;
        }
        if (type === T_S) {
          const text = v >= 0 && v < this.#sst.length ? this.#sst[v] : undefined;
          if (text === undefined) return lt === first ? -1 : lt; // the generic path reports it
          this.#commitPosition(col, refRow, lt);
          this.#cells.push(new SheetCell(this.#rowNum, this.#col, text, this.#prefix));
          lt = i + 8;
          continue cells;
        }
        this.#num = v;
        this.#hasNum = true;
      }
      this.#commitPosition(col, refRow, lt);
      this.#type = type;
      this.#style = style;
      this.#raw = null;
      this.#hasF = false;
      this.#cellPos = this.#t.base + lt;
      this.#endCell();
      this.#hasNum = false;
      this.#hasStr = false;
      this.#str = "";
      lt = i + 8;
    }
  }

  /**
   * The packed lane: takes a run of cells of exactly the shape `<c r="COLROW"( s="N")?( t="n")?>
   * <v>0|1</v></c>` in the packed columns, writing 2-bit states straight into the row's array (no
   * Cell, no value dispatch), and returns where the run stopped (`lt` itself when the first cell
   * is of another shape, which the generic code then takes). Stays FAST_MARGIN bytes clear of the
   * buffer's end, like fast(); the row number comes from `<row r=>` (packing needs it).
   */
  #packRun(buf: Buffer, words: DataView, lt: number, packed: Uint8Array): number {
    // Fixed parts are compared four bytes at a time (little-endian words, `words` is `buf`): a
    // byte-by-byte check of the ~25 bytes of every cell was most of the read's time.
    const stop = buf.length - FAST_MARGIN;
    const pf = this.#packFirst;
    const pl = this.#packLast;
    const dates = this.#dates;
    let count = 0;
    let lastCol = this.#col;
    while (lt <= stop) {
      if (words.getUint32(lt, true) !== W_C_R || words.getUint16(lt + 4, true) !== W_EQ_QUOTE) break;
      let i = lt + 6;
      let b = buf[i];
      let col = 0;
      for (let k = 0; k < 3 && b >= 65 && b <= 90; k++) {
        col = col * 26 + (b - 64);
        b = buf[++i];
      }
      // (a column that does not increase is left to the generic code, which refuses it)
      if (col < pf || col > pl || col <= lastCol) break;
      let digits = 0;
      for (; digits < 10 && b >= 48 && b <= 57; digits++) b = buf[++i];
      if (digits === 0 || b !== 34) break;
      if (buf[i + 1] === 32) {
        i++;
        if (buf[i + 1] === 115 && buf[i + 2] === 61 && buf[i + 3] === 34) {
          // s="N": fine unless style N formats the number as a date.
          i += 4;
          let style = 0;
          let n = 0;
          for (b = buf[i]; n < 8 && b >= 48 && b <= 57; n++, b = buf[++i]) style = style * 10 + (b - 48);
          if (n === 0 || b !== 34 || (style < dates.length && dates[style] !== 0)) break;
        } else i--;
        if (buf[i + 1] === 32 && buf[i + 2] === 116 && buf[i + 3] === 61 && buf[i + 4] === 34 && buf[i + 5] === 110 && buf[i + 6] === 34) i += 6; // t="n"
      }
      // i is at the closing quote: `"><v>` D `</v></c>`
      const v = buf[i + 5];
      if (words.getUint32(i, true) !== W_QUOTE_GT_LT_V || buf[i + 4] !== 62 || (v !== 48 && v !== 49) || words.getUint32(i + 6, true) !== W_END_V || words.getUint32(i + 10, true) !== W_END_C) break;
      const p = col - pf;
      packed[p >> 2] |= (v === 49 ? 2 : 1) << ((p & 3) << 1);
      count++;
      lastCol = col;
      lt = i + 14;
    }
    if (count > 0) {
      this.#packedCount += count;
      this.#col = lastCol; // a following cell without r= is the next column
    }
    return lt;
  }

  /** Takes the cell's column (`col`, or 0 for "no r=": the next one); `lt` is where its tag starts. */
  #commitPosition(col: number, refRow: number, lt: number): void {
    const next = col === 0 ? this.#col + 1 : col;
    if (next <= this.#col || next > MAX_COL) this.#badColumn(next, this.#t.base + lt);
    this.#col = next;
    if (!this.#rowFixed && refRow > 0 && this.#cells.length === 0) {
      this.#rowNum = refRow;
      this.#rowFixed = true;
    }
  }

  /** `<mergeCell ref="A2:B3"/>` (or one cell, `ref="B2"`, as some writers leave it): into `merges`; one without a usable ref is passed over. */
  #mergeCell(buf: Buffer): void {
    const t = this.#t;
    const a = t.attrs;
    for (let i = 0; i < t.attrCount; i++) {
      const ns = a[i * 4];
      if (a[i * 4 + 1] - ns !== 3 || !bytesEqual(buf, ns, ns + 3, "ref")) continue;
      const vs = a[i * 4 + 2];
      const text = buf.toString("latin1", vs, a[i * 4 + 3]);
      const m = /^([A-Za-z]{1,3})([1-9]\d{0,6})(?::([A-Za-z]{1,3})([1-9]\d{0,6}))?$/.exec(text);
      const corners = m && [columnNumber(m[1]!), Number(m[2]), columnNumber(m[3] ?? m[1]!), Number(m[4] ?? m[2])];
      // Formatting, not data: the cells keep their values whatever the range says, so a ref no sheet
      // has (a writer's slip; Excel repairs it away) must not refuse a workbook that reads fine.
      if (!corners || corners[0]! > MAX_COL || corners[2]! > MAX_COL || corners[1]! > MAX_ROW || corners[3]! > MAX_ROW) return;
      const [c1, r1, c2, r2] = corners as [number, number, number, number];
      const firstRow = Math.min(r1, r2);
      const firstCol = Math.min(c1, c2);
      const lastRow = Math.max(r1, r2);
      const lastCol = Math.max(c1, c2);
      const topLeft = columnLetters(firstCol) + firstRow;
      const ref = this.#prefix + (firstRow === lastRow && firstCol === lastCol ? topLeft : `${topLeft}:${columnLetters(lastCol)}${lastRow}`);
      this.merges.push({ firstRow, firstCol, lastRow, lastCol, ref });
      return;
    }
  }

  #startRow(buf: Buffer, depth: number): void {
    this.#rowD = depth;
    this.#t.fastDepth = depth;
    this.#col = 0;
    this.#rowFixed = false;
    const t = this.#t;
    const a = t.attrs;
    for (let i = 0; i < t.attrCount; i++) {
      const ns = a[i * 4];
      if (a[i * 4 + 1] - ns === 1 && buf[ns] === 114) {
        const vs = a[i * 4 + 2];
        const ve = a[i * 4 + 3];
        let r = 0;
        for (let j = vs; j < ve; j++) {
          const d = buf[j] - 48;
          if (d < 0 || d > 9 || r > 1e8) throw t.fail("a row number that is not a positive whole number", t.base + vs);
          r = r * 10 + d;
        }
        if (r === 0) throw t.fail("a row number that is not a positive whole number", t.base + vs);
        this.#rowNum = r;
        this.#rowFixed = true;
      }
    }
    if (!this.#rowFixed) this.#rowNum = this.#prevRow + 1;
    const pack = this.pack;
    if (pack !== null && pack.count > 0 && this.#rowFixed) {
      this.#packFirst = pack.first;
      this.#packLast = Math.min(pack.first + pack.count - 1, MAX_COL);
      this.#packed = new Uint8Array((pack.count + 3) >> 2);
      this.#packedCount = 0;
    } else this.#packed = null;
  }

  #endRow(): void {
    this.#rowD = -1;
    this.#t.fastDepth = -1;
    this.#prevRow = this.#rowNum;
    const cells = this.#cells;
    const packed = this.#packed;
    if (packed !== null && this.#packedCount > 0) {
      this.out.push({ row: this.#rowNum, cells, packed, packedCount: this.#packedCount });
      this.#cells = [];
    } else if (cells.length > 0) {
      this.out.push({ row: this.#rowNum, cells });
      this.#cells = [];
    }
    this.#packed = null;
  }

  #startCell(buf: Buffer, ls: number, depth: number): void {
    this.#cellD = depth;
    this.#type = T_N;
    this.#style = 0;
    this.#hasNum = false;
    this.#raw = null;
    this.#hasStr = false;
    this.#str = "";
    this.#hasF = false;
    const t = this.#t;
    const a = t.attrs;
    this.#cellPos = t.base + ls - 1;
    let col = 0;
    let refRow = 0;
    for (let i = 0; i < t.attrCount; i++) {
      const ns = a[i * 4];
      if (a[i * 4 + 1] - ns !== 1) continue;
      const an = buf[ns];
      const vs = a[i * 4 + 2];
      const ve = a[i * 4 + 3];
      if (an === 114) {
        // r="AB12": letters give the column, digits the row.
        let j = vs;
        for (; j < ve; j++) {
          const c = buf[j] | 0x20;
          if (c < 97 || c > 122) break;
          col = col * 26 + (c - 96);
        }
        if (j - vs > 3 || col === 0) throw t.fail("a cell reference that is not like 'B7'", t.base + vs);
        for (; j < ve; j++) {
          const d = buf[j] - 48;
          if (d < 0 || d > 9 || refRow > 1e8) throw t.fail("a cell reference that is not like 'B7'", t.base + vs);
          refRow = refRow * 10 + d;
        }
      } else if (an === 115) {
        let s = 0;
        for (let j = vs; j < ve; j++) {
          const d = buf[j] - 48;
          if (d < 0 || d > 9 || s > 1e8) throw t.fail("a style index that is not a whole number", t.base + vs);
          s = s * 10 + d;
        }
        this.#style = s;
      } else if (an === 116) {
        const n = ve - vs;
        const c = buf[vs];
        if (n === 1) this.#type = c === 115 ? T_S : c === 98 ? T_B : c === 101 ? T_E : c === 100 ? T_D : T_N;
        else if (n === 3 && c === 115) this.#type = T_STR;
        else if (n === 9 && c === 105) this.#type = T_INLINE;
        else if (n !== 0) this.#type = T_STR; // unknown type: keep the text rather than lose it
      }
    }
    this.#commitPosition(col, refRow, ls - 1); // its tag starts at ls - 1: #cellPos
  }

  #endCell(): void {
    this.#cellD = -1;
    let value: CellValue;
    switch (this.#type) {
      case T_N: {
        if (!this.#hasNum && this.#raw === null) return this.#noValue();
        const num = this.#hasNum ? this.#num : this.#slowNumber();
        const style = this.#style;
        // (bounds check first: reading past a typed array's end is a slow path in V8)
        if (style < this.#dates.length && this.#dates[style] === 1) value = excelSerialToDate(num, this.#date1904) ?? num;
        else value = num;
        break;
      }
      case T_S: {
        if (!this.#hasNum && this.#raw === null) return this.#noValue();
        const idx = this.#hasNum ? this.#num : this.#slowNumber();
        const s = this.#sst[idx];
        if (s === undefined || !Number.isInteger(idx)) {
          throw this.#t.fail(`cell ${this.#here()} refers to shared string ${idx}, but the table has ${this.#sst.length}`, this.#cellPos);
        }
        value = s;
        break;
      }
      case T_B: {
        if (!this.#hasNum && this.#raw === null) return this.#noValue();
        if (this.#hasNum) value = this.#num !== 0;
        else {
          const s = (this.#raw as string).trim();
          if (s === "true" || s === "false") value = s === "true";
          else value = this.#slowNumber() !== 0;
        }
        break;
      }
      case T_STR: {
        if (!this.#hasStr) return this.#noValue();
        const s = unescapeOoxml(this.#str);
        // Google Sheets writes formula errors as t="str" text; a formula result that is exactly an
        // error code is that error, not text.
        value = this.#hasF && ERROR_CODES.has(s) ? new CellError(s) : s;
        break;
      }
      case T_E:
        if (!this.#hasStr) return this.#noValue();
        value = new CellError(this.#str.trim());
        break;
      case T_D: {
        if (!this.#hasStr) return this.#noValue();
        const d = parseIsoDate(this.#str);
        if (d === undefined) throw this.#t.fail(`cell ${this.#here()} has the date '${this.#str}', which is not an ISO 8601 date and time that exists`, this.#cellPos);
        value = d;
        break;
      }
      default:
        if (!this.#hasStr) return this.#noValue();
        value = this.#str;
    }
    this.#cells.push(new SheetCell(this.#rowNum, this.#col, value, this.#prefix));
  }

  /** A cell without a value: nothing, unless it holds a formula whose result was never saved. */
  #noValue(): void {
    if (this.#hasF) this.#cells.push(new SheetCell(this.#rowNum, this.#col, new CellError(UNCALCULATED), this.#prefix));
  }

  #slowNumber(): number {
    const raw = this.#raw as string;
    if (!NUMBER.test(raw)) throw this.#t.fail(`cell ${this.#here()} has '${raw.slice(0, 40)}' where a number belongs`, this.#cellPos);
    return Number(raw);
  }

  /**
   * Refuses a cell whose column does not follow the row's previous cell, or lies past XFD. Excel
   * writes each row's cells once, left to right, and repairs a file that does not (dropping cells);
   * yielding such cells would give one cell two values, and a row without column limit (cells
   * without r= counting up) would hold any number of cells in memory until </row>.
   */
  #badColumn(col: number, pos: number): never {
    const cell = this.#prefix + columnLetters(col) + this.#rowNum;
    if (col > MAX_COL) throw this.#t.fail(`cell ${cell} is past column XFD (${MAX_COL}), the last a sheet has`, pos);
    const before = this.#prefix + columnLetters(this.#col) + this.#rowNum;
    if (col === this.#col) throw this.#t.fail(`cell ${cell} is written twice in its row`, pos);
    throw this.#t.fail(`cell ${cell} comes after ${before} in its row (cells must be in column order)`, pos);
  }

  /** `text + more`, unless the cell's text would grow past the cap (a run or CDATA at a time). */
  #grow(text: string, more: string): string {
    if (text.length + more.length > this.#maxChars) {
      const t = this.#t;
      throw new XlsxError(
        "too-large",
        `Cannot read ${t.file}: cell ${this.#here()} in '${t.part}' holds more than ${this.#maxChars} characters of text (Excel's own limit is 32,767).`,
        t.file,
      );
    }
    return text + more;
  }

  #here(): string {
    return this.#prefix + columnLetters(this.#col) + this.#rowNum;
  }
}
