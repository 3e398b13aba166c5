/**
 * SQL column lists and statements derived from a record definition, for the ingestion and the
 * API. Statements use positional parameters in the order of `columns`.
 */
import { quoteIdent } from "../db/mod.ts";
import { contactRecord } from "./contact_record.ts";
import { keyColumnOf, upsertKeyOf, type RecordDefinition } from "./record_definition.ts";

/** Statements and column lists for one record table. */
export interface RecordSql {
  /** Quoted table name. */
  readonly table: string;
  /** Field columns in definition order (unquoted names, = JSON keys). */
  readonly columns: readonly string[];
  /** The unique-ignoring-case field (`email`) and its key column (`email_key`). */
  readonly keyField: string;
  readonly keyColumn: string;
  /** `id, first_name, ..., created_at, updated_at, version` (quoted), for SELECTs. */
  readonly selectList: string;
  /** INSERT of every field column ($1..$n in `columns` order) + the key column; RETURNING id, version. */
  readonly insert: string;
  /**
   * UPDATE of `fields` ($1..$k in the given order) WHERE id = $k+1 (AND version = $k+2 when
   * `ifVersion`), bumping version and updated_at; RETURNING version. Sets the key column only when
   * the key field is among `fields`: DuckDB rewrites an UPDATE of an indexed column as delete +
   * insert, which is needless work (and fails if a foreign key ever points at the row).
   */
  update(fields: readonly string[], options?: { ifVersion?: boolean }): string;
}

/**
 * Returns the SQL for `record`.
 *
 * @example
 * ```ts
 * const sql = recordSql(contactRecord);
 * await db.all(sql.insert, sql.columns.map((c) => value[c] ?? null)); // [{ id: 1, version: 1 }]
 * ```
 */
export function recordSql(record: RecordDefinition): RecordSql {
  const columns = record.fields.map((f) => f.name);
  const key = upsertKeyOf(record);
  const keyColumn = keyColumnOf(key);
  const keyIndex = columns.indexOf(key.name) + 1;
  const table = quoteIdent(record.table);
  const quoted = columns.map(quoteIdent);
  const insert =
    `INSERT INTO ${table} (${[...quoted, quoteIdent(keyColumn)].join(", ")}) ` +
    `VALUES (${[...columns.map((_, i) => `$${i + 1}`), `lower($${keyIndex})`].join(", ")}) RETURNING id, version`;
  return {
    table,
    columns,
    keyField: key.name,
    keyColumn,
    selectList: ["id", ...quoted, "created_at", "updated_at", "version"].join(", "),
    insert,
    update(fields, options = {}) {
      for (const f of fields) {
        if (!columns.includes(f)) throw new TypeError(`'${f}' is not a column of ${record.table}`);
      }
      const sets = fields.map((f, i) => `${quoteIdent(f)} = $${i + 1}`);
      const keyAt = fields.indexOf(key.name);
      if (keyAt >= 0) sets.push(`${quoteIdent(keyColumn)} = lower($${keyAt + 1})`);
      sets.push("version = version + 1", "updated_at = current_timestamp");
      const id = fields.length + 1;
      const guard = options.ifVersion ? ` AND version = $${id + 1}` : "";
      return `UPDATE ${table} SET ${sets.join(", ")} WHERE id = $${id}${guard} RETURNING version`;
    },
  };
}

/** The contacts table's SQL (see recordSql). */
export const contactSql: RecordSql = recordSql(contactRecord);

// The API's statements on contacts.duckdb (the tables are the migrations' in ./migrations/).

/**
 * Idempotency keys are kept 24 h (purged at start-up). The table (migrations/002) is
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
