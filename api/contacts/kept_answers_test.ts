import { test } from "node:test";
import assert from "node:assert/strict";
import { KeptAnswers } from "./kept_answers.ts";

/** A reading that answers `value` and counts itself. */
function reader(value: number) {
  const calls = { n: 0 };
  return { calls, read: async () => (calls.n++, value) };
}

test("an answer is kept until clear(), and a reading under way at clear() is not kept", async () => {
  const answers = new KeptAnswers(1024);
  const one = reader(1);
  assert.equal(await answers.get("k", () => 0, one.read), 1);
  assert.equal(await answers.get("k", () => 0, one.read), 1);
  assert.equal(one.calls.n, 1);
  answers.clear();
  let release!: () => void;
  const slow = answers.get("k", () => 0, () => new Promise<number>((resolve) => (release = () => resolve(2))));
  answers.clear();
  release();
  assert.equal(await slow, 2);
  const three = reader(3);
  assert.equal(await answers.get("k", () => 0, three.read), 3, "the reading from before the clear() was not kept");
  assert.deepEqual({ asked: answers.stats().asked, read: answers.stats().read }, { asked: 4, read: 3 });
});

test("those who ask while an answer is read share that reading; with no bytes nothing is kept or shared", async () => {
  const answers = new KeptAnswers(1024);
  const one = reader(1);
  assert.deepEqual(await Promise.all([answers.get("k", () => 0, one.read), answers.get("k", () => 0, one.read)]), [1, 1]);
  assert.equal(one.calls.n, 1);
  const none = new KeptAnswers(0);
  const two = reader(2);
  await Promise.all([none.get("k", () => 0, two.read), none.get("k", () => 0, two.read)]);
  await none.get("k", () => 0, two.read);
  assert.equal(two.calls.n, 3);
});

test("with expiry an answer is kept minAgeMs, or 20 times as long as it took to read when that is longer, never past maxAgeMs", async () => {
  let clock = 0;
  const answers = new KeptAnswers(1024, { minAgeMs: 1_000, maxAgeMs: 10_000 }, () => clock);
  let reads = 0;
  // Each reading takes `took` ms of the clock.
  const read = (took: number) => async () => ((clock += took), ++reads);
  assert.equal(await answers.get("fast", () => 0, read(10)), 1);
  clock += 999;
  assert.equal(await answers.get("fast", () => 0, read(10)), 1, "within minAgeMs");
  clock += 1;
  assert.equal(await answers.get("fast", () => 0, read(10)), 2, "read again at minAgeMs");
  assert.equal(await answers.get("slow", () => 0, read(200)), 3);
  clock += 3_999;
  assert.equal(await answers.get("slow", () => 0, read(200)), 3, "a 200 ms reading is kept 4 s");
  clock += 1;
  assert.equal(await answers.get("slow", () => 0, read(200)), 4);
  // A count that took 29 s (waiting for a connection, or near the statement timeout) would be kept 10 min.
  assert.equal(await answers.get("slower", () => 0, read(2_000)), 5);
  clock += 9_999;
  assert.equal(await answers.get("slower", () => 0, read(10)), 5);
  clock += 1;
  assert.equal(await answers.get("slower", () => 0, read(10)), 6, "maxAgeMs, not 40 s");
});
