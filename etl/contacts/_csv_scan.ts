/**
 * One streaming pass over a CSV file: its SHA-256, its header and separator, whether its bytes are
 * UTF-8 (`_utf8_check.ts`), and a SPARSE map from record number to physical line. DuckDB's
 * read_csv parses the data; it cannot say on which physical line a record starts when earlier
 * fields hold quoted newlines, and users need the line their editor shows. Only the records where the line offset changes (after a quoted newline) and the blank
 * lines are kept, so memory is one 4 MiB chunk plus O(multi-line records + blank lines), whatever
 * the file's size. This scanner only counts; it never decides values.
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { Utf8Checker } from "./_utf8_check.ts";
import { trimUnseen } from "../text/mod.js";

/** What the scan found. */
export interface CsvScan {
  sha256: string;
  bytes: number;
  /** Records including the header (record 0) and blank lines. */
  records: number;
  /** Header names as written (BOM removed, quotes removed, not trimmed). */
  header: string[];
  /**
   * The field separator: `,`, or `;` or a tab when the header has no comma but has those (Excel's
   * "CSV" separates with the system's list separator, `;` wherever the decimal mark is a comma, as
   * in Spain and most of Latin America).
   */
  separator: "," | ";" | "\t";
  /**
   * The most fields up to its last value a data row has, among those wholly in the file's first
   * 64 KiB (empty fields at a row's end are read as any width's), or null when no row is. A header ending in a separator (an unnamed last column) over rows without one is read
   * at the rows' width (`readWidth`).
   */
  widestRow: number | null;
  /** The header line is missing or blank. */
  headerBlank: boolean;
  /** `[record, extra]`: from `record` on, a record's physical line is `record + 1 + extra`. */
  extras: Array<[number, number]>;
  /** Records that are empty lines (DuckDB skips them but counts them). */
  blanks: number[];
  /** Physical line where a quoted field is still open at the end of the file, if any. */
  unterminatedQuoteLine: number | null;
  /**
   * The last line with text (not only a line end) inside that open field: past its opening line,
   * the field took in lines read as its value, not as rows.
   */
  unterminatedQuoteTo: number | null;
  /**
   * The first line whose end (outside quotes) is not of the first line's kind (LF, CRLF or CR), with
   * both kinds: DuckDB's reader takes one kind per file and fails the whole file on another.
   */
  mixedLineEnds: { line: number; first: string; other: string } | null;
  /** The kind of the first line end outside quotes (the file's, unless `mixedLineEnds`), or null for a file without one. */
  lineEnd: "LF" | "CRLF" | "CR" | null;
  /**
   * The file is not UTF-8: it has bytes that are not UTF-8 and no UTF-8 letter beyond ASCII (a
   * spreadsheet's "CSV" in Windows-1252 or Mac Roman), with the line of the first such byte. A UTF-8
   * file with a few damaged bytes is not this: its damaged lines are rejected one by one.
   */
  notUtf8: { line: number; byte: number } | null;
  /**
   * The file starts as a file that is not text does: `xlsx` (a ZIP archive, `PK\x03\x04`), `xls`
   * (Excel 97-2003's OLE compound file, D0 CF 11 E0) or `gzip` (1F 8B: an export compressed). Users
   * pick the workbook instead of the CSV saved from it, or the export as it was downloaded; read as
   * CSV, its bytes made a header of garbage, said to look like UTF-16.
   */
  binary: "xlsx" | "xls" | "gzip" | null;
  /**
   * The file is UTF-16 text (Excel's "Unicode Text"): it begins with UTF-16's byte order mark
   * (FF FE or FE FF), or its header read as UTF-8 is NUL bytes and other characters, a third or more
   * each (one NUL beside every ASCII letter): a stray NUL in a header is not UTF-16.
   */
  utf16: boolean;
  /**
   * The header is NUL bytes and nothing else (separators aside), or begins with a run of them
   * (`leading`, ZEROED_RUN or more, which UTF-16 text never has): a file zeroed by a crash, or a copy
   * that did not finish, said to be UTF-16 ("Excel's Unicode Text") before. Null for any other file.
   */
  zeroed: { leading: number; only: boolean } | null;
}

/** NUL bytes in a row at a header's start that make it a zeroed file: UTF-16 of text has one beside each letter. */
const ZEROED_RUN = 4;

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const SPACE = 0x20;

