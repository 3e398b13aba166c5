// The API closing (SIGTERM to `npm start`, server.close()) while POST /imports/contacts loads into
// the embedded DuckDB: the close waited for the import through its grace (10 s), then cut its
// client off with no answer, the import stopped only by that. Now the close stops it at once, as
// on PostgreSQL (import_server_close_postgres_test.ts): DuckDB interrupted, nothing written, the run
// recorded `stopped`, the client answered 503 `shutting-down`. The import is held provably mid-way
// by giving its read_csv a named pipe the test feeds (scripts/testing/read_csv_pipe.ts): DuckDB holds
// it open, half the file read, and the statement cannot end before the test lets it, which it does
// only once the close has begun.
import { test } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Database } from "../../etl/db/mod.ts";
import { LoadStopped, readRuns, type RunRecord } from "../../etl/runs/mod.ts";
import { raw, tempDir, testServer, type RawResponse } from "../../scripts/testing/api_server.ts";
import { writeContactsCsv } from "../../scripts/testing/contacts_csv.ts";
import { etlCli } from "../../scripts/testing/etl_cli.ts";
import { readCsvThroughPipe, type PipedReadCsv } from "../../scripts/testing/read_csv_pipe.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { ContactsStore } from "./contacts_store.ts";

/**
 * Asserts an import held by `read` was stopped: the one run in `dir` failed `stopped` with `message`,
 * no upload or body copy left, and (once `read` is restored) no contact written. Returns the run.
 */
async function assertImportStopped(dir: string, read: PipedReadCsv, message: RegExp): Promise<RunRecord> {
  const runs = readRuns(dir);
  assert.equal(runs.length, 1, "the import's run is recorded");
  assert.equal(runs[0].status, "failed");
  assert.equal(runs[0].error?.code, "stopped");
  assert.match(runs[0].error?.message ?? "", message);
  assert.deepEqual(readdirSync(join(dir, "uploads")), [], "the upload or the body's copy is removed");
  read.restore();
  const db = await Database.open(join(dir, "contacts.duckdb"), { readOnly: true });
  try {
    assert.equal(Number((await db.one<{ n: number }>("SELECT count(*)::INTEGER AS n FROM contacts"))!.n), 0, "nothing of the stopped import is written");
  } finally {
    db.close();
  }
  return runs[0];
}

test("the API closing while a DuckDB import reads its CSV: the import is interrupted, its client answered 503 shutting-down, its run recorded stopped, nothing written", { timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir("import-close-duckdb-");
  let read: PipedReadCsv | undefined;
  const server = await testServer(dir);
  let closed = false;
  try {
    const body = Buffer.from(["first_name,last_name,email,department", ...Array.from({ length: 500 }, (_, i) => `Ana${i},Ruiz,ana${i}@example.org,Sales`)].join("\n") + "\n");
    let reading!: () => void;
    const midway = new Promise<void>((resolve) => (reading = resolve));
    let go!: () => void;
    const closing = new Promise<void>((resolve) => (go = resolve));
    read = readCsvThroughPipe(dir, body, () => {
      reading();
      return closing;
    });

    const answer: Promise<RawResponse | Error> = raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv", "x-source-name": "contacts.csv" }, body }).catch(
      (error: Error) => error,
    );
    await midway;
    // A grace far longer than the test: a close that waits for the import ends only after it.
    const closeDone = server.close(60_000);
    go();
    await closeDone;
    closed = true;

    const response = await answer;
    assert.ok(!(response instanceof Error), `the import's client got an answer: ${response instanceof Error ? response.message : ""}`);
    assert.equal(response.status, 503, response.text);
    assert.ok(response.headers["retry-after"] !== undefined, "with Retry-After");
    const problem = response.json();
    assert.equal(problem.type, "/docs#problem-shutting-down");
    assert.match(problem.detail, /shutting down.*nothing was loaded/);
    assert.match(read.outcome ?? "", /^INTERRUPT Error/, "the import's read_csv was interrupted, not run to its end");

    await assertImportStopped(dir, read, /^Stopped by the API's close before its COMMIT; nothing was loaded/);
  } finally {
    read?.restore();
    if (!closed) await server.close();
    cleanup();
  }
});

