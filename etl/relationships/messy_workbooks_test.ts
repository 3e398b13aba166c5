// Workbooks as people and programs really save them (sheets renamed, an openpyxl script's
// formulas, a VLOOKUP's #N/A, codes typed on a Mac), loaded end to end: real .xlsx bytes, a real
// DuckDB snapshot in a temp data dir. Each case once published wrong data or hid the reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../db/mod.ts";
import { xlsxBytes, type CellInput, type SheetSpec, type WriteOptions } from "../../scripts/testing/xlsx_writer.ts";
import { loadRelationships } from "./load_relationships.ts";
import { snapshotPath } from "./publish.ts";

const M = "Matriz de adyacencia";
const L = "Lista de actores";

/** Three actors, all related: ids in C1:E1, codes in C2:E2, rows 3-5 (id in A, code in B); list code | id | name. */
function grids(): { matrix: CellInput[][]; list: CellInput[][] } {
  const codes = ["A", "B", "C"];
  const matrix: CellInput[][] = [[null, null, 1, 2, 3], [null, null, ...codes]];
  for (let a = 1; a <= 3; a++) matrix.push([a, codes[a - 1], ...[1, 2, 3].map((b) => (a === b ? 0 : 1))]);
  const list: CellInput[][] = [["Código", "Id", "Nombre"], ...[1, 2, 3].map((id) => [codes[id - 1], id, `Actor ${id}`])];
  return { matrix, list };
}

async function load(sheets: SheetSpec[], options: WriteOptions = {}, dir = mkdtempSync(join(tmpdir(), "messy-workbook-test-"))) {
  const workbook = join(dir, "relaciones.xlsx");
  writeFileSync(workbook, xlsxBytes(sheets, options));
  const { run } = await loadRelationships({ workbook, dataDir: dir, force: true });
  return { dir, run };
}

async function actors(dir: string): Promise<string[]> {
  const db = await Database.open(snapshotPath(dir), { readOnly: true });
  try {
    const rows = await db.all<{ numeric_id: number; letter_code: string | null; actor_name: string | null; list_letter_code: string | null }>(
      "SELECT numeric_id, letter_code, actor_name, list_letter_code FROM actors ORDER BY 1",
    );
    return rows.map((r) => `${r.numeric_id} ${r.letter_code} ${r.actor_name} ${r.list_letter_code}`);
  } finally {
    db.close();
  }
}

