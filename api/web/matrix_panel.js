// @ts-check
/**
 * The heat-map section: the header, the server's cell counts and the sheet layout from one small
 * JSON request, then the cells in the compact binary form (the whole matrix at once up to 4,096
 * actors, else windows of rows as they scroll into view). Rows and columns are labelled with letter
 * codes in gutters, a hovered cell is named as the workbook names it (and, from the keyboard, the
 * cell the arrow keys move to: hover alone would leave the cells unreadable without a mouse), and a
 * finding can jump to a cell (`showCell`). "Show as table" gives the same cells as a table, one
 * window at a time (`matrix_table.js`): the canvas's text alternative.
 */
import * as api from "./api_client.js";
import { byId, setEdges } from "./_dom.js";
import { axisLabels, cellAt, cellState, centreOn, emptyMatrix, fitView, matrixPixels, panBy, putRows, revealCell, stepCell, visibleRows, zoomAt, ONE, ZERO } from "./matrix_heatmap.js";
import { cellName, rowOfSheetRow } from "./cell_refs.js";
import { findActor, tableHtml, tableWindow, TABLE_COLS, TABLE_ROWS } from "./matrix_table.js";
import { escapeHtml, formatCount } from "./html.js";

/** @typedef {import("./api_client.js").MatrixPage} MatrixPage */
/** @typedef {import("./findings_view.js").FindingContext} FindingContext */

const WHOLE_UP_TO = 4096;
const WINDOW = 512;
const GUTTER = 34;
/** Said under the heat map when a window of rows failed; Refresh asks for it again. */
const ROWS_FAILED = "Some matrix rows could not be loaded. Press Refresh to try again.";

/**
 * Mounts the matrix section.
 *
 * @example
 * const matrix = mountMatrix({ announce });
 * await matrix.load(await api.matrixInfo());
 * @param {{ announce: (message: string) => void }} options
 * @returns {{ load: (info: MatrixPage, whole?: Promise<import("./api_client.js").MatrixCells>, cancelWhole?: () => void) => Promise<void>, empty: (message: string) => void, showCell: (row: number, col: number | null) => void, context: () => FindingContext | null }}
 */
