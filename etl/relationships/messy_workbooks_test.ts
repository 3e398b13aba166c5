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
import { handmadeXlsx } from "../../scripts/testing/xlsx_cells.ts";
import { columnLetters } from "../xlsx/mod.ts";
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

/** The matrix's header and code rows, as the snapshot's matrix_layout holds them. */
async function layout(dir: string): Promise<unknown[]> {
  const db = await Database.open(snapshotPath(dir), { readOnly: true });
  try {
    return await db.all("SELECT header_row, code_row FROM matrix_layout");
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
  const published = await actorsWithoutFindings((g) => {
    g.matrix[1][2] = "Ñ";
    g.matrix[2][1] = "Ñ";
    g.list[1][0] = "N\u0303";
    g.list[1][2] = "Nu\u0301n\u0303ez";
  });
  assert.deepEqual(published[0], "1 Ñ Núñez Ñ");
});

/** The actors `grids()` edited by `edit` publishes, once the load is known to succeed without a finding. */
async function actorsWithoutFindings(edit: (g: ReturnType<typeof grids>) => void): Promise<string[]> {
  const g = grids();
  edit(g);
  const { dir, run } = await load([{ name: M, rows: g.matrix }, { name: L, rows: g.list }]);
  try {
    assert.equal(run.status, "succeeded", run.error?.message);
    assert.deepEqual(run.findings, []);
    return await actors(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("an invisible character at either end of a code or name (a zero-width space pasted from a web page) is trimmed like a space (review)", async () => {
  // Before: 'A vs A\u200b' was a code_mismatch_list warning between two codes that look the same,
  // the list's code and the name were published with it, and the next version without it showed
  // the name "changed" from 'Actor 1' to 'Actor 1'.
  const published = await actorsWithoutFindings((g) => {
    g.matrix[2][1] = "\u200bA";
    g.matrix[1][3] = "B\u2060";
    g.list[1][0] = "A\u200b";
    g.list[1][2] = "\u200dActor 1\u200b ";
  });
  assert.deepEqual(published.slice(0, 2), ["1 A Actor 1 A", "2 B Actor 2 B"]);
});

test("a matrix cell or an id with an invisible character at either end reads as without it, as with a space (review)", async () => {
  // Before: '1\u200b' was "a value other than 0 or 1 ('1')", a cell holding only a zero-width space
  // (blank to the eye) failed the load the same way, and a row id '2\u200b' dropped that row.
  const g = grids();
  g.matrix[2][3] = "1\u200b";
  g.matrix[2][4] = "\ufeff\u200b";
  g.matrix[3][0] = "\u20602";
  const { dir, run } = await load([{ name: M, rows: g.matrix }, { name: L, rows: g.list }]);
  try {
    assert.equal(run.status, "succeeded", run.error?.message);
    assert.deepEqual(run.findings.map((f) => [f.check, f.count, f.cells]), [["unknown_cells", 1, [`'${M}'!C3:E3`]]]);
    const db = await Database.open(snapshotPath(dir), { readOnly: true });
    try {
      const pairs = await db.all("SELECT person_a, person_b, a_to_b, b_to_a FROM user_relationships ORDER BY 1, 2");
      assert.deepEqual(pairs, [
        { person_a: 1, person_b: 2, a_to_b: true, b_to_a: true },
        { person_a: 1, person_b: 3, a_to_b: null, b_to_a: true },
        { person_a: 2, person_b: 3, a_to_b: true, b_to_a: true },
      ]);
    } finally {
      db.close();
    }
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
        [["hidden_sheet", "warning", "A sheet read is hidden in Excel: 'Lista de actores' for the actor list, as no visible sheet matched; check that it is the current one"]],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await t.test("a hidden list named exactly wins over a visible sheet holding only a hint ('Resumen por actores')", async () => {
    // Lookup lists are often hidden. Before (this pass's first version of the rule), every visible
    // sheet was tried by name and hints before any hidden one, so the summary was read as the list.
    const { dir, run } = await load([
      { name: M, rows: matrix },
      { name: "Resumen por actores", rows: [["Id", "Total"], [3, 1], [3, 2]] },
      { name: L, rows: list, state: "hidden" },
    ]);
    try {
      assert.equal(run.status, "succeeded", run.error?.message);
      assert.deepEqual(await actors(dir), ["1 A Actor 1 A", "2 B Actor 2 B", "3 C Actor 3 C"]);
      assert.deepEqual(run.findings.map((f) => f.check), ["hidden_sheet"]);
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

test("a matrix cell written twice (0, then 1) fails the load naming the cell, in a packed row too", async (t) => {
  // Before, the reader yielded both cells and readMatrix OR-ed their 2-bit states into 3, neither
  // a 0 nor a 1: the pair was published as unknown, with a finding "-1 matrix cells are blank".
  // 200 actors: ~900 KB of sheet XML, so the reader packs the rows after its first 512 KB chunk.
  const n = 200;
  const is = (ref: string, text: string) => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;
  const num = (ref: string, v: number) => `<c r="${ref}"><v>${v}</v></c>`;
  const code = (id: number) => `K${id}`;
  const col = (id: number) => columnLetters(id + 2); // ids 1..n from column C
  /** The n x n matrix (everyone related), the cell `twice` written a second time with the other value. */
  const workbook = (twice?: { id: number; row: number }) => {
    let matrix = `<row r="1">${Array.from({ length: n }, (_, k) => num(`${col(k + 1)}1`, k + 1)).join("")}</row>`;
    matrix += `<row r="2">${Array.from({ length: n }, (_, k) => is(`${col(k + 1)}2`, code(k + 1))).join("")}</row>`;
    for (let a = 1; a <= n; a++) {
      const r = a + 2;
      let cells = num(`A${r}`, a) + is(`B${r}`, code(a));
      for (let b = 1; b <= n; b++) {
        const v = a === b ? 0 : 1;
        cells += num(`${col(b)}${r}`, v);
        if (twice?.row === r && twice.id === b) cells += num(`${col(b)}${r}`, 1 - v);
      }
      matrix += `<row r="${r}">${cells}</row>`;
    }
    let list = `<row r="1">${is("A1", "Código")}${is("B1", "Id")}${is("C1", "Nombre")}</row>`;
    for (let id = 1; id <= n; id++) list += `<row r="${id + 1}">${is(`A${id + 1}`, code(id))}${num(`B${id + 1}`, id)}${is(`C${id + 1}`, `Actor ${id}`)}</row>`;
    return handmadeXlsx({ sheets: [{ name: M, xml: matrix }, { name: L, xml: list }] });
  };
  const dir = mkdtempSync(join(tmpdir(), "messy-workbook-test-"));
  try {
    const path = join(dir, "relaciones.xlsx");
    writeFileSync(path, workbook());
    const first = await loadRelationships({ workbook: path, dataDir: dir, force: true });
    assert.equal(first.run.status, "succeeded", first.run.error?.message);
    const published = await actors(dir);
    // Row 3 is read before the header is known (cells); rows of later chunks come packed.
    for (const [what, twice, ref] of [["the first data row", { id: 2, row: 3 }, "D3"], ["a packed row", { id: 5, row: 180 }, "G180"]] as const) {
      await t.test(what, async () => {
        writeFileSync(path, workbook(twice));
        const { run } = await loadRelationships({ workbook: path, dataDir: dir, force: true });
        assert.equal(run.status, "failed", JSON.stringify(run.findings));
        assert.equal(run.error?.code, "malformed-xml");
        assert.match(run.error!.message, new RegExp(`cell '${M}'!${ref} is written twice in its row`));
        assert.deepEqual(run.findings.filter((f) => typeof f.count === "number" && f.count < 0), [], "no finding counts a negative number of cells");
        assert.deepEqual(await actors(dir), published, "version 1 stays published");
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The reviewer's layout: ids in C1.., codes in row 2, rows `code | id | cells` from row 3 (actor r
 * marks c with 1 when r + c is a multiple of 3); the list `Código | Id | Nombre`.
 */
function square(ids: readonly CellInput[], codes: readonly CellInput[] = ids.map((_, k) => "ABCDEFGHIJ"[k])) {
  const matrix: CellInput[][] = [[null, null, ...ids], [null, null, ...codes]];
  ids.forEach((id, r) => matrix.push([codes[r], id, ...ids.map((_, c) => (r === c ? 0 : (r + c) % 3 === 0 ? 1 : 0))]));
  const list: CellInput[][] = [["Código", "Id", "Nombre"], ...ids.map((id, k) => [codes[k], id, `Actor ${String(codes[k])}`])];
  return { matrix, list };
}

async function loaded(matrix: CellInput[][], list: CellInput[][], check: (dir: string, run: Awaited<ReturnType<typeof load>>["run"]) => Promise<void>) {
  const { dir, run } = await load([{ name: M, rows: matrix }, { name: L, rows: list }]);
  try {
    await check(dir, run);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("an id outside 1..2147483647 or a fraction fails the load naming its cell, instead of dropping the actor (review)", async (t) => {
  // Before: header cells of 2^31 or more ended the header (their actors and pairs dropped with a
  // cell_beyond_header warning), one in the middle was a "header_gap ... a cell without an id", and
  // a 0 in the header let a 0/1 column become the id column; each published with exit 0.
  const cases: [string, CellInput[], string[], RegExp][] = [
    ["ids 1, 2, 2147483653, 9007199254740991, 1e15", [1, 2, 2147483653, 9007199254740991, 1e15], ["E1", "F1", "G1"], /2147483653.*ids are 1 to 2147483647/],
    ["ids 1, 2, 3, 4, 2147483648", [1, 2, 3, 4, 2147483648], ["G1"], /2147483648/],
    ["ids 1, 2, 3000000000, 4, 5", [1, 2, 3000000000, 4, 5], ["E1"], /3000000000/],
    ["ids 0, 1, 2, 3, 4", [0, 1, 2, 3, 4], ["C1"], /'0'.*ids are 1 to 2147483647/],
    ["ids 1, 2, 3, 4, 5.5", [1, 2, 3, 4, 5.5], ["G1"], /'5.5'.*whole numbers only/],
  ];
  for (const [what, ids, header, message] of cases) {
    await t.test(what, async () => {
      const { matrix, list } = square(ids);
      await loaded(matrix, list, async (_dir, run) => {
        assert.equal(run.status, "failed", JSON.stringify(run.findings));
        const f = run.findings.find((x) => x.check === "id_out_of_range");
        assert.equal(f?.severity, "error", JSON.stringify(run.findings));
        assert.match(f!.message, message);
        assert.equal(f!.count, header.length, "each id counted once, though in the list, the header and a row");
        for (const cell of header) assert.ok(f!.cells.includes(`'${M}'!${cell}`), `${cell} in ${JSON.stringify(f!.cells)}`);
        assert.ok(!run.findings.some((x) => x.check === "header_gap" || x.check === "cell_beyond_header"), JSON.stringify(run.findings));
      });
    });
  }
});

test("an id written as the text of a whole number with a zero fraction ('3.0', as a float column exports) is that id everywhere (review)", async (t) => {
  // Before: the header took '3.0' as 3, but a row's or the list's '3.0' failed the load with "1 id
  // is not valid ('3'): ... whole numbers only", and ids all written so were matrix_not_found / list_not_found.
  const pairs = async (dir: string) => {
    const db = await Database.open(snapshotPath(dir), { readOnly: true });
    try {
      return await db.all("SELECT person_a, person_b, a_to_b, b_to_a FROM user_relationships ORDER BY 1, 2");
    } finally {
      db.close();
    }
  };
  const numeric = square([1, 2, 3, 4]);
  let expected: { actors: string[]; pairs: unknown[] } | undefined;
  await loaded(numeric.matrix, numeric.list, async (dir, run) => {
    assert.equal(run.status, "succeeded", run.error?.message);
    expected = { actors: await actors(dir), pairs: await pairs(dir) };
  });
  const all = square(["1.0", "2.0", "3.0", "4.0"], ["A", "B", "C", "D"]);
  const some = square([1, 2, 3, 4]);
  some.matrix[4][1] = "3.0";
  some.list[4][1] = " 4.00 ";
  for (const [what, { matrix, list }] of [["every id", all], ["a row's id and a list id", some]] as const) {
    await t.test(what, async () => {
      await loaded(matrix, list, async (dir, run) => {
        assert.equal(run.status, "succeeded", run.error?.message);
        assert.deepEqual(run.findings.map((f) => f.check), []);
        assert.deepEqual({ actors: await actors(dir), pairs: await pairs(dir) }, expected);
      });
    });
  }
  await t.test("'3.5' is still no id", async () => {
    const { matrix, list } = square([1, 2, 3, 4]);
    matrix[4][1] = "3.5";
    await loaded(matrix, list, async (_dir, run) => {
      assert.equal(run.status, "failed");
      const f = run.findings.find((x) => x.check === "id_out_of_range");
      assert.deepEqual(f?.cells, [`'${M}'!B5`], JSON.stringify(run.findings));
      assert.match(f!.message, /'3\.5'/);
    });
  });
});

test("an actor list row with a code and a name but no usable id is named, not dropped silently (review)", async (t) => {
  const { matrix, list } = square([1, 2, 3, 4, 5]);
  await t.test("a blank id: warned, naming the id cell", async () => {
    await loaded(matrix, [...list, ["F", null, "Actor F sin id"], ["G", "  ", "Actor G"]], async (_dir, run) => {
      assert.equal(run.status, "succeeded", run.error?.message);
      const f = run.findings.find((x) => x.check === "list_row_without_id");
      assert.equal(f?.severity, "warning", JSON.stringify(run.findings));
      assert.deepEqual(f!.cells, [`'${L}'!B7`, `'${L}'!B8`]);
    });
  });
  await t.test("ids 0, 3000000000 and 7.5: refused, naming each id cell", async () => {
    await loaded(matrix, [...list, ["F", 0, "Actor Cero"], ["G", 3000000000, "Actor G"], ["H", 7.5, "Actor H"]], async (_dir, run) => {
      assert.equal(run.status, "failed", JSON.stringify(run.findings));
      const f = run.findings.find((x) => x.check === "id_out_of_range");
      assert.deepEqual(f?.cells, [`'${L}'!B7`, `'${L}'!B8`, `'${L}'!B9`], JSON.stringify(run.findings));
    });
  });
});

test("a code row of digit text under the header of ids is not taken for the header (review)", async () => {
  // Before: row 2 ("10", "20", ...) replaced row 1 as the header, and 10 actors were published (the
  // five codes as phantom actors, the row ids not in that header) with made-up pairs 1-40, 2-30.
  const { matrix, list } = square([1, 2, 3, 4, 5], ["10", "20", "30", "40", "50"]);
  await loaded(matrix, list, async (dir, run) => {
    assert.equal(run.status, "succeeded", run.error?.message);
    // The list's digit codes are its codes too (before, they read as a second id column there and
    // the list gave none).
    assert.deepEqual(await actors(dir), ["1 10 Actor 10 10", "2 20 Actor 20 20", "3 30 Actor 30 30", "4 40 Actor 40 40", "5 50 Actor 50 50"]);
    assert.equal(run.counts?.pairs, 3, JSON.stringify(run.counts));
    assert.deepEqual(run.findings, []);
  });
});

test("a title merged above the header of ids is not its code row when the codes are below it (review)", async () => {
  // Before: the title in C1 was taken as the code row: a code_mismatch_matrix '1: Relaciones entre
  // actores vs A' at C1, a row_without_id at B3 (the codes row) and matrix_layout.code_row 1.
  const { matrix, list } = square([1, 2, 3, 4, 5]);
  await loaded([[null, null, "Relaciones entre actores"], ...matrix], list, async (dir, run) => {
    assert.equal(run.status, "succeeded", run.error?.message);
    assert.deepEqual(run.findings, []);
    assert.deepEqual(await layout(dir), [{ header_row: 2, code_row: 3 }]);
  });
});

test("a title above the header of ids is no code row when the matrix has none (review)", async (t) => {
  // Before: with no code row under the header, the title in C1 was its code row: actor 1's letter
  // code was the title, with a code_mismatch_matrix '1: Relaciones entre actores vs A' (or, rows
  // without codes, published as its letter code unsaid), and matrix_layout.code_row 1. Once one
  // title was told apart, a second text (a source note over F1) still made the row the code row:
  // a code_mismatch_matrix for actors 1 and 4, or the two texts published as their letter codes.
  const titles: [string, CellInput[]][] = [
    ["a title", [null, null, "Relaciones entre actores"]],
    ["a title and a note", [null, null, "Relaciones entre actores", null, null, "Fuente: encuesta 2025"]],
  ];
  for (const [name, title] of titles) {
    await t.test(`${name}; rows id | code | cells`, async () => {
      const { matrix, list } = square([1, 2, 3, 4, 5]);
      await loaded([title, matrix[0]!, ...matrix.slice(2)], list, async (dir, run) => {
        assert.equal(run.status, "succeeded", run.error?.message);
        assert.deepEqual(run.findings, []);
        assert.deepEqual(await actors(dir), ["1 A Actor A A", "2 B Actor B B", "3 C Actor C C", "4 D Actor D D", "5 E Actor E E"]);
        assert.deepEqual(await layout(dir), [{ header_row: 2, code_row: null }]);
      });
    });
    await t.test(`${name}; rows id | cells, no codes anywhere in the matrix`, async () => {
      const { matrix, list } = square([1, 2, 3, 4, 5]);
      const rows = matrix.slice(2).map((r) => [null, ...r.slice(1)]);
      await loaded([title, matrix[0]!, ...rows], list, async (dir, run) => {
        assert.equal(run.status, "succeeded", run.error?.message);
        assert.deepEqual(run.findings, []);
        assert.deepEqual(await actors(dir), ["1 A Actor A A", "2 B Actor B B", "3 C Actor C C", "4 D Actor D D", "5 E Actor E E"]);
      });
    });
  }
});

test("a code row above the header with no code row below is still the code row when sparse but confirmed, or over most columns", async (t) => {
  const { matrix, list } = square([1, 2, 3, 4, 5]);
  const cases: [string, CellInput[], CellInput[][]][] = [
    ["codes over most columns, rows without codes", [null, null, "A", "B", null, "D", "E"], matrix.slice(2).map((r) => [null, ...r.slice(1)])],
    ["two codes the rows' codes confirm", [null, null, "A", null, null, "D"], matrix.slice(2)],
  ];
  for (const [name, codes, rows] of cases) {
    await t.test(name, async () => {
      await loaded([codes, matrix[0]!, ...rows], list, async (dir, run) => {
        assert.equal(run.status, "succeeded", run.error?.message);
        assert.deepEqual(await layout(dir), [{ header_row: 2, code_row: 1 }]);
      });
    });
  }
});

test("rows `code | name | id | cells` publish the codes, not the names, as letter codes (review)", async () => {
  // Before: the text left of the id (the names) became every actor's letter code, with 10 warnings.
  const { matrix, list } = square([1, 2, 3, 4, 5]);
  const withNames = matrix.map((row, r) => (r < 2 ? [null, ...row] : [row[0], `Actor ${String(row[0])}`, ...row.slice(1)]));
  await loaded(withNames, list, async (dir, run) => {
    assert.equal(run.status, "succeeded", run.error?.message);
    assert.deepEqual(await actors(dir), ["1 A Actor A A", "2 B Actor B B", "3 C Actor C C", "4 D Actor D D", "5 E Actor E E"]);
    assert.deepEqual(run.findings, []);
  });
});

test("a number in the corner above the id column is not a header id (review)", async () => {
  // Before: 2025 in A1 joined the header (B1:F1), so the id column A lay inside it and the load
  // failed with rows_not_found listing A2..A6, the cells that hold the ids.
  const { list } = square([1, 2, 3, 4, 5]);
  const matrix: CellInput[][] = [[2025, 1, 2, 3, 4, 5]];
  for (let r = 0; r < 5; r++) matrix.push([r + 1, ...[0, 1, 2, 3, 4].map((c) => (r === c ? 0 : (r + c) % 3 === 0 ? 1 : 0))]);
  await loaded(matrix, list, async (dir, run) => {
    assert.equal(run.status, "succeeded", JSON.stringify(run.findings));
    assert.deepEqual(await actors(dir), ["1 A Actor A A", "2 B Actor B B", "3 C Actor C C", "4 D Actor D D", "5 E Actor E E"]);
    assert.equal(run.counts?.pairs, 3, JSON.stringify(run.counts));
    assert.deepEqual(run.findings, []);
  });
});

test("a matrix or list not found names the sheet it looked in, and rows_not_found its rows (review)", async (t) => {
  const { matrix, list } = square([1, 2, 3]);
  await t.test("no header: the sheet, and dates where the ids should be", async () => {
    const dated = [[null, null, new Date(Date.UTC(1900, 0, 1)), new Date(Date.UTC(1900, 0, 2)), new Date(Date.UTC(1900, 0, 3))], ...matrix.slice(1)];
    await loaded(dated, list, async (_dir, run) => {
      const f = run.findings.find((x) => x.check === "matrix_not_found");
      assert.match(f?.message ?? "", new RegExp(`'${M}'`), JSON.stringify(run.findings));
      assert.match(f!.message, /date/);
      assert.deepEqual(f!.cells, [`'${M}'!C1`, `'${M}'!D1`, `'${M}'!E1`]);
    });
  });
  await t.test("no list: the sheet", async () => {
    await loaded(matrix, [["pendiente"]], async (_dir, run) => {
      const f = run.findings.find((x) => x.check === "list_not_found");
      assert.match(f?.message ?? "", new RegExp(`'${L}'`), JSON.stringify(run.findings));
    });
  });
  await t.test("list ids formatted as dates: the id cells, and that they are dates (review)", async () => {
    // Before: list_not_found with no cell and no hint, while the matrix's header of dates had both.
    const dated = list.map((row, r) => (r === 0 ? row : [row[0], new Date(Date.UTC(1900, 0, r)), row[2]]));
    await loaded(matrix, dated, async (_dir, run) => {
      const f = run.findings.find((x) => x.check === "list_not_found");
      assert.match(f?.message ?? "", new RegExp(`'${L}'.*date`), JSON.stringify(run.findings));
      assert.deepEqual(f!.cells, [`'${L}'!B2`, `'${L}'!B3`, `'${L}'!B4`]);
    });
  });
  await t.test("row ids formatted as dates: the id cells, not the codes beside them (review)", async () => {
    // Before: with ids in A and codes in B, rows_not_found named B3:B5, the codes.
    const dated = matrix.map((row, r) => (r < 2 ? [row[1], row[0], ...row.slice(2)] : [new Date(Date.UTC(1900, 0, r - 1)), row[0], ...row.slice(2)]));
    await loaded(dated, list, async (_dir, run) => {
      const f = run.findings.find((x) => x.check === "rows_not_found");
      assert.match(f?.message ?? "", new RegExp(`'${M}'.*date`), JSON.stringify(run.findings));
      assert.deepEqual(f!.cells, [`'${M}'!A3`, `'${M}'!A4`, `'${M}'!A5`]);
    });
  });
  await t.test("rows without ids: the sheet and the rows", async () => {
    await loaded(matrix.map((row, r) => (r < 2 ? row : [row[0], null, ...row.slice(2)])), list, async (_dir, run) => {
      const f = run.findings.find((x) => x.check === "rows_not_found");
      assert.match(f?.message ?? "", new RegExp(`'${M}'`), JSON.stringify(run.findings));
      assert.deepEqual(f!.cells, [`'${M}'!B3`, `'${M}'!B4`, `'${M}'!B5`]);
    });
  });
});

test("ids formatted as dates in some rows fail the load naming them, instead of dropping those rows or actors (review)", async (t) => {
  // Before: with the id column formatted as dates in all rows but one (a format applied to part of
  // the column), each dated row was a row_without_id warning: the matrix published with one row of
  // fifty and exit 0; a list id so formatted dropped its actor's name with a warning only.
  const { matrix, list } = square([1, 2, 3, 4]);
  const day = (n: number) => new Date(Date.UTC(2024, 0, n));
  await t.test("matrix row ids", async () => {
    const dated = matrix.map((row, r) => (r === 3 || r === 4 ? [row[0], day(r - 1), ...row.slice(2)] : row));
    await loaded(dated, list, async (_dir, run) => {
      assert.equal(run.status, "failed", JSON.stringify(run.findings));
      const f = run.findings.find((x) => x.check === "id_is_date");
      assert.equal(f?.severity, "error", JSON.stringify(run.findings));
      assert.deepEqual(f!.cells, [`'${M}'!B4`, `'${M}'!B5`]);
      assert.match(f!.message, /2 ids are formatted as dates \('2024-01-02', '2024-01-03'\).*as numbers/);
      assert.equal(run.findings.some((x) => x.check === "row_without_id"), false, JSON.stringify(run.findings));
    });
  });
  await t.test("actor list ids", async () => {
    const dated = list.map((row, r) => (r === 3 ? [row[0], day(3), row[2]] : row));
    await loaded(matrix, dated, async (_dir, run) => {
      assert.equal(run.status, "failed", JSON.stringify(run.findings));
      const f = run.findings.find((x) => x.check === "id_is_date");
      assert.deepEqual(f?.cells, [`'${L}'!B4`], JSON.stringify(run.findings));
      assert.equal(run.findings.some((x) => x.check === "list_row_without_id"), false, JSON.stringify(run.findings));
    });
  });
  await t.test("every row id dated is still rows_not_found with its hint", async () => {
    const dated = matrix.map((row, r) => (r < 2 ? row : [row[0], day(r - 1), ...row.slice(2)]));
    await loaded(dated, list, async (_dir, run) => {
      const f = run.findings.find((x) => x.check === "rows_not_found");
      assert.match(f?.message ?? "", /date/, JSON.stringify(run.findings));
    });
  });
});

test("an id cell holding an error, a boolean or text that is no number fails the load naming it, instead of dropping the row or actor (review)", async (t) => {
  // Before: a row whose id was #REF! (a deleted row it pointed at), Google Sheets' #N/A, "3,0" or
  // TRUE was a row_without_id warning (list: list_error_value or list_row_without_id), that actor
  // and all its relationships dropped, published with exit 0. A blank id keeps its warning.
  const { matrix, list } = square([1, 2, 3, 4, 5, 6]);
  const broken: CellInput[] = [{ error: "#REF!" }, { error: "#N/A" }, "3,0", true, "6a"];
  for (const flavor of ["excel", "google"] as const) {
    await t.test(`matrix row ids (${flavor}), the first data row's too`, async () => {
      const rows = matrix.map((row, r) => (r >= 2 && r < 7 ? [row[0], broken[r - 2], ...row.slice(2)] : row));
      const { dir, run } = await load([{ name: M, rows }, { name: L, rows: list }], { flavor });
      try {
        assert.equal(run.status, "failed", JSON.stringify(run.findings));
        const f = run.findings.find((x) => x.check === "id_not_a_number");
        assert.equal(f?.severity, "error", JSON.stringify(run.findings));
        assert.deepEqual(f!.cells, ["B3", "B4", "B5", "B6", "B7"].map((c) => `'${M}'!${c}`));
        assert.match(f!.message, /^5 id cells hold no id \('#REF!', '#N\/A', '3,0', 'TRUE', '6a', \.\.\.\).*whole number/);
        assert.equal(run.findings.some((x) => x.check === "row_without_id"), false, JSON.stringify(run.findings));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
    await t.test(`actor list ids (${flavor})`, async () => {
      // A column title with a digit ("Id (1 a 6)") above the first actor is no broken id.
      const rows = list.map((row, r) => (r === 0 ? [row[0], "Id (1 a 6)", row[2]] : r < 6 ? [row[0], broken[r - 1], row[2]] : row));
      const { dir, run } = await load([{ name: M, rows: matrix }, { name: L, rows }], { flavor });
      try {
        assert.equal(run.status, "failed", JSON.stringify(run.findings));
        const f = run.findings.find((x) => x.check === "id_not_a_number");
        assert.deepEqual(f?.cells, ["B2", "B3", "B4", "B5", "B6"].map((c) => `'${L}'!${c}`), JSON.stringify(run.findings));
        for (const check of ["list_row_without_id", "list_error_value"]) assert.equal(run.findings.some((x) => x.check === check), false, JSON.stringify(run.findings));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
  await t.test("a blank id cell is still a row without an id, published with its warning", async () => {
    const rows = matrix.map((row, r) => (r === 4 ? [row[0], "  ", ...row.slice(2)] : row));
    await loaded(rows, list, async (_dir, run) => {
      assert.equal(run.status, "succeeded", JSON.stringify(run.findings));
      assert.deepEqual(run.findings.find((x) => x.check === "row_without_id")?.cells, [`'${M}'!B5`]);
    });
  });
});

test("the dates hint follows the workbook's date system: 1, 2, 3 are 1904-01-02... in a 1904 workbook (review)", async (t) => {
  // Before: every hint said a date format turns 1, 2, 3 into 1900-01-01..., while a workbook saved
  // with the 1904 date system (workbookPr date1904, old Mac Excel) shows them as 1904-01-02...
  const { matrix, list } = square([1, 2, 3, 4]);
  const day = (n: number) => new Date(Date.UTC(1904, 0, 1 + n));
  const cases: [string, CellInput[][], CellInput[][], string][] = [
    ["id_is_date, matrix rows", matrix.map((row, r) => (r === 3 ? [row[0], day(2), ...row.slice(2)] : row)), list, "id_is_date"],
    ["id_is_date, list", matrix, list.map((row, r) => (r === 3 ? [row[0], day(3), row[2]] : row)), "id_is_date"],
    ["matrix_not_found", [[null, null, day(1), day(2), day(3), day(4)], ...matrix.slice(1)], list, "matrix_not_found"],
    ["rows_not_found", matrix.map((row, r) => (r < 2 ? row : [row[0], day(r - 1), ...row.slice(2)])), list, "rows_not_found"],
    ["list_not_found", matrix, list.map((row, r) => (r === 0 ? row : [row[0], day(r), row[2]])), "list_not_found"],
  ];
  for (const [name, m, l, check] of cases) {
    await t.test(name, async () => {
      const { dir, run } = await load([{ name: M, rows: m }, { name: L, rows: l }], { date1904: true });
      try {
        const f = run.findings.find((x) => x.check === check);
        assert.match(f?.message ?? "", /turns 1, 2, 3 into 1904-01-02\.\.\.\)$/, JSON.stringify(run.findings));
        if (check === "id_is_date") assert.match(f!.message, /^1 id is formatted as a date \('1904-01-0[34]'\), so/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
  await t.test("a 1900 workbook keeps 1900-01-01...", async () => {
    await loaded(matrix.map((row, r) => (r === 3 ? [row[0], new Date(Date.UTC(1900, 0, 3)), ...row.slice(2)] : row)), list, async (_dir, run) => {
      const f = run.findings.find((x) => x.check === "id_is_date");
      assert.match(f?.message ?? "", /^1 id is formatted as a date \('1900-01-03'\).*turns 1, 2, 3 into 1900-01-01\.\.\.\)$/, JSON.stringify(run.findings));
    });
  });
});

test("an id given three times is one duplicate id, not three (review)", async () => {
  const { matrix, list } = square([1, 2, 3, 3]);
  await loaded(matrix, list, async (_dir, run) => {
    const f = run.findings.find((x) => x.check === "duplicate_id");
    assert.equal(f?.severity, "error", JSON.stringify(run.findings));
    assert.equal(f!.count, 1);
    assert.match(f!.message, /^1 actor id appears more than once \('3'\)$/);
  });
});

test("an actor listed without a name is warned, naming the cell (review)", async () => {
  const { matrix, list } = square([1, 2, 3]);
  await loaded(matrix, list.map((row, r) => (r === 1 ? [row[0], row[1], null] : row)), async (_dir, run) => {
    assert.equal(run.status, "succeeded", run.error?.message);
    const f = run.findings.find((x) => x.check === "list_name_blank");
    assert.equal(f?.severity, "warning", JSON.stringify(run.findings));
    assert.deepEqual(f!.cells, [`'${L}'!C2`]);
  });
});

test("actor 1's header id cleared fails the load naming that header cell, not the 0s under it as ids (review)", async (t) => {
  // Before: "1 id is not valid ('0')" naming C3, C4... (the 0/1 column taken for the row ids), or,
  // with actor 1's diagonal cell blank too, published with exit 0 and actor 1's column lost.
  for (const [name, diagonal] of [["its diagonal 0", 0], ["its diagonal blank", null]] as [string, CellInput][]) {
    await t.test(name, async () => {
      const { matrix, list } = grids();
      matrix[0][2] = null;
      matrix[2][2] = diagonal;
      const { dir, run } = await load([{ name: M, rows: matrix }, { name: L, rows: list }]);
      try {
        assert.equal(run.status, "failed", JSON.stringify(run.findings));
        assert.deepEqual(run.findings.map((f) => [f.check, f.cells]), [["header_id_blank", [`'${M}'!C1`]]]);
        assert.match(run.error!.message, /cell left of the first actor id is blank, but the column under it holds 0\/1 values/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

/** `rows` as the `<sheetData>` of a hand-made sheet: numbers as values, text inline. */
const inline = (rows: CellInput[][]) =>
  rows
    .map((row, r) => `<row r="${r + 1}">${row.map((v, c) => (v === null ? "" : typeof v === "number" ? `<c r="${columnLetters(c + 1)}${r + 1}"><v>${v}</v></c>` : `<c r="${columnLetters(c + 1)}${r + 1}" t="inlineStr"><is><t>${v}</t></is></c>`)).join("")}</row>`)
    .join("");

async function loadHandmade(sheets: { name: string; xml: string; chart?: boolean }[]) {
  const dir = mkdtempSync(join(tmpdir(), "messy-workbook-test-"));
  const workbook = join(dir, "relaciones.xlsx");
  writeFileSync(workbook, handmadeXlsx({ sheets }));
  return { dir, run: (await loadRelationships({ workbook, dataDir: dir, force: true })).run };
}

test("a chart sheet whose name holds a hint ('Gráfico de la matriz') is never read as the matrix or the list (review)", async (t) => {
  // Before: the chart sheet, first to hold "matriz", was read as the matrix and the load refused
  // with "Cannot find the matrix in sheet 'Gráfico de la matriz'" although 'Adyacencia' holds it.
  const { matrix, list } = grids();
  const charts = [{ name: "Gráfico de la matriz", xml: "", chart: true }, { name: "Gráfico actores", xml: "", chart: true }];
  await t.test("the worksheets after them are read", async () => {
    const { dir, run } = await loadHandmade([...charts, { name: "Adyacencia", xml: inline(matrix) }, { name: "Actores", xml: inline(list) }]);
    try {
      assert.equal(run.status, "succeeded", run.error?.message);
      assert.deepEqual(await actors(dir), ["1 A Actor 1 A", "2 B Actor 2 B", "3 C Actor 3 C"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await t.test("no worksheet for the list: refused, the chart sheets marked as such", async () => {
    const { dir, run } = await loadHandmade([...charts, { name: "Adyacencia", xml: inline(matrix) }]);
    try {
      assert.equal(run.error?.code, "missing-sheet", JSON.stringify(run));
      assert.match(run.error!.message, /'Gráfico de la matriz' \(a chart sheet\), 'Gráfico actores' \(a chart sheet\), 'Adyacencia' \(read as the matrix\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("a matrix of checkboxes (Google Sheets' TRUE/FALSE) is refused quoting TRUE and FALSE as the sheet shows them (review)", async () => {
  // Before: "2 matrix cells hold values other than 0 or 1 ('true', 'false')", words the sheet never shows.
  const { matrix, list } = grids();
  matrix[2][3] = true;
  matrix[3][2] = false;
  const { dir, run } = await load([{ name: M, rows: matrix }, { name: L, rows: list }], { flavor: "google" });
  try {
    assert.equal(run.status, "failed");
    assert.deepEqual(run.findings.map((f) => [f.check, f.cells]), [["invalid_value", [`'${M}'!D3`, `'${M}'!C4`]]]);
    assert.match(run.error!.message, /^2 matrix cells hold values other than 0 or 1 \('TRUE', 'FALSE'\); the previous version stays published$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a sheet whose name only hints at the matrix or the list but holds none (a summary) is passed over, and said so (review)", async (t) => {
  // Before: the first sheet whose name held a hint was read alone: "Resumen de la matriz" (a few
  // totals) before "Matriz de adyacencia 2026" made the load refuse with "Cannot find the matrix in
  // sheet 'Resumen de la matriz'", although the next sheet holds it.
  const { matrix, list } = grids();
  const expected = ["1 A Actor 1 A", "2 B Actor 2 B", "3 C Actor 3 C"];
  // Read, it would fail the load (malformed XML): a sheet after the one that holds the table is never opened.
  const broken = (name: string) => ({ name, xml: "<worksheet><sheetData><row r=\"1\"><c r=\"A1\"><v>1</v>" });
  const summary = inline([["Resumen"], ["Total de relaciones", "seis"]]);
  const cases: [string, { name: string; xml: string }[], string][] = [
    [
      "'Resumen de la matriz' before 'Matriz de adyacencia 2026'",
      [{ name: "Resumen de la matriz", xml: summary }, { name: "Matriz de adyacencia 2026", xml: inline(matrix) }, broken("Matriz antigua"), { name: L, xml: inline(list) }],
      "'Resumen de la matriz' for the matrix, read from 'Matriz de adyacencia 2026' (no row holds a header of actor ids)",
    ],
    [
      "'Resumen de actores' before 'Actores 2026'",
      [{ name: M, xml: inline(matrix) }, { name: "Resumen de actores", xml: summary }, { name: "Actores 2026", xml: inline(list) }, broken("Actores antiguos")],
      "'Resumen de actores' for the actor list, read from 'Actores 2026' (no row holds an id next to a code or a name)",
    ],
  ];
  for (const [what, sheets, passed] of cases) {
    await t.test(what, async () => {
      const { dir, run } = await loadHandmade(sheets);
      try {
        assert.equal(run.status, "succeeded", run.error?.message);
        assert.deepEqual(await actors(dir), expected);
        assert.deepEqual(
          run.findings.map((f) => [f.check, f.severity, f.message]),
          [["sheet_passed_over", "warning", `A sheet whose name hints at the matrix or the actor list was passed over: ${passed}`]],
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
  await t.test("a sheet named exactly is read, even when a hinted one holds the table", async () => {
    const { dir, run } = await loadHandmade([{ name: "Matriz 2026", xml: inline(matrix) }, { name: M, xml: summary }, { name: L, xml: inline(list) }]);
    try {
      assert.equal(run.status, "failed");
      assert.match(run.error!.message, /^Cannot find the matrix in sheet 'Matriz de adyacencia': /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await t.test("no hinted sheet holds the table: refused naming every sheet looked in", async () => {
    const { dir, run } = await loadHandmade([{ name: "Resumen de la matriz", xml: summary }, { name: "Matriz (notas)", xml: summary }, { name: L, xml: inline(list) }]);
    try {
      assert.equal(run.status, "failed");
      assert.equal(run.error?.code, "invalid-data");
      assert.match(run.error!.message, /^Cannot find the matrix in any of the 2 sheets whose names hint at it \('Resumen de la matriz', 'Matriz \(notas\)'\): no row holds a header of actor ids/);
      assert.deepEqual(run.findings.map((f) => f.check), ["matrix_not_found"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("a hinted sheet holding a list whose ids do not match the matrix's ('Resumen de actores', 'Máximo | 3') is passed over for a later one that does (review)", async (t) => {
  // Before: the first hinted sheet holding any list was read: the summary's row 'Total | 3' (here 'Máximo | 3') became
  // actor 3's code and the load published with only not_in_list and code_mismatch_list warnings.
  const { matrix, list } = grids();
  const expected = ["1 A Actor 1 A", "2 B Actor 2 B", "3 C Actor 3 C"];
  // A 'Total | 3' row is a total row since (list_total_row): no list; a 'Máximo | 3' one still reads as one.
  const summary = inline([["Resumen"], ["Máximo", 3]]);
  await t.test("the later list covering every matrix id is read", async () => {
    const { dir, run } = await loadHandmade([{ name: M, xml: inline(matrix) }, { name: "Resumen de actores", xml: summary }, { name: "Actores 2026", xml: inline(list) }]);
    try {
      assert.equal(run.status, "succeeded", run.error?.message);
      assert.deepEqual(await actors(dir), expected);
      assert.deepEqual(
        run.findings.map((f) => [f.check, f.severity, f.message]),
        [
          [
            "sheet_passed_over",
            "warning",
            "A sheet whose name hints at the matrix or the actor list was passed over: 'Resumen de actores' for the actor list, read from 'Actores 2026' (its 1 actor id matches 1 of the matrix's 3, 'Actores 2026' all 3)",
          ],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await t.test("no candidate covers every id: the one covering most is read, ties to the earlier", async () => {
    const two = inline([["Código", "Id", "Nombre"], ["A", 1, "Actor 1"], ["B", 2, "Actor 2"]]);
    const { dir, run } = await loadHandmade([{ name: M, xml: inline(matrix) }, { name: "Resumen de actores", xml: summary }, { name: "Actores 2026", xml: two }, { name: "Actores (copia)", xml: two }]);
    try {
      assert.equal(run.status, "succeeded", run.error?.message);
      assert.equal(run.findings.find((f) => f.check === "sheet_passed_over")?.message,
        "2 sheets whose names hint at the matrix or the actor list were passed over: 'Resumen de actores' for the actor list, read from 'Actores 2026' (its 1 actor id matches 1 of the matrix's 3, 'Actores 2026' 2); 'Actores (copia)' for the actor list, read from 'Actores 2026' (its 2 actor ids match 2 of the matrix's 3, 'Actores 2026' as many)");
      assert.deepEqual(run.findings.find((f) => f.check === "not_in_list")?.count, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await t.test("a visible sheet passed over for a hidden one: the hidden_sheet warning says so, not 'no visible sheet matched'", async () => {
    const { dir, run } = await load([{ name: M, rows: matrix }, { name: "Resumen de actores", rows: [["Resumen"], ["Total de actores", "tres"]] }, { name: "Actores 2026", rows: list, state: "hidden" }]);
    try {
      assert.equal(run.status, "succeeded", run.error?.message);
      assert.deepEqual(await actors(dir), expected);
      assert.equal(run.findings.find((f) => f.check === "hidden_sheet")?.message,
        "A sheet read is hidden in Excel: 'Actores 2026' for the actor list, as no visible sheet held it; check that it is the current one");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("a list without a header row of group | code | id publishes no group labels as names (review)", async (t) => {
  // Before: the column left of the codes was read as names, so every actor of the group
  // 'Gobierno' was published as an actor named 'Gobierno', with exit 0 and not one finding.
  const { matrix } = grids();
  await t.test("the repeated column is no names: NULL names, one warning naming the column", async () => {
    const { dir, run } = await load([{ name: M, rows: matrix }, { name: L, rows: [["Gobierno", "A", 1], ["Gobierno", "B", 2], ["ONG", "C", 3]] }]);
    try {
      assert.equal(run.status, "succeeded", run.error?.message);
      assert.deepEqual(await actors(dir), ["1 A null A", "2 B null B", "3 C null C"]);
      assert.deepEqual(run.findings.map((f) => [f.check, f.severity, f.cells]), [["list_names_repeated", "warning", [`'${L}'!A1`, `'${L}'!A2`, `'${L}'!A3`]]]);
      assert.equal(run.findings[0]!.message,
        "3 actors are published without a name: the actor list's column A, left of the codes and under no header naming it, repeats a few values across the actors " +
        "(a group or a category, not names) and is not read as names ('Gobierno' 2 times in 'Lista de actores'!A1:A3); a header row naming the columns (Nombre | Código | Id) places the names");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await t.test("names left of the codes, all different, are still the names", async () => {
    const { dir, run } = await load([{ name: M, rows: matrix }, { name: L, rows: [["Ana", "A", 1], ["Luis", "B", 2], ["Rosa", "C", 3]] }]);
    try {
      assert.equal(run.status, "succeeded", run.error?.message);
      assert.deepEqual(await actors(dir), ["1 A Ana A", "2 B Luis B", "3 C Rosa C"]);
      assert.deepEqual(run.findings, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await t.test("a header naming that column 'Nombre' keeps it, repeated or not", async () => {
    const { dir, run } = await load([{ name: M, rows: matrix }, { name: L, rows: [["Nombre", "Código", "Id"], ["Ana", "A", 1], ["Ana", "B", 2], ["Ana", "C", 3]] }]);
    try {
      assert.equal(run.status, "succeeded", run.error?.message);
      assert.deepEqual(await actors(dir), ["1 A Ana A", "2 B Ana B", "3 C Ana C"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("a list whose header row names only its name column ('Nombre | Id') publishes the names, not them as codes (review)", async () => {
  // Before: the names were read as the list's codes: every actor published without a name, and a
  // code_mismatch_list warning ('1: A vs Actor 1') for each.
  const { matrix } = grids();
  const { dir, run } = await load([{ name: M, rows: matrix }, { name: L, rows: [["Nombre", "Id"], ["Actor 1", 1], ["Actor 2", 2], ["Actor 3", 3]] }]);
  try {
    assert.equal(run.status, "succeeded", run.error?.message);
    assert.deepEqual(await actors(dir), ["1 A Actor 1 null", "2 B Actor 2 null", "3 C Actor 3 null"]);
    assert.deepEqual(run.findings, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a total row under the actor list ('Total | 4') is no actor: the load publishes the list with an info finding (review)", async () => {
  // Before: the load failed with duplicate_id naming B5 and B6 ('Total | 3' read as actor 3).
  const { matrix, list } = grids();
  const { dir, run } = await load([{ name: M, rows: matrix }, { name: L, rows: [...list, ["Total", 3]] }]);
  try {
    assert.equal(run.status, "succeeded", run.error?.message);
    assert.deepEqual(await actors(dir), ["1 A Actor 1 A", "2 B Actor 2 B", "3 C Actor 3 C"]);
    assert.deepEqual(run.findings.map((f) => [f.check, f.message, f.cells]), [
      ["list_total_row", "1 actor list row reads as a total (a label such as 'Total' beside a number, no code and name) and is not read as an actor ('Total | 3')", [`'${L}'!A5`]],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a hinted summary sheet whose only row is a total ('Total | 3') holds no list and is passed over saying so (review)", async () => {
  const { matrix, list } = grids();
  const { dir, run } = await load([{ name: M, rows: matrix }, { name: "Resumen de actores", rows: [["Resumen"], ["Total", 3]] }, { name: "Actores 2026", rows: list }]);
  try {
    assert.equal(run.status, "succeeded", run.error?.message);
    assert.deepEqual(await actors(dir), ["1 A Actor 1 A", "2 B Actor 2 B", "3 C Actor 3 C"]);
    assert.deepEqual(run.findings.map((f) => f.message), [
      "A sheet whose name hints at the matrix or the actor list was passed over: 'Resumen de actores' for the actor list, read from 'Actores 2026' (no row holds an id next to a code or a name)",
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("merged cells: a group label merged over its actors is no names, and a range merged inside the matrix is named, its other pairs unknown (review)", async (t) => {
  // Before: <mergeCells> was ignored. A group label merged down over its actors' rows sits only in
  // the range's top-left cell, so actors 1 and 3 were published named 'Gobierno' and 'ONG' (the
  // groups), 2 and 4 with a list_name_blank warning each; a 1 merged over two matrix cells, shown
  // by Excel over both pairs, was read for one pair without a word.
  const codes = ["A", "B", "C", "D"];
  const matrix: CellInput[][] = [["Matriz 2026"], [null, null, 1, 2, 3, 4], [null, null, ...codes]];
  for (let a = 1; a <= 4; a++) matrix.push([a, codes[a - 1], ...[1, 2, 3, 4].map((b) => (a === b ? 0 : 1))]);
  const groups: CellInput[][] = [["Gobierno", "A", 1], [null, "B", 2], ["ONG", "C", 3], [null, "D", 4]];
  const pairs = async (dir: string) => {
    const db = await Database.open(snapshotPath(dir), { readOnly: true });
    try {
      return (await db.all<{ p: string }>("SELECT concat(person_a, '-', person_b, ' ', coalesce(a_to_b::VARCHAR, 'unknown'), ' ', coalesce(b_to_a::VARCHAR, 'unknown')) AS p FROM user_relationships ORDER BY person_a, person_b")).map((r) => r.p);
    } finally {
      db.close();
    }
  };
  await t.test("Grupo merged over two rows each | Código | Id: no names, list_names_repeated over the whole column", async () => {
    const { dir, run } = await load([{ name: M, rows: matrix, merges: ["A1:F1"] }, { name: L, rows: groups, merges: ["A1:A2", "A3:A4"] }]);
    try {
      assert.equal(run.status, "succeeded", run.error?.message);
      assert.deepEqual(await actors(dir), ["1 A null A", "2 B null B", "3 C null C", "4 D null D"]);
      assert.deepEqual(run.findings.map((f) => [f.check, f.cells]), [["list_names_repeated", ["A1", "A2", "A3", "A4"].map((c) => `'${L}'!${c}`)]]);
      assert.match(run.findings[0]!.message, /'Gobierno' 2 times, 'ONG' 2 times in 'Lista de actores'!A1:A4/);
      // The title merged over the matrix's top is no range inside it.
      assert.equal((await pairs(dir)).length, 6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await t.test("distinct names, one merged over two actors, stay names; a header merged over two columns still names them", async () => {
    const list: CellInput[][] = [["Código", "Id", "Nombre"], ["A", 1, "Ana"], ["B", 2, "Luis"], ["C", 3, "Rosa"], ["D", 4, null]];
    const { dir, run } = await load([{ name: M, rows: matrix }, { name: L, rows: list, merges: ["C1:D1", "C4:C5"] }]);
    try {
      assert.equal(run.status, "succeeded", run.error?.message);
      // Actor 4's own name cell is blank (the file holds 'Rosa' once), as before, and said so.
      assert.deepEqual(await actors(dir), ["1 A Ana A", "2 B Luis B", "3 C Rosa C", "4 D null D"]);
      assert.deepEqual(run.findings.map((f) => [f.check, f.cells]), [["list_name_blank", [`'${L}'!C5`]]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await t.test("a 1 merged over four matrix cells: the finding names the sheet and range, only the top-left pair is read", async () => {
    const merged = matrix.map((row) => [...row]);
    // Actor 1's row (sheet row 4) marks 2 in D4; E4 and the cells under them (row 5) are the range's, blank in the file.
    merged[3]![4] = null;
    merged[4]![3] = null;
    merged[4]![4] = null;
    const { dir, run } = await load([{ name: M, rows: merged, merges: ["A1:F1", "D4:E5"] }, { name: L, rows: grids().list.concat([["D", 4, "Actor 4"]]) }]);
    try {
      assert.equal(run.status, "succeeded", run.error?.message);
      const finding = run.findings.find((f) => f.check === "matrix_merged_cells");
      assert.equal(finding?.severity, "warning");
      assert.deepEqual(finding?.cells, [`'${M}'!D4:E5`]);
      assert.match(finding!.message, /^1 merged range lies inside the matrix \('Matriz de adyacencia'!D4:E5\): Excel shows the top-left cell's value/);
      // 1-2 from D4 and 2-1 from C5; 1-3 (E4) and 2-3 (E5) unknown from those rows, not copied 1s.
      assert.deepEqual(await pairs(dir), ["1-2 true true", "1-3 unknown true", "1-4 true true", "2-3 unknown true", "2-4 true true", "3-4 true true"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
