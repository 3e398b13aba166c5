/**
 * What each relationship route says about itself: data beside the handlers in
 * relationship_routes.ts, read by the OpenAPI generator and the /docs page. Answer schemas are the
 * definitions of relationship_schemas.ts, the same ones the handlers' types come from.
 */
import { formatParam, pagedFormatParam, pagingParams, type ParamDoc, type RouteDoc } from "../http/route_doc.ts";
import { array, object, page, ref } from "../../etl/json_schema/mod.ts";
import { MATRIX_HEADER_BYTES } from "./matrix_cells.ts";
import {
  actorSchema,
  actorSummarySchema,
  changesAnswerSchema,
  findingsAnswerSchema,
  matrixAnswerSchema,
  pairSchema,
  pathAnswerSchema,
  relatedSchema,
  subgraphSchema,
  versionsAnswerSchema,
} from "./relationship_schemas.ts";

export const PAIR_COLUMNS = ["person_a_id", "person_a_letter", "person_a_name", "person_b_id", "person_b_letter", "person_b_name", "a_to_b", "b_to_a"] as const;

/** The columns of `GET /changes` in CSV: the JSON members, in order. */
export const CHANGE_COLUMNS = Object.keys((changesAnswerSchema.json.properties as { items: { items: { properties: object } } }).items.items.properties);

/** The named schemas the relationship answers refer to (OpenAPI `components.schemas`). */
export const relationshipSchemas = {
  Actor: actorSchema.json,
  ActorSummary: actorSummarySchema.json,
  Related: relatedSchema.json,
  Pair: pairSchema.json,
};

const ACTOR_REF = "A numeric id, or a letter code (the matrix's or the list's, any case, e.g. `AÑ`).";
const actorIdParam: ParamDoc = { name: "id", in: "path", required: true, description: `The actor: ${ACTOR_REF}`, schema: { type: "string", examples: ["2"] } };
const summaryRef = ref("ActorSummary", actorSummarySchema);

/** The most actors `GET /relationships/subgraph` takes in `include`. */
export const MAX_INCLUDE = 20;
/** The most actor ids `GET /changes` takes in `among` (the most a subgraph draws is 1,000). */
export const MAX_AMONG = 1000;
/** The largest `offset` of `GET /matrix`: far past any matrix, and offset + limit still an INTEGER for the window's SQL. */
export const MAX_OFFSET = 999_999_999;

