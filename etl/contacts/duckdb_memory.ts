/**
 * DuckDB's memory for what contacts.duckdb holds: the budgets are in contact_sql.ts
 * (`loadMemoryMb`, `servingMemoryMb`); this sets them on an open database.
 */
import type { Database } from "../db/mod.ts";
import { CONTACTS_ESTIMATED_COUNT, servingMemoryMb } from "./contact_sql.ts";

/**
 * Sets `db`'s memory_limit to `floorMb` or what its contacts' indexes need (servingMemoryMb of the
 * table's estimated rows, 0 before the first migration), whichever is more, and returns it. For
 * work on the whole table that must not run short at a size the API serves: migrations at start-up,
 * `npm run etl`'s load.
 *
 * @example
 * ```ts
 * const memoryMb = await fitMemoryToContacts(db, CONTACTS_LOAD_MEMORY_MB); // 512 up to 2M contacts
 * ```
 */
export async function fitMemoryToContacts(db: Database, floorMb: number): Promise<number> {
  const contacts = Number((await db.one<{ n: number }>(CONTACTS_ESTIMATED_COUNT))?.n ?? 0);
  const mb = Math.max(floorMb, servingMemoryMb(contacts));
  await db.run(`SET memory_limit = '${mb}MiB'`);
  return mb;
}
