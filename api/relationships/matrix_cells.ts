/**
 * The matrix in the compact form the heat map reads: 2 bits per cell, one row per header position,
 * packed from the snapshot's `matrix_rows` text for the rows asked for (the caller keeps the
 * answer with the snapshot). A 3000 x 3000 matrix is 2.25 MB this way (9 MB as text, about 20 MB
 * as the JSON pages it replaces). The cell counts of the whole matrix are DuckDB's, so the dashboard
 * never counts the rows it happened to load.
 *
 * Binary layout of `GET /matrix` with `Accept: application/octet-stream` (little-endian):
 *
 *     bytes 0-3    "RMX1"
 *     bytes 4-7    n       uint32, actors in the header (= columns = rows of the whole matrix)
 *     bytes 8-11   offset  uint32, header position of the first row that follows
 *     bytes 12-15  rows    uint32, rows that follow
 *     then `rows` rows of ceil(n / 4) bytes: the cell in column j is bits 2*(j % 4) .. 2*(j % 4)+1
 *     of byte floor(j / 4): 0 = blank (unknown), 1 = 0, 2 = 1.
 */
import type { Database } from "../../etl/db/mod.ts";
import type { CellCounts } from "./relationship_schemas.ts";
import { SNAPSHOT_MATRIX_COUNTS, SNAPSHOT_MATRIX_WINDOW } from "./snapshot_sql.ts";

/** Cell states in the packed form (the same numbers the ETL's reader uses). */
export const BLANK = 0;
export const ZERO = 1;
export const ONE = 2;

/** The magic bytes that open the binary answer. */
export const MATRIX_MAGIC = "RMX1";
/** Bytes before the first row. */
export const MATRIX_HEADER_BYTES = 16;

/** Rows `offset` .. `offset + rows - 1` of the matrix, packed. */
export interface PackedRows {
  /** Actors in the header (= columns). */
  n: number;
  offset: number;
  rows: number;
  /** Bytes per row: ceil(n / 4). */
  stride: number;
  /** `rows` rows of `stride` bytes, in header order; a header actor without a data row is all blank. */
  cells: Uint8Array;
}

// Rows are read in windows so a 16,384-actor matrix (268 MB as text) never sits whole in memory.
const WINDOW_ROWS = 512;
const STATE_OF = new Uint8Array(128); // '.' and anything unexpected stay blank
STATE_OF["0".charCodeAt(0)] = ZERO;
STATE_OF["1".charCodeAt(0)] = ONE;

/**
 * Returns rows `offset` .. `offset + rows - 1` (clamped to the matrix) of the snapshot open in
 * `db`, whose header has `n` actors, packed 2 bits a cell.
 *
 * @example
 * ```ts
 * const packed = await packRows(db, model.header.length, 0, model.header.length); // the whole matrix
 * ```
 */
export async function packRows(db: Database, n: number, offset: number, rows: number): Promise<PackedRows> {
  const first = Math.min(offset, n);
  const count = Math.max(0, Math.min(rows, n - first));
  const stride = Math.ceil(n / 4);
  const cells = new Uint8Array(count * stride);
  const filled = new Uint8Array(count);
  for (let start = first; start < first + count; start += WINDOW_ROWS) {
    const window = await db.all<{ position: number; cells: string }>(SNAPSHOT_MATRIX_WINDOW, [start, Math.min(first + count, start + WINDOW_ROWS)]);
    for (const { position, cells: text } of window) {
      const r = position - first;
      if (r < 0 || r >= count || filled[r]) continue;
      filled[r] = 1;
      const base = r * stride;
      for (let j = 0; j < n; j++) {
        const state = STATE_OF[text.charCodeAt(j) & 127];
        if (state !== BLANK) cells[base + (j >> 2)] |= state << ((j & 3) << 1);
      }
    }
  }
  return { n, offset: first, rows: count, stride, cells };
}

/**
 * Returns how many cells of the whole matrix (diagonal excluded) are 1, 0 and blank, counted by
 * DuckDB over the snapshot's text rows; a header actor without a data row counts as blank.
 *
 * @example
 * ```ts
 * await countCells(db, 50); // { one: 160, zero: 673, unknown: 1617 }
 * ```
 */
export async function countCells(db: Database, n: number): Promise<CellCounts> {
  const row = await db.one<{ one: number | null; zero: number | null }>(SNAPSHOT_MATRIX_COUNTS, [n]);
  const one = Number(row?.one ?? 0);
  const zero = Number(row?.zero ?? 0);
  return { one, zero, unknown: n * (n - 1) - one - zero };
}

/**
 * Returns the binary answer for packed rows (see the layout above).
 *
 * @example
 * ```ts
 * const body = matrixBytes(await packRows(db, n, 0, n)); // the whole matrix
 * ```
 */
export function matrixBytes(packed: PackedRows): Uint8Array {
  const out = new Uint8Array(MATRIX_HEADER_BYTES + packed.cells.length);
  out.set(new TextEncoder().encode(MATRIX_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, packed.n, true);
  view.setUint32(8, packed.offset, true);
  view.setUint32(12, packed.rows, true);
  out.set(packed.cells, MATRIX_HEADER_BYTES);
  return out;
}
