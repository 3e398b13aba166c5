// A contacts.duckdb or its WAL damaged on disk (a bad sector, a copy cut short, a file written over):
// `npm start`, `npm run migrate` and `npm run etl` used to pass on DuckDB's own line ("IO Error:
// Failure while replaying WAL file ...: Corrupt WAL file: entry at byte position 129 computed
// checksum ...", a load's run `ingest-failed`), which names the file but not what to do. Each now
// says which file is damaged, that nothing was changed, and how to get going again; exit 1, no stack.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Database } from "../db/mod.ts";
import { etlCli } from "../../scripts/testing/etl_cli.ts";
import { readRuns } from "../runs/mod.ts";

const API_MAIN = fileURLToPath(new URL("../../api/main.ts", import.meta.url));
const MIGRATE_MAIN = fileURLToPath(new URL("../migrate_main.ts", import.meta.url));

function run(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
      env: { ...process.env, PORT: "0", ETL_SCHEDULE: "off", API_TOKEN: "", DATABASE_URL: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** A contacts.duckdb whose WAL holds writes (no checkpoint at close), with 16 bytes in the middle of the WAL overwritten. */
async function withDamagedWal(dataDir: string): Promise<string> {
  const path = join(dataDir, "contacts.duckdb");
  const db = await Database.open(path);
  await db.run("PRAGMA disable_checkpoint_on_shutdown");
  await db.run("CREATE TABLE kept AS SELECT range AS i FROM range(100)");
  db.close();
  const wal = `${path}.wal`;
  const fd = openSync(wal, "r+");
  writeSync(fd, Buffer.alloc(16, 0x58), 0, 16, Math.floor(statSync(wal).size / 2));
  closeSync(fd);
  return wal;
}

function assertAdvice(output: string, file: string, what: RegExp): void {
  assert.ok(output.includes(`${file} is damaged`), output);
  assert.match(output, /nothing was changed/i, output);
  assert.match(output, what, output);
  assert.doesNotMatch(output, /\n\s+at /, "no stack trace");
}

test("a damaged WAL: npm start, npm run migrate and npm run etl name it, say to restore it or move it aside, exit 1", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "contacts-damaged-wal-"));
  try {
    const dataDir = join(dir, "data");
    await run(MIGRATE_MAIN, ["--data-dir", dataDir], {});
    rmSync(join(dataDir, "contacts.duckdb"));
    const wal = await withDamagedWal(dataDir);
    const moveAside = new RegExp(`move ${wal.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} out of the folder`);

    const api = await run(API_MAIN, [], { DATA_DIR: dataDir });
    assert.equal(api.code, 1, api.output);
    assertAdvice(api.output, wal, moveAside);

    const migrate = await run(MIGRATE_MAIN, ["--data-dir", dataDir], {});
    assert.equal(migrate.code, 1, migrate.output);
    assertAdvice(migrate.output, wal, moveAside);

    const csv = join(dir, "contacts.csv");
    writeFileSync(csv, "first_name,last_name,email\nAna,Diaz,ana@example.com\n");
    const etl = await etlCli(["--only", "contacts", "--contacts", csv, "--data-dir", dataDir], { env: { ...process.env, DATABASE_URL: "", API_TOKEN: "" } });
    assert.equal(etl.code, 1, etl.stdout + etl.stderr);
    assertAdvice(etl.stdout + etl.stderr, wal, moveAside);
    const [failed] = readRuns(dataDir);
    assert.equal(failed.error?.code, "database-damaged");
    assert.equal(statSync(wal).size > 0, true, "the WAL is left as it was");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a contacts.duckdb cut short: npm start names it and says to restore it or load again, exit 1", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "contacts-damaged-db-"));
  try {
    const dataDir = join(dir, "data");
    await run(MIGRATE_MAIN, ["--data-dir", dataDir], {});
    const path = join(dataDir, "contacts.duckdb");
    truncateSync(path, Math.floor(statSync(path).size / 2));
    const api = await run(API_MAIN, [], { DATA_DIR: dataDir });
    assert.equal(api.code, 1, api.output);
    assertAdvice(api.output, path, /from a backup/);
    assert.match(api.output, /npm run etl -- --only contacts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
