/**
 * Read-only relationship endpoints over the published snapshot: /actors, /actors/{id},
 * /actors/{id}/relationships, /relationships, /relationships/path, /relationships/subgraph,
 * /matrix, /findings, and the history (/versions, /changes). Everything but the matrix's first
 * packing and the history answers from memory; every answer carries the snapshot's ETag. Wherever
 * an actor is named (`{id}`, `actor`, `from`, `to`, `around`), its letter code works as well as its id.
 */
import { HttpError } from "../http/http_error.ts";
import { instantParam, utcTimestampText } from "../http/instant_param.ts";
import { MAX_ID } from "../http/parse_id.ts";
import { fold } from "../../etl/text/mod.js";
import { decodeCursor, integerKey, nextCursor, pageAfter, pageQuery, parseLimit, textKey, type Key } from "../http/keyset.ts";
import { csvAnswer, csvResponse, formEtag, prefersToJson, wantsCsv } from "../http/csv_response.ts";
import { jsonText, readPreconditions, send } from "../http/respond.ts";
import type { Context, Router } from "../http/router.ts";
import { CHANGE_COLUMNS, MAX_AMONG, MAX_INCLUDE, MAX_OFFSET, PAIR_COLUMNS, relationshipDocs } from "./relationship_docs.ts";
import type { Actor, ActorSort, ActorSummary, Pair, RelationshipModel } from "./relationship_model.ts";
import { allPairs, otherOf, pairAt, pairPage, pairsOf, relatedOf, shortestPath } from "./relationship_model.ts";
import type { Subgraph } from "./relationship_schemas.ts";
import { oncePerSnapshot, type SnapshotHandle, type SnapshotWatcher } from "./snapshot_watcher.ts";
import { linkNext } from "../http/link_header.ts";
import { countCells, matrixBytes, packRows } from "./matrix_cells.ts";
import type { CellCounts, Version } from "./relationship_schemas.ts";
import { changesPage, listVersions, NET_CURSOR, netKeyAt, netRangeKey, removedActorIds, type ChangeFilter } from "./history.ts";
import { SNAPSHOT_MATRIX_WINDOW } from "./snapshot_sql.ts";
import { precompress } from "../http/compression.ts";

const ACTOR_COLUMNS = ["id", "letter_code", "name", "degree", "in_matrix", "in_list", "unknown_cells"] as const;

/** Returns the snapshot being served, or throws 503 when the ETL has not published one yet, or it cannot be read. */
export function currentSnapshot(watcher: SnapshotWatcher): SnapshotHandle {
  const handle = watcher.current();
  if (handle === undefined) {
    const unreadable = watcher.unreadable();
    if (unreadable !== undefined) {
      // Not "nothing published yet": the file is there and something is wrong with it.
      throw new HttpError(
        503,
        `The published relationship snapshot (relationships.duckdb) cannot be read: ${unreadable}; ` +
          "run `npm run etl` to publish a new version from the workbook, or `npm run etl -- --restore N` to serve a kept one",
        { code: "snapshot-unreadable", headers: { "retry-after": "30" } },
      );
    }
    throw new HttpError(503, "No relationship version has been published yet; run `npm run etl` first", {
      code: "no-snapshot",
      headers: { "retry-after": "5" },
    });
  }
  return handle;
}

/** The snapshot being served, or undefined before the first one; throws the 503 of a published file that cannot be read. */
function servedOrNone(watcher: SnapshotWatcher): SnapshotHandle | undefined {
  return watcher.current() ?? (watcher.unreadable() === undefined ? undefined : currentSnapshot(watcher));
}

function summary(actor: Actor): ActorSummary {
  return {
    id: actor.id,
    letter_code: actor.letter_code,
    name: actor.name,
    degree: actor.degree,
    in_matrix: actor.in_matrix,
    in_list: actor.in_list,
    unknown_cells: actor.unknown_cells,
  };
}

/** Answers from the per-snapshot body cache, with the snapshot ETag and 304 on If-None-Match. */
function cachedJson(request: Request, model: RelationshipModel, key: string, build: () => string, csvToo = false): Promise<Response> {
  return cachedBody(request, model, key, () => Buffer.from(build(), "utf8"), "application/json; charset=utf-8", csvToo);
}

