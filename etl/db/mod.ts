/**
 * The database module: the only code that imports DuckDB's driver. Open a file, run SQL with bound
 * parameters, read rows as plain objects, append bulk rows, run a transaction.
 *
 * @example
 * ```ts
 * import { Database } from "../db/mod.ts";
 * const db = await Database.open("data/contacts.duckdb");
 * try { await db.all("select count(*) as n from contacts"); } finally { db.close(); }
 * ```
 */
export { Appender, ChunkAppender, damagedDuckDb, Database, duckDbFailure, isDuckDbLocked, isInterrupted, migratingMarker, quoteIdent, quoteLiteral, readSql, unwritableDuckDb, type OpenOptions, type Param, type Params } from "./database.ts";
export { CLIENT_GRACE_MS, connectionOf, isDatabaseBusy, isDatabaseUnavailable, isSchemaMissing, isTransientConflict, PostgresDatabase, postgresErrorOf, postgresRefusal, type PostgresOptions } from "./postgres.ts";
export type { QueryOptions, Row, SqlRunner } from "./sql_runner.ts";
export { isUniqueViolation } from "./sql_runner.ts";