// An import listens to its client's signal and to the store's own stop (stopImports(), which lives
// as long as the API): each must take back what it listens to, and the stop still reach later ones.
test("imports one after another on one signal leave nothing listening on it, and stopImports() still stops the next", { timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir("import-signals-");
  const csv = join(dir, "contacts.csv");
  writeContactsCsv(csv, 20, 3);
  const store = await ContactsStore.open(dir, { idleTrimMs: 60_000 });
  try {
    const client = new AbortController();
    for (let i = 0; i < 3; i++) await store.importCsv(csv, { sourceName: "contacts.csv", workDir: dir, signal: client.signal });
    await assert.rejects(store.importCsv(join(dir, "missing.csv"), { sourceName: "missing.csv", workDir: dir, signal: client.signal }));
    assert.equal(getEventListeners(client.signal, "abort").length, 0);
    store.stopImports("the test");
    writeContactsCsv(csv, 30, 4); // another file (the same, unchanged: the test below)
    await assert.rejects(store.importCsv(csv, { sourceName: "contacts.csv", workDir: dir, signal: client.signal }), (error) => error instanceof LoadStopped && /the test/.test(error.message));
    assert.equal(getEventListeners(client.signal, "abort").length, 0);
  } finally {
    await store.close();
    cleanup();
  }
});

// stopImports() says imports still to come fail with LoadStopped; one of the very file last loaded
// returned the earlier load's summary (a success) instead: ingestContacts skipped an unchanged file
// before it looked at the stop. PostgreSQL's load looked at it first; both do now.
for (const backend of ["duckdb", "postgres"] as const) {
  test(`${backend}: after stopImports(), an import of the file last loaded, unchanged, fails with LoadStopped too`, { skip: backend === "postgres" && POSTGRES_SKIP, timeout: 120_000 }, async () => {
    const { dir, cleanup } = tempDir(`import-stopped-unchanged-${backend}-`);
    const csv = join(dir, "contacts.csv");
    writeContactsCsv(csv, 20, 3);
    const databaseUrl = backend === "postgres" ? await postgresDatabaseFor(`stopped-unchanged:${dir}`) : undefined;
    const store = await ContactsStore.open(dir, { idleTrimMs: 60_000, databaseUrl });
    try {
      const first = await store.importCsv(csv, { sourceName: "contacts.csv", workDir: dir });
      assert.ok(first.inserted > 0);
      assert.ok((await store.importCsv(csv, { sourceName: "contacts.csv", workDir: dir })).unchanged_since, "unchanged, it is skipped while the API runs");
      store.stopImports("the test");
      await assert.rejects(store.importCsv(csv, { sourceName: "contacts.csv", workDir: dir }), (error) => error instanceof LoadStopped && /the test/.test(error.message));
    } finally {
      await store.close();
      cleanup();
    }
  });
}