async function cachedBody(
  request: Request,
  model: RelationshipModel,
  key: string,
  build: () => Uint8Array | Promise<Uint8Array>,
  type: string,
  varyAccept = false,
): Promise<Response> {
  const headers: Record<string, string> = { etag: model.etag, "cache-control": "no-cache" };
  if (varyAccept) headers.vary = "Accept";
  const unchanged = readPreconditions(request, model.etag, headers);
  if (unchanged) return unchanged;
  const body = await keptBody(model, key, build);
  headers["content-type"] = type;
  return send(body, 200, headers);
}

/**
 * The body kept with the snapshot under `key`, built on first use: the same bytes object on every
 * request, so the compression layer remembers its compressed form.
 */
async function keptBody(model: RelationshipModel, key: string, build: () => Uint8Array | Promise<Uint8Array>): Promise<Uint8Array> {
  return model.bodies.get(key) ?? model.bodies.keep(key, await build());
}

// One page of a snapshot list: the snapshot's ETag (304 when it still matches), Link to the next page.
function pageJson(request: Request, ctx: Context, model: RelationshipModel, items: unknown[], next: string | null): Response {
  const headers: Record<string, string> = { etag: model.etag, "cache-control": "no-cache", vary: "Accept" };
  if (next !== null) headers.link = linkNext(ctx, next);
  const unchanged = readPreconditions(request, model.etag, headers);
  if (unchanged) return unchanged;
  return jsonText(JSON.stringify({ items, next_cursor: next }), 200, headers);
}

/**
 * Whether `value` may be a letter code no actor of the served version has: letters, and digits
 * beside them (the load keeps codes such as `S3`; digit text alone is an id), at most 16.
 */
function isCodeText(value: string): boolean {
  return value.length <= 16 && /^[\p{L}\p{N}]+$/u.test(value) && !/^\d+$/.test(value);
}

/**
 * Returns the actor named by `text`: a numeric id, or a letter code (the matrix's or the list's,
 * any case). A code two actors share is a 409 naming both, never a guess.
 *
 * @example
 * ```ts
 * resolveActor(model, "AÑ", "actor").id // 42
 * ```
 */
function resolveActor(model: RelationshipModel, text: string | null, what: string, status: 400 | 404 = 404): Actor {
  // Composed (NFC) as the load stores codes: an Ñ sent as N + U+0303 (macOS, a copied file name) is
  // the Ñ of the workbook, not a combining mark that fails the letter test.
  const value = (text ?? "").trim().normalize("NFC");
  if (value === "") throw new HttpError(400, `${what} is required: an actor id or letter code`, { code: "bad-parameter" });
  // A query parameter (status 400) is named in the problem: `from` and `to` may both name no actor.
  const named = (detail: string) => (status === 400 ? `${what}=${value.slice(0, 40)}: ${detail}` : detail[0].toUpperCase() + detail.slice(1));
  if (/^\d{1,10}$/.test(value)) {
    const actor = model.actors.get(Number(value));
    if (actor === undefined) throw new HttpError(404, named(`no actor has id ${value} in version ${model.versionId ?? "?"}`), { code: "not-found" });
    return actor;
  }
  const ids = model.byCode.get(value.toUpperCase()) ?? [];
  if (ids.length === 0 && !isCodeText(value)) {
    throw new HttpError(status, `${what} must be an actor id or a letter code; got '${value.slice(0, 40)}'`, { code: status === 404 ? "not-found" : "bad-parameter" });
  }
  if (ids.length === 0) throw new HttpError(404, named(`no actor has letter code '${value}' in version ${model.versionId ?? "?"}`), { code: "not-found" });
  if (ids.length > 1) throw ambiguousCode(named(`letter code '${value}'`), ids);
  return model.actors.get(ids[0])!;
}

/** The 409 of a letter code several actors have (`code` says which, as a problem detail starts): it names them all, and never guesses. */
function ambiguousCode(code: string, ids: readonly number[]): HttpError {
  return new HttpError(409, `${code} belongs to ${ids.length} actors (ids ${ids.join(", ")}); use the id`, { code: "ambiguous-code" });
}

