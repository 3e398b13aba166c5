// @ts-check
/**
 * The adjacency matrix as a heat map: the math and the pixels, without the DOM. The page keeps a
 * view (cell size in px and the top-left cell) and the packed cells from GET /matrix (2 bits a
 * cell), and copies `matrixPixels()` into an ImageData. Painting pixels rather than one rect per
 * cell keeps a 5,000 x 5,000 matrix as cheap to draw as a 50 x 50 one; when a pixel covers several
 * cells it mixes their colours, so a zoomed-out picture still shows where the 1s and blanks are.
 */

/** @typedef {{ scale: number, x: number, y: number }} MatrixView  scale = px per cell; x, y = top-left in cells */
/**
 * Packed cells: row r, column c is bits 2(c mod 4).. of byte r * stride + floor(c / 4); 0 blank,
 * 1 = 0, 2 = 1. `loaded[r]` is 1 once row r has arrived; `changes` counts arrivals (it keys caches).
 * @typedef {{ n: number, stride: number, cells: Uint8Array, loaded: Uint8Array, changes: number }} MatrixData
 */

/** RGB per cell value. Blue/pale/amber stay distinct for the common colour-vision deficiencies. */
export const MATRIX_COLORS = {
  one: [29, 78, 216],
  zero: [226, 232, 240],
  unknown: [245, 158, 11],
  missing: [248, 250, 252],
  gap: [255, 255, 255],
};

/**
 * Marks drawn on cells once they are MARK_MIN px or more, so 1, 0 and blank differ without colour
 * (WCAG 1.4.1): 1 is solid, 0 carries a centred square, blank diagonal hatching. Each mark has at
 * least 4:1 contrast with its cell's fill (1.4.11); the fills alone (0 pale, blank amber) are only
 * 1.7:1 apart, and a pale 0 next to a white gap 1.2:1.
 */
export const MATRIX_MARKS = {
  zero: [71, 85, 105],
  unknown: [120, 53, 15],
};

/** Device px per cell from which the marks are drawn: smaller, a dot or a hatch line is noise. */
export const MARK_MIN = 8;

/** Cell states in the packed rows. */
export const BLANK = 0;
export const ZERO = 1;
export const ONE = 2;

/**
 * Returns empty packed storage for an `n` x `n` matrix (every row still to load).
 *
 * @example
 * const data = emptyMatrix(50);
 * @param {number} n
 * @returns {MatrixData}
 */
export function emptyMatrix(n) {
  const stride = Math.ceil(n / 4);
  return { n, stride, cells: new Uint8Array(n * stride), loaded: new Uint8Array(n), changes: 0 };
}

/**
 * Copies rows that arrived (`offset`, `rows`, packed like `data`) into `data`.
 *
 * @example
 * putRows(data, 0, 50, bytes);
 * @param {MatrixData} data
 * @param {number} offset
 * @param {number} rows
 * @param {Uint8Array} bytes
 */
export function putRows(data, offset, rows, bytes) {
  data.cells.set(bytes.subarray(0, rows * data.stride), offset * data.stride);
  data.loaded.fill(1, offset, offset + rows);
  data.changes++;
}

/**
 * Returns the state of a cell: BLANK, ZERO or ONE, or -1 while its row is loading.
 *
 * @example
 * cellState(data, 2, 3) === ONE; // row 2 marks column 3
 * @param {MatrixData} data
 * @param {number} row
 * @param {number} col
 * @returns {number}
 */
export function cellState(data, row, col) {
  if (!data.loaded[row]) return -1;
  return (data.cells[row * data.stride + (col >> 2)] >> ((col & 3) << 1)) & 3;
}

/**
 * Returns packed storage holding `rows` given as text ('1', '0', '.' per column): for tests.
 *
 * @example
 * fromText(["01", "1."]);
 * @param {readonly string[]} rows
 * @returns {MatrixData}
 */
export function fromText(rows) {
  const data = emptyMatrix(rows.length);
  rows.forEach((text, r) => {
    for (let c = 0; c < data.n; c++) {
      const state = text[c] === "1" ? ONE : text[c] === "0" ? ZERO : BLANK;
      data.cells[r * data.stride + (c >> 2)] |= state << ((c & 3) << 1);
    }
    data.loaded[r] = 1;
  });
  data.changes++;
  return data;
}

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
 * Returns a view with `scale` px per cell centred on a cell: how a finding's Show jumps there.
 *
 * @example
 * centreOn(2, 3, 20, { n: 1000, width: 400, height: 400 }); // { scale: 20, x: 0, y: 0 } (clamped)
 * @param {number} row
 * @param {number} col
 * @param {number} scale
 * @param {{ n: number, width: number, height: number }} size
 * @returns {MatrixView}
 */