// The API closing while a CSV body was still arriving (a big file on a slow link) left no run: the
// close waited its grace for the body, then cut the connection, and /runs never showed that the
// import was tried. The run is now recorded failed `stopped`, as an import the close stopped mid-load
// is. The body is held mid-way by the client itself: the test sends part of it after the server's
// "100 Continue" (said once the request is admitted) and never the rest.
// A gzip body's count is of the bytes as sent, set beside its Content-Length (it was the decoded
// count: "9000 of 3000 bytes").
for (const [backend, coding] of [["duckdb", "identity"], ["postgres", "identity"], ["duckdb", "gzip"]] as const) {
  test(`${backend}: the API closing while a CSV body (${coding}) is still arriving: the cut import's run is recorded stopped, no copy of it left`, { skip: backend === "postgres" && POSTGRES_SKIP, timeout: 120_000 }, async () => {
    const { dir, cleanup } = tempDir(`import-close-body-${backend}-`);
    const databaseUrl = backend === "postgres" ? await postgresDatabaseFor(`import-close-body:${dir}`) : undefined;
    const server = await testServer(dir, { databaseUrl });
    let closed = false;
    try {
      const csv = Buffer.from(["first_name,last_name,email,department", ...Array.from({ length: 500 }, (_, i) => `Ana${i},Ruiz,ana${i}@example.org,Sales`)].join("\n") + "\n");
      const body = coding === "gzip" ? gzipSync(csv) : csv;
      const sent = coding === "gzip" ? body.length >> 1 : 5000;
      const { port } = new URL(server.url);
      const socket = connect(Number(port), "127.0.0.1");
      socket.on("error", () => {});
      let received = "";
      const socketClosed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
      const continued = new Promise<void>((resolve) =>
        socket.setEncoding("utf8").on("data", (chunk: string) => {
          received += chunk;
          if (received.includes("100 Continue")) resolve();
        }),
      );
      socket.write(
        `POST /imports/contacts HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: text/csv\r\nx-source-name: contacts.csv\r\ncontent-length: ${body.length}\r\ncontent-encoding: ${coding}\r\nexpect: 100-continue\r\n\r\n`,
      );
      await continued;
      socket.write(body.subarray(0, sent));
      // A short grace: the rest of the body never comes, so the close cuts it whatever the machine's speed.
      await server.close(200, "SIGTERM to the API");
      closed = true;
      await socketClosed;

      const runs = readRuns(dir);
      assert.equal(runs.length, 1, "the cut import's run is recorded");
      assert.equal(runs[0].kind, "contacts");
      assert.equal(runs[0].status, "failed");
      assert.equal(runs[0].error?.code, "stopped");
      const said = /^Stopped by SIGTERM to the API while the body of contacts\.csv was arriving \((\d+) of (\d+) bytes\); nothing was loaded/.exec(runs[0].error?.message ?? "");
      assert.ok(said, runs[0].error?.message);
      assert.equal(Number(said[2]), body.length);
      assert.ok(Number(said[1]) <= sent, `${said[1]} bytes said received, of ${sent} sent`);
      assert.deepEqual(readdirSync(join(dir, "uploads")).filter((n) => n.startsWith("body-")), [], "no copy of the body is left");
    } finally {
      if (!closed) await server.close();
      cleanup();
    }
  });
}

// `npm run etl` handing its CSV to the running API, which closes mid-import (a restart of `npm
// start`): the API stopped the import and answered 503 shutting-down, but the loader recorded its
// run `api-failed`, a failure of the file it had read and hashed, so the schedule took that file as
// loaded (only a `stopped` run's file counts as not loaded yet) and left it for the daily load.
test("npm run etl handing over to an API that closes mid-import: the loader's run is recorded stopped, nothing written, the upload removed", { timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir("import-close-handover-");
  let read: PipedReadCsv | undefined;
  const server = await testServer(dir, { announce: true });
  let closed = false;
  try {
    const csv = join(dir, "contacts.csv");
    writeContactsCsv(csv, 300, 5);
    let reading!: () => void;
    const midway = new Promise<void>((resolve) => (reading = resolve));
    let go!: () => void;
    const closing = new Promise<void>((resolve) => (go = resolve));
    read = readCsvThroughPipe(dir, readFileSync(csv), () => {
      reading();
      return closing;
    });
    const cli = etlCli(["--only", "contacts", "--contacts", csv, "--data-dir", dir], { env: { ...process.env, DATABASE_URL: "", API_TOKEN: "", ALERT_WEBHOOK_URL: "", CONTACTS_EXPORT: "off" } });
    await midway;
    const closeDone = server.close(60_000, "SIGTERM to the API");
    go();
    await closeDone;
    closed = true;
    const { code, stderr } = await cli;
    assert.equal(code, 1, stderr);
    assert.doesNotMatch(stderr, /\n\s+at /);
    // One run, the loader's: the API records none for an upload it was named.
    const run = await assertImportStopped(dir, read, /was closing and stopped the import before its COMMIT; nothing was loaded/);
    assert.equal(run.file?.name, "contacts.csv");
  } finally {
    read?.restore();
    if (!closed) await server.close();
    cleanup();
  }
});
