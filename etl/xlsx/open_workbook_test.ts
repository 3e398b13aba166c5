import { test } from "node:test";
import assert from "node:assert/strict";
import { xlsxBytes, writeXlsxFile, type CellInput, type WriteOptions } from "../../scripts/testing/xlsx_writer.ts";
import { matrixWorkbook } from "../../scripts/testing/matrix_workbook.ts";
import { openWorkbook, CellError, XlsxError, type MergedRange } from "./mod.ts";
import { handmadeXlsx, readAll, sheetDoc, tempDir, type Plain } from "../../scripts/testing/xlsx_cells.ts";

const d = (iso: string): { date: string } => ({ date: new Date(iso).toISOString() });

const SAMPLE: CellInput[][] = [
  ["Nombre", "Número", "Fecha", "Bool", "Err"],
  ["Peña Ñandú", 42, new Date("2024-01-15T00:00:00Z"), true, { error: "#N/A" }],
  [" leading", 1.5e-7, new Date("2024-01-15T12:30:00Z"), false, { formula: "1/0", value: { error: "#DIV/0!" } }],
  [],
  ["line\nbreak", -3.25, null, { formula: "A1", value: "Nombre" }, { formula: "1+1", value: 2 }],
  [null, null, "tab\tand \u0001 ctrl", 1e21, { formula: "TRUE()", value: true }],
];

const EXPECTED: Record<string, Plain> = {
  A1: "Nombre", B1: "Número", C1: "Fecha", D1: "Bool", E1: "Err",
  A2: "Peña Ñandú", B2: 42, C2: d("2024-01-15T00:00:00Z"), D2: true, E2: { error: "#N/A" },
  A3: " leading", B3: 1.5e-7, C3: d("2024-01-15T12:30:00Z"), D3: false, E3: { error: "#DIV/0!" },
  A5: "line\nbreak", B5: -3.25, D5: "Nombre", E5: 2,
  C6: "tab\tand \u0001 ctrl", D6: 1e21, E6: true,
};

const VARIANTS: [string, WriteOptions][] = [
  ["excel", {}],
  ["libreoffice", { flavor: "libreoffice" }],
  ["openpyxl", { flavor: "openpyxl" }],
  ["inline strings", { flavor: "inline" }],
  ["google", { flavor: "google" }],
  ["stored entries", { compression: "store" }],
  ["data descriptors", { dataDescriptors: true }],
  ["zip64 records", { zip64: true }],
  ["1904 date system", { date1904: true }],
  ["strict OOXML", { strict: true }],
  ["rows without r=", { omitRowRefs: true }],
  ["some rows without r=", { omitRowRefs: "some" }],
  ["cells without r=", { omitCellRefs: true }],
  ["some cells without r=", { omitCellRefs: "some" }],
  ["no refs at all", { omitRowRefs: true, omitCellRefs: true }],
  ["shuffled entries", { shuffleEntries: true }],
  ["style-only blanks", { styledBlanks: true }],
  ["ISO dates (t=d)", { isoDates: true }],
  ["rich text with phonetic runs", { richText: true }],
  ["prefixed elements", { prefix: "x" }],
  ["prefixed strict with descriptors", { prefix: "x", strict: true, dataDescriptors: true, flavor: "openpyxl" }],
];

test("openWorkbook() reads what real writers write", async (t) => {
  const tmp = tempDir();
  try {
    for (const [label, options] of VARIANTS) {
      await t.test(label, async () => {
        const file = tmp.write(`${label.replace(/\W+/g, "_")}.xlsx`, xlsxBytes([{ name: "Datos", rows: SAMPLE }, { name: "Otra hoja", rows: [[1]] }], options));
        const all = await readAll(file);
        assert.deepEqual(Object.keys(all), ["Datos", "Otra hoja"]);
        assert.deepEqual(all["Datos"], EXPECTED);
        assert.deepEqual(all["Otra hoja"], { A1: 1 });
      });
      await t.test(`${label}, long enough for the fast lane`, async () => {
        // Small sheets fit in the generic path's 512-byte margin; 40 copies exercise the fast lane.
        const copies = 40;
        const rows = Array.from({ length: copies }, () => SAMPLE).flat();
        const expected: Record<string, Plain> = {};
        for (let k = 0; k < copies; k++) {
          for (const [ref, v] of Object.entries(EXPECTED)) {
            const [, col, row] = /^([A-Z]+)(\d+)$/.exec(ref) as RegExpExecArray;
            expected[`${col}${Number(row) + k * SAMPLE.length}`] = v;
          }
        }
        const file = tmp.write(`${label.replace(/\W+/g, "_")}-long.xlsx`, xlsxBytes([{ name: "Datos", rows }], options));
        const all = await readAll(file);
        assert.deepEqual(all["Datos"], expected);
      });
    }
  } finally {
    tmp.cleanup();
  }
});

