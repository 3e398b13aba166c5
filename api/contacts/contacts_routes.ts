/**
 * Contacts over HTTP: list (filters, sort, keyset pages, optional total, CSV), one, create
 * (Idempotency-Key), replace, merge-patch, delete (If-Match), departments, and the CSV import.
 * Every read is a query (or a hit in the store's bounded point-read cache); writes go through the
 * store, which commits them.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, lstatSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IMPORT_CONTACTS_PATH, rejectsReportPath, RUN_ID_NAME, SOURCE_NAME_HEADER, UPLOAD_NAME, uploadsDir, type ImportRequest } from "../../etl/handover/mod.ts";
import { ContactsCsvError, ContactsLockTimeoutError, contactRecord, loadFailure, csvColumnOf, impossibleFilterValue, linksOf, listFilterFields, listFilterNames, recordJsonSchema, sortFields, validateRecord, type ContactInput, type FieldFix, type FieldListFilter, type ListFilters, type RecordDefinition } from "../../etl/contacts/mod.ts";
import { HttpError, problemOf, type FieldError } from "../http/http_error.ts";
import { ContactWriteError, fingerprint, staleError, writtenBody, type ContactEntry, type ContactsStore, type IdempotentResult, type SortField } from "./contacts_store.ts";
import { csvAnswer, firstRowRead, wantsCsv } from "../http/csv_response.ts";
import { nextCursor, pageQuery, type Key } from "../http/keyset.ts";
import { linkNext } from "../http/link_header.ts";
import { mediaType, readJson, type SpooledBody } from "../http/request_body.ts";
import { CODINGS, empty, etagMatches, json, problemHeaders, readPreconditions, send, writePreconditions } from "../http/respond.ts";
import type { Context, Router } from "../http/router.ts";
import { IDEMPOTENCY_KEY, type RouteDoc } from "../http/route_doc.ts";
import { MAX_ID, parseId } from "../http/parse_id.ts";
import { contactDocs, contactListDoc } from "./contacts_docs.ts";
import { recordImportRun, type ImportRun } from "./import_run.ts";
import { LoadStopped, newRunId } from "../../etl/runs/mod.ts";
import { isDatabaseBusy, isDatabaseUnavailable, isSchemaMissing, postgresRefusal } from "../../etl/db/mod.ts";

/**
 * The answer stored for an Idempotency-Key, exactly as first sent: status, Location, body and the
 * ETag that body had. Never the current ETag: a client holding the first body must not be able
 * to overwrite a later change with it (If-Match on the replayed ETag gets a 412). A request whose
 * body's fingerprint `print` differs is a 422.
 */
export function replayed(previous: IdempotentResult, print: string): Response {
  if (previous.fingerprint !== print) {
    throw new HttpError(422, "This Idempotency-Key was already used with a different request body", { code: "idempotency-key-reused" });
  }
  const headers: Record<string, string> = { "idempotent-replayed": "true", "content-type": "application/json; charset=utf-8", "cache-control": "no-cache" };
  if (previous.location !== null) headers.location = previous.location;
  if (previous.etag !== null) headers.etag = previous.etag;
  return send(previous.body, Number(previous.status), headers);
}

/** The request's Idempotency-Key, or null; a 400 for one that is not 1-200 visible ASCII characters. */
export function idempotencyKeyOf(request: Request): string | null {
  const key = request.headers.get("idempotency-key");
  if (key !== null && !IDEMPOTENCY_KEY.test(key)) {
    throw new HttpError(400, "Idempotency-Key must be 1 to 200 visible ASCII characters", { code: "bad-idempotency-key" });
  }
  return key;
}

/** A version's strong ETag, or that of a coded form of it (`"3"`, `"3-br"`: respond.ts codedEtag). */
const VERSION_TAG = new RegExp(`^"([1-9]\\d{0,8})(?:-(?:${CODINGS.join("|")}))?"$`);

/**
 * Parses If-Match into the versions it names (undefined: no header or `*`); the tag of a coded form
 * (`"3-gzip"`) names its version, as clients copy whichever ETag they were given (ifMatchHolds).
 *
 * @example
 * ```ts
 * parseIfMatch('"3", "4-br"') // [3, 4]
 * ```
 */
export function parseIfMatch(header: string | null): number[] | undefined {
  if (header === null || header.trim() === "*") return undefined;
  const versions: number[] = [];
  for (const part of header.split(",")) {
    // If-Match uses strong comparison: a weak tag (W/"3") never matches, so it is not listed.
    // Strong comparison is character-by-character (RFC 9110 8.8.3.2): "01" is not "1".
    const m = VERSION_TAG.exec(part.trim());
    if (m !== null) versions.push(Number(m[1]));
  }
  return versions;
}

