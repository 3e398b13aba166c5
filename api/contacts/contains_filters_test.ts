// The filters in use and a build: what a list compares its ranges by (the epoch), what writes are
// recorded in, and what an import or a failed build leaves.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ContainsFilters } from "./contains_filters.ts";

test("ContainsFilters: a build records writes until it is in use; an import puts both out of use; the epoch marks each swap", () => {
  const filters = new ContainsFilters(["q"], 64 * 1024);
  assert.equal(filters.recording, false);
  assert.equal(filters.narrow("q", "abc"), undefined, "nothing in use yet");
  const build = filters.begin(1000);
  filters.record([{ id: 5, q: "xabcx" }]);
  filters.fill(build, [{ id: 900, q: "zzabc" }]);
  const before = filters.epoch;
  assert.equal(filters.finish(build), true);
  assert.equal(filters.epoch, before + 1, "a build put in use is a swap");
  assert.deepEqual(filters.narrow("q", "abc"), [[0, 63], [896, 959]], "the write recorded during the build and the row it read");
  filters.record([{ id: 300, q: "abc" }]);
  assert.equal(filters.epoch, before + 1, "a write is no swap: the filters only gain bits");
  assert.equal(filters.narrow("q", "abc")!.length, 3);

  const next = filters.begin(1000);
  filters.invalidate();
  assert.equal(filters.epoch, before + 2, "an import is a swap");
  assert.equal(filters.ready, false);
  assert.equal(filters.current(next), false, "the build it overtook is abandoned");
  assert.equal(filters.finish(next), false);
  assert.equal(filters.recording, false);

  const failed = filters.begin(1000);
  filters.abandon(failed);
  assert.equal(filters.recording, false, "a failed build records nothing more");
});
