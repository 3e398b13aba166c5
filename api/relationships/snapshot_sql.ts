/**
 * Every SQL statement the API runs on a relationship snapshot, in one place. Values always arrive
 * as bound parameters ($1...). The tables are etl/relationships/schema.sql's.
 */

/** Relationship snapshot: the whole actor table, loaded into memory on open. */
export const SNAPSHOT_ACTORS = `
  select numeric_id::INTEGER as id, letter_code, actor_name as name, list_letter_code,
         in_matrix, in_list, matrix_position::INTEGER as matrix_position,
         coalesce(degree, 0)::INTEGER as degree, coalesce(unknown_cells, 0)::INTEGER as unknown_cells
  from actors order by numeric_id`;

/** Relationship snapshot: every marked pair. */
export const SNAPSHOT_PAIRS = `
  select person_a::INTEGER as a, person_b::INTEGER as b, a_to_b, b_to_a
  from user_relationships order by person_a, person_b`;

/** Relationship snapshot: quality findings of the published version. */
export const SNAPSHOT_FINDINGS = `
  select check_name as "check", severity, message, cells, count::INTEGER as count from findings order by severity, check_name`;

/** Relationship snapshot: which version this file holds. */
export const SNAPSHOT_INFO = `select version_id::INTEGER as version_id, run_id, published_at from snapshot_info limit 1`;

/** Relationship snapshot: the changes one run made. */
export const SNAPSHOT_CHANGES_FOR_RUN = `
  select version_id::INTEGER as version_id, entity, change, numeric_id::INTEGER as numeric_id,
         person_a::INTEGER as person_a, person_b::INTEGER as person_b, field, old_value, new_value
  from changes where run_id = $1
  order by entity, change, numeric_id nulls last, person_a nulls last, person_b nulls last, field nulls last
  limit $2`;

/** Relationship snapshot: a window of the matrix rows in header order. */
export const SNAPSHOT_MATRIX_ROWS = `
  select numeric_id::INTEGER as id, cells from matrix_rows order by matrix_position limit $1 offset $2`;

/** Relationship snapshot: how many matrix rows there are. */
export const SNAPSHOT_MATRIX_COUNT = `select count(*)::INTEGER as n from matrix_rows`;
