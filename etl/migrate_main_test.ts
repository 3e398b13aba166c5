import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Database } from "./db/mod.ts";
import { migrateMain } from "./migrate_main.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../scripts/testing/backends.ts";

const script = fileURLToPath(new URL("./migrate_main.ts", import.meta.url));

test("migrateMain() applies, then reports up to date", async () => {
  const dir = mkdtempSync(join(tmpdir(), "contacts-migrate-main-"));
  try {
    const out: string[] = [];
    assert.equal(await migrateMain(["--data-dir", dir], (l) => out.push(l)), 0);
    assert.equal(await migrateMain(["--data-dir", dir], (l) => out.push(l)), 0);
    assert.deepEqual(out, ["Applied 001_contacts.sql", "Applied 002_api_idempotency_keys.sql", "Applied 003_sql_reads.sql", "Applied 004_uncompressed_search.sql", "Applied 005_links_by_contact.sql", "Applied 006_uncompressed_fields.sql", "Applied 007_links_without_pair_key.sql", "Applied 008_email_key_without_check.sql", "Applied 009_fold_final_sigma.sql", "Applied 010_contact_loads_run.sql", "Applied 011_merge_folded_departments.sql", "Applied 012_drop_merged_departments.sql", "Applied 013_merge_spaced_departments.sql", "Applied 014_drop_spaced_departments.sql", "Applied 015_merge_unseen_departments.sql", "Applied 016_drop_unseen_departments.sql", `${join(dir, "contacts.duckdb")} is up to date`]);
    const err: string[] = [];
    assert.equal(await migrateMain(["--nope"], () => {}, (l) => err.push(l)), 2);
    assert.match(err[0], /Unknown option '--nope'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("migrateMain(): an unusable setting is one line naming it, without the whole usage", async () => {
  const err: string[] = [];
  assert.equal(await migrateMain([], () => {}, (l) => err.push(l), { DATABASE_URL: "mysql://x" }), 2);
  assert.deepEqual(err, ["DATABASE_URL must be a postgres:// or postgresql:// URL; got 'mysql://x'"]);
});

test("npm run migrate exits 1 with a plain message when an applied migration was edited", async () => {
  const dir = mkdtempSync(join(tmpdir(), "contacts-migrate-main-"));
  try {
    assert.equal(await migrateMain(["--data-dir", dir], () => {}), 0);
    const db = await Database.open(join(dir, "contacts.duckdb"));
    await db.run("UPDATE schema_migrations SET checksum = 'abc' WHERE version = 1");
    db.close();
    const child = spawnSync(process.execPath, [...process.execArgv, script], {
      env: { ...process.env, DATA_DIR: dir },
      encoding: "utf8",
    });
    assert.equal(child.status, 1);
    assert.equal(child.stdout, "");
    assert.match(child.stderr, /^Migration file '.*001_contacts\.sql' was edited after it was applied/);
    assert.doesNotMatch(child.stderr, /\n\s+at /, "no stack trace");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run migrate on a contacts.duckdb of the user's own (a contacts table, no migrations) names the file and what to do, changing nothing (review)", async () => {
  // Before: "Migration '.../001_contacts.sql' failed and was rolled back: Catalog Error: Table with
  // name "contacts" already exists!", no next step, and schema_migrations added to the user's file.
  const dir = mkdtempSync(join(tmpdir(), "contacts-migrate-main-"));
  const path = join(dir, "contacts.duckdb");
  try {
    const own = await Database.open(path);
    await own.run("CREATE TABLE contacts (name VARCHAR, phone VARCHAR)");
    await own.run("INSERT INTO contacts VALUES ('Ana', '123')");
    own.close();
    const err: string[] = [];
    assert.equal(await migrateMain(["--data-dir", dir], () => {}, (l) => err.push(l)), 1);
    assert.equal(err.length, 1, err.join("\n"));
    assert.ok(err[0]!.startsWith(`${path} is not a database this product made`), err[0]);
    assert.match(err[0]!, /'contacts'.*nothing was changed.*--data-dir.*move/);
    const db = await Database.open(path, { readOnly: true });
    try {
      assert.deepEqual(await db.all("SELECT table_name FROM information_schema.tables ORDER BY 1"), [{ table_name: "contacts" }]);
      assert.deepEqual(await db.all("SELECT * FROM contacts"), [{ name: "Ana", phone: "123" }]);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("migrateMain() with DATABASE_URL migrates PostgreSQL once, under its advisory lock", { skip: POSTGRES_SKIP }, async () => {
  const url = await postgresDatabaseFor("migrate-main");
  const runs = await Promise.all([0, 1].map(async () => {
    const out: string[] = [];
    const code = await migrateMain([], (line) => out.push(line), (line) => out.push(line), { DATABASE_URL: url });
    return { code, out };
  }));
  assert.deepEqual(runs.map((r) => r.code), [0, 0]);
  // Two at once: one applies the set, the other waits for the lock and finds nothing to do.
  assert.deepEqual(runs.flatMap((r) => r.out).filter((l) => l.startsWith("Applied")), ["Applied 001_contacts.sql", "Applied 002_fold_everywhere.sql", "Applied 003_contact_loads_run.sql", "Applied 004_fold_composed.sql", "Applied 005_fold_ascii.sql", "Applied 006_merge_spaced_departments.sql", "Applied 007_merge_unseen_departments.sql"]);
  assert.ok(runs.some((r) => /is up to date/.test(r.out.join("\n"))));
});

test("npm run migrate whose stdout reader is gone (npm run migrate | true) exits 0, without a stack trace", { timeout: 60_000 }, async () => {
  // Before: printing what it applied hit EPIPE, an 'error' event nobody listened to: exit 1 and a
  // stack trace over migrations that had been applied (npm run etl had the same, 763e9ac).
  const dir = mkdtempSync(join(tmpdir(), "migrate-epipe-"));
  try {
    const child = spawn(process.execPath, [...process.execArgv, script, "--data-dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /Error: write EPIPE|\n\s+at /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
