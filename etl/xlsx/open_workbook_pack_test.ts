import { test } from "node:test";
import assert from "node:assert/strict";
import { xlsxBytes, type Flavor, type WriteOptions } from "../../scripts/testing/xlsx_writer.ts";
import { matrixWorkbook } from "../../scripts/testing/matrix_workbook.ts";
import { handmadeXlsx, tempDir } from "../../scripts/testing/xlsx_cells.ts";
import { columnLetters, openWorkbook, type CellValue, type PackColumns } from "./mod.ts";

/** Every cell of a sheet as "ref=value", read plainly or with `pack` (packed states decoded back to 0/1). */
async function cellsOf(file: string, sheet: string, pack?: PackColumns): Promise<{ cells: string[]; packed: number }> {
  const show = (v: CellValue) => (v instanceof Date ? `date:${v.toISOString()}` : `${typeof v}:${String(v)}`);
  const workbook = await openWorkbook(file);
  const cells: string[] = [];
  let packed = 0;
  try {
    for await (const row of workbook.rows(sheet, { pack })) {
      for (const c of row.cells) cells.push(`${columnLetters(c.col)}${c.row}=${show(c.value)}`);
      if (row.packed && pack) {
        packed += row.packedCount ?? 0;
        for (let i = 0; i < pack.count; i++) {
          const state = (row.packed[i >> 2] >> ((i & 3) << 1)) & 3;
          if (state !== 0) cells.push(`${columnLetters(pack.first + i)}${row.row}=number:${state === 2 ? 1 : 0}`);
        }
      }
    }
  } finally {
    await workbook.close();
  }
  return { cells: cells.sort(), packed };
}

test("rows({ pack }) packs exactly the plain 0/1 number cells of the packed columns; everything else stays a Cell", async (t) => {
  const tmp = tempDir();
  try {
    // Every shape a 0/1 can take in a packed column (B..Z), 300 rows so that most cells are far
    // from a chunk end (the packed lane, like the fast lane, leaves the last 512 bytes to the
    // generic code) and chunk ends cut cells everywhere. Style 1 is a date format.
    const shapes = (r: number) =>
      `<c r="A${r}"><v>${r}</v></c>` +
      `<c r="B${r}"><v>1</v></c>` + // packed
      `<c r="C${r}" s="0"><v>0</v></c>` + // packed: style 0 is not a date
      `<c r="D${r}" s="1"><v>1</v></c>` + // a date (1900-01-01), not a number
      `<c r="E${r}" t="n"><v>1</v></c>` + // packed
      `<c r="F${r}" s="0" t="n"><v>0</v></c>` + // packed
      `<c r="G${r}" t="s"><v>1</v></c>` + // shared string 1, which is the text "1"
      `<c r="H${r}"><v>1.0</v></c>` + // the number 1, spelled otherwise
      `<c r="I${r}"><f>1</f><v>1</v></c>` + // a formula's result
      `<c r="J${r}" t="b"><v>1</v></c>` + // TRUE
      `<c r="K${r}" t="str"><v>1</v></c>` + // a formula's text result
      `<c r="l${r}"><v>1</v></c>` + // a lowercase reference
      `<c r="M${r}"  ><v>0</v></c>` + // odd spacing
      `<c><v>0</v></c>` + // no r=: column N
      `<c r="O${r}" s="2"/>` + // style only: no value
      `<c r="P${r}"><v>2</v></c>` + // not 0/1
      `<c r="Q${r}" t="inlineStr"><is><t>1</t></is></c>` +
      `<c r="R${r}"><v>1</v></c>` + // packed
      `<c r="Z${r}"><v>0</v></c>` + // packed: the last packed column
      `<c r="AA${r}"><v>1</v></c>`; // right of the packed columns
    let xml = "";
    for (let r = 1; r <= 300; r++) xml += r % 50 === 0 ? `<row>${shapes(r)}</row>` : `<row r="${r}">${shapes(r)}</row>`; // some rows without r=
    const styles = `<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="0"/></cellXfs>`;
    const file = tmp.write("shapes.xlsx", handmadeXlsx({ sheets: [{ name: "S", xml }], styles, sharedStrings: `<si><t>x</t></si><si><t>1</t></si>` }));
    const plain = await cellsOf(file, "S");
    const pack = { first: 2, count: 25 };
    const packed = await cellsOf(file, "S", pack);
    assert.deepEqual(packed.cells, plain.cells, "the same cells and values either way");
    assert.ok(packed.packed > 280 * 6, `most of the six packable cells per row were packed (${packed.packed})`);
    assert.ok(packed.packed <= 294 * 6, "rows without r= are never packed");
    assert.ok(plain.cells.includes("D7=date:1900-01-01T00:00:00.000Z") && plain.cells.includes("G7=string:1"));
    await t.test("a pack request filled in while reading applies to rows the reader starts afterwards", async () => {
      // 600 actors: ~8 MB of sheet XML, many chunks; rows already parsed when the request is
      // filled in stay unpacked, later ones are packed.
      const big = tmp.write("m600.xlsx", xlsxBytes(matrixWorkbook({ actors: 600 })));
      const late: PackColumns = { first: 0, count: 0 };
      const workbook = await openWorkbook(big);
      const packedRows: boolean[] = [];
      try {
        for await (const row of workbook.rows("Matriz de adyacencia", { pack: late })) {
          packedRows.push(row.packed !== undefined);
          if (packedRows.length === 10) Object.assign(late, { first: 3, count: 600 });
        }
      } finally {
        await workbook.close();
      }
      assert.deepEqual(packedRows.slice(0, 10), new Array(10).fill(false));
      assert.equal(packedRows.at(-1), true);
    });
  } finally {
    tmp.cleanup();
  }
});

test("rows({ pack }) reads the same cells as a plain read from every writer's matrix", async (t) => {
  const tmp = tempDir();
  try {
    const variants: [string, WriteOptions][] = [
      ...(["excel", "libreoffice", "openpyxl", "inline", "google"] as Flavor[]).map((flavor): [string, WriteOptions] => [flavor, { flavor }]),
      ["styled blanks", { styledBlanks: true }],
      ["some refs omitted", { omitCellRefs: "some", omitRowRefs: "some" }],
      ["prefixed elements", { prefix: "x" }],
    ];
    for (const [name, options] of variants) {
      await t.test(name, async () => {
        const file = tmp.write(`m-${name}.xlsx`, xlsxBytes(matrixWorkbook({ actors: 120, filledActors: 100, seed: 9, asymmetric: 5 }), options));
        const pack = { first: 3, count: 120 };
        assert.deepEqual((await cellsOf(file, "Matriz de adyacencia", pack)).cells, (await cellsOf(file, "Matriz de adyacencia")).cells);
      });
    }
  } finally {
    tmp.cleanup();
  }
});
