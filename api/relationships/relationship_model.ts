/**
 * The published relationship snapshot held in memory: actors, their adjacency lists and the pairs,
 * loaded once when a snapshot file is opened. Point reads then cost a Map lookup and a cached JSON
 * string; the DuckDB file stays open (read-only) for the bulky, rarely read parts (matrix, changes).
 */
import type { Database } from "../../etl/db/mod.ts";
import type { Finding } from "../../etl/runs/mod.ts";
import { fold } from "../../etl/text/mod.js";
import { keepFormsWith } from "../http/compression.ts";
import { compareKeys, type Key } from "../http/keyset.ts";
import type { CODINGS } from "../http/respond.ts";
import type { Actor, MatrixActor, MatrixLayout, Pair, Related } from "./relationship_schemas.ts";
import { SNAPSHOT_ACTORS, SNAPSHOT_FINDINGS, SNAPSHOT_FINDINGS_V4, SNAPSHOT_HAS, SNAPSHOT_INFO, SNAPSHOT_LAYOUT, SNAPSHOT_PAIR_COUNT, SNAPSHOT_PAIRS } from "./snapshot_sql.ts";

export type { Actor, ActorSummary, Pair, Related } from "./relationship_schemas.ts";

/** The orders `GET /actors?sort=` accepts. */
export type ActorSort = "degree" | "name" | "id";

/** The in-memory model of one snapshot file. */
export interface RelationshipModel {
  /** `version_id` from snapshot_info, or null for a file without it. */
  versionId: number | null;
  runId: string | null;
  publishedAt: string | null;
  /** Strong ETag shared by every response computed from this snapshot. */
  etag: string;
  actors: Map<number, Actor>;
  /** Actors sorted per sort order, with the key function that sorted them. */
  sorted: Record<ActorSort, { items: Actor[]; keyOf: (a: Actor) => Key }>;
  /** Folded "name letter_code" per actor id, for `q`. */
  searchText: Map<number, string>;
  /** Each actor's pairs as indices into `pairs`, ordered by the other actor's id (see `relatedOf()`, `pairsOf()`). */
  adjacency: Map<number, Int32Array>;
  /** Every marked pair, ordered by (person_a_id, person_b_id). */
  pairs: PairTable;
  /** The matrix header in order: position i is row i and column i of the heat map. */
  header: MatrixActor[];
  /** Where the matrix sits in its sheet; null for snapshots older than schema version 2. */
  layout: MatrixLayout | null;
  /** Actor ids by upper-cased letter code (matrix and list codes), for `{id}` given as a code. */
  byCode: Map<string, number[]>;
  /** As the run record holds them (etl/runs), `values` only where the file kept some (schema version 5). */
  findings: Finding[];
  /** Cached bodies (JSON as UTF-8 bytes, the binary matrix) by cache key (e.g. `rel:7`), filled on first request. */
  bodies: AnswerCache;
}

/** Bytes of answers kept per snapshot by default: keys come from query parameters, so a count alone bounds nothing. */
export const ANSWER_CACHE_BYTES = 64 * 1024 * 1024;
type Coding = (typeof CODINGS)[number];
/** Answers kept per snapshot at most, whatever their size. */
const ANSWER_CACHE_ENTRIES = 20_000;

/** One kept answer and the coded forms kept with it: a unit, evicted together. */
interface KeptAnswer {
  body: Uint8Array;
  forms: Partial<Record<Coding, Buffer>>;
  /** The body's bytes and its forms'. */
  bytes: number;
}

/**
 * The answers kept with one snapshot, by key (`rel:7`, `matrix-bin:0:300`), and the brotli and
 * gzip forms the compression layer makes of them (`keepFormsWith`), every byte held counted
 * against `limitBytes`. When a new answer or form does not fit, the least recently used answers
 * (a hit is a use) are evicted, each with its coded forms, until it does; an answer or form that
 * cannot fit even in an empty cache (beside its own answer, for a form) is sent and not kept, and
 * evicts nothing. Each is held in memory of its own size: zlib's output of a small answer is a
 * view into its 16 kB chunk, and a small `Buffer.from(text)` one into an 8 kB pool shared with
 * whatever else used it, so those are copied. The snapshot's retirement drops it whole.
 */
