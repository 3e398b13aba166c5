import assert from "node:assert/strict";
import { test } from "node:test";
import { setImmediate as tick, setTimeout as sleep } from "node:timers/promises";
import { until } from "../scripts/testing/until.ts";
import { collectGarbage, garbageCollections, idleCollector } from "./collect_garbage.ts";

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

test("idleCollector() collects once a quiet spell is long enough and nothing is busy, once per spell", async () => {
  let collected = 0;
  let busy = true;
  let asked = 0;
  const idle = idleCollector({ idleMs: 20, busy: () => (asked++, busy), collect: () => collected++ });
  try {
    // No spell without a touch: nothing comes in the time several would take.
    await sleep(100);
    assert.equal(collected, 0);
    idle.touch();
    // A request still running holds it off, however long it runs, without polling for its end. The
    // spell's end is waited for, not timed: a loaded machine may run the 20 ms timer much later.
    await until("the collector asking whether something is busy", () => asked > 0);
    await sleep(200);
    assert.equal(collected, 0, "not while something is busy");
    assert.equal(asked, 1, "asked once, then waits for the touch that ends the busy work");
    busy = false;
    idle.touch();
    await until("the collection after the spell", () => collected === 1);
    await sleep(100);
    assert.equal(collected, 1, "once per spell");
    idle.touch();
    await until("the next spell's collection", () => collected === 2);
  } finally {
    idle.stop();
  }
});

test("idleCollector(): stop() cancels a pending collection", async () => {
  let collected = 0;
  const idle = idleCollector({ idleMs: 20, collect: () => collected++ });
  idle.touch();
  idle.stop();
  idle.touch();
  await sleep(100);
  assert.equal(collected, 0);
});
