import { test } from "node:test";
import assert from "node:assert/strict";
import { emptyMatrix, fromText, putRows } from "./matrix_heatmap.js";
import { cellText, findActor, tableHtml, tableWindow, TABLE_COLS, TABLE_ROWS } from "./matrix_table.js";

const layout = { sheet: "Matriz de adyacencia", header_row: 1, code_row: 2, id_col: 1, code_col: 2, first_col: 3 };
const header = [
  { id: 10, letter_code: "A", name: "Ana Peña", sheet_row: 3 },
  { id: 11, letter_code: "B", name: "Bruno <Díaz>", sheet_row: 4 },
  { id: 12, letter_code: "C", name: null, sheet_row: null },
];

test("matrix_table: a window's cells with their values, headers and workbook names", () => {
  const data = fromText(["-10", "0-.", "..."]);
  assert.deepEqual([cellText(data, 0, 1), cellText(data, 0, 2), cellText(data, 1, 0), cellText(data, 1, 2)], ["1", "0", "0", "blank"]);
  const html = tableHtml({ data, header, layout, window: { row: 0, col: 0 } });
  assert.match(html, /<caption>Rows 1–3 and columns 1–3 of 3 actors of sheet Matriz de adyacencia\./);
  assert.match(html, /<th scope="col" data-col="1">Bruno &lt;Díaz&gt; \(B\) <span class="ref">column D<\/span><\/th>/);
  assert.match(html, /<th scope="row" data-row="0">Ana Peña \(A\) <span class="ref">row 3<\/span><\/th>/);
  assert.match(html, /<td data-value="1" data-ref="&#39;Matriz de adyacencia&#39;!D3">1 <span class="ref">D3<\/span><\/td>/);
  // An actor without a data row: no row number, no cell name, its cells blank.
  assert.match(html, /<th scope="row" data-row="2">Actor 12 \(C\)<\/th><td data-value="blank">blank<\/td>/);
});

test("matrix_table: the window is bounded however large the matrix, and stays inside it", () => {
  const n = 16384;
  assert.deepEqual(tableWindow(n - 3, 5.7, n), { row: n - TABLE_ROWS, col: 5 });
  assert.deepEqual(tableWindow(-4, n, n), { row: 0, col: n - TABLE_COLS });
  assert.deepEqual(tableWindow(0, 0, 3), { row: 0, col: 0 });
  const rows = Array.from({ length: 40 }, (_, r) => Array.from({ length: 40 }, (_, c) => ((r + c) % 3 === 0 ? "1" : "0")).join(""));
  const html = tableHtml({ data: fromText(rows), header: [], layout: null, window: { row: 30, col: 25 } });
  assert.equal(html.match(/<td data-value/g)?.length, 10 * 10, "rows 31-40 (the last 10), columns 26-35");
  assert.match(html, /Rows 31–40 and columns 26–35 of 40 actors\./);
});

test("matrix_table: Go to actor finds a name typed without its accents, as the network's search does", () => {
  const actors = [
    { id: 1, letter_code: "A", name: "Lucía Fernández", sheet_row: 3 },
    { id: 2, letter_code: "N", name: "Tomás Núñez Arango", sheet_row: 4 },
    { id: 3, letter_code: "Ñ", name: "María Camila Peña", sheet_row: 5 },
    { id: 4, letter_code: "AÑ", name: null, sheet_row: 6 },
  ];
  // "Pena" and "Nunez" found nobody here while the network's search found them.
  assert.equal(findActor(actors, "Pena"), 2);
  assert.equal(findActor(actors, "nunez"), 1);
  assert.equal(findActor(actors, "MARÍA"), 2);
  // A letter code is still the code as written: Ñ is not N, and it comes before a name.
  assert.equal(findActor(actors, "ñ"), 2);
  assert.equal(findActor(actors, "n"), 1);
  assert.equal(findActor(actors, "añ"), 3);
  assert.equal(findActor(actors, "zz"), -1);
  assert.equal(findActor(actors, "  "), -1);
});

test("matrix_table: the cells of rows whose request failed read \"not loaded\", not \"loading\", and the caption says Refresh asks again", () => {
  // Before, a window of rows that failed (asked for again only by Refresh) read "loading" for good in the table.
  const data = emptyMatrix(3);
  putRows(data, 0, 1, fromText(["-10", "0-.", "..."]).cells.subarray(0, data.stride));
  assert.deepEqual([cellText(data, 0, 1), cellText(data, 1, 0), cellText(data, 1, 0, true)], ["1", "loading", "not loaded"]);
  const html = tableHtml({ data, header, layout, window: { row: 0, col: 0 }, failedRow: (r) => r >= 1 });
  assert.match(html, /<th scope="row" data-row="1">[^]*?<\/th><td data-value="not loaded" data-ref="[^"]*">not loaded <span class="ref">C4<\/span><\/td>/);
  assert.doesNotMatch(html, /loading/);
  assert.match(html, /press Refresh to try again\.<\/caption>/);
  // On its way, not failed: "loading", and no word of Refresh.
  const waiting = tableHtml({ data, header, layout, window: { row: 0, col: 0 } });
  assert.match(waiting, /<td data-value="loading"/);
  assert.doesNotMatch(waiting, /Refresh/);
});
