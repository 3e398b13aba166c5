import { test } from "node:test";
import assert from "node:assert/strict";
import { forceLayout, fractionsOf, seededRandom } from "./force_layout.js";

/** A ring of `n` actors plus a few chords: roughly the shape of the users' 50-actor workbook. */
function sampleGraph(n: number) {
  const nodes = Array.from({ length: n }, (_, i) => ({ id: i + 1 }));
  const edges: { source: number; target: number }[] = [];
  for (let i = 1; i <= n; i++) edges.push({ source: i, target: (i % n) + 1 });
  for (let i = 1; i <= n; i += 5) edges.push({ source: i, target: ((i + n / 2) % n) + 1 });
  return { nodes, edges };
}

test("seededRandom() repeats for a seed and stays in [0, 1)", () => {
  const a = seededRandom(7);
  const b = seededRandom(7);
  const values = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(values.slice(0, 5), Array.from({ length: 5 }, () => b()));
  assert.ok(values.every((v) => v >= 0 && v < 1));
  assert.notEqual(seededRandom(8)(), seededRandom(7)());
});

test("forceLayout() is deterministic for a seed", () => {
  const graph = sampleGraph(50);
  const one = forceLayout({ ...graph, width: 800, height: 600, seed: 3 });
  const two = forceLayout({ ...graph, width: 800, height: 600, seed: 3 });
  assert.deepEqual([...one], [...two]);
  const other = forceLayout({ ...graph, width: 800, height: 600, seed: 4 });
  assert.notDeepEqual([...one], [...other]);
});

test("forceLayout() keeps 50 actors readable", async (t) => {
  const graph = sampleGraph(50);
  const width = 800;
  const height = 600;
  const pos = forceLayout({ ...graph, width, height, margin: 20 });

  await t.test("one finite position per node, inside the margins", () => {
    assert.equal(pos.size, 50);
    for (const { x, y } of pos.values()) {
      assert.ok(Number.isFinite(x) && Number.isFinite(y));
      assert.ok(x >= 20 && x <= width - 20 && y >= 20 && y <= height - 20, `${x},${y} outside`);
    }
  });

  await t.test("no two nodes overlap (a 10 px node fits between any two)", () => {
    const points = [...pos.values()];
    let min = Infinity;
    for (let i = 0; i < points.length; i++) {
      for (let j = i + 1; j < points.length; j++) {
        min = Math.min(min, Math.hypot(points[i].x - points[j].x, points[i].y - points[j].y));
      }
    }
    assert.ok(min > 10, `closest pair is ${min.toFixed(1)} px apart`);
  });

  await t.test("linked nodes sit closer than the average pair", () => {
    const points = [...pos.values()];
    let all = 0;
    let count = 0;
    for (let i = 0; i < points.length; i++) {
      for (let j = i + 1; j < points.length; j++) {
        all += Math.hypot(points[i].x - points[j].x, points[i].y - points[j].y);
        count++;
      }
    }
    const linked =
      graph.edges.reduce((sum, e) => {
        const a = pos.get(e.source)!;
        const b = pos.get(e.target)!;
        return sum + Math.hypot(a.x - b.x, a.y - b.y);
      }, 0) / graph.edges.length;
    assert.ok(linked < (all / count) * 0.6, `linked ${linked.toFixed(1)} vs average ${(all / count).toFixed(1)}`);
  });

  await t.test("uses the box: not collapsed into the middle", () => {
    const xs = [...pos.values()].map((p) => p.x);
    const ys = [...pos.values()].map((p) => p.y);
    assert.ok(Math.max(...xs) - Math.min(...xs) > width * 0.5);
    assert.ok(Math.max(...ys) - Math.min(...ys) > height * 0.5);
  });
});

