import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Database } from "../../etl/db/mod.ts";
import { publishSnapshot, SMALL_GRAPH, tempDir } from "../../scripts/testing/api_server.ts";
import { loadRelationshipModel } from "./relationship_model.ts";
import { countsOf, warmMatrix } from "./relationship_routes.ts";
import { SnapshotHandle } from "./snapshot_watcher.ts";

/** A handle on the SMALL_GRAPH snapshot (5 actors), as the watcher opens one. */
async function smallHandle(t: { after: (fn: () => unknown) => void }): Promise<SnapshotHandle> {
  const { dir, cleanup } = tempDir("warm-matrix-");
  t.after(cleanup);
  await publishSnapshot(dir, SMALL_GRAPH);
  const db = await Database.open(join(dir, "relationships.duckdb"), { readOnly: true, settings: { threads: "1" } });
  return new SnapshotHandle(db, await loadRelationshipModel(db, "t"), "t");
}

test("a served matrix too big to pack ahead still has its cell counts read ahead: the first JSON window does not scan every cell", async (t) => {
  const handle = await smallHandle(t);
  // 5 actors over a pack limit of 2 stand for 5,000 over 4,096, where the counts were left to the
  // first JSON window (2 s of its 3 at 5,000 actors).
  await warmMatrix(handle, 2);
  assert.equal([...handle.model.bodies.keys()].some((k) => k.startsWith("matrix-bin:")), false, "the whole matrix is not packed");
  handle.retire(); // closes the file: what was not read ahead can no longer be
  assert.deepEqual(await countsOf(handle), { one: 4, zero: 15, unknown: 1 });
});

test("a matrix within the pack limit is packed and counted ahead", async (t) => {
  const handle = await smallHandle(t);
  await warmMatrix(handle);
  assert.deepEqual([...handle.model.bodies.keys()], ["matrix-bin:0:5"]);
  handle.retire();
  assert.deepEqual(await countsOf(handle), { one: 4, zero: 15, unknown: 1 });
});