test("openWorkbook() gives rows in order with 1-based positions and lazy refs", async () => {
  const tmp = tempDir();
  try {
    const file = tmp.write("refs.xlsx", xlsxBytes([{ name: "It's mine", rows: [[], [null, "x", null, 5]] }]));
    const wb = await openWorkbook(file);
    assert.equal(wb.file, file);
    const rows = [];
    for await (const row of wb.rows("It's mine")) rows.push(row);
    await wb.close();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].row, 2);
    assert.deepEqual(rows[0].cells.map((c) => [c.row, c.col, c.value, c.ref]), [
      [2, 2, "x", "'It''s mine'!B2"],
      [2, 4, 5, "'It''s mine'!D2"],
    ]);
    assert.equal(JSON.stringify(rows[0].cells[0]), JSON.stringify({ row: 2, col: 2, value: "x", ref: "'It''s mine'!B2" }));
  } finally {
    tmp.cleanup();
  }
});

test("openWorkbook() streams a sheet bigger than one chunk and reports progress", async () => {
  const tmp = tempDir();
  try {
    const file = tmp.path("matrix.xlsx");
    await writeXlsxFile(file, matrixWorkbook({ actors: 300, filledActors: 200 }));
    const wb = await openWorkbook(file);
    const progress: [number, number][] = [];
    let cells = 0;
    let last = 0;
    for await (const row of wb.rows("Matriz de adyacencia", { onProgress: (done, total) => progress.push([done, total]) })) {
      assert.ok(row.row > last);
      last = row.row;
      cells += row.cells.length;
      if (row.row === 1) {
        assert.equal(row.cells[0].ref, "'Matriz de adyacencia'!C1");
        assert.equal(row.cells[0].value, 1);
        assert.equal(row.cells.at(-1)?.value, 300);
      }
    }
    await wb.close();
    // ids row, codes row, then per actor: id, code, and the filled row cells (diagonal included)
    assert.equal(cells, 300 + 300 + 300 * 2 + 200 * 300);
    assert.ok(progress.length > 1, "progress is reported more than once");
    const total = progress[0][1];
    assert.deepEqual(progress.at(-1), [total, total]);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i][0] >= progress[i - 1][0] && progress[i][0] <= total);
  } finally {
    tmp.cleanup();
  }
});

test("openWorkbook() lets a caller stop early and read a sheet again", async () => {
  const tmp = tempDir();
  try {
    const file = tmp.path("m.xlsx");
    await writeXlsxFile(file, matrixWorkbook({ actors: 200 }));
    const wb = await openWorkbook(file);
    for await (const row of wb.rows("Matriz de adyacencia")) {
      assert.equal(row.row, 1);
      break;
    }
    let rows = 0;
    for await (const _ of wb.rows("matriz de adyacencia")) rows++; // names match case-insensitively, as in Excel
    assert.equal(rows, 202);
    await wb.close();
  } finally {
    tmp.cleanup();
  }
});