/**
 * Scans the file at `path` (comma-separated, or `;` or tab as its header shows, `"`-quoted, `""`
 * escapes; LF, CRLF or CR line ends).
 * Throws the file system's error when it cannot be read.
 *
 * @example
 * ```ts
 * const scan = scanCsvFile("contacts.csv");
 * physicalLine(scan, 2); // the line record 2 starts on
 * ```
 */
export function scanCsvFile(path: string, chunkSize = 4 << 20): CsvScan {
  const fd = openSync(path, "r");
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(chunkSize);
  let line = 1;
  let record = 0;
  let recordLine = 1;
  let inQuotes = false;
  let quoteLine = 0;
  let quotedTo = 0;
  let empty = true;
  let previousCR = false;
  let extra = 0;
  let bytes = 0;
  const extras: Array<[number, number]> = [];
  const blanks: number[] = [];
  const head: Buffer[] = [];
  let headBytes = 0;
  const utf8 = new Utf8Checker();
  let invalidLine = 0;
  // A quote opens a quoted field only at the start of a field (as DuckDB reads it); elsewhere
  // (`24" Monitors`, `Robert "Bob" Lee`) it is a character. So: the byte before each quote, and
  // where the last quoted field closed (a quote right after it is an escaped `""`).
  let previousByte = LF;
  let previousByte2 = LF;
  let separator: CsvScan["separator"] = ",";
  let sep = COMMA;
  let closedAt = -2;
  /** Whether a field starts after byte `b` (a separator or a line end). */
  const fieldStart = (b: number) => b === sep || b === LF || b === CR;
  // Line ends outside quotes: the first kind seen, and the first line ending otherwise.
  let firstEnd: CsvScan["lineEnd"] = null;
  let mixed: CsvScan["mixedLineEnds"] = null;
  let pendingCrLine = 0;
  const sawEnd = (kind: "LF" | "CRLF" | "CR", at: number) => {
    if (firstEnd === null) firstEnd = kind;
    else if (mixed === null && kind !== firstEnd) mixed = { line: at, first: firstEnd, other: kind };
  };
  const endRecord = () => {
    if (empty) blanks.push(record);
    const offset = recordLine - (record + 1);
    if (offset !== extra) {
      extras.push([record, offset]);
      extra = offset;
    }
    record++;
    empty = true;
  };
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, chunkSize, null);
      if (n === 0) break;
      const chunk = n === chunkSize ? buffer : buffer.subarray(0, n);
      hash.update(chunk);
      // The header is read from the first 64 KiB at most (no header is longer).
      if (headBytes < 65536) {
        head.push(Buffer.from(chunk.subarray(0, Math.min(n, 65536 - headBytes))));
        headBytes += Math.min(n, 65536 - headBytes);
      }
      let i = bytes === 0 && n >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? 3 : 0;
      if (bytes === 0) {
        separator = separatorOf(chunk.subarray(i, Math.min(n, 65536)));
        sep = separator.charCodeAt(0);
      }
      const dataFrom = i;
      const base = bytes;
      bytes += n;
      utf8.chunk(chunk, base);
      const invalid = utf8.result.firstInvalid;
      if (invalidLine === 0 && invalid >= 0) invalidLine = line + lineEnds(chunk, Math.max(0, invalid - base), previousCR);
      // Only quotes and line ends matter: jump from one to the next (Buffer.indexOf, native) instead
      // of looking at every byte in JavaScript (0.8-1.1 s for a 127 MB file). Each byte's next
      // position is kept until passed, so each is searched for once per chunk.
      let nextQuote = -1;
      let nextLf = -1;
      let nextCr = -1;
      while (i < n) {
        if (previousCR) {
          previousCR = false;
          if (pendingCrLine > 0) sawEnd(chunk[i] === LF ? "CRLF" : "CR", pendingCrLine);
          pendingCrLine = 0;
          if (chunk[i] === LF) {
            i++;
            continue;
          }
        }
        if (nextQuote < i) nextQuote = indexOrEnd(chunk, QUOTE, i, n);
        if (nextLf < i) nextLf = indexOrEnd(chunk, LF, i, n);
        if (nextCr < i) nextCr = indexOrEnd(chunk, CR, i, n);
        const at = Math.min(nextQuote, nextLf, nextCr);
        // Bytes before it, outside quotes, make the record non-empty; inside, they are the open field's.
        if (at > i) {
          if (inQuotes) quotedTo = line;
          else empty = false;
        }
        if (at === n) break;
        const c = chunk[at];
        i = at + 1;
        if (inQuotes) {
          // A doubled quote inside quotes is an escaped quote: leaving and re-entering is the same.
          if (c === QUOTE) {
            inQuotes = false;
            closedAt = base + at;
            quotedTo = line;
          }
          else {
            line++;
            previousCR = c === CR;
          }
          continue;
        }
        if (c === QUOTE) {
          empty = false;
          const before = at > dataFrom ? chunk[at - 1] : previousByte;
          // DuckDB also opens one after a single space (`, "Flat 2`), not after two or a tab.
          const spaced = before === SPACE && fieldStart(at - 1 > dataFrom ? chunk[at - 2] : at - 1 === dataFrom ? previousByte : previousByte2);
          // Right after a closing quote it is the second of an escaped `""`: the field goes on, opened
          // where it was (a `""` at a line's start once moved the quote's line to that line).
          if (closedAt === base + at - 1) inQuotes = true;
          else if (fieldStart(before) || spaced) {
            inQuotes = true;
            quoteLine = line;
          }
          quotedTo = line;
          continue;
        }
        previousCR = c === CR;
        if (c === CR) pendingCrLine = line;
        else sawEnd("LF", line);
        endRecord();
        line++;
        recordLine = line;
      }
      if (n > dataFrom) {
        previousByte2 = n - 1 > dataFrom ? chunk[n - 2] : previousByte;
        previousByte = chunk[n - 1];
      }
    }
  } finally {
    closeSync(fd);
  }
  if (pendingCrLine > 0) sawEnd("CR", pendingCrLine);
  if (!empty || inQuotes) endRecord();
  const start = Buffer.concat(head);
  const { header, blank, widestRow } = parseHead(start, separator, bytes <= 65536);
  const names = header.join("");
  const nuls = names.split("\u0000").length - 1;
  const leading = names.length - names.replace(/^\u0000+/, "").length;
  return {
    sha256: hash.digest("hex"),
    bytes,
    records: record,
    header,
    separator,
    headerBlank: record === 0 || blank,
    widestRow,
    extras,
    blanks,
    unterminatedQuoteLine: inQuotes ? quoteLine : null,
    unterminatedQuoteTo: inQuotes ? quotedTo : null,
    mixedLineEnds: mixed,
    lineEnd: firstEnd,
    notUtf8: utf8.end().firstInvalid >= 0 && !utf8.result.multiByte ? { line: invalidLine || line, byte: utf8.result.firstInvalidByte } : null,
    binary: binaryOf(start),
    utf16: (start.length >= 2 && (start.readUInt16BE(0) === 0xfffe || start.readUInt16BE(0) === 0xfeff)) || (nuls * 3 >= names.length && (names.length - nuls) * 3 >= names.length && nuls > 0 && leading < ZEROED_RUN),
    zeroed: nuls > 0 && (nuls === names.length || leading >= ZEROED_RUN) ? { leading, only: nuls === names.length } : null,
  };
}

