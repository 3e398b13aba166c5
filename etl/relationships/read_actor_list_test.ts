import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Cell, SheetRow } from "../xlsx/mod.ts";
import { Findings } from "./findings.ts";
import { readActorList } from "./read_actor_list.ts";
import { gridRows, type GridValue } from "../../scripts/testing/sheet_rows.ts";

const S = "Lista de actores";

async function read(grid: GridValue[][]) {
  const findings = new Findings();
  const list = await readActorList(gridRows(S, grid), { sheet: S, findings });
  return { list, findings: findings.list() };
}

test("readActorList() finds code | id | name below a moving title", async (t) => {
  await t.test("the users' layout", async () => {
    const { list, findings } = await read([[], [], [], [null, "Lista de actores"], ["A", 1, "Helena Durán Crane"], ["B", 2, " Rosa Peña "]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name, a.ref]), [
      [1, "A", "Helena Durán Crane", `'${S}'!B5`],
      [2, "B", "Rosa Peña", `'${S}'!B6`],
    ]);
    assert.deepEqual(findings, []);
  });
  await t.test("moved, with a header row and an id | code | name order", async () => {
    const { list } = await read([[null, null, "Actores"], [null, null, "ID", "Código", "Nombre"], [null, null, 7, "G", "Ana"], [null, null, 8, "H", "Luis"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[7, "G", "Ana"], [8, "H", "Luis"]]);
  });
});

test("readActorList() reports duplicate ids and a missing table", async () => {
  const dup = await read([["A", 1, "Ana"], ["B", 1, "Luis"]]);
  assert.deepEqual(dup.findings.map((f) => [f.check, f.severity, f.cells]), [["duplicate_id", "error", [`'${S}'!B1`, `'${S}'!B2`]]]);
  const none = await read([["solo texto"]]);
  assert.equal(none.findings[0].check, "list_not_found");
});

test("readActorList() takes the columns most rows hold a code and a name in, not those of a first row missing one", async (t) => {
  // The first row fixed the columns: a blank name there dropped every actor's name, and in the
  // id | code | name order read the codes as names.
  await t.test("code | id | name, the first name blank", async () => {
    const { list, findings } = await read([["A", 1, null], ["B", 2, "Rosa Peña"], ["C", 3, "Ana"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, "A", null], [2, "B", "Rosa Peña"], [3, "C", "Ana"]]);
    assert.deepEqual(findings.map((f) => [f.check, f.cells]), [["list_name_blank", [`'${S}'!C1`]]]);
  });
  await t.test("id | code | name, the first name blank", async () => {
    const { list } = await read([[null, "Actores"], [1, "A", null], [2, "B", "Rosa Peña"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, "A", null], [2, "B", "Rosa Peña"]]);
  });
  await t.test("code | id | name, the first code blank", async () => {
    const { list } = await read([[null, 1, "Helena"], ["B", 2, "Rosa Peña"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name, a.codeRef]), [[1, null, "Helena", `'${S}'!A1`], [2, "B", "Rosa Peña", `'${S}'!A2`]]);
  });
  // With a fourth column the first row's blank made the columns those of the text cells it had:
  // the e-mails or the organisations were published as names, with no finding (review).
  await t.test("id | code | name | e-mail, the first name blank", async () => {
    const { list, findings } = await read([["Id", "Código", "Nombre", "Correo"], [1, "A", null, "a@x.org"], [2, "B", "Actor 2", "b@x.org"], [3, "C", "Actor 3", "c@x.org"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, "A", null], [2, "B", "Actor 2"], [3, "C", "Actor 3"]]);
    assert.deepEqual(findings.map((f) => [f.check, f.cells]), [["list_name_blank", [`'${S}'!C2`]]]);
  });
  await t.test("code | id | name | organisation, the first code blank", async () => {
    const { list } = await read([["Código", "Id", "Nombre", "Organización"], [null, 1, "Actor 1", "Org X"], ["B", 2, "Actor 2", "Org Y"], ["C", 3, "Actor 3", "Org Z"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, null, "Actor 1"], [2, "B", "Actor 2"], [3, "C", "Actor 3"]]);
  });
  await t.test("code | id | name | organisation, two actors, the first code blank: the code left of the id wins the tie", async () => {
    const { list } = await read([[null, 1, "Actor 1", "Org X"], ["B", 2, "Actor 2", "Org Y"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, null, "Actor 1"], [2, "B", "Actor 2"]]);
  });
  // Most rows decide, not the most complete row (review of this pass): one row with a note beside
  // its name, or a title row with a number, made its layout every actor's.
  await t.test("id | name, one actor with a note beside the name", async () => {
    const { list } = await read([["Id", "Nombre"], [1, "Ana"], [2, "Luis", "baja"], [3, "Rosa"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, null, "Ana"], [2, null, "Luis"], [3, null, "Rosa"]]);
  });
  await t.test("id | name under a title row holding a number between two texts", async () => {
    const { list } = await read([["Versión", 3, "borrador"], [], ["Id", "Nombre"], [1, "Ana"], [2, "Luis"], [3, "Rosa"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, null, "Ana"], [2, null, "Luis"], [3, null, "Rosa"]]);
  });
  await t.test("a row counter before code | id | name", async () => {
    const { list } = await read([["N.º", "Código", "Id", "Nombre"], [1, "A", 101, "Ana"], [2, "B", 102, "Luis"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[101, "A", "Ana"], [102, "B", "Luis"]]);
  });
  await t.test("no row has both: the most complete layout is used for all", async () => {
    const { list } = await read([["A", 1], ["B", 2]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, "A", null], [2, "B", null]]);
  });
});