export function centreOn(row, col, scale, size) {
  const s = Math.max(fitView(size.n, size.width, size.height).scale, Math.min(64, scale));
  return clampView({ scale: s, x: col + 0.5 - size.width / s / 2, y: row + 0.5 - size.height / s / 2 }, size);
}

/**
 * Returns the cell one step from `cell` in the arrow key's direction, kept inside the matrix; with
 * no cell yet, the top-left cell of the view. The heat map's keyboard cursor: a person without a
 * mouse reads the cells one by one (hover alone would leave them unreadable).
 *
 * @example
 * stepCell({ row: 0, col: 0 }, "ArrowRight", 50, { scale: 10, x: 0, y: 0 }); // { row: 0, col: 1 }
 * stepCell(null, "ArrowDown", 50, { scale: 10, x: 4.5, y: 7.2 }); // { row: 7, col: 4 }
 * @param {{ row: number, col: number } | null} cell
 * @param {"ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown"} key
 * @param {number} n
 * @param {MatrixView} view
 * @returns {{ row: number, col: number } | null}  null for an empty matrix
 */
export function stepCell(cell, key, n, view) {
  if (n <= 0) return null;
  const clamp = (/** @type {number} */ v) => Math.min(n - 1, Math.max(0, v));
  if (!cell) return { row: clamp(Math.floor(view.y)), col: clamp(Math.floor(view.x)) };
  const dRow = key === "ArrowDown" ? 1 : key === "ArrowUp" ? -1 : 0;
  const dCol = key === "ArrowRight" ? 1 : key === "ArrowLeft" ? -1 : 0;
  return { row: clamp(cell.row + dRow), col: clamp(cell.col + dCol) };
}

/**
 * Returns the view moved as little as needed for the cell at (row, col) to be wholly on screen.
 *
 * @example
 * revealCell({ scale: 10, x: 0, y: 0 }, 0, 45, { n: 100, width: 400, height: 400 }); // { scale: 10, x: 6, y: 0 }
 * @param {MatrixView} view
 * @param {number} row
 * @param {number} col
 * @param {{ n: number, width: number, height: number }} size
 * @returns {MatrixView}
 */
export function revealCell(view, row, col, size) {
  const cols = size.width / view.scale;
  const rows = size.height / view.scale;
  const x = col < view.x ? col : col + 1 > view.x + cols ? col + 1 - cols : view.x;
  const y = row < view.y ? row : row + 1 > view.y + rows ? row + 1 - rows : view.y;
  return clampView({ scale: view.scale, x, y }, size);
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
  if (px < 0 || py < 0) return null;
  const col = Math.floor(view.x + px / view.scale);
  const row = Math.floor(view.y + py / view.scale);
  if (row < 0 || col < 0 || row >= n || col >= n) return null;
  return { row, col };
}

/**
 * Returns which header positions get a text label along an axis: every one when cells are at least
 * `minGap` px apart, else every k-th, so labels never overlap.
 *
 * @example
 * axisLabels({ scale: 4, x: 0, y: 0 }, 100, 400, 12).slice(0, 3); // [0, 3, 6]
 * @param {MatrixView} view
 * @param {number} n
 * @param {number} length  canvas px along the axis
 * @param {number} minGap  px a label needs
 * @param {"x" | "y"} [axis]
 * @returns {number[]}
 */
export function axisLabels(view, n, length, minGap, axis = "y") {
  const from = Math.max(0, Math.floor(axis === "y" ? view.y : view.x));
  const to = Math.min(n, Math.ceil((axis === "y" ? view.y : view.x) + length / view.scale));
  const step = Math.max(1, Math.ceil(minGap / view.scale));
  const out = [];
  for (let p = Math.ceil(from / step) * step; p < to; p += step) out.push(p);
  return out;
}

/**
 * Returns RGBA pixels for a `width` x `height` canvas showing the view of `data`.
 *
 * @example
 * const pixels = matrixPixels({ data, view, width: 600, height: 600 });
 * ctx.putImageData(new ImageData(pixels, 600, 600), 0, 0);
 * @param {{ data: MatrixData, view: MatrixView, width: number, height: number }} input
 * @returns {Uint8ClampedArray<ArrayBuffer>}
 */