test("the actor list is never read from the matrix's sheet, and hints are tried in order", async (t) => {
  const { matrix, list } = grids();
  const expected = ["1 A Actor 1 A", "2 B Actor 2 B", "3 C Actor 3 C"];
  await t.test("'Matriz de actores' and 'Actores': the list is 'Actores'", async () => {
    // Before: "Matriz de actores" holds the hint "actores", so the list was read from the matrix:
    // codes published as names, no list codes, and not one finding.
    const { dir, run } = await load([{ name: "Matriz de actores", rows: matrix }, { name: "Actores", rows: list }]);
    try {
      assert.equal(run.status, "succeeded", run.error?.message);
      assert.deepEqual(await actors(dir), expected);
      assert.deepEqual(run.findings, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await t.test("'Lista actores' wins over an earlier 'Resumen actores'", async () => {
    const { dir, run } = await load([
      { name: M, rows: matrix },
      { name: "Resumen actores", rows: [["Total", 3]] },
      { name: "Lista actores", rows: list },
    ]);
    try {
      assert.equal(run.status, "succeeded", run.error?.message);
      assert.deepEqual(await actors(dir), expected);
      assert.deepEqual(run.findings, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await t.test("only the matrix's sheet: refused, saying which sheet is the matrix", async () => {
    const { dir, run } = await load([{ name: "Matriz de actores", rows: matrix }]);
    try {
      assert.equal(run.status, "failed");
      assert.equal(run.error?.code, "missing-sheet");
      assert.equal(run.error?.message, "Cannot find sheet 'Lista de actores'; the workbook has 'Matriz de actores' (read as the matrix)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("a formula saved without its result is refused wherever it sits, naming its cells", async (t) => {
  // openpyxl writes <f> without <v>. Before, only matrix cells were checked: a header continued
  // as =D1+1 cut the matrix after its literal ids (published with half the pairs unknown, warnings
  // only), row ids and list ids as formulas dropped those rows and actors, and a name became
  // "#UNCALCULATED".
  const cases: [string, (g: ReturnType<typeof grids>) => void, string[]][] = [
    ["header ids", (g) => { g.matrix[0][4] = { formula: "D1+1" }; }, [`'${M}'!E1`]],
    ["every header id but the first", (g) => { g.matrix[0][3] = { formula: "C1+1" }; g.matrix[0][4] = { formula: "D1+1" }; }, [`'${M}'!D1`, `'${M}'!E1`]],
    ["row ids", (g) => { g.matrix[3][0] = { formula: "A3+1" }; g.matrix[4][0] = { formula: "A4+1" }; }, [`'${M}'!A4`, `'${M}'!A5`]],
    ["codes", (g) => { g.matrix[1][4] = { formula: "\"C\"" }; g.matrix[4][1] = { formula: "E2" }; }, [`'${M}'!E2`, `'${M}'!B5`]],
    ["list ids", (g) => { g.list[2][1] = { formula: "B2+1" }; g.list[3][1] = { formula: "B3+1" }; }, [`'${L}'!B3`, `'${L}'!B4`]],
    ["a list name", (g) => { g.list[1][2] = { formula: "UPPER(\"ana\")" }; }, [`'${L}'!C2`]],
  ];
  const dir = mkdtempSync(join(tmpdir(), "messy-workbook-test-"));
  try {
    const good = grids();
    const first = await load([{ name: M, rows: good.matrix }, { name: L, rows: good.list }], {}, dir);
    assert.equal(first.run.status, "succeeded", first.run.error?.message);
    for (const [what, edit, cells] of cases) {
      await t.test(what, async () => {
        const g = grids();
        edit(g);
        const { run } = await load([{ name: M, rows: g.matrix }, { name: L, rows: g.list }], { flavor: "openpyxl" }, dir);
        assert.equal(run.status, "failed", JSON.stringify(run.findings));
        assert.equal(run.error?.code, "invalid-data");
        assert.match(run.error!.message, /formulas? saved without (its|their) results?.*open it in Excel or LibreOffice, save it/);
        const f = run.findings.find((x) => x.check === "formula_not_calculated");
        assert.equal(f?.severity, "error");
        assert.deepEqual(f?.cells, cells);
        assert.deepEqual(await actors(dir), ["1 A Actor 1 A", "2 B Actor 2 B", "3 C Actor 3 C"], "version 1 stays published");
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an error in the actor list (a VLOOKUP's #N/A) is read as blank and named, never published as a name or code", async () => {
  const g = grids();
  g.list[2][2] = { error: "#N/A" }; // C3: actor 2's name
  g.list[3][0] = { formula: "VLOOKUP(B4,X:Y,2,0)", value: { error: "#N/A" } }; // A4: actor 3's code, as Excel saves it
  for (const flavor of ["excel", "google"] as const) {
    const { dir, run } = await load([{ name: M, rows: g.matrix }, { name: L, rows: g.list }], { flavor });
    try {
      assert.equal(run.status, "succeeded", run.error?.message);
      assert.deepEqual(await actors(dir), ["1 A Actor 1 A", "2 B null B", "3 C Actor 3 null"]);
      const f = run.findings.find((x) => x.check === "list_error_value");
      assert.equal(f?.severity, "warning", JSON.stringify(run.findings));
      assert.deepEqual(f?.cells, [`'${L}'!C3`, `'${L}'!A4`]);
      assert.match(f!.message, /2 actor list cells hold errors .* read as blank \('#N\/A', '#N\/A'\)/);
      assert.equal(run.findings.find((x) => x.check === "code_mismatch_list"), undefined, "'#N/A' is no code to disagree with");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test("codes and names typed decomposed (N + combining tilde) are the composed Ñ", async () => {
  // macOS and PDF pastes give "N\u0303": before, 'Ñ vs Ñ' was a code_mismatch_list warning between
  // two identical-looking codes, and the API's /actors/Ñ (composed, as keyboards type it) missed it.
  const g = grids();
  g.matrix[1][2] = "Ñ";
  g.matrix[2][1] = "Ñ";
  g.list[1][0] = "N\u0303";
  g.list[1][2] = "Nu\u0301n\u0303ez";
  const { dir, run } = await load([{ name: M, rows: g.matrix }, { name: L, rows: g.list }]);
  try {
    assert.equal(run.status, "succeeded", run.error?.message);
    assert.deepEqual(run.findings, []);
    assert.deepEqual((await actors(dir))[0], "1 Ñ Núñez Ñ");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a visible sheet wins over a hidden one, and a hidden sheet read is named", async (t) => {
  const { matrix, list } = grids();
  const stale = grids().matrix.map((row) => row.map((v) => (v === 1 ? 0 : v))); // an old copy: nobody related
  await t.test("a hidden 'Matriz de adyacencia' and a visible 'Matriz de adyacencia ': the visible one is read", async () => {
    // Before: the exact name won, so the hidden old copy was published (no pairs) without a finding.
    const { dir, run } = await load([
      { name: M, rows: stale, state: "hidden" },
      { name: `${M} `, rows: matrix },
      { name: L, rows: list },
    ]);
    try {
      assert.equal(run.status, "succeeded", run.error?.message);
      assert.equal(run.counts.pairs, 3);
      assert.deepEqual(run.findings, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await t.test("only a very hidden list: it is read, with a warning naming it", async () => {
    const { dir, run } = await load([
      { name: M, rows: matrix },
      { name: L, rows: list, state: "veryHidden" },
    ]);
    try {
      assert.equal(run.status, "succeeded", run.error?.message);
      assert.deepEqual(await actors(dir), ["1 A Actor 1 A", "2 B Actor 2 B", "3 C Actor 3 C"]);
      assert.deepEqual(
        run.findings.map((f) => [f.check, f.severity, f.message]),
        [["hidden_sheet", "warning", "A sheet read is hidden in Excel, and no visible sheet matched ('Lista de actores'): check that it is the current one"]],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await t.test("no list at all: the message marks the hidden sheets", async () => {
    const { dir, run } = await load([{ name: M, rows: matrix }, { name: "Notas", rows: [["x"]], state: "hidden" }]);
    try {
      assert.equal(run.status, "failed");
      assert.equal(run.error?.message, "Cannot find sheet 'Lista de actores'; the workbook has 'Matriz de adyacencia' (read as the matrix), 'Notas' (hidden)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
