import { test } from "node:test";
import assert from "node:assert/strict";
import { CHECK_AT_MOST_MS, CHECK_EVERY_MS, checkDelay } from "./check_delay.js";

test("checkDelay() waits 30 s, doubles for each failed check and stops at 10 min", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map(checkDelay), [30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000]);
  assert.equal(checkDelay(0), CHECK_EVERY_MS);
  assert.equal(checkDelay(10_000), CHECK_AT_MOST_MS, "a tab failing for weeks");
});
