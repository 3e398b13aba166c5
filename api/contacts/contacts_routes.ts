/**
 * Contacts over HTTP: list (filters, sort, keyset pages, optional total, CSV), one, create
 * (Idempotency-Key), replace, merge-patch, delete (If-Match), departments, and the CSV import.
 * Reads come from the store's memory; writes go through its queue.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IMPORT_CONTACTS_PATH, SOURCE_NAME_HEADER } from "../../etl/handover/mod.ts";
import { ContactsCsvError, contactRecord, recordJsonSchema, validateRecord, type ContactInput, type RecordDefinition } from "../../etl/contacts/mod.ts";
import { HttpError } from "../http/http_error.ts";
import { ContactWriteError, fingerprint, SORT_FIELDS, type ContactEntry, type ContactsStore, type SortField } from "./contacts_store.ts";
import { csvResponse, wantsCsv } from "../http/csv_response.ts";
import { fold } from "../../etl/text/mod.js";
import { nextCursor, pageAfter, pageQuery } from "../http/keyset.ts";
import { linkNext } from "../http/link_header.ts";
import { readJson } from "../http/request_body.ts";
import { empty, etagMatches, json, jsonText, send } from "../http/respond.ts";
import type { Context, Router } from "../http/router.ts";
import { parseId } from "../http/parse_id.ts";
import { contactDocs } from "./contacts_docs.ts";

const LIST_PARAMS = new Set(["state", "city", "department", "company", "q", "sort", "limit", "cursor", "count", "format"]);

/**
 * Parses If-Match into the versions it names (undefined: no header or `*`).
 *
 * @example
 * ```ts
 * parseIfMatch('"3", "4"') // [3, 4]
 * ```
 */
export function parseIfMatch(header: string | null): number[] | undefined {
  if (header === null || header.trim() === "*") return undefined;
  const versions: number[] = [];
  for (const part of header.split(",")) {
    // If-Match uses strong comparison: a weak tag (W/"3") never matches, so it is not listed.
    const m = /^"(\d{1,9})"$/.exec(part.trim());
    if (m !== null) versions.push(Number(m[1]));
  }
  return versions;
}

function writeError(error: unknown): never {
  if (error instanceof ContactWriteError) {
    const status = error.code === "not-found" ? 404 : error.code === "duplicate-email" ? 409 : 412;
    throw new HttpError(status, error.message, { code: error.code, errors: error.code === "duplicate-email" ? [{ field: "email", message: "is already used by another contact" }] : undefined });
  }
  throw error;
}

/** 404, or 412 for `If-Match: *` (RFC 9110: it only holds when the resource exists). */
function missing(request: Request, id: number): HttpError {
  if (request.headers.get("if-match")?.trim() === "*") {
    return new HttpError(412, `If-Match: * requires contact ${id} to exist, and it does not`, { code: "stale" });
  }
  return new HttpError(404, `No contact has id ${id}`, { code: "not-found" });
}

function invalid(errors: { field: string; message: string }[]): HttpError {
  return new HttpError(422, `The contact has ${errors.length} invalid field${errors.length === 1 ? "" : "s"}`, { code: "validation", errors });
}

function entryResponse(entry: ContactEntry, status: number, extra?: Record<string, string>): Response {
  return send(entry.bytes, status, { "content-type": "application/json; charset=utf-8", etag: entry.etag, "cache-control": "no-cache", ...extra });
}

/**
 * Drops read-only fields that repeat the stored values, so a contact read with GET can be sent back
 * with PUT as is; read-only fields with other values still reach validation and fail there.
 */
function withoutEchoedReadOnly(body: unknown, current: ContactEntry): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const field of ["id", "created_at", "updated_at"] as const) {
    if (Object.hasOwn(copy, field) && copy[field] === current.view[field]) delete copy[field];
  }
  return copy;
}

function parseSort(text: string | null): { field: SortField; direction: 1 | -1; name: string } {
  const raw = text === null || text === "" ? "id" : text;
  const direction = raw.startsWith("-") ? -1 : 1;
  const field = raw.replace(/^[-+]/, "");
  if (!(SORT_FIELDS as readonly string[]).includes(field)) {
    throw new HttpError(400, `sort must be one of ${SORT_FIELDS.join(", ")} (prefix - for descending); got '${raw.slice(0, 40)}'`, { code: "bad-parameter" });
  }
  return { field: field as SortField, direction, name: `${direction === -1 ? "-" : ""}${field}` };
}

