// openWorkbook(): the reader's entry point. Opening reads only the ZIP directory and the small
// package parts; shared strings and styles are read on the first rows() call, and each sheet is
// streamed when iterated.
import { XlsxError, type MergeListener, type PackColumns, type SheetRow } from "./types.ts";
import { ZipArchive, type InflateLimits } from "./_zip.ts";
import { readPackage, readSmallPart, type PackageInfo } from "./_package.ts";
import { readSharedStrings } from "./_shared_strings.ts";
import { readDateStyles } from "./_styles.ts";
import { SheetParser, type SheetContext } from "./_sheet_parser.ts";

/** Limits against hostile files. */
export interface ReaderOptions {
  /** Largest inflated size of any one entry; default 2 GiB. */
  maxEntryBytes?: number;
  /** Largest inflated/compressed ratio of an entry; default 1000. */
  maxRatio?: number;
  /** Longest text of one cell or shared string, in characters; default `MAX_CELL_CHARS` (1 Mi). */
  maxCellChars?: number;
}

/**
 * Excel stops a cell at 32,767 characters; this leaves generous room for other writers while
 * staying far below V8's longest string (2^29 - 24 characters on 64-bit), which a cell's text
 * summed over runs (split by comments, CDATA or rich-text runs) would otherwise reach, failing
 * with a RangeError that names nothing.
 */
export const MAX_CELL_CHARS = 1024 * 1024;

/** Options for one sheet read. */
export interface RowsOptions {
  /** Called as the sheet is read with compressed bytes consumed and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Columns whose plain 0/1 cells come packed in `SheetRow.packed` (may be filled in while reading). */
  pack?: PackColumns;
  /** Gets the sheet's merged ranges, each once, after the rows (see MergeListener); without it they are skipped. */
  merges?: MergeListener;
}

/** An open workbook. */
export interface Workbook {
  /** The path as given to openWorkbook. */
  readonly file: string;
  /** Sheet names in workbook order. */
  readonly sheetNames: readonly string[];
  /** The names of the sheets Excel does not show (`state="hidden"` or `"veryHidden"`), in workbook order. */
  readonly hiddenSheetNames: readonly string[];
  /** The sheets that are no worksheets (chart sheets and the like: `rows()` yields none), in workbook order. */
  readonly chartSheetNames: readonly string[];
  /** True when the workbook counts dates from 1904 (`<workbookPr date1904="1"/>`, old Mac Excel): serial 1 is 1904-01-02. */
  readonly date1904: boolean;
  /** Streams the non-empty rows of a sheet; throws XlsxError("missing-sheet") if there is no such sheet. */
  rows(sheetName: string, options?: RowsOptions): AsyncIterable<SheetRow>;
  /** Releases the file. */
  close(): Promise<void>;
}

interface Shared {
  sharedStrings: readonly string[];
  dateStyles: Uint8Array;
}

class XlsxWorkbook implements Workbook {
  readonly file: string;
  readonly sheetNames: readonly string[];
  readonly hiddenSheetNames: readonly string[];
  readonly chartSheetNames: readonly string[];
  readonly date1904: boolean;
  readonly #zip: ZipArchive;
  readonly #info: PackageInfo;
  readonly #limits: InflateLimits;
  readonly #maxCellChars: number;
  #shared: Promise<Shared> | undefined;

  constructor(zip: ZipArchive, info: PackageInfo, limits: InflateLimits, maxCellChars: number) {
    this.file = zip.file;
    this.#zip = zip;
    this.#info = info;
    this.#limits = limits;
    this.#maxCellChars = maxCellChars;
    this.sheetNames = Object.freeze(info.sheets.map((s) => s.name));
    this.hiddenSheetNames = Object.freeze(info.sheets.filter((s) => s.hidden).map((s) => s.name));
    this.chartSheetNames = Object.freeze(info.sheets.filter((s) => s.kind !== "worksheet").map((s) => s.name));
    this.date1904 = info.date1904;
  }

