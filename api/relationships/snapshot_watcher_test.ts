import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { SnapshotWatcher } from "./snapshot_watcher.ts";
import { publishSnapshot, SMALL_GRAPH, tempDir } from "../../scripts/testing/api_server.ts";

test("SnapshotWatcher swaps to a replaced file and closes the old one only after its in-flight query", async () => {
  const { dir, cleanup } = tempDir();
  const errors: unknown[] = [];
  const watcher = await SnapshotWatcher.start(join(dir, "relationships.duckdb"), { pollMs: 50, onError: (e) => errors.push(e) });
  try {
    assert.equal(watcher.current(), undefined);
    await publishSnapshot(dir, SMALL_GRAPH);
    await watcher.check();
    const first = watcher.current()!;
    assert.equal(first.model.versionId, 1);

    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inFlight = first.query(async (db) => {
      await gate; // still running while the file is replaced
      return db.all<{ n: number }>("select count(*)::INTEGER as n from actors");
    });
    await publishSnapshot(dir, { ...SMALL_GRAPH, versionId: 2, actors: SMALL_GRAPH.actors.slice(0, 4), pairs: [[1, 2, true, true]] });
    await watcher.check();
    assert.equal(watcher.current()!.model.versionId, 2);
    assert.equal(watcher.current()!.model.actors.size, 4);
    release();
    assert.deepEqual(await inFlight, [{ n: 5 }], "the old snapshot answered its in-flight query");
    await assert.rejects(first.query((db) => db.all("select 1")), "closed once the last query released it");

    // A broken file keeps the last good snapshot serving.
    const path = join(dir, "relationships.duckdb");
    writeFileSync(path + ".tmp", "not a database");
    const { renameSync } = await import("node:fs");
    renameSync(path + ".tmp", path);
    await watcher.check();
    assert.equal(watcher.current()!.model.versionId, 2);
    assert.equal(errors.length, 1);
  } finally {
    await watcher.close();
    cleanup();
  }
});

test("SnapshotWatcher: an unreadable file that is then removed is 'not published yet' again, not unreadable", async () => {
  const dir = mkdtempSync(join(tmpdir(), "watch-"));
  const path = join(dir, "relationships.duckdb");
  writeFileSync(path, "not a duckdb file at all".repeat(1000));
  const watcher = await SnapshotWatcher.start(path, { pollMs: 60_000 });
  try {
    assert.notEqual(watcher.unreadable(), undefined, "the corrupt file is reported");
    rmSync(path);
    await watcher.check();
    assert.equal(watcher.current(), undefined);
    assert.equal(watcher.unreadable(), undefined);
  } finally {
    await watcher.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Before, only a query held the file: a request's next query, or a streamed body's next page, ran
// on a connection the swap had closed in between.
test("SnapshotHandle: a hold, or a held stream until it ends or is given up unread, keeps a replaced snapshot open", async () => {
  const { dir, cleanup } = tempDir();
  const watcher = await SnapshotWatcher.start(join(dir, "relationships.duckdb"), { pollMs: 60_000 });
  try {
    await publishSnapshot(dir, SMALL_GRAPH);
    await watcher.check();
    const first = watcher.current()!;
    const count = () => first.query((db) => db.all<{ n: number }>("select count(*)::INTEGER as n from actors"));
    const release = first.hold();
    async function* rows() {
      yield 1;
      yield 2;
    }
    const read = first.holding(rows());
    const unread = first.holding(rows());
    await publishSnapshot(dir, { ...SMALL_GRAPH, versionId: 2 });
    await watcher.check();
    assert.equal(watcher.current()!.model.versionId, 2);
    assert.deepEqual(await count(), [{ n: 5 }], "no query holds it, yet it is open: held");
    release();
    release(); // a second release is no second count down
    assert.deepEqual(await count(), [{ n: 5 }], "still held by both streams");
    assert.deepEqual(await read.next(), { done: false, value: 1 });
    await unread.return!(); // a response body cancelled before its first pull
    assert.deepEqual(await count(), [{ n: 5 }], "still held by the stream being read");
    assert.deepEqual([(await read.next()).value, (await read.next()).done], [2, true]);
    await assert.rejects(count(), "closed once the last holder ended");
  } finally {
    await watcher.close();
    cleanup();
  }
});