test("readActorList() reads codes stored as digit text beside number ids as codes, not as ids (review)", async (t) => {
  // Digit text reads as an id, so codes "10", "20" took the id column from the real ids beside them
  // (id | code | name: every actor listed under its code as id) or were dropped (code | id | name).
  await t.test("code | id | name", async () => {
    const { list, findings } = await read([["Código", "Id", "Nombre"], ["10", 1, "Ana"], ["20", 2, "Luis"], ["30", 3, "Rosa"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, "10", "Ana"], [2, "20", "Luis"], [3, "30", "Rosa"]]);
    assert.deepEqual(findings, []);
  });
  await t.test("id | code | name", async () => {
    const { list, findings } = await read([["Id", "Código", "Nombre"], [1, "10", "Ana"], [2, "20", "Luis"], [3, "30", "Rosa"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, "10", "Ana"], [2, "20", "Luis"], [3, "30", "Rosa"]]);
    assert.deepEqual(findings, []);
  });
  await t.test("ids stored as text too: the users' code | id | name", async () => {
    const { list } = await read([["10", "1", "Ana"], ["20", "2", "Luis"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, "10", "Ana"], [2, "20", "Luis"]]);
  });
});

test("readActorList() keeps no row of blank text below the list (a formula column of \"\" filled down to row 1,048,576) (review)", async () => {
  // Before: every row was kept until the end to choose the columns, so a lookup column filled down
  // the sheet (=IF(B5="","",...), a "" per row) held a million rows: a 60-actor list took 600 MB.
  // Checked by whether a blank row yielded is collectable before the read ends (no heap sizes).
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  let blank: WeakRef<SheetRow> | undefined;
  let collected: boolean | undefined;
  const cell = (row: number, col: number, value: GridValue) => ({ row, col, value, ref: `'${S}'!${String.fromCharCode(64 + col)}${row}` }) as Cell;
  async function* rows(): AsyncIterable<SheetRow> {
    yield { row: 1, cells: [cell(1, 1, "A"), cell(1, 2, 1), cell(1, 3, "Ana")] };
    yield { row: 2, cells: [cell(2, 1, "B"), cell(2, 2, 2), cell(2, 3, "Luis")] };
    const make = (r: number): SheetRow => ({ row: r, cells: [cell(r, 1, ""), cell(r, 3, " \u200b")] });
    let first: SheetRow | undefined = make(3);
    blank = new WeakRef(first);
    yield first;
    first = undefined;
    for (let r = 4; r < 8; r++) yield make(r);
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    collected = blank.deref() === undefined;
  }
  const findings = new Findings();
  const list = await readActorList(rows(), { sheet: S, findings });
  assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, "A", "Ana"], [2, "B", "Luis"]]);
  assert.deepEqual(findings.list(), []);
  assert.equal(collected, true, "a blank row was still held when the read ended");
});

