/**
 * A small `.xlsx` writer for tests, benchmarks and the bundled samples, built on `node:zlib` and
 * `node:fs` only. It is deliberately able to write the variants real writers produce (Excel,
 * LibreOffice, openpyxl, inline strings, Google Sheets; stored entries, data descriptors, ZIP64,
 * shuffled entry order, strict-OOXML namespaces, rows and cells without `r=`) so the reader can be
 * tested against all of them without committing foreign binary files.
 *
 * `xlsxBytes()` builds a small workbook in memory. `writeXlsxFile()` streams each sheet's XML
 * through a deflate stream straight to disk, so a 16,384 x 16,384 matrix never exists in memory.
 */
import * as zlib from "node:zlib";
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { once } from "node:events";

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** One cell. `null`/`undefined` leave the cell empty. Dates are written as serial numbers with a date style. */
export type CellInput =
  | number
  | string
  | boolean
  | Date
  | { error: string }
  | { formula: string; value: number | string | boolean | { error: string } }
  | null
  | undefined;

/** A sheet: `rows[0]` is row 1, column index 0 is column A; an empty array is an empty (omitted) row. */
export interface SheetSpec {
  name: string;
  rows: Iterable<readonly CellInput[]>;
}

/** Which application's habits to imitate. */
export type Flavor = "excel" | "libreoffice" | "openpyxl" | "inline" | "google";

/** How to write the workbook. Everything is optional; the default is an Excel-like deflated file. */
export interface WriteOptions {
  flavor?: Flavor;
  compression?: "deflate" | "store";
  /** Set general-purpose bit 3: CRC and sizes follow the data instead of being in the local header. */
  dataDescriptors?: boolean;
  /** Force ZIP64 extra fields and end records even for small files (they are used anyway past 4 GiB). */
  zip64?: boolean;
  /** Use the 1904 date system (`<workbookPr date1904="1"/>`); dates are written relative to it. */
  date1904?: boolean;
  /** Strict OOXML namespaces (`http://purl.oclc.org/ooxml/...`) instead of the transitional ones. */
  strict?: boolean;
  /** Leave out `r=` on rows: `true` for all, `"some"` for every other row. Empty rows are then written as `<row/>`. */
  omitRowRefs?: boolean | "some";
  /** Leave out `r=` on cells: `true` for all, `"some"` for every other cell. Gaps are then written as `<c/>`. */
  omitCellRefs?: boolean | "some";
  /** Write the ZIP entries in a (deterministically) shuffled order, `[Content_Types].xml` not first. */
  shuffleEntries?: boolean;
  /** Blank cells between values are written as style-only `<c r="C20" s="4"/>`, as Excel does for formatted blanks. */
  styledBlanks?: boolean;
  /** Write dates as ISO 8601 text with `t="d"` instead of serial numbers. */
  isoDates?: boolean;
  /** Write every shared string as rich text runs plus a phonetic `<rPh>` run (which readers must skip). */
  richText?: boolean;
  /** Prefix every SpreadsheetML element (e.g. `"x"` gives `<x:worksheet xmlns:x="...">`), as the .NET SDK does. */
  prefix?: string;
  /** zlib level 0-9 for deflated entries; default 6 (what Excel and Info-ZIP use). */
  level?: number;
}

// ---------------------------------------------------------------------------------------------
// Small helpers: PRNG, CRC-32, column names, XML escaping
// ---------------------------------------------------------------------------------------------

/**
 * A seeded PRNG (mulberry32) returning floats in [0, 1). Same seed, same sequence, on every machine.
 * @example const rnd = mulberry32(42); rnd(); // 0.6011037519201636
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 (the ZIP polynomial) of `data`, continuing from `previous` so it can be computed chunk by chunk.
 * Table-based; uses zlib's native implementation when this Node has one (it is ~20x faster on big sheets).
 * @example crc32(new TextEncoder().encode("123456789")).toString(16); // "cbf43926"
 */
export function crc32(data: Uint8Array, previous = 0): number {
  const native = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  if (native) return native(data, previous) >>> 0;
  return crc32Table(data, previous);
}

