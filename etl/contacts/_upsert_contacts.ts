/**
 * Writes validated people to the database inside the caller's transaction: inserts the new ones,
 * updates the changed ones (version + 1), adds departments and links, and fills the counts.
 */
import type { Database } from "../db/mod.ts";
import { quoteIdent } from "../db/mod.ts";
import type { Layout } from "./_map_csv_header.ts";
import type { IngestSummary, RowFix } from "../handover/mod.ts";
import { fold } from "../text/mod.js";
import { keyColumnOf, upsertKeyOf, type RecordDefinition } from "./record_definition.ts";

/** One person from the file: the first line's values, every line they appear on, their departments. */
export interface Accepted {
  key: string;
  line: number | null;
  value: Record<string, string | null>;
  signature: string;
  lines: Array<number | null>;
  /** Data row indexes (0-based) matching `lines`, for counting rejects when lines are unknown. */
  rows: number[];
  departments: Set<string>;
  /** Repairs on every line of this person; reported only if the person is loaded. */
  fixes: RowFix[];
}

/**
 * Upserts `people` by their key and merges their departments; sets the write counts of `summary`.
 *
 * @example
 * ```ts
 * await db.transaction((tx) => upsertContacts(tx, contactRecord, layout, people, summary));
 * ```
 */
export async function upsertContacts(
  tx: Database,
  record: RecordDefinition,
  layout: Layout,
  people: Accepted[],
  summary: IngestSummary,
): Promise<void> {
  const names = layout.fields.map(([name]) => name);
  const cols = names.map(quoteIdent);
  const table = quoteIdent(record.table);
  const keyColumn = quoteIdent(keyColumnOf(upsertKeyOf(record)));
  const linkDef = record.links;
  const linkTable = quoteIdent(linkDef.linkTable);
  const nameTable = quoteIdent(linkDef.table);

  // Department names match without regard to case or accents (as the API matches them); the
  // table is small, so it is resolved here and new names are inserted first, in file order.
  const departmentIds = new Map<string, number>();
  for (const d of await tx.all<{ id: number; name: string }>(`SELECT id, name FROM ${nameTable} ORDER BY id`)) {
    if (!departmentIds.has(fold(d.name))) departmentIds.set(fold(d.name), d.id);
  }
  const fileDepartments = new Set<string>();
  let departmentsAdded = 0;
  for (const person of people) {
    for (const name of person.departments) {
      const folded = fold(name);
      fileDepartments.add(folded);
      if (departmentIds.has(folded)) continue;
      const row = await tx.one<{ id: number }>(`INSERT INTO ${nameTable} (name) VALUES ($1) RETURNING id`, [name]);
      departmentIds.set(folded, row!.id);
      departmentsAdded++;
    }
  }

  await tx.run("DROP TABLE IF EXISTS temp._contacts_in; DROP TABLE IF EXISTS temp._links_in");
  await tx.run(
    `CREATE TEMP TABLE _contacts_in (key VARCHAR NOT NULL, line INTEGER, ${cols.map((c) => `${c} VARCHAR`).join(", ")})`,
  );
  await tx.run("CREATE TEMP TABLE _links_in (key VARCHAR NOT NULL, name_id INTEGER NOT NULL)");
  // Bulk rows go through the appender, not one INSERT per person.
  const contactsIn = await tx.appender("_contacts_in", { schema: "temp" });
  const linksIn = await tx.appender("_links_in", { schema: "temp" });
  let links = 0;
  try {
    for (const person of people) {
      contactsIn.text(person.key).int(person.line);
      for (const name of names) contactsIn.text(person.value[name]);
      contactsIn.endRow();
      const ids = new Set([...person.departments].map((name) => departmentIds.get(fold(name))!));
      for (const id of ids) linksIn.text(person.key).int(id).endRow();
      links += ids.size;
    }
  } finally {
    contactsIn.close();
    linksIn.close();
  }

  const differs = names.map((c) => `t.${quoteIdent(c)} IS DISTINCT FROM i.${quoteIdent(c)}`).join(" OR ");
  const inserted = await tx.all(
    `INSERT INTO ${table} (${cols.join(", ")}, ${keyColumn})
     SELECT ${cols.map((c) => `i.${c}`).join(", ")}, i.key FROM temp._contacts_in i
      WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.${keyColumn} = i.key)
      ORDER BY i.line
     RETURNING id`,
  );
  // Only columns present in the file are compared and set; the key column is never set (it is
  // what matched), which also keeps DuckDB from rewriting the UPDATE as delete + insert.
  const updated = await tx.all(
    `UPDATE ${table} AS t SET ${cols.map((c) => `${c} = i.${c}`).join(", ")},
            version = t.version + 1, updated_at = current_timestamp
       FROM temp._contacts_in i
      WHERE t.${keyColumn} = i.key AND (${differs})
     RETURNING t.id`,
  );
  const recordKey = quoteIdent(linkDef.recordKey);
  const nameKey = quoteIdent(linkDef.nameKey);
  const added = await tx.all<{ id: number }>(
    `INSERT INTO ${linkTable} (${recordKey}, ${nameKey})
     SELECT t.id, l.name_id
       FROM temp._links_in l JOIN ${table} t ON t.${keyColumn} = l.key
      WHERE NOT EXISTS (SELECT 1 FROM ${linkTable} x WHERE x.${recordKey} = t.id AND x.${nameKey} = l.name_id)
      ORDER BY t.id, l.name_id
     RETURNING ${recordKey} AS id`,
  );
  // A person who gained a department changed (the API's ETag covers departments) unless this run
  // already bumped them: rows written in this transaction carry updated_at = current_timestamp,
  // which DuckDB fixes at the transaction's start.
  const gained = [...new Set(added.map((a) => a.id))];
  let bumped = 0;
  if (gained.length > 0) {
    await tx.run("DROP TABLE IF EXISTS temp._links_gained; CREATE TEMP TABLE _links_gained (id INTEGER)");
    const ids = await tx.appender("_links_gained", { schema: "temp" });
    try {
      for (const id of gained) ids.int(id).endRow();
    } finally {
      ids.close();
    }
    const rows = await tx.all(
      `UPDATE ${table} SET version = version + 1, updated_at = current_timestamp
        WHERE id IN (SELECT id FROM temp._links_gained) AND updated_at <> current_timestamp
       RETURNING id`,
    );
    bumped = rows.length;
    await tx.run("DROP TABLE temp._links_gained");
  }
  await tx.run("DROP TABLE temp._contacts_in; DROP TABLE temp._links_in");

  summary.inserted = inserted.length;
  summary.updated = updated.length + bumped;
  summary.unchanged = people.length - summary.inserted - summary.updated;
  summary.departments = fileDepartments.size;
  summary.departments_added = departmentsAdded;
  summary.links = links;
  summary.links_added = added.length;
}
