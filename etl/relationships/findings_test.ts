import { test } from "node:test";
import assert from "node:assert/strict";
import { Findings, MAX_EXAMPLE_CHARS } from "./findings.ts";

test("a finding quotes at most MAX_EXAMPLE_CHARS characters of each value, never half a surrogate pair", () => {
  // Before: a value was quoted whole. A cell may hold a million characters, and five of them made a
  // run record of 19 MB, longer than the run log reads as a run: the load vanished from /runs (review).
  const findings = new Findings();
  const long = "東".repeat(1_000_000);
  for (let i = 0; i < 5; i++) findings.add("cell_beyond_header", `'M'!G${i + 3}`, long);
  findings.add("code_mismatch_list", [], `${"😀".repeat(300)}`);
  findings.add("duplicate_code", [], "AB: 1, 2");
  const [beyond, mismatch, duplicate] = ["cell_beyond_header", "code_mismatch_list", "duplicate_code"].map((c) => findings.list().find((f) => f.check === c)!);
  assert.ok(beyond.message.length < 6 * MAX_EXAMPLE_CHARS + 200, `${beyond.message.length} characters`);
  assert.ok(beyond.message.includes(`'${"東".repeat(MAX_EXAMPLE_CHARS - 3)}...'`));
  assert.ok(mismatch.message.includes(`'${"😀".repeat(MAX_EXAMPLE_CHARS - 3)}...'`), "cut between characters");
  assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(mismatch.message), "no lone high surrogate");
  assert.match(duplicate.message, /'AB: 1, 2'/, "a short value whole");
});
