import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fetchWorkbook, urlWorkbookWatcher, watchUrl } from "./mod.ts";
import { settleValidators } from "./fetch_workbook.ts";
import { localServer } from "../../scripts/testing/local_http.ts";
import { FakeClock } from "../../scripts/testing/fake_clock.ts";

/** Waits until `done()` holds, polling; fails after `ms` (a state to reach, not a timing to assert). */
async function until(done: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("watchUrl() reports a change only when the server has other bytes than the last download", { timeout: 60_000 }, async (t) => {
  for (const validators of [true, false]) {
    await t.test(validators ? "a server with ETags: unchanged polls are 304s" : "a server without validators: the body's hash decides", async () => {
      const dir = mkdtempSync(join(tmpdir(), "watch-url-"));
      let body = Buffer.from("version one");
      const server = await localServer((req, res) => {
        const etag = `"${body.length}-${body[8]}"`;
        if (validators && req.headers["if-none-match"] === etag) {
          res.statusCode = 304;
          res.end();
          return;
        }
        if (validators) res.setHeader("etag", etag);
        res.end(body);
      });
      let changes = 0;
      const url = `${server.url}/w.xlsx`;
      // Downloaded and loaded (the load keeps the validators of a copy it could read).
      settleValidators(url, dir, await fetchWorkbook(url, { dataDir: dir }), true);
      const watcher = watchUrl(url, { dataDir: dir, intervalMs: 30, onChanged: () => changes++ });
      try {
        await until(() => server.requests.length >= 4);
        assert.equal(changes, 0, "the downloaded version is not a change");
        if (validators) assert.ok(server.requests.slice(1).every((r) => r.headers["if-none-match"] !== undefined));
        body = Buffer.from("version TWO");
        await until(() => changes > 0);
        watcher.stop();
        await watcher.idle();
      } finally {
        watcher.stop();
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

test("watchUrl() keeps polling after a failed poll and reports it", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "watch-url-"));
  const server = await localServer((_req, res, n) => {
    res.statusCode = n === 1 ? 503 : 200;
    res.end("bytes");
  });
  const errors: unknown[] = [];
  let changes = 0;
  const watcher = watchUrl(`${server.url}/w.xlsx`, { dataDir: dir, intervalMs: 30, onChanged: () => changes++, onError: (e) => errors.push(e) });
  try {
    await until(() => changes > 0);
    assert.match(String((errors[0] as Error).message), /answered 503/);
  } finally {
    watcher.stop();
    await watcher.idle();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// The poll made its fetch folder (fetchDir(), a mkdirSync) outside its try: when that threw, the
// chained poll promise rejected unhandled and Node ended the process, the API under npm start.
// In a child process, so that such a crash is an exit code here rather than the test runner's.
test("watchUrl(): a poll whose fetch folder cannot be made is reported through onError; the process keeps running", { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "watch-url-"));
  try {
    writeFileSync(join(dir, "fetched"), "not a folder"); // stands for any mkdir failure (EACCES, EROFS, ENOSPC)
    const script = `
      const { watchUrl } = await import(${JSON.stringify(fileURLToPath(new URL("./mod.ts", import.meta.url)))});
      const errors = [];
      const w = watchUrl("http://127.0.0.1:9/w.xlsx", { dataDir: ${JSON.stringify(dir)}, intervalMs: 20, onChanged() {}, onError: (e) => errors.push(e) });
      while (errors.length < 2) await new Promise((r) => setTimeout(r, 20));
      w.stop();
      await w.idle();
      console.log("still running; first error: " + errors[0].code);
    `;
    const child = spawnSync(process.execPath, [...process.execArgv, "--input-type=module", "-e", script], { encoding: "utf8", timeout: 50_000 });
    assert.equal(child.status, 0, `exit ${child.status}; stderr: ${child.stderr.split("\n").slice(0, 6).join("\n")}`);
    assert.match(child.stdout, /still running; first error: E(EXIST|NOTDIR)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Polls were appended to a promise chain by setInterval: a server that hung for 90 s under a 10 s
// interval had nine polls queued behind the hanging one, and they all went out the moment it
// answered (each could start a load). Driven by a fake clock: time passes only when the test says.
test("watchUrl(): ticks while a poll hangs are dropped, not queued; the next poll comes an interval after it ends", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "watch-url-"));
  let answer: (() => void) | null = null;
  const server = await localServer((_req, res, n) => {
    if (n === 1) answer = () => res.end("bytes");
    else res.end("bytes");
  });
  const clock = new FakeClock("2026-03-03T10:00:00Z");
  let changes = 0;
  const watcher = watchUrl(`${server.url}/w.xlsx`, { dataDir: dir, intervalMs: 10_000, timers: clock, onChanged: () => changes++ });
  try {
    clock.advance(10_000);
    await until(() => answer !== null);
    for (let s = 0; s < 90; s += 10) clock.advance(10_000); // the server hangs for 90 s
    answer!();
    await watcher.idle();
    assert.deepEqual([server.requests.length, changes], [1, 1], "one GET: none was queued behind the hanging one");
    clock.advance(9_999);
    await watcher.idle();
    assert.equal(server.requests.length, 1, "the next poll waits a whole interval after the last one ended");
    clock.advance(1);
    await until(() => server.requests.length === 2);
    await watcher.idle();
    assert.equal(server.requests.length, 2);
  } finally {
    watcher.stop();
    await watcher.idle();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("urlWorkbookWatcher() polls URLs only, and not when polling is off", () => {
  assert.equal(urlWorkbookWatcher({ workbook: "/srv/data/relaciones.xlsx", dataDir: "/srv/data", pollMs: 1000 }), undefined);
  assert.equal(urlWorkbookWatcher({ workbook: "https://files.example.org/w.xlsx", dataDir: "/srv/data", pollMs: null }), undefined);
  assert.equal(typeof urlWorkbookWatcher({ workbook: "https://files.example.org/w.xlsx", dataDir: "/srv/data", pollMs: 1000 }), "function");
});

// stop() left a poll in progress running: against a server that sent its headers and then nothing,
// `npm run etl -- --watch` (and npm start) stayed alive after their stop until the poll timed out.
test("watchUrl().stop() ends the poll in progress: idle() resolves and the connection closes", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "watch-url-stop-"));
  let closed!: () => void;
  const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
  const server = await localServer((_req, res) => {
    res.on("close", closed);
    res.setHeader("content-length", 1_000_000);
    res.write(Buffer.alloc(1000));
  });
  const errors: unknown[] = [];
  // Timeouts far away: only stop() can end this poll within the test.
  const watcher = watchUrl(`${server.url}/r.xlsx`, { dataDir: dir, intervalMs: 1, idleTimeoutMs: 10 * 60_000, onChanged: () => assert.fail("no change"), onError: (e) => errors.push(e) });
  try {
    await until(() => server.requests.length === 1);
    watcher.stop();
    await watcher.idle();
    await connectionClosed;
    assert.deepEqual(errors, [], "a poll ended by stop() is no failed poll");
    assert.equal(server.requests.length, 1);
  } finally {
    watcher.stop();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("watchUrl(): a poll answered by a web page that differs each time (a sign-in form's token) reports a failed poll, not a change", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "watch-url-"));
  const server = await localServer((_req, res, n) => {
    res.setHeader("content-type", "text/html");
    res.end(`<html><body>Sign in <input name=csrf value=${n}></body></html>`);
  });
  const errors: unknown[] = [];
  let changes = 0;
  const watcher = watchUrl(`${server.url}/w.xlsx`, { dataDir: dir, intervalMs: 30, onChanged: () => changes++, onError: (e) => errors.push(e) });
  try {
    await until(() => server.requests.length >= 3 && errors.length + changes >= 3);
    assert.equal(changes, 0);
    assert.equal((errors[0] as { code?: unknown }).code, "not-a-workbook");
  } finally {
    watcher.stop();
    await watcher.idle();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
