import { test } from "node:test";
import assert from "node:assert/strict";
import { Findings, MAX_EXAMPLE_CHARS } from "./findings.ts";
import { buildActors, forEachPair, rowString } from "./model.ts";
import { readActorList } from "./read_actor_list.ts";
import { readMatrix } from "./read_matrix.ts";
import { gridRows, usersGrid, type GridValue } from "../../scripts/testing/sheet_rows.ts";

const M = "Matriz de adyacencia";
const L = "Lista de actores";

async function model(grid: GridValue[][], listGrid: GridValue[][]) {
  const findings = new Findings();
  const matrix = (await readMatrix(gridRows(M, grid), { sheet: M, findings }))!;
  const list = await readActorList(gridRows(L, listGrid), { sheet: L, findings });
  const actors = buildActors(matrix, list, findings);
  const pairs: unknown[] = [];
  forEachPair(matrix, actors, findings, (a, b, ab, ba) => pairs.push([a, b, ab, ba]));
  return { matrix, actors, pairs, findings: findings.list() };
}

test("forEachPair() emits each unordered pair once with both directions", async () => {
  const grid = usersGrid([
    [0, 1, 1, 0],
    [1, 0, 0, null],
    [0, 0, 0, 1],
    [null, null, null, null],
  ]);
  const list = [["A", 1, "Ana"], ["B", 2, "Bea"], ["C", 3, "Caro"], ["D", 4, "Dani"]];
  const { actors, pairs, findings, matrix } = await model(grid, list);
  assert.deepEqual(
    (pairs as [number, number][]).sort((x, y) => x[0] - y[0] || x[1] - y[1]),
    [[1, 2, true, true], [1, 3, true, false], [3, 4, true, null]],
  );
  assert.deepEqual(actors.map((a) => [a.numeric_id, a.degree, a.unknown_cells]), [[1, 2, 0], [2, 1, 1], [3, 2, 0], [4, 1, 3]]);
  const asym = findings.find((f) => f.check === "asymmetric_pair");
  assert.deepEqual(asym?.cells, [`'${M}'!E3`, `'${M}'!C5`]);
  assert.equal(findings.find((f) => f.check === "unknown_cells")?.count, 4);
  assert.equal(rowString(matrix.rows[1], 4), "100.");
});

test("buildActors() cross-checks the matrix and the list", async () => {
  const grid = usersGrid([[0, 1, 0], [1, 0, 0], [0, 0, 0]], ["A", "B", "C"]);
  grid[1][4] = "X"; // header code of id 3 disagrees with its row code "C"
  const list = [["A", 1, "Ana"], ["b", 2, "Bea"], ["E", 5, "Eva"]];
  const { actors, findings } = await model(grid, list);
  const byCheck = Object.fromEntries(findings.map((f) => [f.check, f]));
  assert.deepEqual(byCheck.not_in_list.cells, [`'${M}'!A5`]);
  assert.deepEqual(byCheck.not_in_matrix.cells, [`'${L}'!B3`]);
  assert.deepEqual(byCheck.code_mismatch_list.cells, [`'${M}'!B4`, `'${L}'!A2`]);
  assert.deepEqual(byCheck.code_mismatch_matrix.cells, [`'${M}'!E2`, `'${M}'!B5`]);
  assert.deepEqual(
    actors.map((a) => [a.numeric_id, a.letter_code, a.list_letter_code, a.actor_name, a.in_matrix, a.in_list, a.matrix_position]),
    [[1, "A", "A", "Ana", true, true, 0], [2, "B", "b", "Bea", true, true, 1], [3, "C", null, null, true, false, 2], [5, "E", "E", "Eva", false, true, null]],
  );
});

test("buildActors() names a letter code given to more than one actor, with the cells it was read from", async () => {
  // Ids 2 and 3 both "B" in the matrix; id 5, only in the list, "A" like id 1.
  const grid = usersGrid([[0, 1, 0], [1, 0, 0], [0, 0, 0]], ["A", "B", "B"]);
  const list = [["A", 1, "Ana"], ["B", 2, "Bea"], ["B", 3, "Bruno"], ["A", 5, "Alba"]];
  const { findings } = await model(grid, list);
  const duplicate = findings.find((f) => f.check === "duplicate_code");
  assert.equal(duplicate?.severity, "warning");
  assert.equal(duplicate?.count, 2);
  assert.deepEqual(duplicate?.cells, [`'${M}'!B3`, `'${L}'!A4`, `'${M}'!B4`, `'${M}'!B5`]);
  assert.match(duplicate?.message ?? "", /2 letter codes are given to more than one actor \('A: 1, 5', 'B: 2, 3'\)/);
});

test("buildActors() takes codes as the API looks them up, in any case: 'A' and 'a' on two actors are a duplicate_code", async () => {
  const grid = usersGrid([[0, 1], [1, 0]], ["A", "B"]);
  const { findings } = await model(grid, [["A", 1, "Ana"], ["B", 2, "Bea"], ["a", 5, "Alba"]]);
  assert.match(findings.find((f) => f.check === "duplicate_code")?.message ?? "", /'A: 1, 5'/);
});