/**
 * The letter code `text` spells (trimmed, composed, upper case) when the served version has no
 * actor with it, else null: the history may still name a removed actor by it.
 */
function unservedCode(model: RelationshipModel, text: string): string | null {
  const value = text.trim().normalize("NFC");
  if (!isCodeText(value)) return null;
  const code = value.toUpperCase();
  return model.byCode.has(code) ? null : code;
}

/**
 * Returns the id a list filter names (`?actor=`): like `resolveActor()`, except that an actor the
 * version does not have matches nothing (an empty list, as a filter should) instead of a 404.
 *
 * @example
 * ```ts
 * filterActor(model, "999") // 999: no pairs will match
 * ```
 */
function filterActor(model: RelationshipModel, text: string): number {
  try {
    return resolveActor(model, text, "actor", 400).id;
  } catch (error) {
    // An unknown id filters to nothing; one past INTEGER to nothing too (the SQL binds it as INTEGER).
    if (error instanceof HttpError && error.status === 404) return /^\d+$/.test(text.trim()) && Number(text.trim()) <= MAX_ID ? Number(text.trim()) : -1;
    throw error;
  }
}

/**
 * Returns the subgraph the network view draws: the `limit` busiest actors (or, `around` an actor,
 * that actor and its `limit - 1` busiest neighbours) and every pair between two of them.
 *
 * @example
 * ```ts
 * subgraph(model, 100, null).actors.length // 100
 * ```
 */
export function subgraph(model: RelationshipModel, limit: number, around: Actor | null, include: readonly Actor[] = []): Subgraph {
  let chosen: Actor[];
  if (around === null) {
    chosen = model.sorted.degree.items.slice(0, limit);
  } else {
    const neighbours = Array.from(model.adjacency.get(around.id) ?? [], (i) => model.actors.get(otherOf(model, i, around.id)))
      .filter((a) => a !== undefined)
      .sort((a, b) => b.degree - a.degree || a.id - b.id)
      .slice(0, limit - 1);
    chosen = [around, ...neighbours];
  }
  // Actors a view must show whatever their rank (the other end of a pair a finding points at).
  for (const actor of include) if (!chosen.some((a) => a.id === actor.id)) chosen.push(actor);
  const ids = new Set(chosen.map((a) => a.id));
  const pairs: Pair[] = [];
  for (const id of [...ids].sort((a, b) => a - b)) {
    for (const i of model.adjacency.get(id) ?? []) if (model.pairs.a[i] === id && ids.has(model.pairs.b[i])) pairs.push(pairAt(model, i));
  }
  return {
    actors: chosen.map(summary),
    pairs,
    center: around?.id ?? null,
    center_degree: around === null ? null : (model.adjacency.get(around.id)?.length ?? 0),
    total_actors: model.actors.size,
    total_pairs: model.pairs.length,
  };
}

// The cell counts are read once per snapshot (a scan of every cell: 2 s at 5,000 actors), when it is served.
export const countsOf = oncePerSnapshot((handle): Promise<CellCounts> => handle.query((db) => countCells(db, handle.model.header.length)));

/** Cache key of the binary matrix body for a window of rows. */
const matrixKey = (offset: number, limit: number) => `matrix-bin:${offset}:${limit}`;

/** The binary answer for a window of rows, packed on first use and kept with the snapshot. */
function matrixBody(handle: SnapshotHandle, offset: number, limit: number): Promise<Uint8Array> {
  return keptBody(handle.model, matrixKey(offset, limit), async () => matrixBytes(await handle.query((db) => packRows(db, handle.model.header.length, offset, limit))));
}

/** Actors up to which a newly served snapshot's whole matrix is packed ahead (4 MB); bigger ones are read in windows. */
const WARM_PACK_MAX = 4096;

/**
 * Reads a newly served snapshot's cell counts and, up to `packUpTo` actors, packs its whole matrix
 * and compresses it, in the background, so the first page opened after a nightly load gets the
 * heat map as fast as the next one does. The counts at any size: skipped past 4,096 actors, they
 * made the first JSON window of a 5,000-actor matrix wait 2 s for a scan of its 25 M cells.
 * Settles when done; a failure is left to the request path to report.
 */
