import { test } from "node:test";
import assert from "node:assert/strict";
import { openWorkbook } from "../xlsx/mod.ts";
import { Findings } from "./findings.ts";
import { cellState, ONE, readMatrix, UNKNOWN, ZERO } from "./read_matrix.ts";
import { gridRows, moveGrid, usersGrid, type GridValue } from "../../scripts/testing/sheet_rows.ts";
import { tempDir } from "../../scripts/testing/xlsx_cells.ts";
import { xlsxBytes, type CellInput, type Flavor } from "../../scripts/testing/xlsx_writer.ts";

const S = "Matriz de adyacencia";

async function read(grid: GridValue[][]) {
  const findings = new Findings();
  const matrix = await readMatrix(gridRows(S, grid), { sheet: S, findings });
  return { matrix, findings: findings.list() };
}

/** Reads `grid` as a real .xlsx written by the fixture writer (text cells as the writer stores them). */
async function readXlsx(grid: CellInput[][], flavor: Flavor = "excel") {
  const tmp = tempDir();
  try {
    const file = tmp.write("m.xlsx", xlsxBytes([{ name: S, rows: grid }], { flavor }));
    const workbook = await openWorkbook(file);
    try {
      const findings = new Findings();
      const matrix = await readMatrix(workbook.rows(S), { sheet: S, findings });
      return { matrix, findings: findings.list() };
    } finally {
      await workbook.close();
    }
  } finally {
    tmp.cleanup();
  }
}

const base = usersGrid([
  [0, 1, 0],
  [1, 0, null],
  [null, null, null],
]);

test("readMatrix() finds the users' layout", async () => {
  const { matrix, findings } = await read(base);
  assert.ok(matrix);
  assert.deepEqual(matrix.ids, [1, 2, 3]);
  assert.deepEqual(matrix.headerCodes, ["A", "B", "C"]);
  assert.equal(matrix.headerRow, 1);
  assert.equal(matrix.codeRow, 2);
  assert.equal(matrix.firstCol, 3);
  assert.equal(matrix.idCol, 1);
  assert.equal(matrix.codeCol, 2);
  assert.deepEqual(matrix.rows.map((r) => [r.id, r.code, r.sheetRow, r.unknown]), [[1, "A", 3, 0], [2, "B", 4, 1], [3, "C", 5, 2]]);
  assert.equal(cellState(matrix.rows[0], 1), ONE);
  assert.equal(cellState(matrix.rows[0], 2), ZERO);
  assert.equal(cellState(matrix.rows[1], 2), UNKNOWN);
  assert.deepEqual(findings, []);
});

test("readMatrix() takes the code column right beside the id, not a name column after it when the first code is blank (review)", async () => {
  // id | code | name | cells: the first row's code is blank, so its first text cell was the name,
  // and the names became every actor's letter code.
  const { matrix } = await read([
    [null, null, null, 1, 2, 3],
    [null, null, null, "A", "B", "C"],
    [1, null, "Actor 1", 0, 1, 1],
    [2, "B", "Actor 2", 1, 0, 1],
    [3, "C", "Actor 3", 1, 1, 0],
  ]);
  assert.ok(matrix);
  assert.equal(matrix.codeCol, 2);
  assert.deepEqual(matrix.rows.map((r) => [r.id, r.code]), [[1, null], [2, "B"], [3, "C"]]);
  // code | id | name | cells, the first code blank: the name right of the id was taken (review of this pass).
  const left = await read([
    [null, null, null, 1, 2, 3],
    [null, null, null, "A", "B", "C"],
    [null, 1, "Actor 1", 0, 1, 1],
    ["B", 2, "Actor 2", 1, 0, 1],
    ["C", 3, "Actor 3", 1, 1, 0],
  ]);
  assert.equal(left.matrix?.codeCol, 1);
  assert.deepEqual(left.matrix?.rows.map((r) => [r.id, r.code]), [[1, null], [2, "B"], [3, "C"]]);
});

