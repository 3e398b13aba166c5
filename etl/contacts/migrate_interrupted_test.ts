// An upgrade killed while it migrates contacts.duckdb: the next start finishes it.
//
// DuckDB 1.5 cannot replay a WAL holding ALTER TABLE ... ADD COLUMN on a table whose columns have a
// DEFAULT or CHECK calling a function (contacts, api_idempotency_keys and contact_loads all do):
// opening the file fails with "Failure while replaying WAL file ...: Calling
// DatabaseManager::GetDefaultDatabase with no default database set". Migrations 003 and 010 are
// such ALTERs, and migrate() checkpointed only after the last migration, so an upgrade killed
// (kill -9, power cut, OOM) after 003 or 010 committed left a contacts.duckdb that no version could
// open. The data dir is built here as an older release left it: only 001 and 002 applied.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Database } from "../db/mod.ts";
import { defaultMigrationsDir, migrate } from "./migrate.ts";
import { stopped } from "../../scripts/testing/stopped.ts";

const MAIN = fileURLToPath(new URL("../migrate_main.ts", import.meta.url));
const STOP_AT = new URL("../../scripts/testing/stop_at.ts", import.meta.url).href;

/** A contacts.duckdb as the 11-29 release left it (001 and 002), with a contact and an idempotency key. */
async function oldDataDir(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "contacts-migrate-killed-"));
  const firstTwo = join(dir, "first-two");
  mkdirSync(firstTwo);
  for (const name of readdirSync(defaultMigrationsDir).filter((n) => /^00[12]_/.test(n))) copyFileSync(join(defaultMigrationsDir, name), join(firstTwo, name));
  const db = await Database.open(join(dir, "contacts.duckdb"));
  try {
    assert.deepEqual(await migrate(db, { dir: firstTwo }), ["001_contacts.sql", "002_api_idempotency_keys.sql"]);
    await db.run("INSERT INTO contacts (first_name, last_name, email, email_key, version) VALUES ('Ana', 'Old', 'Ana@Example.com', 'ana@example.com', 3)");
    await db.run("INSERT INTO departments (name) VALUES ('Sales')");
    await db.run("INSERT INTO contact_departments (contact_id, department_id) VALUES (1, 1)");
    await db.run("INSERT INTO api_idempotency_keys (key, fingerprint, status, location, body) VALUES ('k1', 'f', 201, '/contacts/1', '{}')");
  } finally {
    db.close();
  }
  rmSync(firstTwo, { recursive: true });
  return dir;
}

test("an upgrade killed right after a migration committed is finished by the next start, every row kept", async () => {
  const dir = await oldDataDir();
  try {
    const child = spawn(process.execPath, [...process.execArgv, `--import=${STOP_AT}`, MAIN, "--data-dir", dir], {
      env: { ...process.env, STOP_AT: "migration-committed" },
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    assert.equal(await stopped(child.pid!), "T", "the migration stopped right after its COMMIT");
    child.kill("SIGKILL");
    await exited;
    assert.ok(existsSync(join(dir, "contacts.duckdb.wal")), "the killed migration left its WAL");

    const next = spawnSync(process.execPath, [...process.execArgv, MAIN, "--data-dir", dir], { encoding: "utf8" });
    assert.equal(next.status, 0, next.stderr);
    assert.match(next.stdout, /Applied 010_contact_loads_run\.sql/);

    const db = await Database.open(join(dir, "contacts.duckdb"));
    try {
      const versions = (await db.all<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version")).map((r) => Number(r.version));
      const files = readdirSync(defaultMigrationsDir).filter((n) => n.endsWith(".sql")).map((n) => Number(n.slice(0, 3)));
      assert.deepEqual(versions, files, "every migration applied once");
      assert.deepEqual(
        await db.all("SELECT id, email, email_key, version, last_name_sort FROM contacts"),
        [{ id: 1, email: "Ana@Example.com", email_key: "ana@example.com", version: 3, last_name_sort: "old" }],
      );
      assert.deepEqual(await db.all("SELECT contact_id, department_id FROM contact_departments"), [{ contact_id: 1, department_id: 1 }]);
      assert.deepEqual(await db.all("SELECT key, location FROM api_idempotency_keys"), [{ key: "k1", location: "/contacts/1" }]);
    } finally {
      db.close();
    }
    const again = spawnSync(process.execPath, [...process.execArgv, MAIN, "--data-dir", dir], { encoding: "utf8" });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /is up to date/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a WAL that does not replay is not thrown away when no migration was running", async () => {
  // Written by an ordinary write (no migration marker): the open fails and says why, the WAL stays.
  const dir = await oldDataDir();
  try {
    const path = join(dir, "contacts.duckdb");
    const writer = `
      import { Database } from ${JSON.stringify(new URL("../db/mod.ts", import.meta.url).href)};
      const db = await Database.open(${JSON.stringify(path)});
      await db.run("CHECKPOINT");
      await db.run("ALTER TABLE api_idempotency_keys ADD COLUMN note VARCHAR");
      process.kill(process.pid, "SIGKILL");`;
    spawnSync(process.execPath, [...process.execArgv, "--input-type=module", "-e", writer]);
    assert.ok(existsSync(`${path}.wal`));
    await assert.rejects(Database.open(path), /replaying WAL/);
    assert.ok(existsSync(`${path}.wal`), "the WAL is still there");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