/** Which kind of file that is not text `start` (a file's first bytes) begins as, if any: see CsvScan.binary. */
function binaryOf(start: Buffer): CsvScan["binary"] {
  if (start.length >= 4 && start.readUInt32BE(0) === 0x504b0304) return "xlsx";
  if (start.length >= 4 && start.readUInt32BE(0) === 0xd0cf11e0) return "xls";
  if (start.length >= 2 && start[0] === 0x1f && start[1] === 0x8b) return "gzip";
  return null;
}

/** The line ends (LF, CRLF or CR) in `chunk` before `end`; `afterCR`: the chunk before ended with a CR, already counted. */
function lineEnds(chunk: Buffer, end: number, afterCR: boolean): number {
  let ends = 0;
  for (let i = afterCR && chunk[0] === LF ? 1 : 0; i < end; i++) {
    if (chunk[i] === LF) ends++;
    else if (chunk[i] === CR && chunk[i + 1] !== LF) ends++;
  }
  return ends;
}

/** The position of `byte` in `chunk` from `from`, or `end` when there is none. */
function indexOrEnd(chunk: Buffer, byte: number, from: number, end: number): number {
  const at = chunk.indexOf(byte, from);
  return at === -1 || at >= end ? end : at;
}

/**
 * How many fields read_csv reads per row: the header's, less the unnamed columns it ends with that
 * no row at the file's start has. Spreadsheets write a trailing separator on every line or on none,
 * but a header edited by hand (or by a tool that adds one) gains one its rows lack, and read at the
 * header's width every row was refused as one field short. Rows with the separator still load:
 * extra empty fields at a row's end are read as the width's. A file whose rows at its start hold
 * values in those columns is read at the header's width, as before.
 *
 * @example
 * ```ts
 * readWidth({ header: ["email", "first_name", ""], widestRow: 2 }); // 2
 * readWidth({ header: ["email", "first_name", ""], widestRow: 3 }); // 3
 * ```
 */