/** The docs of the relationship routes, by handler. */
export const relationshipDocs = {
  actors: {
    summary: "List actors of the published version",
    tag: "relationships",
    params: [
      { name: "q", description: "Case- and accent-insensitive search in the name and letter code." },
      { name: "sort", description: "`degree` (most related first, default), `name` or `id`.", schema: { type: "string", enum: ["degree", "name", "id"] } },
      ...pagingParams(1000, 50),
      pagedFormatParam,
    ],
    responses: {
      "200": { description: "A page of actors, each with its degree.", schema: page(summaryRef).json, csv: true },
      "304": { description: "Not modified (If-None-Match)." },
      "412": { description: "If-Match does not hold for the current ETag." },
      "400": { description: "Unknown parameter, bad sort, limit, cursor or format." },
    },
  },
  actor: {
    summary: "One actor, with its degree and where it sits in the workbook",
    tag: "relationships",
    params: [actorIdParam],
    responses: {
      "200": { description: "The actor.", schema: ref("Actor", actorSchema).json },
      "304": { description: "Not modified." },
      "412": { description: "If-Match does not hold for the current ETag." },
      "404": { description: "No such actor." },
      "409": { description: "The letter code belongs to more than one actor." },
    },
  },
  actorRelationships: {
    summary: "The actors related to one actor, with the directions marked",
    tag: "relationships",
    description:
      "`outgoing` (= `a_to_b`): the actor's own matrix row marks the other one; `incoming` (= `b_to_a`): the other's row marks this actor. `null` means that cell was blank (unknown), not 0.",
    params: [actorIdParam, formatParam],
    responses: {
      "200": { description: "Related actors, by id.", csv: true, schema: object({ items: array(ref("Related", relatedSchema)) }).json },
      "304": { description: "Not modified." },
      "412": { description: "If-Match does not hold for the current ETag." },
      "400": { description: "Unknown parameter, or a `format` that is neither json nor csv." },
      "404": { description: "No such actor." },
      "409": { description: "The letter code belongs to more than one actor." },
    },
  },
  relationships: {
    summary: "Related pairs with both names (like v_actor_relationships)",
    tag: "relationships",
    params: [
      { name: "actor", description: `Only pairs that include this actor (${ACTOR_REF}); read from the actor's own index.`, schema: { type: "string" } },
      ...pagingParams(1000, 100),
      pagedFormatParam,
    ],
    responses: {
      "200": { description: "A page of pairs ordered by (person_a_id, person_b_id).", schema: page(ref("Pair", pairSchema)).json, csv: true },
      "304": { description: "Not modified." },
      "412": { description: "If-Match does not hold for the current ETag." },
      "400": { description: "Unknown parameter, bad actor, limit, cursor or format." },
      "409": { description: "`actor` is a letter code that belongs to more than one actor (`ambiguous-code`)." },
    },
  },
  path: {
    summary: "A shortest chain of relationships between two actors",
    tag: "relationships",
    description: "Follows pairs in either direction. `length` is the number of hops.",
    params: [
      { name: "from", required: true, description: `Start actor: ${ACTOR_REF}`, schema: { type: "string", examples: ["1"] } },
      { name: "to", required: true, description: `End actor: ${ACTOR_REF}`, schema: { type: "string", examples: ["3"] } },
    ],
    responses: {
      "200": { description: "The chain, both ends included.", schema: pathAnswerSchema.json },
      "304": { description: "Not modified." },
      "412": { description: "If-Match does not hold for the current ETag." },
      "400": { description: "Unknown parameter; from/to missing or neither an id nor a letter code." },
      "404": { description: "Unknown actor, or no chain." },
      "409": { description: "A letter code belongs to more than one actor." },
    },
  },
  subgraph: {
    summary: "The part of the network a view draws: the busiest actors, or one actor's neighbourhood",
    tag: "relationships",
    description:
      "Without `around`: the `limit` actors with the highest degree (ties by id) and every pair between two of them. With `around`: that actor and its `limit - 1` busiest neighbours. One request instead of every pair page.",
    params: [
      { name: "limit", description: "Actors, 1..1000 (default 100).", schema: { type: "integer", minimum: 1, maximum: 1000 } },
      { name: "around", description: `Center the subgraph on this actor: ${ACTOR_REF}`, schema: { type: "string" } },
      { name: "include", description: `Comma-separated actors (ids or codes, at most ${MAX_INCLUDE}) to add whatever their rank, e.g. the other end of a pair a finding points at.`, schema: { type: "string" } },
    ],
    responses: {
      "200": { description: "Actors (busiest first) and their pairs.", schema: subgraphSchema.json },
      "304": { description: "Not modified." },
      "412": { description: "If-Match does not hold for the current ETag." },
      "400": { description: `Unknown parameter, bad limit, around or include, or more than ${MAX_INCLUDE} actors in include.` },
      "404": { description: "No such actor." },
      "409": { description: "A letter code in `around` or `include` belongs to more than one actor (`ambiguous-code`)." },
    },
  },
  matrix: {
    summary: "The adjacency matrix: cell counts, the header and rows, as JSON or compact binary",
    tag: "relationships",
    description:
      "Row i and column i are `actors[i]` (the header order). JSON: a window of rows, each `cells` one character per column, '1', '0' or '.' (blank/unknown), plus `counts` of the whole matrix (diagonal excluded) and `layout` (where the matrix sits in its sheet, to name cells like `'Matriz de adyacencia'!F5`: column = first_col + i, row = actors[i].sheet_row). " +
      `Binary (\`Accept: application/octet-stream\` or \`format=binary\`; the whole matrix unless limit is given), little-endian: bytes 0-3 \`RMX1\`, 4-7 n (uint32), 8-11 offset, 12-15 rows, then from byte ${MATRIX_HEADER_BYTES} \`rows\` rows of ceil(n/4) bytes where column j is bits 2(j mod 4)..2(j mod 4)+1 of byte floor(j/4): 0 blank, 1 = 0, 2 = 1. Both forms are cached per snapshot; each has its own ETag (the binary one ends in \`-bin\`).`,
    params: [
      { name: "offset", description: `First row (0-based header position), 0..${MAX_OFFSET}.`, schema: { type: "integer", minimum: 0, maximum: MAX_OFFSET } },
      { name: "limit", description: "Rows: JSON 1..2000 (default 200); binary 1..16384 (default all).", schema: { type: "integer", minimum: 1, maximum: 16384 } },
      { name: "format", description: "`json` (default) or `binary` (same as `Accept: application/octet-stream`).", schema: { type: "string", enum: ["json", "binary"] } },
    ],
    responses: {
      "200": { description: "Header, counts and rows (JSON), or the packed rows (binary).", schema: matrixAnswerSchema.json, binary: true },
      "304": { description: "Not modified." },
      "412": { description: "If-Match does not hold for the current ETag." },
      "400": { description: "Unknown parameter, bad offset, limit or format." },
    },
  },
  findings: {
    summary: "Quality findings of the published version",
    tag: "relationships",
    params: [formatParam],
    responses: {
      "200": { description: "Findings with cell references: errors, then warnings, then info, by check name within each, with `values` where the check keeps them (a file older than schema version 5 has none). In CSV, `cells` and `values` are joined with `; `.", csv: true, schema: findingsAnswerSchema.json },
      "304": { description: "Not modified." },
      "412": { description: "If-Match does not hold for the current ETag." },
      "400": { description: "Unknown parameter, or a `format` that is neither json nor csv." },
    },
  },
  versions: {
    summary: "Published versions, newest first, with what each changed",
    tag: "history",
    description: "From the history the served snapshot carries. Before the first load: an empty list (`current_version_id` null), not an error.",
    params: pagingParams(1000, 50),
    responses: {
      "200": { description: "A page of versions; `current` marks the one being served.", schema: versionsAnswerSchema.json },
      "304": { description: "Not modified." },
      "412": { description: "If-Match does not hold for the current ETag." },
      "400": { description: "Unknown parameter, bad limit or cursor." },
      "503": { description: "The published file cannot be read (`snapshot-unreadable`): an empty list would read as nothing published yet." },
    },
  },
  changes: {
    summary: "What changed between versions: every added, removed and changed actor and pair",
    tag: "history",
    description:
      "Newest version first. Actors are named as the version being served names them; an actor it no longer has, as the last version that had it did (the name and letter code its removal recorded; a removal a load before schema version 4 wrote recorded no code: null). A null name with a null letter: the history holds no name for that actor. Before the first load: an empty list (but `version` is a 404: there is no version yet).",
    params: [
      { name: "version", description: "Only this version's changes (against the one before it).", schema: { type: "integer", minimum: 1 } },
      { name: "since", description: "Only versions loaded at or after this instant: an RFC 3339 date-time (`2026-03-03T08:00:00Z`, `2026-03-03T09:00:00+01:00`; UTC when it has no offset) or a date (`2026-03-03`: its start, UTC), read as `/runs` reads it. Another value, or a date that does not exist, is a 400.", schema: { type: "string", examples: ["2026-03-03T08:00:00Z"] } },
      {
        name: "from",
        description:
          "With `to`: the net change from this version's data to `to`'s instead of each version's own changes (left out: the oldest version the history holds). One row per actor or pair added or removed and per field changed between the two; a pair related in `from` and not in `to` is one removal, one changed and changed back between them is no row. Each row carries the latest version of the range that changed it. Ordered by entity (actors first), id, field. Not with `version` or `since`; after `to` is a 400.",
        schema: { type: "integer", minimum: 1 },
      },
      { name: "to", description: "The later version of the net change (`from`; left out: the newest version the history holds, the one served). `from=N&to=N` changes nothing: an empty list.", schema: { type: "integer", minimum: 1 } },
      { name: "actor", description: `Only changes of this actor or of its pairs: ${ACTOR_REF} A code the served version no longer has names the removed actor that last had it, as the answers name it (409 when several had it).`, schema: { type: "string" } },
      {
        name: "among",
        description: `Only changes of pairs whose two actors are both in this comma-separated list of ids (at most ${MAX_AMONG}): what a drawing of those actors marks.`,
        schema: { type: "string" },
      },
      {
        name: "kind",
        description: "`actor` or `pair`, `added`, `removed` or `changed`, or both as `pair-added`.",
        schema: { type: "string", enum: ["actor", "pair", "added", "removed", "changed", "actor-added", "actor-removed", "actor-changed", "pair-added", "pair-removed", "pair-changed"] },
      },
      ...pagingParams(1000, 100),
      pagedFormatParam,
    ],
    responses: {
      "200": { description: "A page of changes (CSV: every match).", schema: changesAnswerSchema.json, csv: true },
      "304": { description: "Not modified." },
      "412": { description: "If-Match does not hold for the current ETag." },
      "400": { description: "Unknown parameter, bad filter (a version below 1, say), `from` after `to`, `from`/`to` with `version` or `since`, limit, cursor (one from another `from`/`to` too) or format; before the first load too." },
      "404": { description: "`version`, `from` or `to` names a version the history does not hold (not loaded yet, or older than a history that restarted; the problem names the parameter): not an empty list, which would read as nothing changed. Before the first load the history holds none, so any `version`, `from` or `to` is this 404." },
      "409": { description: "`actor` is a letter code that belongs to more than one actor (`ambiguous-code`)." },
      "503": { description: "The published file cannot be read (`snapshot-unreadable`): an empty list would read as nothing published yet." },
    },
  },
} satisfies Record<string, RouteDoc>;
