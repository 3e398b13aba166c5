// Reads the users' real workbook when it is present beside the repo (it is never committed, so a
// user's clone skips this test).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { openWorkbook, type CellValue } from "./mod.ts";
import { seedFile, seedSkip } from "../../scripts/testing/seed_data.ts";

const SEED = seedFile("relaciones.xlsx");

async function cellsOf(sheet: string): Promise<Map<string, CellValue>> {
  const wb = await openWorkbook(SEED);
  try {
    const cells = new Map<string, CellValue>();
    for await (const row of wb.rows(sheet)) for (const c of row.cells) cells.set(c.ref, c.value);
    return cells;
  } finally {
    await wb.close();
  }
}

test("openWorkbook() reads the users' relaciones.xlsx", async (t) => {
  if (!existsSync(SEED)) {
    t.skip(seedSkip(SEED) || undefined);
    return;
  }
  const wb = await openWorkbook(SEED);
  assert.deepEqual(wb.sheetNames, ["Matriz de adyacencia", "Lista de actores"]);
  await wb.close();

  const m = await cellsOf("Matriz de adyacencia");
  assert.equal(m.get("'Matriz de adyacencia'!C1"), 1);
  assert.equal(m.get("'Matriz de adyacencia'!AZ1"), 50);
  for (let id = 1; id <= 50; id++) {
    const col = id + 2;
    const letters = col <= 26 ? String.fromCharCode(64 + col) : `A${String.fromCharCode(64 + col - 26)}`;
    assert.equal(m.get(`'Matriz de adyacencia'!${letters}1`), id);
  }
  assert.equal(m.get("'Matriz de adyacencia'!C2"), "A");
  assert.equal(m.get("'Matriz de adyacencia'!D2"), "B");

  const l = await cellsOf("Lista de actores");
  assert.equal(l.get("'Lista de actores'!B4"), "Lista de actores");
  assert.equal(l.get("'Lista de actores'!A5"), "A");
  assert.equal(l.get("'Lista de actores'!B5"), 1);
  assert.equal(l.get("'Lista de actores'!C5"), "Helena Durán Crane");
});
