/**
 * Turns what the readers found into the published records: one actor per id seen anywhere, and
 * the unordered pairs marked 1 in either direction. Cross-sheet checks (list vs matrix, codes,
 * asymmetry) live here because only here are both sheets known.
 */
import { cellRef, rangeRef } from "./cell_ref.ts";
import { sharedCode, type Findings } from "./findings.ts";
import type { ActorList } from "./read_actor_list.ts";
import { cellState, ONE, UNKNOWN, ZERO, type CellState, type Matrix } from "./read_matrix.ts";

/** One row of the `actors` table. */
export interface ActorRecord {
  numeric_id: number;
  letter_code: string | null;
  actor_name: string | null;
  list_letter_code: string | null;
  in_matrix: boolean;
  in_list: boolean;
  matrix_position: number | null;
  degree: number;
  unknown_cells: number | null;
}

/** Direction states of a pair: true (1), false (0), null (blank: unknown). */
export type Direction = boolean | null;

/**
 * Returns one ActorRecord per id in the matrix or the list, sorted by id (degree 0 until
 * `forEachPair()` fills it), and records the cross-sheet findings, `duplicate_code` among them.
 *
 * @example
 * ```ts
 * const actors = buildActors(matrix, list, findings);
 * actors[0]; // { numeric_id: 1, letter_code: "A", actor_name: "Helena Durán Crane", ... }
 * ```
 */
export function buildActors(matrix: Matrix, list: ActorList, findings: Findings): ActorRecord[] {
  const sheet = matrix.sheet;
  const n = matrix.ids.length;
  const byId = new Map<number, ActorRecord>();
  const headerPos = new Map<number, number>();
  matrix.ids.forEach((id, p) => {
    if (!headerPos.has(id)) headerPos.set(id, p);
  });
  const rowById = new Map(matrix.rows.map((row) => [row.id, row]));
  const listById = new Map(list.actors.map((a) => [a.id, a]));
  const ids = new Set<number>([...headerPos.keys(), ...rowById.keys(), ...listById.keys()]);
  const headerRef = (p: number) => cellRef(sheet, matrix.headerRow, matrix.firstCol + p);
  const last = matrix.firstCol + n - 1;
  /** The cell each actor's letter code was read from, by code: a code two ids share is ambiguous. */
  const codeCells = new Map<string, { id: number; ref: string }[]>();

  for (const id of [...ids].sort((a, b) => a - b)) {
    const p = headerPos.get(id);
    const row = rowById.get(id);
    const listed = listById.get(id);
    const headerCode = p === undefined ? null : matrix.headerCodes[p];
    const rowCode = row?.code ?? null;
    const matrixCode = rowCode ?? headerCode;
    // Blank cells of its row, the diagonal excluded: for a row whose id is not a header column too
    // (before: n, as if every cell of a row outside the header were blank, whatever it held).
    let unknown: number | null = null;
    if (row) unknown = row.unknown;
    else if (p !== undefined) unknown = n - 1;

    if (p !== undefined && !row) findings.add("header_id_without_row", headerRef(p), String(id));
    if (row && p === undefined) findings.add("row_not_in_header", cellRef(sheet, row.sheetRow, matrix.idCol ?? 1), String(id));
    if ((p !== undefined || row) && !listed) {
      findings.add("not_in_list", row ? cellRef(sheet, row.sheetRow, matrix.idCol ?? 1) : headerRef(p!), String(id));
    }
    if (listed && p === undefined && !row) findings.add("not_in_matrix", listed.ref, String(id));
    if (headerCode !== null && rowCode !== null && headerCode !== rowCode) {
      findings.addDisagreement("code_mismatch_matrix", {
        cells: [cellRef(sheet, matrix.codeRow ?? matrix.headerRow, matrix.firstCol + p!), cellRef(sheet, row!.sheetRow, matrix.codeCol ?? 1)],
        id,
        first: headerCode,
        second: rowCode,
      });
    }
    if (matrixCode !== null && listed?.code && listed.code !== matrixCode) {
      const matrixRef = row && rowCode !== null
        ? cellRef(sheet, row.sheetRow, matrix.codeCol ?? 1)
        : cellRef(sheet, matrix.codeRow ?? matrix.headerRow, matrix.firstCol + p!);
      findings.addDisagreement("code_mismatch_list", { cells: [matrixRef, listed.codeRef ?? listed.ref], id, first: matrixCode, second: listed.code });
    }
    if (unknown) {
      findings.add(
        "unknown_cells",
        row ? rangeRef(sheet, row.sheetRow, matrix.firstCol, row.sheetRow, last) : headerRef(p!),
        undefined,
        unknown,
      );
    }
    const code = matrixCode ?? listed?.code ?? null;
    if (code !== null) {
      const ref =
        matrixCode === null
          ? (listed!.codeRef ?? listed!.ref)
          : row && rowCode !== null
            ? cellRef(sheet, row.sheetRow, matrix.codeCol ?? 1)
            : cellRef(sheet, matrix.codeRow ?? matrix.headerRow, matrix.firstCol + p!);
      // Keyed as the API looks a code up (relationship_model.ts byCode: in any case).
      const key = code.toUpperCase();
      codeCells.set(key, [...(codeCells.get(key) ?? []), { id, ref }]);
    }
    byId.set(id, {
      numeric_id: id,
      letter_code: code,
      actor_name: listed?.name ?? null,
      list_letter_code: listed?.code ?? null,
      in_matrix: p !== undefined || row !== undefined,
      in_list: listed !== undefined,
      matrix_position: p ?? null,
      degree: 0,
      unknown_cells: unknown,
    });
  }
  // Codes are how people name actors (the API's /actors/A): one given to two ids is a 409 there and
  // a likely typo in the workbook.
  for (const [code, holders] of codeCells) {
    if (holders.length > 1) findings.add("duplicate_code", holders.map((h) => h.ref), sharedCode(code, holders.map((h) => h.id)));
  }
  return [...byId.values()];
}

