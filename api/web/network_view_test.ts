import { test } from "node:test";
import assert from "node:assert/strict";
import { actorKind, graphEdges, labelledActors, nearestInDirection, networkSvg, pairChanges, previousEdges, readPlaces, relationshipListHtml, storedPlaces, topByDegree } from "./network_view.js";
import type { Actor, Relationship } from "./api_client.js";

function actor(id: number, degree: number, extra: Partial<Actor> = {}): Actor {
  return { id, letter_code: `C${id}`, name: `Actor ${id}`, degree, in_matrix: true, in_list: true, unknown_cells: 0, ...extra };
}

function pair(a: number, b: number, ab: boolean | null, ba: boolean | null): Relationship {
  return { person_a_id: a, person_a_letter: null, person_a_name: null, person_b_id: b, person_b_letter: null, person_b_name: null, a_to_b: ab, b_to_a: ba };
}

test("network_view: kinds, top-N, edges and SVG", async (t) => {
  await t.test("actorKind()", () => {
    assert.equal(actorKind(actor(1, 0, { unknown_cells: 49 }), 50), "unknown-only");
    assert.equal(actorKind(actor(1, 3, { unknown_cells: 49 }), 50), "unknown-only");
    assert.equal(actorKind(actor(1, 3, { unknown_cells: 10 }), 50), "normal");
    assert.equal(actorKind(actor(1, 0, { in_matrix: false }), 50), "list-only");
  });
  await t.test("topByDegree() keeps the busiest plus requested actors", () => {
    const actors = [actor(1, 1), actor(2, 9), actor(3, 5), actor(4, 5), actor(5, 0)];
    assert.deepEqual(topByDegree(actors, 3).map((a) => a.id), [2, 3, 4]);
    assert.deepEqual(topByDegree(actors, 2, new Set([5])).map((a) => a.id), [2, 3, 5]);
  });
  await t.test("graphEdges() classifies directions and blank other sides", () => {
    const edges = graphEdges([pair(1, 2, true, true), pair(1, 3, true, false), pair(2, 3, null, true), pair(3, 9, true, true), pair(1, 2, true, true)], new Set([1, 2, 3]));
    assert.deepEqual(edges, [
      { source: 1, target: 2, kind: "mutual", otherUnknown: false },
      { source: 1, target: 3, kind: "forward", otherUnknown: false },
      { source: 2, target: 3, kind: "backward", otherUnknown: true },
    ]);
  });
  await t.test("networkSvg() has one [data-actor-id] per actor, titles and distinct edge styles", () => {
    const actors = [actor(1, 2), actor(2, 1, { name: "Ana <María>" }), actor(3, 0, { unknown_cells: 2 })];
    const edges = graphEdges([pair(1, 2, true, true), pair(1, 3, true, null)], new Set([1, 2, 3]));
    const positions = new Map([[1, { x: 10, y: 10 }], [2, { x: 100, y: 10 }], [3, { x: 50, y: 80 }]]);
    const svg = networkSvg({ actors, edges, positions, width: 200, height: 100, selectedId: 1, highlight: new Set([2]) });
    assert.equal(svg.match(/data-actor-id=/g)?.length, 3);
    assert.match(svg, /<title>Ana &lt;María&gt; \(C2\)/);
    assert.match(svg, /class="edge mutual active"/);
    assert.match(svg, /class="edge one-known active"[^>]*marker-end="url\(#arrow-unknown\)"/);
    assert.match(svg, /class="node unknown-only neighbour"/);
    assert.match(svg, /class="node normal selected"/);
    assert.match(svg, /class="node normal neighbour match"/);
    // Roving tabindex: only the selected node is in the Tab order.
    assert.equal(svg.match(/tabindex="0"/g)?.length, 1);
    assert.match(svg, /data-actor-id="1" tabindex="0"/);
  });
  await t.test("nearestInDirection() follows the arrow keys", () => {
    const positions = new Map([
      [1, { x: 100, y: 100 }],
      [2, { x: 200, y: 110 }],
      [3, { x: 150, y: 300 }],
      [4, { x: 20, y: 90 }],
      [5, { x: 300, y: 100 }],
    ]);
    assert.equal(nearestInDirection(positions, 1, "ArrowRight"), 2);
    assert.equal(nearestInDirection(positions, 1, "ArrowLeft"), 4);
    assert.equal(nearestInDirection(positions, 1, "ArrowDown"), 3);
    assert.equal(nearestInDirection(positions, 1, "ArrowUp"), null);
    assert.equal(nearestInDirection(positions, 2, "ArrowRight"), 5);
    assert.equal(nearestInDirection(positions, 99, "ArrowRight"), null);
  });
  await t.test("relationshipListHtml() spells out directions", () => {
    const html = relationshipListHtml(actor(1, 2), [
      { id: 2, letter_code: "B", name: "Bea", a_to_b: true, b_to_a: true, outgoing: true, incoming: true },
      { id: 3, letter_code: "C", name: "Cris", a_to_b: true, b_to_a: null, outgoing: true, incoming: null },
    ]);
    assert.match(html, /data-goto-actor="2"/);
    assert.match(html, /both marked each other/);
    assert.match(html, /their row is blank/);
  });
  await t.test("relationshipListHtml(): the direction is in the text a screen reader reads, not in an aria-label of a span", () => {
    const html = relationshipListHtml(actor(1, 2), [
      { id: 2, letter_code: "B", name: "Bea", a_to_b: true, b_to_a: false, outgoing: true, incoming: false },
      { id: 3, letter_code: "C", name: "Cris", a_to_b: false, b_to_a: true, outgoing: false, incoming: true },
    ]);
    // ARIA has no name for a plain span (its role, generic, prohibits aria-label): screen readers
    // read its text, the bare arrow, and "→" said as "right arrow" told nothing of who marked whom.
    assert.doesNotMatch(html, /<span[^>]*aria-label/);
    const read = html.replace(/<[^>]*aria-hidden="true"[^>]*>[^<]*<\/[^>]+>/g, "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
    assert.match(read, /Bea B Actor 1 marked them; they did not mark back/);
    assert.match(read, /Cris C they marked Actor 1; Actor 1 did not mark back/);
    assert.doesNotMatch(read, /[→←↔]/);
  });
});

test("network_view: changes since the previous version, the previous edges, which actors get labels", () => {
  const change = (kind: "added" | "removed" | "changed", a: number, b: number) =>
    ({ version_id: 2, run_id: "r", loaded_at: "", entity: "pair", change: kind, numeric_id: null, person_a: a, person_b: b, field: null, old_value: null, new_value: null, actor_letter: null, actor_name: null, person_a_letter: null, person_a_name: null, person_b_letter: null, person_b_name: null }) as const;
  const changes = pairChanges([change("added", 1, 2), change("changed", 2, 3), change("removed", 1, 3), change("removed", 1, 9)]);
  assert.deepEqual([...changes], [["1-2", "added"], ["2-3", "changed"], ["1-3", "removed"], ["1-9", "removed"]]);
  const edges = graphEdges([pair(1, 2, true, true), pair(2, 3, true, false)], new Set([1, 2, 3]), changes);
  // The removed pair comes back as a ghost (both actors drawn); 1-9 does not (9 is not drawn).
  assert.deepEqual(edges.map((e) => [e.source, e.target, e.kind, e.change]), [[1, 3, "removed", "removed"], [1, 2, "mutual", "added"], [2, 3, "forward", "changed"]]);
  assert.deepEqual(previousEdges(edges).map((e) => [e.source, e.target]), [[1, 3], [2, 3]]);
  const svg = networkSvg({ actors: [actor(1, 2), actor(2, 2), actor(3, 1)], edges, positions: new Map([[1, { x: 10, y: 10 }], [2, { x: 50, y: 10 }], [3, { x: 30, y: 40 }]]), width: 100, height: 60 });
  assert.match(svg, /class="edge mutual added"/);
  assert.match(svg, /class="edge asymmetric changed"/);
  assert.match(svg, /class="edge removed"[^>]*x2/);
  assert.match(svg, /aria-label="Relationship network: 3 actors, 2 pairs"/, "ghosts are not counted as pairs");
  // 200 actors: labels for the 12 busiest, the selected one and its neighbours, and search matches.
  const many = Array.from({ length: 200 }, (_, i) => actor(i + 1, 200 - i));
  const manyEdges = [{ source: 150, target: 170, kind: "mutual" as const, otherUnknown: false }];
  const labels = labelledActors(many, manyEdges, { selected: 150, highlight: new Set([199]) });
  assert.deepEqual([...labels].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 150, 170, 199]);
  assert.equal(labelledActors(many.slice(0, 40), []).size, 40);
});

