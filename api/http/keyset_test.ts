import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeCursor, encodeCursor, integerKey, pageAfter, pageQuery, parseLimit, textKey, type Key } from "./keyset.ts";
import { HttpError } from "./http_error.ts";

test("pageAfter() walks a sorted array in keyset pages, with filters and both directions", () => {
  const items = [5, 1, 4, 2, 3, 6].map((id) => ({ id, group: id % 2 === 0 ? "even" : "odd" }));
  const keyOf = (x: { id: number; group: string }): Key => [x.group, x.id];
  for (const direction of [1, -1] as const) {
    const sorted = [...items].sort((a, b) => direction * (a.group < b.group ? -1 : a.group > b.group ? 1 : a.id - b.id));
    const seen: number[] = [];
    let after: Key | undefined;
    for (;;) {
      const page = pageAfter(sorted, keyOf, direction, after, (x) => x.id !== 3, 2);
      seen.push(...page.items.map((x) => x.id));
      if (page.nextKey === undefined) break;
      after = decodeCursor("group", encodeCursor("group", page.nextKey));
    }
    assert.deepEqual(seen, sorted.map((x) => x.id).filter((id) => id !== 3));
  }
});

test("decodeCursor() refuses junk and cursors of another sort", () => {
  assert.throws(() => decodeCursor("id", "junk"), (e: unknown) => e instanceof HttpError && e.status === 400);
  assert.throws(() => decodeCursor("id", encodeCursor("name", ["a", 1])), HttpError);
});

test("parseLimit() takes integers 1..max only", () => {
  assert.equal(parseLimit(null, 50, 1000), 50);
  assert.equal(parseLimit("1000", 50, 1000), 1000);
  for (const bad of ["0", "1001", "-1", "1.5", "abc", "1e3"]) assert.throws(() => parseLimit(bad, 50, 1000), HttpError, bad);
});

test("pageAfter() gives no next key when the last page is exactly full, nor when the rows after it are all filtered out", () => {
  const sorted = [1, 2, 3, 4, 5].map((id) => ({ id }));
  const keyOf = (x: { id: number }): Key => [x.id, x.id];
  const first = pageAfter(sorted, keyOf, 1, undefined, () => true, 2);
  assert.deepEqual(first.items.map((x) => x.id), [1, 2]);
  assert.deepEqual(first.nextKey, [2, 2]);
  // [3, 4] ends the list once 5 is filtered out: a next link would lead to an empty page.
  const last = pageAfter(sorted, keyOf, 1, first.nextKey, (x) => x.id !== 5, 2);
  assert.deepEqual(last.items.map((x) => x.id), [3, 4]);
  assert.equal(last.nextKey, undefined);
  const all = pageAfter(sorted, keyOf, 1, undefined, () => true, 5);
  assert.equal(all.items.length, 5);
  assert.equal(all.nextKey, undefined);
});

// Before, keyFits was optional and the in-memory lists gave none: a key of the wrong type was served a page.
test("pageQuery() refuses a cursor whose key its sort's keyFits refuses (text for a number, a number for text, a fraction)", () => {
  const query = (sort: string, key: unknown) => new URLSearchParams({ cursor: Buffer.from(JSON.stringify([sort, key, 1])).toString("base64url") });
  const refused = (e: unknown) => e instanceof HttpError && e.status === 400 && e.code === "bad-cursor";
  assert.deepEqual(pageQuery(query("degree", -3), "degree", 50, 1000, integerKey).after, [-3, 1]);
  assert.deepEqual(pageQuery(query("name", "garcia"), "name", 50, 1000, textKey).after, ["garcia", 1]);
  assert.throws(() => pageQuery(query("degree", "zzz"), "degree", 50, 1000, integerKey), refused);
  assert.throws(() => pageQuery(query("pair", 1.5), "pair", 50, 1000, integerKey), refused);
  assert.throws(() => pageQuery(query("name", 5), "name", 50, 1000, textKey), refused);
});
