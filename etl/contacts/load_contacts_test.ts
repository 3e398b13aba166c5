import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { once } from "node:events";
import { Database } from "../db/mod.ts";
import { readRuns } from "../runs/mod.ts";
import { ContactsCsvError, ingestContacts } from "./ingest_contacts.ts";
import { HandoverError, runningApi } from "../handover/mod.ts";
import { ContactsLoadError, loadContacts, openUnlocked } from "./load_contacts.ts";
import { migrate } from "./migrate.ts";
import { acquireLoadLock, LockBusyError } from "../files/mod.ts";

const HEADER = "first_name,last_name,company_name,address,city,state,zip,phone1,phone2,email,department";
const GOOD = [
  HEADER,
  "Ann,Lee,,,Albany,ny,2204,,,ann@example.com,Sales",
  "Bob,Ray,,,Troy,Texas,12180,,,bob@example.com,Sales",
  "Cid,Cox,,,Utica,NY,13501,,,cid@example.com,=HR",
  "Dee,Day,,,Rome,=1+1,13440,,,dee@example.com,Sales",
].join("\n");

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "contacts-load-"));
}

/**
 * A real HTTP server standing in for the API's side of the hand-over: it owns contacts.duckdb and
 * runs ingestContacts on its own connection, as api/ does.
 */
