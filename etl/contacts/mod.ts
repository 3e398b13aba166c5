/**
 * Contacts: the one record definition, its validation and JSON Schema, schema migrations, CSV
 * ingestion and the hand-over to a running API. Other folders (api/, etl/main.ts) import from here.
 */
export { contactRecord } from "./contact_record.ts";
export { extraTables } from "./extra_tables.ts";
export { checkTableDefinition, PAGE_KEY_COLUMN, TABLE_SERVER_COLUMNS, tableFilterNames, tableFilters, tableSql, type TableSql } from "./table_sql.ts";
export { csvColumnOf, extendRecord, linksOf, normaliseValue, type FieldDefinition, type FieldFilter, type LinkDefinition, type NormaliseSpec, type RecordDefinition } from "./record_definition.ts";
export {
  validateContact,
  validateRecord,
  type ContactInput,
  type FieldError,
  type FieldFix,
  type ValidationMode,
  type ValidationResult,
} from "./validate_contact.ts";
export { fitMemoryToContacts } from "./duckdb_memory.ts";
export { contactJsonSchema, recordJsonSchema, type SchemaMode } from "./contact_json_schema.ts";
export {
  CONTACT_DELETE,
  CONTACTS_DUCKDB_SETTINGS,
  CONTACTS_STORAGE_SETTINGS,
  CONTACTS_LOAD_MEMORY_MB,
  loadMemoryMb,
  servingMemoryMb,
  CONTACT_LOCK_POSTGRES,
  CONTACTS_LOCK_POSTGRES,
  WRITE_KEYS_LOCK_POSTGRES,
  contactSql,
  CONTAINS_COLUMNS,
  CONTACTS_COUNT,
  CONTACTS_PROBE,
  DATABASE_PING,
  GIN_PENDING_CLEANUP,
  DEPARTMENT_BY_NAME,
  DEPARTMENT_DELETE,
  DEPARTMENT_INSERT,
  DEPARTMENT_USE,
  DEPARTMENTS_ALL,
  DEPARTMENTS_WITH_COUNTS,
  exportTables,
  IDEMPOTENCY_GET,
  IDEMPOTENCY_INSERT,
  IDEMPOTENCY_EXPIRED_ANY,
  IDEMPOTENCY_PURGE_BATCH,
  IDEMPOTENCY_PURGE_SOME,
  LINK_FILTER,
  listFilterFields,
  filterParamSchema,
  impossibleFilterValue,
  listFilterNames,
  LINK_NAMES,
  LINKS_DELETE,
  LINKS_INSERT,
  readSql,
  recordSql,
  SEARCH_FILTER,
  sortFields,
  WRITE_CHECK,
  writeBump,
  type Dialect,
  type ExportTable,
  type FieldListFilter,
  type IdRanges,
  type ListFilters,
  type ListSort,
  type RecordSql,
} from "./contact_sql.ts";
export { defaultMigrationsDir, defaultPostgresMigrationsDir, migrate, migratePostgres, MigrationError, type MigrateOptions } from "./migrate.ts";
export {
  ContactsCsvError,
  ingestContacts,
  type IngestOptions,
  UNREADABLE_CSV_CAUSES,
} from "./ingest_contacts.ts";
export {
  CONTACTS_EXPORT_DIR,
  contactsExportDir,
  contactsExportIsCurrent,
  EXPORT_INFO_FILE,
  exportContacts,
  exportFailure,
  readContactsExport,
  type ContactsExportInfo,
  type ContactsExportResult,
} from "./export_contacts.ts";
export { ingestContactsPostgres, type PostgresIngestOptions } from "./ingest_postgres.ts";
export { ContactsLockTimeoutError, LOAD_LOCK_WAIT_MS, type LockHolder } from "./_lock_wait.ts";
export {
  ContactsLoadError,
  damagedContactsDb,
  unopenableContactsDb,
  loadContacts,
  type LoadContactsExport,
  type LoadContactsOptions,
  type LoadContactsResult,
} from "./load_contacts.ts";
export { addLoadWarnings, findingsOf, loadFailure, runChanges, runCounts, type LoadFailureCode } from "./contacts_run.ts";
