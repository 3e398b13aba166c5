/**
 * Builds the OpenAPI 3.1 document from the route table (each route's RouteDoc) and the contact
 * JSON Schema derived from the record definition: the same definitions that route and validate.
 */
import { contactRecord, UNREADABLE_CSV_CAUSES, type RecordDefinition } from "../../etl/contacts/mod.ts";
import { IMPORT_MAX_BYTES } from "../../etl/handover/mod.ts";
import { contactSchemas, MAX_LISTED_ERRORS } from "../contacts/contacts_routes.ts";
import { tableSchemas } from "../tables/table_docs.ts";
import type { Router } from "../http/router.ts";
import { DEFAULT_BODY_TYPES, type RouteDoc } from "../http/route_doc.ts";
import { ACCEPTED_CHARSETS, ACCEPTED_CODINGS, acceptHeaderFor } from "../http/request_body.ts";
import { relationshipSchemas } from "../relationships/relationship_docs.ts";
import { runSchemas } from "../runs/runs_docs.ts";

/** The problem types this API sends, for the docs page (anchor `problem-<code>`). */
export const PROBLEM_TYPES: Record<string, string> = {
  "bad-request": "400: the request line, a path escape or the query string could not be parsed.",
  "bad-parameter": "400: a query parameter is unknown, out of range (limit, sort, count, ids) or not valid percent-encoding (`detail` names it).",
  "bad-cursor": "400: the cursor was not issued by this endpoint for this sort.",
  "malformed-json": "400: the body is not JSON, or it gives a member twice (`errors` names it: I-JSON, RFC 7493; JSON.parse would keep the last, other readers the first).",
  "invalid-utf8": "400: the body is not valid UTF-8 (it is refused, never stored with U+FFFD replacements).",
  "bad-idempotency-key": "400: the Idempotency-Key header is not 1-200 visible ASCII characters.",
  "empty-body": "400: an upload had no body.",
  unauthorized: "401: a write, or GET /metrics unless METRICS_PUBLIC=on, without a valid `Authorization: Bearer` token (only when API_TOKEN is set).",
  "cross-site-write": "403: a browser sent this write from another site's page (`Sec-Fetch-Site` / `Origin`); reads are not affected.",
  "request-timeout": "408: the request's headers did not arrive within 10 s, or the whole request within 60 s; a CSV import's body (written to disk as it arrives, not bound by the 60 s) sent nothing for 30 s, the part written removed.",
  "not-found": "404: no such path or resource.",
  "no-path": "404: the two actors are not linked by any chain of relationships.",
  "no-rejects": "404: the run is not a contacts load, or it refused no rows, so it has no rejects file (or its file is gone: deleted by hand, or never written). A skipped run (an unchanged CSV) has the rejects file of the load it repeats.",
  "ambiguous-code": "409: the letter code given for an actor belongs to more than one actor; use the numeric id.",
  "method-not-allowed": "405: the path exists with other methods, listed in `Allow`.",
  "duplicate-email": "409: another contact has this e-mail address, ignoring case.",
  stale: "412: If-Match does not match the current ETag (GET it again; on a write, the contact's), or on a write If-None-Match does (the contact exists as it is).",
  "content-too-large": `413: the body is larger than 1 MiB (${IMPORT_MAX_BYTES / 2 ** 30} GiB for a CSV import, written to disk as it arrives); a compressed body's limit is of its decoded size.`,
  "unsupported-media-type": "415: the Content-Type is not one the endpoint accepts.",
  "unsupported-charset": `415: the Content-Type declares a charset other than UTF-8 (accepted: ${ACCEPTED_CHARSETS}; ASCII is UTF-8).`,
  "unsupported-content-encoding": `415: the body is sent in a content coding the API does not decode (\`Content-Encoding\` such as br, or two codings such as \`gzip, br\`); send it uncompressed or in one of those \`Accept-Encoding\` names (${ACCEPTED_CODINGS}).`,
  "bad-content-encoding": "400: the body is not the content coding its `Content-Encoding` names (plain bytes labelled gzip, a gzip stream cut short); `detail` names the coding and the fault.",
  "uri-too-long": "414: the request line (its path and query string) alone is over node's limit for the request line and headers (16 KiB).",
  "header-fields-too-large": "431: the request line and headers together are over node's limit (16 KiB); a request line over it alone is a 414.",
  "host-not-allowed": "421: the `Host` header names neither a loopback name nor one in ALLOWED_HOSTS (DNS rebinding protection).",
  validation: `422: invalid fields (control characters included); \`errors\` lists them as \`{ field, message }\`, the first ${MAX_LISTED_ERRORS} (\`errors_omitted\` counts the rest).`,
  "idempotency-key-reused": "422: an Idempotency-Key was reused with a different body.",
  "empty-file": "422: the uploaded contacts CSV is empty, or its first line (the header) is blank.",
  "missing-column": "422: the uploaded contacts CSV lacks a required column; `detail` names it and the header found.",
  "duplicate-column": "422: the uploaded contacts CSV has a column twice.",
  "header-repeated": "422: the uploaded contacts CSV has its header again on a later line with its columns in another order (two exports joined): nothing was loaded; `detail` names the line. The header repeated in the same order is skipped, with a warning.",
  "too-many-uploads": "503: the request bodies being received at once already fill what the server holds in memory (128 MiB; a CSV import's body goes to disk, not among them); nothing was read or changed; retry after `Retry-After` seconds.",
  "too-many-downloads": "503: as many CSV downloads of contacts and plain tables as the server runs at once (4, together) are running; retry after `Retry-After` seconds.",
  "not-csv": "422: the uploaded contacts CSV is a spreadsheet workbook (.xlsx, .xls), gzip-compressed, or NUL bytes only, or a run of them first, on its first line (a file zeroed by a crash or a copy that did not finish), not CSV text: nothing was loaded; save it as \"CSV UTF-8\", or decompress it (or send it as it is with `Content-Encoding: gzip`), or export it again.",
  "not-utf8": "422: the uploaded contacts CSV is not UTF-8 (a spreadsheet's Windows-1252 or Mac Roman \"CSV\", or UTF-16: Excel's \"Unicode Text\"): nothing was loaded; save it as \"CSV UTF-8\".",
  "all-rejected": "422: a contacts import read the CSV and rejected every row of it: nothing was loaded, a failed run; `summary` is the ingestion summary (the first 100 rejects, with lines and reasons) and `run_id` the run (every reject at `/runs/{id}/rejects.csv`).",
  "no-rows": "422: a contacts import read a CSV with a header and no data rows (an export cut short?): nothing was loaded, a failed run; `summary` and `run_id` as for `all-rejected`.",
  "bad-upload": `404/422: the upload an import names is not a regular file in the uploads folder, or the name is not one (\`{"upload": "<name>.csv"}\`), or the CSV cannot be read (\`detail\` says why): ${UNREADABLE_CSV_CAUSES}. \`npm run etl\` records such a load \`unreadable\`.`,
  "department-in-use": "409: contacts still belong to the department; `detail` says how many.",
  "client-closed-request": "400: the client of an import closed its connection before the import was written; it was stopped and nothing changed. Only the server's log sees this answer.",
  "not-implemented": "501: the request's method is none this server implements at all (`OPTIONS *` lists those it does); a method it implements on other paths is a 405.",
  internal: "500: our bug. Nothing internal is shown; quote the request id (also in `X-Request-Id`).",
  "no-snapshot": "503: the ETL has not published a relationship version yet.",
  "snapshot-unreadable": "503: the published relationship snapshot cannot be read (a corrupt file); a new load or a --restore publishes one that can.",
"runs-unreadable": "503: the run log `runs.jsonl` in the data dir cannot be read (written by another user with mode 0600, an I/O error); `detail` says why. Fix its owner or permissions; /runs answers at once after.",
  "database-unavailable": "503: the contacts database (PostgreSQL with DATABASE_URL) does not answer (restarting, failing over or gone; or frozen or cut off, given up after PG_STATEMENT_TIMEOUT plus 5 s) or is too busy (a lock held elsewhere for 5 s, out of connections, a statement over 30 s: PG_LOCK_TIMEOUT, PG_POOL_SIZE, PG_STATEMENT_TIMEOUT); retry after `Retry-After` seconds.",
  "database-refused": "503: PostgreSQL (DATABASE_URL) refused the API's role while it runs (a grant revoked, a password changed); the server's log says what to grant or fix; retry after `Retry-After` seconds, once an operator has.",
  "database-locked": "503: a contacts import (PostgreSQL with DATABASE_URL) waited 5 minutes for a lock another database session holds on the contacts tables and gave up; nothing was loaded; `detail` names that session (pid, application, user, state and since when). Retry once it has ended its transaction.",
  "database-out-of-memory": "503: the embedded contacts database or the relationship snapshot (DuckDB) had not the memory for this request beside the others, within its budget; retry after `Retry-After` seconds.",
  "database-disk-full": "503: the embedded contacts database (DuckDB) found no room on its disk for this write; nothing was changed; retry after `Retry-After` seconds, once the operator has made room.",
  "disk-full": "503: the data dir's disk has no room for the copy of a CSV sent as an import's body (uploads/); nothing was loaded and no part of the copy is kept; retry after `Retry-After` seconds, once the operator has made room.",
  "disk-stalled": "503: the data dir's disk took none of a CSV import's body for 30 s while it still came (the client held back meanwhile, not idle); nothing was loaded and no part of the copy is kept; retry after `Retry-After` seconds.",
  "shutting-down": "503: the API began to close (SIGTERM, SIGINT) while a contacts import ran: the import was stopped before its COMMIT and nothing was loaded (a CSV body's import is recorded as a failed run, `stopped`); send it again once the API is back, after `Retry-After` seconds.",
  "database-invalidated": "503: the embedded contacts database (DuckDB) stopped after a fatal error and refuses every request until the API is restarted; the server's log says why.",
};

