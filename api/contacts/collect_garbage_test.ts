import assert from "node:assert/strict";
import { test } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import { collectGarbage, garbageCollections } from "./collect_garbage.ts";

test("collectGarbage() collects what nothing references, and counts its runs", async () => {
  // Unreachable once made. A WeakRef's target is kept alive until the end of the job that made or
  // read it, so the collection comes a tick after each. Nothing else here allocates enough to bring one.
  const ref = (() => new WeakRef({ payload: "x".repeat(1024) }))();
  await tick();
  assert.ok(ref.deref() !== undefined, "alive before the collection (else the test proves nothing)");
  await tick();
  const before = garbageCollections();
  assert.equal(collectGarbage(), true);
  assert.equal(ref.deref(), undefined, "collected");
  assert.equal(garbageCollections(), before + 1);
});
