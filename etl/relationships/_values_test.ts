import { test } from "node:test";
import assert from "node:assert/strict";
import { inWorker } from "../../scripts/testing/in_worker.ts";
import { asMatrixValue, asText, asWholeNumber, tidy } from "./_values.ts";

test("a cell's value is read without whitespace or invisible formatting characters at either end", () => {
  assert.equal(asMatrixValue(" 1\u200b "), 1);
  assert.equal(asMatrixValue("\ufeff\u2060"), "blank");
  assert.equal(asWholeNumber(" 12.0 "), 12);
  assert.equal(asText("\u200b N\u0303 "), "Ñ");
  assert.equal(tidy(" a  b "), "a  b");
});

test("a cell of a million spaces between '1' and 'x' is found invalid at once (linear trimming, no regular expression retried at each space)", { timeout: 120_000 }, async () => {
  const cell = `1${" ".repeat(1_000_000)}x`;
  assert.equal(await inWorker(60_000, new URL("./_values.ts", import.meta.url), "asMatrixValue", [cell]), null);
  assert.equal(await inWorker(60_000, new URL("./_values.ts", import.meta.url), "asText", [` ${cell} `]), cell);
});