test("readActorList() takes the code and name columns its header row names, in any order (review)", async (t) => {
  // Before: `name | code | id` dropped every name without a word (published NULL, exit 0), and
  // `id | name | code` published the names as the list's codes and the codes as the names.
  const cases: [string, GridValue[][]][] = [
    ["Nombre | Código | Id", [["Nombre", "Código", "Id"], ["Ana", "A", 1], ["Luis", "B", 2]]],
    ["Id | Nombre | Código", [["Id", "Nombre", "Código"], [1, "Ana", "A"], [2, "Luis", "B"]]],
    ["Código | Nombre | Id, under a title", [["Actores 2026"], ["CÓDIGO ", "nombre del actor", "ID"], ["A", "Ana", 1], ["B", "Luis", 2]]],
    ["Name | Id | Code", [[null, "Name", "Id", "Code"], [null, "Ana", 1, "A"], [null, "Luis", 2, "B"]]],
  ];
  for (const [name, grid] of cases) {
    await t.test(name, async () => {
      const { list, findings } = await read(grid);
      assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, "A", "Ana"], [2, "B", "Luis"]]);
      assert.deepEqual(findings, []);
    });
  }
  await t.test("no header row: name | code | id reads the names left of the code", async () => {
    const { list, findings } = await read([[null, "Lista de actores"], ["Ana", "A", 1], ["Luis", "B", 2]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, "A", "Ana"], [2, "B", "Luis"]]);
    assert.deepEqual(findings, []);
  });
  await t.test("a header naming neither leaves the layout to the rows' shape", async () => {
    const { list } = await read([["Col 1", "Col 2", "Col 3"], ["A", 1, "Ana"], ["B", 2, "Luis"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, "A", "Ana"], [2, "B", "Luis"]]);
  });
});

test("readActorList() reads no names from a repeated column left of the codes, under no header (review)", async (t) => {
  // Before: `Grupo | Código | Id` published the group labels as the actors' names, unsaid.
  await t.test("group | code | id", async () => {
    const { list, findings } = await read([["Gobierno", "A", 1], ["Gobierno", "B", 2], ["ONG", "C", 3], ["ONG", "D", 4], ["Empresa", "E", 5], ["Gobierno", "F", 6]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, "A", null], [2, "B", null], [3, "C", null], [4, "D", null], [5, "E", null], [6, "F", null]]);
    assert.deepEqual(findings.map((f) => [f.check, f.count, f.cells.length]), [["list_names_repeated", 6, 6]]);
  });
  await t.test("one name given twice among distinct names is still names", async () => {
    const { list } = await read([["Ana", "A", 1], ["Luis", "B", 2], ["Rosa", "C", 3], ["Ana", "D", 4], ["Eva", "E", 5]]);
    assert.deepEqual(list.actors.map((a) => a.name), ["Ana", "Luis", "Rosa", "Ana", "Eva"]);
  });
});