test("readMatrix() tolerates moved tables, blank rows, trailing empties and notes", async (t) => {
  await t.test("moved down and right", async () => {
    const { matrix } = await read(moveGrid(base, 4, 3));
    assert.equal(matrix?.headerRow, 5);
    assert.equal(matrix?.firstCol, 6);
    assert.equal(matrix?.idCol, 4);
    assert.deepEqual(matrix?.rows.map((r) => r.id), [1, 2, 3]);
  });
  await t.test("title above, blank row inside, note below, text-stored ids", async () => {
    const grid: GridValue[][] = [["Relaciones 2026"], ...base];
    grid.splice(4, 0, []); // blank row between data rows
    grid[1] = grid[1].map((v) => (typeof v === "number" ? String(v) : v));
    grid.push([], ["Nota: 1 = se conocen"]);
    const { matrix, findings } = await read(grid);
    assert.deepEqual(matrix?.ids, [1, 2, 3]);
    assert.deepEqual(matrix?.rows.map((r) => r.id), [1, 2, 3]);
    assert.deepEqual(findings, []);
  });
  await t.test("a title row with adjacent years above the matrix", async () => {
    const { matrix, findings } = await read([[null, "Relaciones", 2024, 2025], [], ...base]);
    assert.deepEqual(matrix?.ids, [1, 2, 3]);
    assert.equal(matrix?.headerRow, 3);
    assert.deepEqual(matrix?.rows.map((r) => r.id), [1, 2, 3]);
    assert.deepEqual(findings, []);
  });
  await t.test("no code row and no code column", async () => {
    const grid = [[null, 1, 2], [1, 0, 1], [2, 1, 0]];
    const { matrix } = await read(grid);
    assert.deepEqual(matrix?.ids, [1, 2]);
    assert.equal(matrix?.codeRow, null);
    assert.equal(matrix?.rows[1].code, null);
    assert.equal(cellState(matrix!.rows[1], 0), ONE);
  });
  await t.test("codes above the ids", async () => {
    const grid = [[null, null, "A", "B"], [null, null, 1, 2], [1, "A", 0, 1], [2, "B", 1, 0]];
    const { matrix } = await read(grid);
    assert.equal(matrix?.codeRow, 1);
    assert.deepEqual(matrix?.headerCodes, ["A", "B"]);
  });
  await t.test("header id without a data row, rows out of order", async () => {
    const grid = usersGrid([[0, 1, 0], [1, 0, 0], [0, 0, 0]]);
    const rows = [grid[0], grid[1], grid[4], grid[2]]; // id 3 first, id 2 missing
    const { matrix } = await read(rows);
    assert.deepEqual(matrix?.rows.map((r) => r.id), [3, 1]);
  });
});

test("readMatrix() reports problems with cell references", async (t) => {
  await t.test("values other than 0/1 are errors", async () => {
    const grid = usersGrid([[0, 2], ["x", 0]] as never);
    const { findings } = await read(grid);
    const f = findings.find((x) => x.check === "invalid_value");
    assert.equal(f?.severity, "error");
    assert.equal(f?.count, 2);
    assert.deepEqual(f?.cells, [`'${S}'!D3`, `'${S}'!C4`]);
    assert.match(f!.message, /'2', 'x'/);
  });
  await t.test("duplicate ids in the header and in the rows are errors", async () => {
    const grid = usersGrid([[0, 1, 0], [1, 0, 0], [0, 0, 0]]);
    grid[0][4] = 2;
    grid[4][0] = 1;
    const { findings } = await read(grid);
    const f = findings.find((x) => x.check === "duplicate_id");
    assert.equal(f?.count, 2);
    assert.deepEqual(f?.cells, [`'${S}'!D1`, `'${S}'!E1`, `'${S}'!A3`, `'${S}'!A5`]);
  });
  await t.test("a 1 on the diagonal is a warning", async () => {
    const { findings } = await read(usersGrid([[1, 0], [0, 0]]));
    assert.deepEqual(findings.map((f) => [f.check, f.severity, f.cells]), [["diagonal_one", "warning", [`'${S}'!C3`]]]);
  });
  await t.test("two 1s on the diagonal: the message says themselves (review)", async () => {
    const { findings } = await read(usersGrid([[1, 0], [0, 1]]));
    assert.deepEqual(findings.map((f) => f.message), ["2 actors are marked as related to themselves (1 on the diagonal) ('1', '2')"]);
  });
  await t.test("no header row", async () => {
    const { matrix, findings } = await read([["hola"], [0, 1, 0]]);
    assert.equal(matrix, null);
    assert.equal(findings[0].check, "matrix_not_found");
    assert.equal(findings[0].severity, "error");
  });
});