function listFilter(store: ContactsStore, query: URLSearchParams): (entry: ContactEntry) => boolean {
  for (const name of query.keys()) {
    if (!LIST_PARAMS.has(name)) throw new HttpError(400, `Unknown query parameter '${name.slice(0, 40)}'; use ${[...LIST_PARAMS].join(", ")}`, { code: "bad-parameter" });
  }
  const tests: ((e: ContactEntry) => boolean)[] = [];
  const state = query.get("state")?.trim();
  if (state) tests.push((e) => e.view.state === state.toUpperCase());
  const city = query.get("city")?.trim();
  if (city) {
    const folded = fold(city);
    tests.push((e) => fold(e.view.city) === folded);
  }
  const company = query.get("company")?.trim();
  if (company) {
    const folded = fold(company);
    tests.push((e) => fold(e.view.company_name).includes(folded));
  }
  const department = query.get("department")?.trim();
  if (department) {
    const name = store.departmentName(department);
    tests.push(name === undefined ? () => false : (e) => e.view.departments.includes(name));
  }
  const q = query.get("q")?.trim();
  if (q) {
    const folded = fold(q);
    tests.push((e) => e.search.includes(folded));
  }
  if (tests.length === 0) return () => true;
  return (e) => {
    for (const t of tests) if (!t(e)) return false;
    return true;
  };
}

