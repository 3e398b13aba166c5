// What csvField() writes and what the contacts load's cleanSql() reads back must be the same text,
// however many apostrophes a stored value starts with before =, +, -, @ (the load takes one off
// any run of them, the writer must then add one to any run).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Database, quoteLiteral } from "../db/mod.ts";
import { csvField } from "../text/mod.js";
import { cleanSql } from "./_ingest_sql.ts";

test("a value starting with apostrophes before a formula character survives export and load unchanged", async () => {
  // Seen: "''+1 504" was exported as is and loaded back as "'+1 504" (the old writer and reader both
  // left it alone; the new reader takes one ' off any run of them).
  const db = await Database.open(":memory:");
  try {
    for (const value of ["+1 504", "'+1 504", "''+1 504", "'''=SUM(A1)", "''@x", "'Tis Co", "''plain", "'"]) {
      const written = csvField(value);
      const loaded = await db.one<{ v: string }>(`SELECT ${cleanSql(`CAST(${quoteLiteral(written)} AS VARCHAR)`)} AS v`);
      assert.equal(loaded?.v, value, `${value} was written ${written}`);
    }
  } finally {
    db.close();
  }
});
