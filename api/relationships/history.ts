/**
 * The history a snapshot carries (every version loaded so far and every change of each): the
 * versions with their change counts, read once per snapshot, and pages of changes with the names
 * of the actors they concern, read on request with bound filters. An actor is named (code and name)
 * as the served version names it or, when that version no longer has it, as the last version that had it did.
 */
import { encodeCursor, type Key } from "../http/keyset.ts";
import type { Database } from "../../etl/db/mod.ts";
import { snapshotHas, type RelationshipModel } from "./relationship_model.ts";
import type { Change, Version } from "./relationship_schemas.ts";
import { oncePerSnapshot, type SnapshotHandle } from "./snapshot_watcher.ts";
import {
  SNAPSHOT_CHANGE_COUNTS, SNAPSHOT_CHANGES_PAGE, SNAPSHOT_NET_CHANGES_COUNT, SNAPSHOT_NET_CHANGES_DROP, SNAPSHOT_NET_CHANGES_KEEP, SNAPSHOT_NET_CHANGES_PAGE, SNAPSHOT_REMOVED_ACTORS, SNAPSHOT_REMOVED_ACTORS_V3, SNAPSHOT_VERSIONS, SNAPSHOT_VERSIONS_V2,
} from "./snapshot_sql.ts";

/** What `GET /changes` may filter on (null = not given). */
export interface ChangeFilter {
  version: number | null;
  /**
   * The net change from this version's data to `to`'s (both held, from <= to) instead of each
   * version's own changes; null = per version.
   */
  range: { from: number; to: number } | null;
  /** A timestamp DuckDB can cast, e.g. `2026-03-03` or `2026-03-03 08:00:00`. */
  since: string | null;
  actor: number | null;
  /** The letter code `actor` was given as when the served version has no actor with it (upper case), else null. */
  actorCode: string | null;
  entity: "actor" | "pair" | null;
  change: "added" | "removed" | "changed" | null;
  /** Only pairs with both actors among these ids (null = any). */
  among: number[] | null;
}

const COUNT_KEYS = ["actors_added", "actors_removed", "actors_changed", "pairs_added", "pairs_removed", "pairs_changed"] as const;

/**
 * Returns every published version of the snapshot, newest first, with its change counts (read
 * once per snapshot: the file never changes).
 *
 * @example
 * ```ts
 * (await listVersions(handle))[0].current // true
 * ```
 */
export const listVersions: (handle: SnapshotHandle) => Promise<Version[]> = oncePerSnapshot((handle) =>
  handle.query(async (db) => {
    type Row = Omit<Version, "changes" | "current" | "loaded_at"> & { loaded_at: unknown };
    const rows = await db.all<Row>((await snapshotHas(db, "versions", "restored_from")) ? SNAPSHOT_VERSIONS : SNAPSHOT_VERSIONS_V2);
    const counts = await db.all<{ version_id: number; key: string; n: number }>(SNAPSHOT_CHANGE_COUNTS);
    return rows.map((row) => {
      const changes = Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as Version["changes"];
      for (const c of counts) if (c.version_id === row.version_id && c.key in changes) changes[c.key as keyof Version["changes"]] = c.n;
      return { ...row, loaded_at: isoTime(row.loaded_at), size: Number(row.size), changes, current: row.version_id === handle.model.versionId };
    });
  }),
);

/**
 * Returns up to `limit` changes matching `filter` after the cursor key `after`, and the cursor of
 * the next page (null at the end): each version's own changes, newest version first, keyed
 * (version, row); or with `filter.range` the net change from `range.from`'s data to `range.to`'s,
 * keyed ("from-to", row), computed by DuckDB once per snapshot and range into a table it keeps
 * (`keptNet`), so a page reads 100 rows of it instead of netting the range again.
 *
 * @example
 * ```ts
 * const { items } = await changesPage(handle, { version: 3, range: null, since: null, actor: null, actorCode: null, entity: "pair", change: null, among: null }, undefined, 100);
 * ```
 */
