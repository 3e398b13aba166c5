// Files and folders the user running a command may not read or write. Before: a contacts CSV it may
// not read was Node's "EACCES: permission denied, open '...'" (the workbook's was already in words);
// a read-only contacts.duckdb was DuckDB's "IO Error: Cannot open file ...: Permission denied" for
// `npm run etl`, `npm start` and `npm run migrate` (a load's run `ingest-failed`); and a data dir to
// be made under a folder it may not write named the folder to be made, not the one to fix.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readRuns } from "./runs/mod.ts";

const ETL_MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const API_MAIN = fileURLToPath(new URL("../api/main.ts", import.meta.url));
const MIGRATE_MAIN = fileURLToPath(new URL("./migrate_main.ts", import.meta.url));
// Root reads and writes a file whatever its mode: the commands then run as nobody, whom modes stop.
const AS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

/** `script args` in a child, as nobody when we are root; its exit code and output, or the spawn error. */
function runAsUser(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string } | Error> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
      env: { ...process.env, PORT: "0", ETL_SCHEDULE: "off", API_TOKEN: "", DATABASE_URL: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      ...(AS_ROOT ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (output += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (output += c));
    child.on("error", resolve);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** The run's result, or undefined after skipping `t` when this machine cannot run it as an unprivileged user. */
function ran(t: TestContext, result: { code: number | null; output: string } | Error): { code: number | null; output: string } | undefined {
  if (!(result instanceof Error)) return result;
  // A root without CAP_SETUID (some rootless containers) cannot become nobody; modes do not stop root.
  t.skip(`cannot run as an unprivileged user: ${result.message}`);
  return undefined;
}

function withDir(prefix: string, body: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    chmodSync(dir, 0o777); // nobody (when we are root) makes the data dir here
    try {
      await body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const CSV = "first_name,last_name,email\nAna,Diaz,ana@example.com\n";

test("a contacts CSV the load may not read: named, in words as the workbook's, exit 1, run 'unreadable'", { timeout: 60_000 }, async (t) => {
  await withDir("csv-no-permission-", async (dir) => {
    const csv = join(dir, "contacts.csv");
    writeFileSync(csv, CSV);
    chmodSync(csv, 0o000);
    const dataDir = join(dir, "data");
    const etl = ran(t, await runAsUser(ETL_MAIN, ["--only", "contacts", "--contacts", csv, "--data-dir", dataDir]));
    if (etl === undefined) return;
    assert.equal(etl.code, 1, etl.output);
    assert.match(etl.output, new RegExp(`Cannot read contacts file '${csv}': the file cannot be opened \\(EACCES\\): no permission to read it`));
    assert.doesNotMatch(etl.output, /permission denied, open|\n\s+at /);
    const [run] = readRuns(dataDir);
    assert.equal(run.error?.code, "unreadable");
  })();
});

test("a read-only contacts.duckdb: npm run etl, npm start and npm run migrate name it, say nothing was changed and what to do, exit 1", { timeout: 120_000 }, async (t) => {
  await withDir("db-read-only-", async (dir) => {
    const dataDir = join(dir, "data");
    const csv = join(dir, "contacts.csv");
    writeFileSync(csv, CSV);
    const made = ran(t, await runAsUser(MIGRATE_MAIN, ["--data-dir", dataDir]));
    if (made === undefined) return;
    assert.equal(made.code, 0, made.output);
    const db = join(dataDir, "contacts.duckdb");
    chmodSync(db, 0o444);
    const advised = (output: string) => {
      assert.ok(output.includes(`${db} cannot be opened for writing`), output);
      assert.match(output, /Nothing was changed\. Let the user running this write it/);
      assert.doesNotMatch(output, /^IO Error|\n\s+at /m, "no bare DuckDB line, no stack trace");
    };
    const etl = (await runAsUser(ETL_MAIN, ["--only", "contacts", "--contacts", csv, "--data-dir", dataDir])) as { code: number | null; output: string };
    assert.equal(etl.code, 1, etl.output);
    advised(etl.output);
    assert.equal(readRuns(dataDir).at(-1)?.error?.code, "database-read-only");
    const api = (await runAsUser(API_MAIN, [], { DATA_DIR: dataDir })) as { code: number | null; output: string };
    assert.equal(api.code, 1, api.output);
    advised(api.output);
    const migrate = (await runAsUser(MIGRATE_MAIN, ["--data-dir", dataDir])) as { code: number | null; output: string };
    assert.equal(migrate.code, 1, migrate.output);
    advised(migrate.output);
  })();
});

test("a data dir to be made under a folder the load may not write names that folder, not the one to be made", { timeout: 60_000 }, async (t) => {
  await withDir("data-dir-parent-", async (dir) => {
    const readOnly = join(dir, "ro");
    mkdirSync(readOnly, { mode: 0o555 });
    chmodSync(readOnly, 0o555);
    const csv = join(dir, "contacts.csv");
    writeFileSync(csv, CSV);
    for (const dataDir of [join(readOnly, "sub"), join(readOnly, "sub", "deeper")]) {
      const etl = ran(t, await runAsUser(ETL_MAIN, ["--only", "contacts", "--contacts", csv, "--data-dir", dataDir]));
      if (etl === undefined) return;
      assert.equal(etl.code, 1, etl.output);
      assert.ok(etl.output.includes(`Cannot use the data directory '${dataDir}': it cannot be written (no permission to create folders in ${readOnly})`), etl.output);
    }
  })();
});
