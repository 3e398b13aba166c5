import { test } from "node:test";
import assert from "node:assert/strict";
import { cellAt, countCells, fitView, matrixPixels, MATRIX_COLORS, panBy, visibleRows, zoomAt } from "./matrix_heatmap.js";

test("matrix_heatmap: view math and pixels", () => {
  assert.deepEqual(fitView(50, 500, 400), { scale: 8, x: 0, y: 0 });
  const size = { n: 1000, width: 400, height: 400 };
  assert.deepEqual(zoomAt({ scale: 2, x: 0, y: 0 }, 2, 100, 100, size), { scale: 4, x: 25, y: 25 });
  // Never zoomed out past fitting, never panned off the matrix.
  assert.deepEqual(zoomAt(fitView(1000, 400, 400), 0.1, 0, 0, size), fitView(1000, 400, 400));
  assert.deepEqual(panBy({ scale: 4, x: 0, y: 0 }, 100, 100, size), { scale: 4, x: 0, y: 0 });
  assert.deepEqual(panBy({ scale: 4, x: 0, y: 0 }, -100000, 0, size), { scale: 4, x: 900, y: 0 });
  assert.deepEqual(visibleRows({ scale: 10, x: 0, y: 5 }, 1000, 300), { start: 5, end: 35 });
  assert.deepEqual(cellAt({ scale: 10, x: 0, y: 0 }, 25, 7, 50), { row: 0, col: 2 });
  assert.equal(cellAt({ scale: 10, x: 0, y: 0 }, 600, 7, 50), null);

  const rows = ["1.", "0"];
  const pixels = matrixPixels({ n: 2, getRow: (i) => rows[i], view: { scale: 2, x: 0, y: 0 }, width: 4, height: 4 });
  const at = (x: number, y: number) => Array.from(pixels.slice((y * 4 + x) * 4, (y * 4 + x) * 4 + 3));
  assert.deepEqual(at(0, 0), MATRIX_COLORS.one);
  assert.deepEqual(at(2, 0), MATRIX_COLORS.unknown);
  assert.deepEqual(at(0, 2), MATRIX_COLORS.zero);
  assert.deepEqual(at(2, 2), MATRIX_COLORS.unknown); // row shorter than n: a missing char is unknown
  assert.deepEqual(countCells([[0, "01."], [1, "1.0"]]), { one: 2, zero: 1, unknown: 1 });
  assert.deepEqual(countCells(new Map([[0, "..1"]]).entries()), { one: 1, zero: 0, unknown: 1 });
  const loading = matrixPixels({ n: 2, getRow: () => undefined, view: { scale: 2, x: 0, y: 0 }, width: 4, height: 4 });
  assert.deepEqual(Array.from(loading.slice(0, 3)), MATRIX_COLORS.missing);
});
