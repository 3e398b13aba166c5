import { test } from "node:test";
import assert from "node:assert/strict";
import { constants as bufferConstants } from "node:buffer";
import { deflateRawSync } from "node:zlib";
import { xlsxBytes } from "../../scripts/testing/xlsx_writer.ts";
import { columnLetters, MAX_CELL_CHARS, openWorkbook, XlsxError, type XlsxErrorCode } from "./mod.ts";
import { handmadeXlsx, makeZip, readAll, tempDir } from "../../scripts/testing/xlsx_cells.ts";

/** Asserts that reading the file fails with `code`, a message naming the file, and `pattern`. */
async function rejects(path: string, code: XlsxErrorCode, pattern: RegExp, options?: Parameters<typeof readAll>[1]): Promise<void> {
  await assert.rejects(readAll(path, options), (e: unknown) => {
    assert.ok(e instanceof XlsxError, `expected an XlsxError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(e.message.includes(path), `the message names the file: ${e.message}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes("    at "), "no stack trace in the message");
    return true;
  });
}

const SMALL = xlsxBytes([{ name: "Hoja1", rows: [["a", 1], ["b", 2]] }]);

/** A minimal OLE/CFB file whose first directory sector holds the given stream names. */
function oleFile(names: string[]): Buffer {
  const header = Buffer.alloc(512);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header);
  header.writeUInt16LE(9, 30); // 512-byte sectors
  header.writeUInt32LE(0, 48); // directory starts at sector 0 (file offset 512)
  const dir = Buffer.alloc(512);
  ["Root Entry", ...names].slice(0, 4).forEach((n, i) => dir.write(n, i * 128, "utf16le"));
  return Buffer.concat([header, dir]);
}