export function readWidth(scan: Pick<CsvScan, "header" | "widestRow">): number {
  let width = scan.header.length;
  if (scan.widestRow === null) return width;
  // Unnamed as mapCsvHeader() reads names: a cell of a zero-width space alone is "no name" there too.
  while (width > Math.max(1, scan.widestRow) && trimUnseen(scan.header[width - 1]) === "") width--;
  return width;
}

/**
 * Returns the physical line (1-based) record `record` starts on.
 *
 * @example
 * ```ts
 * physicalLine({ extras: [[2, 1]] } as CsvScan, 3); // 5: record 1 spans two lines
 * ```
 */
export function physicalLine(scan: Pick<CsvScan, "extras">, record: number): number {
  let extra = 0;
  for (const [from, offset] of scan.extras) {
    if (from > record) break;
    extra = offset;
  }
  return record + 1 + extra;
}

/**
 * The separator the header line (`bytes` from its start) uses: a comma if it has one outside quotes,
 * else `;`, else a tab, else a comma (a file of one column).
 */
function separatorOf(bytes: Buffer): CsvScan["separator"] {
  let quoted = false;
  let semicolon = false;
  let tab = false;
  for (const c of bytes) {
    if (c === QUOTE) quoted = !quoted;
    else if (quoted) continue;
    else if (c === COMMA) return ",";
    else if (c === LF || c === CR) break;
    else if (c === 0x3b) semicolon = true;
    else if (c === 0x09) tab = true;
  }
  return semicolon ? ";" : tab ? "\t" : ",";
}

/**
 * The first record's fields (BOM and quotes removed, `""` unescaped), whether it is blank, and the
 * most fields up to its last value a later record has among those that end within `bytes` (null
 * when none does). `whole`: `bytes` is the whole file, so its end ends a record.
 */
function parseHead(bytes: Buffer, separator: string, whole: boolean): { header: string[]; blank: boolean; widestRow: number | null } {
  const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
  const first = parseRecord(text, 0, separator);
  const header = first.fields;
  let widestRow: number | null = null;
  let at = first.end;
  while (at < text.length) {
    const row = parseRecord(text, at, separator);
    if (!row.ended && !whole) break;
    // Up to its last value: empty fields at a row's end (a trailing separator) are read as the width's.
    let valued = row.fields.length;
    while (valued > 0 && row.fields[valued - 1] === "") valued--;
    if (valued > 0) widestRow = Math.max(widestRow ?? 0, valued);
    at = row.end;
  }
  return { header, blank: header.length === 1 && header[0] === "", widestRow };
}

/** The record of `text` starting at `from`: its fields, where the next one starts, and whether a line end closed it. */
function parseRecord(text: string, from: number, separator: string): { fields: string[]; end: number; ended: boolean } {
  const fields: string[] = [];
  let cell = "";
  let quoted = false;
  let i = from;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += c;
      continue;
    }
    if (c === "\n" || c === "\r") {
      fields.push(cell);
      return { fields, end: c === "\r" && text[i + 1] === "\n" ? i + 2 : i + 1, ended: true };
    }
    // A quote opens a quoted field only at the field's start, or after one space there, as DuckDB
    // reads it: `24" Monitors` is one field, not a quote swallowing the rest of the file.
    if (c === '"' && (cell === "" || cell === " ")) quoted = true;
    else if (c === separator) {
      fields.push(cell);
      cell = "";
    } else cell += c;
  }
  fields.push(cell);
  return { fields, end: i, ended: false };
}
