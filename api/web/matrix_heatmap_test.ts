import { test } from "node:test";
import assert from "node:assert/strict";
import { axisLabels, revealCell, stepCell, cellAt, cellState, centreOn, emptyMatrix, fitView, fromText, matrixPixels, MATRIX_COLORS, ONE, panBy, putRows, visibleRows, zoomAt, ZERO, BLANK } from "./matrix_heatmap.js";

test("matrix_heatmap: view math", () => {
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
  assert.equal(cellAt({ scale: 10, x: 0, y: 0 }, -3, 7, 50), null, "the label gutter is outside the matrix");
  // A finding's cell is centred at a readable size.
  assert.deepEqual(centreOn(500, 600, 20, size), { scale: 20, x: 590.5, y: 490.5 });
  assert.deepEqual(axisLabels({ scale: 4, x: 0, y: 0 }, 100, 400, 12).slice(0, 3), [0, 3, 6]);
  assert.deepEqual(axisLabels({ scale: 20, x: 2, y: 0 }, 100, 60, 12, "x"), [2, 3, 4]);
});

test("matrix_heatmap: packed cells and pixels", () => {
  const data = fromText(["1.", "0."]);
  assert.deepEqual([cellState(data, 0, 0), cellState(data, 0, 1), cellState(data, 1, 0)], [ONE, BLANK, ZERO]);
  const pixels = matrixPixels({ data, view: { scale: 2, x: 0, y: 0 }, width: 4, height: 4 });
  const at = (x: number, y: number) => Array.from(pixels.slice((y * 4 + x) * 4, (y * 4 + x) * 4 + 3));
  assert.deepEqual(at(0, 0), MATRIX_COLORS.one);
  assert.deepEqual(at(2, 0), MATRIX_COLORS.unknown);
  assert.deepEqual(at(0, 2), MATRIX_COLORS.zero);

  // Rows arrive in windows: until then they paint as "loading".
  const partial = emptyMatrix(2);
  putRows(partial, 1, 1, new Uint8Array([0b01]));
  assert.equal(cellState(partial, 0, 0), -1);
  assert.equal(cellState(partial, 1, 0), ZERO);
  const loading = matrixPixels({ data: partial, view: { scale: 2, x: 0, y: 0 }, width: 4, height: 4 });
  assert.deepEqual(Array.from(loading.slice(0, 3)), MATRIX_COLORS.missing);

  // Zoomed out, one pixel covers 2 x 2 cells and mixes them: all 1s stays blue, all 0s stays pale.
  const ones = matrixPixels({ data: fromText(["11", "11"]), view: { scale: 0.5, x: 0, y: 0 }, width: 1, height: 1 });
  assert.deepEqual(Array.from(ones.slice(0, 3)), MATRIX_COLORS.one);
  const zeros = matrixPixels({ data: fromText(["00", "00"]), view: { scale: 0.5, x: 0, y: 0 }, width: 1, height: 1 });
  assert.deepEqual(Array.from(zeros.slice(0, 3)), MATRIX_COLORS.zero);
  // One 1 among four cells still shows: the 1s weigh sqrt(1/4) = half.
  const one = matrixPixels({ data: fromText(["10", "00"]), view: { scale: 0.5, x: 0, y: 0 }, width: 1, height: 1 });
  assert.deepEqual(Array.from(one.slice(0, 3)), MATRIX_COLORS.one.map((c, k) => Math.round((c + MATRIX_COLORS.zero[k]) / 2)));

  // Far out (4+ cells a pixel) pixels are summed from 4 x 4 blocks; padding past the last column
  // of a 6-wide matrix is not counted as blank.
  const allOnes = fromText(Array.from({ length: 6 }, () => "111111"));
  const far = matrixPixels({ data: allOnes, view: { scale: 0.25, x: 0, y: 0 }, width: 2, height: 2 });
  assert.deepEqual(Array.from(far.slice(0, 3)), MATRIX_COLORS.one);
  const blankRow = fromText(["1111", "....", "1111", "1111"]);
  const mixed = Array.from(matrixPixels({ data: blankRow, view: { scale: 0.25, x: 0, y: 0 }, width: 1, height: 1 }).slice(0, 3));
  // 12 ones of 16 cells: sqrt(3/4) of the 1-colour, the rest all blank.
  const w = Math.sqrt(12 / 16);
  assert.deepEqual(mixed, MATRIX_COLORS.one.map((c, k) => Math.round(w * c + (1 - w) * MATRIX_COLORS.unknown[k])));
  // New rows change the picture (the block sums are rebuilt, not reused).
  const growing = emptyMatrix(4);
  const before = Array.from(matrixPixels({ data: growing, view: { scale: 0.25, x: 0, y: 0 }, width: 1, height: 1 }).slice(0, 3));
  putRows(growing, 0, 4, new Uint8Array([0b10101010, 0b10101010, 0b10101010, 0b10101010]));
  assert.notDeepEqual(Array.from(matrixPixels({ data: growing, view: { scale: 0.25, x: 0, y: 0 }, width: 1, height: 1 }).slice(0, 3)), before);
});

test("matrix_heatmap: the keyboard's cell moves one step, stays inside, and the view follows it", () => {
  const view = { scale: 10, x: 4.5, y: 7.2 };
  assert.deepEqual(stepCell(null, "ArrowRight", 50, view), { row: 7, col: 4 }, "the first press lands on the view's top-left cell");
  assert.deepEqual(stepCell({ row: 7, col: 4 }, "ArrowRight", 50, view), { row: 7, col: 5 });
  assert.deepEqual(stepCell({ row: 7, col: 4 }, "ArrowUp", 50, view), { row: 6, col: 4 });
  assert.deepEqual(stepCell({ row: 0, col: 49 }, "ArrowRight", 50, view), { row: 0, col: 49 });
  assert.deepEqual(stepCell({ row: 0, col: 0 }, "ArrowUp", 50, view), { row: 0, col: 0 });
  assert.equal(stepCell(null, "ArrowDown", 0, view), null);
  const size = { n: 100, width: 400, height: 400 };
  assert.deepEqual(revealCell({ scale: 10, x: 0, y: 0 }, 0, 45, size), { scale: 10, x: 6, y: 0 });
  assert.deepEqual(revealCell({ scale: 10, x: 20, y: 30 }, 25, 10, size), { scale: 10, x: 10, y: 25 });
  assert.deepEqual(revealCell({ scale: 10, x: 20, y: 30 }, 40, 30, size), { scale: 10, x: 20, y: 30 }, "a cell on screen does not move the view");
});