test("openWorkbook() refuses hostile or wrong files with typed errors", async (t) => {
  const tmp = tempDir();
  try {
    await t.test("missing file", async () => {
      await rejects(tmp.path("nope.xlsx"), "not-found", /does not exist/);
    });
    await t.test("not a ZIP: text, empty, CSV renamed", async () => {
      await rejects(tmp.write("text.xlsx", Buffer.from("hello world")), "not-zip", /not an \.xlsx workbook/);
      // Said as it is: an empty file is mostly one still being saved or copied, not some other kind of file.
      await rejects(tmp.write("empty.xlsx", Buffer.alloc(0)), "not-zip", /empty\.xlsx: the file is empty \(0 bytes\)/);
      await rejects(tmp.write("csv.xlsx", Buffer.from("id,name\n1,Ana\n")), "not-zip", /ZIP/);
    });
    await t.test("truncated at many points", async () => {
      for (const cut of [4, 30, 200, Math.floor(SMALL.length / 2), SMALL.length - 30, SMALL.length - 1]) {
        await rejects(tmp.write(`cut${cut}.xlsx`, SMALL.subarray(0, cut)), "truncated", /cut off|cut short/);
      }
    });
    await t.test("password-protected workbook (OLE container with EncryptedPackage)", async () => {
      await rejects(tmp.write("enc.xlsx", oleFile(["EncryptionInfo", "EncryptedPackage"])), "encrypted", /password-protected/);
    });
    await t.test("legacy .xls renamed to .xlsx", async () => {
      await rejects(tmp.write("old.xlsx", oleFile(["Workbook", "\u0005SummaryInformation"])), "xls", /legacy .*\.xls/);
    });
    await t.test("unknown OLE container mentions both possibilities", async () => {
      await rejects(tmp.write("ole.xlsx", oleFile([])), "encrypted", /password-protected workbook or a legacy \.xls/);
    });
    await t.test(".xlsb renamed to .xlsx", async () => {
      const zip = makeZip([
        { name: "[Content_Types].xml", data: `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>` },
        { name: "_rels/.rels", data: `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>` },
        { name: "xl/workbook.bin", data: Buffer.from([0x83, 0x01, 0x00]) },
      ]);
      await rejects(tmp.write("b.xlsx", zip), "xlsb", /binary \.xlsb/);
    });
    await t.test("a ZIP that is not a workbook", async () => {
      await rejects(tmp.write("doc.xlsx", makeZip([{ name: "word/document.xml", data: "<w:document/>" }])), "not-workbook", /Word document/);
      await rejects(tmp.write("any.xlsx", makeZip([{ name: "hello.txt", data: "hi" }])), "not-workbook", /not an Excel workbook/);
    });
    await t.test("malformed sheet XML names the part and the position", async () => {
      const bad = handmadeXlsx({ sheets: [{ name: "S", xml: `<row r="1"><c r="A1"><v>1</v></row>` }] });
      await rejects(tmp.write("bad.xlsx", bad), "malformed-xml", /'xl\/worksheets\/sheet1\.xml'.*at byte \d+: the end tag <\/row> does not match/);
      const cut = handmadeXlsx({ sheets: [{ name: "S", xml: `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1"><v>1</v>` }] });
      await rejects(tmp.write("cut.xlsx", cut), "malformed-xml", /before all elements are closed/);
      const entity = handmadeXlsx({ sheets: [{ name: "S", xml: `<row r="1"><c r="A1" t="str"><v>a &nbsp; b</v></c></row>` }] });
      await rejects(tmp.write("entity.xlsx", entity), "malformed-xml", /bad character reference/);
      const num = handmadeXlsx({ sheets: [{ name: "S", xml: `<row r="1"><c r="A1"><v>12abc</v></c></row>` }] });
      await rejects(tmp.write("num.xlsx", num), "malformed-xml", /'S'!A1 has '12abc' where a number belongs/);
      const sst = handmadeXlsx({ sheets: [{ name: "S", xml: `<row r="1"><c r="A1" t="s"><v>5</v></c></row>` }], sharedStrings: "<si><t>x</t></si>" });
      await rejects(tmp.write("sst.xlsx", sst), "malformed-xml", /shared string 5, but the table has 1/);
      // A t="d" date that does not exist (before, Date.UTC moved it: 2024-02-30 read as 1 March).
      for (const [i, text] of ["2024-02-30", "2023-02-29", "2024-00-10", "2024-04-31", "2024-01-01T24:30:00"].entries()) {
        const date = handmadeXlsx({ sheets: [{ name: "S", xml: `<row r="1"><c r="A1" t="d"><v>${text}</v></c></row>` }] });
        await rejects(tmp.write(`date${i}.xlsx`, date), "malformed-xml", new RegExp(`'S'!A1 has the date '${text}', which is not an ISO 8601 date and time that exists`));
      }
    });
    await t.test("a DOCTYPE (entity expansion) is refused", async () => {
      const xml = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>`;
      await rejects(tmp.write("dtd.xlsx", handmadeXlsx({ sheets: [{ name: "S", xml }] })), "malformed-xml", /DOCTYPE/);
    });
    await t.test("malformed workbook.xml", async () => {
      const wb = handmadeXlsx({ sheets: [{ name: "S", xml: "" }], workbookXml: `<workbook><sheets><sheet name="S" r:id="rId1"></sheets></workbook>` });
      await rejects(tmp.write("wb.xlsx", wb), "malformed-xml", /'xl\/workbook\.xml'/);
    });
    await t.test("zip bomb: ratio, size cap, and a lying declared size", async () => {
      const spaces = " ".repeat(30 * 1024 * 1024);
      const bomb = handmadeXlsx({ sheets: [{ name: "S", xml: `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">${spaces}<sheetData/></worksheet>` }] });
      const path = tmp.write("bomb.xlsx", bomb);
      await rejects(path, "too-large", /more than 1000 times|zip bomb/);
      await rejects(path, "too-large", /over the limit of 1048576/, { maxEntryBytes: 1024 * 1024, maxRatio: 1e9 });
      // Now lie in the central directory: declare 100 bytes for the sheet.
      const lying = Buffer.from(bomb);
      const cdName = Buffer.from("xl/worksheets/sheet1.xml");
      const at = lying.lastIndexOf(cdName);
      lying.writeUInt32LE(100, at - 46 + 24);
      await rejects(tmp.write("lying.xlsx", lying), "too-large", /past the 100 bytes the ZIP declares/, { maxRatio: 1e9 });
    });
    await t.test("a package part with half a million elements (memory attack on the tree)", async () => {
      const wb = handmadeXlsx({ sheets: [{ name: "S", xml: `<row r="1"><c r="A1"><v>1</v></c></row>` }], contentTypes: "<x/>".repeat(500_001) });
      await rejects(tmp.write("types.xlsx", wb), "too-large", /'\[Content_Types\]\.xml' has more than 500000 elements/, { maxRatio: 1e9 });
    });
    await t.test("a styles part with a million cell formats (memory attack on the styles)", async () => {
      // Styles are streamed and only numFmts and cellXfs are kept (a style-bloated part of half a
      // million elements is a real workbook); what is kept is capped.
      const styles = `<cellXfs>${"<xf/>".repeat(1_000_001)}</cellXfs>`;
      const wb = handmadeXlsx({ sheets: [{ name: "S", xml: `<row r="1"><c r="A1"><v>1</v></c></row>` }], styles });
      await rejects(tmp.write("styles.xlsx", wb), "too-large", /'xl\/styles\.xml' has more than 1000000 number and cell formats/, { maxRatio: 1e9 });
    });
    await t.test("a compressed stream that ends early", async () => {
      const zip = Buffer.from(SMALL);
      // Shrink the sheet's deflate data by lying about nothing but corrupting its tail bytes.
      const name = Buffer.from("xl/worksheets/sheet1.xml");
      const local = zip.indexOf(name);
      const start = local + name.length + zip.readUInt16LE(local - 2);
      const csize = zip.readUInt32LE(local - 12);
      const raw = deflateRawSync(Buffer.from("<worksheet><sheetData><row r='1'><c r='A1'><v>1</v></c></row></sheetData></worksheet>"));
      raw.subarray(0, Math.min(raw.length - 4, csize)).copy(zip, start);
      zip.fill(0, start + raw.length - 4, start + csize);
      await assert.rejects(readAll(tmp.write("early.xlsx", zip)), (e: unknown) => e instanceof XlsxError && ["truncated", "corrupt", "malformed-xml", "too-large"].includes(e.code));
    });
    await t.test("unsupported compression method and encrypted entries", async () => {
      const zip = Buffer.from(SMALL);
      const name = Buffer.from("xl/worksheets/sheet1.xml");
      const cd = zip.lastIndexOf(name) - 46;
      const bz = Buffer.from(zip);
      bz.writeUInt16LE(12, cd + 10);
      await rejects(tmp.write("bz.xlsx", bz), "unsupported", /compression method 12/);
      const enc = Buffer.from(zip);
      enc.writeUInt16LE(enc.readUInt16LE(cd + 8) | 1, cd + 8);
      await rejects(tmp.write("encentry.xlsx", enc), "encrypted", /is encrypted/);
    });
    await t.test("an entry that inflates to fewer bytes than the ZIP declares, its CRC intact, is corrupt", async () => {
      const zip = Buffer.from(xlsxBytes([{ name: "Hoja1", rows: [["a", 1], ["b", 2]] }]));
      const name = Buffer.from("xl/worksheets/sheet1.xml");
      const cd = zip.lastIndexOf(name) - 46;
      const real = zip.readUInt32LE(cd + 24);
      zip.writeUInt32LE(real + 10, cd + 24);
      await rejects(tmp.write("short.xlsx", zip), "corrupt", new RegExp(`inflates to ${real} bytes but the ZIP declares ${real + 10}`));
    });
    await t.test("a damaged stored entry whose XML still parses fails its CRC (no wrong values)", async () => {
      const stored = Buffer.from(xlsxBytes([{ name: "Hoja1", rows: [["a", 1], ["b", 2]] }], { compression: "store" }));
      // Read as is, the sheet gives 1 and 2; flip the cached value 2 to 7 in the stored bytes.
      const at = stored.indexOf("<v>2</v>");
      assert.ok(at > 0);
      stored.write("7", at + 3);
      await rejects(tmp.write("crc.xlsx", stored), "corrupt", /sheet1\.xml' fails its checksum/);
    });
    await t.test("a sheet whose part is missing", async () => {
      const wb = handmadeXlsx({ sheets: [{ name: "S", xml: "<row/>", target: "worksheets/sheet1.xml" }] });
      const renamed = Buffer.from(wb);
      const name = Buffer.from("xl/worksheets/sheet1.xml");
      for (let i = renamed.indexOf(name); i >= 0; i = renamed.indexOf(name, i + 1)) renamed.write("xl/worksheets/sheetX.xml", i);
      await rejects(tmp.write("gone.xlsx", renamed), "corrupt", /part 'xl\/worksheets\/sheet1\.xml' is missing/);
    });
  } finally {
    tmp.cleanup();
  }
});

/** Pseudo-random lower-case letters (text that deflate cannot shrink past the ratio cap). */
function letters(n: number, seed = 1): string {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    out[i] = 97 + ((seed >>> 16) % 26);
  }
  return out.toString("latin1");
}

