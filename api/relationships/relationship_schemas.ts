/**
 * The one definition of every record the relationship routes answer with: each is a
 * schema-bearing definition (etl/json_schema) from which both the TypeScript type
 * (relationship_model.ts, the dashboard's JSDoc) and the OpenAPI schema are derived.
 */
import { array, boolean, integer, nullable, object, oneOf, optional, string, type Infer } from "../../etl/json_schema/mod.ts";
import { findingSchema } from "../../etl/runs/mod.ts";

const actorMembers = {
  id: integer({ description: "The actor's numeric id (column A of the matrix, the list's id)." }),
  letter_code: nullable(string({ description: "The matrix letter code (the data row's, else the header's, else the list's)." })),
  name: nullable(string({ description: "From the actor list; null when the actor is only in the matrix." })),
  degree: integer({ description: "How many actors are related to this one, in either direction." }),
  in_matrix: boolean(),
  in_list: boolean(),
  unknown_cells: integer({ description: "Blank cells in its matrix row (the diagonal excluded)." }),
};

/** An actor as lists show it (`GET /actors`, paths, subgraphs): the parts a person reads. */
export const actorSummarySchema = object(actorMembers);

/** An actor with where it sits in the workbook (`GET /actors/{id}`). */
export const actorSchema = object({
  ...actorMembers,
  list_letter_code: nullable(string({ description: "The code as written in the actor list." })),
  matrix_position: nullable(integer({ description: "0-based position in the matrix header; null if not in the header." })),
});

const direction = (description: string) => nullable(boolean({ description }));

/** One related actor, with directions relative to the actor asked about. */
export const relatedSchema = object({
  id: integer(),
  letter_code: nullable(string()),
  name: nullable(string()),
  a_to_b: direction("The asked actor's row marks this one (same as `outgoing`); null = the cell was blank (unknown)."),
  b_to_a: direction("This one's row marks the asked actor (same as `incoming`); null = blank."),
  outgoing: direction("Same as `a_to_b`."),
  incoming: direction("Same as `b_to_a`."),
});

/** One pair as in `v_actor_relationships`. */
export const pairSchema = object({
  person_a_id: integer(),
  person_a_letter: nullable(string()),
  person_a_name: nullable(string()),
  person_b_id: integer(),
  person_b_letter: nullable(string()),
  person_b_name: nullable(string()),
  a_to_b: direction("The cell at row person_a, column person_b: true = 1, false = 0, null = blank (unknown, not 0)."),
  b_to_a: direction("The cell at row person_b, column person_a."),
});

/** `GET /findings`: the published version's findings (the run record's `findingSchema`, etl/runs). */
export const findingsAnswerSchema = object({ items: array(findingSchema), version_id: nullable(integer()) });

/** `GET /relationships/path`. */
export const pathAnswerSchema = object({
  path: array(actorSummarySchema, { description: "The chain, both ends included." }),
  length: integer({ description: "Hops." }),
});

/** Where the matrix sits in its sheet (null for a snapshot written before schema version 2). */
export const matrixLayoutSchema = object({
  sheet: string(),
  header_row: integer({ description: "1-based sheet row of the header ids." }),
  first_col: integer({ description: "1-based sheet column of header position 0." }),
  code_row: nullable(integer()),
  id_col: nullable(integer()),
  code_col: nullable(integer()),
});

/** One header position of the matrix. */
export const matrixActorSchema = object({
  id: integer(),
  letter_code: nullable(string()),
  name: nullable(string()),
  sheet_row: nullable(integer({ description: "1-based sheet row of this actor's data row; null when it has none (its row is unknown)." })),
});

/** Cell counts of the whole matrix (diagonal excluded), computed on the server from the snapshot. */
export const cellCountsSchema = object({ one: integer(), zero: integer(), unknown: integer() });

/** `GET /matrix` as JSON. */
export const matrixAnswerSchema = object({
  actors: array(matrixActorSchema, { description: "The header, in order: row i and column i are actors[i]." }),
  rows: array(object({ id: integer(), cells: string({ description: "One character per column: '1', '0' or '.' (blank)." }) })),
  total: integer({ description: "Rows in the matrix (= actors in the header)." }),
  offset: integer(),
  counts: cellCountsSchema,
  layout: nullable(matrixLayoutSchema),
});

/** `GET /relationships/subgraph`: what the network view draws, in one answer. */
export const subgraphSchema = object({
  actors: array(actorSummarySchema),
  pairs: array(pairSchema, { description: "Every pair between two of `actors`." }),
  center: nullable(integer({ description: "The actor asked for with `around`, else null." })),
  center_degree: nullable(integer({ description: "How many actors the center is related to (the answer may hold fewer)." })),
  total_actors: integer({ description: "Actors in the version." }),
  total_pairs: integer({ description: "Pairs in the version." }),
});

/** One row of the snapshot's `changes` table as stored (etl/relationships `ChangeRow`). */
export const changeRowMembers = {
  entity: oneOf(["actor", "pair"]),
  change: oneOf(["added", "removed", "changed"]),
  numeric_id: nullable(integer({ description: "The actor (entity actor)." })),
  person_a: nullable(integer({ description: "The pair's smaller id (entity pair)." })),
  person_b: nullable(integer()),
  field: nullable(string({ description: "What changed: an actor column, or `a_to_b`/`b_to_a` of a pair." })),
  old_value: nullable(string()),
  new_value: nullable(string()),
};

/** `GET /versions` item: one published version. */
export const versionSchema = object({
  version_id: integer(),
  run_id: string(),
  loaded_at: string({ format: "date-time" }),
  file_name: string(),
  sha256: string(),
  size: integer(),
  actors: integer(),
  pairs: integer(),
  restored_from: nullable(integer({ description: "For a version made by `npm run etl -- --restore V`: V, whose data it publishes again; null for a load." })),
  changes: object({
    actors_added: integer(),
    actors_removed: integer(),
    actors_changed: integer(),
    pairs_added: integer(),
    pairs_removed: integer(),
    pairs_changed: integer(),
  }),
  current: boolean({ description: "True for the version being served." }),
});

/** `GET /versions`. */
export const versionsAnswerSchema = object({
  items: array(versionSchema),
  current_version_id: nullable(integer({ description: "The version being served; null before the first load." })),
  next_cursor: nullable(string()),
});

/** One row of the snapshot's `changes` table, with the names of the actors it concerns. */
export const changeSchema = object({
  version_id: integer(),
  run_id: string(),
  loaded_at: string({ format: "date-time" }),
  ...changeRowMembers,
  // Names come from the version being served, so a person reads "Ana Peña (A)" instead of an id;
  // an actor it no longer has is named by its last removal (history.ts), its letter then null.
  actor_letter: nullable(string()),
  actor_name: nullable(string()),
  person_a_letter: nullable(string()),
  person_a_name: nullable(string()),
  person_b_letter: nullable(string()),
  person_b_name: nullable(string()),
});

/** `GET /changes`. */
export const changesAnswerSchema = object({ items: array(changeSchema), next_cursor: nullable(string()) });

export type ActorSummary = Infer<typeof actorSummarySchema>;
export type Actor = Infer<typeof actorSchema>;
export type Related = Infer<typeof relatedSchema>;
export type Pair = Infer<typeof pairSchema>;
export type MatrixLayout = Infer<typeof matrixLayoutSchema>;
export type MatrixActor = Infer<typeof matrixActorSchema>;
export type CellCounts = Infer<typeof cellCountsSchema>;
export type Subgraph = Infer<typeof subgraphSchema>;
export type Version = Infer<typeof versionSchema>;
export type Change = Infer<typeof changeSchema>;
