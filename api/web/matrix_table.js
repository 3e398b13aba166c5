// @ts-check
/**
 * The heat map as a table: the text alternative of the canvas (WCAG 1.1.1, 1.3.1). A matrix of
 * thousands of actors is millions of cells, so the table holds one window of it (TABLE_ROWS x
 * TABLE_COLS) with real row and column headers, which a screen reader's table commands walk, and
 * each cell's value and its name in the workbook; and the actor its Go to actor box names. Pure:
 * data in, markup out.
 */
import { cellState, ONE, ZERO } from "./matrix_heatmap.js";
import { cellName, columnLetters } from "./cell_refs.js";
import { escapeHtml, formatCount } from "./html.js";
import { fold } from "./fold.js";

/** @typedef {import("./matrix_heatmap.js").MatrixData} MatrixData */
/** @typedef {import("./api_client.js").MatrixActor} MatrixActor */
/** @typedef {import("./api_client.js").MatrixLayout} MatrixLayout */
/** @typedef {{ row: number, col: number }} TableWindow  the top-left cell of the window */

export const TABLE_ROWS = 20;
export const TABLE_COLS = 10;

/**
 * Returns the window whose top-left cell is (row, col), moved back just enough to stay whole
 * inside an `n` x `n` matrix.
 *
 * @example
 * tableWindow(95, 3, 100); // { row: 80, col: 3 }
 * @param {number} row
 * @param {number} col
 * @param {number} n
 * @returns {TableWindow}
 */
export function tableWindow(row, col, n) {
  const clamp = (/** @type {number} */ v, /** @type {number} */ size) => Math.max(0, Math.min(Math.floor(v), n - size));
  return { row: clamp(row, TABLE_ROWS), col: clamp(col, TABLE_COLS) };
}

/**
 * Returns the text of a cell for the table: "1", "0", "blank", or for a row not here "loading"
 * (on its way) or "not loaded" (its request failed: asked for again by Refresh only, so "loading"
 * was never true).
 *
 * @example
 * cellText(data, 0, 1); // "1"
 * @param {MatrixData} data
 * @param {number} row
 * @param {number} col
 * @param {boolean} [failed]  the row's request failed
 * @returns {string}
 */
export function cellText(data, row, col, failed = false) {
  const state = cellState(data, row, col);
  return state === ONE ? "1" : state === ZERO ? "0" : state === -1 ? (failed ? "not loaded" : "loading") : "blank";
}

/**
 * Returns the markup of the table for a window of the matrix.
 *
 * @example
 * tableHtml({ data, header, layout, window: { row: 0, col: 0 } });
 * @param {{ data: MatrixData, header: readonly MatrixActor[], layout: MatrixLayout | null, window: TableWindow, failedRow?: (row: number) => boolean }} input
 *   failedRow: whether a row's request failed (its cells "not loaded"; the caption says Refresh asks again)
 * @returns {string}
 */
export function tableHtml({ data, header, layout, window, failedRow = () => false }) {
  const n = data.n;
  const rows = range(window.row, Math.min(n, window.row + TABLE_ROWS));
  const cols = range(window.col, Math.min(n, window.col + TABLE_COLS));
  if (rows.length === 0 || cols.length === 0) return `<p class="muted">The matrix has no cells.</p>`;
  const name = (/** @type {number} */ p) => {
    const a = header[p];
    return a ? `${a.name ?? `Actor ${a.id}`} (${a.letter_code ?? a.id})` : `position ${p + 1}`;
  };
  const sheet = layout ? ` of sheet ${escapeHtml(layout.sheet)}` : "";
  const caption =
    `Rows ${formatCount(rows[0] + 1)}–${formatCount(rows[rows.length - 1] + 1)} and columns ${formatCount(cols[0] + 1)}–${formatCount(cols[cols.length - 1] + 1)} ` +
    `of ${formatCount(n)} actors${sheet}. A cell is what the row's actor answered about the column's actor: 1 marked, 0 not, blank unknown; beside it, the cell's name in the workbook.` +
    (rows.some((r) => !data.loaded[r] && failedRow(r)) ? " Some of these rows could not be loaded (their cells read not loaded): press Refresh to try again." : "");
  const colHead = cols
    .map((c) => {
      const letters = layout ? ` <span class="ref">column ${columnLetters(layout.first_col + c)}</span>` : "";
      return `<th scope="col" data-col="${c}">${escapeHtml(name(c))}${letters}</th>`;
    })
    .join("");
  const body = rows
    .map((r) => {
      const sheetRow = header[r]?.sheet_row;
      const where = sheetRow != null ? ` <span class="ref">row ${sheetRow}</span>` : "";
      const cells = cols
        .map((c) => {
          const value = cellText(data, r, c, failedRow(r));
          const ref = cellName(layout, header, r, c);
          const refText = ref ? ` <span class="ref">${escapeHtml(ref.slice(ref.lastIndexOf("!") + 1))}</span>` : "";
          return `<td data-value="${value}"${ref ? ` data-ref="${escapeHtml(ref)}"` : ""}>${value}${refText}</td>`;
        })
        .join("");
      return `<tr><th scope="row" data-row="${r}">${escapeHtml(name(r))}${where}</th>${cells}</tr>`;
    })
    .join("");
  return `<table class="matrix-table"><caption>${caption}</caption><thead><tr><td></td>${colHead}</tr></thead><tbody>${body}</tbody></table>`;
}

/** @param {number} from @param {number} to */
function range(from, to) {
  return Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
}

/**
 * Returns the header position of the actor a person typed in the table's Go to actor: its letter
 * code (any case; Ñ is not N) first, else the first name that contains the text, accents and case
 * aside as the network's search (the API's fold) reads them: "Pena" found no "Peña" here; -1 when
 * none does.
 *
 * @example
 * findActor([{ id: 3, letter_code: "C", name: "María Camila Peña", sheet_row: 5 }], "pena"); // 0
 * @param {readonly MatrixActor[]} actors
 * @param {string} text
 * @returns {number}
 */
export function findActor(actors, text) {
  const typed = text.trim();
  if (!typed) return -1;
  const code = typed.toLocaleLowerCase();
  const byCode = actors.findIndex((a) => a.letter_code?.toLocaleLowerCase() === code);
  if (byCode >= 0) return byCode;
  const wanted = fold(typed);
  return actors.findIndex((a) => a.name != null && fold(a.name).includes(wanted));
}