test("readMatrix() judges every cell by one rule: its value as a number, surrounding spaces ignored", async (t) => {
  // Row 1 of a 2-actor matrix holds [diagonal 0, the cell under test]; row 2 is all zeros. Each
  // case goes through real .xlsx bytes, as shared strings (Excel) and as inline strings.
  const cases: [string, CellInput, "0" | "1" | "blank" | "invalid"][] = [
    ["number 1", 1, "1"],
    ["number 0", 0, "0"],
    ["text '1'", "1", "1"],
    ["text '0'", "0", "0"],
    ["text ' 1 ' (spaces kept by xml:space)", " 1 ", "1"],
    ["text '1.0'", "1.0", "1"],
    ["text '0.00'", "0.00", "0"],
    ["text '01'", "01", "1"],
    ["text '1e0'", "1e0", "1"],
    ["text '\\u00a01' (a non-breaking space pasted from the web)", "\u00a01", "1"],
    ["empty text", "", "blank"],
    ["text of spaces only", "   ", "blank"],
    ["text '2'", "2", "invalid"],
    ["text '0.5'", "0.5", "invalid"],
    ["text '1,0' (a decimal comma is text, not a number)", "1,0", "invalid"],
    ["text 'uno'", "uno", "invalid"],
    ["text '0x1'", "0x1", "invalid"],
    ["number 2", 2, "invalid"],
    ["boolean TRUE", true, "invalid"],
  ];
  for (const flavor of ["excel", "inline"] as const) {
    await t.test(flavor, async (t) => {
      for (const [name, value, expected] of cases) {
        await t.test(name, async () => {
          const grid: CellInput[][] = [[null, null, 1, 2], [null, null, "A", "B"], [1, "A", 0, value], [2, "B", 0, 0]];
          const { matrix, findings } = await readXlsx(grid, flavor);
          const invalid = findings.find((f) => f.check === "invalid_value");
          if (expected === "invalid") {
            assert.deepEqual(invalid?.cells, [`'${S}'!D3`]);
            return;
          }
          assert.equal(invalid, undefined, `no invalid_value finding: ${JSON.stringify(findings)}`);
          const state = cellState(matrix!.rows[0], 1);
          assert.equal(state, { "0": ZERO, "1": ONE, blank: UNKNOWN }[expected]);
          assert.equal(matrix!.rows[0].unknown, expected === "blank" ? 1 : 0, "a blank cell is unknown, never 0");
        });
      }
    });
  }
});

test("readMatrix() reports cells right of the header's last id, naming them", async () => {
  // The header ends at D (ids 1, 2); a 1 in G3 and text in F4 have no actor above them.
  const grid: CellInput[][] = [
    [null, null, 1, 2],
    [null, null, "A", "B"],
    [1, "A", 0, 1, null, null, 1],
    [2, "B", 1, 0, null, "nota"],
    [null, null, null, null, null, null, 1], // no id: not a data row
  ];
  const { matrix, findings } = await readXlsx(grid);
  assert.deepEqual(matrix?.ids, [1, 2]);
  const f = findings.find((x) => x.check === "cell_beyond_header");
  assert.equal(f?.severity, "warning");
  assert.equal(f?.count, 2);
  assert.deepEqual(f?.cells, [`'${S}'!G3`, `'${S}'!F4`]);
  assert.match(f!.message, /2 cells lie right of the matrix/);
  assert.equal(cellState(matrix!.rows[0], 1), ONE, "the matrix itself is read as before");
});

