// The trigram filters against the truth: a contact whose folded value contains the folded text must
// always be in the ranges narrow() returns, through growth and merges of the blocks; and texts no
// value contains must mostly be narrowed to nothing (else the filters would be useless).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mulberry32 } from "../../scripts/testing/random.ts";
import { covers, MAX_RANGES, TrigramBlocks } from "./trigram_blocks.ts";

/**
 * A stand-in for SQL's fold(): ASCII lower-cased, and some characters folded to other lengths, as
 * strip_accents and lower do ("é" to "e", the Kelvin sign to "k", a combining mark to nothing).
 */
function sqlFold(text: string): string {
  return text.toLowerCase().replace(/é/g, "e").replace(/\u212a/g, "k").replace(/\u0301/g, "").replace(/ß/g, "ss");
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 .@-éß\u212a\u0301";

test("narrow() keeps every contact whose folded value contains the folded text, through growth and merges", () => {
  for (const seed of [1, 2, 3]) {
    const rnd = mulberry32(seed);
    const pick = (s: string) => s[Math.floor(rnd() * s.length)];
    // A small bound, so ids past it merge blocks several times.
    const blocks = new TrigramBlocks(64 * 1024);
    const values = new Map<number, string>();
    let nextId = 1;
    for (let step = 0; step < 3000; step++) {
      // Ids mostly in order, sometimes far ahead (a merge), sometimes an earlier one rewritten.
      const id = rnd() < 0.1 && values.size > 0 ? [...values.keys()][Math.floor(rnd() * values.size)] : (nextId += rnd() < 0.01 ? 5000 : 1);
      const raw = Array.from({ length: 3 + Math.floor(rnd() * 30) }, () => pick(ALPHABET)).join("");
      const stored = sqlFold(raw);
      // A rewritten value: the old one's bits stay, the new one's are added.
      values.set(id, stored);
      blocks.add(id, stored);
    }
    assert.ok(blocks.bytes <= 64 * 1024, `${blocks.bytes} bytes`);
    assert.ok(blocks.blockIds > 64, "the test must merge blocks");
    const ids = [...values.keys()];
    let narrowedToNothing = 0;
    for (let round = 0; round < 2000; round++) {
      // A piece of a stored value (upper-cased at times), or random text.
      let text: string;
      if (rnd() < 0.5) {
        const value = values.get(ids[Math.floor(rnd() * ids.length)])!;
        const at = Math.floor(rnd() * value.length);
        text = value.slice(at, at + 3 + Math.floor(rnd() * 6));
        if (rnd() < 0.3) text = text.toUpperCase();
      } else text = Array.from({ length: 4 + Math.floor(rnd() * 6) }, () => pick(ALPHABET)).join("");
      const ranges = blocks.narrow(text);
      if (ranges === undefined) continue;
      assert.ok(ranges.length <= MAX_RANGES);
      if (ranges.length === 0) narrowedToNothing++;
      const folded = sqlFold(text);
      for (const [id, value] of values) {
        if (!value.includes(folded)) continue;
        assert.ok(
          ranges.some(([first, last]) => first <= id && id <= last),
          `seed ${seed}: contact ${id} ('${value}') contains '${folded}' (asked '${text}') but is outside ${JSON.stringify(ranges)}`,
        );
      }
    }
    assert.ok(narrowedToNothing > 200, `only ${narrowedToNothing} texts were narrowed to no contact`);
  }
});

test("narrow() cannot say for a text without three ASCII characters in a row, nor before anything was added", () => {
  const blocks = new TrigramBlocks(1 << 20);
  assert.equal(blocks.narrow("ab"), undefined);
  assert.equal(blocks.narrow("ñañ"), undefined);
  assert.equal(blocks.narrow("ab\u0301c"), undefined, "a character outside ASCII splits the run");
  assert.deepEqual(blocks.narrow("abc"), [], "nothing added: no contact contains it");
  blocks.add(130, "xabcx");
  assert.deepEqual(blocks.narrow("ABC"), [[128, 191]]);
  assert.deepEqual(blocks.narrow("a\u00f1abc"), [[128, 191]], "only the run 'abc' is looked up");
});

test("adjacent blocks are one range, and too many ranges are none", () => {
  const blocks = new TrigramBlocks(1 << 20);
  for (let id = 0; id < 256; id++) blocks.add(id, "same");
  assert.deepEqual(blocks.narrow("same"), [[0, 255]]);
  for (let i = 0; i <= MAX_RANGES; i++) blocks.add(1000 + i * 128, "apart");
  assert.equal(blocks.narrow("apart"), undefined, "more ranges than a scan is worth");
});

test("covers(): every id of the inner ranges in the outer ones", () => {
  assert.equal(covers([[0, 127], [512, 639]], [[0, 127]]), true);
  assert.equal(covers([[0, 127], [512, 639]], []), true);
  assert.equal(covers([[0, 127]], [[0, 255]]), false, "a range that reaches further");
  assert.equal(covers([[0, 127]], [[0, 127], [256, 383]]), false, "a new range");
  assert.equal(covers([[0, 127]], undefined), false, "the filters can no longer say");
});