const problemSchema = {
  type: "object",
  required: ["type", "title", "status", "detail"],
  properties: {
    type: { type: "string", format: "uri-reference" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    instance: { type: "string" },
    errors: {
      type: "array",
      description: `The invalid fields or members; a 422 lists the first ${MAX_LISTED_ERRORS}, and a member's name not of the record is cut at 60 characters.`,
      items: { type: "object", properties: { field: { type: "string" }, message: { type: "string" } }, required: ["field", "message"] },
    },
    errors_omitted: { type: "integer", minimum: 1, description: `How many invalid fields \`errors\` leaves out; only when there are more than ${MAX_LISTED_ERRORS}.` },
  },
};

/**
 * What the server answers before any route runs, so any operation may get it: admission's 405 and
 * 421, and the adapter's answers to what node's parser refuses. Documented on every operation
 * (a 405 or 501 on the path's operations, as the method asked for has none).
 */
/**
 * The conditions a GET evaluates (`readPreconditions` in http/respond.ts), for the routes whose docs
 * list a 304 or 412 but not the headers: If-Match first (RFC 9110 13.2.2), then If-None-Match.
 */
const READ_CONDITIONS: Record<string, string> = {
  "If-None-Match": "Optional. An ETag this answer had (any coded form's), or `*`: 304 Not Modified, no body, while it is unchanged.",
  "If-Match": "Optional. 412 unless it is `*` or names the answer's current ETag (strong comparison: a weak tag, a list's, never matches).",
};

const BEFORE_ANY_ROUTE: Record<string, { description: string; headers?: Record<string, object> }> = {
  "405": {
    description: "The path does not take this method (`method-not-allowed`); `Allow` lists the ones it takes.",
    headers: { Allow: { description: "The methods this path takes, OPTIONS included.", schema: { type: "string" } } },
  },
  "408": {
    description:
      "The request's headers did not arrive within 10 s, or the whole request within 60 s (`request-timeout`); a CSV import's body (POST /imports/contacts, not bound by the 60 s) sent nothing for 30 s, the part written removed.",
  },
  "414": { description: "The request line is over the server's limit (`uri-too-long`)." },
  "421": { description: "`Host` (or an absolute-form target's authority) names neither a loopback name nor one in ALLOWED_HOSTS (`host-not-allowed`)." },
  "431": { description: "The header fields are over the server's limit (`header-fields-too-large`)." },
  // Not before a route, but any operation may get it, so it is listed on each too.
  "500": { description: "Our bug (`internal`): nothing internal is shown; quote the request id (also in `X-Request-Id`)." },
  "501": { description: "The method is not one this server implements anywhere (`not-implemented`)." },
};

/**
 * Returns the OpenAPI 3.1 document for every documented route of `router`; the contact schemas
 * come from `record` (the definition the contacts store validates with), a plain table's from its
 * definition in `tables` (the ones the app serves, etl/contacts `extraTables`).
 *
 * @example
 * ```ts
 * buildOpenApi(app.router).paths["/contacts/{id}"].get.summary // "One contact"
 * ```
 */
export function buildOpenApi(router: Router, record: RecordDefinition = contactRecord, tables: readonly RecordDefinition[] = []): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of router.routes()) {
    const doc = route.meta as RouteDoc | undefined;
    if (doc === undefined) continue;
    const path = route.pattern.replace(/:(\w+)/g, "{$1}").replace(/\/\*$/, "/{path}");
    const params = (doc.params ?? []).map((p) => ({
      name: p.name,
      in: p.in ?? "query",
      required: p.in === "path" ? true : p.required === true,
      description: p.description,
      schema: p.schema ?? { type: "string" },
    }));
    if (route.pattern.endsWith("/*")) params.push({ name: "path", in: "path", required: true, description: "File path under api/web.", schema: { type: "string" } });
    // A GET documenting a 304 or 412 names the conditions that give them, where its doc does not.
    if (route.method === "GET" && (doc.responses["304"] !== undefined || doc.responses["412"] !== undefined)) {
      for (const [name, description] of Object.entries(READ_CONDITIONS)) {
        if (!params.some((p) => p.in === "header" && p.name === name)) params.push({ name, in: "header", required: false, description, schema: { type: "string" } });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(doc.responses)) {
      const ok = status.startsWith("2");
      const content: Record<string, unknown> = {};
      if (ok && r.schema !== undefined) content["application/json"] = { schema: r.schema };
      if (ok && r.csv) content["text/csv"] = { schema: { type: "string" } };
      if (ok && r.binary) content["application/octet-stream"] = { schema: { type: "string", contentMediaType: "application/octet-stream" } };
      if (ok && r.html) content["text/html"] = { schema: { type: "string" } };
      if (ok) for (const type of r.types ?? []) content[type] = { schema: { type: "string" } };
      // An error answer is a problem document unless the route documents its own (readiness).
      if (!ok && r.schema !== undefined) content["application/json"] = { schema: r.schema };
      else if (!ok && status !== "304") content["application/problem+json"] = { schema: { $ref: "#/components/schemas/Problem" } };
      const response: Record<string, unknown> = { description: r.description };
      if (r.headers !== undefined) response.headers = Object.fromEntries(Object.entries(r.headers).map(([name, h]) => [name, { description: h.description, schema: h.schema ?? { type: "string" } }]));
      if (Object.keys(content).length > 0) response.content = content;
      responses[status] = response;
    }
    // A 304 carries the ETag its 200 would (RFC 9110 15.4.5): the one the client keeps.
    const okEtag = (responses["200"] as { headers?: Record<string, object> } | undefined)?.headers?.ETag;
    const notModified = responses["304"] as { headers?: Record<string, object> } | undefined;
    if (okEtag !== undefined && notModified !== undefined) notModified.headers = { ETag: okEtag, ...notModified.headers };
    for (const [status, r] of Object.entries(BEFORE_ANY_ROUTE)) {
      responses[status] ??= { ...r, content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } };
    }
    // Every route with a body can meet a malformed or oversized one, and a wrong Content-Type.
    if (doc.body !== undefined) {
      const problem = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };
      responses["400"] ??= { description: "Malformed body (a JSON body that is not JSON or gives a member twice: `malformed-json`).", content: problem };
      // Any body may come compressed (Content-Encoding gzip, x-gzip, deflate): one that is not what it says is the adapter's 400.
      const malformed = responses["400"] as { description: string };
      responses["400"] = { ...malformed, description: `${malformed.description} Or a body that is not the content coding its \`Content-Encoding\` names (\`bad-content-encoding\`).` };
      responses["413"] ??= { description: "Body over the size limit (decoded, for a compressed body).", content: problem };
      responses["415"] ??= { description: "Wrong Content-Type.", content: problem };
      // Admission's, on every route with a body, whatever the route says of its types.
      const refused = responses["415"] as { description: string; headers?: Record<string, object> };
      responses["415"] = {
        ...refused,
        description: `${refused.description} Or a body in a content coding not decoded (\`Content-Encoding\` other than ${ACCEPTED_CODINGS}, or two of them: \`unsupported-content-encoding\`).`,
        headers: {
          ...refused.headers,
          // What admission's 415 sends on a POST or PATCH (acceptHeaderFor): the body types, named nowhere else in the answer.
          ...Object.fromEntries(
            Object.keys(acceptHeaderFor(route.method, doc.bodyTypes ?? DEFAULT_BODY_TYPES)).map((name) => [
              name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase()),
              { description: "The body types this route takes, comma-separated, on a 415 for a Content-Type.", schema: { type: "string" } },
            ]),
          ),
          "Accept-Encoding": { description: `\`${ACCEPTED_CODINGS}\`, on a 415 for a content coding: the codings a body may be sent in, decoded as it arrives.`, schema: { type: "string" } },
        },
      };
    }
    // readJson refuses a JSON body that is not UTF-8 before it parses it.
    if (doc.body !== undefined && (doc.bodyTypes ?? DEFAULT_BODY_TYPES).some((t) => t.endsWith("json")) && !/invalid-utf8/.test((responses["400"] as { description?: string } | undefined)?.description ?? "")) {
      addBadRequest(responses, "A JSON body that is not UTF-8 (`invalid-utf8`).");
    }
    // A create that takes an Idempotency-Key refuses one its schema refuses, before reading the body.
    if (doc.params?.some((p) => p.in === "header" && p.name === "Idempotency-Key")) {
      addBadRequest(responses, "An Idempotency-Key that is not 1 to 200 visible ASCII characters (`bad-idempotency-key`).");
    }
    // The router decodes every path parameter before the route runs: a segment that is not
    // percent-encoding (`/contacts/%`) is its 400, on routes that document no other 400 too.
    if (/\/[:*]/.test(route.pattern)) addBadRequest(responses, "A path segment that is not valid percent-encoding (`bad-request`).");
    // Every relationship route answers 503 until the ETL has published a first version, or while it cannot be read.
    if (doc.tag === "relationships" && responses["503"] === undefined) {
      responses["503"] = {
        description: "No version published yet (`no-snapshot`; the history routes answer empty lists instead), or the published file cannot be read (`snapshot-unreadable`), or a query did not fit the snapshot's memory budget (`database-out-of-memory`, with Retry-After).",
        content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
      };
    }
    // Every contacts route reads or writes the contacts database, which may be unavailable or busy
    // (PostgreSQL), out of memory or out of disk (DuckDB): the 503 the error boundary answers, with Retry-After.
    if ((doc.tag === "contacts" || doc.tag === "tables") && responses["503"] === undefined) {
      responses["503"] = {
        description:
          "The contacts database is unavailable or busy (`database-unavailable`), refuses the API's role (`database-refused`), out of memory (`database-out-of-memory`), out of disk (`database-disk-full`) or stopped (`database-invalidated`)" +
          // Only the contacts' and plain tables' lists stream downloads, and only those are counted (not /departments' CSV).
          (route.method === "GET" && (path === "/contacts" || (doc.tag === "tables" && doc.responses["200"]?.csv === true)) ? ", or too many CSV downloads run (`too-many-downloads`)" : "") +
          // The adapter's bound on bodies held at once, decided before this route reads a byte.
          (doc.body !== undefined ? ", or the server holds as many request bodies as it may at once (`too-many-uploads`)" : "") +
          (route.method === "POST" && path === "/imports/contacts" ? ", or the data dir's disk has no room for a CSV body's copy (`disk-full`) or took none of it for 30 s (`disk-stalled`), or (PostgreSQL) another session's lock kept the import waiting 5 min (`database-locked`, its `detail` naming that session), or the API began to close during the import, which it stopped (`shutting-down`)" : "") +
          "; retry after `Retry-After` seconds.",
        headers: { "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer" } } },
        content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
      };
    }
    if (doc.auth) {
      const problem = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };
      responses["401"] = { description: "Missing or wrong bearer token (when API_TOKEN is set).", content: problem };
      if (route.method !== "GET") responses["403"] ??= { description: "Sent by a browser from another site's page (`cross-site-write`).", content: problem };
    }
    const operation: Record<string, unknown> = {
      operationId: `${route.method.toLowerCase()}${path.replace(/[{}]/g, "").split(/[/_-]/).map((s) => s.charAt(0).toUpperCase() + s.slice(1)).join("")}`,
      summary: doc.summary,
      tags: [doc.tag],
      parameters: params,
      responses,
    };
    if (doc.description !== undefined) operation.description = doc.description;
    if (doc.auth) operation.security = [{ bearer: [] }];
    if (doc.body !== undefined) {
      const types = doc.bodyTypes ?? DEFAULT_BODY_TYPES;
      operation.requestBody = {
        required: true,
        description: `May be sent compressed (\`Content-Encoding\`: ${ACCEPTED_CODINGS.replace(", identity", "")}), decoded as it arrives; the size limit is of the decoded body.`,
        content: Object.fromEntries(types.map((t) => [t, { schema: doc.bodyByType?.[t] ?? doc.body }])),
      };
    }
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Relaciones API",
      version: "1.0.0",
      description:
        "Contacts (read-write) and the published relationship version (read-only). Errors are RFC 9457 problem documents. A query parameter given an empty value (`?sort=`, `?format=`) is the parameter left out: its default. Writes need `Authorization: Bearer <API_TOKEN>` when the server has a token.",
    },
    servers: [{ url: "/" }],
    tags: [
      { name: "contacts", description: "Contacts and departments." },
      ...(tables.length > 0 ? [{ name: "tables", description: `Other records kept beside the contacts: ${tables.map((t) => t.table).join(", ")}.` }] : []),
      { name: "relationships", description: "Actors and relationships of the latest published version." },
      { name: "history", description: "Published versions and what changed in each." },
      { name: "runs", description: "ETL runs." },
      { name: "system", description: "Health, docs, dashboard." },
    ],
    paths,
    components: {
      schemas: { ...contactSchemas(record), ...relationshipSchemas, ...runSchemas, ...tableComponents(tables), Problem: problemSchema },
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
  };
}

/** Adds `reason` (a sentence) to the 400 of `responses`, or makes it the 400 when there is none. */
function addBadRequest(responses: Record<string, unknown>, reason: string): void {
  const given = responses["400"] as { description: string } | undefined;
  responses["400"] =
    given === undefined
      ? { description: reason, content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } }
      : { ...given, description: `${given.description} Or: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}` };
}

/** The schemas of the plain tables; a TypeError when one's name is another's or a shipped schema's. */
function tableComponents(tables: readonly RecordDefinition[]): Record<string, object> {
  const taken = new Set([...Object.keys(contactSchemas()), ...Object.keys(relationshipSchemas), ...Object.keys(runSchemas), "Problem"]);
  const schemas: Record<string, object> = {};
  for (const table of tables) {
    for (const [name, schema] of Object.entries(tableSchemas(table))) {
      if (taken.has(name)) throw new TypeError(`The table definition '${table.name}' would name its schema '${name}', which another schema has; rename the record`);
      taken.add(name);
      schemas[name] = schema;
    }
  }
  return schemas;
}
