// Finds the workbook inside the ZIP the way OPC says to: [Content_Types].xml (to spot .xlsb),
// _rels/.rels -> the workbook part -> its _rels -> sheets, shared strings and styles.
import { XlsxError } from "./types.ts";
import type { InflateLimits, ZipArchive, ZipEntry } from "./_zip.ts";
import { parseXmlTree, type XmlElement } from "./_xml_tree.ts";

/** Small parts (rels, workbook, styles) larger than this are not real workbooks. */
const SMALL_PART_LIMIT = 64 * 1024 * 1024;

/** A sheet listed in the workbook, with its resolved part (undefined when the link is broken). */
export interface SheetInfo {
  name: string;
  part: string | undefined;
  kind: "worksheet" | "other";
  /** `state="hidden"` or `"veryHidden"` in workbook.xml: Excel does not show it. */
  hidden: boolean;
}

/** What openWorkbook learns up front. */
export interface PackageInfo {
  workbookPart: string;
  date1904: boolean;
  sheets: SheetInfo[];
  sharedStringsPart: string | undefined;
  stylesPart: string | undefined;
}

/**
 * Resolves a relationship target against the folder of the part that owns the rels file.
 * Targets are URIs: percent-escapes are decoded, "/x" is from the package root, ".." goes up.
 * @example resolveTarget("xl/", "worksheets/sheet1.xml"); // "xl/worksheets/sheet1.xml"
 */
export function resolveTarget(baseDir: string, target: string, decode = true): string {
  let t = target.replace(/\\/g, "/");
  if (decode) {
    try {
      t = decodeURIComponent(t);
    } catch {
      // not valid percent-encoding: use it as written
    }
  }
  const path = t.startsWith("/") ? t.slice(1) : baseDir + t;
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return out.join("/");
}

function dirOf(part: string): string {
  const i = part.lastIndexOf("/");
  return i < 0 ? "" : part.slice(0, i + 1);
}

function relsPartOf(part: string): string {
  const i = part.lastIndexOf("/");
  return `${part.slice(0, i + 1)}_rels/${part.slice(i + 1)}.rels`;
}

/**
 * Reads a small part (rels, workbook, styles) with `parse`, its inflate limits capped at
 * SMALL_PART_LIMIT; undefined when the entry does not exist.
 */
export async function readSmallPart<T>(
  zip: ZipArchive,
  name: string,
  limits: InflateLimits,
  parse: (chunks: AsyncIterable<Buffer>, part: string, file: string) => Promise<T>,
): Promise<T | undefined> {
  const entry = zip.entry(name);
  if (!entry) return undefined;
  return parse(zip.stream(entry, smallPartLimits(limits)), entry.name, zip.file);
}

/** The inflate limits of a small part: `limits`, capped at SMALL_PART_LIMIT. */
function smallPartLimits(limits: InflateLimits): InflateLimits {
  return { maxEntryBytes: Math.min(limits.maxEntryBytes, SMALL_PART_LIMIT), maxRatio: limits.maxRatio };
}

interface Rel {
  type: string;
  target: string;
  external: boolean;
}

async function readRels(zip: ZipArchive, ownerPart: string, limits: InflateLimits): Promise<Map<string, Rel> | undefined> {
  const root = await readSmallPart(zip, ownerPart === "" ? "_rels/.rels" : relsPartOf(ownerPart), limits, parseXmlTree);
  if (!root) return undefined;
  const rels = new Map<string, Rel>();
  for (const r of root.all("Relationship")) {
    const id = r.attr("Id");
    const target = r.attr("Target");
    if (id === undefined || target === undefined) continue;
    rels.set(id, { type: r.attr("Type") ?? "", target, external: r.attr("TargetMode") === "External" });
  }
  return rels;
}

/** The entry for a resolved part name, also trying the target as literally written. */
export function findPart(zip: ZipArchive, baseDir: string, target: string): ZipEntry | undefined {
  // ZIP tools differ on whether the stored name keeps the URI's percent-escapes: try both.
  return zip.entry(resolveTarget(baseDir, target)) ?? zip.entry(resolveTarget(baseDir, target, false));
}