export function matrixPixels(input) {
  const { data, view, width, height } = input;
  const n = data.n;
  const pixels = new Uint8ClampedArray(width * height * 4);
  const put = (/** @type {number} */ o, /** @type {readonly number[]} */ c) => {
    pixels[o] = c[0];
    pixels[o + 1] = c[1];
    pixels[o + 2] = c[2];
    pixels[o + 3] = 255;
  };
  if (view.scale <= 0.25) {
    blockPixels(data, view, width, height, pixels, put);
    return pixels;
  }
  if (view.scale < 1) {
    mixedPixels(data, view, width, height, pixels, put);
    return pixels;
  }
  // Grid lines only once cells are big enough to see them; below that they would be all there is.
  const grid = view.scale >= 6;
  const colOf = new Int32Array(width);
  const gapX = new Uint8Array(width);
  for (let px = 0; px < width; px++) {
    const c = view.x + px / view.scale;
    colOf[px] = Math.floor(c);
    gapX[px] = grid && c - Math.floor(c) < 1 / view.scale ? 1 : 0;
  }
  const colours = [MATRIX_COLORS.unknown, MATRIX_COLORS.zero, MATRIX_COLORS.one, MATRIX_COLORS.unknown];
  const marks = view.scale >= MARK_MIN;
  // The 0's square: a third of the cell, centred. The hatch: canvas diagonals, so neighbouring
  // blank cells read as one hatched area rather than a grid of tiles.
  const dotX = marks ? centreBand(view.x, view.scale, width) : new Uint8Array(width);
  const period = Math.min(8, Math.max(4, Math.round(view.scale / 3)));
  const thick = Math.max(1, Math.round(period / 6));
  for (let py = 0; py < height; py++) {
    const r = view.y + py / view.scale;
    const row = Math.floor(r);
    const gapY = grid && r - row < 1 / view.scale;
    const dotY = marks && Math.abs(r - row - 0.5) * view.scale < dotHalf(view.scale);
    const loaded = row < n && data.loaded[row] === 1;
    const base = row * data.stride;
    for (let px = 0; px < width; px++) {
      const col = colOf[px];
      const o = (py * width + px) * 4;
      if (row >= n || col >= n || gapY || gapX[px]) put(o, MATRIX_COLORS.gap);
      else if (!loaded) put(o, MATRIX_COLORS.missing);
      else {
        const state = (data.cells[base + (col >> 2)] >> ((col & 3) << 1)) & 3;
        if (marks && state === ZERO && dotY && dotX[px]) put(o, MATRIX_MARKS.zero);
        else if (marks && state === BLANK && (px + py) % period < thick) put(o, MATRIX_MARKS.unknown);
        else put(o, colours[state]);
      }
    }
  }
  return pixels;
}

/** Half the side of the 0's square, in px. @param {number} scale */
function dotHalf(scale) {
  return Math.max(1, Math.round(scale / 3)) / 2;
}

/**
 * Which pixel columns fall in the middle band of their cell (where the 0's square goes).
 * @param {number} x0  the view's left edge, in cells
 * @param {number} scale
 * @param {number} width
 */
function centreBand(x0, scale, width) {
  const band = new Uint8Array(width);
  for (let px = 0; px < width; px++) {
    const c = x0 + px / scale;
    band[px] = Math.abs(c - Math.floor(c) - 0.5) * scale < dotHalf(scale) ? 1 : 0;
  }
  return band;
}

/**
 * Byte -> how many of its four cells are blank, 0 and 1, packed as blank | zero << 8 | one << 16,
 * so four cells are counted with one lookup.
 */
const BYTE_COUNTS = Uint32Array.from({ length: 256 }, (_, b) => {
  let packed = 0;
  for (let s = 0; s < 4; s++) packed += 1 << (((b >> (s * 2)) & 3) * 8);
  return packed;
});

/** @type {WeakMap<MatrixData, { changes: number, grid: Uint32Array }>} */
const blockGrids = new WeakMap();

/**
 * Returns the matrix summed in blocks of 4 x 4 cells (a byte of 4 rows), counts packed like
 * BYTE_COUNTS plus rows still loading in bits 24..31. Built once per arrival of rows: a 3000 x 3000
 * matrix is 2.25 M byte lookups instead of 9 M cell reads.
 * @param {MatrixData} data
 */
function blockGrid(data) {
  const cached = blockGrids.get(data);
  if (cached && cached.changes === data.changes) return cached.grid;
  const gx = data.stride;
  const grid = new Uint32Array(gx * Math.ceil(data.n / 4));
  const tail = data.n % 4; // cells of the last byte that exist; the rest are padding, not blanks
  for (let row = 0; row < data.n; row++) {
    const line = (row >> 2) * gx;
    if (data.loaded[row] !== 1) {
      for (let k = 0; k < gx; k++) grid[line + k] += (k === gx - 1 && tail ? tail : 4) << 24;
      continue;
    }
    const base = row * gx;
    for (let k = 0; k < gx; k++) grid[line + k] += BYTE_COUNTS[data.cells[base + k]];
    if (tail) grid[line + gx - 1] -= (4 - tail); // padding decoded as blanks
  }
  blockGrids.set(data, { changes: data.changes, grid });
  return grid;
}