export function mountMatrix({ announce }) {
  const canvas = byId("matrix-canvas", HTMLCanvasElement);
  const info = byId("matrix-info", HTMLElement);
  /** How to read the matrix (index.html), put back by load() over what empty() said. */
  const howToRead = info.innerHTML;
  const summary = byId("matrix-summary", HTMLElement);
  const ctx = canvas.getContext("2d");
  /** @type {MatrixPage | null} */
  let meta = null;
  let data = emptyMatrix(0);
  /** @type {Map<number, number>} */
  let rowBySheetRow = new Map();
  /** Windows of rows asked for and not yet here. @type {Map<number, Promise<void>>} */
  const pending = new Map();
  /**
   * Windows of rows whose request failed: asked again by Refresh (load()), not at each repaint. Each
   * hover onto another cell repaints, and asked again there every failed window in view (9 requests
   * a mouse move at 4,200 actors with the API down). @type {Set<number>}
   */
  const failed = new Set();
  /** Whether the window holding `row` failed (its cells are "not loaded", not "loading"). @param {number} row */
  const failedRow = (row) => failed.has(Math.floor(row / WINDOW));
  /** @type {import("./matrix_heatmap.js").MatrixView} */
  let view = { scale: 1, x: 0, y: 0 };
  /** @type {{ row: number, col: number | null } | null} */
  let mark = null;
  /** @type {{ row: number, col: number } | null} */
  let hover = null;
  /** The keyboard's cell (arrow keys), outlined while the canvas has focus. @type {{ row: number, col: number } | null} */
  let cursor = null;
  let generation = 0;
  let dpr = 1;

  const plot = () => ({ n: data.n, width: canvas.width - gutter(), height: canvas.height - gutter() });
  const gutter = () => Math.round(GUTTER * dpr);

  function resize() {
    // Paint at the displayed size (times the pixel ratio) so cells and labels stay crisp.
    dpr = Math.min(window.devicePixelRatio || 1, 2);
    const cssWidth = Math.round(canvas.getBoundingClientRect().width) || 600;
    const px = Math.max(200, Math.round(cssWidth * dpr));
    if (canvas.width !== px) {
      const fitted = view.scale <= fitView(data.n, plot().width, plot().height).scale;
      canvas.width = px;
      canvas.height = px;
      if (fitted) view = fitView(data.n, plot().width, plot().height);
    }
  }

  function paint() {
    if (!ctx) return;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (data.n === 0) return;
    const g = gutter();
    const { width, height } = plot();
    ctx.putImageData(new ImageData(matrixPixels({ data, view, width, height }), width, height), g, g);
    drawLabels(g, width, height);
    drawMarks(g);
    drawCursor(g);
    // Hook for the browser tests: where the cells are on the canvas (device px).
    canvas.dataset.view = `${view.scale},${view.x},${view.y},${g}`;
    void fetchVisible();
  }

  /** Letter codes in the gutters: every row/column when they fit, else every k-th. */
  function drawLabels(/** @type {number} */ g, /** @type {number} */ width, /** @type {number} */ height) {
    if (!ctx || !meta) return;
    const font = Math.round(10 * dpr);
    ctx.font = `${font}px system-ui, sans-serif`;
    ctx.fillStyle = "#334155";
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    const rowLabels = axisLabels(view, data.n, height, font * 1.15, "y");
    const colLabels = axisLabels(view, data.n, width, font * 1.15, "x");
    canvas.dataset.labelled = `${rowLabels.length},${colLabels.length}`;
    for (const r of rowLabels) {
      const y = g + (r - view.y + 0.5) * view.scale;
      ctx.font = `${hover?.row === r || mark?.row === r ? "bold " : ""}${font}px system-ui, sans-serif`;
      ctx.fillText(meta.actors[r]?.letter_code ?? "", g - 4 * dpr, y);
    }
    ctx.save();
    ctx.textAlign = "left";
    for (const c of colLabels) {
      const x = g + (c - view.x + 0.5) * view.scale;
      ctx.setTransform(1, 0, 0, 1, x, g - 4 * dpr);
      ctx.rotate(-Math.PI / 2);
      ctx.font = `${hover?.col === c || mark?.col === c ? "bold " : ""}${font}px system-ui, sans-serif`;
      ctx.fillText(meta.actors[c]?.letter_code ?? "", 0, 0);
    }
    ctx.restore();
  }

  /** The cell (or row) a finding jumped to, outlined so it can be found at any zoom. */
  function drawMarks(/** @type {number} */ g) {
    if (!ctx || !mark) return;
    const s = view.scale;
    ctx.lineWidth = Math.max(2, 2 * dpr);
    ctx.strokeStyle = "#dc2626";
    const y = g + (mark.row - view.y) * s;
    if (mark.col === null) {
      ctx.strokeRect(g, y, plot().width, Math.max(s, 2));
    } else {
      const x = g + (mark.col - view.x) * s;
      const size = Math.max(s, 6 * dpr);
      ctx.strokeRect(x - (size - s) / 2, y - (size - s) / 2, size, size);
    }
  }

  /** The keyboard's cell, outlined in the focus colour (and a white inner line for dark cells). */
  function drawCursor(/** @type {number} */ g) {
    if (!ctx || !cursor || document.activeElement !== canvas) return;
    const s = view.scale;
    const size = Math.max(s, 6 * dpr);
    const x = g + (cursor.col - view.x) * s - (size - s) / 2;
    const y = g + (cursor.row - view.y) * s - (size - s) / 2;
    ctx.lineWidth = Math.max(2, 2 * dpr);
    ctx.strokeStyle = "#000";
    ctx.strokeRect(x, y, size, size);
    ctx.lineWidth = Math.max(1, dpr);
    ctx.strokeStyle = "#fff";
    ctx.strokeRect(x + ctx.lineWidth * 1.5, y + ctx.lineWidth * 1.5, size - ctx.lineWidth * 3, size - ctx.lineWidth * 3);
  }

  async function fetchVisible() {
    const { start, end } = visibleRows(view, data.n, plot().height);
    await fetchRows(start, end);
  }

  /**
   * Asks for the windows of rows in [start, end) not here yet; resolves once they arrived.
   * @param {number} start
   * @param {number} end
   */
  function fetchRows(start, end) {
    if (data.n <= WHOLE_UP_TO) return Promise.resolve(); // asked for whole in load()
    const mine = generation;
    const waits = [];
    for (let w = Math.floor(start / WINDOW); w * WINDOW < end; w++) {
      const asked = pending.get(w);
      if (asked) waits.push(asked);
      if (asked || failed.has(w) || data.loaded[w * WINDOW]) continue;
      const arrival = api
        .matrixCells({ offset: w * WINDOW, limit: WINDOW })
        .then((rows) => {
          if (mine !== generation) return;
          putRows(data, rows.offset, rows.rows, rows.cells);
          countRows();
          paint();
        })
        .catch(() => {
          if (mine !== generation) return;
          failed.add(w);
          info.textContent = ROWS_FAILED;
        })
        .finally(() => {
          if (pending.get(w) === arrival) pending.delete(w);
        });
      pending.set(w, arrival);
      waits.push(arrival);
    }
    return Promise.all(waits).then(() => {});
  }

  /** @param {number} factor @param {number} [px] @param {number} [py] */
  function zoom(factor, px = plot().width / 2, py = plot().height / 2) {
    view = zoomAt(view, factor, px, py, plot());
    paint();
  }

  /** @param {MouseEvent} event */
  function plotPoint(event) {
    const rect = canvas.getBoundingClientRect();
    const ratio = canvas.width / (rect.width || canvas.width);
    return { px: (event.clientX - rect.left) * ratio - gutter(), py: (event.clientY - rect.top) * ratio - gutter() };
  }

  byId("matrix-zoom-in", HTMLButtonElement).addEventListener("click", () => zoom(2));
  byId("matrix-zoom-out", HTMLButtonElement).addEventListener("click", () => zoom(0.5));
  byId("matrix-fit", HTMLButtonElement).addEventListener("click", () => {
    view = fitView(data.n, plot().width, plot().height);
    paint();
  });
  canvas.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const { px, py } = plotPoint(event);
      zoom(event.deltaY < 0 ? 1.25 : 0.8, px, py);
    },
    { passive: false },
  );
  /** @type {{ x: number, y: number } | null} */
  let drag = null;
  canvas.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, y: event.clientY };
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointerup", () => (drag = null));
  canvas.addEventListener("pointermove", (event) => {
    const ratio = canvas.width / (canvas.getBoundingClientRect().width || canvas.width);
    if (drag) {
      view = panBy(view, (event.clientX - drag.x) * ratio, (event.clientY - drag.y) * ratio, plot());
      drag = { x: event.clientX, y: event.clientY };
      paint();
      return;
    }
    const { px, py } = plotPoint(event);
    const cell = cellAt(view, px, py, data.n);
    if (!cell) return;
    info.textContent = describeCell(cell.row, cell.col);
    // A repaint rebuilds the whole canvas: only when the bold row and column labels change.
    if (hover?.row === cell.row && hover?.col === cell.col) return;
    hover = cell;
    paint();
  });
  canvas.addEventListener("focus", () => paint());
  canvas.addEventListener("blur", () => paint());
  canvas.addEventListener("keydown", (event) => {
    // Arrows move the keyboard's cell and name it (the view follows); Shift+arrows pan.
    if (!event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"].includes(event.key)) {
      event.preventDefault();
      const key = /** @type {"ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown"} */ (event.key);
      cursor = stepCell(cursor ?? hover, key, data.n, view);
      if (!cursor) return;
      view = revealCell(view, cursor.row, cursor.col, plot());
      hover = cursor;
      info.textContent = describeCell(cursor.row, cursor.col);
      paint();
      followInTable(cursor.row, cursor.col);
      return;
    }
    const step = plot().width / 8;
    /** @type {Record<string, () => void>} */
    const actions = {
      "+": () => zoom(2),
      "=": () => zoom(2),
      "-": () => zoom(0.5),
      "0": () => {
        view = fitView(data.n, plot().width, plot().height);
        paint();
      },
      ArrowLeft: () => ((view = panBy(view, step, 0, plot())), paint()),
      ArrowRight: () => ((view = panBy(view, -step, 0, plot())), paint()),
      ArrowUp: () => ((view = panBy(view, 0, step, plot())), paint()),
      ArrowDown: () => ((view = panBy(view, 0, -step, plot())), paint()),
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => {
      resize();
      paint();
    }, 150);
  });

  const tableView = byId("matrix-table-view", HTMLElement);
  const tableBox = byId("matrix-table", HTMLElement);
  const tableToggle = byId("matrix-table-toggle", HTMLButtonElement);
  const tableFound = byId("matrix-table-found", HTMLElement);
  /** The table's top-left cell, while the table is shown. @type {import("./matrix_table.js").TableWindow | null} */
  let tableAt = null;
  let tableDraws = 0;

  /**
   * Shows the table with (row, col) as its top-left cell (clamped), after its rows arrived, and
   * brings that cell into the heat map's view so both show the same place.
   * @param {number} row
   * @param {number} col
   * @param {boolean} [say]  announce the new window (a move the user asked for)
   */
  async function drawTable(row, col, say = false) {
    if (!meta || data.n === 0) return;
    const at = tableWindow(row, col, data.n);
    tableAt = at;
    const mine = ++tableDraws;
    await fetchRows(at.row, at.row + TABLE_ROWS);
    if (mine !== tableDraws || !tableAt) return;
    tableBox.innerHTML = tableHtml({ data, header: meta.actors, layout: meta.layout, window: at, failedRow });
    tableBox.dataset.window = `${at.row},${at.col}`;
    // The button pressed to reach an edge is disabled there; its focus goes to the button back.
    setEdges(byId("matrix-table-up", HTMLButtonElement), byId("matrix-table-down", HTMLButtonElement), at.row === 0, at.row + TABLE_ROWS >= data.n);
    setEdges(byId("matrix-table-left", HTMLButtonElement), byId("matrix-table-right", HTMLButtonElement), at.col === 0, at.col + TABLE_COLS >= data.n);
    view = revealCell(view, at.row, at.col, plot());
    paint();
    if (say) announce(tableBox.querySelector("caption")?.textContent?.replace(/\. A cell is.*$/, "") ?? "");
  }

  /** When the table is shown and the keyboard's cell leaves its window, the window follows. */
  function followInTable(/** @type {number} */ row, /** @type {number} */ col) {
    if (!tableAt) return;
    const inside = row >= tableAt.row && row < tableAt.row + TABLE_ROWS && col >= tableAt.col && col < tableAt.col + TABLE_COLS;
    if (!inside) void drawTable(row, col);
  }

  function hideTable() {
    tableAt = null;
    tableDraws++;
    tableView.hidden = true;
    tableBox.innerHTML = "";
    tableToggle.setAttribute("aria-expanded", "false");
    tableToggle.textContent = "Show as table";
  }

  tableToggle.addEventListener("click", () => {
    if (tableAt) return hideTable();
    tableView.hidden = false;
    tableToggle.setAttribute("aria-expanded", "true");
    tableToggle.textContent = "Hide the table";
    // Starts where the person is: the keyboard's cell, a finding's cell, else the view's corner.
    const from = cursor ?? (mark ? { row: mark.row, col: mark.col ?? 0 } : { row: view.y, col: view.x });
    void drawTable(from.row, from.col);
  });
  /** @type {[string, number, number][]} */
  const moves = [
    ["matrix-table-up", -TABLE_ROWS, 0],
    ["matrix-table-down", TABLE_ROWS, 0],
    ["matrix-table-left", 0, -TABLE_COLS],
    ["matrix-table-right", 0, TABLE_COLS],
  ];
  for (const [id, dRow, dCol] of moves) {
    byId(id, HTMLButtonElement).addEventListener("click", () => {
      if (tableAt) void drawTable(tableAt.row + dRow, tableAt.col + dCol, true);
    });
  }
  byId("matrix-table-go", HTMLFormElement).addEventListener("submit", (event) => {
    event.preventDefault();
    const text = byId("matrix-table-actor", HTMLInputElement).value.trim();
    const position = findActor(meta?.actors ?? [], text);
    // Said beside the box as well as in the status line, which is at the top of the page, out of sight.
    tableFound.textContent = position < 0 ? `No actor in the matrix matches "${text}".` : "";
    if (position < 0) return announce(tableFound.textContent);
    // The actor's row first and its column first: what it answered and what the others answered about it.
    void drawTable(position, position, true);
  });

  /**
   * "Row: Ana Peña (A) → column: Bruno Díaz (B) · 'Matriz de adyacencia'!D3 = 1 (marked)"
   * @param {number} row
   * @param {number} col
   */
  function describeCell(row, col) {
    const actor = (/** @type {number} */ p) => {
      const a = meta?.actors[p];
      return a ? `${a.name ?? `Actor ${a.id}`} (${a.letter_code ?? a.id})` : `position ${p}`;
    };
    const state = cellState(data, row, col);
    const missing = failedRow(row) ? "not loaded (press Refresh to try again)" : "loading";
    const meaning = state === ONE ? "1 (marked)" : state === ZERO ? "0" : state === -1 ? missing : "blank (unknown)";
    const ref = cellName(meta?.layout ?? null, meta?.actors ?? [], row, col);
    return `Row: ${actor(row)} → column: ${actor(col)} · ${ref ?? "cell"} = ${meaning}`;
  }

  /**
   * @param {MatrixPage} page  from api.matrixInfo(): header, counts, layout
   * @param {Promise<import("./api_client.js").MatrixCells>} [whole]  the whole matrix, already asked for
   * @param {() => void} [cancelWhole]  stops that download when the matrix is too large to take whole
   */
  async function load(page, whole, cancelWhole) {
    generation++;
    canvas.closest("section")?.removeAttribute("data-empty");
    // "Could not be loaded" or "appears after the first successful load" said by empty(), or rows
    // that failed (asked for again now), no longer holds.
    if (info.querySelector(".empty-state") || info.textContent === ROWS_FAILED) info.innerHTML = howToRead;
    meta = page;
    pending.clear();
    failed.clear();
    mark = null;
    cursor = null;
    hover = null;
    const reopen = tableAt;
    hideTable();
    data = emptyMatrix(page.total);
    rowBySheetRow = rowOfSheetRow(page.actors);
    document.body.dataset.matrixRows = "0";
    resize();
    view = fitView(data.n, plot().width, plot().height);
    canvas.setAttribute("aria-label", `Adjacency matrix heat map of ${data.n} by ${data.n} actors. Arrow keys move from cell to cell and name it below; Shift and arrow keys pan; plus and minus zoom.`);
    summarise();
    if (data.n > 0 && data.n <= WHOLE_UP_TO) {
      // One request for the whole matrix: 2 bits a cell, compressed, cached per version.
      const rows = await (whole ?? api.matrixCells());
      if (rows.n !== data.n) throw new Error(`The matrix has ${rows.n} columns but its header ${data.n}; a new version arrived meanwhile`);
      putRows(data, rows.offset, rows.rows, rows.cells);
    } else {
      // Read in windows of rows instead: the whole download (67 MB at 16,384 actors) is not wanted.
      cancelWhole?.();
    }
    paint();
    // Hooks for the browser tests and the benchmark: every row is on screen, and since when.
    countRows();
    if (data.n > 0 && data.n <= WHOLE_UP_TO) performance.mark("matrix-painted");
    if (reopen) tableToggle.click(); // a new version: the table stays open, from the view's corner
    // Opened while the whole matrix was on its way: drawn then from no rows ("loading"), now from all.
    else if (tableAt) void drawTable(tableAt.row, tableAt.col);
  }

  /** A hook for the browser tests and the benchmark: how many rows are here (windows too). */
  function countRows() {
    document.body.dataset.matrixRows = String(data.loaded.reduce((n, v) => n + v, 0));
  }

  /** @param {string} message */
  function empty(message) {
    meta = null;
    cursor = null;
    hideTable();
    canvas.closest("section")?.setAttribute("data-empty", "");
    data = emptyMatrix(0);
    paint();
    summary.innerHTML = "";
    info.innerHTML = `<span class="empty-state">${escapeHtml(message)}</span>`;
  }

  /** The counts of the whole matrix, as the server counted them in the snapshot. */
  function summarise() {
    if (!meta || data.n === 0) {
      summary.innerHTML = "";
      return;
    }
    const c = meta.counts;
    summary.innerHTML =
      `<div class="stat"><span class="stat-value">${formatCount(data.n)} × ${formatCount(data.n)}</span><span class="stat-label">actors</span></div>` +
      `<div class="stat" data-count="one"><span class="stat-value">${formatCount(c.one)}</span><span class="stat-label">cells marked 1</span></div>` +
      `<div class="stat" data-count="zero"><span class="stat-value">${formatCount(c.zero)}</span><span class="stat-label">cells 0</span></div>` +
      `<div class="stat" data-count="unknown"><span class="stat-value">${formatCount(c.unknown)}</span><span class="stat-label">blank (unknown)</span></div>`;
  }

  /**
   * Jumps to a cell (or a whole row when `col` is null) and outlines it.
   * @param {number} row
   * @param {number | null} col
   */
  function showCell(row, col) {
    if (row < 0 || row >= data.n) return;
    mark = { row, col };
    view = centreOn(row, col ?? row, Math.max(view.scale, 14 * dpr), plot());
    canvas.scrollIntoView({ block: "nearest" });
    info.textContent = col === null ? `Row of ${meta?.actors[row]?.name ?? row}` : describeCell(row, col);
    canvas.dataset.mark = `${row},${col ?? ""}`;
    paint();
    announce(info.textContent ?? "");
    followInTable(row, col ?? 0);
  }

  function findingContext() {
    if (!meta) return null;
    return {
      layout: meta.layout,
      header: meta.actors,
      rowBySheetRow,
      valueAt: (/** @type {number} */ r, /** @type {number} */ c) => {
        const state = cellState(data, r, c);
        return state === ONE ? "1" : state === ZERO ? "0" : state === -1 ? undefined : "blank";
      },
    };
  }

  return { load, empty, showCell, context: () => /** @type {FindingContext | null} */ (findingContext()) };
}