function writeError(error: unknown): never {
  if (error instanceof ContactWriteError) {
    if (error.code === "too-many-new-departments") throw invalid([{ field: "departments", message: error.message }]);
    const status = error.code === "not-found" ? 404 : error.code === "stale" ? 412 : 409;
    throw new HttpError(status, error.message, { code: error.code, errors: error.code === "duplicate-email" ? [{ field: "email", message: "is already used by another contact" }] : undefined });
  }
  throw error;
}

/** 404, or 412 for `If-Match: *` (RFC 9110: it only holds when the resource exists); `record` names the resource. */
export function missing(request: Request, id: number, record = "contact"): HttpError {
  if (request.headers.get("if-match")?.trim() === "*") {
    return new HttpError(412, `If-Match: * requires ${record} ${id} to exist, and it does not`, { code: "stale" });
  }
  return new HttpError(404, `No ${record} has id ${id}`, { code: "not-found" });
}

/**
 * RFC 9110 13.1.2: on a write, If-None-Match is false when it is `*` (the contact exists) or names
 * the contact's current ETag (weak comparison), and the write must then be a 412, not performed.
 * Checked before the write's transaction, which cannot change the verdict: ids are never reused,
 * so an existing contact stays existing or is gone (404), and a listed tag names a version the
 * contact had or has, while versions only grow.
 */
export async function checkIfNoneMatch(request: Request, store: { get(id: number): Promise<{ etag: string } | undefined> }, id: number, record = "contact"): Promise<void> {
  const header = request.headers.get("if-none-match");
  if (header === null) return;
  const current = await store.get(id);
  if (current === undefined) throw missing(request, id, record);
  if (etagMatches(header, current.etag)) {
    throw new HttpError(412, `If-None-Match: ${record} ${id} exists with ETag ${current.etag}, so the condition is false`, { code: "stale" });
  }
}

/** writeError for a write to `record` `id`, whose absence answers as `missing` does. */
export function writeRefused(request: Request, id: number, record = "contact"): (error: unknown) => never {
  return (error) => {
    if (error instanceof ContactWriteError && error.code === "not-found") throw missing(request, id, record);
    return writeError(error);
  };
}

/**
 * How many invalid fields a 422 lists: a body of 60,000 unknown members (769 kB) was answered with
 * all of them, 3.4 MB. The rest are counted in `errors_omitted`.
 */
export const MAX_LISTED_ERRORS = 100;

/** The 422 of a body with invalid fields `errors` (the first MAX_LISTED_ERRORS listed); `record` names the resource. */
export function invalid(errors: { field: string; message: string }[], record = "contact"): HttpError {
  const omitted = errors.length - MAX_LISTED_ERRORS;
  return new HttpError(422, `The ${record} has ${errors.length} invalid field${errors.length === 1 ? "" : "s"}${omitted > 0 ? `; the first ${MAX_LISTED_ERRORS} are listed` : ""}`, {
    code: "validation",
    errors: errors.slice(0, MAX_LISTED_ERRORS),
    errorsOmitted: omitted > 0 ? omitted : undefined,
  });
}

function entryResponse(entry: ContactEntry, status: number, extra?: Record<string, string>, fixes: readonly FieldFix[] = []): Response {
  const body = fixes.length === 0 ? entry.bytes : writtenBody(entry, fixes);
  return send(body, status, { "content-type": "application/json; charset=utf-8", etag: entry.etag, "cache-control": "no-cache", ...extra });
}

const READ_ONLY = ["id", "created_at", "updated_at"] as const;

export function echoesReadOnly(body: unknown): boolean {
  return typeof body === "object" && body !== null && !Array.isArray(body) && READ_ONLY.some((field) => Object.hasOwn(body, field));
}

/**
 * Drops read-only fields that repeat the stored values, so a contact read with GET can be sent back
 * with PUT as is; read-only fields with other values still reach validation and fail there.
 */
export function withoutEchoedReadOnly(body: unknown, current: { view: Record<string, unknown> }): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const field of READ_ONLY) {
    if (Object.hasOwn(copy, field) && copy[field] === current.view[field]) delete copy[field];
  }
  return copy;
}