test("readActorList() follows a header row naming only the name or only the code column (review)", async (t) => {
  // Before: `Nombre | Id` published the names as the list's codes (names NULL, a code_mismatch_list
  // per actor), and `Id | Código` the codes as the actors' names (no list codes), with no finding.
  await t.test("Nombre | Id", async () => {
    const { list, findings } = await read([["Nombre", "Id"], ["Ana", 1], ["Luis", 2]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name, a.codeRef]), [[1, null, "Ana", null], [2, null, "Luis", null]]);
    assert.deepEqual(findings, []);
  });
  await t.test("Id | Código", async () => {
    const { list, findings } = await read([["Actores"], ["Id", "Código"], [1, "A"], [2, "B"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name, a.codeRef]), [[1, "A", null, `'${S}'!B3`], [2, "B", null, `'${S}'!B4`]]);
    assert.deepEqual(findings, []);
  });
  await t.test("Nº | Actor | Sigla: the code named where the shape put the names swaps the two", async () => {
    const { list, findings } = await read([["Nº", "Actor", "Sigla"], [1, "Ana", "A"], [2, "Luis", "B"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.code, a.name]), [[1, "A", "Ana"], [2, "B", "Luis"]]);
    assert.deepEqual(findings, []);
  });
  await t.test("Id | Nombre and Código | Id stay as they were", async () => {
    assert.deepEqual((await read([["Id", "Nombre"], [1, "Ana"]])).list.actors.map((a) => [a.code, a.name]), [[null, "Ana"]]);
    assert.deepEqual((await read([["Código", "Id"], ["A", 1]])).list.actors.map((a) => [a.code, a.name]), [["A", null]]);
  });
});

test("readActorList() takes a total row ('Total | 5') for no actor, and says so (review)", async (t) => {
  // Before: 'Total | 5' under four actors was published as actor 5 with the code 'Total', and
  // 'Total | 4' failed the load as a duplicate of actor 4.
  const actors = [["Código", "Id", "Nombre"], ["A", 1, "Ana"], ["B", 2, "Luis"], ["C", 3, "Rosa"], ["D", 4, "Eva"]];
  for (const total of [4, 5]) {
    await t.test(`Total | ${total} under the list`, async () => {
      const { list, findings } = await read([...actors, [], ["Total", total]]);
      assert.deepEqual(list.actors.map((a) => a.id), [1, 2, 3, 4]);
      assert.deepEqual(findings.map((f) => [f.check, f.severity, f.cells]), [["list_total_row", "info", [`'${S}'!A7`]]]);
    });
  }
  await t.test("'Total de actores | 4' above the header", async () => {
    const { list, findings } = await read([["Total de actores", 4], [], ...actors]);
    assert.deepEqual(list.actors.map((a) => a.id), [1, 2, 3, 4]);
    assert.deepEqual(findings.map((f) => f.check), ["list_total_row"]);
  });
  await t.test("an actor whose name starts with 'Total' is an actor", async () => {
    const { list } = await read([...actors, ["E", 5, "Totalgas S.A."], ["F", 6, "Total Energies"]]);
    assert.deepEqual(list.actors.map((a) => a.name).slice(4), ["Totalgas S.A.", "Total Energies"]);
  });
  await t.test("in a list without codes (Id | Nombre), a name that starts with a count's word is an actor", async () => {
    // Before: 'Total Energies | 3' and 'Suma de Voluntades | 4' were taken for total rows (info
    // only): both actors dropped from the list, published without names under a not_in_list warning.
    const { list, findings } = await read([["Id", "Nombre"], [1, "Ana"], [2, "Luis"], [3, "Total Energies"], [4, "Suma de Voluntades"], [5, "Recuento Ciudadano"], [6, "Total"]]);
    assert.deepEqual(list.actors.map((a) => [a.id, a.name]), [[1, "Ana"], [2, "Luis"], [3, "Total Energies"], [4, "Suma de Voluntades"], [5, "Recuento Ciudadano"]]);
    assert.deepEqual(findings.map((f) => f.check), ["list_total_row"]);
  });
  await t.test("'Total:', 'TOTAL GENERAL' and 'Nº de actores' are total rows", async () => {
    for (const label of ["Total:", "TOTAL GENERAL", "Nº de actores", "Número de actores", "Totales"]) {
      const { list, findings } = await read([...actors, [], [label, 4]]);
      assert.deepEqual(list.actors.map((a) => a.id), [1, 2, 3, 4], label);
      assert.deepEqual(findings.map((f) => f.check), ["list_total_row"], label);
    }
  });
});