/**
 * Far zoomed out (4 or more cells per pixel): each pixel mixes the 4 x 4 blocks it covers.
 * @param {MatrixData} data
 * @param {MatrixView} view
 * @param {number} width
 * @param {number} height
 * @param {Uint8ClampedArray} pixels
 * @param {(o: number, c: readonly number[]) => void} put
 */
function blockPixels(data, view, width, height, pixels, put) {
  const grid = blockGrid(data);
  const gx = data.stride;
  const gy = Math.ceil(data.n / 4);
  const colStart = new Int32Array(width + 1);
  for (let px = 0; px <= width; px++) colStart[px] = Math.min(gx, Math.floor((view.x + px / view.scale) / 4));
  const sums = new Float64Array(width * 4);
  for (let py = 0; py < height; py++) {
    const b0 = Math.floor((view.y + py / view.scale) / 4);
    const b1 = Math.min(gy, Math.max(b0 + 1, Math.floor((view.y + (py + 1) / view.scale) / 4)));
    if (b0 >= gy) {
      for (let px = 0; px < width; px++) put((py * width + px) * 4, MATRIX_COLORS.gap);
      continue;
    }
    sums.fill(0);
    for (let b = b0; b < b1; b++) {
      const line = b * gx;
      for (let px = 0; px < width; px++) {
        const k1 = Math.max(colStart[px] + 1, colStart[px + 1]);
        for (let k = colStart[px]; k < k1 && k < gx; k++) {
          const v = grid[line + k];
          sums[px * 4] += v & 255;
          sums[px * 4 + 1] += (v >>> 8) & 255;
          sums[px * 4 + 2] += (v >>> 16) & 255;
          sums[px * 4 + 3] += v >>> 24;
        }
      }
    }
    for (let px = 0; px < width; px++) mix(pixels, (py * width + px) * 4, sums[px * 4], sums[px * 4 + 1], sums[px * 4 + 2], sums[px * 4 + 3], put);
  }
}

/**
 * Writes the colour of a pixel holding these counts of blank, 0, 1 and loading cells.
 * @param {Uint8ClampedArray} pixels
 * @param {number} o
 * @param {number} blank
 * @param {number} zero
 * @param {number} one
 * @param {number} missing
 * @param {(o: number, c: readonly number[]) => void} put
 */
function mix(pixels, o, blank, zero, one, missing, put) {
  const total = blank + zero + one + missing;
  if (total === 0) return put(o, MATRIX_COLORS.gap);
  const wOne = Math.sqrt(one / total);
  const rest = 1 - wOne;
  const others = blank + zero + missing || 1;
  for (let k = 0; k < 3; k++) {
    pixels[o + k] = wOne * MATRIX_COLORS.one[k] + rest * ((blank * MATRIX_COLORS.unknown[k] + zero * MATRIX_COLORS.zero[k] + missing * MATRIX_COLORS.missing[k]) / others);
  }
  pixels[o + 3] = 255;
}

/**
 * Zoomed out (1 to 4 cells per pixel): each pixel mixes the colours of the cells it covers. The 1s
 * are weighted up (square root of their share) because they are the sparse thing people look for.
 * @param {MatrixData} data
 * @param {MatrixView} view
 * @param {number} width
 * @param {number} height
 * @param {Uint8ClampedArray} pixels
 * @param {(o: number, c: readonly number[]) => void} put
 */
function mixedPixels(data, view, width, height, pixels, put) {
  const n = data.n;
  const counts = new Int32Array(width * 4); // per pixel column: blank, zero, one, missing
  const colStart = new Int32Array(width + 1);
  for (let px = 0; px <= width; px++) colStart[px] = Math.min(n, Math.floor(view.x + px / view.scale));
  for (let py = 0; py < height; py++) {
    const r0 = Math.floor(view.y + py / view.scale);
    const r1 = Math.min(n, Math.max(r0 + 1, Math.floor(view.y + (py + 1) / view.scale)));
    if (r0 >= n) {
      for (let px = 0; px < width; px++) put((py * width + px) * 4, MATRIX_COLORS.gap);
      continue;
    }
    counts.fill(0);
    for (let row = r0; row < r1; row++) {
      const loaded = data.loaded[row] === 1;
      const base = row * data.stride;
      for (let px = 0; px < width; px++) {
        const c0 = colStart[px];
        const c1 = Math.min(n, Math.max(c0 + 1, colStart[px + 1]));
        if (c0 >= n) continue;
        if (!loaded) {
          counts[px * 4 + 3] += c1 - c0;
          continue;
        }
        for (let col = c0; col < c1; col++) counts[px * 4 + ((data.cells[base + (col >> 2)] >> ((col & 3) << 1)) & 3)]++;
      }
    }
    for (let px = 0; px < width; px++) mix(pixels, (py * width + px) * 4, counts[px * 4], counts[px * 4 + 1], counts[px * 4 + 2], counts[px * 4 + 3], put);
  }
}
