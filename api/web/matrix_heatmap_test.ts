import { test } from "node:test";
import assert from "node:assert/strict";
import { axisLabels, revealCell, stepCell, cellAt, cellState, centreOn, emptyMatrix, fitView, fromText, matrixPixels, MARK_MIN, MATRIX_COLORS, MATRIX_MARKS, ONE, panBy, putRows, visibleRows, zoomAt, ZERO, BLANK } from "./matrix_heatmap.js";

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

/** WCAG relative luminance contrast of two RGB colours. */
function contrast(a: readonly number[], b: readonly number[]): number {
  const lum = (c: readonly number[]) => {
    const [r, g, bl] = c.map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

test("matrix_heatmap: 1, 0 and blank cells differ without colour once cells are large enough (WCAG 1.4.1, 1.4.11)", () => {
  const data = fromText(["10.", "...", "..."]);
  const scale = 12;
  const width = scale * 3;
  const pixels = matrixPixels({ data, view: { scale, x: 0, y: 0 }, width, height: scale });
  const cell = (col: number) => {
    const out = new Set<string>();
    for (let y = 2; y < scale; y++) for (let x = col * scale + 2; x < (col + 1) * scale; x++) out.add(Array.from(pixels.slice((y * width + x) * 4, (y * width + x) * 4 + 3)).join(","));
    return [...out].map((s) => s.split(",").map(Number)); // 2 px in: the grid line may take 2 px (float edges)
  };
  const [one, zero, blank] = [cell(0), cell(1), cell(2)];
  assert.deepEqual(one, [MATRIX_COLORS.one], "a 1 is solid");
  assert.deepEqual(new Set(zero.map(String)), new Set([MATRIX_COLORS.zero, MATRIX_MARKS.zero].map(String)), "a 0 carries its square");
  assert.deepEqual(new Set(blank.map(String)), new Set([MATRIX_COLORS.unknown, MATRIX_MARKS.unknown].map(String)), "a blank is hatched");
  assert.ok(contrast(MATRIX_MARKS.zero, MATRIX_COLORS.zero) >= 3 && contrast(MATRIX_MARKS.unknown, MATRIX_COLORS.unknown) >= 3, "the marks stand out from their fills by 3:1");
  // The square sits in the middle of the 0 (not a hatch): its top-left corner is fill.
  const at = (x: number, y: number) => Array.from(pixels.slice((y * width + x) * 4, (y * width + x) * 4 + 3));
  assert.deepEqual(at(scale + 2, 2), MATRIX_COLORS.zero);
  assert.deepEqual(at(scale + scale / 2, scale / 2), MATRIX_MARKS.zero);

  // Below MARK_MIN px a cell is plain colour, and zoomed out pixels still mix the plain colours.
  const small = matrixPixels({ data, view: { scale: MARK_MIN - 1, x: 0, y: 0 }, width: (MARK_MIN - 1) * 3, height: MARK_MIN - 1 });
  const colours = new Set<string>();
  for (let k = 0; k < small.length; k += 4) colours.add(Array.from(small.slice(k, k + 3)).join(","));
  assert.deepEqual(colours, new Set([MATRIX_COLORS.one, MATRIX_COLORS.zero, MATRIX_COLORS.unknown, MATRIX_COLORS.gap].map(String)));
  const mixed = matrixPixels({ data: fromText(["00", "00"]), view: { scale: 0.5, x: 0, y: 0 }, width: 1, height: 1 });
  assert.deepEqual(Array.from(mixed.slice(0, 3)), MATRIX_COLORS.zero);
});
