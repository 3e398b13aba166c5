// @ts-check
/**
 * The adjacency matrix as a heat map: the math and the pixels, without the DOM. The page keeps a
 * view (cell size in px and the top-left cell), asks which rows are visible so it can fetch just
 * those pages of GET /matrix, and copies `matrixPixels()` into an ImageData. Painting pixels rather
 * than one rect per cell keeps a 5,000 x 5,000 matrix as cheap to draw as a 50 x 50 one.
 */

/** @typedef {{ scale: number, x: number, y: number }} MatrixView  scale = px per cell; x, y = top-left in cells */

/** RGB per cell value. Blue/pale/amber stay distinct for the common colour-vision deficiencies. */
export const MATRIX_COLORS = {
  one: [29, 78, 216],
  zero: [226, 232, 240],
  unknown: [245, 158, 11],
  missing: [248, 250, 252],
  gap: [255, 255, 255],
};

/**
 * Returns the view that fits the whole `n` x `n` matrix in a `width` x `height` canvas.
 *
 * @example
 * fitView(50, 500, 500); // { scale: 10, x: 0, y: 0 }
 * @param {number} n
 * @param {number} width
 * @param {number} height
 * @returns {MatrixView}
 */
export function fitView(n, width, height) {
  return { scale: n > 0 ? Math.min(width, height) / n : 1, x: 0, y: 0 };
}

/**
 * Returns the view zoomed by `factor` around the canvas point (px, py), clamped so the matrix
 * cannot be zoomed out past fitting or in past 64 px per cell.
 *
 * @example
 * zoomAt({ scale: 2, x: 0, y: 0 }, 2, 100, 100, { n: 1000, width: 400, height: 400 }); // { scale: 4, x: 25, y: 25 }
 * @param {MatrixView} view
 * @param {number} factor
 * @param {number} px
 * @param {number} py
 * @param {{ n: number, width: number, height: number }} size
 * @returns {MatrixView}
 */
export function zoomAt(view, factor, px, py, size) {
  const min = fitView(size.n, size.width, size.height).scale;
  const scale = Math.min(64, Math.max(min, view.scale * factor));
  const cellX = view.x + px / view.scale;
  const cellY = view.y + py / view.scale;
  return clampView({ scale, x: cellX - px / scale, y: cellY - py / scale }, size);
}

/**
 * Returns the view moved by (dx, dy) canvas pixels, clamped to the matrix.
 *
 * @example
 * panBy(view, -40, 0, size);
 * @param {MatrixView} view
 * @param {number} dx
 * @param {number} dy
 * @param {{ n: number, width: number, height: number }} size
 * @returns {MatrixView}
 */
export function panBy(view, dx, dy, size) {
  return clampView({ scale: view.scale, x: view.x - dx / view.scale, y: view.y - dy / view.scale }, size);
}

/**
 * @param {MatrixView} view
 * @param {{ n: number, width: number, height: number }} size
 * @returns {MatrixView}
 */
function clampView(view, size) {
  const maxX = Math.max(0, size.n - size.width / view.scale);
  const maxY = Math.max(0, size.n - size.height / view.scale);
  return { scale: view.scale, x: Math.min(maxX, Math.max(0, view.x)), y: Math.min(maxY, Math.max(0, view.y)) };
}

/**
 * Returns the half-open range of matrix rows the view shows.
 *
 * @example
 * visibleRows({ scale: 10, x: 0, y: 5 }, 1000, 300); // { start: 5, end: 35 }
 * @param {MatrixView} view
 * @param {number} n
 * @param {number} height
 * @returns {{ start: number, end: number }}
 */
export function visibleRows(view, n, height) {
  const start = Math.max(0, Math.floor(view.y));
  return { start, end: Math.min(n, Math.ceil(view.y + height / view.scale)) };
}

/**
 * Returns the matrix cell under a canvas point, or null outside the matrix.
 *
 * @example
 * cellAt({ scale: 10, x: 0, y: 0 }, 25, 7, 50); // { row: 0, col: 2 }
 * @param {MatrixView} view
 * @param {number} px
 * @param {number} py
 * @param {number} n
 * @returns {{ row: number, col: number } | null}
 */
export function cellAt(view, px, py, n) {
  const col = Math.floor(view.x + px / view.scale);
  const row = Math.floor(view.y + py / view.scale);
  if (row < 0 || col < 0 || row >= n || col >= n) return null;
  return { row, col };
}

/**
 * Returns RGBA pixels for a `width` x `height` canvas showing the view. `getRow(i)` returns row i's
 * cells string ('1', '0', '.' per column) or undefined while that page is still loading.
 *
 * @example
 * const data = matrixPixels({ n, getRow: (i) => rows[i], view, width: 600, height: 600 });
 * ctx.putImageData(new ImageData(data, 600, 600), 0, 0);
 * @param {{ n: number, getRow: (row: number) => string | undefined, view: MatrixView, width: number, height: number }} input
 * @returns {Uint8ClampedArray<ArrayBuffer>}
 */
export function matrixPixels(input) {
  const { n, getRow, view, width, height } = input;
  const pixels = new Uint8ClampedArray(width * height * 4);
  // Grid lines only once cells are big enough to see them; below that they would be all there is.
  const grid = view.scale >= 6;
  /** @type {number[]} */
  const colOf = [];
  /** @type {boolean[]} */
  const gapX = [];
  for (let px = 0; px < width; px++) {
    const c = view.x + px / view.scale;
    colOf.push(Math.floor(c));
    gapX.push(grid && c - Math.floor(c) < 1 / view.scale);
  }
  for (let py = 0; py < height; py++) {
    const r = view.y + py / view.scale;
    const row = Math.floor(r);
    const gapY = grid && r - row < 1 / view.scale;
    const cells = row < n ? getRow(row) : undefined;
    for (let px = 0; px < width; px++) {
      const col = colOf[px];
      /** @type {number[]} */
      let color;
      if (row >= n || col >= n) color = MATRIX_COLORS.gap;
      else if (gapY || gapX[px]) color = MATRIX_COLORS.gap;
      else if (cells === undefined) color = MATRIX_COLORS.missing;
      else {
        const ch = cells[col];
        color = ch === "1" ? MATRIX_COLORS.one : ch === "0" ? MATRIX_COLORS.zero : MATRIX_COLORS.unknown;
      }
      const o = (py * width + px) * 4;
      pixels[o] = color[0];
      pixels[o + 1] = color[1];
      pixels[o + 2] = color[2];
      pixels[o + 3] = 255;
    }
  }
  return pixels;
}

/**
 * Returns how many cells of the given rows are 1, 0 and unknown (the diagonal excluded).
 *
 * @example
 * countCells([[0, "01."], [1, "1.0"]]); // { one: 2, zero: 1, unknown: 1 }: the diagonal is skipped
 * @param {Iterable<[number, string]>} rows  [row position, cells] pairs
 * @returns {{ one: number, zero: number, unknown: number }}
 */
export function countCells(rows) {
  const counts = { one: 0, zero: 0, unknown: 0 };
  for (const [row, cells] of rows) {
    for (let col = 0; col < cells.length; col++) {
      if (col === row) continue;
      const ch = cells[col];
      if (ch === "1") counts.one++;
      else if (ch === "0") counts.zero++;
      else counts.unknown++;
    }
  }
  return counts;
}
