/**
 * Contacts: the one record definition, its validation and JSON Schema, schema migrations, CSV
 * ingestion and the hand-over to a running API. Other folders (api/, etl/main.ts) import from here.
 */
export { contactRecord } from "./contact_record.ts";
export { extendRecord, type FieldDefinition, type LinkDefinition, type RecordDefinition } from "./record_definition.ts";
export {
  validateContact,
  validateRecord,
  type ContactInput,
  type FieldError,
  type FieldFix,
  type ValidationMode,
  type ValidationResult,
} from "./validate_contact.ts";
export { contactJsonSchema, recordJsonSchema, type SchemaMode } from "./contact_json_schema.ts";
export {
  CONTACT_DELETE,
  CONTACT_LINKS_ALL,
  contactSql,
  DEPARTMENT_INSERT,
  DEPARTMENTS_ALL,
  IDEMPOTENCY_ALL,
  IDEMPOTENCY_INSERT,
  IDEMPOTENCY_PURGE,
  LINK_INSERT,
  LINKS_DELETE,
  recordSql,
  type RecordSql,
} from "./contact_sql.ts";
export { defaultMigrationsDir, migrate, MigrationError, type MigrateOptions } from "./migrate.ts";
export {
  ContactsCsvError,
  ingestContacts,
  type IngestOptions,
} from "./ingest_contacts.ts";
export {
  ContactsLoadError,
  loadContacts,
  type LoadContactsOptions,
  type LoadContactsResult,
} from "./load_contacts.ts";
