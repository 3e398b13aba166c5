/**
 * Read-only relationship endpoints over the published snapshot: /actors, /actors/{id},
 * /actors/{id}/relationships, /relationships, /relationships/path, /matrix, /findings.
 * Everything but /matrix answers from memory; every answer carries the snapshot's ETag.
 */
import { HttpError } from "../http/http_error.ts";
import { fold } from "../../etl/text/mod.ts";
import { nextCursor, pageAfter, pageQuery, parseLimit, type Key } from "../http/keyset.ts";
import { csvResponse, wantsCsv } from "../http/csv_response.ts";
import { empty, etagMatches, jsonText, send } from "../http/respond.ts";
import type { Context, Router } from "../http/router.ts";
import { parseId } from "../http/parse_id.ts";
import { PAIR_COLUMNS, relationshipDocs } from "./relationship_docs.ts";
import type { Actor, ActorSort, ActorSummary, Pair, RelationshipModel } from "./relationship_model.ts";
import { shortestPath } from "./relationship_model.ts";
import type { SnapshotHandle, SnapshotWatcher } from "./snapshot_watcher.ts";
import { SNAPSHOT_MATRIX_COUNT, SNAPSHOT_MATRIX_ROWS } from "./snapshot_sql.ts";
import { linkNext } from "../http/link_header.ts";

const ACTOR_COLUMNS = ["id", "letter_code", "name", "degree", "in_matrix", "in_list", "unknown_cells"] as const;
const BODY_CACHE_LIMIT = 20_000;

