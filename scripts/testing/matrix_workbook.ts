/**
 * Workbooks in the users' layout (sheet `Matriz de adyacencia` with ids in column A and letter
 * codes in column B, sheet `Lista de actores`), generated from a seed: the bundled sample, the
 * benchmarks' 3000- and 16,384-actor workbooks and many tests come from here.
 */
import { mulberry32 } from "./random.ts";
import type { CellInput, SheetSpec } from "./xlsx_writer.ts";

/** The letters the users code actors with: Spanish alphabet, Ñ after N (27 letters). */
export const CODE_ALPHABET = "ABCDEFGHIJKLMNÑOPQRSTUVWXYZ";

/**
 * The letter code of the actor at 0-based position `index`: A..N, Ñ, O..Z, then AA, AB, ... AÑ ... as the users write them.
 * @example letterCode(0); // "A"   letterCode(14); // "Ñ"   letterCode(27); // "AA"   letterCode(41); // "AÑ"
 */
export function letterCode(index: number): string {
  let n = index + 1;
  let code = "";
  while (n > 0) {
    const m = (n - 1) % 27;
    code = CODE_ALPHABET[m] + code;
    n = Math.floor((n - 1) / 27);
  }
  return code;
}

/** Options of `matrixPlan()` / `matrixWorkbook()`. */
export interface MatrixOptions {
  /** Number of actors (ids 1..actors). */
  actors: number;
  /** Rows for actors beyond this are left blank (unknown). Default: all. */
  filledActors?: number;
  /** PRNG seed; the same seed gives the same workbook. Default 1. */
  seed?: number;
  /** 1-based cell where the id column and the id row meet (default A1: ids in C1.., A3..). */
  origin?: { row: number; col: number };
  /** Probability of a 1 among filled cells. Default 0.1. */
  density?: number;
  /** How many asymmetric pairs (a marks b, b does not mark a) to create among filled actors, or the exact pairs. */
  asymmetric?: number | readonly (readonly [number, number])[];
  /** Give one actor a different letter code in 'Lista de actores' than in the matrix. */
  codeMismatch?: boolean | { id: number; listCode: string };
  /** Write 0 on the diagonal of blank rows too, as the users' workbook does. */
  diagonalZeros?: boolean;
  /** The actor's name; default: invented Spanish names. */
  name?: (id: number) => string;
  /**
   * From this actor id on, the data rows and the list skip one letter (actors re-lettered) while the
   * header row keeps the old letters: each such actor's header code is the letter before its row code
   * (`code_mismatch_matrix`), as in the users' workbook (header `AN` over the row coded `AÑ`).
   */
  headerCodesLagFrom?: number;
  /** Ids whose name the list writes with a trailing space, as typed in the users' list (the load trims it). */
  paddedNames?: readonly number[];
}

/** What `matrixWorkbook()` writes, for tests that need the expected values. */
export interface MatrixPlan {
  actors: number;
  filledActors: number;
  /** Matrix letter code of actor `id` (1-based): the code in its data row. */
  code(id: number): string;
  /** The code in the header row above actor `id`'s column (differs from `code` from `headerCodesLagFrom` on). */
  headerCode(id: number): string;
  /** Letter code in the actor list (differs from `code` for the mismatched actor). */
  listCode(id: number): string;
  /** The name as published (trimmed); the list may write it with a trailing space (`paddedNames`). */
  name(id: number): string;
  /** The cell at row actor `a`, column actor `b`: 0, 1 or null (blank). */
  cell(a: number, b: number): 0 | 1 | null;
  /** Pairs [a, b] where a's row marks b but b's row does not mark a (both filled). */
  asymmetricPairs: [number, number][];
  /** The actor whose list code differs, if any. */
  mismatch: { id: number; matrixCode: string; listCode: string } | null;
}

const FIRST_NAMES = [
  "María José", "Andrés", "Lucía", "Sebastián", "Valentína", "Julián", "Camila", "Nicolás", "Sofía", "Martín",
  "Íngrid", "Óscar", "Ángela", "Iván", "Mónica", "Tomás", "Verónica", "Simón", "Natalia", "Joaquín",
];
const LAST_NAMES = [
  "Muñoz", "Peña", "Gómez", "Rodríguez", "Núñez", "Castañeda", "Ibáñez", "Martínez", "Ordóñez", "Suárez",
  "Londoño", "Beltrán", "Cárdenas", "Ramírez", "Patiño", "Hernández", "Díaz", "Zúñiga", "Quiñones", "Montaño",
];

function inventedName(id: number, seed: number): string {
  const rnd = mulberry32(seed * 7919 + id);
  const first = FIRST_NAMES[Math.floor(rnd() * FIRST_NAMES.length)];
  const last1 = LAST_NAMES[(id * 7 + Math.floor(rnd() * 3)) % LAST_NAMES.length];
  const last2 = LAST_NAMES[(id * 13 + 5) % LAST_NAMES.length];
  return last1 === last2 ? `${first} ${last1}` : `${first} ${last1} ${last2}`;
}