/**
 * The errors of a body that echoes record `current`'s id and created_at but another updated_at: a
 * copy read before another client's change, sent without If-Match (which would have made it a 412).
 * Its updated_at error says so, naming the current value and ETag, instead of "is read-only; the
 * server sets it", which a client that sent back what GET gave it cannot act on.
 */
export function explainStaleEcho(errors: FieldError[], body: unknown, current: { etag: string; view: Record<string, unknown> }, name: string): FieldError[] {
  const sent = body as Record<string, unknown>;
  const echoed = (field: string) => !Object.hasOwn(sent, field) || sent[field] === current.view[field];
  if (!echoed("id") || !echoed("created_at") || typeof sent.updated_at !== "string") return errors;
  const message =
    `is read-only, and this ${name} changed after the copy it comes from was read: its updated_at is now '${String(current.view.updated_at)}' (ETag ${current.etag}), ` +
    `not '${sent.updated_at.slice(0, 40)}'; GET it again and reapply your change (with If-Match, such a write is a 412)`;
  return errors.map((e) => (e.field === "updated_at" ? { field: e.field, message } : e));
}

/** What a PUT or PATCH needs of a store: its record, a read of one entry, and a conditional update. */
export interface WritableStore<E extends { version: number; etag: string; view: Record<string, unknown> }> {
  readonly record: RecordDefinition;
  get(id: number): Promise<E | undefined>;
  update(id: number, input: ContactInput, options: { ifMatch?: readonly number[]; partial: boolean }): Promise<E>;
}

/**
 * A PUT (`replace`) or PATCH of record `ctx.params.id` in `store`, with its conditions (If-Match,
 * If-None-Match) and validation: the written entry and the fixes to report. `name` names the
 * record in messages. Contacts and plain tables both write through it.
 */
export async function conditionalWrite<E extends { version: number; etag: string; view: Record<string, unknown> }>(
  request: Request,
  ctx: Context,
  mode: "replace" | "patch",
  store: WritableStore<E>,
  name = "contact",
): Promise<{ entry: E; fixes: readonly FieldFix[] }> {
  const id = parseId(ctx.params.id, name);
  const { value } = await readJson(request);
  const ifMatch = parseIfMatch(request.headers.get("if-match"));
  await checkIfNoneMatch(request, store, id, name);
  /**
   * The stored record, or the 404 or 412 that comes before any verdict on the body (RFC 9110
   * 13.2.2: a body read from an older version echoes that version's updated_at, which would
   * otherwise be a 422 instead of the 412 it is).
   */
  const existing = async (): Promise<E> => {
    const current = await store.get(id);
    if (current === undefined) throw missing(request, id, name);
    if (ifMatch !== undefined && !ifMatch.includes(current.version)) writeRefused(request, id, name)(staleError(id, current.version, ifMatch, name));
    return current;
  };
  // Read before the write only when the body echoes read-only fields, which are dropped when they
  // repeat the stored values; otherwise the write's transaction finds a missing or changed record
  // itself, and a refused body reads it to rank its answer. A read before every write cost a point
  // read each and sent the writes to the queue in the read groups' cohorts, too small to share a
  // commit (measured at 1M contacts, 32 connections: PUT groups of ~15, 274-289/s).
  const current = echoesReadOnly(value) ? await existing() : undefined;
  const result = validateRecord(store.record, current === undefined ? value : withoutEchoedReadOnly(value, current), mode);
  if (!result.ok) {
    if (current === undefined) await existing();
    throw invalid(current === undefined ? result.errors : explainStaleEcho(result.errors, value, current, name), name);
  }
  const entry = await store.update(id, result.value as ContactInput, { ifMatch, partial: mode === "patch" }).catch(writeRefused(request, id, name));
  return { entry, fixes: result.fixes };
}

/** `sort` as given (default `id`; an empty one App.handle() drops), one of `sorts` (the record's sortFields()), `-` for descending. */
export function parseSort(text: string | null, sorts: readonly string[]): { field: SortField; direction: 1 | -1; name: string } {
  const raw = text ?? "id";
  const direction = raw.startsWith("-") ? -1 : 1;
  const field = raw.replace(/^[-+]/, "");
  if (!sorts.includes(field)) {
    throw new HttpError(400, `sort must be one of ${sorts.join(", ")} (prefix - for descending); got '${raw.slice(0, 40)}'`, { code: "bad-parameter" });
  }
  return { field, direction, name: `${direction === -1 ? "-" : ""}${field}` };
}

/**
 * Whether a cursor's key has the types its sort's SQL binds: an INTEGER id, and an integer (id,
 * timestamps) or text value (pageQuery's `keyFits`).
 */