export function warmMatrix(handle: SnapshotHandle, packUpTo = WARM_PACK_MAX): Promise<void> {
  const n = handle.model.header.length;
  if (n === 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, 0))
    .then(() => Promise.all([countsOf(handle), n <= packUpTo ? matrixBody(handle, 0, n).then(precompress) : null]))
    .then(
      () => {},
      () => {}, // a retired or unreadable snapshot: the request path reports it
    );
}

/**
 * True when the client asks for the binary matrix: `format=binary`, or an Accept header that
 * prefers application/octet-stream to JSON by q-value, as the CSV lists negotiate (`q=0` refuses
 * it); `format` is binary or json, and anything else a 400 (a typo must not quietly answer JSON).
 */
function wantsBinary(request: Request, query: URLSearchParams): boolean {
  const format = query.get("format");
  if (format === "binary") return true;
  if (format === "json") return false;
  if (format !== null) throw new HttpError(400, `format must be binary or json; got '${format.slice(0, 40)}'`, { code: "bad-parameter" });
  return prefersToJson(request.headers.get("accept"), "application/octet-stream");
}

function parseOffset(text: string | null): number {
  const value = text ?? "0";
  if (!/^\d+$/.test(value) || Number(value) > MAX_OFFSET) {
    throw new HttpError(400, `offset must be an integer from 0 to ${MAX_OFFSET}; got '${value.slice(0, 40)}'`, { code: "bad-parameter" });
  }
  return Number(value);
}

/** Whether a /changes cursor's key is what its SQL binds: an INTEGER version, a BIGINT row. */
const changesKeyFits = ([version, row]: Key) => Number.isInteger(version) && (version as number) >= 0 && (version as number) <= MAX_ID && Number.isSafeInteger(row) && row >= 0;

/** The version number query parameter `name` gives (null when left out); throws its 400 when it is not one. */
function versionParam(query: URLSearchParams, name: string): number | null {
  const text = query.get(name);
  // Versions are numbered from 1, as the document's `minimum: 1` says: 0 is a 400, not an empty list.
  if (text !== null && !/^[1-9]\d{0,8}$/.test(text)) {
    throw new HttpError(400, `${name} must be a version number, 1 or more; got '${text.slice(0, 40)}'`, { code: "bad-parameter" });
  }
  return text === null ? null : Number(text);
}

/** The versions `GET /changes?from=&to=` compares, as asked (null: left out, the oldest or newest held), or null for changes per version. */
interface RangeAsked {
  from: number | null;
  to: number | null;
}

/**
 * Returns the range `GET /changes` asks the net change of (`from`, `to`), or null when it asks for
 * neither; throws the 400 of a bad one, or of one given with `version` or `since` (per-version filters).
 */
function rangeAsked(query: URLSearchParams): RangeAsked | null {
  const from = versionParam(query, "from");
  const to = versionParam(query, "to");
  if (from === null && to === null) return null;
  for (const other of ["version", "since"]) {
    if (query.has(other)) {
      throw new HttpError(400, `${other} filters the changes of each version and cannot be combined with from/to, which net them; leave one out`, { code: "bad-parameter" });
    }
  }
  if (from !== null && to !== null && from > to) {
    throw new HttpError(400, `from=${from} is after to=${to}: from must be the earlier version (from=${to}&to=${from} gives what changed from ${to} to ${from})`, { code: "bad-parameter" });
  }
  return { from, to };
}

/** Whether a net /changes cursor's key is one it issues (its range is checked once the range is known). */
const netKeyFits = (key: Key) => netKeyAt(key) !== undefined && key[1] === 0;

/**
 * Returns the filter `GET /changes` asks for; throws the 400 of a bad parameter whether or not a
 * version is served (before the first load an actor names nobody, so it filters to nothing). An
 * empty value never gets here: App.handle() drops it, as the parameter left out.
 */
