// @ts-check
/**
 * Everything the dashboard asks the API, in one place: when a response shape changes, this is the
 * one file to edit. Each function returns plain data in the shapes api/README.md documents; failures
 * are thrown as ApiError carrying the problem document (RFC 9457), so forms can show `errors[]`.
 */

/**
 * The shapes the API answers with, taken from their one definition on the server (type imports
 * only: nothing from there is loaded in the browser).
 * @typedef {import("../../etl/runs/mod.ts").Finding} Finding
 * @typedef {import("../runs/runs_routes.ts").RunView} RunRecord
 * @typedef {NonNullable<RunRecord["change_details"]>[number]} ChangeDetail
 * @typedef {import("../relationships/relationship_schemas.ts").ActorSummary} Actor
 * @typedef {import("../relationships/relationship_schemas.ts").Related} ActorRelationship  null: that cell was blank (unknown)
 * @typedef {import("../relationships/relationship_schemas.ts").Pair} Relationship
 * @typedef {import("../relationships/relationship_schemas.ts").Subgraph} Subgraph
 * @typedef {import("../relationships/relationship_schemas.ts").Version} Version
 * @typedef {import("../relationships/relationship_schemas.ts").Change} Change
 * @typedef {import("../relationships/relationship_schemas.ts").MatrixActor} MatrixActor
 * @typedef {import("../relationships/relationship_schemas.ts").MatrixLayout} MatrixLayout
 * @typedef {import("../relationships/relationship_schemas.ts").CellCounts} CellCounts
 * @typedef {import("../contacts/contacts_store.ts").ContactView} Contact
 * @typedef {{ field: string, from: string, to: string, message: string }} Repair  a value the server repaired on a write (a 4-digit ZIP code's leading zero)
 * @typedef {Contact & { warnings?: Repair[] }} WrittenContact  what a create or replace answers
 * @typedef {import("../runs/run_schemas.ts").RejectsAnswer} Rejects
 * @typedef {{ actors: MatrixActor[], rows: { id: number, cells: string }[], total: number, offset: number, counts: CellCounts, layout: MatrixLayout | null }} MatrixPage
 * @typedef {{ n: number, offset: number, rows: number, stride: number, cells: Uint8Array }} MatrixCells  2 bits a cell: 0 blank, 1 = 0, 2 = 1
 * @typedef {{ type?: string, title?: string, status: number, detail?: string, errors?: { field: string, message: string }[] }} Problem  also made up here for network errors, so every part but status is optional
 */

/**
 * @template T
 * @typedef {{ items: T[], next_cursor: string | null, total?: number }} Page
 */

/** An HTTP error from the API, with the problem document it sent (or one made up for network errors). */
export class ApiError extends Error {
  /** @param {Problem} problem */
  constructor(problem) {
    super(problem.detail || problem.title || `Request failed with status ${problem.status}`);
    this.name = "ApiError";
    this.problem = problem;
    this.status = problem.status;
  }
}

import { readBody, silenceWatch, timeoutSignal } from "./silence_watch.js";

/** Where the API lives; the page is served by the API itself, so the default is the page's own origin. */
let base = "";
/** Optional bearer token for writes (the API requires one when API_TOKEN is set). */
let token = "";

/**
 * Sets the API base URL and bearer token used by every later call.
 *
 * @example
 * configure({ token: "s3cret" });
 * @param {{ baseUrl?: string, token?: string }} options
 */
export function configure(options) {
  if (options.baseUrl !== undefined) base = options.baseUrl.replace(/\/$/, "");
  if (options.token !== undefined) token = options.token;
}

/**
 * Builds a query string from the defined, non-empty values.
 *
 * @example
 * query({ q: "ana", limit: 10, cursor: undefined }); // "?q=ana&limit=10"
 * @param {Record<string, string | number | undefined | null>} params
 * @returns {string}
 */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** The error of a request the API never answered (refused, dropped, or silent past the timeout). */
function unreachable() {
  return new ApiError({ status: 0, title: "The API cannot be reached", detail: `Cannot reach the API at ${base || location.origin}` });
}

/**
 * Fetches `path` asking for `accept`, with the token on writes; returns the response when it is ok,
 * and throws ApiError otherwise (with the problem document's fields when the API sent one).
 * @param {string} path
 * @param {RequestInit} init
 * @param {string} accept
 * @returns {Promise<Response>}
 */