export function cursorKeyFits(field: SortField, [value, id]: Key): boolean {
  const numeric = field === "id" || field === "created_at" || field === "updated_at";
  // PostgreSQL hands BIGINT sort keys (timestamps) over as decimal text, so cursors carry either form.
  const valueOk = numeric
    ? (typeof value === "number" && Number.isSafeInteger(value)) || (typeof value === "string" && /^-?\d{1,18}$/.test(value))
    : typeof value === "string" && !value.includes("\u0000");
  return valueOk && id >= 0 && id <= MAX_ID;
}

/** The 503 of a CSV download refused because the downloads bound (ContactsStoreOptions.maxDownloads) is taken. */
export function tooManyDownloads(what: string): HttpError {
  return new HttpError(503, `Too many downloads of ${what} as CSV are running; retry in a few seconds`, { code: "too-many-downloads", headers: { "retry-after": "5" } });
}

/** Whether a list asks for its `total` (`count=true`); a 400 for a `count` that is neither true nor false. */
export function wantsTotal(query: URLSearchParams): boolean {
  const text = query.get("count");
  if (text !== null && text !== "true" && text !== "false") {
    throw new HttpError(400, `count must be true or false; got '${text.slice(0, 40)}'`, { code: "bad-parameter" });
  }
  return text === "true";
}

/** A page of a list as JSON: its entries' serialised JSON, `next_cursor`, and `total` when counted. */
export function listBody(page: { entries: readonly { json: string }[]; total?: number }, next: string | null): string {
  const total = page.total === undefined ? "" : `,"total":${page.total}`;
  return `{"items":[${page.entries.map((e) => e.json).join(",")}],"next_cursor":${JSON.stringify(next)}${total}}`;
}

/**
 * The filters of a list: the query's values of `names` (the record's listFilterNames()), trimmed,
 * empty ones left out; a value one of `fields` can never match (`state=cal`) is a 400 naming it.
 */
export function listFilters(query: URLSearchParams, names: readonly string[], fields: readonly FieldListFilter[] = []): ListFilters {
  // Unknown names, and a name given twice (filters are AND-ed, one value each), are refused before
  // the handler, from the route's doc (checkQueryNames).
  for (const name of query.keys()) {
    // PostgreSQL refuses U+0000 in any text it is sent (a 500, or a CSV cut off after its header),
    // and no stored value holds one (control characters are refused on write): a client's 400 on
    // both backends alike.
    if (query.get(name)!.includes("\u0000")) throw new HttpError(400, `Query parameter '${name}' contains a NUL character (%00)`, { code: "bad-parameter" });
  }
  const filters: Record<string, string> = {};
  for (const name of names) {
    const value = query.get(name)?.trim();
    if (value) filters[name] = value;
  }
  for (const filter of fields) {
    const value = filters[filter.param];
    const problem = value === undefined ? null : impossibleFilterValue(filter, value);
    if (problem !== null) throw new HttpError(400, `Query parameter '${filter.param}' ${problem}; got '${value!.slice(0, 40)}', which no ${filter.field.name} can be`, { code: "bad-parameter" });
  }
  return filters;
}