test("network_view: stored places keep the actors just drawn, whatever their ids, and read the format before", () => {
  // Before, the places were an object by id trimmed with Object.keys(...).slice(): numeric keys
  // iterate in ascending order, not as written, so 3,000 stored actors with higher ids pushed out
  // every actor just drawn, and the next visit laid them out afresh.
  const old: Record<string, [number, number]> = {};
  for (let i = 0; i < 3000; i++) old[1_000_000 + i] = [0.5, 0.5];
  const migrated = readPlaces({ key: "old", positions: old });
  assert.equal(migrated.key, "old");
  assert.equal(migrated.places.size, 3000);
  assert.deepEqual(migrated.places.get(1_000_000), [0.5, 0.5]);
  const drawn = new Map([5, 1, 3].map((id) => [id, { x: id / 10, y: 0.25 }]));
  const stored = storedPlaces("v2", migrated.places, drawn, 3000);
  assert.equal(stored.places.length, 3000);
  assert.deepEqual(stored.places.slice(-3), [[5, 0.5, 0.25], [1, 0.1, 0.25], [3, 0.3, 0.25]], "the drawn actors last, in the order drawn");
  assert.deepEqual(stored.places[0], [1_000_003, 0.5, 0.5], "the first of the old places dropped");
  // Read back as written (JSON in localStorage), order and all; an actor drawn again moves to the end.
  const again = readPlaces(JSON.parse(JSON.stringify(stored)));
  assert.deepEqual([...again.places.keys()].slice(-3), [5, 1, 3]);
  const moved = storedPlaces("v3", again.places, new Map([[5, { x: 0.9, y: 0.9 }]]), 3000);
  assert.deepEqual(moved.places.slice(-2), [[3, 0.3, 0.25], [5, 0.9, 0.9]]);
  // Anything else is nothing stored: the layout starts afresh.
  for (const garbage of [null, "x", { key: 3 }, { key: "k", places: [["a", 0, 0], [1, "x", 0]] }, { key: "k", positions: { a: [0, 0], 2: [0] } }]) {
    assert.equal(readPlaces(garbage).places.size, 0, JSON.stringify(garbage));
  }
});
