import { test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as turn } from "node:timers/promises";
import { Cohort } from "./cohort.ts";

/** Whether `promise` has settled after the pending callbacks of this turn have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await turn();
  return done;
}

// A wait of a minute, so a test that passes cannot have been rescued by the timer.
const MINUTE = 60_000;

test("a member alone never waits", { timeout: 10_000 }, async () => {
  const cohort = new Cohort(MINUTE, 256);
  assert.equal(cohort.expected, 1);
  cohort.arrived(1);
  assert.equal(await settled(cohort.gather(() => 1)), true);
  cohort.started(1, 0);
  cohort.finished(1);
  assert.equal(cohort.expected, 1, "one in flight leaves an expectation of one");
  assert.equal(await settled(cohort.gather(() => 1)), true);
});

test("the next group waits for as many as were in flight while the last one ran, and starts when they have come", { timeout: 10_000 }, async () => {
  const cohort = new Cohort(MINUTE, 256);
  // 16 running, and 16 queued meanwhile: 32 in flight.
  cohort.started(16, 0);
  for (let queued = 1; queued <= 16; queued++) cohort.arrived(queued);
  cohort.finished(16);
  assert.equal(cohort.expected, 32);
  let queued = 16;
  const wait = cohort.gather(() => queued);
  for (; queued < 31; ) cohort.arrived(++queued);
  assert.equal(await settled(wait), false, "31 of 32 have come: still waiting");
  cohort.arrived(++queued);
  assert.equal(await settled(wait), true, "the 32nd ends the wait");
});

test("when the expected members do not come, the wait ends and the next expects those that came", { timeout: 10_000 }, async () => {
  const cohort = new Cohort(1, 256);
  cohort.started(1, 0);
  cohort.arrived(31);
  cohort.finished(1);
  assert.equal(cohort.expected, 32);
  await cohort.gather(() => 5);
  assert.equal(cohort.expected, 5);
});

test("the expectation never exceeds the largest group", () => {
  const cohort = new Cohort(MINUTE, 8);
  cohort.started(8, 100);
  cohort.finished(8);
  assert.equal(cohort.expected, 8);
});

test("a group that left members queued lets the next start at once", { timeout: 10_000 }, async () => {
  // 600 in flight, groups of 256: 256, 256, then 88, whose members were all queued before it. The
  // clients it would wait for are those of the groups ahead, which come back only after it.
  const cohort = new Cohort(MINUTE, 256);
  cohort.started(256, 344);
  cohort.finished(256);
  cohort.started(256, 88);
  cohort.finished(256);
  assert.equal(await settled(cohort.gather(() => 88)), true, "the last 88 start without waiting");
  cohort.started(88, 0);
  cohort.finished(88);
  assert.equal(cohort.expected, 88, "and the group after them waits for them");
});
