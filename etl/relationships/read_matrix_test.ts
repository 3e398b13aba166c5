import { test } from "node:test";
import assert from "node:assert/strict";
import { Findings } from "./findings.ts";
import { cellState, ONE, readMatrix, UNKNOWN, ZERO } from "./read_matrix.ts";
import { gridRows, moveGrid, usersGrid, type GridValue } from "../../scripts/testing/sheet_rows.ts";

const S = "Matriz de adyacencia";

async function read(grid: GridValue[][]) {
  const findings = new Findings();
  const matrix = await readMatrix(gridRows(S, grid), { sheet: S, findings });
  return { matrix, findings: findings.list() };
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
  await t.test("no header row", async () => {
    const { matrix, findings } = await read([["hola"], [0, 1, 0]]);
    assert.equal(matrix, null);
    assert.equal(findings[0].check, "matrix_not_found");
    assert.equal(findings[0].severity, "error");
  });
});