test("readMatrix() reads the same matrix and findings whether the reader packs 0/1 cells or not", async () => {
  // 300 actors with everything a row can hold: blanks, diagonal 1s, text and invalid values,
  // values right of the header, rows without an id, a duplicate row. Packed or not, the rows,
  // states, unknown counts and findings (in order, with their cells) must be the same.
  const n = 300;
  const grid: CellInput[][] = [[null, null, ...Array.from({ length: n }, (_, i) => i + 1)], [null, null, ...Array.from({ length: n }, (_, i) => `C${i + 1}`)]];
  for (let a = 1; a <= n; a++) {
    const row: CellInput[] = [a, `C${a}`];
    for (let b = 1; b <= n; b++) {
      const h = (a * 7919 + b * 104729) % 1000;
      row.push(a === b ? (a % 17 === 0 ? 1 : 0) : h < 40 ? null : h < 45 ? " 1 " : h < 46 && a % 5 === 0 ? 2 : h < 200 ? 1 : 0);
    }
    if (a % 31 === 0) row.push(null, 1);
    grid.push(row);
    if (a % 97 === 0) grid.push([null, null, 1, 0, 1]);
  }
  grid.push([150, "dup", 1, 1]);
  const tmp = tempDir();
  try {
    const file = tmp.write("m.xlsx", xlsxBytes([{ name: S, rows: grid }]));
    const read = async (pack?: { first: number; count: number }) => {
      const workbook = await openWorkbook(file);
      try {
        const findings = new Findings();
        const matrix = await readMatrix(workbook.rows(S, { pack }), { sheet: S, findings, pack });
        return { rows: matrix!.rows.map((r) => ({ ...r, cells: Buffer.from(r.cells).toString("hex") })), findings: findings.list() };
      } finally {
        await workbook.close();
      }
    };
    const pack = { first: 0, count: 0 };
    const packed = await read(pack);
    assert.equal(pack.count, n, "readMatrix asked for the header's columns");
    assert.deepEqual(packed, await read());
    const checks = new Set(packed.findings.map((f) => f.check));
    for (const check of ["duplicate_id", "invalid_value", "row_without_id", "cell_beyond_header", "diagonal_one"]) assert.ok(checks.has(check), check);
    assert.ok(packed.findings.some((f) => f.check === "diagonal_one" && f.count === Math.floor(n / 17)));
  } finally {
    tmp.cleanup();
  }
});

test("readMatrix() reads a header whose ids are in any order, the first two too", async () => {
  // Actors sorted by name: the header starts 2, 1. The run of ids was taken from the first
  // increasing pair (1, 3), so column C (actor 2) and its 1s were lost.
  const grid: CellInput[][] = [
    [null, null, 2, 1, 3],
    [null, null, "B", "A", "C"],
    [1, "A", 1, 0, 0],
    [2, "B", 0, 1, 1],
    [3, "C", 0, 1, 0],
  ];
  const { matrix, findings } = await readXlsx(grid);
  assert.deepEqual(findings, []);
  assert.deepEqual(matrix?.ids, [2, 1, 3]);
  assert.deepEqual(matrix?.headerCodes, ["B", "A", "C"]);
  assert.equal(matrix?.firstCol, 3);
  assert.equal(cellState(matrix!.rows[0], 0), ONE, "C3: actor 1 is related to actor 2");
  assert.equal(cellState(matrix!.rows[1], 2), ONE, "E4: actor 2 is related to actor 3");
});

test("readMatrix() refuses a header with a hole between ids, naming the cell, instead of cutting the matrix there", async (t) => {
  const rows = (header: CellInput[]): CellInput[][] => [
    header,
    [null, null, "A", "B", "C", "D", "E"],
    [1, "A", 0, 1, 1, 1, 1],
    [2, "B", 1, 0, 1, 1, 1],
  ];
  for (const [name, header] of [
    ["the longer side first", [null, null, 1, 2, 3, null, 5]],
    ["the longer side last", [null, null, 1, null, 3, 4, 5]],
    ["a #REF! in it", [null, null, 1, 2, { error: "#REF!" }, 4, 5]],
  ] as [string, CellInput[]][]) {
    await t.test(name, async () => {
      const { findings } = await readXlsx(rows(header));
      const f = findings.find((x) => x.check === "header_gap");
      assert.equal(f?.severity, "error", JSON.stringify(findings));
      const hole = `'${S}'!${"CDEFG"[header.findIndex((v, i) => i >= 2 && (v === null || typeof v === "object")) - 2]}1`;
      assert.deepEqual(f?.cells, [hole]);
      // True on either side of the longer run of ids: it said "the columns right of it cannot be
      // placed", wrong for a hole left of it (those columns are the ones read; review).
      assert.doesNotMatch(f!.message, /(right|left) of it/);
      assert.match(f!.message, /ids on both sides of it cannot be read as one header/);
      // Nothing that only follows from the hole (review): before, the 0/1 column under a hole left
      // of the header was read as the row ids (id_out_of_range '0', duplicate_id '1'), and the
      // columns past a hole right of it were each cell_beyond_header.
      assert.deepEqual(findings.map((x) => x.check), ["header_gap"], JSON.stringify(findings));
    });
  }
  await t.test("ids and text beyond the header's end without a hole are not one", async () => {
    const { findings } = await readXlsx([[null, null, 1, 2, "Total"], [null, null, "A", "B"], [1, "A", 0, 1], [2, "B", 1, 0]]);
    assert.deepEqual(findings, []);
  });
});

