/**
 * What the routes of a plain table say about themselves, and the schemas they refer to: derived
 * from its definition (filters, sorts, JSON Schema), as the contacts' are, so /openapi.json lists a
 * table registered in `extraTables` without a line written here.
 */
import { sortFields, tableFilterNames, tableFilters, type RecordDefinition } from "../../etl/contacts/mod.ts";
import { recordSchemas } from "../contacts/contacts_routes.ts";
import { headerParam, idempotencyKeyParam, idempotentReplayedHeader, listSchema, pagedFormatParam, pagingParams, sortParam, untaggedConditions, type RouteDoc } from "../http/route_doc.ts";

/** `note` -> `Note`, the prefix of a table's schema names. */
export function schemaPrefix(record: RecordDefinition): string {
  return record.name.split("_").map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join("");
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/**
 * Returns the route docs of `record`'s table: list, get, create, replace, patch, remove.
 *
 * @example
 * ```ts
 * tableDocs(notesRecord).list.params.map((p) => p.name); // ["topic", "q", "sort", "limit", "cursor", "count", "format", "If-Match", "If-None-Match"]
 * ```
 */
export function tableDocs(record: RecordDefinition) {
  const name = record.name;
  const prefix = schemaPrefix(record);
  const idParam = { name: "id", in: "path" as const, required: true, description: `The ${name} id.`, schema: { type: "integer" } };
  const ifMatchParam = headerParam("If-Match", `Optional. The ETag you read; the write fails with 412 if the ${name} changed since. Without it the write is unconditional.`);
  const ifNoneMatchParam = headerParam(
    "If-None-Match",
    `Optional. On a GET, the ETag you hold: 304 while the ${name} is unchanged. On a write, \`*\` or an ETag of its current version makes it a 412, nothing written.`,
  );
  const etag = { description: `The ${name}'s version (\`"3"\`); a compressed answer's names its coding (\`"3-br"\`), and either stands for the version in If-Match and If-None-Match.`, schema: { type: "string" } };
  const searchable = record.fields.filter((f) => f.searchable).map((f) => f.name);
  const filterDocs = tableFilters(record).map((f) => ({ name: f.param, description: f.description, schema: { type: "string" } }));
  if (tableFilterNames(record).includes("q")) {
    filterDocs.push({ name: "q", description: `Substring of ${searchable.map((f) => `\`${f}\``).join(", ")}, ignoring case and accents.`, schema: { type: "string" } });
  }
  const written = { description: "The new state; new ETag; `warnings` when a value was repaired.", schema: ref(`${prefix}Written`) };
  return {
    list: {
      summary: `List ${record.table}`,
      tag: "tables",
      description:
        "Filters combine with AND. Keyset pagination: follow `next_cursor` (or the `Link: rel=\"next\"` header) until it is null; a cursor only works with the same sort. Unknown query parameters are a 400.",
      params: [
        ...filterDocs,
        sortParam(sortFields(record)),
        ...pagingParams(1000, 50),
        { name: "count", description: "`true` adds `total`, the number of matches across all pages (costs a full scan). `true` or `false`, also with CSV, which has no total.", schema: { type: "boolean" } },
        pagedFormatParam,
        ...untaggedConditions("the list", "`*` is a 304 (the list exists); a tag never matches (no ETag)."),
      ],
      responses: {
        "200": {
          description: `A page of ${record.table} (\`total\` only with count=true); as CSV, every match, read from one snapshot.`,
          schema: withTotal(listSchema(ref(prefix))),
          csv: true,
          headers: { Link: { description: "`<...>; rel=\"next\"`: the next page, while there is one (as `next_cursor`).", schema: { type: "string" } } },
        },
        "304": { description: "If-None-Match: *." },
        "400": { description: "Unknown parameter, bad sort, limit, count, cursor or format." },
        "412": { description: "If-Match names a tag (`stale`)." },
      },
    },
    get: {
      summary: `One ${name}`,
      tag: "tables",
      description: `The \`ETag\` is the ${name}'s version; send it back in \`If-None-Match\` (304) or \`If-Match\` (safe writes).`,
      params: [idParam, ifNoneMatchParam, { ...ifMatchParam, description: `Optional. 412 unless the ${name}'s ETag is this one.` }],
      responses: {
        "200": { description: `The ${name}.`, schema: ref(prefix), headers: { ETag: etag } },
        "304": { description: "Not modified." },
        "412": { description: "If-Match does not hold for the current ETag." },
        "404": { description: `No such ${name}.` },
      },
    },
    create: {
      summary: `Create a ${name}`,
      tag: "tables",
      auth: true,
      description:
        "With `Idempotency-Key`, a retry with the same key and body returns the first response exactly as it was sent (with `Idempotent-Replayed: true`); the same key with another body, or already used on another resource, is a 422. Keys are kept 24 h, in the database.",
      params: [
        idempotencyKeyParam,
        ...untaggedConditions("the list", "`*` is a 412: the list the record is posted to exists."),
      ],
      body: ref(`${prefix}Create`),
      responses: {
        "201": {
          description: "Created; `Location` and `ETag` set; `warnings` when a value was repaired.",
          schema: ref(`${prefix}Written`),
          headers: {
            Location: { description: `The new ${name}'s path.`, schema: { type: "string", format: "uri-reference" } },
            ETag: etag,
            "Idempotent-Replayed": idempotentReplayedHeader,
          },
        },
        "412": { description: "If-Match names a tag, or If-None-Match is `*` (`stale`); nothing is created." },
        "422": { description: "Invalid fields, all listed in `errors`." },
      },
    },
    replace: {
      summary: `Replace a ${name}`,
      tag: "tables",
      auth: true,
      description: "Every field is written; absent optional fields become null. `id`, `created_at` and `updated_at` may be echoed back unchanged.",
      params: [idParam, ifMatchParam, ifNoneMatchParam],
      body: ref(`${prefix}Replace`),
      responses: {
        "200": written,
        "404": { description: `No such ${name}.` },
        "412": { description: "If-Match does not match the current ETag (a weak or unparseable one never does), or If-None-Match does." },
        "422": { description: "Invalid fields." },
      },
    },
    patch: {
      summary: `Change some fields of a ${name} (JSON merge patch, RFC 7396)`,
      tag: "tables",
      auth: true,
      description: "Members present are set; `null` clears an optional field.",
      params: [idParam, ifMatchParam, ifNoneMatchParam],
      body: ref(`${prefix}Patch`),
      bodyTypes: ["application/merge-patch+json", "application/json"],
      responses: {
        "200": written,
        "404": { description: `No such ${name}.` },
        "412": { description: "Stale If-Match (a weak or unparseable one never matches), or If-None-Match matches." },
        "422": { description: "Invalid fields." },
      },
    },
    remove: {
      summary: `Delete a ${name}`,
      tag: "tables",
      auth: true,
      params: [idParam, ifMatchParam, ifNoneMatchParam],
      responses: { "204": { description: "Deleted." }, "404": { description: `No such ${name}.` }, "412": { description: "Stale If-Match, or If-None-Match matches." } },
    },
  } satisfies Record<string, RouteDoc>;
}

function withTotal(schema: object): object {
  const s = schema as { properties: Record<string, unknown> };
  return { ...s, properties: { ...s.properties, total: { type: "integer", description: "Matches across all pages; only with count=true." } } };
}

/**
 * Returns the schemas `record`'s routes refer to: `<Name>`, `<Name>Create`, `<Name>Replace`,
 * `<Name>Patch` and `<Name>Written` (the row plus `warnings`).
 *
 * @example
 * ```ts
 * Object.keys(tableSchemas(notesRecord)); // ["Note", "NoteCreate", "NoteReplace", "NotePatch", "NoteWritten"]
 * ```
 */
export function tableSchemas(record: RecordDefinition): Record<string, object> {
  return recordSchemas(record, schemaPrefix(record));
}