test("openWorkbook() handles XML details the writers vary on", async (t) => {
  const tmp = tempDir();
  const read = async (name: string, o: Parameters<typeof handmadeXlsx>[0]) => readAll(tmp.write(name, handmadeXlsx(o)));
  try {
    await t.test("character references, _xHHHH_ escapes, CDATA", async () => {
      const all = await read("refs.xlsx", {
        sheets: [{ name: "S", xml: `<row r="1"><c r="A1" t="inlineStr"><is><t>a&amp;b &lt;&#x41;&#66;&quot;&apos;&gt;</t></is></c><c r="B1" t="inlineStr"><is><t>x_x000D_y_x005F_x0041_</t></is></c><c r="C1" t="str"><v><![CDATA[<raw & text>]]></v></c><c r="D1"><v>1<!-- note -->2</v></c></row>` }],
      });
      assert.deepEqual(all["S"], { A1: "a&b <AB\"'>", B1: "x\ry_x0041_", C1: "<raw & text>", D1: 12 });
    });
    await t.test("xml:space: edges kept only when preserved", async () => {
      const all = await read("space.xlsx", {
        sheets: [{ name: "S", xml: `<row r="1"><c r="A1" t="inlineStr"><is><t xml:space="preserve">  two  </t></is></c><c r="B1" t="inlineStr"><is><t>\n    indented\n  </t></is></c><c r="C1" t="s"><v>0</v></c><c r="D1" t="s"><v>1</v></c></row>` }],
        sharedStrings: `<si><t xml:space="preserve"> kept </t></si><si><t> trimmed </t></si>`,
      });
      assert.deepEqual(all["S"], { A1: "  two  ", B1: "indented", C1: " kept ", D1: "trimmed" });
    });
    await t.test("shared strings: rich runs joined, rPh skipped, empty si keeps its index", async () => {
      const all = await read("sst.xlsx", {
        sheets: [{ name: "S", xml: `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>` }],
        sharedStrings: `<si><r><rPr><b/></rPr><t>Hel</t></r><r><t xml:space="preserve">lo </t></r><r><t>world</t></r></si><si/><si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1"/></si><si><t>last</t></si>`,
      });
      assert.deepEqual(all["S"], { A1: "Hello world", B1: "", C1: "東京", D1: "last" });
    });
    await t.test("inline strings: rich runs joined, rPh skipped, as in shared strings", async () => {
      const all = await read("inline_rich.xlsx", {
        sheets: [{ name: "S", xml: `<row r="1"><c r="A1" t="inlineStr"><is><r><rPr><b/></rPr><t>Hel</t></r><r><t xml:space="preserve">lo </t></r><r><t>world</t></r></is></c><c r="B1" t="inlineStr"><is><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></is></c></row>` }],
      });
      assert.deepEqual(all["S"], { A1: "Hello world", B1: "東京" });
    });
    await t.test("three-letter columns, up to Excel's last (XFD)", async () => {
      const all = await read("wide.xlsx", {
        sheets: [{ name: "S", xml: `<row r="1"><c r="A1" t="inlineStr"><is><t>first</t></is></c><c r="AAA1" t="inlineStr"><is><t>aaa</t></is></c><c r="XFD1"><v>3</v></c></row>` }],
      });
      assert.deepEqual(all["S"], { A1: "first", AAA1: "aaa", XFD1: 3 });
    });
    await t.test("no shared strings part", async () => {
      const all = await read("nosst.xlsx", { sheets: [{ name: "S", xml: `<row r="1"><c r="A1"><v>7</v></c><c r="B1" t="inlineStr"><is><t>x</t></is></c></row>` }] });
      assert.deepEqual(all["S"], { A1: 7, B1: "x" });
    });
    await t.test("numbers: exponents, signs, decimals", async () => {
      const vals = ["1E3", "-2.5e-3", "1.7976931348623157E308", "0.1", "-0", "123456789012345678", ".5", "+4", " 8 "];
      const cells = vals.map((v, i) => `<c r="${String.fromCharCode(65 + i)}1"><v>${v}</v></c>`).join("");
      const all = await read("num.xlsx", { sheets: [{ name: "S", xml: `<row r="1">${cells}</row>` }] });
      assert.deepEqual(all["S"], { A1: 1000, B1: -0.0025, C1: 1.7976931348623157e308, D1: 0.1, E1: -0, F1: 123456789012345680, G1: 0.5, H1: 4, I1: 8 });
    });
    await t.test("types: b, e, d, str, inlineStr, and formulas without a value", async () => {
      const all = await read("types.xlsx", {
        sheets: [{ name: "S", xml: `<row r="1"><c r="A1" t="b"><v>1</v></c><c r="B1" t="b"><v>0</v></c><c r="C1" t="e"><v>#REF!</v></c><c r="D1" t="d"><v>2024-02-29T10:11:12Z</v></c><c r="E1" t="d"><v>2024-03-01</v></c><c r="F1" t="str"><f>A1</f><v>#N/A</v></c><c r="G1" t="str"><v>#N/A</v></c><c r="H1"><f>SUM(A1:A2)</f></c><c r="I1" t="str"><f>""</f><v></v></c><c r="J1" s="0"/></row>` }],
      });
      assert.deepEqual(all["S"], { A1: true, B1: false, C1: { error: "#REF!" }, D1: d("2024-02-29T10:11:12Z"), E1: d("2024-03-01T00:00:00Z"), F1: { error: "#N/A" }, G1: "#N/A", H1: { error: "#UNCALCULATED" }, I1: "" });
    });
    await t.test("error values stay distinct from text", async () => {
      const wb = await openWorkbook(tmp.write("err.xlsx", handmadeXlsx({ sheets: [{ name: "S", xml: `<row r="1"><c r="A1" t="e"><v>#DIV/0!</v></c><c r="B1" t="inlineStr"><is><t>#DIV/0!</t></is></c></row>` }] })));
      for await (const row of wb.rows("S")) {
        assert.ok(row.cells[0].value instanceof CellError);
        assert.equal(String(row.cells[0].value), "#DIV/0!");
        assert.equal(row.cells[1].value, "#DIV/0!");
      }
      await wb.close();
    });
    await t.test("dates by number format, 1900 leap-year bug and 1904 epoch", async () => {
      const styles = `<numFmts count="4"><numFmt numFmtId="164" formatCode="dd/mm/yyyy\\ hh:mm"/><numFmt numFmtId="165" formatCode="0.00&quot; días&quot;"/><numFmt numFmtId="166" formatCode="[Red][&lt;0]0;0"/><numFmt numFmtId="167" formatCode="[$-409]mmm\\ d"/></numFmts><cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="166"/><xf numFmtId="167"/></cellXfs>`;
      const row = `<row r="1"><c r="A1" s="1"><v>1</v></c><c r="B1" s="1"><v>59</v></c><c r="C1" s="1"><v>61</v></c><c r="D1" s="2"><v>45306.5</v></c><c r="E1" s="3"><v>45306</v></c><c r="F1" s="4"><v>45306</v></c><c r="G1" s="5"><v>45306</v></c><c r="H1" s="0"><v>45306</v></c><c r="I1" s="99"><v>3</v></c></row>`;
      const all = await read("dates.xlsx", { sheets: [{ name: "S", xml: row }], styles });
      assert.deepEqual(all["S"], {
        A1: d("1900-01-01"), B1: d("1900-02-28"), C1: d("1900-03-01"), D1: d("2024-01-15T12:00:00Z"),
        E1: 45306, F1: 45306, G1: d("2024-01-15"), H1: 45306, I1: 3,
      });
      const all1904 = await read("d1904.xlsx", { sheets: [{ name: "S", xml: `<row r="1"><c r="A1" s="1"><v>0</v></c><c r="B1" s="1"><v>1462</v></c></row>` }], styles, workbookPr: `<workbookPr date1904="1"/>` });
      assert.deepEqual(all1904["S"], { A1: d("1904-01-01"), B1: d("1908-01-02") });
    });
    await t.test("a time alone reads the same as a serial and as t=\"d\" (review)", async () => {
      // Before, the serial 0.5 read as 1899-12-31T12:00 (the epoch of serials 1-60) while the
      // t="d" forms of the same noon read as 1899-12-30T12:00: one cell, two values a day apart.
      const styles = `<numFmts count="1"><numFmt numFmtId="164" formatCode="hh:mm:ss"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="21"/><xf numFmtId="164"/></cellXfs>`;
      const row = `<row r="1"><c r="A1" s="1"><v>0.5</v></c><c r="B1" s="2"><v>0.5</v></c><c r="C1" s="1" t="d"><v>12:00:00</v></c><c r="D1" s="1" t="d"><v>T12:00:00</v></c><c r="E1" s="1" t="d"><v>1899-12-30T12:00:00</v></c><c r="F1" s="1"><v>0</v></c><c r="G1" s="1" t="d"><v>00:00:00</v></c><c r="H1" s="1"><v>1.25</v></c></row>`;
      const all = await read("times.xlsx", { sheets: [{ name: "S", xml: row }], styles });
      const noon = d("1899-12-30T12:00:00Z");
      assert.deepEqual(all["S"], { A1: noon, B1: noon, C1: noon, D1: noon, E1: noon, F1: d("1899-12-30T00:00:00Z"), G1: d("1899-12-30T00:00:00Z"), H1: d("1900-01-01T06:00:00Z") });
    });
    await t.test("Excel's phantom 29 Feb 1900 reads the same as a serial (60) and as t=\"d\" (review)", async () => {
      // Before, a t="d" 1900-02-29 refused the whole workbook as malformed-xml (a date that does
      // not exist), while the serial 60, the same day in Excel's 1900 calendar, read as 1 March 1900.
      const styles = `<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="22"/></cellXfs>`;
      const row = `<row r="1"><c r="A1" s="1"><v>60</v></c><c r="B1" s="1" t="d"><v>1900-02-29</v></c><c r="C1" s="1"><v>60.5</v></c><c r="D1" s="1" t="d"><v>1900-02-29T12:00:00</v></c><c r="E1" s="1"><v>61</v></c><c r="F1" s="1" t="d"><v>1900-03-01</v></c></row>`;
      const all = await read("leap1900.xlsx", { sheets: [{ name: "S", xml: row }], styles });
      const day = d("1900-03-01T00:00:00Z");
      assert.deepEqual(all["S"], { A1: day, B1: day, C1: d("1900-03-01T12:00:00Z"), D1: d("1900-03-01T12:00:00Z"), E1: day, F1: day });
    });
    await t.test("a style-bloated styles.xml is read, its date formats too (review)", async () => {
      // Workbooks whose styles were copied from sheet to sheet for years carry tens of thousands of
      // cell styles (Excel's "too many different cell formats"), each xf with its alignment and
      // protection: within Excel's limits (64,000 cellXfs), but past the 500,000 elements the styles
      // part was read under as a whole tree, so such a workbook was refused as too-large.
      const n = 64_000;
      const xf = (i: number, numFmtId: number) => `<xf numFmtId="${numFmtId}" fontId="${i % 512}" borderId="${i % 10_000}"><alignment indent="${i % 7}"/><protection locked="0"/></xf>`;
      const parts: string[] = [`<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>`];
      parts.push(`<fonts count="512">`, ...Array.from({ length: 512 }, (_, i) => `<font><b/><sz val="${8 + (i % 20)}"/><color rgb="FF${String(i).padStart(6, "0")}"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>`), `</fonts>`);
      parts.push(`<borders count="10000">`, ...Array.from({ length: 10_000 }, (_, i) => `<border><left style="thin"><color indexed="${i % 64}"/></left><right/><top/><bottom/><diagonal/></border>`), `</borders>`);
      parts.push(`<cellStyleXfs count="${n}">`, ...Array.from({ length: n }, (_, i) => xf(i, 0)), `</cellStyleXfs>`);
      parts.push(`<cellXfs count="${n}">`, ...Array.from({ length: n }, (_, i) => xf(i, i === n - 2 ? 14 : i === n - 1 ? 164 : 0)), `</cellXfs>`);
      parts.push(`<cellStyles count="${n}">`, ...Array.from({ length: n }, (_, i) => `<cellStyle name="Normal ${i}" xfId="${i}"/>`), `</cellStyles>`);
      const row = `<row r="1"><c r="A1" s="${n - 2}"><v>45306</v></c><c r="B1" s="${n - 1}"><v>45306</v></c><c r="C1" s="${n - 3}"><v>45306</v></c></row>`;
      const all = await read("bloated.xlsx", { sheets: [{ name: "S", xml: row }], styles: parts.join("") });
      assert.deepEqual(all["S"], { A1: d("2024-01-15"), B1: d("2024-01-15"), C1: 45306 });
    });
    await t.test("rows and cells without r=, mixed with ones that have it", async () => {
      const all = await read("noref.xlsx", {
        sheets: [{ name: "S", xml: `<row><c><v>1</v></c><c><v>2</v></c></row><row r="4"><c r="C4"><v>3</v></c><c><v>4</v></c><c r="F4"><v>5</v></c><c/><c><v>6</v></c></row><row><c><v>7</v></c></row><row><c r="B9"><v>8</v></c></row>` }],
      });
      assert.deepEqual(all["S"], { A1: 1, B1: 2, C4: 3, D4: 4, F4: 5, H4: 6, A5: 7, B9: 8 });
    });
    await t.test("the <dimension> tag is ignored", async () => {
      const xml = `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData><row r="3"><c r="AA3"><v>1</v></c></row></sheetData></worksheet>`;
      const all = await read("dim.xlsx", { sheets: [{ name: "S", xml }] });
      assert.deepEqual(all["S"], { AA3: 1 });
    });
    await t.test("relationship targets: relative, '..', absolute, percent-escaped; escaped sheet names", async () => {
      const all = await read("targets.xlsx", {
        workbookPath: "wb/main/book.xml",
        sheets: [
          { name: "A &amp; B", xml: `<row r="1"><c r="A1"><v>1</v></c></row>`, target: "../sheets/one.xml" },
          { name: "Dos &lt;2&gt;", xml: `<row r="1"><c r="A1"><v>2</v></c></row>`, target: "/wb/main/hoja%20dos.xml" },
          { name: "Tres", xml: `<row r="1"><c r="A1"><v>3</v></c></row>`, target: "./tres.xml" },
        ],
      });
      assert.deepEqual(all, { "A & B": { A1: 1 }, "Dos <2>": { A1: 2 }, Tres: { A1: 3 } });
    });
    await t.test("an embedded .xlsb object does not make the workbook an .xlsb", async () => {
      const all = await read("embed.xlsx", {
        sheets: [{ name: "S", xml: `<row r="1"><c r="A1"><v>1</v></c></row>` }],
        contentTypes: `<Default Extension="xlsb" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.12"/><Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"/>`,
        extra: [{ name: "xl/embeddings/Microsoft_Excel_Binary_Worksheet1.xlsb", data: "PK" }, { name: "xl/printerSettings/printerSettings1.bin", data: "x" }],
      });
      assert.deepEqual(all["S"], { A1: 1 });
    });
    await t.test("a UTF-8 byte order mark and a prolog with comments", async () => {
      const xml = `\ufeff<?xml version="1.0"?>\n<!-- made by hand -->\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\n  <sheetData>\n    <row r="1">\n      <c r="A1" t="inlineStr">\n        <is><t>ok</t></is>\n      </c>\n    </row>\n  </sheetData>\n</worksheet>\n`;
      const all = await read("bom.xlsx", { sheets: [{ name: "S", xml }] });
      assert.deepEqual(all["S"], { A1: "ok" });
    });
  } finally {
    tmp.cleanup();
  }
});