export async function changesPage(
  handle: SnapshotHandle,
  filter: ChangeFilter,
  after: Key | undefined,
  limit: number,
): Promise<{ items: Change[]; next_cursor: string | null }> {
  const range = filter.range;
  const { version, since, actor, entity, change, among } = filter;
  const at = range === null || after === undefined ? undefined : netKeyAt(after);
  const rows = await handle.query(async (db) =>
    range === null
      ? db.all<ChangeRowWithKey>(SNAPSHOT_CHANGES_PAGE, [version, since, actor, entity, change, after === undefined ? null : Number(after[0]), after === undefined ? null : after[1], limit + 1, among])
      : db.all<ChangeRowWithKey>(SNAPSHOT_NET_CHANGES_PAGE(await keptNet(handle, db, range)), [actor, entity, change, at?.entity ?? null, at?.k1 ?? null, at?.k2 ?? null, at?.field ?? null, limit + 1, among]),
  );
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const gone = (id: number | null) => id !== null && !handle.model.actors.has(id);
  // Read only when a page needs it: most pages name served actors alone.
  const removed = page.some((r) => gone(r.numeric_id) || gone(r.person_a) || gone(r.person_b)) ? await removedActors(handle) : NO_ACTORS;
  const cursor = (row: ChangeRowWithKey) =>
    range === null ? encodeCursor("changes", [row.version_id, row.row_key!]) : encodeCursor(NET_CURSOR, [`${netRangeKey(range)}|${row.entity}|${row.k1}|${row.k2}|${row.field ?? ""}`, 0]);
  return {
    items: page.map((row) => named(handle.model, removed, row)),
    next_cursor: more && last !== undefined ? cursor(last) : null,
  };
}

/** How many ranges' net changes a snapshot keeps computed (`keptNet`), and how many of their rows at most beside the one in use. */
export const NET_RANGES_KEPT = 4;
export const NET_ROWS_KEPT = 1_000_000;

/** The net changes a snapshot keeps, by range key: their table and row count, least recently used first. */
const netTables = new WeakMap<SnapshotHandle, Map<string, { table: string; rows: number }>>();

/**
 * Returns the name of the temporary table of the snapshot's connection holding the net change of
 * `range` (SNAPSHOT_NET_CHANGES_KEEP), computing it when the snapshot does not keep it yet, and
 * dropping the least recently used others beyond NET_RANGES_KEPT ranges or NET_ROWS_KEPT rows. Runs
 * inside the handle's `query` (one statement at a time), so no page reads a table while it is
 * dropped; a newer snapshot keeps its own (the retired one's go with its connection).
 */
async function keptNet(handle: SnapshotHandle, db: Database, range: { from: number; to: number }): Promise<string> {
  let kept = netTables.get(handle);
  if (kept === undefined) netTables.set(handle, (kept = new Map()));
  const key = netRangeKey(range);
  let entry = kept.get(key);
  if (entry === undefined) {
    const table = `net_changes_${range.from}_${range.to}`;
    await db.run(SNAPSHOT_NET_CHANGES_KEEP(table), [range.from, range.to]);
    entry = { table, rows: (await db.one<{ n: number }>(SNAPSHOT_NET_CHANGES_COUNT(table)))?.n ?? 0 };
  }
  kept.delete(key);
  kept.set(key, entry);
  let rows = [...kept.values()].reduce((sum, e) => sum + e.rows, 0) - entry.rows;
  for (const [other, e] of kept) {
    if (other === key || (kept.size <= NET_RANGES_KEPT && rows <= NET_ROWS_KEPT)) break;
    await db.run(SNAPSHOT_NET_CHANGES_DROP(e.table));
    kept.delete(other);
    rows -= e.rows;
  }
  return entry.table;
}

/** The sort name of the cursors of `GET /changes?from=&to=`, whose key is [`from-to|entity|id or pair|field`, 0]. */
export const NET_CURSOR = "changes-net";