/** Returns the snapshot being served, or throws 503 when the ETL has not published one yet. */
export function currentSnapshot(watcher: SnapshotWatcher): SnapshotHandle {
  const handle = watcher.current();
  if (handle === undefined) {
    throw new HttpError(503, "No relationship version has been published yet; run `npm run etl` first", {
      code: "no-snapshot",
      headers: { "retry-after": "5" },
    });
  }
  return handle;
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
function cachedJson(request: Request, model: RelationshipModel, key: string, build: () => string, csvToo = false): Response {
  const headers: Record<string, string> = { etag: model.etag, "cache-control": "no-cache" };
  if (csvToo) headers.vary = "Accept";
  if (etagMatches(request.headers.get("if-none-match"), model.etag)) return empty(304, headers);
  let body = model.bodies.get(key);
  if (body === undefined) {
    body = Buffer.from(build(), "utf8");
    if (model.bodies.size < BODY_CACHE_LIMIT) model.bodies.set(key, body);
  }
  headers["content-type"] = "application/json; charset=utf-8";
  return send(body, 200, headers);
}

// One page of a snapshot list: the snapshot's ETag (304 when it still matches), Link to the next page.
function pageJson(request: Request, ctx: Context, model: RelationshipModel, items: unknown[], next: string | null): Response {
  const headers: Record<string, string> = { etag: model.etag, "cache-control": "no-cache", vary: "Accept" };
  if (next !== null) headers.link = linkNext(ctx, next);
  if (etagMatches(request.headers.get("if-none-match"), model.etag)) return empty(304, headers);
  return jsonText(JSON.stringify({ items, next_cursor: next }), 200, headers);
}

function actorOr404(model: RelationshipModel, idText: string): Actor {
  const id = parseId(idText, "actor");
  const actor = model.actors.get(id);
  if (actor === undefined) throw new HttpError(404, `No actor has id ${id} in version ${model.versionId ?? "?"}`, { code: "not-found" });
  return actor;
}

/** Adds the relationship routes to `router`. */
export function addRelationshipRoutes(router: Router, watcher: SnapshotWatcher): void {
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
        return csvResponse(ACTOR_COLUMNS, sorted.filter(keep).map(summary), "actors.csv", { etag: model.etag });
      }
      const { limit, after } = pageQuery(ctx.query, sort, 50, 1000);
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
      const actor = actorOr404(model, ctx.params.id);
      return cachedJson(request, model, `actor:${actor.id}`, () => JSON.stringify(actor));
    },
    relationshipDocs.actor,
  );

  router.add(
    "GET",
    "/actors/:id/relationships",
    async (request, ctx) => {
      const model = currentSnapshot(watcher).model;
      const actor = actorOr404(model, ctx.params.id);
      if (wantsCsv(request, ctx.query)) {
        return csvResponse(["id", "letter_code", "name", "outgoing", "incoming"], (model.adjacency.get(actor.id) ?? []) as unknown as Record<string, unknown>[], `actor-${actor.id}-relationships.csv`);
      }
      return cachedJson(request, model, `rel:${actor.id}`, () => JSON.stringify({ items: model.adjacency.get(actor.id) ?? [] }), true);
    },
    relationshipDocs.actorRelationships,
  );

  router.add(
    "GET",
    "/relationships",
    async (request, ctx) => {
      const model = currentSnapshot(watcher).model;
      const actorText = ctx.query.get("actor");
      let pairs: Pair[] = model.pairs;
      if (actorText !== null && actorText !== "") {
        const id = parseId(actorText, "actor", 400);
        pairs = pairs.filter((p) => p.person_a_id === id || p.person_b_id === id);
      }
      if (wantsCsv(request, ctx.query)) return csvResponse(PAIR_COLUMNS, pairs as unknown as Record<string, unknown>[], "relationships.csv", { etag: model.etag });
      const { limit, after } = pageQuery(ctx.query, "pair", 100, 1000);
      const keyOf = (p: Pair): Key => [p.person_a_id, p.person_b_id];
      const page = pageAfter(pairs, keyOf, 1, after, () => true, limit);
      return pageJson(request, ctx, model, page.items, nextCursor("pair", page));
    },
    relationshipDocs.relationships,
  );

  router.add(
    "GET",
    "/relationships/path",
    async (request, ctx) => {
      const model = currentSnapshot(watcher).model;
      const from = parseId(ctx.query.get("from"), "from", 400);
      const to = parseId(ctx.query.get("to"), "to", 400);
      for (const id of [from, to]) {
        if (!model.actors.has(id)) throw new HttpError(404, `No actor has id ${id}`, { code: "not-found" });
      }
      return cachedJson(request, model, `path:${from}:${to}`, () => {
        const path = shortestPath(model, from, to);
        if (path === undefined) throw new HttpError(404, `No chain of relationships links actor ${from} to actor ${to}`, { code: "no-path" });
        return JSON.stringify({ path: path.map((id) => summary(model.actors.get(id)!)), length: path.length - 1 });
      });
    },
    relationshipDocs.path,
  );

  router.add(
    "GET",
    "/matrix",
    async (request, ctx) => {
      const handle = currentSnapshot(watcher);
      const model = handle.model;
      const limit = parseLimit(ctx.query.get("limit"), 200, 2000);
      const offsetText = ctx.query.get("offset") ?? "0";
      if (!/^\d{1,9}$/.test(offsetText)) throw new HttpError(400, `offset must be a non-negative integer; got '${offsetText.slice(0, 40)}'`, { code: "bad-parameter" });
      const offset = Number(offsetText);
      const headers = { etag: model.etag, "cache-control": "no-cache" };
      if (etagMatches(request.headers.get("if-none-match"), model.etag)) return empty(304, headers);
      const { rows, total } = await handle.query(async (db) => ({
        rows: await db.all<{ id: number; cells: string }>(SNAPSHOT_MATRIX_ROWS, [limit, offset]),
        total: (await db.one<{ n: number }>(SNAPSHOT_MATRIX_COUNT))?.n ?? 0,
      }));
      let cachedHeader = model.bodies.get("matrix-header");
      if (cachedHeader === undefined) {
        const inMatrix = [...model.actors.values()].filter((a) => a.matrix_position !== null).sort((a, b) => a.matrix_position! - b.matrix_position!);
        cachedHeader = Buffer.from(JSON.stringify(inMatrix.map((a) => ({ id: a.id, letter_code: a.letter_code }))), "utf8");
        model.bodies.set("matrix-header", cachedHeader);
      }
      const header = cachedHeader.toString("utf8");
      return jsonText(`{"actors":${header},"rows":${JSON.stringify(rows)},"total":${total},"offset":${offset}}`, 200, headers);
    },
    relationshipDocs.matrix,
  );

  router.add(
    "GET",
    "/findings",
    async (request, ctx) => {
      const model = currentSnapshot(watcher).model;
      if (wantsCsv(request, ctx.query)) {
        return csvResponse(["check", "severity", "message", "cells", "count"], model.findings as unknown as Record<string, unknown>[], "findings.csv", { etag: model.etag });
      }
      return cachedJson(request, model, "findings", () => JSON.stringify({ items: model.findings, version_id: model.versionId }), true);
    },
    relationshipDocs.findings,
  );
}
