// The event-loop lag figures: the histogram's interval taken off, and a real block showing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { delayPastInterval, RuntimeMetrics } from "./runtime_metrics.ts";

test("delayPastInterval() takes the 20 ms timer interval off what Node records (an idle loop read 0.020 before)", () => {
  assert.equal(delayPastInterval(20_000_000), 0);
  assert.equal(delayPastInterval(19_000_000), 0, "a tick a little early is no negative delay");
  assert.ok(Math.abs(delayPastInterval(170_000_000) - 0.15) < 1e-9);
  assert.equal(delayPastInterval(Number.NaN), 0);
});

test("nodejs_eventloop_lag_seconds shows a block of the loop", async () => {
  const runtime = new RuntimeMetrics();
  try {
    await sleep(60);
    const start = performance.now();
    while (performance.now() - start < 150);
    await sleep(60);
    const family = runtime.families().find((f) => f.name === "nodejs_eventloop_lag_seconds");
    assert.ok(family !== undefined && family.type === "gauge");
    const max = family.samples.find((s) => s.labels?.stat === "max")!.value;
    // Only a floor: a loaded machine delays the loop more, never less.
    assert.ok(max >= 0.1, `max after a 150 ms block ${max}`);
  } finally {
    runtime.stop();
  }
});