/** The first part of a net cursor's key: a cursor of another range is refused. */
export const netRangeKey = (range: { from: number; to: number }) => `${range.from}-${range.to}`;

const NET_KEY = /^(\d{1,9}-\d{1,9})\|(actor|pair)\|(-?\d{1,10})\|(-?\d{1,10})\|([a-z_]{0,40})$/;

/**
 * Returns the parts of a net cursor's key (its range, and the row to continue after), or undefined
 * when it is none this endpoint issues.
 *
 * @example
 * ```ts
 * netKeyAt(["1-3|pair|4|9|b_to_a", 0]) // { range: "1-3", entity: "pair", k1: 4, k2: 9, field: "b_to_a" }
 * ```
 */
export function netKeyAt([key]: Key): { range: string; entity: string; k1: number; k2: number; field: string } | undefined {
  const m = typeof key === "string" ? NET_KEY.exec(key) : null;
  return m === null ? undefined : { range: m[1], entity: m[2], k1: Number(m[3]), k2: Number(m[4]), field: m[5] };
}

/** A row as read: per version with its row (`row_key`), net with its actor or pair (`k1`, `k2`), for the cursor. */
type ChangeRowWithKey = Omit<Change, "loaded_at" | `${string}_letter` | `${string}_name`> & { loaded_at: unknown; row_key?: number; k1?: number; k2?: number };

/** How the last version that had an actor named it. */
interface RemovedActor {
  letter_code: string | null;
  name: string | null;
}

const NO_ACTORS = new Map<number, RemovedActor>();

/**
 * The code and name of every actor the history saw removed, in the last version that had it: once
 * per snapshot, so a CSV of every change (pages of 10,000) scans the history for them once.
 */
const removedActors = oncePerSnapshot((handle) =>
  handle.query(async (db) => {
    type Row = RemovedActor & { id: number };
    // Removals a load before schema version 4 wrote hold no code: null, the name alone.
    const rows = await db.all<Row>((await snapshotHas(db, "changes", "letter_code")) ? SNAPSHOT_REMOVED_ACTORS : SNAPSHOT_REMOVED_ACTORS_V3);
    return new Map(rows.map((r) => [r.id, { letter_code: r.letter_code, name: r.name }]));
  }),
);

/**
 * Returns the ids of the actors the served version no longer has whose last code was `code` (upper
 * case), ascending: none, one, or several (an ambiguous code).
 *
 * @example
 * ```ts
 * await removedActorIds(handle, "C") // [3]
 * ```
 */
export async function removedActorIds(handle: SnapshotHandle, code: string): Promise<number[]> {
  const ids: number[] = [];
  for (const [id, actor] of await removedActors(handle)) {
    if (!handle.model.actors.has(id) && actor.letter_code?.toUpperCase() === code) ids.push(id);
  }
  return ids.sort((a, b) => a - b);
}

function named(model: RelationshipModel, removed: ReadonlyMap<number, RemovedActor>, row: ChangeRowWithKey): Change {
  const who = (id: number | null) => (id === null ? undefined : (model.actors.get(id) ?? removed.get(id)));
  const actor = who(row.numeric_id);
  const a = who(row.person_a);
  const b = who(row.person_b);
  return {
    version_id: row.version_id,
    run_id: row.run_id,
    loaded_at: isoTime(row.loaded_at),
    entity: row.entity,
    change: row.change,
    numeric_id: row.numeric_id,
    person_a: row.person_a,
    person_b: row.person_b,
    field: row.field,
    old_value: row.old_value,
    new_value: row.new_value,
    actor_letter: actor?.letter_code ?? null,
    actor_name: actor?.name ?? null,
    person_a_letter: a?.letter_code ?? null,
    person_a_name: a?.name ?? null,
    person_b_letter: b?.letter_code ?? null,
    person_b_name: b?.name ?? null,
  };
}

/** DuckDB TIMESTAMPs (UTC, no zone) come back as Dates; answers carry ISO 8601 with `Z`. */
function isoTime(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}
