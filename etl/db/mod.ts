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
export { Appender, ChunkAppender, Database, quoteIdent, readSql, type OpenOptions, type Params, type Row } from "./database.ts";