function changeFilter(model: RelationshipModel | undefined, query: URLSearchParams): ChangeFilter {
  const version = versionParam(query, "version");
  const since = instantParam(query, "since");
  const kind = query.get("kind") ?? "";
  const [first, second] = kind.split("-");
  const entities = ["actor", "pair"];
  const changes = ["added", "removed", "changed"];
  const entity = entities.includes(first) ? first : null;
  const change = changes.includes(second ?? "") ? second : changes.includes(first) ? first : null;
  if (kind !== "" && (entity === null && change === null || (second !== undefined && (entity === null || change === null)))) {
    throw new HttpError(400, `kind must be actor, pair, added, removed, changed or entity-change such as pair-added; got '${kind.slice(0, 40)}'`, { code: "bad-parameter" });
  }
  const actorText = query.get("actor");
  const amongText = query.get("among");
  let among: number[] | null = null;
  if (amongText !== null) {
    const ids = amongText.split(",");
    if (ids.length > MAX_AMONG || !ids.every((id) => /^\d{1,10}$/.test(id))) {
      throw new HttpError(400, `among must be at most ${MAX_AMONG} actor ids separated by commas; got '${amongText.slice(0, 40)}'`, { code: "bad-parameter" });
    }
    // An id past INTEGER names no actor: left out rather than a 500 from DuckDB's cast.
    among = ids.map(Number).filter((id) => id <= MAX_ID);
  }
  return {
    version,
    range: null,
    since: since === null ? null : utcTimestampText(since),
    actor: actorText === null ? null : model === undefined ? -1 : filterActor(model, actorText),
    actorCode: actorText === null || model === undefined ? null : unservedCode(model, actorText),
    entity: entity as ChangeFilter["entity"],
    change: change as ChangeFilter["change"],
    among,
  };
}