test("readMatrix() refuses a matrix whose rows carry no id, instead of reading it as empty", async () => {
  // The id column deleted: rows labelled by code only. Each row was a warning and the matrix was
  // published with no pairs, dropping every relationship of the version before.
  const grid: CellInput[][] = [
    [null, 1, 2, 3],
    [null, "A", "B", "C"],
    ["A", 0, 1, 0],
    ["B", 1, 0, 1],
    ["C", 0, 1, 0],
  ];
  const { findings } = await readXlsx(grid);
  const f = findings.find((x) => x.check === "rows_not_found");
  assert.equal(f?.severity, "error", JSON.stringify(findings));
  assert.match(f!.message, /3 rows have values but no numeric id/);
});

test("readMatrix() refuses formulas saved without their results, instead of reading them as blank", async () => {
  // A script mirrored the upper triangle into the lower with formulas and never calculated them
  // (openpyxl writes <f> without <v>): every lower cell read as blank, so each pair lost a direction.
  const grid: CellInput[][] = [
    [null, null, 1, 2, 3],
    [null, null, "A", "B", "C"],
    [1, "A", 0, 1, 0],
    [2, "B", { formula: "D3" }, 0, 1],
    [3, "C", { formula: "E3" }, { formula: "E4" }, 0],
  ];
  for (const flavor of ["excel", "inline"] as const) {
    const { findings } = await readXlsx(grid, flavor);
    const f = findings.find((x) => x.check === "formula_not_calculated");
    assert.equal(f?.severity, "error", JSON.stringify(findings));
    assert.deepEqual(f?.cells, [`'${S}'!C4`, `'${S}'!C5`, `'${S}'!D5`]);
    assert.match(f!.message, /3 cells hold formulas saved without their results.*open it in Excel or LibreOffice, save it/);
    assert.equal(findings.find((x) => x.check === "invalid_value"), undefined);
  }
});

test("readMatrix() takes the real header under a title row of two years, whatever rows lie between (review)", async (t) => {
  // Before, a title row `2025 | 2026` was the header until a longer row of ids came, and any row
  // with a number left of it (a version, a page number) counted as its first data row: the header
  // was then final, so the matrix's own header never took over and a matrix of years was
  // published with warnings. A code row right under the title was its codes, lost to the matrix.
  const body: CellInput[][] = [[1, "A", 0, 1, 0], [2, "B", 1, 0, 1], [3, "C", 0, 1, 0]];
  const cases: [string, CellInput[][]][] = [
    ["a row with a number, then the header", [[null, "Relaciones", 2025, 2026], ["Versión", 3], [], [null, null, 1, 2, 3], [null, null, "A", "B", "C"], ...body]],
    ["a lone number under the title", [[null, null, 2025, 2026], [4], [null, null, 1, 2, 3], [null, null, "A", "B", "C"], ...body]],
    ["the codes right under the title, then the ids", [[null, null, 2025, 2026], [null, null, "A", "B", "C"], [null, null, 1, 2, 3], ...body]],
    ["as many years as actors", [[null, null, 2024, 2025, 2026], [null, null, 1, 2, 3], [null, null, "A", "B", "C"], ...body]],
    ["the title right of the header's first column", [[null, null, null, 2025, 2026], [null, null, 1, 2, 3], [null, null, "A", "B", "C"], ...body]],
  ];
  for (const [name, grid] of cases) {
    await t.test(name, async () => {
      const { matrix, findings } = await readXlsx(grid);
      assert.deepEqual(findings, []);
      assert.deepEqual(matrix?.ids, [1, 2, 3]);
      assert.deepEqual(matrix?.headerCodes, ["A", "B", "C"]);
      assert.deepEqual(matrix?.rows.map((r) => [r.id, r.code]), [[1, "A"], [2, "B"], [3, "C"]]);
      assert.equal(matrix?.idCol, 1);
      assert.equal(cellState(matrix!.rows[0], 1), ONE);
    });
  }
  await t.test("two actors under two years", async () => {
    const { matrix, findings } = await readXlsx([[null, null, 2025, 2026], [null, null, "A", "B"], [null, null, 1, 2], [1, "A", 0, 1], [2, "B", 1, 0]]);
    assert.deepEqual(findings, []);
    assert.deepEqual(matrix?.ids, [1, 2]);
    assert.deepEqual(matrix?.headerCodes, ["A", "B"]);
    assert.equal(matrix?.headerRow, 3);
  });
});

