// Test helper: a relationship "version" described as plain functions, written as a real .xlsx in
// the users' layout, plus the tables a correct load must produce from it (a slow, obvious reference
// implementation to compare the pipeline against).
import { writeXlsxFile, type CellInput, type SheetSpec, type WriteOptions } from "./xlsx_writer.ts";

export interface Version {
  /** Actor ids in header order. */
  ids: number[];
  /** Ids that have a data row (default: all). */
  rows?: number[];
  cell(a: number, b: number): 0 | 1 | null;
  code(id: number): string;
  name(id: number): string;
  /** Where the matrix's top-left (first id column / header row) starts; default A1. */
  origin?: { row: number; col: number };
}

export function sheets(v: Version): SheetSpec[] {
  const r0 = (v.origin?.row ?? 1) - 1;
  const c0 = (v.origin?.col ?? 1) - 1;
  const pad = (): CellInput[] => new Array<CellInput>(c0).fill(null);
  const rowIds = v.rows ?? v.ids;
  function* matrix(): Generator<CellInput[]> {
    for (let i = 0; i < r0; i++) yield [];
    yield [...pad(), null, null, ...v.ids];
    yield [...pad(), null, null, ...v.ids.map((id) => v.code(id))];
    for (const a of rowIds) yield [...pad(), a, v.code(a), ...v.ids.map((b) => v.cell(a, b))];
  }
  function* list(): Generator<CellInput[]> {
    for (let i = 0; i < r0 + 3; i++) yield [];
    yield [...pad(), null, "Lista de actores"];
    for (const id of [...v.ids].sort((a, b) => a - b)) yield [...pad(), v.code(id), id, v.name(id)];
  }
  return [
    { name: "Matriz de adyacencia", rows: { [Symbol.iterator]: matrix } },
    { name: "Lista de actores", rows: { [Symbol.iterator]: list } },
  ];
}

export async function writeVersion(path: string, v: Version, options?: WriteOptions): Promise<void> {
  await writeXlsxFile(path, sheets(v), options);
}

/** The expected user_relationships rows, sorted, as [a, b, a_to_b, b_to_a]. */
export function expectedPairs(v: Version): [number, number, boolean | null, boolean | null][] {
  const rows = new Set(v.rows ?? v.ids);
  const inHeader = new Set(v.ids);
  const get = (a: number, b: number) => (rows.has(a) && inHeader.has(b) ? v.cell(a, b) : null);
  const out: [number, number, boolean | null, boolean | null][] = [];
  const ids = [...new Set([...v.ids, ...rows])].sort((x, y) => x - y);
  for (const a of ids) {
    for (const b of ids) {
      if (a >= b) continue;
      const ab = get(a, b);
      const ba = get(b, a);
      if (ab === 1 || ba === 1) out.push([a, b, ab === null ? null : ab === 1, ba === null ? null : ba === 1]);
    }
  }
  return out;
}

/** Reproducible 0/1 cells: symmetric except where `asym` says, blank for rows beyond `filled`. */
export function cells(seed: number, options: { filled?: number; density?: number } = {}): (a: number, b: number) => 0 | 1 | null {
  return (a, b) => {
    if (options.filled !== undefined && a > options.filled) return null;
    if (a === b) return 0;
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    let h = (seed * 2654435761 + lo * 40503 + hi * 97) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    return (h % 1000) / 1000 < (options.density ?? 0.3) ? 1 : 0;
  };
}