/** Adds the contacts routes, /departments and POST /imports/contacts; uploads wait in `<dataDir>/uploads/`. */
export function addContactRoutes(router: Router, store: ContactsStore, dataDir: string): void {
  // Everything below follows the store's record definition: a field added there is accepted,
  // validated, returned and exported without a change here.
  const links = linksOf(store.record);
  // Each column's key in a contact and its header: the column a load reads (a field's CSV column,
  // the links' list column), so a download loads into another database as it is.
  const csv: Array<[key: string, header: string]> = [
    ["id", "id"],
    ...store.record.fields.map((f): [string, string] => [f.name, csvColumnOf(f)]),
    [links.name, links.csvListColumn],
    ["created_at", "created_at"],
    ["updated_at", "updated_at"],
  ];
  const csvColumns = csv.map(([key]) => key);
  const csvHeader = csv.map(([, header]) => header);
  const sorts = sortFields(store.record);
  const filterNames = listFilterNames(store.record);
  const filterFields = listFilterFields(store.record);
  // Only one process writes a DuckDB file, so its own write count tells whether a list changed. On
  // PostgreSQL other processes write too: lists carry no ETag there rather than a wrong one.
  const listEtag = () => (store.backend === "duckdb" ? `W/"g${BOOT}-${store.generation}"` : undefined);
  router.add(
    "GET",
    "/contacts",
    async (request, ctx) => {
      const filters = listFilters(ctx.query, filterNames, filterFields);
      const sort = parseSort(ctx.query.get("sort"), sorts);
      const order = { field: sort.field, descending: sort.direction === -1 };
      // Checked before the CSV answer too, which has no total: a typo is a 400 in either form.
      const withTotal = wantsTotal(ctx.query);
      if (wantsCsv(request, ctx.query)) {
        return csvAnswer(request, listEtag(), csvColumns, () => {
          const rows = store.download(filters, order);
          if (rows === undefined) throw tooManyDownloads("contacts");
          return firstRowRead(rows);
        }, "contacts.csv", csvHeader);
      }
      const { limit, after } = pageQuery(ctx.query, sort.name, 50, 1000, (key) => cursorKeyFits(sort.field, key));
      const headers: Record<string, string> = { "cache-control": "no-cache", vary: "Accept" };
      const etag = listEtag();
      if (etag !== undefined) headers.etag = etag;
      const unchanged = readPreconditions(request, etag, headers);
      if (unchanged) return unchanged;
      // Nothing is cached per query: answers are built from SQL each time, so no client can make
      // the server keep more by asking many different questions.
      const page = await store.page(filters, order, after, limit, withTotal);
      const next = nextCursor(sort.name, page);
      if (next !== null) headers.link = linkNext(ctx, next);
      headers["content-type"] = "application/json; charset=utf-8";
      return send(listBody(page, next), 200, headers);
    },
    contactListDoc(store.record, store.backend),
  );

  router.add(
    "GET",
    "/contacts/:id",
    async (request, ctx) => {
      const entry = await store.get(parseId(ctx.params.id, "contact"));
      if (entry === undefined) throw new HttpError(404, `No contact has id ${ctx.params.id}`, { code: "not-found" });
      const unchanged = readPreconditions(request, entry.etag, { etag: entry.etag, "cache-control": "no-cache" });
      if (unchanged) return unchanged;
      return entryResponse(entry, 200);
    },
    contactDocs.get,
  );

  router.add(
    "POST",
    "/contacts",
    async (request) => {
      // The target is the list, which exists: If-None-Match: * is false, If-Match holds for `*` only
      // (the list's ETag, where it has one, is weak).
      writePreconditions(request, listEtag(), true, "the contacts list");
      const key = idempotencyKeyOf(request);
      const { value, text } = await readJson(request);
      const print = fingerprint(text);
      if (key !== null) {
        const previous = await store.idempotent(key);
        if (previous !== undefined) return replayed(previous, print);
      }
      const result = validateRecord(store.record, value, "create");
      if (!result.ok) throw invalid(result.errors);
      const created = await store
        .create(result.value as ContactInput, key === null ? undefined : {
          key,
          fingerprint: print,
          respond: (entry) => ({ status: 201, location: `/contacts/${entry.view.id}`, body: writtenBody(entry, result.fixes) }),
        })
        .catch(writeError);
      if (created.replay !== undefined) return replayed(created.replay, print);
      return entryResponse(created.entry, 201, { location: `/contacts/${created.entry.view.id}` }, result.fixes);
    },
    contactDocs.create,
  );

  async function write(request: Request, ctx: Context, mode: "replace" | "patch"): Promise<Response> {
    const { entry, fixes } = await conditionalWrite(request, ctx, mode, store);
    return entryResponse(entry, 200, undefined, fixes);
  }

  router.add("PUT", "/contacts/:id", (request, ctx) => write(request, ctx, "replace"), contactDocs.replace);

  router.add("PATCH", "/contacts/:id", (request, ctx) => write(request, ctx, "patch"), contactDocs.patch);

  router.add(
    "DELETE",
    "/contacts/:id",
    async (request, ctx) => {
      const id = parseId(ctx.params.id, "contact");
      await checkIfNoneMatch(request, store, id);
      await store.delete(id, parseIfMatch(request.headers.get("if-match"))).catch(writeRefused(request, id));
      return empty(204);
    },
    contactDocs.remove,
  );

  router.add(
    "GET",
    "/departments",
    async (request, ctx) => {
      // No ETag: If-Match holds for `*` only, and If-None-Match: * is a 304 (the list exists).
      if (wantsCsv(request, ctx.query)) return csvAnswer(request, undefined, ["id", "name", "contacts"], () => store.departments(), "departments.csv");
      const headers = { vary: "Accept", "cache-control": "no-cache" };
      const unchanged = readPreconditions(request, undefined, headers);
      if (unchanged) return unchanged;
      return json({ items: await store.departments() }, 200, headers);
    },
    contactDocs.departments,
  );

  router.add(
    "DELETE",
    "/departments/:id",
    async (request, ctx) => {
      const id = parseId(ctx.params.id, "department");
      // A department has no ETag: If-Match holds for `*` only, when it exists; If-None-Match: * never
      // lets the delete through. Decided on what the delete's transaction sees.
      await store.deleteDepartment(id, (found) => writePreconditions(request, undefined, found, `department ${id}`)).catch(writeError);
      return empty(204);
    },
    contactDocs.removeDepartment,
  );

  // A CSV body the API's close cut before it had all come (a big file on a slow link): the handler
  // never ran, yet the import was tried and stopped, so its run says so. A client that left mid-body
  // sent no import (as one that leaves mid-load); the hand-over's JSON names an upload whose loader
  // records its own run.
  const importBodyCut: NonNullable<RouteDoc["bodyCut"]> = (headers, { received, admittedAt }) => {
    const stopped = store.importsStopped();
    if (stopped === undefined || mediaType(headers) === "application/json") return;
    const sourceName = cleanName(headers.get(SOURCE_NAME_HEADER) ?? "upload.csv");
    const declared = headers.get("content-length");
    const bytes = declared === null ? `${received} bytes` : `${received} of ${declared} bytes`;
    const error = { code: stopped.code, message: `${stopped.message} while the body of ${sourceName} was arriving (${bytes}); nothing was loaded` };
    try {
      recordImportRun(dataDir, { id: newRunId(admittedAt), started_at: admittedAt.toISOString(), file: null }, { error });
    } catch {
      // The API is closing: a runs.jsonl that cannot be written is said by the next import's run.
    }
  };

  router.add(
    "POST",
    IMPORT_CONTACTS_PATH,
    async (request, ctx) => {
      const uploads = uploadsDir(dataDir);
      let path: string;
      let sourceName: string;
      let written = false;
      // The run the API records for a body's import (the loader records those of the uploads it names).
      let bodyRun: ImportRun | undefined;
      let runId: string | undefined;
      if (mediaType(request.headers) === "application/json") {
        // The ETL's hand-over: a copy it placed in our uploads folder, named, never a path.
        const { value } = await readJson(request);
        const named = importRequestOf(value);
        path = join(uploads, named.upload);
        // Only a file the loader placed: a link planted in the folder must not make us read elsewhere.
        const entry = lstatSync(path, { throwIfNoEntry: false });
        if (entry !== undefined && !entry.isFile()) {
          throw new HttpError(422, `The upload '${named.upload}' is not a regular file in the uploads folder`, { code: "bad-upload" });
        }
        sourceName = cleanName(named.source_name ?? named.upload);
        // The loader's run id names the rejects report, in the data dir both share.
        runId = named.run_id;
      } else {
        // A CSV body from a client elsewhere: kept under the data dir (cleaned at start-up), never in /tmp.
        sourceName = cleanName(request.headers.get(SOURCE_NAME_HEADER) ?? "upload.csv");
        // The adapter wrote it there as it arrived (spoolBytesByType); a request that did not come
        // through it (app.request) has it in memory.
        const spooled = ctx.spooled ?? placeBody(join(uploads, `body-${randomUUID()}.csv`), new Uint8Array(await request.arrayBuffer()));
        path = spooled.path;
        written = true;
        runId = newRunId();
        bodyRun = { id: runId, started_at: new Date().toISOString(), file: { name: sourceName, path: `POST ${IMPORT_CONTACTS_PATH} (the request's body)`, size: spooled.bytes, sha256: spooled.sha256 } };
      }
      const rejectsFile = runId === undefined ? undefined : rejectsReportPath(dataDir, runId);
      const record = (outcome: Parameters<typeof recordImportRun>[2]) => {
        if (bodyRun === undefined) return;
        try {
          recordImportRun(dataDir, bodyRun, outcome);
        } catch (error) {
          // The import is committed or refused either way: the answer says so, not a 500 to retry
          // (a refusal's answer is its own report; a log that cannot be written is said by the next import's).
          if ("summary" in outcome) outcome.summary.warnings.push(`The import's run could not be recorded in runs.jsonl: ${(error as Error).message.split("\n")[0]}`);
        }
      };
      try {
        // The load stops if the client goes, or the API closes (store.stopImports), before its COMMIT.
        const summary = await store.importCsv(path, { sourceName, rejectsFile, workDir: uploads, signal: request.signal }).catch((error: unknown) => {
          const clientLeft = request.signal.aborted && error === request.signal.reason;
          // Stopped by the API's close, before it wrote: recorded as the ETL records a load its Ctrl-C stopped.
          if (!clientLeft && error instanceof LoadStopped) {
            record({ error: { code: error.code, message: `${error.message} before its COMMIT; nothing was loaded` } });
            throw new HttpError(503, "The API is shutting down: the import was stopped before its COMMIT and nothing was loaded; send it again once the API is back", {
              code: "shutting-down",
              headers: { "retry-after": "30" },
            });
          }
          // Recorded in the words of the answer below; a request its client left was not an import.
          if (!clientLeft) {
            const refused = error instanceof ContactsCsvError || error instanceof ContactsLockTimeoutError;
            record({ error: refused ? { code: error.code, message: error.message.replaceAll(path, () => sourceName) } : importFailure(error) });
          }
          // Stopped by its client's going, before it wrote (the load answers the abort with it).
          if (clientLeft) {
            throw new HttpError(400, "The client closed the connection before the import was written; it was stopped and nothing was written", { code: "client-closed-request" });
          }
          // Another session's lock on the contacts tables, waited for in vain: the client may retry
          // once that session ends; the detail names it (no query text, no data).
          if (error instanceof ContactsLockTimeoutError) {
            throw new HttpError(503, error.message, { code: "database-locked", headers: { "retry-after": "60" } });
          }
          if (error instanceof ContactsCsvError) {
            // The message names our copy; the client knows the file by its own name.
            // 404 only for an upload that is not there: one that is, but cannot be loaded (its
            // lines end in two ways), is the file's 422 like any other.
            const status = error.code === "unreadable" && !written && !existsSync(path) ? 404 : 422;
            // A function, not the name: a name is a replacement pattern there ('a$&b.csv' put our path back).
            throw new HttpError(status, error.message.replaceAll(path, () => sourceName), { code: error.code === "unreadable" ? "bad-upload" : error.code });
          }
          throw error;
        });
        record({ summary });
        const answer = runId === undefined ? summary : { ...summary, run_id: runId };
        // A load that could use none of the file's rows is a failed run (GET /runs/{id} says so), and
        // a client that checks the status must see it failed: a 422 naming why, with the summary
        // (which rows, why) and the run. The loader reads that summary as a 200's (importThroughApi).
        const failure = loadFailure(summary, sourceName, summary.rejects_file);
        if (failure !== null) {
          const problem = problemOf(new HttpError(422, failure.message, { code: failure.code }), IMPORT_CONTACTS_PATH);
          return send(JSON.stringify({ ...problem, ...(runId === undefined ? {} : { run_id: runId }), summary: answer }), 422, problemHeaders());
        }
        return json(answer, 200);
      } finally {
        rmSync(path, { force: true });
      }
    },
    { ...contactDocs.importCsv, bodyCut: importBodyCut },
  );
}

