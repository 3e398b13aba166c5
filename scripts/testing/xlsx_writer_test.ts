import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { crc32, inflateRawSync } from "node:zlib";
import { columnName, escapeXml, writeXlsxFile, xlsxBytes, type CellInput, type Flavor, type SheetSpec, type WriteOptions } from "./xlsx_writer.ts";
import { letterCode, matrixPlan, matrixWorkbook } from "./matrix_workbook.ts";
import { openWorkbook } from "../../etl/xlsx/mod.ts";

// A deliberately independent, minimal ZIP reader: it checks our output structurally (central directory,
// local headers, ZIP64 records, data descriptors, CRCs) without trusting the writer's own code.
interface ParsedEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  localExtraIds: number[];
  centralExtraIds: number[];
  zip64Local: boolean;
  data: Buffer;
  descriptor: boolean;
}
interface ParsedZip {
  entries: ParsedEntry[];
  zip64End: boolean;
}

function readZip(bytes: Uint8Array): ParsedZip {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let eocd = b.length - 22;
  while (eocd >= 0 && b.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  assert.ok(eocd >= 0, "end of central directory record");
  let count = b.readUInt16LE(eocd + 10);
  let cdSize = b.readUInt32LE(eocd + 12);
  let cdOffset = b.readUInt32LE(eocd + 16);
  let zip64End = false;
  if (eocd >= 20 && b.readUInt32LE(eocd - 20) === 0x07064b50) {
    const rec = Number(b.readBigUInt64LE(eocd - 20 + 8));
    assert.equal(b.readUInt32LE(rec), 0x06064b50, "ZIP64 end record signature");
    count = Number(b.readBigUInt64LE(rec + 32));
    cdSize = Number(b.readBigUInt64LE(rec + 40));
    cdOffset = Number(b.readBigUInt64LE(rec + 48));
    zip64End = true;
  }
  const entries: ParsedEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    assert.equal(b.readUInt32LE(p), 0x02014b50, `central header ${i}`);
    const flags = b.readUInt16LE(p + 8);
    const method = b.readUInt16LE(p + 10);
    const crc = b.readUInt32LE(p + 16);
    let compressed = b.readUInt32LE(p + 20);
    let size = b.readUInt32LE(p + 24);
    const nameLen = b.readUInt16LE(p + 28);
    const extraLen = b.readUInt16LE(p + 30);
    const commentLen = b.readUInt16LE(p + 32);
    let offset = b.readUInt32LE(p + 42);
    const name = b.toString("utf8", p + 46, p + 46 + nameLen);
    const centralExtraIds: number[] = [];
    for (let x = p + 46 + nameLen; x < p + 46 + nameLen + extraLen; ) {
      const id = b.readUInt16LE(x);
      const len = b.readUInt16LE(x + 2);
      centralExtraIds.push(id);
      if (id === 1) {
        let y = x + 4;
        if (size === 0xffffffff) (size = Number(b.readBigUInt64LE(y)), (y += 8));
        if (compressed === 0xffffffff) (compressed = Number(b.readBigUInt64LE(y)), (y += 8));
        if (offset === 0xffffffff) offset = Number(b.readBigUInt64LE(y));
      }
      x += 4 + len;
    }
    p += 46 + nameLen + extraLen + commentLen;
    assert.equal(b.readUInt32LE(offset), 0x04034b50, `local header of ${name}`);
    const lNameLen = b.readUInt16LE(offset + 26);
    const lExtraLen = b.readUInt16LE(offset + 28);
    assert.equal(b.toString("utf8", offset + 30, offset + 30 + lNameLen), name, "local name = central name");
    assert.equal(b.readUInt16LE(offset + 6), flags, `local flags of ${name}`);
    const localExtraIds: number[] = [];
    for (let x = offset + 30 + lNameLen; x < offset + 30 + lNameLen + lExtraLen; x += 4 + b.readUInt16LE(x + 2)) {
      localExtraIds.push(b.readUInt16LE(x));
    }
    const descriptor = (flags & 8) !== 0;
    if (!descriptor) {
      assert.equal(b.readUInt32LE(offset + 14), crc, `local CRC of ${name}`);
      if (!localExtraIds.includes(1)) assert.equal(b.readUInt32LE(offset + 18), compressed, `local size of ${name}`);
    }
    const start = offset + 30 + lNameLen + lExtraLen;
    const raw = b.subarray(start, start + compressed);
    if (descriptor) {
      assert.equal(b.readUInt32LE(start + compressed), 0x08074b50, `data descriptor of ${name}`);
      assert.equal(b.readUInt32LE(start + compressed + 4), crc, `descriptor CRC of ${name}`);
    }
    const data = method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
    assert.equal(data.length, size, `size of ${name}`);
    assert.equal(crc32(data), crc, `CRC of ${name}`);
    entries.push({ name, method, flags, crc, localExtraIds, centralExtraIds, zip64Local: localExtraIds.includes(1), data, descriptor });
  }
  assert.equal(p - cdOffset, cdSize, "central directory size");
  return { entries, zip64End };
}