async function fetchOk(path, init, accept) {
  const headers = new Headers(init.headers);
  headers.set("Accept", accept);
  if (token && init.method && init.method !== "GET") headers.set("Authorization", `Bearer ${token}`);
  /** @type {Response} */
  let response;
  try {
    response = await fetch(base + path, { ...init, headers });
  } catch {
    throw unreachable();
  }
  if (!response.ok) {
    const type = response.headers.get("Content-Type") || "";
    const body = type.includes("json") ? await response.json().catch(() => null) : null;
    const problem = body && typeof body === "object" ? body : { status: response.status, title: response.statusText };
    throw new ApiError({ ...problem, status: response.status });
  }
  return response;
}

/**
 * How long a small JSON request (every one but the whole matrix's download) may go unanswered: an
 * API that took the connection and never answers is then told as one that cannot be reached,
 * instead of "Loading…" for good. The binary matrix (matrixCells), which may rightly take longer in
 * all, has the same limit on silence: before its answer starts, and between two parts of its body
 * (silenceWatch). CSV downloads are links: the browser's own download shows their progress.
 */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<{ body: any, headers: Headers }>}
 */
async function request(path, init = {}) {
  const timeout = timeoutSignal(REQUEST_TIMEOUT_MS);
  try {
    const response = await fetchOk(path, { ...init, signal: timeout.signal }, "application/json");
    const type = response.headers.get("Content-Type") || "";
    /** @type {any} */
    let body = null;
    try {
      if (response.status !== 204) body = type.includes("json") ? await response.json() : await response.text();
    } catch (error) {
      // An answer cut by the timeout mid-body is no answer either; JSON that does not parse reads as none.
      if (timeout.signal.aborted) throw unreachable();
      if (!type.includes("json")) throw error;
    }
    return { body, headers: response.headers };
  } finally {
    timeout.done();
  }
}

/**
 * Returns recent runs of a kind, newest first.
 *
 * @example
 * const runs = await listRuns("relationships", 30);
 * @param {"relationships" | "contacts"} kind
 * @param {number} [limit]
 * @returns {Promise<RunRecord[]>}
 */
export async function listRuns(kind, limit = 50) {
  const { body } = await request(`/runs${query({ kind, limit })}`);
  return body.items;
}

/**
 * Returns the first rows a contacts run rejected (line, field, reason, value) and how many in all.
 *
 * @example
 * const { items, total } = await listRejects(run.id, 20);
 * @param {string} runId
 * @param {number} [limit]
 * @returns {Promise<Rejects>}
 */
export async function listRejects(runId, limit = 20) {
  return (await request(`/runs/${encodeURIComponent(runId)}/rejects${query({ limit })}`)).body;
}

/**
 * Returns the link that downloads a contacts run's whole rejects file as CSV.
 *
 * @example
 * link.href = rejectsCsvUrl(run.id); // "/runs/20261130T000000000Z-3f9a/rejects.csv"
 * @param {string} runId
 * @returns {string}
 */
export function rejectsCsvUrl(runId) {
  return `${base}/runs/${encodeURIComponent(runId)}/rejects.csv`;
}

/**
 * Returns one run with its `change_details`.
 *
 * @example
 * const run = await getRun(runs[0].id);
 * @param {string} id
 * @returns {Promise<RunRecord>}
 */
export async function getRun(id) {
  return (await request(`/runs/${encodeURIComponent(id)}`)).body;
}

/**
 * Returns one page of actors.
 *
 * @example
 * const { items } = await listActors({ sort: "degree", limit: 100 });
 * @param {{ q?: string, sort?: "degree" | "name" | "id", limit?: number, cursor?: string | null }} [params]
 * @returns {Promise<Page<Actor>>}
 */
export async function listActors(params = {}) {
  return (await request(`/actors${query(params)}`)).body;
}

/**
 * Returns the actors related to one actor; directions are relative to it (`a_to_b`: its row marks the other).
 *
 * @example
 * const rels = await actorRelationships(12);
 * @param {number} id
 * @returns {Promise<ActorRelationship[]>}
 */
export async function actorRelationships(id) {
  return (await request(`/actors/${id}/relationships`)).body.items;
}