/**
 * The JSON body of an import naming an upload, or HttpError(422, `bad-upload`) naming each bad
 * member in `errors`. `source_name` may be left out (the upload's name is used); a `run_id` is
 * refused rather than ignored when it cannot name a rejects report, since the loader would look for
 * a report that was never written.
 */
function importRequestOf(value: unknown): ImportRequest {
  const named: Record<string, unknown> = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const { upload, source_name, run_id } = named;
  const errors: FieldError[] = [];
  const uploadRule = "the name of a file in the data dir's uploads folder (<name>.csv), never a path";
  if (upload === undefined) errors.push({ field: "upload", message: `is required: ${uploadRule}` });
  else if (typeof upload !== "string" || !UPLOAD_NAME.test(upload)) errors.push({ field: "upload", message: `must be ${uploadRule}; got ${quoted(upload)}` });
  if (source_name !== undefined && typeof source_name !== "string") errors.push({ field: "source_name", message: "must be a string: the CSV's own file name" });
  if (run_id !== undefined && (typeof run_id !== "string" || !RUN_ID_NAME.test(run_id))) {
    errors.push({ field: "run_id", message: `must be a run id (letters, digits, '.', '_', '-'; at most 80): it names the rejects report; got ${quoted(run_id)}` });
  }
  if (errors.length > 0) {
    throw new HttpError(422, 'Name the upload as {"upload": "<name>.csv", "source_name": "<file>"}: a file in the data dir\'s uploads folder', { code: "bad-upload", errors });
  }
  return named as unknown as ImportRequest;
}