function part(zip: ParsedZip, name: string): string {
  const entry = zip.entries.find((e) => e.name === name);
  assert.ok(entry, `entry ${name} exists (have ${zip.entries.map((e) => e.name).join(", ")})`);
  return entry.data.toString("utf8");
}

const hasUnzip = spawnSync("unzip", ["-v"]).status === 0;

/** `unzip -t` must accept the file, when unzip is installed. */
function unzipAccepts(path: string): void {
  if (!hasUnzip) return;
  const r = spawnSync("unzip", ["-tq", path], { encoding: "utf8" });
  assert.equal(r.status, 0, `unzip -t ${path}: ${r.stdout}${r.stderr}`);
}

function withTempDir(fn: (dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "xlsx-writer-"));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const sampleRows: CellInput[][] = [
  ["id", "name", null, "note"],
  [],
  [1, "Ñandú & <Peña>", true, new Date(Date.UTC(2024, 0, 2))],
  [{ error: "#N/A" }, { formula: 'A1&"x"', value: "idx" }, 3.5e-7, " spaced "],
  [{ formula: "1/0", value: { error: "#DIV/0!" } }, { formula: "1+1", value: 2 }, false, "ctl\u0001_x0041_"],
];
const sheets = (): SheetSpec[] => [
  { name: "Hoja & 1", rows: sampleRows },
  { name: "Lista de actores", rows: [[null, "Lista de actores"], ["Ñ", 15, "José Núñez"]] },
];

test("columnName() and letterCode() spell columns and the users' codes", () => {
  assert.deepEqual([1, 26, 27, 52, 703, 16384].map(columnName), ["A", "Z", "AA", "AZ", "AAA", "XFD"]);
  assert.deepEqual([0, 13, 14, 15, 26, 27, 40, 41, 42].map(letterCode), ["A", "N", "Ñ", "O", "Z", "AA", "AN", "AÑ", "AO"]);
});