test("openWorkbook() refuses a cell or shared string with more text than the cap, naming it", async () => {
  // Before, a cell's text was summed over its runs (split by comments, CDATA or rich-text runs)
  // with no cap: past V8's longest string (~600 MB of text in one cell) a RangeError escaped, and
  // the load said only "The load failed unexpectedly: Invalid string length", naming nothing.
  assert.equal(MAX_CELL_CHARS, 1024 * 1024, "the default cap is 1 Mi characters");
  assert.ok(MAX_CELL_CHARS < bufferConstants.MAX_STRING_LENGTH / 64, "far below the longest string V8 can build");
  const tmp = tempDir();
  try {
    // The default cap, on text split in runs by comments; a cell of exactly the cap is read.
    const run = letters(MAX_CELL_CHARS / 4);
    const cell = (extra: string) => `<row r="7"><c r="B7" t="inlineStr"><is><t>${run}<!---->${run}<![CDATA[${run}]]>${run}${extra}</t></is></c></row>`;
    const atCap = await readAll(tmp.write("at-cap.xlsx", handmadeXlsx({ sheets: [{ name: "S", xml: cell("") }] })));
    assert.equal((atCap["S"]["B7"] as string).length, MAX_CELL_CHARS);
    await rejects(tmp.write("past-cap.xlsx", handmadeXlsx({ sheets: [{ name: "S", xml: cell("<!---->x") }] })), "too-large", /cell 'S'!B7 in 'xl\/worksheets\/sheet1\.xml' holds more than 1048576 characters of text/);
    // A small cap set by the caller, on every way text reaches a cell.
    const small = { maxCellChars: 100 };
    const many = Array.from({ length: 40 }, (_, i) => `<c r="${columnLetters(i + 3)}9"><v>${i}</v></c>`).join("");
    const x60 = "x".repeat(60);
    const shapes: [string, string][] = [
      ["a t=str value (fast lane shape)", `<c r="B8" t="str"><v>${"y".repeat(101)}</v></c>`],
      ["a t=str value in CDATA pieces", `<c r="B8" t="str"><v><![CDATA[${x60}]]><![CDATA[${x60}]]></v></c>`],
      ["an inline string's rich-text runs", `<c r="B8" t="inlineStr"><is><r><t>${x60}</t></r><r><t>${x60}</t></r></is></c>`],
      ["a number cell's text", `<c r="B8"><v>1<!---->${"0".repeat(60)}<!---->${"0".repeat(60)}</v></c>`],
      ["a t=d cell", `<c r="B8" t="d"><v>${x60}<!---->${x60}</v></c>`],
    ];
    for (const [i, [what, xml]] of shapes.entries()) {
      const path = tmp.write(`small${i}.xlsx`, handmadeXlsx({ sheets: [{ name: "S", xml: `<row r="8">${xml}</row><row r="9">${many}</row>` }] }));
      await assert.rejects(readAll(path, small), (e: unknown) => e instanceof XlsxError && e.code === "too-large" && /cell 'S'!B8 .*more than 100 characters/.test(e.message), what);
    }
    const fits = `<row r="8"><c r="B8" t="str"><v>${"y".repeat(100)}</v></c></row><row r="9">${many}</row>`;
    assert.equal((await readAll(tmp.write("fits.xlsx", handmadeXlsx({ sheets: [{ name: "S", xml: fits }] })), small))["S"]["B8"], "y".repeat(100));
    // A shared string: named by its index and part.
    const sst = `<si><t>a</t></si><si><r><t>${x60}</t></r><r><t>${x60}</t></r></si>`;
    const wb = handmadeXlsx({ sheets: [{ name: "S", xml: `<row r="1"><c r="A1" t="s"><v>0</v></c></row>` }], sharedStrings: sst });
    await rejects(tmp.write("sst-long.xlsx", wb), "too-large", /shared string 1 \(counting from 0\) in 'xl\/sharedStrings\.xml' is longer than 100 characters/, small);
  } finally {
    tmp.cleanup();
  }
});