/**
 * Returns what the network view draws: the `limit` busiest actors, or `around` one actor (with
 * `include`d others), and every pair between them, in one request.
 *
 * @example
 * const { actors, pairs } = await subgraph({ limit: 100 });
 * @param {{ limit?: number, around?: number | null, include?: number[] }} [params]
 * @returns {Promise<Subgraph>}
 */
export async function subgraph(params = {}) {
  const include = params.include?.length ? params.include.join(",") : undefined;
  return (await request(`/relationships/subgraph${query({ limit: params.limit, around: params.around, include })}`)).body;
}

/**
 * Returns the matrix header (names, sheet rows), the server's cell counts and the sheet layout,
 * with `limit` rows as text.
 *
 * @example
 * const { actors, counts, layout } = await matrixInfo();
 * @param {number} [limit]
 * @returns {Promise<MatrixPage>}
 */
export async function matrixInfo(limit = 1) {
  return (await request(`/matrix${query({ offset: 0, limit })}`)).body;
}

/**
 * Returns matrix rows in the compact binary form (2 bits a cell; layout in /docs): the whole
 * matrix unless `offset`/`limit` say otherwise.
 *
 * @example
 * const { n, stride, cells } = await matrixCells();
 * @param {{ offset?: number, limit?: number, signal?: AbortSignal }} [window]  `signal` cancels the download
 * @returns {Promise<MatrixCells>}
 */
export async function matrixCells(window = {}) {
  // Up to 67 MB for the whole matrix of 16,384 actors: no limit on the time in all, only on silence.
  const watch = silenceWatch(REQUEST_TIMEOUT_MS, window.signal);
  /** @type {Uint8Array} */
  let bytes;
  try {
    const response = await fetchOk(`/matrix${query({ format: "binary", offset: window.offset, limit: window.limit })}`, { signal: watch.signal }, "application/octet-stream");
    watch.heard();
    bytes = await readBody(response, watch.heard);
  } catch (error) {
    if (watch.timedOut()) throw unreachable();
    throw error;
  } finally {
    watch.done();
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== "RMX1") throw new ApiError({ status: 502, detail: "The matrix answer is not in the RMX1 layout" });
  const n = view.getUint32(4, true);
  return { n, offset: view.getUint32(8, true), rows: view.getUint32(12, true), stride: Math.ceil(n / 4), cells: bytes.subarray(16) };
}

/**
 * Returns published versions, newest first, and which one is served (empty before the first load).
 *
 * @example
 * const { items, current_version_id } = await listVersions(1);
 * @param {number} [limit]
 * @returns {Promise<{ items: Version[], current_version_id: number | null }>}
 */
export async function listVersions(limit = 50) {
  return (await request(`/versions${query({ limit })}`)).body;
}

/**
 * Returns a page of changes (with the actors' names), newest version first.
 *
 * @example
 * const { items } = await listChanges({ version: 3, limit: 1000 });
 * @param {{ version?: number, since?: string, actor?: number | string, kind?: string, among?: string, limit?: number }} [params]  among: comma-separated actor ids, the pairs between them
 * @returns {Promise<Page<Change>>}
 */
export async function listChanges(params = {}) {
  return (await request(`/changes${query(params)}`)).body;
}

/**
 * Returns one page of contacts.
 *
 * @example
 * const page = await listContacts({ q: "smith", state: "LA", sort: "-city", limit: 25 });
 * @param {{ q?: string, state?: string, department?: string, sort?: string, limit?: number, cursor?: string | null, count?: "true" }} [params]  count: add `total` (a full scan, so ask on the first page only)
 * @returns {Promise<Page<Contact>>}
 */
export async function listContacts(params = {}) {
  return (await request(`/contacts${query(params)}`)).body;
}

/**
 * Returns one contact and its ETag (needed to save an edit without losing someone else's).
 *
 * @example
 * const { contact, etag } = await getContact(3);
 * @param {number} id
 * @returns {Promise<{ contact: Contact, etag: string | null }>}
 */
export async function getContact(id) {
  const { body, headers } = await request(`/contacts/${id}`);
  return { contact: body, etag: headers.get("ETag") };
}