/** Adds the relationship routes to `router`. */
export function addRelationshipRoutes(router: Router, watcher: SnapshotWatcher): void {
  watcher.onServe((handle) => void warmMatrix(handle));
  router.add(
    "GET",
    "/actors",
    async (request, ctx) => {
      const model = currentSnapshot(watcher).model;
      const sortText = ctx.query.get("sort") ?? "degree";
      if (sortText !== "degree" && sortText !== "name" && sortText !== "id") {
        throw new HttpError(400, `sort must be one of degree, name, id; got '${sortText.slice(0, 40)}'`, { code: "bad-parameter" });
      }
      const sort = sortText as ActorSort;
      const q = fold(ctx.query.get("q")?.trim());
      const keep = q === "" ? () => true : (a: Actor) => model.searchText.get(a.id)!.includes(q);
      const { items: sorted, keyOf } = model.sorted[sort];
      if (wantsCsv(request, ctx.query)) {
        return csvAnswer(request, model.etag, ACTOR_COLUMNS, () => sorted.filter(keep).map(summary), "actors.csv");
      }
      const { limit, after } = pageQuery(ctx.query, sort, 50, 1000, sort === "name" ? textKey : integerKey);
      const page = pageAfter(sorted, keyOf, 1, after, keep, limit);
      return pageJson(request, ctx, model, page.items.map(summary), nextCursor(sort, page));
    },
    relationshipDocs.actors,
  );

  router.add(
    "GET",
    "/actors/:id",
    async (request, ctx) => {
      const model = currentSnapshot(watcher).model;
      const actor = resolveActor(model, ctx.params.id, "actor");
      return cachedJson(request, model, `actor:${actor.id}`, () => JSON.stringify(actor));
    },
    relationshipDocs.actor,
  );

  router.add(
    "GET",
    "/actors/:id/relationships",
    async (request, ctx) => {
      const model = currentSnapshot(watcher).model;
      const actor = resolveActor(model, ctx.params.id, "actor");
      if (wantsCsv(request, ctx.query)) {
        const items = relatedOf(model, actor.id) as unknown as Record<string, unknown>[];
        return csvAnswer(request, model.etag, ["id", "letter_code", "name", "outgoing", "incoming"], () => items, `actor-${actor.id}-relationships.csv`);
      }
      return cachedJson(request, model, `rel:${actor.id}`, () => JSON.stringify({ items: relatedOf(model, actor.id) }), true);
    },
    relationshipDocs.actorRelationships,
  );

  router.add(
    "GET",
    "/relationships",
    async (request, ctx) => {
      const model = currentSnapshot(watcher).model;
      const actorText = ctx.query.get("actor");
      // Indexed by actor: an actor's pairs come from its adjacency list, not a scan of every pair.
      const actorId = actorText === null ? null : filterActor(model, actorText);
      if (wantsCsv(request, ctx.query)) {
        const rows = () => (actorId === null ? allPairs(model) : pairsOf(model, actorId)) as Iterable<Record<string, unknown>>;
        return csvAnswer(request, model.etag, PAIR_COLUMNS, rows, "relationships.csv");
      }
      const { limit, after } = pageQuery(ctx.query, "pair", 100, 1000, integerKey);
      const keyOf = (p: Pair): Key => [p.person_a_id, p.person_b_id];
      const page = actorId === null ? pairPage(model, after, limit) : pageAfter(pairsOf(model, actorId), keyOf, 1, after, () => true, limit);
      return pageJson(request, ctx, model, page.items, nextCursor("pair", page));
    },
    relationshipDocs.relationships,
  );

  router.add(
    "GET",
    "/relationships/path",
    async (request, ctx) => {
      const model = currentSnapshot(watcher).model;
      const from = resolveActor(model, ctx.query.get("from"), "from", 400).id;
      const to = resolveActor(model, ctx.query.get("to"), "to", 400).id;
      const build = () => {
        const path = shortestPath(model, from, to);
        if (path === undefined) throw new HttpError(404, `No chain of relationships links actor ${from} to actor ${to}`, { code: "no-path" });
        return Buffer.from(JSON.stringify({ path: path.map((id) => summary(model.actors.get(id)!)), length: path.length - 1 }), "utf8");
      };
      // The 404 first: a precondition must not turn "no such chain" into 304 (RFC 9110 13.2.1).
      const body = await keptBody(model, `path:${from}:${to}`, build);
      return cachedBody(request, model, `path:${from}:${to}`, () => body, "application/json; charset=utf-8");
    },
    relationshipDocs.path,
  );

  router.add(
    "GET",
    "/relationships/subgraph",
    async (request, ctx) => {
      const model = currentSnapshot(watcher).model;
      const limit = parseLimit(ctx.query.get("limit"), 100, 1000);
      const aroundText = ctx.query.get("around");
      const around = aroundText === null ? null : resolveActor(model, aroundText, "around", 400);
      const includeList = ctx.query.get("include")?.split(",") ?? [];
      if (includeList.length > MAX_INCLUDE) {
        throw new HttpError(400, `include names at most ${MAX_INCLUDE} actors; got ${includeList.length}`, { code: "bad-parameter" });
      }
      const include = includeList.map((t) => resolveActor(model, t, "include", 400));
      const key = `subgraph:${around?.id ?? ""}:${limit}:${include.map((a) => a.id).join(",")}`;
      return cachedJson(request, model, key, () => JSON.stringify(subgraph(model, limit, around, include)));
    },
    relationshipDocs.subgraph,
  );

  router.add(
    "GET",
    "/matrix",
    async (request, ctx) => {
      const handle = currentSnapshot(watcher);
      const model = handle.model;
      const n = model.header.length;
      const offset = parseOffset(ctx.query.get("offset"));
      const binary = wantsBinary(request, ctx.query);
      // The binary form is another representation: its own strong validator, as CSV's (RFC 9110 8.8.3).
      const etag = binary ? formEtag(model.etag, "bin") : model.etag;
      const headers = { etag, "cache-control": "no-cache", vary: "Accept" };
      // The whole binary matrix by default: at 2 bits a cell even 4,096 actors are 4 MB before compression.
      const limit = binary ? parseLimit(ctx.query.get("limit"), Math.max(1, n), 16_384) : parseLimit(ctx.query.get("limit"), 200, 2000);
      // Only after the parameters are valid: a 400 stays a 400 whatever If-None-Match says.
      const unchanged = readPreconditions(request, etag, headers);
      if (unchanged) return unchanged;
      // Rows past the end are no rows: limit=3001 and limit=3002 are the same answer, one kept body.
      const rows = offset < n ? Math.min(limit, n - offset) : 1;
      if (binary) {
        const body = await matrixBody(handle, offset, rows);
        return send(body, 200, { ...headers, "content-type": "application/octet-stream" });
      }
      return cachedBody(
        request,
        model,
        `matrix:${offset}:${rows}`,
        async () => {
          const [counts, window] = await Promise.all([countsOf(handle), handle.query((db) => db.all<{ position: number; cells: string }>(SNAPSHOT_MATRIX_WINDOW, [offset, offset + limit]))]);
          const text = new Map(window.map((r) => [r.position, r.cells]));
          const rows = [];
          // Row i is header position i; an actor of the header without a data row is a blank row.
          for (let p = offset; p < Math.min(n, offset + limit); p++) rows.push({ id: model.header[p].id, cells: text.get(p) ?? ".".repeat(n) });
          return Buffer.from(JSON.stringify({ actors: model.header, rows, total: n, offset, counts, layout: model.layout }), "utf8");
        },
        "application/json; charset=utf-8",
        true,
      );
    },
    relationshipDocs.matrix,
  );

  router.add(
    "GET",
    "/findings",
    async (request, ctx) => {
      const model = currentSnapshot(watcher).model;
      if (wantsCsv(request, ctx.query)) {
        // A value the check kept none for is an empty item, as `cells` lists them (not "null").
        const rows = () => model.findings.map((f) => ({ ...f, values: f.values?.map((v) => v ?? "") }));
        return csvAnswer(request, model.etag, ["check", "severity", "message", "cells", "count", "values"], rows, "findings.csv");
      }
      return cachedJson(request, model, "findings", () => JSON.stringify({ items: model.findings, version_id: model.versionId }), true);
    },
    relationshipDocs.findings,
  );

  router.add(
    "GET",
    "/versions",
    async (request, ctx) => {
      const handle = servedOrNone(watcher);
      const { limit, after } = pageQuery(ctx.query, "version", 50, 1000, integerKey);
      // Before the first load there is simply no version: an empty list, not an error, so a
      // first-run page can tell "nothing yet" from "broken" (an unreadable file: servedOrNone's 503).
      const all = handle === undefined ? [] : await listVersions(handle);
      const page = pageAfter(all, (v): Key => [-v.version_id, v.version_id], 1, after, () => true, limit);
      const next = nextCursor("version", page);
      const headers: Record<string, string> = { "cache-control": "no-cache" };
      if (handle !== undefined) headers.etag = handle.model.etag;
      if (next !== null) headers.link = linkNext(ctx, next);
      const unchanged = readPreconditions(request, handle?.model.etag, headers);
      if (unchanged) return unchanged;
      return jsonText(JSON.stringify({ items: page.items, current_version_id: handle?.model.versionId ?? null, next_cursor: next }), 200, headers);
    },
    relationshipDocs.versions,
  );

  router.add(
    "GET",
    "/changes",
    async (request, ctx) => {
      const handle = servedOrNone(watcher);
      const headers: Record<string, string> = { "cache-control": "no-cache", vary: "Accept" };
      // Parameters first, as everywhere: version=0 or a bad cursor is a 400 before the first load too.
      const filter = changeFilter(handle?.model, ctx.query);
      const range = rangeAsked(ctx.query);
      const csv = wantsCsv(request, ctx.query);
      const { limit, after } = csv
        ? { limit: 0, after: undefined }
        : range === null ? pageQuery(ctx.query, "changes", 100, 1000, changesKeyFits) : pageQuery(ctx.query, NET_CURSOR, 100, 1000, netKeyFits);
      if (handle === undefined) {
        // No history yet: it holds no version either, so one asked for is the 404 of any version it
        // does not hold (an empty list would say that version changed nothing).
        if (filter.version !== null) throw versionNotHeld("version", filter.version, []);
        if (range?.from != null) throw versionNotHeld("from", range.from, []);
        if (range?.to != null) throw versionNotHeld("to", range.to, []);
        if (csv) return csvResponse(CHANGE_COLUMNS, [], "changes.csv", headers);
        return jsonText('{"items":[],"next_cursor":null}', 200, headers);
      }
      // Held for the whole request: it reads the versions, then pages (and the names of removed
      // actors), and a publication in between must not close the file under the later reads.
      return handle.during(() => changesAnswer(request, ctx, handle, filter, range, csv, after, limit, headers));
    },
    relationshipDocs.changes,
  );
}

