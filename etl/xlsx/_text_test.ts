import { test } from "node:test";
import assert from "node:assert/strict";
import { inWorker } from "../../scripts/testing/in_worker.ts";
import { textOfT } from "./_text.ts";

test("a <t> without xml:space='preserve' loses XML whitespace at its ends only; with it, nothing", () => {
  assert.equal(textOfT(" \t\r\na b\n ", false), "a b");
  assert.equal(textOfT(" a ", true), " a ");
  assert.equal(textOfT("\u00a0a\u00a0", false), "\u00a0a\u00a0");
  assert.equal(textOfT("   ", false), "");
});

test("a <t> of a million spaces between two letters is read at once (linear trimming, no regular expression retried at each space)", { timeout: 120_000 }, async () => {
  const text = `a${" ".repeat(1_000_000)}b`;
  assert.equal(await inWorker(60_000, new URL("./_text.ts", import.meta.url), "textOfT", [` ${text}\n`, false]), text);
});