export class AnswerCache {
  readonly limitBytes: number;
  #bytes = 0;
  #evictions = 0;
  /** Least recently used first: Map keeps insertion order, so a use is "deleted and set again". */
  readonly #entries = new Map<string, KeptAnswer>();

  constructor(limitBytes = ANSWER_CACHE_BYTES) {
    this.limitBytes = limitBytes;
  }

  /** Bytes held: the kept answers and their kept coded forms. */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Answers evicted (each with its coded forms) to make room for newer ones. */
  get evictions(): number {
    return this.#evictions;
  }

  /** The keys kept, least recently used first (reading them is no use). */
  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  /** Every bytes object held, answers and coded forms (for a test to weigh). */
  held(): Uint8Array[] {
    return [...this.#entries.values()].flatMap((entry) => [entry.body, ...Object.values(entry.forms)]);
  }

  /** The answer kept under `key`, now the most recently used; undefined when absent. */
  get(key: string): Uint8Array | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.body;
  }

  /** Keeps `body` under `key`, evicting as needed, unless it alone is over the bound; returns the bytes to answer with (the kept ones, or `body`). */
  keep(key: string, body: Uint8Array): Uint8Array {
    // Two requests that built the same answer at once: the first one kept is the one counted.
    const present = this.get(key);
    if (present !== undefined) return present;
    if (!this.#makeRoom(body.byteLength)) return body;
    const kept = ownMemory(body);
    const entry: KeptAnswer = { body: kept, forms: {}, bytes: kept.byteLength };
    this.#entries.set(key, entry);
    this.#bytes += kept.byteLength;
    keepFormsWith(kept, {
      form: (coding) => entry.forms[coding],
      keepForm: (coding, bytes) => {
        // An answer evicted while it was being sent keeps no forms: they would be counted for nothing held.
        if (this.#entries.get(key) !== entry || !this.#makeRoom(bytes.byteLength, entry)) return bytes;
        const form = ownMemory(bytes);
        entry.forms[coding] = form;
        entry.bytes += form.byteLength;
        this.#bytes += form.byteLength;
        return form;
      },
    });
    return kept;
  }

  /**
   * Evicts the least recently used answers (never `adding`, whose form is to be kept) until `size`
   * more bytes fit, and, for a new answer, it fits in the entries' bound too; false, evicting
   * nothing, when they could not fit even then.
   */
  #makeRoom(size: number, adding?: KeptAnswer): boolean {
    if ((adding?.bytes ?? 0) + size > this.limitBytes) return false;
    const full = () => this.#bytes + size > this.limitBytes || (adding === undefined && this.#entries.size >= ANSWER_CACHE_ENTRIES);
    const oldest = this.#entries.entries();
    while (full()) {
      // Never done before it fits: with every other answer evicted, `adding` alone leaves room.
      const [key, entry] = oldest.next().value!;
      if (entry === adding) continue;
      this.#entries.delete(key);
      this.#bytes -= entry.bytes;
      this.#evictions++;
    }
    return true;
  }
}

/** `bytes` in memory of exactly their size: a copy when they are a view into a larger buffer. */
function ownMemory(bytes: Uint8Array): Buffer {
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength) return Buffer.from(bytes.buffer, 0, bytes.byteLength);
  const copy = Buffer.allocUnsafeSlow(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

/**
 * The pairs as columns, about 10 bytes a pair with the adjacency index: objects for every pair and
 * both of its adjacency entries held 400 MB at 5,000 actors (1.25 M pairs) for as long as the
 * snapshot was served. Answers make objects for the pairs they send (`pairAt()`, `pairsOf()`).
 * A direction is 1 (a 1 in the matrix), 0 (a 0) or -1 (blank: unknown).
 */
export interface PairTable {
  length: number;
  a: Int32Array;
  b: Int32Array;
  aToB: Int8Array;
  bToA: Int8Array;
}

const flag = (value: boolean | null): number => (value === null ? -1 : value ? 1 : 0);
const unflag = (value: number): boolean | null => (value < 0 ? null : value === 1);

/**
 * Returns the model of the snapshot open in `db`; `tag` distinguishes files with the same version.
 *
 * @example
 * ```ts
 * const model = await loadRelationshipModel(db, "ino-mtime");
 * relatedOf(model, 7) // [{ id: 9, letter_code: "B", ... }]
 * ```
 */
export async function loadRelationshipModel(db: Database, tag: string, cacheBytes = ANSWER_CACHE_BYTES): Promise<RelationshipModel> {
  const actorRows = await db.all<Actor>(SNAPSHOT_ACTORS);
  // A snapshot of schema version 4 or older has no findings.cell_values: its findings have no values.
  const findingsSql = (await snapshotHas(db, "findings", "cell_values")) ? SNAPSHOT_FINDINGS : SNAPSHOT_FINDINGS_V4;
  const findings = (await ifTable(db, "findings", findingsSql)) as unknown as (Finding & { values: Finding["values"] | null })[];
  const layoutRow = (await ifTable(db, "matrix_layout", SNAPSHOT_LAYOUT))[0] as (MatrixLayout & { sheet_rows: (number | null)[] }) | undefined;
  const info = (await ifTable(db, "snapshot_info", SNAPSHOT_INFO))[0] as { version_id: number | null; run_id: string | null; published_at: Date | null } | undefined;

  const actors = new Map<number, Actor>();
  const searchText = new Map<number, string>();
  for (const row of actorRows) {
    const actor: Actor = {
      id: row.id,
      letter_code: row.letter_code,
      name: row.name,
      degree: row.degree,
      in_matrix: row.in_matrix === true,
      in_list: row.in_list === true,
      unknown_cells: row.unknown_cells,
      list_letter_code: row.list_letter_code,
      matrix_position: row.matrix_position,
    };
    actors.set(actor.id, actor);
    searchText.set(actor.id, `${fold(actor.name)} ${fold(actor.letter_code)} ${fold(actor.list_letter_code)}`);
  }

  // Streamed into columns sized first: 1.25 M row objects at once (5,000 actors) took 300 MB more at every publication.
  const count = (await db.one<{ n: number }>(SNAPSHOT_PAIR_COUNT))?.n ?? 0;
  const pairs: PairTable = {
    length: count,
    a: new Int32Array(count),
    b: new Int32Array(count),
    aToB: new Int8Array(count),
    bToA: new Int8Array(count),
  };
  const degreeOf = new Map<number, number>();
  let i = 0;
  for await (const rows of db.stream<{ a: number; b: number; a_to_b: boolean | null; b_to_a: boolean | null }>(SNAPSHOT_PAIRS)) {
    for (const row of rows) {
      // A read-only file does not change between the two queries; were it to, the open fails (the watcher retries).
      if (i === count) throw new Error(`relationships.duckdb: user_relationships gave more pairs than the ${count} it counted`);
      pairs.a[i] = row.a;
      pairs.b[i] = row.b;
      pairs.aToB[i] = flag(row.a_to_b);
      pairs.bToA[i] = flag(row.b_to_a);
      degreeOf.set(row.a, (degreeOf.get(row.a) ?? 0) + 1);
      degreeOf.set(row.b, (degreeOf.get(row.b) ?? 0) + 1);
      i++;
    }
  }
  if (i !== count) throw new Error(`relationships.duckdb: user_relationships gave ${i} pairs, not the ${count} it counted`);
  const adjacency = new Map<number, Int32Array>();
  const filled = new Map<number, number>();
  for (const [id, degree] of degreeOf) {
    adjacency.set(id, new Int32Array(degree));
    filled.set(id, 0);
  }
  // Pairs come ordered by (a, b): an actor's pairs as person_b (other id below its own) come
  // first, in order of a; then those as person_a, in order of b. So each list is by the other id.
  for (const end of ["b", "a"] as const) {
    for (let i = 0; i < pairs.length; i++) {
      const id = pairs[end][i];
      const at = filled.get(id)!;
      adjacency.get(id)![at] = i;
      filled.set(id, at + 1);
    }
  }

  const all = [...actors.values()];
  const byCode = new Map<string, number[]>();
  for (const actor of all) {
    for (const code of new Set([actor.letter_code, actor.list_letter_code].map((c) => c?.toUpperCase()))) {
      if (code) byCode.set(code, [...(byCode.get(code) ?? []), actor.id]);
    }
  }
  const header = all
    .filter((a) => a.matrix_position !== null)
    .sort((a, b) => a.matrix_position! - b.matrix_position!)
    .map((a): MatrixActor => ({ id: a.id, letter_code: a.letter_code, name: a.name, sheet_row: layoutRow?.sheet_rows[a.matrix_position!] ?? null }));
  const layout: MatrixLayout | null = layoutRow === undefined
    ? null
    : { sheet: layoutRow.sheet, header_row: layoutRow.header_row, first_col: layoutRow.first_col, code_row: layoutRow.code_row, id_col: layoutRow.id_col, code_col: layoutRow.code_col };
  const byKey = (keyOf: (a: Actor) => Key) => ({
    items: [...all].sort((x, y) => compareKeys(keyOf(x), keyOf(y))),
    keyOf,
  });
  const versionId = info?.version_id ?? null;
  return {
    versionId,
    runId: info?.run_id ?? null,
    publishedAt: info?.published_at instanceof Date ? info.published_at.toISOString() : null,
    etag: `"rel-${versionId ?? "x"}-${tag}"`,
    actors,
    sorted: {
      id: byKey((a) => [a.id, a.id]),
      degree: byKey((a) => [-a.degree, a.id]),
      name: byKey((a) => [fold(a.name), a.id]),
    },
    searchText,
    adjacency,
    pairs,
    header,
    layout,
    byCode,
    // `values` is left out, not null, where none was kept: as in the run record and the answer schema.
    findings: findings.map(({ values, ...f }) => ({ ...f, cells: Array.isArray(f.cells) ? f.cells : [], ...(values != null ? { values } : {}) })),
    bodies: new AnswerCache(cacheBytes),
  };
}

/** The id of the actor at the other end of pair `i` from actor `id`. */
export function otherOf(model: RelationshipModel, i: number, id: number): number {
  return model.pairs.a[i] === id ? model.pairs.b[i] : model.pairs.a[i];
}

/**
 * Returns pair `i` of the snapshot (ordered by person_a_id, person_b_id) as `GET /relationships` sends it.
 *
 * @example
 * ```ts
 * pairAt(model, 0) // { person_a_id: 1, person_a_letter: "A", ..., a_to_b: true, b_to_a: true }
 * ```
 */
export function pairAt(model: RelationshipModel, i: number): Pair {
  const { a, b, aToB, bToA } = model.pairs;
  const first = model.actors.get(a[i]);
  const second = model.actors.get(b[i]);
  return {
    person_a_id: a[i],
    person_a_letter: first?.letter_code ?? null,
    person_a_name: first?.name ?? null,
    person_b_id: b[i],
    person_b_letter: second?.letter_code ?? null,
    person_b_name: second?.name ?? null,
    a_to_b: unflag(aToB[i]),
    b_to_a: unflag(bToA[i]),
  };
}

/** Every pair of the snapshot in order, made one at a time (for the CSV download). */
export function* allPairs(model: RelationshipModel): Generator<Pair> {
  for (let i = 0; i < model.pairs.length; i++) yield pairAt(model, i);
}

/**
 * Returns the pairs that include actor `id`, ordered by (person_a_id, person_b_id) like
 * `GET /relationships`: read from the actor's adjacency list (ordered by the other id, so the pairs
 * where it is person_b come first, already in order), not by filtering every pair. Made on each
 * call and not kept: kept per actor they grew to twice the pairs as actors were looked at.
 *
 * @example
 * ```ts
 * pairsOf(model, 3) // [{ person_a_id: 2, person_b_id: 3, ... }, { person_a_id: 3, person_b_id: 4, ... }]
 * ```
 */
export function pairsOf(model: RelationshipModel, id: number): Pair[] {
  return Array.from(model.adjacency.get(id) ?? [], (i) => pairAt(model, i));
}

/**
 * Returns actor `id`'s relationships as `GET /actors/{id}/relationships` sends them: one entry per
 * pair, ordered by the other actor's id, directions seen from `id`.
 *
 * @example
 * ```ts
 * relatedOf(model, 7) // [{ id: 9, letter_code: "B", name: "...", a_to_b: true, b_to_a: null, outgoing: true, incoming: null }]
 * ```
 */
export function relatedOf(model: RelationshipModel, id: number): Related[] {
  const { a, aToB, bToA } = model.pairs;
  return Array.from(model.adjacency.get(id) ?? [], (i): Related => {
    const to = otherOf(model, i, id);
    const other = model.actors.get(to);
    const out = unflag(a[i] === id ? aToB[i] : bToA[i]);
    const inc = unflag(a[i] === id ? bToA[i] : aToB[i]);
    return { id: to, letter_code: other?.letter_code ?? null, name: other?.name ?? null, a_to_b: out, b_to_a: inc, outgoing: out, incoming: inc };
  });
}

/**
 * Returns up to `limit` pairs after key `after` ([person_a_id, person_b_id]) in the snapshot's
 * order, and the key to continue from (undefined at the end): a binary search over the columns.
 *
 * @example
 * ```ts
 * pairPage(model, [3, 9], 100) // { items: [{ person_a_id: 3, person_b_id: 12, ... }, ...], nextKey: [5, 40] }
 * ```
 */
export function pairPage(model: RelationshipModel, after: Key | undefined, limit: number): { items: Pair[]; nextKey: Key | undefined } {
  const { a, b, length } = model.pairs;
  let lo = 0;
  if (after !== undefined) {
    let hi = length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys([a[mid], b[mid]], after, 1) <= 0) lo = mid + 1;
      else hi = mid;
    }
  }
  const end = Math.min(length, lo + limit);
  const items: Pair[] = [];
  for (let i = lo; i < end; i++) items.push(pairAt(model, i));
  return { items, nextKey: end < length ? [a[end - 1], b[end - 1]] : undefined };
}