  rows(sheetName: string, options: RowsOptions = {}): AsyncIterable<SheetRow> {
    const sheets = this.#info.sheets;
    const sheet = sheets.find((s) => s.name === sheetName) ?? sheets.find((s) => s.name.toLowerCase() === sheetName.toLowerCase());
    if (!sheet) {
      const have = sheets.length ? `the workbook has ${sheets.map((s) => `'${s.name}'`).join(", ")}` : "the workbook has no sheets";
      throw new XlsxError("missing-sheet", `Cannot find sheet '${sheetName}' in ${this.file}; ${have}.`, this.file);
    }
    return this.#rows(sheet.name, sheet.part, sheet.kind, options);
  }

  async *#rows(name: string, part: string | undefined, kind: string, options: RowsOptions): AsyncGenerator<SheetRow> {
    const file = this.file;
    if (kind !== "worksheet") return; // chart sheets and the like hold no cells
    const entry = part === undefined ? undefined : this.#zip.entry(part);
    if (!entry) {
      throw new XlsxError("corrupt", `Cannot read sheet '${name}' in ${file}: its part '${part ?? "?"}' is missing from the file.`, file);
    }
    this.#shared ??= this.#loadShared();
    const shared = await this.#shared;
    const ctx: SheetContext = { sheet: name, sharedStrings: shared.sharedStrings, dateStyles: shared.dateStyles, date1904: this.#info.date1904, maxCellChars: this.#maxCellChars };
    const parser = new SheetParser(ctx, entry.name, file);
    parser.pack = options.pack ?? null;
    const tokenizer = parser.tokenizer;
    const total = entry.compressedSize;
    const onProgress = options.onProgress;
    let consumed = 0;
    const onRead = onProgress ? (n: number) => void (consumed = n) : undefined;
    for await (const chunk of this.#zip.stream(entry, this.#limits, onRead)) {
      tokenizer.feed(chunk);
      if (parser.out.length > 0) {
        const rows = parser.out;
        parser.out = [];
        for (const row of rows) yield row;
      }
      if (parser.merges.length > 0) sendMerges(parser, options.merges);
      onProgress?.(consumed, total);
      // Let the event loop turn once per chunk: zlib schedules its next thread-pool job from a
      // callback on this thread, and while buffered chunks are parsed back to back (promises only)
      // that callback waits and the inflating thread idles. A turn costs microseconds.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    tokenizer.end();
    for (const row of parser.out) yield row;
    parser.out = [];
    sendMerges(parser, options.merges);
    onProgress?.(total, total);
  }

  async #loadShared(): Promise<Shared> {
    const info = this.#info;
    const zip = this.#zip;
    let sharedStrings: readonly string[] = [];
    if (info.sharedStringsPart !== undefined) {
      const entry = zip.entry(info.sharedStringsPart);
      if (entry) sharedStrings = await readSharedStrings(zip.stream(entry, this.#limits), entry.name, zip.file, this.#maxCellChars);
    }
    const dateStyles = (info.stylesPart === undefined ? undefined : await readSmallPart(zip, info.stylesPart, this.#limits, readDateStyles)) ?? new Uint8Array(0);
    return { sharedStrings, dateStyles };
  }

  async close(): Promise<void> {
    await this.#zip.close();
  }
}

/** Hands the merged ranges read so far to the listener (after the rows before them were yielded), keeping none. */
function sendMerges(parser: SheetParser, listener: MergeListener | undefined): void {
  const merges = parser.merges;
  parser.merges = [];
  for (const range of merges) listener?.onRange?.(range);
}

/**
 * Opens an .xlsx workbook for streaming. Throws XlsxError for files that are not readable
 * workbooks (not a ZIP, truncated, encrypted, .xls/.xlsb renamed, malformed, zip bomb).
 * @example
 * const wb = await openWorkbook("data/relaciones.xlsx");
 * try { for await (const row of wb.rows("Lista de actores")) console.log(row.row, row.cells.map((c) => c.value)); }
 * finally { await wb.close(); }
 */
export async function openWorkbook(path: string, options: ReaderOptions = {}): Promise<Workbook> {
  const limits: InflateLimits = {
    maxEntryBytes: options.maxEntryBytes ?? 2 * 1024 * 1024 * 1024,
    maxRatio: options.maxRatio ?? 1000,
  };
  const zip = await ZipArchive.open(path);
  try {
    return new XlsxWorkbook(zip, await readPackage(zip, limits), limits, options.maxCellChars ?? MAX_CELL_CHARS);
  } catch (e) {
    await zip.close();
    throw e;
  }
}