test("openWorkbook() rows() names the sheets that exist when one is missing", async () => {
  const tmp = tempDir();
  try {
    const file = tmp.write("two.xlsx", xlsxBytes([{ name: "Hoja1", rows: [[1]] }, { name: "Hoja2", rows: [[2]], state: "hidden" }, { name: "Hoja3", rows: [[3]], state: "veryHidden" }]));
    const wb = await openWorkbook(file);
    assert.deepEqual(wb.sheetNames, ["Hoja1", "Hoja2", "Hoja3"]);
    assert.deepEqual(wb.hiddenSheetNames, ["Hoja2", "Hoja3"]);
    assert.throws(
      () => wb.rows("Lista de actores"),
      (e: unknown) =>
        e instanceof XlsxError && e.code === "missing-sheet" && e.file === file &&
        e.message === `Cannot find sheet 'Lista de actores' in ${file}; the workbook has 'Hoja1', 'Hoja2', 'Hoja3'.`,
    );
    await wb.close();
  } finally {
    tmp.cleanup();
  }
});

test("openWorkbook() hands a sheet's merged ranges to the listener, after its rows (review)", async (t) => {
  // Before: <mergeCells> was skipped, so a consumer could not tell a merged group label, held only
  // in the range's top-left cell, from a value over one row with blanks under it.
  const tmp = tempDir();
  const read = async (file: string, sheet: string) => {
    const wb = await openWorkbook(file);
    const seen: string[] = [];
    const merges = { onRange: null as ((range: MergedRange) => void) | null };
    try {
      const rows = wb.rows(sheet, { merges });
      // Set after rows() was called, as a consumer handed only the rows does.
      merges.onRange = (m) => seen.push(`${m.ref} ${m.firstRow},${m.firstCol}-${m.lastRow},${m.lastCol}`);
      for await (const row of rows) seen.push(`row ${row.row}`);
    } finally {
      await wb.close();
    }
    return seen;
  };
  try {
    for (const [label, options] of [["excel", {}], ["libreoffice", { flavor: "libreoffice" }], ["prefixed strict", { prefix: "x", strict: true }]] as [string, WriteOptions][]) {
      await t.test(label, async () => {
        const file = tmp.write(`merged-${label.replace(/\W+/g, "_")}.xlsx`, xlsxBytes([{ name: "Lista", rows: [["Gobierno", "A", 1], [null, "B", 2], ["Título", null, null]], merges: ["A1:A2", "A3:C3"] }], options));
        assert.deepEqual(await read(file, "Lista"), ["row 1", "row 2", "row 3", "'Lista'!A1:A2 1,1-2,1", "'Lista'!A3:C3 3,1-3,3"]);
      });
    }
    await t.test("a range given bottom-right first, in lower case, or one cell", async () => {
      const file = tmp.write("merged-odd.xlsx", handmadeXlsx({ sheets: [{ name: "S", xml: `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData><mergeCells count="3"><mergeCell ref="C4:B2"/><mergeCell ref="d1:e1"/><mergeCell ref="F9"/></mergeCells></worksheet>` }] }));
      assert.deepEqual(await read(file, "S"), ["row 1", "'S'!B2:C4 2,2-4,3", "'S'!D1:E1 1,4-1,5", "'S'!F9 9,6-9,6"]);
    });
    // It stopped the whole load as malformed-xml; ranges are formatting, and the cells read fine.
    await t.test("a range that is no range of a sheet, or no ref at all, is passed over; the rows and the other ranges still come", async () => {
      for (const bad of ['ref="A1:XFE2"', 'ref="A0:B2"', 'ref="A1:B1048577"', 'ref="1A:B2"', 'ref=""', ""]) {
        const file = tmp.write("merged-bad.xlsx", handmadeXlsx({ sheets: [{ name: "S", xml: `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData><mergeCells count="2"><mergeCell ${bad}/><mergeCell ref="B2:C2"/></mergeCells></worksheet>` }] }));
        assert.deepEqual(await read(file, "S"), ["row 1", "'S'!B2:C2 2,2-2,3"], bad);
      }
    });
    await t.test("ranges over many chunks arrive one by one, each once, after the last row", async () => {
      const merges = Array.from({ length: 40_000 }, (_, i) => `A${i + 2}:B${i + 2}`);
      const file = tmp.write("merged-many.xlsx", xlsxBytes([{ name: "S", rows: [["x"]], merges }]));
      const seen = await read(file, "S");
      assert.equal(seen.length, 40_001);
      assert.equal(seen[0], "row 1");
      assert.equal(seen[40_000], "'S'!A40001:B40001 40001,1-40001,2");
    });
    await t.test("without a listener the ranges are skipped", async () => {
      const file = tmp.write("merged-plain.xlsx", xlsxBytes([{ name: "S", rows: [["x"], []], merges: ["A1:A2"] }]));
      assert.deepEqual(await readAll(file), { S: { A1: "x" } });
    });
  } finally {
    tmp.cleanup();
  }
});