async function fakeApi(dataDir: string, token?: string): Promise<{ server: Server; db: Database; url: string; requests: string[] }> {
  const db = await Database.open(join(dataDir, "contacts.duckdb"));
  await migrate(db);
  const requests: string[] = [];
  const server = createServer(async (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const send = (status: number, body: unknown, type = "application/json") => {
      res.writeHead(status, { "content-type": type }).end(JSON.stringify(body));
    };
    if (req.method === "GET" && req.url === "/healthz") return send(200, { status: "ok", api_id: "fake-api" });
    if (req.method !== "POST" || req.url !== "/imports/contacts") return send(404, { title: "Not Found" });
    if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
      return send(401, { title: "Unauthorized", status: 401 }, "application/problem+json");
    }
    // The loader names its copy in the data dir's uploads folder (etl/handover/contract.ts).
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      assert.equal(req.headers["content-type"], "application/json");
      const named = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { upload: string; source_name: string; run_id: string };
      const path = join(dataDir, "uploads", named.upload);
      const rejectsFile = join(dataDir, "rejects", `contacts-${named.run_id}.csv`);
      send(200, await ingestContacts(db, path, { sourceName: named.source_name, rejectsFile }));
    } catch (error) {
      if (error instanceof ContactsCsvError) {
        send(422, { title: "Unprocessable CSV", status: 422, detail: error.message }, "application/problem+json");
      } else send(500, { title: "Internal Server Error", status: 500, detail: String(error) }, "application/problem+json");
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  writeFileSync(join(dataDir, "api.json"), JSON.stringify({ pid: process.pid, url, started_at: new Date().toISOString(), api_id: "fake-api" }));
  return { server, db, url, requests };
}

async function stop(api: { server: Server; db: Database }): Promise<void> {
  api.server.close();
  api.server.closeAllConnections();
  await once(api.server, "close");
  api.db.close();
}

test("loadContacts() loads directly when no API runs, and records the run", async () => {
  const dir = tempDir();
  try {
    const csvPath = join(dir, "contacts.csv");
    writeFileSync(csvPath, GOOD);
    const dataDir = join(dir, "data");
    const result = await loadContacts({ csvPath, dataDir });
    assert.equal(result.via, "direct");
    assert.deepEqual([result.inserted, result.rejected, result.fixes], [2, 2, 1]);

    const runs = readRuns(dataDir);
    assert.equal(runs.length, 1);
    const run = runs[0];
    assert.equal(run.id, result.run_id);
    assert.equal(run.kind, "contacts");
    assert.equal(run.status, "succeeded");
    assert.equal(run.file?.name, "contacts.csv");
    assert.equal(run.counts.inserted, 2);
    assert.equal(run.counts.rejected, 2);
    const invalid = run.findings.find((f) => f.check === "contacts.invalid_state");
    assert.deepEqual(invalid?.cells, ["contacts.csv:3", "contacts.csv:5"]);
    assert.equal(invalid?.count, 2);
    assert.equal(invalid?.severity, "error");
    const fixed = run.findings.find((f) => f.check === "contacts.fixed_zip");
    assert.deepEqual(fixed?.cells, ["contacts.csv:2"]);

    assert.equal(result.rejects_file, join(dataDir, "rejects", `contacts-${result.run_id}.csv`));
    const report = readFileSync(result.rejects_file!, "utf8").trim().split("\r\n");
    assert.equal(report[0], "line,field,reason,value");
    assert.match(report[1], /^3,state,must be two letters A-Z; got 'Texas',Texas$/);
    assert.match(report[2], /^5,state,.*,'=1\+1$/, "a formula-looking cell is defused");

    // The database is there, migrated, and a second run changes nothing.
    const again = await loadContacts({ csvPath, dataDir });
    assert.deepEqual([again.inserted, again.updated, again.unchanged], [0, 0, 2]);
    const db = await Database.open(join(dataDir, "contacts.duckdb"), { readOnly: true });
    try {
      const dept = await db.all<{ name: string }>("SELECT name FROM departments ORDER BY name");
      assert.deepEqual(dept.map((d) => d.name), ["=HR", "Sales"], "stored as given; only the report defuses formulas");
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loadContacts() reads a CSV from a named pipe (README: --contacts <(gunzip -c ...)), once, into its copy", { skip: process.platform === "win32" }, async () => {
  const dir = tempDir();
  try {
    const pipe = join(dir, "contacts.csv");
    const made = spawnSync("mkfifo", [pipe]);
    assert.equal(made.status, 0, String(made.stderr));
    // Another process writes it, as a shell's `<(...)` does; the content rides in its arguments
    // because the load reads the pipe synchronously, so this process could not feed a writer.
    spawn("sh", ["-c", 'printf "%s" "$2" > "$1"', "sh", pipe, GOOD], { stdio: "ignore" });
    const dataDir = join(dir, "data");
    const result = await loadContacts({ csvPath: pipe, dataDir });
    assert.equal(result.via, "direct");
    assert.deepEqual([result.inserted, result.rejected], [2, 2]);
    assert.equal(readRuns(dataDir)[0].file?.size, Buffer.byteLength(GOOD));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loadContacts() names a CSV read from /dev/fd/N (a shell's <(gunzip -c ...)) by that path, not by the descriptor's number", { skip: process.platform === "win32" }, async () => {
  // Before: `--contacts <(gunzip -c contacts.csv.gz)` was recorded as a file named "63" (the pipe's
  // descriptor), in runs.jsonl, the dashboard and every finding's line references ("63:3").
  const dir = tempDir();
  const csvPath = join(dir, "contacts.csv");
  writeFileSync(csvPath, GOOD);
  const fd = openSync(csvPath, "r");
  try {
    const dataDir = join(dir, "data");
    const given = `/dev/fd/${fd}`;
    const result = await loadContacts({ csvPath: given, dataDir });
    assert.equal(result.rejected, 2);
    const [run] = readRuns(dataDir);
    assert.equal(run.file?.name, given);
    assert.equal(run.file?.path, given);
    assert.deepEqual(run.findings.find((f) => f.check === "contacts.invalid_state")?.cells, [`${given}:3`, `${given}:5`]);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loadContacts() removes copies of CSVs that killed loads left in uploads/, not ones a load may still use", async () => {
  // A load killed after placing its copy left the CSV (personal data) there until an API started,
  // which, for a data dir loaded by --watch or into PostgreSQL, may be never.
  const dir = tempDir();
  try {
    const csvPath = join(dir, "contacts.csv");
    writeFileSync(csvPath, GOOD);
    const dataDir = join(dir, "data");
    const uploads = join(dataDir, "uploads");
    mkdirSync(uploads, { recursive: true });
    const old = join(uploads, "20260101T000000000Z-dead.csv");
    const recent = join(uploads, "20260101T000000000Z-busy.csv");
    writeFileSync(old, GOOD);
    writeFileSync(recent, GOOD);
    const sevenHoursAgo = new Date(Date.now() - 7 * 60 * 60_000);
    utimesSync(old, sevenHoursAgo, sevenHoursAgo);
    assert.equal((await loadContacts({ csvPath, dataDir })).via, "direct");
    assert.deepEqual(readdirSync(uploads), ["20260101T000000000Z-busy.csv"], "the old copy gone, the recent one (a load waiting?) kept, the load's own removed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loadContacts() records a failed run and rethrows when the file is unusable", async () => {
  const dir = tempDir();
  try {
    const csvPath = join(dir, "contacts.csv");
    writeFileSync(csvPath, "first_name,last_name\nAnn,Lee\n");
    await assert.rejects(loadContacts({ csvPath, dataDir: dir }), { name: "ContactsCsvError", code: "missing-column" });
    await assert.rejects(loadContacts({ csvPath: join(dir, "none.csv"), dataDir: dir }), { code: "unreadable" });
    const runs = readRuns(dir);
    assert.deepEqual(runs.map((r) => [r.status, r.error?.code]), [
      ["failed", "missing-column"],
      ["failed", "unreadable"],
    ]);
    assert.match(runs[0].error!.message, /has no column 'email'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loadContacts() hands the CSV to a running API", async (t) => {
  const dir = tempDir();
  const dataDir = join(dir, "data");
  const csvPath = join(dir, "contacts.csv");
  writeFileSync(csvPath, GOOD);
  mkdirSync(dataDir);
  const api = await fakeApi(dataDir, "s3cret");
  try {
    await t.test("runningApi() finds it through api.json and /healthz", async () => {
      assert.equal((await runningApi(dataDir))?.url, api.url);
    });
    await t.test("without the token the API refuses, and the run is recorded as failed", async () => {
      await assert.rejects(loadContacts({ csvPath, dataDir }), (error: unknown) => {
        assert.ok(error instanceof HandoverError);
        assert.equal(error.code, "api-unauthorized");
        return true;
      });
      assert.equal(readRuns(dataDir).at(-1)?.error?.code, "api-unauthorized");
    });
    await t.test("with the token the API ingests it on its own connection", async () => {
      const result = await loadContacts({ csvPath, dataDir, apiToken: "s3cret" });
      assert.equal(result.via, "api");
      assert.deepEqual([result.inserted, result.rejected], [2, 2]);
      assert.ok(api.requests.includes("POST /imports/contacts"));
      const n = await api.db.one<{ n: number }>("SELECT count(*)::INTEGER n FROM contacts");
      assert.equal(n?.n, 2);
      const runs = readRuns(dataDir).filter((r) => r.status === "succeeded");
      assert.equal(runs.length, 1, "recorded once, by loadContacts");
      assert.equal(runs[0].findings.find((f) => f.check === "contacts.invalid_state")?.cells[0], "contacts.csv:3");
      assert.ok(result.rejects_file !== null && existsSync(result.rejects_file));
    });
    await t.test("a CSV the API cannot read fails with its reason", async () => {
      const bad = join(dir, "bad.csv");
      writeFileSync(bad, "first_name,email\nAnn,ann@example.com\n");
      await assert.rejects(loadContacts({ csvPath: bad, dataDir, apiToken: "s3cret" }), (error: unknown) => {
        assert.ok(error instanceof HandoverError);
        assert.equal(error.code, "api-rejected");
        assert.match(error.message, /no column 'last_name'/);
        return true;
      });
    });
  } finally {
    await stop(api);
  }
  await t.test("a stale api.json whose pid lives on and whose address another process answers is not taken for this data dir's API", async () => {
    // A crashed API's file: its pid taken by another process (ours, here), its port by another API
    // (of another data dir) or another service. Before, any 200 from /healthz was enough, and the
    // load handed its upload to that process, whose 404 named an upload it never had.
    for (const answer of [{ status: "ok", api_id: "another-api" }, { status: "ok" }, "ok"]) {
      const other = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer)));
      other.listen(0, "127.0.0.1");
      await once(other, "listening");
      try {
        const url = `http://127.0.0.1:${(other.address() as { port: number }).port}`;
        writeFileSync(join(dataDir, "api.json"), JSON.stringify({ pid: process.pid, url, started_at: new Date().toISOString(), api_id: "fake-api" }));
        assert.equal(await runningApi(dataDir), null, JSON.stringify(answer));
      } finally {
        other.close();
        other.closeAllConnections();
        await once(other, "close");
      }
    }
    const result = await loadContacts({ csvPath, dataDir });
    assert.equal(result.via, "direct");
  });
  await t.test("a stale api.json (nobody answering) means a direct load", async () => {
    assert.equal(await runningApi(dataDir), null);
    const result = await loadContacts({ csvPath, dataDir });
    assert.equal(result.via, "direct");
    assert.deepEqual([result.inserted, result.unchanged], [0, 2]);
  });
  rmSync(dir, { recursive: true, force: true });
});

test("loadContacts() while another contacts load runs: a skip at once, or with lockWaitMs (--wait) a wait and then the load", async (t) => {
  // The second direct load found contacts.duckdb locked and failed (exit 1, an alert, "stop that
  // process or start the API"), where a load of either kind that finds another running is a skip.
  const dir = tempDir();
  try {
    const csvPath = join(dir, "contacts.csv");
    writeFileSync(csvPath, GOOD);
    const dataDir = join(dir, "data");
    await t.test("skipped, recorded as such", async () => {
      const release = acquireLoadLock(dataDir, "contacts");
      try {
        await assert.rejects(loadContacts({ csvPath, dataDir }), (error: unknown) => {
          assert.ok(error instanceof LockBusyError);
          assert.match(error.message, /^Another contacts load \(pid \d+\) is running/);
          return true;
        });
      } finally {
        release();
      }
      assert.deepEqual(readRuns(dataDir).map((r) => [r.status, r.error?.code]), [["skipped", "busy"]]);
    });
    await t.test("with lockWaitMs, loaded once the other ends", async () => {
      const release = acquireLoadLock(dataDir, "contacts");
      // Released a timer turn later: by then the load has placed its copy and found no API (no
      // api.json), and tried the lock (the waiting itself is load_relationships_test's, the same
      // acquireLoadLockWaiting). Either way it must end loaded, not skipped.
      const waiting = loadContacts({ csvPath, dataDir, lockWaitMs: 60_000 });
      await new Promise((r) => setTimeout(r, 0));
      release();
      assert.equal((await waiting).inserted, 2);
      assert.deepEqual(readRuns(dataDir).map((r) => r.status), ["skipped", "succeeded"]);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loadContacts() gives up with a clear error when another process holds the database", async () => {
  const dir = tempDir();
  const dataDir = join(dir, "data");
  mkdirSync(dataDir);
  const csvPath = join(dir, "contacts.csv");
  writeFileSync(csvPath, GOOD);
  // Another process (not an API: no api.json) holds the write lock.
  const holder = join(dir, "hold.mts");
  const dbModule = fileURLToPath(new URL("../db/mod.ts", import.meta.url));
  writeFileSync(
    holder,
    `import { Database } from ${JSON.stringify(dbModule)};\n` +
      `const db = await Database.open(process.argv[2]);\nconsole.log("holding");\nsetInterval(() => {}, 1000);\n`,
  );
  const child = spawn(process.execPath, [...process.execArgv, holder, join(dataDir, "contacts.duckdb")], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("holding") && resolve());
      child.on("exit", () => reject(new Error("the lock holder exited")));
    });
    await assert.rejects(loadContacts({ csvPath, dataDir, lockWaitMs: 500 }), (error: unknown) => {
      assert.ok(error instanceof ContactsLoadError);
      assert.equal(error.code, "locked");
      assert.match(error.message, /is locked by another process and no running API answers/);
      return true;
    });
    assert.equal(readRuns(dataDir).at(-1)?.error?.code, "locked");
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loadContacts() on a corrupt contacts.duckdb says it is corrupt at once, not that another process holds it", { timeout: 30_000 }, async () => {
  const dir = tempDir();
  const dataDir = join(dir, "data");
  mkdirSync(dataDir);
  const csvPath = join(dir, "contacts.csv");
  writeFileSync(csvPath, GOOD);
  try {
    await loadContacts({ csvPath, dataDir });
    // Bytes overwritten inside the file (a bad disk block, a copy cut off and patched): DuckDB's
    // checksum error names the "block at location 8192".
    const path = join(dataDir, "contacts.duckdb");
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(256 * 1024, 0xa5), 0, 256 * 1024, 8192);
    closeSync(fd);
    const started = Date.now();
    // --wait's 30 minutes: a lock would be waited for; corruption must not be.
    await assert.rejects(loadContacts({ csvPath, dataDir, lockWaitMs: 30 * 60_000 }), (error: unknown) => {
      assert.doesNotMatch((error as Error).message, /locked by another process/);
      assert.match((error as Error).message, /Corrupt|not a valid DuckDB/i);
      return true;
    });
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    assert.match(readRuns(dataDir).at(-1)?.error?.message ?? "", /Corrupt|not a valid DuckDB/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a load into a PostgreSQL socket folder with no server is recorded as the database not answering, not as a missing CSV", async () => {
  const dir = tempDir();
  try {
    const csv = join(dir, "contacts.csv");
    writeFileSync(csv, GOOD);
    const noServer = join(dir, "no-server");
    mkdirSync(noServer);
    await assert.rejects(loadContacts({ csvPath: csv, dataDir: join(dir, "data"), databaseUrl: `postgres://nobody@localhost/none?host=${encodeURIComponent(noServer)}` }));
    const error = readRuns(join(dir, "data")).at(-1)?.error;
    assert.equal(error?.code, "database-unavailable");
    assert.match(error?.message ?? "", /^The PostgreSQL server of DATABASE_URL refused or did not answer: connect ENOENT /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a direct load opens contacts.duckdb with the load's DuckDB settings, which DuckDB knows", async () => {
  // An unknown or renamed setting would stop every `npm run etl` at the database's open.
  const dir = tempDir();
  const db = await openUnlocked(join(dir, "contacts.duckdb"), dir, 0);
  try {
    const row = await db.one<{ memory: string; flush: string; background: boolean }>(
      `SELECT current_setting('memory_limit') AS memory, current_setting('allocator_flush_threshold') AS flush,
              current_setting('allocator_background_threads') AS background`,
    );
    assert.deepEqual(row, { memory: "512.0 MiB", flush: "32.0 MiB", background: true });
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a direct load creates contacts.duckdb in DuckDB's 1.2 storage format, and loads into a file of the 1.0 format as it is", async () => {
  const storageOf = async (path: string) => {
    const db = await Database.open(path, { readOnly: true });
    try {
      const row = await db.one<{ tags: { key: string; value: string }[] }>("SELECT tags FROM duckdb_databases() WHERE path = $1", [path]);
      return row?.tags.find((t) => t.key === "storage_version")?.value;
    } finally {
      db.close();
    }
  };
  const fresh = tempDir();
  const old = tempDir();
  try {
    const csv = join(fresh, "contacts.csv");
    writeFileSync(csv, GOOD);
    // Its indexes are checkpointed without converting them to the 1.0 format's layout (the 1M-row
    // load's checkpoint 0.85-1.51 s in that format, 0.20-0.23 s in this one).
    const first = await loadContacts({ csvPath: csv, dataDir: fresh });
    assert.equal(first.inserted, 2);
    assert.equal(await storageOf(join(fresh, "contacts.duckdb")), "v1.2.0+");
    // A file an earlier version created keeps its format, and loads go on into it.
    const made = await Database.open(join(old, "contacts.duckdb"));
    try {
      await migrate(made);
    } finally {
      made.close();
    }
    assert.equal(await storageOf(join(old, "contacts.duckdb")), "v1.0.0+");
    const second = await loadContacts({ csvPath: csv, dataDir: old });
    assert.equal(second.inserted, 2);
    assert.equal(await storageOf(join(old, "contacts.duckdb")), "v1.0.0+");
  } finally {
    rmSync(fresh, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
});