test("forceLayout() handles edge cases", async (t) => {
  await t.test("no nodes", () => {
    assert.equal(forceLayout({ nodes: [], edges: [], width: 100, height: 100 }).size, 0);
  });
  await t.test("one node lands in the centre", () => {
    assert.deepEqual(forceLayout({ nodes: [{ id: 9 }], edges: [], width: 100, height: 80 }).get(9), { x: 50, y: 40 });
  });
  await t.test("actors without pairs go on a shelf along the bottom", () => {
    const graph = sampleGraph(20);
    graph.nodes.push({ id: 100 }, { id: 101 }, { id: 102 });
    const pos = forceLayout({ ...graph, width: 600, height: 400, margin: 20 });
    const shelf = [100, 101, 102].map((id) => pos.get(id)!);
    const linkedLowest = Math.max(...graph.nodes.filter((n) => n.id < 100).map((n) => pos.get(n.id)!.y));
    for (const p of shelf) assert.ok(p.y > linkedLowest, `shelf node at y=${p.y} is above a linked one at ${linkedLowest}`);
    assert.equal(new Set(shelf.map((p) => p.x)).size, 3);
  });
  await t.test("many isolated nodes stay in the simulation, spread out", () => {
    const nodes = Array.from({ length: 60 }, (_, i) => ({ id: i }));
    const edges = [{ source: 0, target: 1 }, { source: 1, target: 2 }];
    const pos = forceLayout({ nodes, edges, width: 800, height: 600, margin: 20 });
    const ys = [...pos.values()].map((p) => p.y);
    assert.ok(Math.max(...ys) - Math.min(...ys) > 300, "not all on one shelf row");
    const points = [...pos.values()];
    let min = Infinity;
    for (let i = 0; i < points.length; i++) {
      for (let j = i + 1; j < points.length; j++) min = Math.min(min, Math.hypot(points[i].x - points[j].x, points[i].y - points[j].y));
    }
    assert.ok(min > 10, `closest pair is ${min.toFixed(1)} px apart`);
  });
  await t.test("isolated nodes, self loops, duplicate and dangling edges", () => {
    const pos = forceLayout({
      nodes: [{ id: 1 }, { id: 2 }, { id: 3 }],
      edges: [{ source: 1, target: 1 }, { source: 1, target: 2 }, { source: 2, target: 1 }, { source: 2, target: 99 }],
      width: 200,
      height: 200,
      iterations: 50,
    });
    assert.equal(pos.size, 3);
    for (const p of pos.values()) assert.ok(Number.isFinite(p.x) && Number.isFinite(p.y));
  });
});

test("forceLayout() does not depend on the order nodes and edges are listed in", () => {
  const graph = sampleGraph(30);
  const one = forceLayout({ ...graph, width: 600, height: 400 });
  const two = forceLayout({ nodes: [...graph.nodes].reverse(), edges: [...graph.edges].reverse(), width: 600, height: 400 });
  assert.deepEqual([...one].sort((a, b) => a[0] - b[0]), [...two].sort((a, b) => a[0] - b[0]));
});

test("forceLayout() from earlier positions moves actors little when a few pairs change", () => {
  const graph = sampleGraph(40);
  const width = 800;
  const height = 500;
  const yesterday = forceLayout({ ...graph, width, height });
  const initial = fractionsOf(yesterday, width, height);
  // Today: two pairs more, one node more.
  const today = {
    nodes: [...graph.nodes, { id: 41 }],
    edges: [...graph.edges, { source: 3, target: 17 }, { source: 8, target: 30 }, { source: 41, target: 5 }],
  };
  const settled = forceLayout({ ...today, width, height, initial });
  const moves = graph.nodes.map(({ id }) => Math.hypot(settled.get(id)!.x - yesterday.get(id)!.x, settled.get(id)!.y - yesterday.get(id)!.y)).sort((a, b) => a - b);
  assert.ok(moves[moves.length >> 1] < 15, `median move ${moves[moves.length >> 1].toFixed(1)} px`);
  // The new actor starts beside its neighbour, not somewhere at random.
  const near = Math.hypot(settled.get(41)!.x - settled.get(5)!.x, settled.get(41)!.y - settled.get(5)!.y);
  assert.ok(near < 150, `new actor ${near.toFixed(0)} px from its only neighbour`);
  // A fresh layout of the same graph, by contrast, lands elsewhere.
  const fresh = forceLayout({ ...today, width, height, seed: 9 });
  const freshMoves = graph.nodes.map(({ id }) => Math.hypot(fresh.get(id)!.x - yesterday.get(id)!.x, fresh.get(id)!.y - yesterday.get(id)!.y)).sort((a, b) => a - b);
  assert.ok(freshMoves[freshMoves.length >> 1] > 50, "the warm start is what keeps the places");
});