test("buildActors(): a duplicate_code quotes the ids that share the code, however long the code is", async () => {
  // Before: the example "<code>: <ids>" was cut at MAX_EXAMPLE_CHARS as a whole, so a code of 300
  // characters left "xxx...": the ids holding it, what the finding is about, were gone.
  const long = "x".repeat(300);
  const grid = usersGrid([[0, 1], [1, 0]], ["A", "B"]);
  const { findings } = await model(grid, [["A", 1, "Ana"], ["B", 2, "Bea"], [long, 5, "Alba"], [long, 6, "Bruno"]]);
  const text = /\('(.*)'\)$/.exec(findings.find((f) => f.check === "duplicate_code")?.message ?? "")?.[1] ?? "";
  assert.ok(text.length <= MAX_EXAMPLE_CHARS, `${text.length} characters`);
  assert.match(text, /^X+\.\.\.: 5, 6$/i);
});

test("buildActors(): unknown_cells of a row whose id is not a header column counts the blanks of that row", async () => {
  // Row 7 has no column (row_not_in_header): one 1, one 0, one blank. Before: unknown_cells 3 (every cell).
  const grid = usersGrid([[0, 1, 0], [1, 0, 0], [0, 0, 0]]);
  grid.push([7, "G", 1, 0, null]);
  const { actors, findings } = await model(grid, [["A", 1, "Ana"], ["B", 2, "Bea"], ["C", 3, "Caro"], ["G", 7, "Gil"]]);
  assert.deepEqual(actors.map((a) => [a.numeric_id, a.degree, a.unknown_cells]), [[1, 2, 0], [2, 1, 0], [3, 0, 0], [7, 1, 1]]);
  assert.equal(findings.find((f) => f.check === "unknown_cells")?.count, 1);
});

test("buildActors(): an actor only in the header row (no data row) still has its header code checked against the list", async () => {
  const grid = usersGrid([[0, 1, 0], [1, 0, 0], [0, 0, 0]]);
  grid.pop(); // id 3 keeps its column and header code "C", but has no row
  const { actors, findings } = await model(grid, [["A", 1, "Ana"], ["B", 2, "Bea"], ["Z", 3, "Caro"]]);
  const mismatch = findings.find((f) => f.check === "code_mismatch_list");
  assert.deepEqual(mismatch?.cells, [`'${M}'!E2`, `'${L}'!A3`]);
  assert.match(mismatch?.message ?? "", /'3: C vs Z'/);
  assert.deepEqual(actors.find((a) => a.numeric_id === 3)?.letter_code, "C");
});

test("buildActors(): a code mismatch quotes both codes, however long the first one is", async () => {
  // Before: the example "<id>: <first code> vs <second code>" was cut at MAX_EXAMPLE_CHARS as a
  // whole, so a first code of 300 characters left "2: xxx...": the code it disagreed with was gone.
  const long = "x".repeat(300);
  const grid = usersGrid([[0, 1, 0], [1, 0, 0], [0, 0, 0]], ["A", long, "C"]);
  grid[1][3] = "B"; // header code of id 2 disagrees with its (long) row code
  const { findings } = await model(grid, [["A", 1, "Ana"], ["Z", 2, "Bea"], ["C", 3, "Caro"]]);
  const byCheck = Object.fromEntries(findings.map((f) => [f.check, f]));
  const example = (check: string) => /\('(.*)'\)$/.exec(byCheck[check].message)?.[1] ?? "";
  for (const [check, second] of [["code_mismatch_matrix", " vs x"], ["code_mismatch_list", " vs Z"]] as const) {
    const text = example(check);
    assert.ok(text.length <= MAX_EXAMPLE_CHARS, `${check}: ${text.length} characters`);
    assert.ok(text.includes(second), `${check}: ${text}`);
    assert.match(text, /^2: /, check);
  }
  assert.match(example("code_mismatch_matrix"), /^2: B vs x+\.\.\.$/);
  assert.match(example("code_mismatch_list"), /^2: x+\.\.\. vs Z$/);
});

// The codes of a disagreement reached the dashboard only through the message, which quotes five:
// from the sixth on it could say only "header and row disagree".
test("buildActors(): every header/row code disagreement the cells list carries both codes in `values`, beside its cells", async () => {
  for (const n of [7, 30]) {
    const codes = Array.from({ length: n }, (_, i) => String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26)));
    const grid = usersGrid(Array.from({ length: n }, () => new Array(n).fill(0)), codes);
    for (let i = 0; i < n; i++) grid[1][2 + i] = `${codes[i]}X`; // every header code lags its row's
    const { findings } = await model(grid, codes.map((code, i) => [code, i + 1, `Actor ${i + 1}`]));
    const mismatch = findings.find((f) => f.check === "code_mismatch_matrix")!;
    assert.equal(mismatch.count, n);
    // Bounded as the cells are (MAX_FINDING_CELLS: 25 pairs), in step with them.
    const listed = Math.min(n, 25);
    assert.equal(mismatch.cells.length, 2 * listed);
    assert.deepEqual(mismatch.values, codes.slice(0, listed).flatMap((code) => [`${code}X`, code]), `n = ${n}`);
    assert.equal([...mismatch.message.matchAll(/ vs /g)].length, 5, "the message still quotes five");
  }
});
