/**
 * What each relationship route says about itself: data beside the handlers in
 * relationship_routes.ts, read by the OpenAPI generator and the /docs page.
 */
import { formatParam, listSchema, pagingParams, type RouteDoc } from "../http/route_doc.ts";

export const PAIR_COLUMNS = ["person_a_id", "person_a_letter", "person_a_name", "person_b_id", "person_b_letter", "person_b_name", "a_to_b", "b_to_a"] as const;

const actorIdParam = { name: "id", in: "path" as const, required: true, description: "The actor's numeric id.", schema: { type: "integer" } };

const actorSchema = {
  type: "object",
  properties: {
    id: { type: "integer" },
    letter_code: { type: ["string", "null"] },
    name: { type: ["string", "null"] },
    degree: { type: "integer", description: "How many actors are related to this one, in either direction." },
    in_matrix: { type: "boolean" },
    in_list: { type: "boolean" },
    unknown_cells: { type: "integer" },
  },
};
const pairSchema = {
  type: "object",
  properties: Object.fromEntries(PAIR_COLUMNS.map((c) => [c, { type: c.endsWith("_id") ? "integer" : c.startsWith("a_") || c.startsWith("b_") ? "boolean" : ["string", "null"] }])),
};

/** The docs of the relationship routes, by handler. */
export const relationshipDocs = {
  actors: {
    summary: "List actors of the published version",
    tag: "relationships",
    params: [
      { name: "q", description: "Case- and accent-insensitive search in the name and letter code." },
      { name: "sort", description: "`degree` (most related first, default), `name` or `id`.", schema: { type: "string", enum: ["degree", "name", "id"] } },
      ...pagingParams(1000, 50),
      formatParam,
    ],
    responses: {
      "200": { description: "A page of actors.", schema: listSchema(actorSchema), csv: true },
      "400": { description: "Bad sort, limit or cursor." },
      "503": { description: "No version published yet." },
    },
  },
  actor: {
    summary: "One actor, with its degree",
    tag: "relationships",
    params: [actorIdParam],
    responses: { "200": { description: "The actor.", schema: actorSchema }, "304": { description: "Not modified." }, "404": { description: "No such actor." } },
  },
  actorRelationships: {
    summary: "The actors related to one actor, with the directions marked",
    tag: "relationships",
    description:
      "`outgoing` (= `a_to_b`): the actor's own matrix row marks the other one; `incoming` (= `b_to_a`): the other's row marks this actor.",
    params: [actorIdParam, formatParam],
    responses: {
      "200": {
        description: "Related actors, by id.",
        csv: true,
        schema: listSchema({
          type: "object",
          properties: {
            id: { type: "integer" },
            letter_code: { type: ["string", "null"] },
            name: { type: ["string", "null"] },
            a_to_b: { type: "boolean" },
            b_to_a: { type: "boolean" },
            outgoing: { type: "boolean" },
            incoming: { type: "boolean" },
          },
        }),
      },
      "404": { description: "No such actor." },
    },
  },
  relationships: {
    summary: "Related pairs with both names (like v_actor_relationships)",
    tag: "relationships",
    params: [{ name: "actor", description: "Only pairs that include this actor id.", schema: { type: "integer" } }, ...pagingParams(1000, 100), formatParam],
    responses: { "200": { description: "A page of pairs ordered by (person_a_id, person_b_id).", schema: listSchema(pairSchema), csv: true }, "400": { description: "Bad parameter." } },
  },
  path: {
    summary: "A shortest chain of relationships between two actors",
    tag: "relationships",
    description: "Follows pairs in either direction. `length` is the number of hops.",
    params: [
      { name: "from", required: true, description: "Start actor id.", schema: { type: "integer" } },
      { name: "to", required: true, description: "End actor id.", schema: { type: "integer" } },
    ],
    responses: {
      "200": { description: "The chain, both ends included.", schema: { type: "object", properties: { path: { type: "array", items: actorSchema }, length: { type: "integer" } } } },
      "400": { description: "from/to missing or not integers." },
      "404": { description: "Unknown actor, or no chain." },
    },
  },
  matrix: {
    summary: "The adjacency matrix, a window of rows at a time",
    tag: "relationships",
    description: "`actors` is the header order; each row's `cells` has one character per header column: '1', '0' or '.' (blank/unknown).",
    params: [
      { name: "offset", description: "First row (0-based).", schema: { type: "integer", minimum: 0 } },
      { name: "limit", description: "Rows, 1..2000 (default 200).", schema: { type: "integer", minimum: 1, maximum: 2000 } },
    ],
    responses: {
      "200": {
        description: "Header and rows.",
        schema: {
          type: "object",
          properties: {
            actors: { type: "array", items: { type: "object", properties: { id: { type: "integer" }, letter_code: { type: ["string", "null"] } } } },
            rows: { type: "array", items: { type: "object", properties: { id: { type: "integer" }, cells: { type: "string" } } } },
            total: { type: "integer" },
            offset: { type: "integer" },
          },
        },
      },
    },
  },
  findings: {
    summary: "Quality findings of the published version",
    tag: "relationships",
    params: [formatParam],
    responses: {
      "200": {
        description: "Findings with cell references (in CSV, `cells` are joined with `; `).",
        csv: true,
        schema: listSchema({
          type: "object",
          properties: { check: { type: "string" }, severity: { type: "string" }, message: { type: "string" }, cells: { type: "array", items: { type: "string" } }, count: { type: ["integer", "null"] } },
        }),
      },
    },
  },
} satisfies Record<string, RouteDoc>;