/** Adds the contacts routes, /departments and POST /imports/contacts. */
export function addContactRoutes(router: Router, store: ContactsStore): void {
  // Everything below follows the store's record definition: a field added there is accepted,
  // validated, returned and exported without a change here.
  const csvColumns = ["id", ...store.record.fields.map((f) => f.name), "departments", "created_at", "updated_at"];
  const pageCache = { generation: -1, pages: new Map<string, { body: Buffer; link: string | undefined }>() };
  router.add(
    "GET",
    "/contacts",
    async (request, ctx) => {
      const keep = listFilter(store, ctx.query);
      const sort = parseSort(ctx.query.get("sort"));
      const { rows } = store.sorted(sort.field, sort.direction);
      if (wantsCsv(request, ctx.query)) {
        const matching = rows.filter((r) => keep(r.entry)).map((r) => r.entry.view);
        return csvResponse(csvColumns, matching, "contacts.csv");
      }
      const { limit, after } = pageQuery(ctx.query, sort.name, 50, 1000);
      const countText = ctx.query.get("count");
      if (countText !== null && countText !== "true" && countText !== "false") {
        throw new HttpError(400, `count must be true or false; got '${countText.slice(0, 40)}'`, { code: "bad-parameter" });
      }
      const etag = `W/"g${store.boot}-${store.generation}"`;
      const headers: Record<string, string> = { etag, "cache-control": "no-cache", vary: "Accept" };
      if (etagMatches(request.headers.get("if-none-match"), etag)) return empty(304, headers);
      // Identical list requests between two writes get the same bytes: keep the last pages built.
      const cacheKey = ctx.query.toString();
      if (pageCache.generation !== store.generation) {
        pageCache.generation = store.generation;
        pageCache.pages.clear();
      }
      let cached = pageCache.pages.get(cacheKey);
      if (cached === undefined) {
        const page = pageAfter(rows, (r) => r.key, sort.direction, after, (r) => keep(r.entry), limit);
        const next = nextCursor(sort.name, page);
        let body = `{"items":[${page.items.map((r) => r.entry.json).join(",")}],"next_cursor":${JSON.stringify(next)}`;
        if (countText === "true") {
          let total = 0;
          for (const r of rows) if (keep(r.entry)) total++;
          body += `,"total":${total}`;
        }
        // Kept as bytes: encoding ~18 KB of UTF-8 per request would be most of the work.
        cached = { body: Buffer.from(body + "}", "utf8"), link: next === null ? undefined : linkNext(ctx, next) };
        if (pageCache.pages.size >= 500) pageCache.pages.delete(pageCache.pages.keys().next().value!);
        pageCache.pages.set(cacheKey, cached);
      }
      if (cached.link !== undefined) headers.link = cached.link;
      headers["content-type"] = "application/json; charset=utf-8";
      return send(cached.body, 200, headers);
    },
    contactDocs.list,
  );

  router.add(
    "GET",
    "/contacts/:id",
    async (request, ctx) => {
      const entry = store.get(parseId(ctx.params.id, "contact"));
      if (entry === undefined) throw new HttpError(404, `No contact has id ${ctx.params.id}`, { code: "not-found" });
      if (etagMatches(request.headers.get("if-none-match"), entry.etag)) return empty(304, { etag: entry.etag, "cache-control": "no-cache" });
      return entryResponse(entry, 200);
    },
    contactDocs.get,
  );

  router.add(
    "POST",
    "/contacts",
    async (request) => {
      const key = request.headers.get("idempotency-key");
      if (key !== null && !/^[\x21-\x7e]{1,200}$/.test(key)) {
        throw new HttpError(400, "Idempotency-Key must be 1 to 200 visible ASCII characters", { code: "bad-idempotency-key" });
      }
      const { value, text } = await readJson(request);
      const print = fingerprint(text);
      if (key !== null) {
        const previous = store.idempotent(key);
        if (previous !== undefined) return replay(previous, print);
      }
      const result = validateRecord(store.record, value, "create");
      if (!result.ok) throw invalid(result.errors);
      const created = await store
        .create(result.value as ContactInput, key === null ? undefined : {
          key,
          fingerprint: print,
          respond: (entry) => ({ status: 201, location: `/contacts/${entry.view.id}`, body: entry.json }),
        })
        .catch(writeError);
      if (created.replay !== undefined) return replay(created.replay, print);
      return entryResponse(created.entry, 201, { location: `/contacts/${created.entry.view.id}` });
    },
    contactDocs.create,
  );

  function replay(previous: { fingerprint: string; status: number; location: string | null; body: string }, print: string): Response {
    if (previous.fingerprint !== print) {
      throw new HttpError(422, "This Idempotency-Key was already used with a different request body", { code: "idempotency-key-reused" });
    }
    const headers: Record<string, string> = { "idempotent-replayed": "true" };
    if (previous.location !== null) headers.location = previous.location;
    const id = previous.location === null ? undefined : Number(previous.location.split("/").pop());
    const now = id === undefined ? undefined : store.get(id);
    if (now !== undefined) headers.etag = now.etag;
    return jsonText(previous.body, previous.status, headers);
  }

  async function write(request: Request, ctx: Context, mode: "replace" | "patch"): Promise<Response> {
    const id = parseId(ctx.params.id, "contact");
    const { value } = await readJson(request);
    const current = store.get(id);
    if (current === undefined) throw missing(request, id);
    const result = validateRecord(store.record, withoutEchoedReadOnly(value, current), mode);
    if (!result.ok) throw invalid(result.errors);
    const entry = await store
      .update(id, result.value as ContactInput, { ifMatch: parseIfMatch(request.headers.get("if-match")), partial: mode === "patch" })
      .catch(writeError);
    return entryResponse(entry, 200);
  }

  router.add("PUT", "/contacts/:id", (request, ctx) => write(request, ctx, "replace"), contactDocs.replace);

  router.add("PATCH", "/contacts/:id", (request, ctx) => write(request, ctx, "patch"), contactDocs.patch);

  router.add(
    "DELETE",
    "/contacts/:id",
    async (request, ctx) => {
      const id = parseId(ctx.params.id, "contact");
      if (store.get(id) === undefined) throw missing(request, id);
      await store.delete(id, parseIfMatch(request.headers.get("if-match"))).catch(writeError);
      return empty(204);
    },
    contactDocs.remove,
  );

  router.add(
    "GET",
    "/departments",
    async (request, ctx) => {
      const items = store.departments();
      if (wantsCsv(request, ctx.query)) return csvResponse(["id", "name", "contacts"], items, "departments.csv");
      return json({ items }, 200, { vary: "Accept", "cache-control": "no-cache" });
    },
    contactDocs.departments,
  );

  router.add(
    "POST",
    IMPORT_CONTACTS_PATH,
    async (request) => {
      const bytes = new Uint8Array(await request.arrayBuffer());
      if (bytes.byteLength === 0) throw new HttpError(400, "The request body is empty; send the CSV file", { code: "empty-body" });
      const rawName = request.headers.get(SOURCE_NAME_HEADER) ?? "upload.csv";
      const sourceName = rawName.replace(/[^\w.\- ]/g, "_").slice(0, 200) || "upload.csv";
      const dir = mkdtempSync(join(tmpdir(), "contacts-import-"));
      try {
        const path = join(dir, "upload.csv");
        writeFileSync(path, bytes);
        const summary = await store.importCsv(path, sourceName).catch((error: unknown) => {
          if (error instanceof ContactsCsvError) {
            // The message names our temp file; the client knows the file by its own name.
            throw new HttpError(422, error.message.replaceAll(path, sourceName), { code: "bad-csv" });
          }
          throw error;
        });
        return json(summary, 200);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    contactDocs.importCsv,
  );
}

/**
 * Returns the schemas the contacts routes refer to, for the OpenAPI document, derived from
 * `record` (the store's definition).
 *
 * @example
 * ```ts
 * Object.keys(contactSchemas()) // ["Contact", "ContactCreate", "ContactReplace", "ContactPatch"]
 * ```
 */
export function contactSchemas(record: RecordDefinition = contactRecord): Record<string, object> {
  const strip = (schema: Record<string, unknown>) => {
    const { $schema: _ignored, ...rest } = schema;
    return rest;
  };
  return {
    Contact: strip(recordJsonSchema(record) as Record<string, unknown>),
    ContactCreate: strip(recordJsonSchema(record, "create") as Record<string, unknown>),
    ContactReplace: strip(recordJsonSchema(record, "replace") as Record<string, unknown>),
    ContactPatch: strip(recordJsonSchema(record, "patch") as Record<string, unknown>),
  };
}
