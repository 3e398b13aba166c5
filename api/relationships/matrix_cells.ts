/**
 * The matrix in the compact form the heat map reads: 2 bits per cell, one row per header position,
 * built once per snapshot from its `matrix_rows` text and kept with the snapshot. A 3000 x 3000
 * matrix is 2.25 MB this way (9 MB as text, about 20 MB as the JSON pages it replaces), and the
 * cell counts come out of the same pass, so the dashboard never counts the rows it happened to load.
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
import { SNAPSHOT_MATRIX_WINDOW } from "./snapshot_sql.ts";

/** Cell states in the packed form (the same numbers the ETL's reader uses). */
export const BLANK = 0;
export const ZERO = 1;
export const ONE = 2;

/** The magic bytes that open the binary answer. */
export const MATRIX_MAGIC = "RMX1";
/** Bytes before the first row. */
export const MATRIX_HEADER_BYTES = 16;

/** A whole matrix, packed. */
export interface PackedMatrix {
  /** Actors in the header. */
  n: number;
  /** Bytes per row: ceil(n / 4). */
  stride: number;
  /** n rows of `stride` bytes, in header order; a header actor without a data row is all blank. */
  cells: Uint8Array;
  /** 1, 0 and blank cells, the diagonal excluded. */
  counts: CellCounts;
}

// Rows are read in windows so a 16,384-actor matrix (268 MB as text) never sits whole in memory.
const WINDOW_ROWS = 512;
const STATE_OF = new Uint8Array(128); // '.' and anything unexpected stay blank
STATE_OF["0".charCodeAt(0)] = ZERO;
STATE_OF["1".charCodeAt(0)] = ONE;

/**
 * Returns the packed matrix of the snapshot open in `db`, whose header has `n` actors.
 *
 * @example
 * ```ts
 * const packed = await packMatrix(db, model.header.length);
 * packed.counts.unknown; // 1617
 * ```
 */
export async function packMatrix(db: Database, n: number): Promise<PackedMatrix> {
  const stride = Math.ceil(n / 4);
  const cells = new Uint8Array(n * stride);
  const filled = new Uint8Array(n);
  const counts = { one: 0, zero: 0, unknown: 0 };
  for (let start = 0; start < n; start += WINDOW_ROWS) {
    const rows = await db.all<{ position: number; cells: string }>(SNAPSHOT_MATRIX_WINDOW, [start, start + WINDOW_ROWS]);
    for (const { position, cells: text } of rows) {
      if (position < 0 || position >= n || filled[position]) continue;
      filled[position] = 1;
      const base = position * stride;
      for (let j = 0; j < n; j++) {
        const state = STATE_OF[text.charCodeAt(j) & 127];
        if (state !== BLANK) cells[base + (j >> 2)] |= state << ((j & 3) << 1);
        if (j === position) continue;
        if (state === ONE) counts.one++;
        else if (state === ZERO) counts.zero++;
        else counts.unknown++;
      }
    }
  }
  // A header actor with no data row: its whole row is unknown.
  for (let p = 0; p < n; p++) if (!filled[p]) counts.unknown += n - 1;
  return { n, stride, cells, counts };
}

/**
 * Returns the binary answer for rows `offset` .. `offset + rows - 1` (see the layout above).
 *
 * @example
 * ```ts
 * const body = matrixBytes(packed, 0, packed.n); // the whole matrix
 * ```
 */
export function matrixBytes(packed: PackedMatrix, offset: number, rows: number): Uint8Array {
  const first = Math.min(offset, packed.n);
  const count = Math.max(0, Math.min(rows, packed.n - first));
  const out = new Uint8Array(MATRIX_HEADER_BYTES + count * packed.stride);
  out.set(new TextEncoder().encode(MATRIX_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, packed.n, true);
  view.setUint32(8, first, true);
  view.setUint32(12, count, true);
  out.set(packed.cells.subarray(first * packed.stride, (first + count) * packed.stride), MATRIX_HEADER_BYTES);
  return out;
}

/**
 * Returns row `position` as the text form ('1', '0', '.' per column) of the JSON answer.
 *
 * @example
 * ```ts
 * rowText(packed, 0); // "0010.."
 * ```
 */
export function rowText(packed: PackedMatrix, position: number): string {
  const chars = new Array<string>(packed.n);
  const base = position * packed.stride;
  for (let j = 0; j < packed.n; j++) {
    const state = (packed.cells[base + (j >> 2)] >> ((j & 3) << 1)) & 3;
    chars[j] = state === ONE ? "1" : state === ZERO ? "0" : ".";
  }
  return chars.join("");
}
