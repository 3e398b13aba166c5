import { test } from "node:test";
import assert from "node:assert/strict";
import { cellName, columnLetters, columnNumber, parseCellRef, resolveRef, rowOfSheetRow } from "./cell_refs.js";

test("cell references: parse, name and resolve against the matrix layout", () => {
  assert.equal(columnLetters(28), "AB");
  assert.equal(columnNumber("AB"), 28);
  for (const n of [1, 26, 27, 702, 703, 16384]) assert.equal(columnNumber(columnLetters(n)), n);
  assert.deepEqual(parseCellRef("'Matriz de adyacencia'!C20:AZ20"), { sheet: "Matriz de adyacencia", row: 20, col: 3, row2: 20, col2: 52 });
  assert.deepEqual(parseCellRef("Hoja1!$F$5"), { sheet: "Hoja1", row: 5, col: 6, row2: 5, col2: 6 });
  assert.deepEqual(parseCellRef("'it''s'!A1")?.sheet, "it's");
  assert.equal(parseCellRef("contacts.csv:12"), null);

  const layout = { sheet: "Matriz de adyacencia", header_row: 1, first_col: 3, code_row: 2, id_col: 1, code_col: 2 };
  const header = [{ sheet_row: 3 }, { sheet_row: null }, { sheet_row: 4 }].map((a, i) => ({ id: i + 1, letter_code: "ABC"[i], name: null, ...a }));
  assert.equal(cellName(layout, header, 2, 1), "'Matriz de adyacencia'!D4");
  assert.equal(cellName(layout, header, 1, 1), null, "a header actor without a data row has no cell");
  assert.equal(cellName({ ...layout, sheet: "Hoja1" }, header, 0, 0), "Hoja1!C3");
  assert.equal(cellName(null, header, 0, 0), null);

  const rows = rowOfSheetRow(header);
  const at = (ref: string) => resolveRef(ref, layout, rows, 3);
  assert.deepEqual(at("'Matriz de adyacencia'!D4"), { ref: "'Matriz de adyacencia'!D4", kind: "cell", rowPos: 2, colPos: 1 });
  assert.equal(at("'Matriz de adyacencia'!C3:E3").kind, "row");
  assert.deepEqual([at("'Matriz de adyacencia'!E2").kind, at("'Matriz de adyacencia'!E2").colPos], ["header", 2]);
  assert.deepEqual([at("'Matriz de adyacencia'!B4").kind, at("'Matriz de adyacencia'!B4").rowPos], ["label", 2]);
  assert.equal(at("'Lista de actores'!A9").kind, "list");
  assert.equal(resolveRef("'Matriz de adyacencia'!D4", null, rows, 3).kind, "other");
});