/** The portable table-driven CRC-32; exported for tests that compare it with the native one. */
export function crc32Table(data: Uint8Array, previous = 0): number {
  let c = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

const columnNameCache: string[] = [];

/**
 * The column letters for a 1-based column number.
 * @example columnName(1); // "A"   columnName(28); // "AB"   columnName(16384); // "XFD"
 */
export function columnName(col: number): string {
  const cached = columnNameCache[col];
  if (cached !== undefined) return cached;
  let n = col;
  let name = "";
  while (n > 0) {
    const m = (n - 1) % 26;
    name = String.fromCharCode(65 + m) + name;
    n = Math.floor((n - 1) / 26);
  }
  if (col < 20000) columnNameCache[col] = name;
  return name;
}

// Characters XML 1.0 cannot carry at all; OOXML spells them _xHHHH_. A literal "_xHHHH_" in the text
// must itself be escaped (its underscore as _x005F_) or a reader would decode it.
const OOXML_ESCAPE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|_(?=x[0-9A-Fa-f]{4}_)/g;
const HAS_OOXML_ESCAPE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|_(?=x[0-9A-Fa-f]{4}_)/;
const XML_ESCAPE = /[&<>"']/g;
const HAS_XML_ESCAPE = /[&<>"']/;
const XML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/**
 * Escapes text for XML element content or attribute values, with OOXML `_xHHHH_` escapes for control characters.
 * @example escapeXml('a<b & "c"\u0001'); // 'a&lt;b &amp; &quot;c&quot;_x0001_'
 */
export function escapeXml(text: string): string {
  let out = text;
  if (HAS_OOXML_ESCAPE.test(out)) {
    out = out.replace(OOXML_ESCAPE, (ch) => `_x${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}_`);
  }
  if (HAS_XML_ESCAPE.test(out)) out = out.replace(XML_ESCAPE, (ch) => XML_ENTITIES[ch]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Namespaces and fixed parts
// ---------------------------------------------------------------------------------------------

interface Namespaces {
  main: string;
  rel: string; // r: prefix inside parts
  relType: string; // base of relationship Type URIs for office parts
  officeDocumentType: string;
}

function namespaces(strict: boolean): Namespaces {
  return strict
    ? {
        main: "http://purl.oclc.org/ooxml/spreadsheetml/main",
        rel: "http://purl.oclc.org/ooxml/officeDocument/relationships",
        relType: "http://purl.oclc.org/ooxml/officeDocument/relationships",
        officeDocumentType: "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
      }
    : {
        main: "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        rel: "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        relType: "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        officeDocumentType: "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
      };
}

const XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships";
const CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types";
const CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";
const X14AC_NS = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac";
const MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006";

// Index of each cellXfs entry in the styles part we write; each flavor formats dates its own way.
const XF_GENERAL = 0;
const XF_DATE_BUILTIN_14 = 1; // Excel: m/d/yyyy (locale short date)
const XF_DATE_CUSTOM = 2; // LibreOffice / Google: a custom numFmt 164
const XF_DATETIME_22 = 3; // openpyxl: yyyy-mm-dd h:mm:ss is built-in 22
const XF_BORDERED_BLANK = 4; // what a formatted empty cell points at

// ---------------------------------------------------------------------------------------------
// Workbook model shared by the in-memory and the streaming writer
// ---------------------------------------------------------------------------------------------

interface Settings {
  flavor: Flavor;
  ns: Namespaces;
  p: string; // element prefix incl. colon, or ""
  sharedStrings: boolean;
  dateXf: number;
  date1904: boolean;
  isoDates: boolean;
  omitRowRefs: boolean | "some";
  omitCellRefs: boolean | "some";
  styledBlanks: boolean;
  richText: boolean;
}

function settingsFor(options: WriteOptions): Settings {
  const flavor = options.flavor ?? "excel";
  const prefix = options.prefix ? `${options.prefix}:` : "";
  return {
    flavor,
    ns: namespaces(options.strict ?? false),
    p: prefix,
    sharedStrings: flavor !== "inline",
    dateXf:
      flavor === "openpyxl" ? XF_DATETIME_22 : flavor === "libreoffice" || flavor === "google" ? XF_DATE_CUSTOM : XF_DATE_BUILTIN_14,
    date1904: options.date1904 ?? false,
    isoDates: options.isoDates ?? false,
    omitRowRefs: options.omitRowRefs ?? false,
    omitCellRefs: options.omitCellRefs ?? false,
    styledBlanks: options.styledBlanks ?? false,
    richText: options.richText ?? false,
  };
}

/** The shared-strings table, filled while the sheets are written (so it is written after them). */
class StringTable {
  readonly index = new Map<string, number>();
  readonly list: string[] = [];
  count = 0;
  add(text: string): number {
    this.count++;
    let i = this.index.get(text);
    if (i === undefined) {
      i = this.list.length;
      this.index.set(text, i);
      this.list.push(text);
    }
    return i;
  }
}

const EPOCH_1900 = Date.UTC(1899, 11, 30); // serial 0 as Excel counts after its 1900 leap-year bug
const EPOCH_1904 = Date.UTC(1904, 0, 1);

function dateSerial(date: Date, date1904: boolean): number {
  return (date.getTime() - (date1904 ? EPOCH_1904 : EPOCH_1900)) / 86_400_000;
}

function textElement(s: Settings, text: string): string {
  const preserve = /^\s|\s$/.test(text) || text.includes("\n") ? ' xml:space="preserve"' : "";
  return `<${s.p}t${preserve}>${escapeXml(text)}</${s.p}t>`;
}

// Top-level helpers on purpose: closures created per cell would cost a lot on 268 M cells.
function cellElement(s: Settings, ref: string, attrs: string, inner: string): string {
  return `<${s.p}c${ref}${attrs}>${inner}</${s.p}c>`;
}

function valueElement(s: Settings, text: string | number): string {
  return `<${s.p}v>${text}</${s.p}v>`;
}

/** The XML of one non-empty cell; `ref` is ` r="B3"` or empty. */
function cellXml(s: Settings, strings: StringTable, ref: string, value: Exclude<CellInput, null | undefined>): string {
  const p = s.p;
  if (typeof value === "number") {
    // The hot path of big matrices: one template string per cell.
    if (s.flavor !== "libreoffice" && Number.isFinite(value)) return `<${p}c${ref}><${p}v>${value}</${p}v></${p}c>`;
    if (!Number.isFinite(value)) return cellElement(s, ref, ' t="e"', valueElement(s, "#NUM!"));
    return cellElement(s, ref, ' s="0" t="n"', valueElement(s, value));
  }
  if (typeof value === "string") {
    if (!s.sharedStrings) return cellElement(s, ref, ' t="inlineStr"', `<${p}is>${textElement(s, value)}</${p}is>`);
    return cellElement(s, ref, s.flavor === "libreoffice" ? ' s="0" t="s"' : ' t="s"', valueElement(s, strings.add(value)));
  }
  if (typeof value === "boolean") return cellElement(s, ref, ' t="b"', valueElement(s, value ? 1 : 0));
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return cellElement(s, ref, ' t="e"', valueElement(s, "#VALUE!"));
    if (s.isoDates) return cellElement(s, ref, ` s="${s.dateXf}" t="d"`, valueElement(s, value.toISOString()));
    return cellElement(s, ref, ` s="${s.dateXf}"`, valueElement(s, dateSerial(value, s.date1904)));
  }
  if ("formula" in value) {
    const f = `<${p}f>${escapeXml(value.formula)}</${p}f>`;
    const result = value.value;
    if (typeof result === "number") return cellElement(s, ref, "", f + valueElement(s, result));
    if (typeof result === "boolean") return cellElement(s, ref, ' t="b"', f + valueElement(s, result ? 1 : 0));
    if (typeof result === "string") return cellElement(s, ref, ' t="str"', f + valueElement(s, escapeXml(result)));
    // Google Sheets writes formula errors as text results (t="str"); everyone else as t="e".
    return cellElement(s, ref, s.flavor === "google" ? ' t="str"' : ' t="e"', f + valueElement(s, escapeXml(result.error)));
  }
  return cellElement(s, ref, ' t="e"', valueElement(s, escapeXml(value.error)));
}

function omitted(mode: boolean | "some", index: number): boolean {
  return mode === true || (mode === "some" && index % 2 === 1);
}

function rowExtent(cells: readonly CellInput[]): [number, number] {
  let first = -1;
  let last = -1;
  for (let i = 0; i < cells.length; i++) {
    if (cells[i] !== null && cells[i] !== undefined) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return [first, last];
}

const CHUNK = 1 << 16;

/**
 * The worksheet XML as a sequence of string chunks (about 64 KiB each), so a caller can stream it.
 * `dimension` is the `ref` to announce (writers that stream do not know it in advance).
 */
function* sheetXml(s: Settings, strings: StringTable, rows: Iterable<readonly CellInput[]>, dimension: string): Generator<string> {
  const p = s.p;
  const xmlns = p ? `xmlns:${p.slice(0, -1)}` : "xmlns";
  let head = XML_DECL;
  if (s.flavor === "excel") {
    head += `<${p}worksheet ${xmlns}="${s.ns.main}" xmlns:r="${s.ns.rel}" xmlns:mc="${MC_NS}" mc:Ignorable="x14ac" xmlns:x14ac="${X14AC_NS}">`;
  } else if (s.flavor === "libreoffice") {
    // LibreOffice declares more namespaces, in another order, and writes sheetPr/pageSetUpPr.
    head += `<${p}worksheet xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" ${xmlns}="${s.ns.main}" xmlns:r="${s.ns.rel}" xmlns:mc="${MC_NS}">`;
    head += `<${p}sheetPr filterMode="false"><${p}pageSetUpPr fitToPage="false"/></${p}sheetPr>`;
  } else {
    head += `<${p}worksheet ${xmlns}="${s.ns.main}" xmlns:r="${s.ns.rel}">`;
  }
  if (s.flavor !== "google") head += `<${p}dimension ref="${dimension}"/>`;
  head += `<${p}sheetViews><${p}sheetView workbookViewId="0"/></${p}sheetViews>`;
  head += `<${p}sheetFormatPr defaultRowHeight="15"/><${p}sheetData>`;
  let buf = head;
  let rowNumber = 0;
  let rowIndex = 0; // counts written <row> elements, for the "some" modes
  let pendingEmpty = 0;
  for (const cells of rows) {
    rowNumber++;
    const [first, last] = rowExtent(cells);
    if (first < 0) {
      pendingEmpty++;
      continue;
    }
    // Without r= on rows, a skipped row would shift every later row up: write empty <row/> elements.
    const rowRef = !omitted(s.omitRowRefs, rowIndex);
    if (!rowRef) for (; pendingEmpty > 0; pendingEmpty--) buf += `<${p}row/>`;
    pendingEmpty = 0;
    rowIndex++;
    let rowOpen = `<${p}row`;
    if (rowRef) rowOpen += ` r="${rowNumber}"`;
    if (s.flavor === "excel") rowOpen += ` spans="${first + 1}:${last + 1}" x14ac:dyDescent="0.25"`;
    else if (s.flavor === "libreoffice")
      rowOpen += ' customFormat="false" ht="12.8" hidden="false" customHeight="false" outlineLevel="0" collapsed="false"';
    buf += rowOpen + ">";
    const suffix = String(rowNumber);
    let cellIndex = 0; // counts written <c> elements, for the "some" mode
    let previous = -1; // column index of the last element written in this row
    for (let c = 0; c <= last; c++) {
      const value = cells[c];
      const blank = value === null || value === undefined;
      if (blank && !(s.styledBlanks && c > first)) continue;
      const withRef = !omitted(s.omitCellRefs, cellIndex);
      cellIndex++;
      // Without r=, a reader places a cell right after the previous one: fill gaps with empty <c/>.
      if (!withRef) for (let k = previous + 1; k < c; k++) buf += `<${p}c/>`;
      previous = c;
      const ref = withRef ? ` r="${columnName(c + 1)}${suffix}"` : "";
      buf += blank ? `<${p}c${ref} s="${XF_BORDERED_BLANK}"/>` : cellXml(s, strings, ref, value);
    }
    buf += `</${p}row>`;
    if (buf.length >= CHUNK) {
      yield buf;
      buf = "";
    }
  }
  buf += `</${p}sheetData>`;
  buf += `<${p}pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></${p}worksheet>`;
  yield buf;
}

function sharedStringsXml(s: Settings, strings: StringTable): string {
  const p = s.p;
  const xmlns = p ? `xmlns:${p.slice(0, -1)}` : "xmlns";
  const parts: string[] = [`${XML_DECL}<${p}sst ${xmlns}="${s.ns.main}" count="${strings.count}" uniqueCount="${strings.list.length}">`];
  for (const text of strings.list) {
    if (s.richText && text.length > 1) {
      const half = Math.ceil(text.length / 2);
      parts.push(
        `<${p}si><${p}r>${textElement(s, text.slice(0, half))}</${p}r><${p}r><${p}rPr><${p}b/><${p}sz val="11"/></${p}rPr>${textElement(s, text.slice(half))}</${p}r>` +
          `<${p}rPh sb="0" eb="1"><${p}t>ヨミ</${p}t></${p}rPh><${p}phoneticPr fontId="1"/></${p}si>`,
      );
    } else parts.push(`<${p}si>${textElement(s, text)}</${p}si>`);
  }
  parts.push(`</${p}sst>`);
  return parts.join("");
}

function stylesXml(s: Settings): string {
  const p = s.p;
  const xmlns = p ? `xmlns:${p.slice(0, -1)}` : "xmlns";
  const customDate = s.flavor === "google" ? "yyyy-mm-dd" : "DD/MM/YYYY";
  const xf = (numFmtId: number, extra = "") => `<${p}xf numFmtId="${numFmtId}" fontId="0" fillId="0" borderId="0" xfId="0"${extra}/>`;
  return (
    `${XML_DECL}<${p}styleSheet ${xmlns}="${s.ns.main}">` +
    `<${p}numFmts count="1"><${p}numFmt numFmtId="164" formatCode="${escapeXml(customDate)}"/></${p}numFmts>` +
    `<${p}fonts count="1"><${p}font><${p}sz val="11"/><${p}name val="Calibri"/><${p}family val="2"/></${p}font></${p}fonts>` +
    `<${p}fills count="2"><${p}fill><${p}patternFill patternType="none"/></${p}fill><${p}fill><${p}patternFill patternType="gray125"/></${p}fill></${p}fills>` +
    `<${p}borders count="2"><${p}border><${p}left/><${p}right/><${p}top/><${p}bottom/><${p}diagonal/></${p}border>` +
    `<${p}border><${p}left style="thin"/><${p}right style="thin"/><${p}top style="thin"/><${p}bottom style="thin"/><${p}diagonal/></${p}border></${p}borders>` +
    `<${p}cellStyleXfs count="1"><${p}xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></${p}cellStyleXfs>` +
    `<${p}cellXfs count="5">${xf(0)}${xf(14, ' applyNumberFormat="1"')}${xf(164, ' applyNumberFormat="1"')}${xf(22, ' applyNumberFormat="1"')}` +
    `<${p}xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1"/></${p}cellXfs>` +
    `<${p}cellStyles count="1"><${p}cellStyle name="Normal" xfId="0" builtinId="0"/></${p}cellStyles>` +
    `</${p}styleSheet>`
  );
}

function workbookXml(s: Settings, sheets: readonly SheetSpec[]): string {
  const p = s.p;
  const xmlns = p ? `xmlns:${p.slice(0, -1)}` : "xmlns";
  const conformance = s.ns.main.startsWith("http://purl.oclc.org") ? ' conformance="strict"' : "";
  let xml = `${XML_DECL}<${p}workbook ${xmlns}="${s.ns.main}" xmlns:r="${s.ns.rel}"${conformance}>`;
  if (s.flavor === "excel") xml += `<${p}fileVersion appName="xl" lastEdited="7" lowestEdited="6" rupBuild="24131"/>`;
  xml += s.date1904 ? `<${p}workbookPr date1904="1"/>` : `<${p}workbookPr/>`;
  xml += `<${p}bookViews><${p}workbookView xWindow="0" yWindow="0" windowWidth="20490" windowHeight="10920"/></${p}bookViews><${p}sheets>`;
  sheets.forEach((sheet, i) => {
    xml += `<${p}sheet name="${escapeXml(sheet.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`;
  });
  xml += `</${p}sheets><${p}calcPr calcId="162913"/></${p}workbook>`;
  return xml;
}

function workbookRelsXml(s: Settings, sheetCount: number): string {
  // openpyxl writes absolute targets; the others relative ones. Excel lists them in reverse.
  const base = s.flavor === "openpyxl" ? "/xl/" : "";
  const rels: string[] = [];
  for (let i = 1; i <= sheetCount; i++) rels.push(rel(`rId${i}`, `${s.ns.relType}/worksheet`, `${base}worksheets/sheet${i}.xml`));
  rels.push(rel(`rId${sheetCount + 1}`, `${s.ns.relType}/styles`, `${base}styles.xml`));
  if (s.sharedStrings) rels.push(rel(`rId${sheetCount + 2}`, `${s.ns.relType}/sharedStrings`, `${base}sharedStrings.xml`));
  if (s.flavor === "excel") rels.reverse();
  return `${XML_DECL}<Relationships xmlns="${PKG_REL_NS}">${rels.join("")}</Relationships>`;
}

function rel(id: string, type: string, target: string): string {
  return `<Relationship Id="${id}" Type="${type}" Target="${escapeXml(target)}"/>`;
}

function hasDocProps(s: Settings): boolean {
  return s.flavor === "excel" || s.flavor === "libreoffice" || s.flavor === "openpyxl";
}

function rootRelsXml(s: Settings): string {
  const rels = [rel("rId1", s.ns.officeDocumentType, "xl/workbook.xml")];
  if (hasDocProps(s)) {
    rels.push(rel("rId2", "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties", "docProps/core.xml"));
    rels.push(rel("rId3", `${s.ns.relType}/extended-properties`, "docProps/app.xml"));
  }
  if (s.flavor === "excel") rels.reverse();
  return `${XML_DECL}<Relationships xmlns="${PKG_REL_NS}">${rels.join("")}</Relationships>`;
}

function contentTypesXml(s: Settings, sheetCount: number): string {
  const o = (part: string, type: string) => `<Override PartName="${part}" ContentType="${type}"/>`;
  let xml = `${XML_DECL}<Types xmlns="${CT_NS}"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>`;
  xml += o("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml");
  for (let i = 1; i <= sheetCount; i++) xml += o(`/xl/worksheets/sheet${i}.xml`, CT_SHEET);
  xml += o("/xl/styles.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml");
  if (s.sharedStrings) xml += o("/xl/sharedStrings.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml");
  if (hasDocProps(s)) {
    xml += o("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml");
    xml += o("/docProps/app.xml", "application/vnd.openxmlformats-officedocument.extended-properties+xml");
  }
  return xml + "</Types>";
}

function docPropsCoreXml(): string {
  // A fixed timestamp keeps generated files byte-identical from run to run.
  return (
    `${XML_DECL}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<dc:creator>fixtures</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:created>` +
    `<dcterms:modified xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:modified></cp:coreProperties>`
  );
}

function docPropsAppXml(s: Settings, sheets: readonly SheetSpec[]): string {
  const app = s.flavor === "libreoffice" ? "LibreOffice/7.6" : s.flavor === "openpyxl" ? "Microsoft Excel" : "Microsoft Excel";
  const titles = sheets.map((sh) => `<vt:lpstr>${escapeXml(sh.name)}</vt:lpstr>`).join("");
  return (
    `${XML_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">` +
    `<Application>${app}</Application><TitlesOfParts><vt:vector size="${sheets.length}" baseType="lpstr">${titles}</vt:vector></TitlesOfParts></Properties>`
  );
}

/** The small parts that come before the sheets, by entry name (sheets and sharedStrings are added by the callers). */
function fixedParts(s: Settings, sheets: readonly SheetSpec[]): [string, string][] {
  const parts: [string, string][] = [
    ["[Content_Types].xml", contentTypesXml(s, sheets.length)],
    ["_rels/.rels", rootRelsXml(s)],
  ];
  if (hasDocProps(s)) {
    parts.push(["docProps/app.xml", docPropsAppXml(s, sheets)]);
    parts.push(["docProps/core.xml", docPropsCoreXml()]);
  }
  parts.push(["xl/workbook.xml", workbookXml(s, sheets)]);
  parts.push(["xl/_rels/workbook.xml.rels", workbookRelsXml(s, sheets.length)]);
  parts.push(["xl/styles.xml", stylesXml(s)]);
  return parts;
}

function dimensionOf(rows: readonly (readonly CellInput[])[]): string {
  let firstRow = 0;
  let lastRow = 0;
  let firstCol = Infinity;
  let lastCol = 0;
  rows.forEach((cells, i) => {
    const [first, last] = rowExtent(cells);
    if (first < 0) return;
    if (firstRow === 0) firstRow = i + 1;
    lastRow = i + 1;
    firstCol = Math.min(firstCol, first + 1);
    lastCol = Math.max(lastCol, last + 1);
  });
  if (firstRow === 0) return "A1";
  return `${columnName(firstCol)}${firstRow}:${columnName(lastCol)}${lastRow}`;
}

function validateSheets(sheets: readonly SheetSpec[]): void {
  if (sheets.length === 0) throw new TypeError("Cannot write a workbook without sheets");
  const seen = new Set<string>();
  for (const sheet of sheets) {
    if (!sheet.name || sheet.name.length > 31 || /[\\/?*[\]:]/.test(sheet.name)) {
      throw new TypeError(`Cannot use '${sheet.name}' as a sheet name (1-31 characters, none of \\ / ? * [ ] :)`);
    }
    const key = sheet.name.toLowerCase();
    if (seen.has(key)) throw new TypeError(`Cannot use the sheet name '${sheet.name}' twice`);
    seen.add(key);
  }
}

function shuffled<T>(items: readonly T[], mustNotBeFirst: (item: T) => boolean): T[] {
  const out = [...items];
  const rnd = mulberry32(0x5eed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  if (out.length > 1 && mustNotBeFirst(out[0])) out.push(out.shift() as T);
  return out;
}

// ---------------------------------------------------------------------------------------------
// ZIP records
// ---------------------------------------------------------------------------------------------

const U32_MAX = 0xffffffff;
const DOS_TIME = 0; // 00:00:00
const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01: fixed, so output is reproducible
const PADDING_EXTRA_ID = 0xd935; // Android's zipalign padding extra: readers ignore it; we turn it into ZIP64 if needed

interface ZipEntry {
  name: Buffer;
  method: 0 | 8;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
  zip64: boolean;
}

interface ZipOptions {
  method: 0 | 8;
  dataDescriptors: boolean;
  zip64: boolean;
  level: number;
}

function zipOptions(options: WriteOptions): ZipOptions {
  return {
    method: options.compression === "store" ? 0 : 8,
    dataDescriptors: options.dataDescriptors ?? false,
    zip64: options.zip64 ?? false,
    level: options.level ?? 6,
  };
}

/** The local file header. With `reserve`, a 20-byte padding extra that can later become a ZIP64 extra. */
function localHeader(e: ZipEntry, reserve: boolean): Buffer {
  const extraLength = e.zip64 || reserve ? 20 : 0;
  const b = Buffer.alloc(30 + e.name.length + extraLength);
  const descriptor = (e.flags & 8) !== 0;
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(e.zip64 ? 45 : 20, 4);
  b.writeUInt16LE(e.flags, 6);
  b.writeUInt16LE(e.method, 8);
  b.writeUInt16LE(DOS_TIME, 10);
  b.writeUInt16LE(DOS_DATE, 12);
  b.writeUInt32LE(descriptor ? 0 : e.crc, 14);
  b.writeUInt32LE(e.zip64 ? U32_MAX : descriptor ? 0 : e.compressedSize, 18);
  b.writeUInt32LE(e.zip64 ? U32_MAX : descriptor ? 0 : e.size, 22);
  b.writeUInt16LE(e.name.length, 26);
  b.writeUInt16LE(extraLength, 28);
  e.name.copy(b, 30);
  const x = 30 + e.name.length;
  if (e.zip64) {
    b.writeUInt16LE(0x0001, x);
    b.writeUInt16LE(16, x + 2);
    b.writeBigUInt64LE(descriptor ? 0n : BigInt(e.size), x + 4);
    b.writeBigUInt64LE(descriptor ? 0n : BigInt(e.compressedSize), x + 12);
  } else if (reserve) {
    b.writeUInt16LE(PADDING_EXTRA_ID, x);
    b.writeUInt16LE(16, x + 2);
    b.writeUInt16LE(1, x + 4); // zipalign's "alignment" field; the rest is zero padding
  }
  return b;
}

function dataDescriptor(e: ZipEntry): Buffer {
  const b = Buffer.alloc(e.zip64 ? 24 : 16);
  b.writeUInt32LE(0x08074b50, 0);
  b.writeUInt32LE(e.crc, 4);
  if (e.zip64) {
    b.writeBigUInt64LE(BigInt(e.compressedSize), 8);
    b.writeBigUInt64LE(BigInt(e.size), 16);
  } else {
    b.writeUInt32LE(e.compressedSize, 8);
    b.writeUInt32LE(e.size, 12);
  }
  return b;
}

function centralHeader(e: ZipEntry, forceZip64: boolean): Buffer {
  const bigSize = forceZip64 || e.zip64 || e.size > U32_MAX;
  const bigCompressed = forceZip64 || e.zip64 || e.compressedSize > U32_MAX;
  const bigOffset = forceZip64 || e.offset > U32_MAX;
  const extraLength = bigSize || bigCompressed || bigOffset ? 4 + 8 * (+bigSize + +bigCompressed + +bigOffset) : 0;
  const b = Buffer.alloc(46 + e.name.length + extraLength);
  const needs64 = extraLength > 0;
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE(45, 4); // made by: MS-DOS, spec 4.5 (what Excel writes)
  b.writeUInt16LE(needs64 ? 45 : 20, 6);
  b.writeUInt16LE(e.flags, 8);
  b.writeUInt16LE(e.method, 10);
  b.writeUInt16LE(DOS_TIME, 12);
  b.writeUInt16LE(DOS_DATE, 14);
  b.writeUInt32LE(e.crc, 16);
  b.writeUInt32LE(bigCompressed ? U32_MAX : e.compressedSize, 20);
  b.writeUInt32LE(bigSize ? U32_MAX : e.size, 24);
  b.writeUInt16LE(e.name.length, 28);
  b.writeUInt16LE(extraLength, 30);
  b.writeUInt16LE(0, 32); // comment
  b.writeUInt16LE(0, 34); // disk
  b.writeUInt16LE(0, 36); // internal attributes
  b.writeUInt32LE(0, 38); // external attributes
  b.writeUInt32LE(bigOffset ? U32_MAX : e.offset, 42);
  e.name.copy(b, 46);
  if (needs64) {
    let x = 46 + e.name.length;
    b.writeUInt16LE(0x0001, x);
    b.writeUInt16LE(extraLength - 4, x + 2);
    x += 4;
    for (const [big, value] of [[bigSize, e.size], [bigCompressed, e.compressedSize], [bigOffset, e.offset]] as const) {
      if (!big) continue;
      b.writeBigUInt64LE(BigInt(value), x);
      x += 8;
    }
  }
  return b;
}

/** Central directory end: ZIP64 end record + locator when needed or forced, then the classic record. */
function endRecords(count: number, cdOffset: number, cdSize: number, forceZip64: boolean): Buffer {
  const need64 = forceZip64 || count > 0xfffe || cdOffset > U32_MAX || cdSize > U32_MAX;
  const parts: Buffer[] = [];
  if (need64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeUInt32LE(0, 16);
    rec.writeUInt32LE(0, 20);
    rec.writeBigUInt64LE(BigInt(count), 24);
    rec.writeBigUInt64LE(BigInt(count), 32);
    rec.writeBigUInt64LE(BigInt(cdSize), 40);
    rec.writeBigUInt64LE(BigInt(cdOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeUInt32LE(0, 4);
    locator.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(rec, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(need64 ? 0xffff : count, 8);
  end.writeUInt16LE(need64 ? 0xffff : count, 10);
  end.writeUInt32LE(need64 ? U32_MAX : cdSize, 12);
  end.writeUInt32LE(need64 ? U32_MAX : cdOffset, 16);
  end.writeUInt16LE(0, 20);
  parts.push(end);
  return Buffer.concat(parts);
}

/** General-purpose flags: bit 3 for data descriptors, bit 11 when the name needs UTF-8 (APPNOTE 4.4.4). */
function entryFlags(name: Buffer, dataDescriptors: boolean): number {
  return (dataDescriptors ? 8 : 0) | (name.some((b) => b > 0x7f) ? 0x800 : 0);
}

function memoryEntry(name: string, data: Buffer, offset: number, z: ZipOptions): { entry: ZipEntry; bytes: Buffer[] } {
  const payload = z.method === 8 ? zlib.deflateRawSync(data, { level: z.level }) : data;
  const nameBytes = Buffer.from(name, "utf8");
  const entry: ZipEntry = {
    name: nameBytes,
    method: z.method,
    flags: entryFlags(nameBytes, z.dataDescriptors),
    crc: crc32(data),
    compressedSize: payload.length,
    size: data.length,
    offset,
    zip64: z.zip64 || data.length > U32_MAX || payload.length > U32_MAX,
  };
  const bytes = [localHeader(entry, false), payload];
  if (z.dataDescriptors) bytes.push(dataDescriptor(entry));
  return { entry, bytes };
}

// ---------------------------------------------------------------------------------------------
// Public writers
// ---------------------------------------------------------------------------------------------

/**
 * Builds a whole workbook in memory and returns its bytes. For small fixtures; rows are materialised.
 * @example
 * const bytes = xlsxBytes([{ name: "Hoja1", rows: [["id", "name"], [1, "Ñandú"]] }], { flavor: "libreoffice" });
 * writeFileSync("t.xlsx", bytes);
 */
export function xlsxBytes(sheets: SheetSpec[], options: WriteOptions = {}): Uint8Array {
  validateSheets(sheets);
  const s = settingsFor(options);
  const strings = new StringTable();
  const parts: [string, string][] = fixedParts(s, sheets);
  sheets.forEach((sheet, i) => {
    const rows = Array.from(sheet.rows);
    parts.push([`xl/worksheets/sheet${i + 1}.xml`, Array.from(sheetXml(s, strings, rows, dimensionOf(rows))).join("")]);
  });
  if (s.sharedStrings) parts.push(["xl/sharedStrings.xml", sharedStringsXml(s, strings)]);
  const ordered = options.shuffleEntries ? shuffled(parts, (p) => p[0] === "[Content_Types].xml") : parts;
  return zipBytes(ordered.map(([name, data]) => ({ name, data })), options);
}

/** One entry of a ZIP built in memory; `store` overrides the archive's compression for it. */
export interface ZipInput {
  name: string;
  data: string | Uint8Array;
  store?: boolean;
}

/**
 * Builds a ZIP archive in memory from named entries, with the same records as the workbooks
 * (tests use it for archives that are not workbooks, or not valid ones).
 * @example
 * const bytes = zipBytes([{ name: "hello.txt", data: "hi" }], { compression: "store" });
 */
export function zipBytes(inputs: readonly ZipInput[], options: Pick<WriteOptions, "compression" | "dataDescriptors" | "zip64" | "level"> = {}): Uint8Array {
  const z = zipOptions(options);
  const chunks: Buffer[] = [];
  const entries: ZipEntry[] = [];
  let offset = 0;
  for (const input of inputs) {
    const data = typeof input.data === "string" ? Buffer.from(input.data, "utf8") : Buffer.from(input.data);
    const { entry, bytes } = memoryEntry(input.name, data, offset, input.store ? { ...z, method: 0 } : z);
    entries.push(entry);
    for (const b of bytes) {
      chunks.push(b);
      offset += b.length;
    }
  }
  const cdOffset = offset;
  for (const e of entries) {
    const b = centralHeader(e, z.zip64);
    chunks.push(b);
    offset += b.length;
  }
  chunks.push(endRecords(entries.length, cdOffset, offset - cdOffset, z.zip64));
  const out = Buffer.concat(chunks);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Appends to an open file descriptor and remembers the position (entries need their offsets). */
class FileSink {
  position = 0;
  constructor(readonly fd: number) {}
  write(b: Uint8Array): void {
    let done = 0;
    while (done < b.length) done += writeSync(this.fd, b, done, b.length - done, this.position + done);
    this.position += b.length;
  }
  patch(b: Uint8Array, at: number): void {
    let done = 0;
    while (done < b.length) done += writeSync(this.fd, b, done, b.length - done, at + done);
  }
}

/**
 * Writes a workbook to `path`, streaming each sheet's XML through deflate to disk: memory stays flat
 * whatever the sheet size (rows are pulled lazily from each `rows` iterable). Sheet entries carry a
 * 20-byte padding extra field in their local header that becomes a ZIP64 extra if the entry passes
 * 4 GiB; their `<dimension>` is `A1` (a streaming writer cannot know it), except for array rows.
 * @example
 * await writeXlsxFile("/tmp/big.xlsx", matrixWorkbook({ actors: 3000 }));
 */
export async function writeXlsxFile(path: string, sheets: SheetSpec[], options: WriteOptions = {}): Promise<void> {
  validateSheets(sheets);
  const s = settingsFor(options);
  const z = zipOptions(options);
  const strings = new StringTable();
  type Part = { name: string; text?: () => string; sheet?: SheetSpec };
  const parts: Part[] = fixedParts(s, sheets).map(([name, text]) => ({ name, text: () => text }));
  sheets.forEach((sheet, i) => parts.push({ name: `xl/worksheets/sheet${i + 1}.xml`, sheet }));
  if (s.sharedStrings) parts.push({ name: "xl/sharedStrings.xml", text: () => sharedStringsXml(s, strings) });
  let ordered = options.shuffleEntries ? shuffled(parts, (p) => p.name === "[Content_Types].xml") : parts;
  // The shared strings are only known once every sheet is written, so that entry goes after the last sheet.
  const lastSheet = Math.max(...ordered.map((p, i) => (p.sheet ? i : -1)));
  const sstAt = ordered.findIndex((p) => p.name === "xl/sharedStrings.xml");
  if (sstAt >= 0 && sstAt < lastSheet) {
    const [sst] = ordered.splice(sstAt, 1);
    ordered = [...ordered.slice(0, lastSheet), sst, ...ordered.slice(lastSheet)];
  }

  const fd = openSync(path, "w");
  try {
    const sink = new FileSink(fd);
    const entries: ZipEntry[] = [];
    for (const part of ordered) {
      if (part.text) {
        const { entry, bytes } = memoryEntry(part.name, Buffer.from(part.text(), "utf8"), sink.position, z);
        entries.push(entry);
        for (const b of bytes) sink.write(b);
      } else {
        const sheet = part.sheet as SheetSpec;
        const dimension = Array.isArray(sheet.rows) ? dimensionOf(sheet.rows) : "A1";
        entries.push(await streamEntry(sink, part.name, sheetXml(s, strings, sheet.rows, dimension), z));
      }
    }
    const cdOffset = sink.position;
    for (const e of entries) sink.write(centralHeader(e, z.zip64));
    sink.write(endRecords(entries.length, cdOffset, sink.position - cdOffset, z.zip64));
  } catch (error) {
    // A half-written workbook would only mislead the next reader (or benchmark) of this path.
    closeSync(fd);
    rmSync(path, { force: true });
    throw error;
  }
  closeSync(fd);
}

async function streamEntry(sink: FileSink, name: string, chunks: Iterable<string>, z: ZipOptions): Promise<ZipEntry> {
  const nameBytes = Buffer.from(name, "utf8");
  const entry: ZipEntry = {
    name: nameBytes,
    method: z.method,
    flags: entryFlags(nameBytes, z.dataDescriptors),
    crc: 0,
    compressedSize: 0,
    size: 0,
    offset: sink.position,
    zip64: z.zip64,
  };
  const header = localHeader(entry, true);
  sink.write(header);
  const dataStart = sink.position;
  if (z.method === 0) {
    for (const chunk of chunks) {
      const b = Buffer.from(chunk, "utf8");
      entry.crc = crc32(b, entry.crc);
      entry.size += b.length;
      sink.write(b);
    }
  } else {
    const deflate = zlib.createDeflateRaw({ level: z.level, chunkSize: 1 << 18 });
    deflate.on("data", (out: Buffer) => sink.write(out));
    const ended = once(deflate, "end");
    for (const chunk of chunks) {
      const b = Buffer.from(chunk, "utf8");
      entry.crc = crc32(b, entry.crc);
      entry.size += b.length;
      if (!deflate.write(b)) await once(deflate, "drain");
    }
    deflate.end();
    await ended;
  }
  entry.compressedSize = sink.position - dataStart;
  if (entry.size > U32_MAX || entry.compressedSize > U32_MAX) entry.zip64 = true;
  // Rewrite the local header now that CRC and sizes are known (the reserved extra becomes ZIP64 if needed).
  if (!z.dataDescriptors || entry.zip64 !== z.zip64) {
    const finalHeader = localHeader(entry, !entry.zip64);
    sink.patch(finalHeader, entry.offset);
  }
  if (z.dataDescriptors) sink.write(dataDescriptor(entry));
  return entry;
}

// ---------------------------------------------------------------------------------------------
// The users' matrix layout
// ---------------------------------------------------------------------------------------------

/** The letters the users code actors with: Spanish alphabet, Ñ after N (27 letters). */
export const CODE_ALPHABET = "ABCDEFGHIJKLMNÑOPQRSTUVWXYZ";

/**
 * The letter code of the actor at 0-based position `index`: A..N, Ñ, O..Z, then AA, AB, ... AÑ ... as the users write them.
 * @example letterCode(0); // "A"   letterCode(14); // "Ñ"   letterCode(27); // "AA"   letterCode(41); // "AÑ"
 */
export function letterCode(index: number): string {
  let n = index + 1;
  let code = "";
  while (n > 0) {
    const m = (n - 1) % 27;
    code = CODE_ALPHABET[m] + code;
    n = Math.floor((n - 1) / 27);
  }
  return code;
}

/** Options of `matrixPlan()` / `matrixWorkbook()`. */
export interface MatrixOptions {
  /** Number of actors (ids 1..actors). */
  actors: number;
  /** Rows for actors beyond this are left blank (unknown). Default: all. */
  filledActors?: number;
  /** PRNG seed; the same seed gives the same workbook. Default 1. */
  seed?: number;
  /** 1-based cell where the id column and the id row meet (default A1: ids in C1.., A3..). */
  origin?: { row: number; col: number };
  /** Probability of a 1 among filled cells. Default 0.1. */
  density?: number;
  /** How many asymmetric pairs (a marks b, b does not mark a) to create among filled actors, or the exact pairs. */
  asymmetric?: number | readonly (readonly [number, number])[];
  /** Give one actor a different letter code in 'Lista de actores' than in the matrix. */
  codeMismatch?: boolean | { id: number; listCode: string };
  /** Write 0 on the diagonal of blank rows too, as the users' workbook does. */
  diagonalZeros?: boolean;
  /** The actor's name; default: invented Spanish names. */
  name?: (id: number) => string;
}

/** What `matrixWorkbook()` writes, for tests that need the expected values. */
export interface MatrixPlan {
  actors: number;
  filledActors: number;
  /** Matrix letter code of actor `id` (1-based). */
  code(id: number): string;
  /** Letter code in the actor list (differs from `code` for the mismatched actor). */
  listCode(id: number): string;
  name(id: number): string;
  /** The cell at row actor `a`, column actor `b`: 0, 1 or null (blank). */
  cell(a: number, b: number): 0 | 1 | null;
  /** Pairs [a, b] where a's row marks b but b's row does not mark a (both filled). */
  asymmetricPairs: [number, number][];
  /** The actor whose list code differs, if any. */
  mismatch: { id: number; matrixCode: string; listCode: string } | null;
}

const FIRST_NAMES = [
  "María José", "Andrés", "Lucía", "Sebastián", "Valentína", "Julián", "Camila", "Nicolás", "Sofía", "Martín",
  "Íngrid", "Óscar", "Ángela", "Iván", "Mónica", "Tomás", "Verónica", "Simón", "Natalia", "Joaquín",
];
const LAST_NAMES = [
  "Muñoz", "Peña", "Gómez", "Rodríguez", "Núñez", "Castañeda", "Ibáñez", "Martínez", "Ordóñez", "Suárez",
  "Londoño", "Beltrán", "Cárdenas", "Ramírez", "Patiño", "Hernández", "Díaz", "Zúñiga", "Quiñones", "Montaño",
];

function inventedName(id: number, seed: number): string {
  const rnd = mulberry32(seed * 7919 + id);
  const first = FIRST_NAMES[Math.floor(rnd() * FIRST_NAMES.length)];
  const last1 = LAST_NAMES[(id * 7 + Math.floor(rnd() * 3)) % LAST_NAMES.length];
  const last2 = LAST_NAMES[(id * 13 + 5) % LAST_NAMES.length];
  return last1 === last2 ? `${first} ${last1}` : `${first} ${last1} ${last2}`;
}

function pairHash(seed: number, a: number, b: number): number {
  // A stateless hash so any cell can be computed without storing the matrix (a < b).
  let h = (seed ^ Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/**
 * The content of the matrix workbook as functions (nothing is materialised), with the asymmetric pairs and
 * the mismatched code spelled out so tests can compute expected results.
 * @example const plan = matrixPlan({ actors: 50, filledActors: 17, asymmetric: 3 }); plan.cell(1, 2); // 0 | 1 | null
 */
export function matrixPlan(options: MatrixOptions): MatrixPlan {
  const actors = options.actors;
  if (!Number.isInteger(actors) || actors < 1) throw new RangeError(`Cannot build a matrix of ${actors} actors`);
  const filled = Math.min(options.filledActors ?? actors, actors);
  const seed = options.seed ?? 1;
  const density = options.density ?? 0.1;
  const symmetric = (a: number, b: number): 0 | 1 => (pairHash(seed, Math.min(a, b), Math.max(a, b)) < density ? 1 : 0);
  const asym = new Set<number>(); // key a*2^21+b: cell (b, a) is forced to 0 while (a, b) is 1
  const pairs: [number, number][] = [];
  const addPair = (a: number, b: number) => {
    pairs.push([a, b]);
    asym.add(a * 2 ** 21 + b);
  };
  if (typeof options.asymmetric === "number" && options.asymmetric > 0) {
    const rnd = mulberry32(seed ^ 0xa5a5);
    const candidates: [number, number][] = [];
    for (let a = 1; a <= filled; a++) for (let b = a + 1; b <= filled; b++) if (symmetric(a, b) === 1) candidates.push([a, b]);
    for (let k = 0; k < options.asymmetric && candidates.length > 0; k++) {
      const [a, b] = candidates.splice(Math.floor(rnd() * candidates.length), 1)[0];
      if (rnd() < 0.5) addPair(a, b);
      else addPair(b, a);
    }
  } else if (Array.isArray(options.asymmetric)) {
    for (const [a, b] of options.asymmetric as readonly (readonly [number, number])[]) addPair(a, b);
  }
  let mismatch: MatrixPlan["mismatch"] = null;
  if (options.codeMismatch === true) {
    const id = Math.max(1, Math.min(actors, Math.ceil(actors * 0.8)));
    mismatch = { id, matrixCode: letterCode(id - 1), listCode: letterCode(id - 1).toLowerCase() };
  } else if (options.codeMismatch) {
    const { id, listCode } = options.codeMismatch;
    mismatch = { id, matrixCode: letterCode(id - 1), listCode };
  }
  const nameOf = options.name ?? ((id: number) => inventedName(id, seed));
  const cell = (a: number, b: number): 0 | 1 | null => {
    if (a === b) return a <= filled || options.diagonalZeros ? 0 : null;
    if (a > filled) return null;
    if (asym.size > 0) {
      if (asym.has(a * 2 ** 21 + b)) return 1;
      if (asym.has(b * 2 ** 21 + a)) return 0;
    }
    return b <= filled ? symmetric(a, b) : pairHash(seed ^ 0x3c3c, a, b) < density ? 1 : 0;
  };
  return {
    actors,
    filledActors: filled,
    code: (id) => letterCode(id - 1),
    listCode: (id) => (mismatch && mismatch.id === id ? mismatch.listCode : letterCode(id - 1)),
    name: nameOf,
    cell,
    asymmetricPairs: pairs,
    mismatch,
  };
}

/**
 * The users' workbook layout, with lazily produced rows (a 16,384-actor matrix is never held in memory):
 * 'Matriz de adyacencia' has actor ids in row 1 from column C, letter codes in row 2, and per data row
 * the id in column A, the code in column B, then 0/1 cells (blank for actors beyond `filledActors`);
 * 'Lista de actores' has the title 'Lista de actores' in B4, then code | id | name rows from row 5.
 * `origin` moves both tables down/right. Rows are re-iterable (each iteration starts over).
 * @example await writeXlsxFile("m.xlsx", matrixWorkbook({ actors: 50, filledActors: 17, asymmetric: 3 }));
 */
export function matrixWorkbook(options: MatrixOptions): SheetSpec[] {
  const plan = matrixPlan(options);
  const r0 = (options.origin?.row ?? 1) - 1;
  const c0 = (options.origin?.col ?? 1) - 1;
  const n = plan.actors;
  const pad = (): CellInput[] => new Array<CellInput>(c0).fill(null);
  function* matrixRows(): Generator<readonly CellInput[]> {
    for (let i = 0; i < r0; i++) yield [];
    const ids = pad();
    ids.push(null, null);
    for (let id = 1; id <= n; id++) ids.push(id);
    yield ids;
    const codes = pad();
    codes.push(null, null);
    for (let id = 1; id <= n; id++) codes.push(plan.code(id));
    yield codes;
    for (let a = 1; a <= n; a++) {
      const row = pad();
      row.push(a, plan.code(a));
      for (let b = 1; b <= n; b++) row.push(plan.cell(a, b));
      yield row;
    }
  }
  function* listRows(): Generator<readonly CellInput[]> {
    for (let i = 0; i < r0 + 3; i++) yield [];
    const title = pad();
    title.push(null, "Lista de actores");
    yield title;
    for (let id = 1; id <= n; id++) {
      const row = pad();
      row.push(plan.listCode(id), id, plan.name(id));
      yield row;
    }
  }
  return [
    { name: "Matriz de adyacencia", rows: { [Symbol.iterator]: matrixRows } },
    { name: "Lista de actores", rows: { [Symbol.iterator]: listRows } },
  ];
}