/**
 * Returns the JSON Schema of a new contact's body (`ContactCreate` of /openapi.json): the fields of
 * the contact definition, which the form is built from (contacts_view.js `formFields`).
 *
 * @example
 * const schema = await contactInputSchema(); // { properties: { first_name: {...}, ... }, required: [...] }
 * @returns {Promise<{ properties?: Record<string, { description?: string, format?: string }>, required?: string[] }>}
 */
export async function contactInputSchema() {
  const { body } = await request("/openapi.json");
  return body.components.schemas.ContactCreate;
}

/**
 * Returns a random UUID (version 4) for an Idempotency-Key. crypto.randomUUID exists only on a
 * secure page (https, localhost): on one served over plain http at a network address (colleagues
 * on the office network) it is missing, so the key is built from crypto.getRandomValues, which
 * every page has.
 *
 * @example
 * randomKey(); // "3b241101-e2bb-4255-8caf-4136c566a962"
 * @returns {string}
 */
export function randomKey() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Returns the Idempotency-Keys of a form's creates: `keyFor(input)` gives the same key for the same
 * input until `forget()` (a create that succeeded, a cleared form, an edit opened), and a new key
 * when the input changed. Save pressed again after an answer that never arrived (a dropped
 * connection, a proxy timeout) is then the same create, answered as the first was (the server
 * replays it), not a second one refused with 409 "e-mail already used"; a changed input is another
 * create (the server refuses a key reused with another body).
 *
 * @example
 * const creates = createKeys();
 * await saveContact(input, { idempotencyKey: creates.keyFor(input) });
 * creates.forget();
 * @returns {{ keyFor: (input: Record<string, unknown>) => string, forget: () => void }}
 */
export function createKeys() {
  /** The body the key was made for, as sent. @type {string | null} */
  let body = null;
  let key = "";
  return {
    keyFor(input) {
      const text = JSON.stringify(input);
      if (text !== body) {
        body = text;
        key = randomKey();
      }
      return key;
    },
    forget() {
      body = null;
    },
  };
}

/**
 * Creates (no id) or replaces (id + etag) a contact; rejects with ApiError whose `problem.errors`
 * lists the invalid fields on 422. A create is sent with `idempotencyKey` (createKeys), or a key of
 * its own when none is given.
 *
 * @example
 * await saveContact({ first_name: "Ana", last_name: "Ruiz", email: "ana@example.com", departments: ["Sales"] });
 * @param {Record<string, unknown>} input
 * @param {{ id?: number, etag?: string | null, idempotencyKey?: string }} [target]
 * @returns {Promise<WrittenContact>}
 */
export async function saveContact(input, target = {}) {
  /** @type {Record<string, string>} */
  const headers = { "Content-Type": "application/json" };
  if (target.id === undefined) {
    // A retried create (double click, flaky network) must not make two contacts.
    headers["Idempotency-Key"] = target.idempotencyKey ?? randomKey();
    return (await request("/contacts", { method: "POST", headers, body: JSON.stringify(input) })).body;
  }
  if (target.etag) headers["If-Match"] = target.etag;
  return (await request(`/contacts/${target.id}`, { method: "PUT", headers, body: JSON.stringify(input) })).body;
}

/**
 * Deletes a contact, only if it still has the version `etag` names (412 otherwise).
 *
 * @example
 * await deleteContact(7, '"3"');
 * @param {number} id
 * @param {string | null} etag
 * @returns {Promise<void>}
 */
export async function deleteContact(id, etag) {
  /** @type {Record<string, string>} */
  const headers = {};
  if (etag) headers["If-Match"] = etag;
  await request(`/contacts/${id}`, { method: "DELETE", headers });
}

/**
 * Returns the link that downloads every contact matching the filters as CSV (all pages).
 *
 * @example
 * link.href = contactsCsvUrl({ state: "LA" }); // "/contacts?state=LA&format=csv"
 * @param {{ q?: string, state?: string, department?: string, sort?: string }} filters  sort: the rows in the order the table shows
 * @returns {string}
 */
export function contactsCsvUrl(filters) {
  return `${base}/contacts${query({ ...filters, format: "csv" })}`;
}

/**
 * Returns the departments with their contact counts.
 *
 * @example
 * const departments = await listDepartments(); // [{ id: 1, name: "Sales", contacts: 12 }]
 * @returns {Promise<{ id: number, name: string, contacts: number }[]>}
 */
export async function listDepartments() {
  return (await request("/departments")).body.items;
}