/**
 * Calls `onPair(personA, personB, aToB, bToA)` once per unordered pair marked 1 in either
 * direction (personA < personB), increments each actor's degree, and records asymmetric pairs.
 * Only cells holding 1 are visited, found a byte at a time, so sparse matrices are cheap.
 *
 * @example
 * ```ts
 * forEachPair(matrix, actors, findings, (a, b, ab, ba) => appender.append(a, b, ab, ba));
 * ```
 */
export function forEachPair(
  matrix: Matrix,
  actors: ActorRecord[],
  findings: Findings,
  onPair: (personA: number, personB: number, aToB: Direction, bToA: Direction) => void,
): number {
  const { ids, rows, sheet, firstCol } = matrix;
  const headerPos = new Map<number, number>();
  ids.forEach((id, p) => {
    if (!headerPos.has(id)) headerPos.set(id, p);
  });
  const rowIndexById = new Map(rows.map((row, r) => [row.id, r]));
  // Per header position: the data row of that actor (-1 if none), so the mirror cell is an array lookup.
  const rowOfPos = Int32Array.from(ids, (id) => rowIndexById.get(id) ?? -1);
  const degreeById = new Map(actors.map((a) => [a.numeric_id, a]));
  // Degrees are counted in typed arrays (by data row, and by header position for actors without a
  // row) and summed per id once at the end: two Map updates per pair cost more than the scan.
  const byRow = new Int32Array(rows.length);
  const byPosition = new Int32Array(ids.length);
  let pairs = 0;

  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const a = row.id;
    const posA = headerPos.get(a) ?? -1;
    const bytes = row.cells;
    for (let k = 0; k < bytes.length; k++) {
      const byte = bytes[k];
      if ((byte & 0xaa) === 0) continue; // no cell in this byte holds 1 (ONE = 0b10)
      for (let s = 0; s < 4; s++) {
        if (((byte >> (s << 1)) & 3) !== ONE) continue;
        const p = (k << 2) + s;
        const b = ids[p];
        if (b === a) continue; // the diagonal is reported by the reader, never a pair
        const mirrorRow = rowOfPos[p];
        const mirror: CellState = mirrorRow >= 0 && posA >= 0 ? cellState(rows[mirrorRow], posA) : UNKNOWN;
        // Both 1: the pair is emitted from the smaller id's row only.
        if (mirror === ONE && a > b) continue;
        if (mirror === ZERO) {
          findings.add("asymmetric_pair", [
            cellRef(sheet, row.sheetRow, firstCol + p),
            cellRef(sheet, rows[mirrorRow].sheetRow, firstCol + posA),
          ]);
        }
        const there = toDirection(mirror);
        if (a < b) onPair(a, b, true, there);
        else onPair(b, a, there, true);
        byRow[r]++;
        if (mirrorRow >= 0) byRow[mirrorRow]++;
        else byPosition[p]++;
        pairs++;
      }
    }
  }
  const degree = new Map<number, number>();
  const add = (id: number, d: number) => d > 0 && degree.set(id, (degree.get(id) ?? 0) + d);
  for (let r = 0; r < rows.length; r++) add(rows[r].id, byRow[r]);
  for (let p = 0; p < ids.length; p++) add(ids[p], byPosition[p]);
  for (const [id, d] of degree) {
    const actor = degreeById.get(id);
    if (actor) actor.degree = d;
  }
  return pairs;
}

function toDirection(state: CellState): Direction {
  return state === ONE ? true : state === ZERO ? false : null;
}

/**
 * Returns the heat-map string of a row: one char per header position, '1', '0' or '.' (blank).
 *
 * @example
 * ```ts
 * rowString(matrix.rows[0], matrix.ids.length); // "0010.."
 * ```
 */
export function rowString(row: { cells: Uint8Array }, n: number): string {
  // A byte holds 4 cells; a 256-entry table of 4-char strings turns each byte into text at once.
  const bytes = row.cells;
  const words = new Uint32Array(bytes.length);
  for (let k = 0; k < bytes.length; k++) words[k] = BYTE_CHARS[bytes[k]];
  return Buffer.from(words.buffer, 0, n).toString("latin1");
}

const STATE_CHAR = [0x2e /* . */, 0x30 /* 0 */, 0x31 /* 1 */, 0x3f /* ? never written */];
const BYTE_CHARS = Uint32Array.from({ length: 256 }, (_, byte) =>
  (STATE_CHAR[byte & 3] | (STATE_CHAR[(byte >> 2) & 3] << 8) | (STATE_CHAR[(byte >> 4) & 3] << 16) | (STATE_CHAR[(byte >> 6) & 3] << 24)) >>> 0,
);
