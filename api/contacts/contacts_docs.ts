/**
 * What each contacts route says about itself (summary, parameters, bodies, answers): data beside
 * the handlers in contacts_routes.ts, read by the OpenAPI generator and the /docs page.
 */
import { IMPORT_CONTENT_TYPES, IMPORT_MAX_BYTES } from "../../etl/handover/mod.ts";
import { contactRecord, filterParamSchema, LINK_FILTER, listFilterFields, SEARCH_FILTER, sortFields, type RecordDefinition } from "../../etl/contacts/mod.ts";
import { formatParam, headerParam, idempotencyKeyParam, idempotentReplayedHeader, listSchema, pagedFormatParam, pagingParams, sortParam, untaggedConditions, type RouteDoc } from "../http/route_doc.ts";
import { importRequestSchema } from "./import_request_schema.ts";
import { ingestSummarySchema } from "./ingest_summary_schema.ts";

const idParam = { name: "id", in: "path" as const, required: true, description: "The contact id.", schema: { type: "integer" } };
const ifMatchParam = headerParam("If-Match", "Optional. The ETag you read; the write fails with 412 if the contact changed since. Without it the write is unconditional.");
const ifNoneMatchParam = headerParam("If-None-Match", "Optional. The ETag you hold; 304 Not Modified, no body, while the contact is unchanged.");
const ifNoneMatchWriteParam = headerParam(
  "If-None-Match",
  "Optional. `*`, or an ETag of the contact's current version (weak comparison): the condition is false, the write a 412 and nothing written.",
);
const etagHeader = {
  description: "The contact's version (`\"3\"`), for If-None-Match and If-Match; a compressed answer's names its coding (`\"3-gzip\"`, `\"3-br\"`), and either tag stands for the version in both.",
  schema: { type: "string" },
};

function withTotal(schema: object): object {
  const s = schema as { properties: Record<string, unknown> };
  return { ...s, properties: { ...s.properties, total: { type: "integer", description: "Matches across all pages; only with count=true." } } };
}

/**
 * The doc of `GET /contacts` for `record`: its filters are the record's listFilterFields(), `q`
 * names its searchable fields and `sort` its sortFields(), what the route accepts, so a field given
 * a filter or marked searchable or sortable in the definition is documented without a change here.
 */
export function contactListDoc(record: RecordDefinition, backend: "duckdb" | "postgres" = "duckdb") {
  // On PostgreSQL other processes (and loads, analysts) write too: the list carries no ETag there
  // rather than a wrong one, so its document lists none and its 304 is If-None-Match: *'s only.
  const tagged = backend === "duckdb";
  const searched = record.fields.filter((f) => f.searchable).map((f) => `\`${f.name}\``);
  return {
    summary: "List contacts",
    tag: "contacts",
    description:
      "Filters combine with AND. Keyset pagination: follow `next_cursor` (or the `Link: rel=\"next\"` header) until it is null; a cursor only works with the same sort. Unknown query parameters are a 400.",
    params: [
      ...listFilterFields(record).map((f) => ({ name: f.param, description: f.description, schema: filterParamSchema(f) })),
      { name: LINK_FILTER, description: "Department name, ignoring case and accents.", schema: { type: "string" } },
      { name: SEARCH_FILTER, description: `Substring of ${searched.join(", ")}, ignoring case and accents.`, schema: { type: "string" } },
      sortParam(sortFields(record)),
      ...pagingParams(1000, 50),
      { name: "count", description: "`true` adds `total`, the number of matches across all pages (a count of every match, kept until this API process's next write; on PostgreSQL, where other processes write, served up to 5 s, or 20 times as long as it took to count, a minute at most, so their writes show within that). `true` or `false`, also with CSV, which has no total.", schema: { type: "boolean" } },
      pagedFormatParam,
      ...(tagged ? [] : untaggedConditions("the list", "`*` is a 304 (the list exists); a tag never matches (on PostgreSQL the list has no ETag).")),
    ],
    responses: {
      "200": {
        description: "A page of contacts (`total` only with count=true).",
        schema: withTotal(listSchema({ $ref: "#/components/schemas/Contact" })),
        csv: true,
        headers: {
          ...(tagged ? { ETag: { description: "A weak tag that changes with every write (for If-None-Match). On DuckDB only: on PostgreSQL, where other processes write, the list has none.", schema: { type: "string" } } } : {}),
          Link: { description: "`<...>; rel=\"next\"`: the next page, while there is one (as `next_cursor`).", schema: { type: "string" } },
        },
      },
      "304": { description: tagged ? "Not modified (If-None-Match: the list's ETag, or `*`)." : "If-None-Match: *." },
      "412": { description: tagged ? "If-Match does not hold for the current ETag." : "If-Match names a tag (`stale`)." },
      "400": { description: "Unknown parameter, bad sort, limit, count, cursor or format, or a filter value no contact can have (`state=cal`: its `pattern`); `bad-parameter`, naming the parameter." },
    },
  } satisfies RouteDoc;
}

