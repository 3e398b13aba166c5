/**
 * A small `.xlsx` writer for tests, benchmarks and the bundled samples (the ZIP packing is
 * zip_writer.ts; the users' matrix layout is matrix_workbook.ts). It is deliberately able to write the variants real writers produce (Excel,
 * LibreOffice, openpyxl, inline strings, Google Sheets; stored entries, data descriptors, ZIP64,
 * shuffled entry order, strict-OOXML namespaces, rows and cells without `r=`) so the reader can be
 * tested against all of them without committing foreign binary files.
 *
 * `xlsxBytes()` builds a small workbook in memory. `writeXlsxFile()` streams each sheet's XML
 * through a deflate stream straight to disk, so a 16,384 x 16,384 matrix never exists in memory.
 */
import { escapeHtml } from "../../api/web/html.js";
import { mulberry32 } from "./random.ts";
import { writeZipFile, zipBytes, type ZipPart, type ZipWriteOptions } from "./zip_writer.ts";

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
  /** No `value`: the formula alone, as a library writes it that does not calculate (openpyxl). */
  | { formula: string; value?: number | string | boolean | { error: string } }
  | null
  | undefined;

/** A sheet: `rows[0]` is row 1, column index 0 is column A; an empty array is an empty (omitted) row. */
export interface SheetSpec {
  name: string;
  rows: Iterable<readonly CellInput[]>;
  /** Written as the sheet's `state` in workbook.xml; absent = visible. */
  state?: "hidden" | "veryHidden";
  /** Merged ranges (`"A2:A3"`), written as Excel does: `<mergeCells>` after `sheetData`, the value only in the top-left cell (leave the others blank in `rows`). */
  merges?: readonly string[];
}

/** Which application's habits to imitate. */
export type Flavor = "excel" | "libreoffice" | "openpyxl" | "inline" | "google";

/** How to write the workbook. Everything is optional; the default is an Excel-like deflated file. */
export interface WriteOptions extends ZipWriteOptions {
  flavor?: Flavor;
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
}

// ---------------------------------------------------------------------------------------------
// Small helpers: column names, XML escaping
// ---------------------------------------------------------------------------------------------

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
const HAS_XML_ESCAPE = /[&<>"']/;

/**
 * Escapes text for XML element content or attribute values, with OOXML `_xHHHH_` escapes for control characters.
 * @example escapeXml('a<b & "c"\u0001'); // 'a&lt;b &amp; &quot;c&quot;_x0001_'
 */
export function escapeXml(text: string): string {
  let out = text;
  if (HAS_OOXML_ESCAPE.test(out)) {
    out = out.replace(OOXML_ESCAPE, (ch) => `_x${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}_`);
  }
  if (HAS_XML_ESCAPE.test(out)) out = escapeHtml(out);
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
/** Serial 0 for 1900-01-01 to 1900-02-28 (serials 1-59), before the phantom 29 Feb 1900 (serial 60). */
const EPOCH_1900_EARLY = Date.UTC(1899, 11, 31);
const JAN_1900 = Date.UTC(1900, 0, 1);
const MAR_1900 = Date.UTC(1900, 2, 1);
const EPOCH_1904 = Date.UTC(1904, 0, 1);

/**
 * Excel's serial of `date`, as etl/xlsx's `excelSerialToDate()` reads it back: 1900-01-01 is 1 and
 * 1900-03-01 is 61 (before, every date counted from 1899-12-30 and January-February 1900 came one day late).
 */
function dateSerial(date: Date, date1904: boolean): number {
  const t = date.getTime();
  const epoch = date1904 ? EPOCH_1904 : t >= JAN_1900 && t < MAR_1900 ? EPOCH_1900_EARLY : EPOCH_1900;
  return (t - epoch) / 86_400_000;
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
    if (result === undefined) return cellElement(s, ref, "", f);
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
function* sheetXml(s: Settings, strings: StringTable, rows: Iterable<readonly CellInput[]>, dimension: string, merges: readonly string[] = []): Generator<string> {
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
  if (merges.length > 0) buf += `<${p}mergeCells count="${merges.length}">${merges.map((ref) => `<${p}mergeCell ref="${ref}"/>`).join("")}</${p}mergeCells>`;
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
    const state = sheet.state ? ` state="${sheet.state}"` : "";
    xml += `<${p}sheet name="${escapeXml(sheet.name)}" sheetId="${i + 1}"${state} r:id="rId${i + 1}"/>`;
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
    parts.push([`xl/worksheets/sheet${i + 1}.xml`, Array.from(sheetXml(s, strings, rows, dimensionOf(rows), sheet.merges)).join("")]);
  });
  if (s.sharedStrings) parts.push(["xl/sharedStrings.xml", sharedStringsXml(s, strings)]);
  const ordered = options.shuffleEntries ? shuffled(parts, (p) => p[0] === "[Content_Types].xml") : parts;
  return zipBytes(ordered.map(([name, data]) => ({ name, data })), options);
}

/**
 * Writes a workbook to `path`, streaming each sheet's XML through deflate to disk: memory stays flat
 * whatever the sheet size (rows are pulled lazily from each `rows` iterable). Sheet `<dimension>`s
 * are `A1` (a streaming writer cannot know them), except for array rows.
 * @example
 * await writeXlsxFile("/tmp/big.xlsx", matrixWorkbook({ actors: 3000 }));
 */
export async function writeXlsxFile(path: string, sheets: SheetSpec[], options: WriteOptions = {}): Promise<void> {
  validateSheets(sheets);
  const s = settingsFor(options);
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
  const zipParts = ordered.map((part): ZipPart => {
    if (part.text) {
      const text = part.text;
      return { name: part.name, data: () => Buffer.from(text(), "utf8") };
    }
    const sheet = part.sheet as SheetSpec;
    const dimension = Array.isArray(sheet.rows) ? dimensionOf(sheet.rows) : "A1";
    return { name: part.name, chunks: () => sheetXml(s, strings, sheet.rows, dimension, sheet.merges) };
  });
  await writeZipFile(path, zipParts, options);
}
