import { test } from "node:test";
import assert from "node:assert/strict";
import { actorKind, graphEdges, nearestInDirection, networkSvg, relationshipListHtml, topByDegree } from "./network_view.js";
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
});
