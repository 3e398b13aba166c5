/**
 * Every SQL statement the API runs, in one place. Values always arrive as bound parameters ($1...).
 * Every table of contacts.duckdb, the API's `api_idempotency_keys` included, is created by the
 * migrations in etl/contacts/migrations/: the schema has one home.
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

/**
 * Idempotency keys are kept 24 h (purged at start-up). The table (etl/contacts/migrations/002) is
 * written in the same transaction as the contact a POST created, so a retry after a crash finds it.
 */
export const IDEMPOTENCY_PURGE = `DELETE FROM api_idempotency_keys WHERE created_at < current_timestamp - INTERVAL 24 HOUR`;
/** Every stored key, loaded into memory at start-up. */
export const IDEMPOTENCY_ALL = `SELECT key, fingerprint, status, location, body FROM api_idempotency_keys`;
/** Records a key in the transaction of the contact it created. */
export const IDEMPOTENCY_INSERT = `INSERT INTO api_idempotency_keys (key, fingerprint, status, location, body) VALUES ($1, $2, $3, $4, $5)`;

/** Contacts: department links of every contact, for the in-memory read model. */
export const CONTACT_LINKS_ALL = `
  SELECT cd.contact_id::INTEGER AS contact_id, d.name
  FROM contact_departments cd JOIN departments d ON d.id = cd.department_id
  ORDER BY cd.contact_id, d.name`;
/** Contacts: every department. */
export const DEPARTMENTS_ALL = `SELECT id::INTEGER AS id, name FROM departments ORDER BY name, id`;
/** Contacts: a department created on first use. */
export const DEPARTMENT_INSERT = `INSERT INTO departments (name) VALUES ($1) RETURNING id::INTEGER AS id, name`;
/** Contacts: links a contact to a department. */
export const LINK_INSERT = `INSERT INTO contact_departments (contact_id, department_id) VALUES ($1, $2)`;
/** Contacts: drops a contact's department links (before relinking or deleting it). */
export const LINKS_DELETE = `DELETE FROM contact_departments WHERE contact_id = $1`;
/** Contacts: deletes a contact if still at the version checked (returns nothing otherwise). */
export const CONTACT_DELETE = `DELETE FROM contacts WHERE id = $1 AND version = $2 RETURNING id`;
