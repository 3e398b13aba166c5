import { test } from "node:test";
import assert from "node:assert/strict";
import { showBytes } from "./_reread_lines.ts";
import { MAX_REJECT_VALUE_CHARS } from "./_ingest_sql.ts";

test("showBytes() writes each byte that is not UTF-8 as \\xHH and keeps every other one, naming the first bad byte's line and column", () => {
  // A lone Latin-1 byte, a lead byte cut short, an overlong '/', a surrogate half, and good UTF-8 beside them.
  const bytes = Buffer.concat([Buffer.from("Añ\n"), Buffer.from([0x4a, 0xe9, 0x2c, 0xc3, 0x41, 0xc0, 0xaf, 0xed, 0xa0, 0x80]), Buffer.from("😀")]);
  const shown = showBytes(bytes);
  assert.equal(shown.head, "Añ\nJ\\xE9,\\xC3A\\xC0\\xAF\\xED\\xA0\\x80😀");
  assert.equal(shown.chars, [...shown.head].length);
  assert.deepEqual(shown.bad, { byte: 0xe9, line: 1, column: 2 });
  assert.equal(showBytes(Buffer.from("plain")).bad, null);
  // A long row keeps only what a reject shows, and its whole length.
  const long = showBytes(Buffer.concat([Buffer.from([0xe9]), Buffer.from("x".repeat(5000))]));
  assert.equal(long.chars, 5004);
  assert.equal([...long.head].length, MAX_REJECT_VALUE_CHARS + 1);
});