test("readMatrix() reads codes stored as digit text beside number ids as codes, not as the ids (review)", async (t) => {
  // The id column was the right-most whole number left of the header, so a code column of digit
  // text ("10") beside the ids was taken for it; with the code row of the same digits the codes
  // were published as the actors (10, 20, 30), their pairs made up, and no finding said so.
  const cases: [string, CellInput[][]][] = [
    ["with a code row", [[null, null, 1, 2, 3], [null, null, "10", "20", "30"], [1, "10", 0, 1, 0], [2, "20", 1, 0, 1], [3, "30", 0, 1, 0]]],
    ["without a code row", [[null, null, 1, 2, 3], [1, "10", 0, 1, 0], [2, "20", 1, 0, 1], [3, "30", 0, 1, 0]]],
  ];
  for (const [name, grid] of cases) {
    await t.test(name, async () => {
      const { matrix, findings } = await readXlsx(grid);
      assert.deepEqual(findings, []);
      assert.deepEqual(matrix?.ids, [1, 2, 3]);
      assert.deepEqual(matrix?.rows.map((r) => [r.id, r.code]), [[1, "10"], [2, "20"], [3, "30"]]);
      assert.equal(matrix?.idCol, 1);
      assert.equal(cellState(matrix!.rows[0], 1), ONE);
    });
  }
});

test("readMatrix() keeps a code row above the header holding one code when that actor's row confirms it", async () => {
  // The counterpart of a title above the header (messy_workbooks_test): one text over the header is
  // a code when the data row of its actor has that code.
  const { matrix, findings } = await read([[null, null, "A"], [null, null, 1, 2, 3], [1, "A", 0, 1, 0], [2, "B", 1, 0, 1], [3, "C", 0, 1, 0]]);
  assert.deepEqual(findings, []);
  assert.deepEqual(matrix?.headerCodes, ["A", null, null]);
  assert.equal(matrix?.codeRow, 1);
});

test("readMatrix() names a blank header cell over a column of 0/1 values as the error, not the 0s read as row ids (review)", async (t) => {
  // Before: with C1 (actor 1's id) cleared, the header started at D1 and its 0/1 column C was taken
  // for the row ids: the load failed with "id_out_of_range ('0')" naming C3, C5..., or, when the
  // first row's cell there was blank, published without actor 1's column.
  const rows = (first: CellInput): CellInput[][] => [
    [null, null, null, 2, 3, 4],
    [null, null, "A", "B", "C", "D"],
    [1, "A", first, 1, 0, 1],
    [2, "B", 1, 0, 1, 0],
    [3, "C", 0, 1, 0, 1],
    [4, "D", 1, 0, 1, 0],
  ];
  for (const [name, first] of [["a 0 under it in the first row", 0], ["a 1 under it in the first row", 1], ["a blank under it in the first row", null]] as [string, CellInput][]) {
    await t.test(name, async () => {
      const { findings } = await readXlsx(rows(first));
      assert.deepEqual(findings.map((x) => x.check), ["header_id_blank"], JSON.stringify(findings));
      const [f] = findings;
      assert.equal(f.severity, "error");
      assert.deepEqual(f.cells, [`'${S}'!C1`]);
      assert.match(f.message, /header.*blank.*0\/1 values, not row ids/);
    });
  }
  await t.test("an id column right beside the header, its header cell blank, is no such column", async () => {
    const { matrix, findings } = await readXlsx([[null, 1, 2, 3], [1, 0, 1, 1], [2, 1, 0, 1], [3, 1, 1, 0]]);
    assert.deepEqual(findings, []);
    assert.equal(matrix?.idCol, 1);
  });
  await t.test("a one-row matrix whose id 1 sits beside the header after a counter column is no such column", async () => {
    const { matrix, findings } = await readXlsx([[null, null, 1, 2], [7, 1, 0, 1]]);
    assert.deepEqual(findings.filter((x) => x.severity === "error"), []);
    assert.equal(matrix?.idCol, 2);
  });
});