test("escapeXml() escapes markup, quotes, control characters and literal _xHHHH_", () => {
  assert.equal(escapeXml(`a<b & "c" 'd'>`), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
  assert.equal(escapeXml("x\u0001y\u001Fz"), "x_x0001_y_x001F_z");
  assert.equal(escapeXml("_x0041_ and _x_"), "_x005F_x0041_ and _x_");
  assert.equal(escapeXml("tab\tnewline\n"), "tab\tnewline\n");
});

test("xlsxBytes() writes every flavor as a valid ZIP with the parts that writer produces", async (t) => {
  const flavors: Flavor[] = ["excel", "libreoffice", "openpyxl", "inline", "google"];
  for (const flavor of flavors) {
    await t.test(flavor, withTempDir((dir) => {
      const bytes = xlsxBytes(sheets(), { flavor });
      const path = join(dir, `${flavor}.xlsx`);
      writeFileSync(path, bytes);
      unzipAccepts(path);
      const zip = readZip(bytes);
      assert.equal(zip.entries[0].name, "[Content_Types].xml");
      const names = zip.entries.map((e) => e.name);
      assert.ok(names.includes("xl/workbook.xml") && names.includes("xl/styles.xml") && names.includes("xl/worksheets/sheet2.xml"));
      assert.equal(names.includes("xl/sharedStrings.xml"), flavor !== "inline");
      assert.equal(names.includes("docProps/core.xml"), ["excel", "libreoffice", "openpyxl"].includes(flavor));
      const sheet = part(zip, "xl/worksheets/sheet1.xml");
      const workbook = part(zip, "xl/workbook.xml");
      assert.match(workbook, /<sheet name="Hoja &amp; 1" sheetId="1" r:id="rId1"\/>/);
      assert.match(part(zip, "xl/_rels/workbook.xml.rels"), flavor === "openpyxl" ? /Target="\/xl\/worksheets\/sheet1.xml"/ : /Target="worksheets\/sheet1.xml"/);
      // Dates are serial numbers with a style whose cellXfs entry has a date format.
      const dateCell = /<c r="D3" s="(\d+)"><v>45293<\/v><\/c>/.exec(sheet);
      assert.ok(dateCell, "date cell D3");
      const xfs = /<cellXfs count="\d+">(.*?)<\/cellXfs>/.exec(part(zip, "xl/styles.xml"))![1].match(/<xf [^>]*>/g)!;
      const numFmtId = Number(/numFmtId="(\d+)"/.exec(xfs[Number(dateCell[1])])![1]);
      assert.ok([14, 22, 164].includes(numFmtId), `date numFmtId ${numFmtId}`);
      assert.match(sheet, /<c r="C3" t="b"><v>1<\/v><\/c>/);
      assert.match(sheet, /<c r="A4" t="e"><v>#N\/A<\/v><\/c>/);
      assert.match(sheet, /<c r="B4" t="str"><f>A1&amp;&quot;x&quot;<\/f><v>idx<\/v><\/c>/);
      assert.match(sheet, flavor === "google" ? /<c r="A5" t="str"><f>1\/0<\/f><v>#DIV\/0!<\/v>/ : /<c r="A5" t="e"><f>1\/0<\/f><v>#DIV\/0!<\/v>/);
      assert.match(sheet, /<c r="B5"><f>1\+1<\/f><v>2<\/v><\/c>/);
      assert.doesNotMatch(sheet, /r="2"/, "the empty row is omitted");
      if (flavor === "inline") {
        assert.match(sheet, /<c r="B3" t="inlineStr"><is><t>Ñandú &amp; &lt;Peña&gt;<\/t><\/is><\/c>/);
        assert.match(sheet, /<t xml:space="preserve"> spaced <\/t>/);
        assert.match(sheet, /<t>ctl_x0001__x005F_x0041_<\/t>/);
      } else {
        const sst = part(zip, "xl/sharedStrings.xml");
        assert.match(sst, /<si><t>Ñandú &amp; &lt;Peña&gt;<\/t><\/si>/);
        assert.match(sst, /uniqueCount="\d+"/);
        assert.match(sheet, flavor === "libreoffice" ? /<c r="B3" s="0" t="s"><v>\d+<\/v><\/c>/ : /<c r="B3" t="s"><v>\d+<\/v><\/c>/);
      }
      if (flavor === "libreoffice") assert.match(sheet, /<c r="A3" s="0" t="n"><v>1<\/v><\/c>/);
      if (flavor === "excel") assert.match(sheet, /<dimension ref="A1:D5"\/>/);
      if (flavor === "google") assert.doesNotMatch(sheet, /<dimension/);
    }));
  }
});

test("xlsxBytes() options change the ZIP container as asked", async (t) => {
  const variants: [string, WriteOptions, (zip: ParsedZip) => void][] = [
    ["stored entries", { compression: "store" }, (zip) => assert.ok(zip.entries.every((e) => e.method === 0))],
    ["deflated entries", {}, (zip) => assert.ok(zip.entries.every((e) => e.method === 8 && !e.descriptor && !zip.zip64End))],
    ["data descriptors", { dataDescriptors: true }, (zip) => assert.ok(zip.entries.every((e) => e.descriptor && (e.flags & 8) === 8))],
    ["forced ZIP64", { zip64: true }, (zip) => {
      assert.ok(zip.zip64End);
      assert.ok(zip.entries.every((e) => e.zip64Local && e.centralExtraIds.includes(1)));
    }],
    ["ZIP64 + data descriptors + stored", { zip64: true, dataDescriptors: true, compression: "store" }, (zip) => {
      assert.ok(zip.zip64End && zip.entries.every((e) => e.descriptor && e.zip64Local && e.method === 0));
    }],
    ["shuffled entries", { shuffleEntries: true }, (zip) => {
      assert.notEqual(zip.entries[0].name, "[Content_Types].xml");
      assert.deepEqual(zip.entries.map((e) => e.name).sort(), readZip(xlsxBytes(sheets())).entries.map((e) => e.name).sort());
    }],
  ];
  for (const [label, options, check] of variants) {
    await t.test(label, withTempDir((dir) => {
      const bytes = xlsxBytes(sheets(), options);
      writeFileSync(join(dir, "v.xlsx"), bytes);
      unzipAccepts(join(dir, "v.xlsx"));
      const zip = readZip(bytes);
      check(zip);
      assert.match(part(zip, "xl/worksheets/sheet1.xml"), /<c r="C3" t="b"><v>1<\/v><\/c>/);
    }));
  }
});

test("xlsxBytes() options change the XML as asked", async (t) => {
  await t.test("date1904 shifts serials and flags the workbook", () => {
    const zip = readZip(xlsxBytes(sheets(), { date1904: true }));
    assert.match(part(zip, "xl/workbook.xml"), /<workbookPr date1904="1"\/>/);
    assert.match(part(zip, "xl/worksheets/sheet1.xml"), /<c r="D3" s="1"><v>43831<\/v><\/c>/);
  });
  await t.test("dates before 1 March 1900 get Excel's serials (1 is 1900-01-01, 60 the phantom 29 Feb) (review)", async () => {
    // Before: every date was counted from 1899-12-30, so 1900-01-01 was written as serial 2 and read
    // back (as Excel shows it) as 1900-01-02: each test date before March 1900 one day late.
    const days = ["1900-01-01", "1900-01-25", "1900-02-28", "1900-03-01", "1899-12-30T12:00:00"].map((d) => new Date(`${d}Z`));
    const bytes = xlsxBytes([{ name: "S", rows: [days] }]);
    const xml = part(readZip(bytes), "xl/worksheets/sheet1.xml");
    assert.deepEqual([...xml.matchAll(/<v>([^<]*)<\/v>/g)].map((m) => Number(m[1])), [1, 25, 59, 61, 0.5]);
    const dir = mkdtempSync(join(tmpdir(), "xlsx-writer-dates-"));
    try {
      writeFileSync(join(dir, "d.xlsx"), bytes);
      const wb = await openWorkbook(join(dir, "d.xlsx"));
      const read: string[] = [];
      for await (const row of wb.rows("S")) for (const c of row.cells) read.push((c.value as Date).toISOString());
      await wb.close();
      assert.deepEqual(read, days.map((d) => d.toISOString()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await t.test("isoDates writes t=\"d\"", () => {
    const zip = readZip(xlsxBytes(sheets(), { isoDates: true }));
    assert.match(part(zip, "xl/worksheets/sheet1.xml"), /<c r="D3" s="1" t="d"><v>2024-01-02T00:00:00.000Z<\/v><\/c>/);
  });
  await t.test("strict uses the purl.oclc.org namespaces everywhere", () => {
    const zip = readZip(xlsxBytes(sheets(), { strict: true }));
    for (const name of ["xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml"]) {
      assert.match(part(zip, name), /xmlns="http:\/\/purl\.oclc\.org\/ooxml\/spreadsheetml\/main"/, name);
    }
    assert.match(part(zip, "_rels/.rels"), /Type="http:\/\/purl\.oclc\.org\/ooxml\/officeDocument\/relationships\/officeDocument"/);
    assert.match(part(zip, "xl/_rels/workbook.xml.rels"), /relationships\/worksheet"/);
    assert.doesNotMatch(part(zip, "xl/workbook.xml"), /schemas\.openxmlformats\.org\/spreadsheetml/);
  });
  await t.test("omitRowRefs/omitCellRefs keep positions with <row/> and <c/> placeholders", () => {
    const zip = readZip(xlsxBytes([{ name: "S", rows: [[null, null, 1], [], ["x", null, 2]] }], { omitRowRefs: true, omitCellRefs: true, flavor: "openpyxl" }));
    const data = /<sheetData>(.*)<\/sheetData>/.exec(part(zip, "xl/worksheets/sheet1.xml"))![1];
    assert.equal(data, '<row><c/><c/><c><v>1</v></c></row><row/><row><c t="s"><v>0</v></c><c/><c><v>2</v></c></row>');
  });
  await t.test("'some' omits every other reference", () => {
    const zip = readZip(xlsxBytes([{ name: "S", rows: [[1, 2, 3], [4], [5]] }], { omitRowRefs: "some", omitCellRefs: "some", flavor: "openpyxl" }));
    const data = /<sheetData>(.*)<\/sheetData>/.exec(part(zip, "xl/worksheets/sheet1.xml"))![1];
    assert.equal(data, '<row r="1"><c r="A1"><v>1</v></c><c><v>2</v></c><c r="C1"><v>3</v></c></row><row><c r="A2"><v>4</v></c></row><row r="3"><c r="A3"><v>5</v></c></row>');
  });
  await t.test("styledBlanks writes style-only cells between values", () => {
    const zip = readZip(xlsxBytes([{ name: "S", rows: [[null, 1, null, 2]] }], { styledBlanks: true, flavor: "openpyxl" }));
    assert.match(part(zip, "xl/worksheets/sheet1.xml"), /<c r="B1"><v>1<\/v><\/c><c r="C1" s="4"\/><c r="D1"><v>2<\/v><\/c>/);
  });
  await t.test("richText writes runs and a phonetic run", () => {
    const zip = readZip(xlsxBytes(sheets(), { richText: true }));
    assert.match(part(zip, "xl/sharedStrings.xml"), /<si><r><t>Ñandú &amp;<\/t><\/r><r><rPr>.*?<\/rPr><t xml:space="preserve"> &lt;Peña&gt;<\/t><\/r><rPh /);
  });
  await t.test("prefix writes prefixed element names", () => {
    const zip = readZip(xlsxBytes(sheets(), { prefix: "x" }));
    assert.match(part(zip, "xl/worksheets/sheet1.xml"), /<x:worksheet xmlns:x="[^"]+".*<x:sheetData><x:row r="1"/);
    assert.match(part(zip, "xl/workbook.xml"), /<x:sheet name=/);
    assert.match(part(zip, "xl/sharedStrings.xml"), /<x:sst xmlns:x=.*<x:si><x:t>id<\/x:t><\/x:si>/);
  });
  await t.test("bad sheet names are refused with a TypeError", () => {
    assert.throws(() => xlsxBytes([{ name: "a/b", rows: [] }]), TypeError);
    assert.throws(() => xlsxBytes([{ name: "A", rows: [] }, { name: "a", rows: [] }]), TypeError);
    assert.throws(() => xlsxBytes([]), TypeError);
  });
});

test("xlsxBytes() is deterministic", () => {
  assert.deepEqual(xlsxBytes(sheets(), { shuffleEntries: true }), xlsxBytes(sheets(), { shuffleEntries: true }));
});

test("matrixWorkbook() produces the users' layout lazily", () => {
  const [matrix, list] = matrixWorkbook({ actors: 50, filledActors: 17, asymmetric: 3, codeMismatch: { id: 42, listCode: "AX" }, seed: 7 });
  const plan = matrixPlan({ actors: 50, filledActors: 17, asymmetric: 3, codeMismatch: { id: 42, listCode: "AX" }, seed: 7 });
  assert.equal(matrix.name, "Matriz de adyacencia");
  assert.equal(list.name, "Lista de actores");
  assert.ok(!Array.isArray(matrix.rows), "rows are lazy");
  const rows = [...matrix.rows];
  assert.equal(rows.length, 52);
  assert.deepEqual(rows[0].slice(0, 4), [null, null, 1, 2]);
  assert.equal(rows[0][51], 50);
  assert.deepEqual(rows[1].slice(0, 3), [null, null, "A"]);
  assert.equal(rows[1][2 + 14], "Ñ");
  assert.equal(rows[1][2 + 41], "AÑ");
  assert.deepEqual(rows[2].slice(0, 2), [1, "A"]);
  for (let a = 1; a <= 50; a++) {
    for (let b = 1; b <= 50; b++) {
      const v = rows[a + 1][b + 1];
      assert.equal(v, plan.cell(a, b));
      if (a > 17 && a !== b) assert.equal(v, null, `row ${a} is blank`);
      if (a <= 17) assert.ok(v === 0 || v === 1);
    }
  }
  assert.equal(plan.asymmetricPairs.length, 3);
  for (const [a, b] of plan.asymmetricPairs) {
    assert.ok(a <= 17 && b <= 17);
    assert.equal(plan.cell(a, b), 1);
    assert.equal(plan.cell(b, a), 0);
  }
  let asymmetric = 0;
  for (let a = 1; a <= 17; a++) for (let b = a + 1; b <= 17; b++) if (plan.cell(a, b) !== plan.cell(b, a)) asymmetric++;
  assert.equal(asymmetric, 3);
  const listRows = [...list.rows];
  assert.deepEqual(listRows[3], [null, "Lista de actores"]);
  assert.deepEqual(listRows[4].slice(0, 2), ["A", 1]);
  assert.equal(listRows[4 + 41][0], "AX");
  assert.equal(typeof listRows[4][2], "string");
  assert.deepEqual([...matrix.rows], rows, "rows can be iterated again, with the same values");
});

test("matrixWorkbook() honours origin and diagonalZeros", () => {
  const [matrix, list] = matrixWorkbook({ actors: 4, filledActors: 2, origin: { row: 3, col: 2 }, diagonalZeros: true });
  const rows = [...matrix.rows];
  assert.deepEqual(rows.slice(0, 2), [[], []]);
  assert.deepEqual(rows[2], [null, null, null, 1, 2, 3, 4]);
  assert.deepEqual(rows[4].slice(0, 3), [null, 1, "A"]);
  assert.deepEqual(rows[7], [null, 4, "D", null, null, null, 0]);
  const listRows = [...list.rows];
  assert.deepEqual(listRows[5], [null, null, "Lista de actores"]);
  assert.deepEqual(listRows[6].slice(0, 3), [null, "A", 1]);
});

test("writeXlsxFile() streams the same workbook content as xlsxBytes()", async (t) => {
  const combos: WriteOptions[] = [
    {},
    { flavor: "libreoffice", dataDescriptors: true },
    { flavor: "inline", compression: "store", zip64: true },
    { flavor: "openpyxl", zip64: true, dataDescriptors: true, shuffleEntries: true },
    { flavor: "google", omitCellRefs: true, omitRowRefs: true, strict: true },
  ];
  for (const options of combos) {
    await t.test(JSON.stringify(options), withTempDir(async (dir) => {
      const path = join(dir, "m.xlsx");
      const spec = { actors: 300, filledActors: 250, asymmetric: 2, seed: 3 };
      await writeXlsxFile(path, matrixWorkbook(spec), options);
      unzipAccepts(path);
      const streamed = readZip(readFileSync(path));
      const inMemory = readZip(xlsxBytes(matrixWorkbook(spec), options));
      // Shuffled streamed files move sharedStrings after the last sheet (it is only known then).
      const names = (z: ParsedZip) => z.entries.map((e) => e.name);
      if (options.shuffleEntries) assert.deepEqual(names(streamed).sort(), names(inMemory).sort());
      else assert.deepEqual(names(streamed), names(inMemory));
      if (options.shuffleEntries) assert.notEqual(streamed.entries[0].name, "[Content_Types].xml");
      for (const entry of streamed.entries) {
        const other = inMemory.entries.find((e) => e.name === entry.name)!;
        // The streamed sheets cannot know their dimension in advance; everything else is identical.
        const normalise = (s: string) => s.replace(/<dimension ref="[^"]*"\/>/, "");
        // Shuffling can write sheet2 first, which numbers the shared strings differently.
        const comparable = !options.shuffleEntries || !/sheet|sharedStrings/.test(entry.name);
        if (comparable) assert.ok(normalise(entry.data.toString("utf8")) === normalise(other.data.toString("utf8")), `${entry.name} differs`);
        assert.equal(entry.descriptor, options.dataDescriptors ?? false);
        assert.equal(entry.zip64Local, options.zip64 ?? false);
      }
      const sheetEntry = streamed.entries.find((e) => e.name === "xl/worksheets/sheet1.xml")!;
      assert.ok(sheetEntry.data.length > 1 << 20, "the sheet spans many chunks");
      if (!options.zip64) assert.ok(sheetEntry.localExtraIds.includes(0xd935), "padding extra reserved for ZIP64");
      assert.equal(streamed.zip64End, options.zip64 ?? false);
    }));
  }
});

test("writeXlsxFile() removes the file when the rows throw", withTempDir(async (dir) => {
  const path = join(dir, "broken.xlsx");
  function* rows(): Generator<CellInput[]> {
    yield [1, 2];
    throw new RangeError("rows gave up");
  }
  await assert.rejects(writeXlsxFile(path, [{ name: "S", rows: rows() }]), RangeError);
  assert.throws(() => readFileSync(path), /ENOENT/);
}));
