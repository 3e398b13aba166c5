/**
 * A plain table over HTTP (`/<table>`, `/<table>/:id`): list (its filters, sorts, keyset pages,
 * optional total), one (ETag, If-None-Match), create (201, Location, Idempotency-Key), replace,
 * merge-patch and delete (If-Match, If-None-Match), with the contacts' semantics and problem
 * documents: the same helpers (api/contacts/contacts_routes.ts) and the same validation, derived
 * from the table's definition.
 */
import { sortFields, tableFilterNames, validateRecord, type ContactInput } from "../../etl/contacts/mod.ts";
import { fingerprint, writtenBody } from "../contacts/contacts_store.ts";
import {
  checkIfNoneMatch,
  conditionalWrite,
  cursorKeyFits,
  idempotencyKeyOf,
  invalid,
  listBody,
  listFilters,
  parseIfMatch,
  parseSort,
  replayed,
  tooManyDownloads,
  wantsTotal,
  writeRefused,
} from "../contacts/contacts_routes.ts";
import { csvAnswer, firstRowRead, wantsCsv } from "../http/csv_response.ts";
import { HttpError } from "../http/http_error.ts";
import { nextCursor, pageQuery } from "../http/keyset.ts";
import { linkNext } from "../http/link_header.ts";
import { readJson } from "../http/request_body.ts";
import { empty, readPreconditions, send, writePreconditions } from "../http/respond.ts";
import type { Context, Router } from "../http/router.ts";
import { parseId } from "../http/parse_id.ts";
import { tableDocs } from "./table_docs.ts";
import type { TableEntry, TableStore } from "./table_store.ts";

function entryResponse(entry: TableEntry, status: number, extra?: Record<string, string>, fixes: Parameters<typeof writtenBody>[1] = []): Response {
  const body = writtenBody(entry, fixes);
  return send(body, status, { "content-type": "application/json; charset=utf-8", etag: entry.etag, "cache-control": "no-cache", ...extra });
}

/**
 * Adds the routes of `store`'s table at `/<table>`; a TypeError when a route added before begins
 * with that segment (`/runs/...`, `/web/*`: the table's or the other's paths would be unreachable).
 */
export function addTableRoutes(router: Router, store: TableStore): void {
  const record = store.record;
  const name = record.name;
  const base = `/${record.table}`;
  const taken = router.routes().find((r) => r.pattern.split("/")[1] === record.table);
  if (taken !== undefined) throw new TypeError(`The table '${record.table}' cannot be served at ${base}: the route ${taken.method} ${taken.pattern} takes that path`);
  const docs = tableDocs(record);
  const sorts = sortFields(record);
  const filterNames = tableFilterNames(record);
  const csvColumns = ["id", ...record.fields.map((f) => f.name), "created_at", "updated_at"];

  router.add(
    "GET",
    base,
    async (request, ctx) => {
      const filters = listFilters(ctx.query, filterNames);
      const sort = parseSort(ctx.query.get("sort"), sorts);
      const order = { field: sort.field, descending: sort.direction === -1 };
      // Checked before the CSV answer too, as for contacts: a typo is a 400 in either form.
      const withTotal = wantsTotal(ctx.query);
      if (wantsCsv(request, ctx.query)) {
        return csvAnswer(request, undefined, csvColumns, () => {
          const rows = store.download(filters, order);
          if (rows === undefined) throw tooManyDownloads(record.table);
          return firstRowRead(rows);
        }, `${record.table}.csv`);
      }
      const { limit, after } = pageQuery(ctx.query, sort.name, 50, 1000, (key) => cursorKeyFits(sort.field, key));
      // Vary: the same URL answers CSV to an Accept of text/csv.
      const headers: Record<string, string> = { "cache-control": "no-cache", vary: "Accept" };
      // No ETag: If-Match holds for `*` only, and If-None-Match: * is a 304 (the list exists).
      const unchanged = readPreconditions(request, undefined, headers);
      if (unchanged) return unchanged;
      const page = await store.page(filters, order, after, limit, withTotal);
      const next = nextCursor(sort.name, page);
      headers["content-type"] = "application/json; charset=utf-8";
      if (next !== null) headers.link = linkNext(ctx, next);
      return send(listBody(page, next), 200, headers);
    },
    docs.list,
  );

  router.add(
    "GET",
    `${base}/:id`,
    async (request, ctx) => {
      const entry = await store.get(parseId(ctx.params.id, name));
      if (entry === undefined) throw new HttpError(404, `No ${name} has id ${ctx.params.id}`, { code: "not-found" });
      const unchanged = readPreconditions(request, entry.etag, { etag: entry.etag, "cache-control": "no-cache" });
      if (unchanged) return unchanged;
      return entryResponse(entry, 200);
    },
    docs.get,
  );

  router.add(
    "POST",
    base,
    async (request) => {
      // The target is the list, which exists and has no ETag: If-None-Match: * is false, If-Match holds for `*` only.
      writePreconditions(request, undefined, true, `the ${record.table} list`);
      const key = idempotencyKeyOf(request);
      const { value, text } = await readJson(request);
      // The path is part of the fingerprint: the keys' table is shared with POST /contacts, and a
      // key sent there first must not replay a contact's answer here (it is a 422 instead).
      const print = fingerprint(`POST ${base}\n${text}`);
      if (key !== null) {
        const previous = await store.idempotent(key);
        if (previous !== undefined) return replayed(previous, print);
      }
      const result = validateRecord(record, value, "create");
      if (!result.ok) throw invalid(result.errors, name);
      const created = await store.create(
        result.value as ContactInput,
        key === null
          ? undefined
          : {
              key,
              fingerprint: print,
              respond: (entry) => ({ status: 201, location: `${base}/${entry.view.id}`, body: writtenBody(entry, result.fixes) }),
            },
      );
      if (created.replay !== undefined) return replayed(created.replay, print);
      return entryResponse(created.entry, 201, { location: `${base}/${created.entry.view.id}` }, result.fixes);
    },
    docs.create,
  );

  async function write(request: Request, ctx: Context, mode: "replace" | "patch"): Promise<Response> {
    const { entry, fixes } = await conditionalWrite(request, ctx, mode, store, name);
    return entryResponse(entry, 200, undefined, fixes);
  }

  router.add("PUT", `${base}/:id`, (request, ctx) => write(request, ctx, "replace"), docs.replace);
  router.add("PATCH", `${base}/:id`, (request, ctx) => write(request, ctx, "patch"), docs.patch);

  router.add(
    "DELETE",
    `${base}/:id`,
    async (request, ctx) => {
      const id = parseId(ctx.params.id, name);
      await checkIfNoneMatch(request, store, id, name);
      await store.delete(id, parseIfMatch(request.headers.get("if-match"))).catch(writeRefused(request, id, name));
      return empty(204);
    },
    docs.remove,
  );
}
