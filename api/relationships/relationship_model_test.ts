import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Database } from "../../etl/db/mod.ts";
import { publishSnapshot, SMALL_GRAPH, tempDir } from "../../scripts/testing/api_server.ts";
import { loadRelationshipModel, pairPage, pairsOf, relatedOf, shortestPath } from "./relationship_model.ts";

/** The SMALL_GRAPH snapshot's model, read from a real published file. */
async function smallModel(t: { after: (fn: () => unknown) => void }) {
  const { dir, cleanup } = tempDir("rel-model-");
  t.after(cleanup);
  await publishSnapshot(dir, SMALL_GRAPH);
  const db = await Database.open(join(dir, "relationships.duckdb"), { readOnly: true });
  t.after(() => db.close());
  return loadRelationshipModel(db, "t");
}

test("the model holds its pairs as columns, 10 bytes a pair and 4 per adjacency entry, not objects per pair", async (t) => {
  const model = await smallModel(t);
  const pairs = SMALL_GRAPH.pairs.length;
  const { a, b, aToB, bToA } = model.pairs;
  // 1.25 M pairs (5,000 actors) were three objects each, 400 MB of heap for as long as a snapshot was served.
  assert.equal(model.pairs.length, pairs);
  assert.equal(a.byteLength + b.byteLength + aToB.byteLength + bToA.byteLength, 10 * pairs);
  const entries = [...model.adjacency.values()];
  assert.ok(entries.every((list) => list instanceof Int32Array));
  assert.equal(entries.reduce((sum, list) => sum + list.byteLength, 0), 4 * 2 * pairs, "each pair once in each end's list");
});

test("an actor's pairs are made for each answer and not kept: looking at every actor does not grow the model", async (t) => {
  const model = await smallModel(t);
  const first = pairsOf(model, 3);
  assert.deepEqual(
    first.map((p) => [p.person_a_id, p.person_b_id, p.a_to_b, p.b_to_a]),
    [
      [2, 3, true, false],
      [3, 4, true, null],
    ],
  );
  // Kept per actor, they grew to twice the pairs as people looked at actors.
  assert.notEqual(pairsOf(model, 3), first, "a new array each time: nothing kept with the model");
  assert.deepEqual(pairsOf(model, 3), first);
  assert.equal("pairsByActor" in model, false);
});

test("relatedOf(), pairPage() and shortestPath() read the columns as the object model answered", async (t) => {
  const model = await smallModel(t);
  assert.deepEqual(relatedOf(model, 3), [
    { id: 2, letter_code: "B", name: "Bruno Díaz", a_to_b: false, b_to_a: true, outgoing: false, incoming: true },
    { id: 4, letter_code: "D", name: "Diego Sol", a_to_b: true, b_to_a: null, outgoing: true, incoming: null },
  ]);
  assert.deepEqual(relatedOf(model, 5), []);
  const page = pairPage(model, undefined, 2);
  assert.deepEqual(page.items.map((p) => [p.person_a_id, p.person_b_id]), [[1, 2], [2, 3]]);
  assert.deepEqual(page.nextKey, [2, 3]);
  const rest = pairPage(model, page.nextKey, 2);
  assert.deepEqual(rest.items.map((p) => [p.person_a_id, p.person_b_name]), [[3, "Diego Sol"]]);
  assert.equal(rest.nextKey, undefined);
  assert.deepEqual(pairPage(model, [2, 3], 1).nextKey, undefined, "the last page has no next key");
  assert.deepEqual(shortestPath(model, 1, 4), [1, 2, 3, 4]);
  assert.equal(shortestPath(model, 1, 5), undefined);
});