/** The answer of `GET /changes` from a snapshot the caller holds. */
async function changesAnswer(
  request: Request,
  ctx: Context,
  handle: SnapshotHandle,
  filter: ChangeFilter,
  range: RangeAsked | null,
  csv: boolean,
  after: Key | undefined,
  limit: number,
  headers: Record<string, string>,
): Promise<Response> {
  if (filter.actorCode !== null) {
    // A code no served actor has: the actor the history names by it once removed (the answers name
    // removed actors by their last code), so `actor=C` and `actor=3` list the same changes.
    const ids = await removedActorIds(handle, filter.actorCode);
    if (ids.length > 1) throw ambiguousCode(`actor=${filter.actorCode}: letter code '${filter.actorCode}'`, ids);
    if (ids.length === 1) filter = { ...filter, actor: ids[0] };
  }
  // A version the history does not hold (not loaded yet, or before a restarted history) is not
  // "nothing changed": an empty list would say it was.
  const versions = filter.version === null && range === null ? [] : await listVersions(handle);
  const held = (name: string, version: number) => {
    if (!versions.some((v) => v.version_id === version)) throw versionNotHeld(name, version, versions);
    return version;
  };
  if (filter.version !== null) held("version", filter.version);
  if (range !== null) {
    // Left out: the oldest version the history holds (its baseline), the newest (the one served).
    const from = range.from === null ? (versions.at(-1)?.version_id ?? 0) : held("from", range.from);
    const to = range.to === null ? (versions[0]?.version_id ?? 0) : held("to", range.to);
    if (from > to) {
      throw new HttpError(400, `from=${from} is after to=${to}, the ${range.to === null ? "newest" : "asked"} version: from must be the earlier version`, { code: "bad-parameter" });
    }
    filter = { ...filter, range: { from, to } };
    if (after !== undefined && netKeyAt(after)?.range !== netRangeKey(filter.range!)) throw new HttpError(400, "The cursor is not one this endpoint issued for this from/to; start again without it", { code: "bad-cursor" });
  }
  if (csv) {
    // Streamed a page at a time (held until the body ends or is cancelled): a history of millions
    // of changes is never in memory whole, and its first bytes go before the last page is read.
    return csvAnswer(request, handle.model.etag, CHANGE_COLUMNS, () => handle.holding(allChanges(handle, filter)), "changes.csv");
  }
  headers.etag = handle.model.etag;
  const unchanged = readPreconditions(request, handle.model.etag, headers);
  if (unchanged) return unchanged;
  const page = await changesPage(handle, filter, after, limit);
  if (page.next_cursor !== null) headers.link = linkNext(ctx, page.next_cursor);
  return jsonText(JSON.stringify(page), 200, headers);
}

/** The 404 of `GET /changes?version=N` (or `from`, `to`: `name`) for a version the history (`versions`, newest first; none before the first load) does not hold. */
function versionNotHeld(name: string, version: number, versions: readonly Version[]): HttpError {
  const held = versions.length === 0
    ? "no version has been published yet; run `npm run etl` first"
    : `it carries versions ${versions.at(-1)!.version_id} to ${versions[0].version_id}`;
  return new HttpError(404, `${name}=${version} names a version the relationship history does not hold: ${held}`, { code: "not-found" });
}

/** Every change matching `filter`, read in keyset pages of 10,000 as the consumer asks for them. */
async function* allChanges(handle: SnapshotHandle, filter: ChangeFilter): AsyncGenerator<Record<string, unknown>> {
  let after: Key | undefined;
  do {
    const page = await changesPage(handle, filter, after, 10_000);
    yield* page.items as unknown as Record<string, unknown>[];
    after = page.next_cursor === null ? undefined : decodeCursor(filter.range === null ? "changes" : NET_CURSOR, page.next_cursor);
  } while (after !== undefined);
}
