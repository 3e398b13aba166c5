// @ts-check
/**
 * The heat-map section: fetches GET /matrix in pages of PAGE rows as they scroll into view, paints
 * with matrixPixels(), and handles zoom (wheel, buttons, +/-), pan (drag, arrow keys) and hover.
 */
import * as api from "./api_client.js";
import { byId } from "./_dom.js";
import { cellAt, countCells, fitView, matrixPixels, panBy, visibleRows, zoomAt } from "./matrix_heatmap.js";
import { formatCount } from "./html.js";

const PAGE = 256;

/**
 * Mounts the matrix section and returns `load()`, which fetches the header and first page.
 *
 * @example
 * await mountMatrix({ announce }).load();
 * @param {{ announce: (message: string) => void }} options
 * @returns {{ load: () => Promise<void> }}
 */
export function mountMatrix({ announce }) {
  const canvas = byId("matrix-canvas", HTMLCanvasElement);
  const info = byId("matrix-info", HTMLElement);
  const summary = byId("matrix-summary", HTMLElement);
  const context = canvas.getContext("2d");
  /** @type {{ id: number, letter_code: string | null }[]} */
  let header = [];
  let n = 0;
  /** @type {Map<number, string>} */
  let rows = new Map();
  /** @type {Map<number, number>} row position -> actor id */
  let rowIds = new Map();
  /** @type {Set<number>} */
  const pending = new Set();
  /** @type {import("./matrix_heatmap.js").MatrixView} */
  let view = { scale: 1, x: 0, y: 0 };
  let generation = 0;

  const size = () => ({ n, width: canvas.width, height: canvas.height });

  function resize() {
    // Paint at the displayed size (times the pixel ratio) so cells stay crisp.
    const cssWidth = Math.round(canvas.getBoundingClientRect().width) || 600;
    const px = Math.max(200, Math.round(cssWidth * Math.min(window.devicePixelRatio || 1, 2)));
    if (canvas.width !== px) {
      const fitted = view.scale === fitView(n, canvas.width, canvas.height).scale;
      canvas.width = px;
      canvas.height = px;
      if (fitted || view.scale < fitView(n, px, px).scale) view = fitView(n, px, px);
    }
  }

  function paint() {
    if (!context) return;
    if (n === 0) {
      context.clearRect(0, 0, canvas.width, canvas.height);
      context.fillStyle = "#5b6472";
      context.font = "16px system-ui, sans-serif";
      context.fillText("No matrix published yet", 20, 40);
      return;
    }
    const data = matrixPixels({ n, getRow: (i) => rows.get(i), view, width: canvas.width, height: canvas.height });
    context.putImageData(new ImageData(data, canvas.width, canvas.height), 0, 0);
    // Letter codes along the top and left once the cells are big enough to hold them.
    if (view.scale >= 14) {
      context.fillStyle = "rgba(15, 23, 42, 0.85)";
      context.font = `${Math.min(12, view.scale * 0.6)}px system-ui, sans-serif`;
      const { start, end } = visibleRows(view, n, canvas.height);
      for (let r = start; r < end; r++) {
        const label = header[r]?.letter_code ?? "";
        context.fillText(label, 2, (r - view.y) * view.scale + view.scale * 0.7);
      }
    }
    void fetchVisible();
  }

  async function fetchVisible() {
    const { start, end } = visibleRows(view, n, canvas.height);
    const firstPage = Math.floor(start / PAGE);
    const lastPage = Math.floor(Math.max(start, end - 1) / PAGE);
    const mine = generation;
    for (let p = firstPage; p <= lastPage; p++) {
      if (pending.has(p) || rows.has(p * PAGE)) continue;
      pending.add(p);
      api
        .matrixPage(p * PAGE, PAGE)
        .then((page) => {
          if (mine !== generation) return;
          page.rows.forEach((row, i) => {
            rows.set(p * PAGE + i, row.cells);
            rowIds.set(p * PAGE + i, row.id);
          });
          paint();
        })
        .catch(() => {
          info.textContent = "Some matrix rows could not be loaded.";
        })
        .finally(() => pending.delete(p));
    }
  }

  /** @param {number} factor @param {number} [px] @param {number} [py] */
  function zoom(factor, px = canvas.width / 2, py = canvas.height / 2) {
    view = zoomAt(view, factor, px, py, size());
    paint();
  }

  /** @param {MouseEvent} event */
  function canvasPoint(event) {
    const rect = canvas.getBoundingClientRect();
    return { px: ((event.clientX - rect.left) / rect.width) * canvas.width, py: ((event.clientY - rect.top) / rect.height) * canvas.height };
  }

  byId("matrix-zoom-in", HTMLButtonElement).addEventListener("click", () => zoom(2));
  byId("matrix-zoom-out", HTMLButtonElement).addEventListener("click", () => zoom(0.5));
  byId("matrix-fit", HTMLButtonElement).addEventListener("click", () => {
    view = fitView(n, canvas.width, canvas.height);
    paint();
  });
  canvas.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const { px, py } = canvasPoint(event);
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
      view = panBy(view, (event.clientX - drag.x) * ratio, (event.clientY - drag.y) * ratio, size());
      drag = { x: event.clientX, y: event.clientY };
      paint();
      return;
    }
    const { px, py } = canvasPoint(event);
    const cell = cellAt(view, px, py, n);
    if (!cell) return;
    const value = rows.get(cell.row)?.[cell.col];
    const row = header[cell.row];
    const col = header[cell.col];
    const meaning = value === "1" ? "1 (marked)" : value === "0" ? "0" : value === undefined ? "loading" : "unknown / blank";
    info.textContent = `Row ${row?.letter_code ?? ""} (id ${rowIds.get(cell.row) ?? row?.id ?? "?"}) → column ${col?.letter_code ?? ""} (id ${col?.id ?? "?"}): ${meaning}`;
  });
  canvas.addEventListener("keydown", (event) => {
    const step = canvas.width / 8;
    /** @type {Record<string, () => void>} */
    const actions = {
      "+": () => zoom(2),
      "=": () => zoom(2),
      "-": () => zoom(0.5),
      "0": () => {
        view = fitView(n, canvas.width, canvas.height);
        paint();
      },
      ArrowLeft: () => ((view = panBy(view, step, 0, size())), paint()),
      ArrowRight: () => ((view = panBy(view, -step, 0, size())), paint()),
      ArrowUp: () => ((view = panBy(view, 0, step, size())), paint()),
      ArrowDown: () => ((view = panBy(view, 0, -step, size())), paint()),
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

  async function load() {
    generation++;
    rows = new Map();
    rowIds = new Map();
    pending.clear();
    const first = await api.matrixPage(0, PAGE);
    header = first.actors;
    n = header.length;
    first.rows.forEach((row, i) => {
      rows.set(i, row.cells);
      rowIds.set(i, row.id);
    });
    resize();
    view = fitView(n, canvas.width, canvas.height);
    canvas.setAttribute("aria-label", `Adjacency matrix heat map of ${n} by ${n} actors. Use plus and minus to zoom, arrow keys to move.`);
    paint();
    summarise(first.total);
  }

  /** @param {number} total */
  function summarise(total) {
    if (n === 0) {
      summary.innerHTML = "";
      return;
    }
    // Counting needs every row; for big matrices only the loaded ones are known, so say so.
    const counts = countCells(rows.entries());
    const partial = rows.size < total;
    summary.innerHTML =
      `<div class="stat"><span class="stat-value">${formatCount(n)} × ${formatCount(n)}</span><span class="stat-label">actors</span></div>` +
      `<div class="stat"><span class="stat-value">${formatCount(counts.one)}</span><span class="stat-label">cells marked 1${partial ? " (loaded rows)" : ""}</span></div>` +
      `<div class="stat"><span class="stat-value">${formatCount(counts.zero)}</span><span class="stat-label">cells 0</span></div>` +
      `<div class="stat"><span class="stat-value">${formatCount(counts.unknown)}</span><span class="stat-label">blank (unknown)</span></div>`;
  }

  return { load };
}
