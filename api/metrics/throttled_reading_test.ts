import { test } from "node:test";
import assert from "node:assert/strict";
import { ThrottledReading } from "./throttled_reading.ts";

/** A reading the test settles by hand, and a clock it moves by hand. */
function fixture(everyMs: number) {
  let clock = 0;
  const pending: { resolve(value: number | undefined): void; reject(error: Error): void }[] = [];
  const reading = new ThrottledReading<number>(() => new Promise((resolve, reject) => pending.push({ resolve, reject })), everyMs, () => clock);
  return { reading, pending, advance: (ms: number) => (clock += ms) };
}

test("a reading younger than everyMs is served again without reading; an older one is read again", async () => {
  const { reading, pending, advance } = fixture(60_000);
  const first = reading.get(60_000);
  assert.equal(pending.length, 1);
  pending[0]!.resolve(7);
  assert.equal(await first, 7);
  advance(59_999);
  assert.equal(await reading.get(60_000), 7);
  assert.equal(pending.length, 1, "not read again within the interval");
  advance(1);
  const second = reading.get(60_000);
  assert.equal(pending.length, 2, "read again once the last reading is everyMs old");
  pending[1]!.resolve(9);
  assert.equal(await second, 9);
});

test("one reading at a time: calls during a reading wait for it, and one that waits too long gets the last value", async () => {
  const { reading, pending, advance } = fixture(1_000);
  const first = reading.get(60_000);
  pending[0]!.resolve(1);
  await first;
  advance(1_000);
  const waiting = reading.get(60_000);
  const impatient = await reading.get(1);
  assert.equal(impatient, 1, "the last value, while the reading goes on");
  assert.equal(pending.length, 1 + 1, "the second call joined the reading under way");
  pending[1]!.resolve(2);
  assert.equal(await waiting, 2);
  assert.equal(await reading.get(60_000), 2, "the late reading is kept for later calls");
});

test("the next reading is everyMs after the last try, answered or not; a failure rejects its waiters only; a value unconfirmed for three intervals is not given", async () => {
  // A count failing at the statement timeout was started again by the next scrape, back to back.
  const { reading, pending, advance } = fixture(60_000);
  const first = reading.get(60_000);
  pending[0]!.resolve(5);
  assert.equal(await first, 5);
  advance(60_000);
  const unanswered = reading.get(60_000);
  pending[1]!.resolve(undefined);
  assert.equal(await unanswered, 5, "a reading that says nothing new keeps the last value");
  assert.equal(await reading.get(60_000), 5);
  assert.equal(pending.length, 2, "and counts as a try");
  advance(60_000);
  const failing = reading.get(60_000);
  pending[2]!.reject(new Error("a bug"));
  await assert.rejects(failing, /a bug/);
  assert.equal(await reading.get(60_000), 5, "the others still get the last value");
  assert.equal(pending.length, 3, "a failure counts as a try too");
  advance(60_000);
  assert.equal(await reading.get(1), undefined, "three intervals without a reading that answered: no value");
  pending[3]!.resolve(7);
  await new Promise((r) => setImmediate(r));
  assert.equal(await reading.get(60_000), 7);
});