function pairHash(seed: number, a: number, b: number): number {
  // A stateless hash so any cell can be computed without storing the matrix (a < b).
  let h = (seed ^ Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/**
 * The content of the matrix workbook as functions (nothing is materialised), with the asymmetric pairs and
 * the mismatched code spelled out so tests can compute expected results.
 * @example const plan = matrixPlan({ actors: 50, filledActors: 17, asymmetric: 3 }); plan.cell(1, 2); // 0 | 1 | null
 */
export function matrixPlan(options: MatrixOptions): MatrixPlan {
  const actors = options.actors;
  if (!Number.isInteger(actors) || actors < 1) throw new RangeError(`Cannot build a matrix of ${actors} actors`);
  const filled = Math.min(options.filledActors ?? actors, actors);
  const seed = options.seed ?? 1;
  const density = options.density ?? 0.1;
  const symmetric = (a: number, b: number): 0 | 1 => (pairHash(seed, Math.min(a, b), Math.max(a, b)) < density ? 1 : 0);
  const asym = new Set<number>(); // key a*2^21+b: cell (b, a) is forced to 0 while (a, b) is 1
  const pairs: [number, number][] = [];
  const addPair = (a: number, b: number) => {
    pairs.push([a, b]);
    asym.add(a * 2 ** 21 + b);
  };
  if (typeof options.asymmetric === "number" && options.asymmetric > 0) {
    const rnd = mulberry32(seed ^ 0xa5a5);
    const candidates: [number, number][] = [];
    for (let a = 1; a <= filled; a++) for (let b = a + 1; b <= filled; b++) if (symmetric(a, b) === 1) candidates.push([a, b]);
    for (let k = 0; k < options.asymmetric && candidates.length > 0; k++) {
      const [a, b] = candidates.splice(Math.floor(rnd() * candidates.length), 1)[0];
      if (rnd() < 0.5) addPair(a, b);
      else addPair(b, a);
    }
  } else if (Array.isArray(options.asymmetric)) {
    for (const [a, b] of options.asymmetric as readonly (readonly [number, number])[]) addPair(a, b);
  }
  const lagFrom = options.headerCodesLagFrom ?? Infinity;
  const rowCode = (id: number) => letterCode(id >= lagFrom ? id : id - 1);
  let mismatch: MatrixPlan["mismatch"] = null;
  if (options.codeMismatch === true) {
    const id = Math.max(1, Math.min(actors, Math.ceil(actors * 0.8)));
    mismatch = { id, matrixCode: rowCode(id), listCode: rowCode(id).toLowerCase() };
  } else if (options.codeMismatch) {
    const { id, listCode } = options.codeMismatch;
    mismatch = { id, matrixCode: rowCode(id), listCode };
  }
  const nameOf = options.name ?? ((id: number) => inventedName(id, seed));
  const cell = (a: number, b: number): 0 | 1 | null => {
    if (a === b) return a <= filled || options.diagonalZeros ? 0 : null;
    if (a > filled) return null;
    if (asym.size > 0) {
      if (asym.has(a * 2 ** 21 + b)) return 1;
      if (asym.has(b * 2 ** 21 + a)) return 0;
    }
    return b <= filled ? symmetric(a, b) : pairHash(seed ^ 0x3c3c, a, b) < density ? 1 : 0;
  };
  return {
    actors,
    filledActors: filled,
    code: rowCode,
    headerCode: (id) => letterCode(id - 1),
    listCode: (id) => (mismatch && mismatch.id === id ? mismatch.listCode : rowCode(id)),
    name: nameOf,
    cell,
    asymmetricPairs: pairs,
    mismatch,
  };
}

/**
 * The users' workbook layout, with lazily produced rows (a 16,384-actor matrix is never held in memory):
 * 'Matriz de adyacencia' has actor ids in row 1 from column C, letter codes in row 2, and per data row
 * the id in column A, the code in column B, then 0/1 cells (blank for actors beyond `filledActors`);
 * 'Lista de actores' has the title 'Lista de actores' in B4, then code | id | name rows from row 5.
 * `origin` moves both tables down/right. Rows are re-iterable (each iteration starts over).
 * @example await writeXlsxFile("m.xlsx", matrixWorkbook({ actors: 50, filledActors: 17, asymmetric: 3 }));
 */
export function matrixWorkbook(options: MatrixOptions): SheetSpec[] {
  const plan = matrixPlan(options);
  const r0 = (options.origin?.row ?? 1) - 1;
  const c0 = (options.origin?.col ?? 1) - 1;
  const n = plan.actors;
  const padded = new Set(options.paddedNames ?? []);
  const pad = (): CellInput[] => new Array<CellInput>(c0).fill(null);
  function* matrixRows(): Generator<readonly CellInput[]> {
    for (let i = 0; i < r0; i++) yield [];
    const ids = pad();
    ids.push(null, null);
    for (let id = 1; id <= n; id++) ids.push(id);
    yield ids;
    const codes = pad();
    codes.push(null, null);
    for (let id = 1; id <= n; id++) codes.push(plan.headerCode(id));
    yield codes;
    for (let a = 1; a <= n; a++) {
      const row = pad();
      row.push(a, plan.code(a));
      for (let b = 1; b <= n; b++) row.push(plan.cell(a, b));
      yield row;
    }
  }
  function* listRows(): Generator<readonly CellInput[]> {
    for (let i = 0; i < r0 + 3; i++) yield [];
    const title = pad();
    title.push(null, "Lista de actores");
    yield title;
    for (let id = 1; id <= n; id++) {
      const row = pad();
      row.push(plan.listCode(id), id, padded.has(id) ? `${plan.name(id)} ` : plan.name(id));
      yield row;
    }
  }
  return [
    { name: "Matriz de adyacencia", rows: { [Symbol.iterator]: matrixRows } },
    { name: "Lista de actores", rows: { [Symbol.iterator]: listRows } },
  ];
}
