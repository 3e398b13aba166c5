/**
 * The published relationship snapshot held in memory: actors, their adjacency lists and the pairs,
 * loaded once when a snapshot file is opened. Point reads then cost a Map lookup and a cached JSON
 * string; the DuckDB file stays open (read-only) for the bulky, rarely read parts (matrix, changes).
 */
import type { Database } from "../../etl/db/mod.ts";
import type { Finding } from "../../etl/runs/mod.ts";
import { fold } from "../../etl/text/mod.js";
import { compareKeys, type Key } from "../http/keyset.ts";
import type { Actor, MatrixActor, MatrixLayout, Pair, Related } from "./relationship_schemas.ts";
import { SNAPSHOT_ACTORS, SNAPSHOT_FINDINGS, SNAPSHOT_FINDINGS_V4, SNAPSHOT_HAS, SNAPSHOT_INFO, SNAPSHOT_LAYOUT, SNAPSHOT_PAIRS } from "./snapshot_sql.ts";

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
  adjacency: Map<number, Related[]>;
  pairs: Pair[];
  /** The matrix header in order: position i is row i and column i of the heat map. */
  header: MatrixActor[];
  /** Where the matrix sits in its sheet; null for snapshots older than schema version 2. */
  layout: MatrixLayout | null;
  /** Actor ids by upper-cased letter code (matrix and list codes), for `{id}` given as a code. */
  byCode: Map<string, number[]>;
  /** Each actor's pairs, built from the adjacency list on first use (see `pairsOf()`). */
  pairsByActor: Map<number, Pair[]>;
  /** As the run record holds them (etl/runs), `values` only where the file kept some (schema version 5). */
  findings: Finding[];
  /** Cached bodies (JSON as UTF-8 bytes, the binary matrix) by cache key (e.g. `rel:7`), filled on first request. */
  bodies: Map<string, Uint8Array>;
}

/**
 * Returns the model of the snapshot open in `db`; `tag` distinguishes files with the same version.
 *
 * @example
 * ```ts
 * const model = await loadRelationshipModel(db, "ino-mtime");
 * model.adjacency.get(7) // [{ id: 9, letter_code: "B", ... }]
 * ```
 */
export async function loadRelationshipModel(db: Database, tag: string): Promise<RelationshipModel> {
  const actorRows = await db.all<Actor>(SNAPSHOT_ACTORS);
  const pairRows = await db.all<{ a: number; b: number; a_to_b: boolean | null; b_to_a: boolean | null }>(SNAPSHOT_PAIRS);
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

  const adjacency = new Map<number, Related[]>();
  const pairs: Pair[] = [];
  const add = (from: number, to: number, out: boolean | null, inc: boolean | null) => {
    const other = actors.get(to);
    let list = adjacency.get(from);
    if (list === undefined) adjacency.set(from, (list = []));
    list.push({
      id: to,
      letter_code: other?.letter_code ?? null,
      name: other?.name ?? null,
      a_to_b: out,
      b_to_a: inc,
      outgoing: out,
      incoming: inc,
    });
  };
  for (const row of pairRows) {
    if (row.a_to_b !== true && row.b_to_a !== true) continue; // a row exists only for a 1, but be safe
    const a = actors.get(row.a);
    const b = actors.get(row.b);
    pairs.push({
      person_a_id: row.a,
      person_a_letter: a?.letter_code ?? null,
      person_a_name: a?.name ?? null,
      person_b_id: row.b,
      person_b_letter: b?.letter_code ?? null,
      person_b_name: b?.name ?? null,
      a_to_b: row.a_to_b,
      b_to_a: row.b_to_a,
    });
    add(row.a, row.b, row.a_to_b, row.b_to_a);
    add(row.b, row.a, row.b_to_a, row.a_to_b);
  }
  for (const list of adjacency.values()) list.sort((x, y) => x.id - y.id);

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
    pairsByActor: new Map(),
    // `values` is left out, not null, where none was kept: as in the run record and the answer schema.
    findings: findings.map(({ values, ...f }) => ({ ...f, cells: Array.isArray(f.cells) ? f.cells : [], ...(values != null ? { values } : {}) })),
    bodies: new Map(),
  };
}

/**
 * Returns the pairs that include actor `id`, ordered by (person_a_id, person_b_id) like
 * `GET /relationships`: read from the actor's adjacency list (sorted by the other id, so the pairs
 * where it is person_b come first, already in order), not by filtering every pair.
 *
 * @example
 * ```ts
 * pairsOf(model, 3) // [{ person_a_id: 2, person_b_id: 3, ... }, { person_a_id: 3, person_b_id: 4, ... }]
 * ```
 */
export function pairsOf(model: RelationshipModel, id: number): Pair[] {
  let pairs = model.pairsByActor.get(id);
  if (pairs === undefined) {
    const me = model.actors.get(id);
    pairs = (model.adjacency.get(id) ?? []).map((r): Pair => {
      const other = { id: r.id, letter: r.letter_code, name: r.name };
      const self = { id, letter: me?.letter_code ?? null, name: me?.name ?? null };
      const [a, b] = r.id < id ? [other, self] : [self, other];
      return {
        person_a_id: a.id,
        person_a_letter: a.letter,
        person_a_name: a.name,
        person_b_id: b.id,
        person_b_letter: b.letter,
        person_b_name: b.name,
        a_to_b: r.id < id ? r.b_to_a : r.a_to_b,
        b_to_a: r.id < id ? r.a_to_b : r.b_to_a,
      };
    });
    model.pairsByActor.set(id, pairs);
  }
  return pairs;
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
      for (const rel of model.adjacency.get(id) ?? []) {
        if (previous.has(rel.id)) continue;
        previous.set(rel.id, id);
        if (rel.id === to) {
          const path = [to];
          let at = to;
          while (at !== from) {
            at = previous.get(at)!;
            path.push(at);
          }
          return path.reverse();
        }
        next.push(rel.id);
      }
    }
    frontier = next;
  }
  return undefined;
}
