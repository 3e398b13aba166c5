// Test-only helpers: temp files, reading a whole sheet into plain values, and hand-made ZIPs for
// the cases the shared fixture writer does not produce (odd XML, broken archives).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { zipBytes, type ZipInput } from "./zip_writer.ts";
import { CellError, openWorkbook, type CellValue, type ReaderOptions } from "../../etl/xlsx/mod.ts";

/** A temp folder removed by `cleanup()`. */
export function tempDir(): { dir: string; path: (name: string) => string; write: (name: string, bytes: Uint8Array) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "xlsx-test-"));
  return {
    dir,
    path: (name) => join(dir, name),
    write: (name, bytes) => {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A cell value in a form assert.deepEqual compares well (errors as { error }, dates as ISO). */
export type Plain = number | string | boolean | { error: string } | { date: string };

function plain(v: CellValue): Plain {
  if (v instanceof CellError) return { error: v.code };
  if (v instanceof Date) return { date: v.toISOString() };
  return v;
}

/** Reads every sheet fully: `{ sheet: { "A1": value, ... } }`, also checking refs agree with row/col. */
export async function readAll(path: string, options?: ReaderOptions): Promise<Record<string, Record<string, Plain>>> {
  const wb = await openWorkbook(path, options);
  try {
    const out: Record<string, Record<string, Plain>> = {};
    for (const name of wb.sheetNames) {
      const cells: Record<string, Plain> = {};
      for await (const row of wb.rows(name)) {
        for (const c of row.cells) {
          if (c.row !== row.row) throw new Error(`cell ${c.ref} is in row ${row.row}`);
          const bang = c.ref.lastIndexOf("!");
          cells[c.ref.slice(bang + 1)] = plain(c.value);
        }
      }
      out[name] = cells;
    }
    return out;
  } finally {
    await wb.close();
  }
}

/** One entry of a hand-made ZIP. */
export type RawEntry = ZipInput;

/** Builds a ZIP archive (deflate by default) from entries, with the shared writer's records. */
export function makeZip(entries: RawEntry[]): Buffer {
  return Buffer.from(zipBytes(entries));
}

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/** Parts of a minimal hand-made workbook; sheets are raw `<sheetData>` contents or whole documents. */
export interface HandmadeOptions {
  /** `chart`: a chart sheet (its `xml` is ignored), which holds no cells. */
  sheets: { name: string; xml: string; target?: string; chart?: boolean }[];
  sharedStrings?: string;
  styles?: string;
  workbookPr?: string;
  /** Replace the generated workbook.xml entirely. */
  workbookXml?: string;
  extra?: RawEntry[];
  workbookPath?: string;
  /** More `<Default>`/`<Override>` elements for [Content_Types].xml. */
  contentTypes?: string;
}

/** Wraps `<sheetData>` rows in a worksheet document. */
export function sheetDoc(rows: string): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet ${NS}><dimension ref="A1:B2"/><sheetData>${rows}</sheetData></worksheet>`;
}

function sheetTarget(s: HandmadeOptions["sheets"][number], i: number): string {
  return s.target ?? (s.chart ? `chartsheets/sheet${i + 1}.xml` : `worksheets/sheet${i + 1}.xml`);
}

/** A minimal valid .xlsx built by hand, for XML shapes the fixture writer never writes. */
export function handmadeXlsx(o: HandmadeOptions): Buffer {
  const wbPath = o.workbookPath ?? "xl/workbook.xml";
  const wbDir = wbPath.slice(0, wbPath.lastIndexOf("/") + 1);
  const wbName = wbPath.slice(wbDir.length);
  const entries: RawEntry[] = [];
  entries.push({
    name: "[Content_Types].xml",
    data: `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override PartName="/${wbPath}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>${o.contentTypes ?? ""}</Types>`,
  });
  entries.push({ name: "_rels/.rels", data: `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="/${wbPath}"/></Relationships>` });
  const sheetsXml = o.sheets.map((s, i) => `<sheet name="${s.name}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join("");
  entries.push({ name: wbPath, data: o.workbookXml ?? `<?xml version="1.0"?><workbook ${NS}>${o.workbookPr ?? ""}<sheets>${sheetsXml}</sheets></workbook>` });
  let rels = o.sheets.map((s, i) => `<Relationship Id="rId${i + 1}" Type="${REL}/${s.chart ? "chartsheet" : "worksheet"}" Target="${sheetTarget(s, i)}"/>`).join("");
  if (o.sharedStrings !== undefined) rels += `<Relationship Id="rIdS" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/>`;
  if (o.styles !== undefined) rels += `<Relationship Id="rIdT" Type="${REL}/styles" Target="styles.xml"/>`;
  entries.push({ name: `${wbDir}_rels/${wbName}.rels`, data: `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${rels}</Relationships>` });
  o.sheets.forEach((s, i) => {
    const target = sheetTarget(s, i);
    const name = target.startsWith("/") ? target.slice(1) : posix.normalize(wbDir + decodeURIComponent(target));
    const data = s.chart ? `<?xml version="1.0"?><chartsheet ${NS}><sheetViews><sheetView workbookViewId="0"/></sheetViews></chartsheet>` : s.xml.includes("<worksheet") || s.xml.includes(":worksheet") ? s.xml : sheetDoc(s.xml);
    entries.push({ name, data });
  });
  if (o.sharedStrings !== undefined) entries.push({ name: `${wbDir}sharedStrings.xml`, data: `<?xml version="1.0"?><sst ${NS}>${o.sharedStrings}</sst>` });
  if (o.styles !== undefined) entries.push({ name: `${wbDir}styles.xml`, data: `<?xml version="1.0"?><styleSheet ${NS}>${o.styles}</styleSheet>` });
  entries.push(...(o.extra ?? []));
  return makeZip(entries);
}