function relTypeIs(type: string, name: string): boolean {
  return type.endsWith(`/${name}`);
}

/**
 * Reads content types, package rels, the workbook and its rels.
 * @example const info = await readPackage(zip, limits); info.sheets.map((s) => s.name);
 */
export async function readPackage(zip: ZipArchive, limits: InflateLimits): Promise<PackageInfo> {
  const file = zip.file;
  const xlsb = () =>
    new XlsxError("xlsb", `Cannot read ${file}: it is a binary .xlsb workbook renamed to .xlsx. Open it in Excel and save it as .xlsx (Excel Workbook).`, file);
  const contentTypes = await readSmallPart(zip, "[Content_Types].xml", limits, parseXmlTree);
  if (zip.entry("xl/workbook.bin") && !zip.entry("xl/workbook.xml")) throw xlsb();
  for (const el of contentTypes?.children ?? []) {
    // Only the main part counts: an .xlsx may embed an .xlsb object (its own "sheet.binary" type).
    const ct = el.attr("ContentType") ?? "";
    if (el.name === "Override" && ct.includes("sheet.binary") && ct.endsWith(".main")) throw xlsb();
  }

  let workbookPart: string | undefined;
  const pkgRels = await readRels(zip, "", limits);
  for (const rel of pkgRels?.values() ?? []) {
    if (relTypeIs(rel.type, "officeDocument") && !rel.external) {
      workbookPart = findPart(zip, "", rel.target)?.name ?? resolveTarget("", rel.target);
      break;
    }
  }
  if (workbookPart === undefined && zip.entry("xl/workbook.xml")) workbookPart = zip.entry("xl/workbook.xml")?.name;
  if (workbookPart !== undefined && workbookPart.toLowerCase().endsWith(".bin")) throw xlsb();
  const wbRoot = workbookPart === undefined ? undefined : await readSmallPart(zip, workbookPart, limits, parseXmlTree);
  if (workbookPart === undefined || wbRoot === undefined || wbRoot.name !== "workbook") {
    const what = zip.entry("word/document.xml") ? " (it looks like a Word document)" : zip.entry("ppt/presentation.xml") ? " (it looks like a PowerPoint file)" : "";
    throw new XlsxError("not-workbook", `Cannot read ${file}: it is a ZIP file but not an Excel workbook${what}.`, file);
  }

  const pr = wbRoot.first("workbookPr");
  const d1904 = pr?.attr("date1904");
  const date1904 = d1904 === "1" || d1904 === "true";
  const baseDir = dirOf(workbookPart);
  const rels = (await readRels(zip, workbookPart, limits)) ?? new Map<string, Rel>();

  const sheets: SheetInfo[] = [];
  for (const s of wbRoot.first("sheets")?.all("sheet") ?? []) {
    const name = s.attr("name");
    if (name === undefined) continue;
    const rel = rels.get(s.attr("id") ?? "");
    const part = rel && !rel.external ? (findPart(zip, baseDir, rel.target)?.name ?? resolveTarget(baseDir, rel.target)) : undefined;
    const state = s.attr("state");
    const hidden = state === "hidden" || state === "veryHidden";
    sheets.push({ name, part, kind: rel === undefined || relTypeIs(rel.type, "worksheet") ? "worksheet" : "other", hidden });
  }

  let sharedStringsPart: string | undefined;
  let stylesPart: string | undefined;
  for (const rel of rels.values()) {
    if (rel.external) continue;
    if (relTypeIs(rel.type, "sharedStrings")) sharedStringsPart = findPart(zip, baseDir, rel.target)?.name;
    else if (relTypeIs(rel.type, "styles")) stylesPart = findPart(zip, baseDir, rel.target)?.name;
  }
  if (rels.size === 0) {
    // No workbook rels at all: fall back to the conventional names.
    sharedStringsPart = zip.entry(`${baseDir}sharedStrings.xml`)?.name;
    stylesPart = zip.entry(`${baseDir}styles.xml`)?.name;
  }
  return { workbookPart, date1904, sheets, sharedStringsPart, stylesPart };
}