/**
 * The rows of `sql` when the snapshot has `table`, else none: the optional tables (findings,
 * snapshot_info, matrix_layout) are missing from older files. Told by the catalog, not by a failed
 * query: taking any failure (an I/O error, out of memory) for a missing table served the version
 * without its findings, layout or version number until the next publication; it now fails the
 * open, which the watcher reports and tries again.
 */
async function ifTable(db: Database, table: string, sql: string): Promise<Record<string, unknown>[]> {
  return (await snapshotHas(db, table)) ? await db.all(sql) : [];
}

/** Whether the snapshot has `table`, and `column` in it when given, as its catalog says (SNAPSHOT_HAS). */
export async function snapshotHas(db: Database, table: string, column: string | null = null): Promise<boolean> {
  return ((await db.one<{ n: number }>(SNAPSHOT_HAS, [table, column]))?.n ?? 0) > 0;
}

/**
 * Returns a shortest chain of actors from `from` to `to` (both included) following pairs in either
 * direction, or undefined when none exists. Breadth-first search over the adjacency lists.
 *
 * @example
 * ```ts
 * shortestPath(model, 1, 3) // [1, 2, 3]
 * ```
 */
export function shortestPath(model: RelationshipModel, from: number, to: number): number[] | undefined {
  if (from === to) return [from];
  const previous = new Map<number, number>([[from, from]]);
  let frontier = [from];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const id of frontier) {
      for (const i of model.adjacency.get(id) ?? []) {
        const other = otherOf(model, i, id);
        if (previous.has(other)) continue;
        previous.set(other, id);
        if (other === to) {
          const path = [to];
          let at = to;
          while (at !== from) {
            at = previous.get(at)!;
            path.push(at);
          }
          return path.reverse();
        }
        next.push(other);
      }
    }
    frontier = next;
  }
  return undefined;
}
