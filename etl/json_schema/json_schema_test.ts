import { test } from "node:test";
import assert from "node:assert/strict";
import { array, hasRequiredMembers, integer, mapOf, nullable, object, oneOf, optional, string } from "./mod.ts";

test("hasRequiredMembers checks each required member's JSON type and enum, not what it holds nor optional members", () => {
  const record = object({
    id: string(),
    kind: oneOf(["a", "b"]),
    file: nullable(object({ name: string() })),
    counts: mapOf(integer()),
    items: array(integer()),
    n: integer(),
    note: optional(integer()),
  });
  const good = { id: "x", kind: "a", file: null, counts: {}, items: [], n: 3 };
  assert.equal(hasRequiredMembers(record, good), true);
  assert.equal(hasRequiredMembers(record, { ...good, file: { other: 1 }, items: ["not checked"], note: "not checked" }), true);
  for (const bad of [{ ...good, id: 7 }, { ...good, kind: "c" }, { ...good, file: [] }, { ...good, counts: null }, { ...good, items: {} }, { ...good, n: 1.5 }]) {
    assert.equal(hasRequiredMembers(record, bad), false, JSON.stringify(bad));
  }
  const { n: _, ...without } = good;
  assert.equal(hasRequiredMembers(record, without), false, "a required member missing");
  for (const notObject of [null, [], "x", 7]) assert.equal(hasRequiredMembers(record, notObject), false);
});