test("openWorkbook() refuses a column past XFD and a column that does not increase in its row, naming the cell", async () => {
  // Before, a cell without r= took "the previous column + 1" forever, r= could name any column up to
  // ZZZ and repeat or go back: a ~5 MB row of 2 M cells without r= was all kept until </row>, and a
  // cell written twice was yielded twice (a matrix cell with both 0 and 1).
  const tmp = tempDir();
  try {
    // 40 plain cells after the cell under test, so that the fast and packed lanes (which stay 512
    // bytes clear of a buffer's end) see it too.
    const pad = (r: number) => `<row r="${r}">${Array.from({ length: 40 }, (_, i) => `<c r="${columnLetters(i + 1)}${r}"><v>${i % 2}</v></c>`).join("")}</row>`;
    const num = (ref: string, v: number) => `<c r="${ref}"><v>${v}</v></c>`;
    const str = (ref: string, v: string) => `<c r="${ref}" t="inlineStr"><is><t>${v}</t></is></c>`;
    const cases: [string, string, RegExp][] = [
      ["r= past XFD (fast lane shape)", num("XFE3", 1), /cell 'S'!XFE3 is past column XFD \(16384\)/],
      ["r= past XFD (generic shape)", str("ZZZ3", "a"), /cell 'S'!ZZZ3 is past column XFD/],
      ["no r= after XFD", `${num("XFC3", 1)}<c><v>2</v></c><c><v>3</v></c>`, /cell 'S'!XFE3 is past column XFD/],
      ["a style-only cell past XFD", `<c r="XFE3" s="0"/>`, /cell 'S'!XFE3 is past column XFD/],
      ["the same r= twice (0 then 1)", `${num("C3", 0)}${num("D3", 1)}${num("D3", 0)}`, /cell 'S'!D3 is written twice in its row/],
      ["the same r= twice (text)", `${str("D3", "a")}${str("D3", "b")}`, /cell 'S'!D3 is written twice in its row/],
      ["a cell without r= landing on an earlier one", `${num("D3", 1)}${num("C3", 1)}<c><v>1</v></c>`, /cell 'S'!C3 comes after 'S'!D3 in its row/],
      ["columns going back", `${num("E3", 1)}${str("B3", "x")}`, /cell 'S'!B3 comes after 'S'!E3 in its row \(cells must be in column order\)/],
    ];
    for (const [i, [what, cells, pattern]] of cases.entries()) {
      const path = tmp.write(`col${i}.xlsx`, handmadeXlsx({ sheets: [{ name: "S", xml: `${pad(1)}<row r="3">${cells}</row>${pad(4)}${pad(5)}` }] }));
      for (const pack of [undefined, { first: 1, count: 40 }]) {
        await assert.rejects(
          async () => {
            const wb = await openWorkbook(path);
            try {
              for await (const _row of wb.rows("S", { pack })) {
                // read
              }
            } finally {
              await wb.close();
            }
          },
          (e: unknown) => e instanceof XlsxError && e.code === "malformed-xml" && pattern.test(e.message) && e.message.includes("'xl/worksheets/sheet1.xml'"),
          `${what}${pack ? " (packed)" : ""}`,
        );
      }
    }
    // XFD itself, and a row that starts again at A, are fine.
    const edge = handmadeXlsx({ sheets: [{ name: "S", xml: `<row r="1">${num("XFC1", 1)}<c><v>2</v></c></row><row r="2">${num("A2", 3)}</row>` }] });
    assert.deepEqual(await readAll(tmp.write("xfd.xlsx", edge)), { S: { XFC1: 1, XFD1: 2, A2: 3 } });
    // A ~30 MB row of 2 M cells without r=: refused at the 16,385th cell, not after holding them all.
    const wide = `<row r="1">${"<c><v>1</v></c>".repeat(2_000_000)}</row>`;
    await assert.rejects(readAll(tmp.write("wide.xlsx", handmadeXlsx({ sheets: [{ name: "S", xml: wide }] }))), (e: unknown) => {
      assert.ok(e instanceof XlsxError && e.code === "malformed-xml", String(e));
      assert.match(e.message, /cell 'S'!XFE1 is past column XFD/);
      const at = Number(/at byte (\d+)/.exec(e.message)?.[1]);
      assert.ok(at < 16_385 * 16 + 1000, `stopped at byte ${at}, at the 16,385th cell`);
      return true;
    });
  } finally {
    tmp.cleanup();
  }
});

test("openWorkbook() on a closed workbook fails with a typed error", async () => {
  const tmp = tempDir();
  try {
    const wb = await openWorkbook(tmp.write("a.xlsx", SMALL));
    await wb.close();
    await assert.rejects(async () => {
      for await (const _ of wb.rows("Hoja1")) {
        // nothing
      }
    }, XlsxError);
  } finally {
    tmp.cleanup();
  }
});