/** A member's value for a message: text quoted and cut at 100 characters, anything else as JSON. */
function quoted(value: unknown): string {
  return typeof value === "string" ? `'${value.slice(0, 100)}'` : JSON.stringify(value).slice(0, 100);
}

/**
 * A body import's failed run, for a failure that is neither the file's nor a lock's: the database's
 * own (gone, busy, its tables gone, the API's role refused) in the codes the ETL's load records for
 * it, so /runs and an alert say what to act on; anything else stays opaque, as its 500 answer is.
 */
function importFailure(error: unknown): { code: string; message: string } {
  if (isDatabaseUnavailable(error) || isDatabaseBusy(error) || isSchemaMissing(error)) {
    const why = isSchemaMissing(error) ? "did not have the contacts tables" : "did not answer or was too busy";
    return { code: "database-unavailable", message: `The contacts database ${why}; nothing was loaded` };
  }
  return postgresRefusal(error) ?? { code: "ingest-failed", message: "The import failed on the server; nothing was loaded" };
}

/**
 * Writes a CSV body's copy into uploads/. A copy cut short (a full disk) is removed at once: it
 * holds personal data, and no load or finally would remove it before the next start-up. A full disk
 * is the client's 503 to retry, not our 500.
 */
function placeBody(path: string, bytes: Uint8Array): SpooledBody {
  try {
    writeFileSync(path, bytes, { mode: 0o600 });
    return { path, bytes: bytes.byteLength, sha256: createHash("sha256").update(bytes).digest("hex") };
  } catch (error) {
    rmSync(path, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOSPC" || code === "EDQUOT") {
      throw new HttpError(503, "The data dir's disk has no room for the CSV's copy in its uploads folder; nothing was loaded, retry once there is room", {
        code: "disk-full",
        headers: { "retry-after": "30" },
      });
    }
    throw error;
  }
}

