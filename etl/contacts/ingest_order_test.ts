// A load that runs short of memory still knows the file's order: rejects name their own lines, and
// ids are given in file order. Both were wrong at 1M rows (the rows of the file's second 8 MB read
// before its first; ids in blocks from all over the file) and right on the small files of the other
// tests, so this one is large (19 MB) and the budget small (256 MB, two threads).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../db/mod.ts";
import { ingestContacts } from "./ingest_contacts.ts";
import { migrate } from "./migrate.ts";

const ROWS = 170_000;
/** Every this-many-th row has a state that is not two letters. */
const BAD_EVERY = 10_007;

test("a large load short of memory reports each reject on its own line and gives ids in file order", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "contacts-order-"));
  try {
    const csv = join(dir, "contacts.csv");
    const lines = ["first_name,last_name,company_name,address,city,state,zip,phone1,phone2,email,department"];
    for (let i = 0; i < ROWS; i++) {
      const state = i % BAD_EVERY === BAD_EVERY - 1 ? "Texas" : "TX";
      lines.push(`First${i},Last${i},"Company ${i}, Inc",${i} Main St,Austin,${state},78701,512-555-0100,512-555-0101,p${i}@example.com,Sales`);
    }
    writeFileSync(csv, lines.join("\n") + "\n");
    const db = await Database.open(join(dir, "contacts.duckdb"), { settings: { memory_limit: "256MB", threads: "2" } });
    try {
      await migrate(db);
      const summary = await ingestContacts(db, csv);
      const bad = Array.from({ length: Math.floor(ROWS / BAD_EVERY) }, (_, k) => (k + 1) * BAD_EVERY - 1);
      assert.equal(summary.rejected, bad.length);
      // Row i is on line i + 2 (the header is line 1).
      assert.deepEqual(
        summary.rejects.map((r) => [r.line, r.value]),
        bad.map((i) => [i + 2, "Texas"]),
      );
      const order = await db.one<{ out_of_order: number; first: string; last: string }>(
        `SELECT count(*) FILTER (WHERE n < previous)::INTEGER AS out_of_order, arg_min(email, id) AS first, arg_max(email, id) AS last
         FROM (SELECT id, email, n, lag(n) OVER (ORDER BY id) AS previous FROM (SELECT id, email, regexp_extract(email, '^p(\\d+)@', 1)::INTEGER AS n FROM contacts))`,
      );
      assert.deepEqual(order, { out_of_order: 0, first: "p0@example.com", last: `p${ROWS - 1}@example.com` });
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