/** The docs of the contacts routes, by handler (the list's is contactListDoc(the store's record)). */
export const contactDocs = {
  get: {
    summary: "One contact",
    tag: "contacts",
    description: "The `ETag` is the contact's version; send it back in `If-None-Match` (304) or `If-Match` (safe writes).",
    params: [idParam, ifNoneMatchParam, { ...ifMatchParam, description: "Optional. 412 unless the contact's ETag is this one." }],
    responses: {
      "200": { description: "The contact.", schema: { $ref: "#/components/schemas/Contact" }, headers: { ETag: etagHeader } },
      "304": { description: "Not modified." },
      "412": { description: "If-Match does not hold for the current ETag." },
      "404": { description: "No such contact." },
    },
  },
  create: {
    summary: "Create a contact",
    tag: "contacts",
    auth: true,
    description:
      "Departments are given by name and created when new (an existing name in another case is reused). A value the server repairs (a 4-digit ZIP code gets its leading zero back) is listed in `warnings`. With `Idempotency-Key`, a retry with the same key and body returns the first response exactly as it was sent: status, `Location`, body and the ETag it had then (with `Idempotent-Replayed: true`), never the contact's current ETag, so a conditional write built from it cannot overwrite a later change. The same key with another body is a 422. Keys are kept 24 h, in the database (any API process answers them).",
    params: [
      idempotencyKeyParam,
      ...untaggedConditions("the contacts list", "`*` is a 412: the list the contact is posted to exists."),
    ],
    body: { $ref: "#/components/schemas/ContactCreate" },
    responses: {
      "201": {
        description: "Created; `Location` and `ETag` set; `warnings` when a value was repaired.",
        schema: { $ref: "#/components/schemas/ContactWritten" },
        headers: {
          Location: { description: "The new contact's path, `/contacts/{id}`.", schema: { type: "string", format: "uri-reference" } },
          ETag: etagHeader,
          "Idempotent-Replayed": idempotentReplayedHeader,
        },
      },
      "412": { description: "If-Match names a tag, or If-None-Match is `*` (`stale`); nothing is created." },
      "400": { description: "Malformed JSON, or a member given twice (`malformed-json`; `errors` names it)." },
      "409": { description: "Another contact has this e-mail (ignoring case)." },
      "413": { description: "Body over 1 MiB." },
      "415": { description: "Not application/json." },
      "422": { description: "Invalid fields, all listed in `errors`." },
    },
  },
  replace: {
    summary: "Replace a contact",
    tag: "contacts",
    auth: true,
    description: "Every field is written; absent optional fields become null, absent `departments` becomes []. `id`, `created_at` and `updated_at` may be echoed back unchanged.",
    params: [idParam, ifMatchParam, ifNoneMatchWriteParam],
    body: { $ref: "#/components/schemas/ContactReplace" },
    responses: {
      "200": { description: "The new state; new ETag; `warnings` when a value was repaired.", schema: { $ref: "#/components/schemas/ContactWritten" }, headers: { ETag: etagHeader } },
      "404": { description: "No such contact." },
      "409": { description: "E-mail taken." },
      "412": { description: "If-Match does not match the current ETag (a weak or unparseable one never does), or If-None-Match does." },
      "415": { description: "Not application/json." },
      "422": { description: "Invalid fields." },
    },
  },
  patch: {
    summary: "Change some fields (JSON merge patch, RFC 7396)",
    tag: "contacts",
    auth: true,
    description: "Members present are set; `null` clears an optional field; `departments` replaces the whole list.",
    params: [idParam, ifMatchParam, ifNoneMatchWriteParam],
    body: { $ref: "#/components/schemas/ContactPatch" },
    bodyTypes: ["application/merge-patch+json", "application/json"],
    responses: {
      "200": { description: "The new state; new ETag; `warnings` when a value was repaired.", schema: { $ref: "#/components/schemas/ContactWritten" }, headers: { ETag: etagHeader } },
      "404": { description: "No such contact." },
      "409": { description: "E-mail taken." },
      "412": { description: "Stale If-Match (a weak or unparseable one never matches), or If-None-Match matches." },
      "415": { description: "Not application/merge-patch+json or application/json." },
      "422": { description: "Invalid fields." },
    },
  },
  remove: {
    summary: "Delete a contact",
    tag: "contacts",
    auth: true,
    params: [idParam, ifMatchParam, ifNoneMatchWriteParam],
    responses: { "204": { description: "Deleted." }, "404": { description: "No such contact." }, "412": { description: "Stale If-Match, or If-None-Match matches." } },
  },
  departments: {
    summary: "Departments with how many contacts each has",
    tag: "contacts",
    params: [formatParam, ...untaggedConditions("the list", "`*` is a 304 (the list exists); a tag never matches (no ETag).")],
    responses: {
      "200": {
        description: "All departments by name. The counts are read once and kept until this API process's next write; on PostgreSQL, where other processes write, served up to 5 s, or 20 times as long as counting took, a minute at most, so their writes show within that.",
        csv: true,
        schema: listSchema({ type: "object", properties: { id: { type: "integer" }, name: { type: "string" }, contacts: { type: "integer" } } }),
      },
      "304": { description: "If-None-Match: *." },
      "400": { description: "Unknown parameter, or a `format` that is neither json nor csv." },
      "412": { description: "If-Match names a tag (`stale`)." },
    },
  },
  removeDepartment: {
    summary: "Delete a department no contact belongs to",
    tag: "contacts",
    auth: true,
    params: [
      { name: "id", in: "path" as const, required: true, description: "The department id.", schema: { type: "integer" } },
      ...untaggedConditions("the department", "`*` is a 412 while the department exists (a 404 once it does not); a tag never matches (no ETag)."),
    ],
    responses: {
      "204": { description: "Deleted." },
      "412": { description: "If-Match names a tag, or is `*` and the department does not exist; or If-None-Match is `*` and it does (`stale`). Nothing is deleted." },
      "404": { description: "No such department." },
      "409": { description: "Contacts still belong to it; `detail` says how many (`department-in-use`)." },
    },
  },
  importCsv: {
    summary: "Load a contacts CSV (what `npm run etl` uses while the API runs)",
    tag: "contacts",
    auth: true,
    description: `Either JSON \`{"upload": "<name>.csv", "source_name": "<file>"}\` naming a file the loader copied into the data dir's \`uploads/\` folder (what \`npm run etl\` sends: no size limit, the API reads the file), or the CSV itself as a \`text/csv\` body (limit ${IMPORT_MAX_BYTES / 2 ** 30} GiB, decoded; written to the \`uploads/\` folder as it arrives, never held in memory; \`X-Source-Name\` names it). Runs the same ingestion as the CLI between other writes; the upload is deleted afterwards. A body's import is recorded as a contacts run: the answer's \`run_id\` names it (\`GET /runs/{id}\`, every reject at \`/runs/{id}/rejects.csv\`). Departments come from a \`${contactRecord.links.csvColumn}\` column (one name per row, a person on several rows) or, in a file without one, from a \`${contactRecord.links.csvListColumn}\` column holding every name in one cell separated by \`;\` (a \`;\` inside a name doubled), as \`GET /contacts?format=csv\` writes them: a download loads back as it is. Links are only added, never removed.`,
    params: [headerParam("X-Source-Name", "File name for the summary.")],
    bodyTypes: IMPORT_CONTENT_TYPES,
    // Only the CSV itself is large, and it goes to a file as it arrives: the JSON naming an upload is
    // a few names, and 64 MiB of JSON took 1.6 GB and 21 s of the event loop to parse before it was
    // refused (1 MiB, the default).
    spoolBytesByType: Object.fromEntries(IMPORT_CONTENT_TYPES.filter((t) => t !== "application/json").map((t) => [t, IMPORT_MAX_BYTES])),
    body: importRequestSchema.json,
    bodyByType: Object.fromEntries(IMPORT_CONTENT_TYPES.filter((t) => t !== "application/json").map((t) => [t, { type: "string", description: "The CSV itself." }])),
    responses: {
      "200": { description: "The ingestion summary.", schema: ingestSummarySchema.json },
      "404": { description: "The named upload is not in the uploads folder." },
      "413": {
        description: `A JSON body over 1 MiB, or a CSV body over ${IMPORT_MAX_BYTES / 2 ** 30} GiB (decoded, for a compressed one; AppOptions \`maxSpooledBodyBytes\` may set less): refused from its Content-Length, or at its first byte over the limit, the part written to \`uploads/\` deleted; nothing loaded, no run recorded.`,
      },
      "415": { description: "Not application/json or text/csv." },
      "422": {
        description:
          "The CSV could not be read (the message names the file), or the upload name is invalid; or the load read the file and could use none of its rows, a failed run: `all-rejected` (every row rejected) or `no-rows` (a header and no data rows). That problem document also has `run_id` (a body's import: `GET /runs/{id}`, the rejects at `/runs/{id}/rejects.csv`) and `summary`, the ingestion summary a 200 would have been (its first 100 rejects, which lines and why).",
      },
    },
  },
} satisfies Record<string, RouteDoc>;