/**
 * A file name safe to show and log: its own name, as a direct load names it (`Contactos (2)
 * España.csv`), without control or invisible formatting characters and path separators.
 */
function cleanName(raw: string): string {
  return Array.from(raw.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}/\\]/gu, "_")).slice(0, 200).join("").trim() || "upload.csv";
}

/** Random per process, so a list ETag from before a restart (same write count) never matches. */
const BOOT = Math.floor(Math.random() * 2 ** 32).toString(36);

/**
 * Returns the schemas the contacts routes refer to, for the OpenAPI document, derived from
 * `record` (the store's definition).
 *
 * @example
 * ```ts
 * Object.keys(contactSchemas()) // ["Contact", "ContactCreate", "ContactReplace", "ContactPatch", "ContactWritten"]
 * ```
 */
export function contactSchemas(record: RecordDefinition = contactRecord): Record<string, object> {
  return recordSchemas(record, "Contact", " (e.g. a 4-digit ZIP code given its leading zero back)");
}

/**
 * The schemas the routes of `record` refer to, named from `prefix`: the resource, its Create,
 * Replace and Patch bodies, and Written (the resource plus `warnings`, `example` saying of what).
 * The contacts' and each plain table's (api/tables/table_docs.ts).
 *
 * @example
 * ```ts
 * Object.keys(recordSchemas(notesRecord, "Note")) // ["Note", "NoteCreate", "NoteReplace", "NotePatch", "NoteWritten"]
 * ```
 */
export function recordSchemas(record: RecordDefinition, prefix: string, example = ""): Record<string, object> {
  const strip = (schema: Record<string, unknown>) => {
    const { $schema: _ignored, ...rest } = schema;
    return rest;
  };
  const resource = strip(recordJsonSchema(record) as Record<string, unknown>);
  return {
    [prefix]: resource,
    [`${prefix}Create`]: strip(recordJsonSchema(record, "create") as Record<string, unknown>),
    [`${prefix}Replace`]: strip(recordJsonSchema(record, "replace") as Record<string, unknown>),
    [`${prefix}Patch`]: strip(recordJsonSchema(record, "patch") as Record<string, unknown>),
    [`${prefix}Written`]: {
      ...resource,
      title: `${prefix}Written`,
      properties: {
        ...(resource.properties as Record<string, unknown>),
        warnings: {
          type: "array",
          description: `Only when the server repaired a value of the request${example}: which, from what, to what.`,
          items: {
            type: "object",
            required: ["field", "from", "to", "message"],
            properties: { field: { type: "string" }, from: { type: "string" }, to: { type: "string" }, message: { type: "string" } },
          },
        },
      },
    },
  };
}
