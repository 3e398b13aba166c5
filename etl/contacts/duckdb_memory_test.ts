import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../db/mod.ts";
import { fitMemoryToContacts } from "./duckdb_memory.ts";
import { migrate } from "./migrate.ts";

test("fitMemoryToContacts sets the floor, or what the contacts' indexes need, before and after the first migration", async () => {
  const dir = mkdtempSync(join(tmpdir(), "contacts-memory-"));
  const db = await Database.open(join(dir, "contacts.duckdb"));
  try {
    const limit = async () => (await db.one<{ m: string }>("SELECT current_setting('memory_limit') AS m"))?.m;
    // No contacts table yet: the floor.
    assert.equal(await fitMemoryToContacts(db, 512), 512);
    assert.equal(await limit(), "512.0 MiB");
    await migrate(db);
    await db.run("INSERT INTO contacts (first_name, last_name, email, email_key) VALUES ('Ann', 'Lee', 'a@b.co', 'a@b.co')");
    // A floor below the 256 MB any table gets.
    assert.equal(await fitMemoryToContacts(db, 100), 256);
    assert.equal(await limit(), "256.0 MiB");
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
