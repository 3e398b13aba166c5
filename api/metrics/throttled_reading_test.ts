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

test("a reading that says nothing new keeps the last value and is tried again; one that fails rejects its waiters only", async () => {
  const { reading, pending } = fixture(60_000);
  assert.equal(await reading.get(1), undefined, "nothing read yet");
  pending[0]!.resolve(undefined);
  await new Promise((r) => setImmediate(r));
  const next = reading.get(60_000);
  assert.equal(pending.length, 2, "an unanswered reading does not count as a reading");
  pending[1]!.reject(new Error("a bug"));
  await assert.rejects(next, /a bug/);
  const after = reading.get(60_000);
  assert.equal(pending.length, 3, "nor does a failed one");
  pending[2]!.resolve(4);
  assert.equal(await after, 4);
});
