// The DuckDB engine's read snapshot: what the store's point reads stand on (the rows, then their
// links, read in two statements that must see the same commits). PostgreSQL reads a contact with one
// statement, so it has no such pair to keep together.
import { test } from "node:test";
import assert from "node:assert/strict";
import { contactRecord } from "../../etl/contacts/mod.ts";
import { tempDir } from "../../scripts/testing/api_server.ts";
import { openEngine } from "./contacts_engines.ts";

test("DuckDB: reads in one snapshot do not see a write that commits between them", async () => {
  const { dir, cleanup } = tempDir();
  const engine = await openEngine(dir, { record: contactRecord });
  try {
    const count = "SELECT count(*)::INTEGER AS n FROM departments";
    const [before, after] = await engine.snapshot(async (read) => {
      const first = (await read.one<{ n: number }>(count))!.n;
      // Committed and acknowledged while the snapshot is open.
      await engine.write((tx) => tx.run("INSERT INTO departments (name) VALUES ('Late')"), () => {});
      return [first, (await read.one<{ n: number }>(count))!.n];
    });
    assert.equal(before, 0);
    assert.equal(after, 0, "the second read saw a commit the first did not");
    assert.equal((await engine.read.one<{ n: number }>(count))!.n, 1, "after the snapshot the write is there");
  } finally {
    await engine.close();
    cleanup();
  }
});
