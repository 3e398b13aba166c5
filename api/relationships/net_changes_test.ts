import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadRelationships, type ChangeRow } from "../../etl/relationships/mod.ts";
import { NET_RANGES_KEPT } from "./history.ts";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { until } from "../../scripts/testing/until.ts";
import { cells, expectedPairs, writeVersion, type Version } from "../../scripts/testing/workbooks.ts";

type Row = ChangeRow & { version_id: number; actor_name: string | null; actor_letter: string | null };
type Net = [entity: string, change: string, numeric_id: number | null, person_a: number | null, person_b: number | null, field: string | null, old_value: string | null, new_value: string | null];

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const code = (id: number) => `C${id}`;

// Four versions: v2 drops 29 and 30, adds 31 and renames 3 with new cells; v3 puts the cells, 3's
// name and 29 back (so much of v1 -> v3 is changed and changed back), 30 back renamed, 31 gone;
// v4 new cells with the rows past 25 blank (directions unknown).
const versions: Version[] = [
  { ids: range(1, 30), cell: cells(1, { density: 0.3 }), code, name: (id) => `N${id}` },
  { ids: [...range(1, 28), 31], cell: cells(2, { density: 0.3 }), code, name: (id) => (id === 3 ? "Tres" : `N${id}`) },
  { ids: range(1, 30), cell: cells(1, { density: 0.3 }), code, name: (id) => (id === 30 ? "Treinta" : `N${id}`) },
  { ids: range(1, 30), cell: cells(3, { density: 0.3, filled: 25 }), code, name: (id) => (id === 30 ? "Treinta" : `N${id}`) },
];

/** The net change from version `a` to version `b` (1-based) as the two workbooks say it, in the answer's order. */
function expectedNet(a: Version, b: Version): Net[] {
  const out: Net[] = [];
  for (const id of [...new Set([...a.ids, ...b.ids])].sort((x, y) => x - y)) {
    const before = a.ids.includes(id) ? a.name(id) : null;
    const after = b.ids.includes(id) ? b.name(id) : null;
    if (before === null) out.push(["actor", "added", id, null, null, "actor_name", null, after]);
    else if (after === null) out.push(["actor", "removed", id, null, null, "actor_name", before, null]);
    else if (before !== after) out.push(["actor", "changed", id, null, null, "actor_name", before, after]);
  }
  const text = (v: boolean | null) => (v === null ? null : String(v));
  const both = (p: [boolean | null, boolean | null]) => p.map((v) => text(v) ?? "?").join("/");
  const pairsOf = (v: Version) => new Map(expectedPairs(v).map(([x, y, ab, ba]) => [`${x}-${y}`, [ab, ba] as [boolean | null, boolean | null]]));
  const [pa, pb] = [pairsOf(a), pairsOf(b)];
  const keys = [...new Set([...pa.keys(), ...pb.keys()])].map((k) => k.split("-").map(Number)).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  for (const [x, y] of keys) {
    const before = pa.get(`${x}-${y}`);
    const after = pb.get(`${x}-${y}`);
    if (before === undefined) out.push(["pair", "added", null, x, y, null, null, both(after!)]);
    else if (after === undefined) out.push(["pair", "removed", null, x, y, null, both(before), null]);
    else {
      ["a_to_b", "b_to_a"].forEach((field, i) => {
        if (before[i] !== after[i]) out.push(["pair", "changed", null, x, y, field, text(before[i]), text(after[i])]);
      });
    }
  }
  return out;
}

const net = (r: Row): Net => [r.entity, r.change, r.numeric_id, r.person_a, r.person_b, r.field, r.old_value, r.new_value];

test("GET /changes?from=N&to=M is the net change between two versions: what the two workbooks differ by, pages and CSV alike", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const workbook = join(dir, "in.xlsx");
    const server = await testServer(dir);
    try {
      // Before the first load the history holds no version: from and to name none (404), and their 400s come first.
      const none = await raw(server.url, { path: "/changes?from=1&to=2" });
      assert.equal(none.status, 404, none.text);
      assert.match(none.json().detail, /^from=1 names a version the relationship history does not hold: no version has been published yet/);
      assert.equal((await raw(server.url, { path: "/changes?from=2&to=1" })).status, 400);
      await server.close();
      for (const v of versions) {
        await writeVersion(workbook, v);
        assert.equal((await loadRelationships({ workbook, dataDir: dir, parquetDir: null })).run.status, "succeeded");
      }
    } finally {
      await server.close();
    }
    const api = await testServer(dir);
    try {
      const get = async (query: string) => {
        const res = await raw(api.url, { path: `/changes?${query}` });
        assert.equal(res.status, 200, `${query}: ${res.text}`);
        return res.json() as { items: Row[]; next_cursor: string | null };
      };
      for (let from = 1; from <= versions.length; from++) {
        for (let to = from; to <= versions.length; to++) {
          const { items, next_cursor } = await get(`from=${from}&to=${to}&limit=1000`);
          assert.equal(next_cursor, null);
          assert.deepEqual(items.map(net), expectedNet(versions[from - 1], versions[to - 1]), `from=${from}&to=${to}`);
          for (const r of items) assert.ok(r.version_id > from && r.version_id <= to, `from=${from}&to=${to}: version ${r.version_id}`);
          if (to === from + 1) {
            // One step is that version's own changes, as ?version= lists them (in another order).
            const own = (await get(`version=${to}&limit=1000`)).items.map(net);
            const key = (n: Net) => JSON.stringify(n);
            assert.deepEqual(items.map(net).map(key).sort(), own.map(key).sort(), `version=${to}`);
          }
        }
      }
      // Pairs changed in v2 and changed back in v3: rows of 1 -> 2, none of 1 -> 3.
      const one = (v: Version) => new Map(expectedPairs(v).map(([x, y, ab, ba]) => [`${x}-${y}`, `${ab}/${ba}`]));
      const [p1, p2, p3] = versions.slice(0, 3).map(one);
      const back = [...new Set([...p1.keys(), ...p2.keys()])].filter((k) => p1.get(k) !== p2.get(k) && p1.get(k) === p3.get(k));
      assert.ok(back.length > 10, `pairs changed and changed back: ${back.length}`);
      const pairKey = (r: Row) => `${r.person_a}-${r.person_b}`;
      const net13 = (await get("from=1&to=3&kind=pair&limit=1000")).items;
      assert.equal(net13.filter((r) => back.includes(pairKey(r))).length, 0);
      assert.ok((await get("from=1&to=2&kind=pair&limit=1000")).items.filter((r) => back.includes(pairKey(r))).length >= back.length);
      // Actors: 3 renamed and renamed back is nothing; 29 removed and back is nothing; 30 back renamed is a rename; 31 came and went.
      assert.deepEqual((await get("from=1&to=3&kind=actor")).items.map(net), [["actor", "changed", 30, null, null, "actor_name", "N30", "Treinta"]]);
      const added = (await get("from=1&to=2&kind=actor-added")).items;
      assert.deepEqual(added.map((r) => [r.numeric_id, r.actor_name, r.actor_letter]), [[31, "N31", "C31"]], "an actor the served version no longer has is named as the last version that had it did");
      // Filters apply to the net rows: an actor's, a kind's.
      const expected24 = expectedNet(versions[1], versions[3]);
      assert.deepEqual((await get("from=2&to=4&actor=C5&limit=1000")).items.map(net), expected24.filter((n) => n[2] === 5 || n[3] === 5 || n[4] === 5));
      assert.deepEqual((await get("from=2&to=4&kind=pair-changed&limit=1000")).items.map(net), expected24.filter((n) => n[0] === "pair" && n[1] === "changed"));
      // Left out: from the oldest version held, to the newest (the one served).
      const whole = (await get("from=1&to=4&limit=1000")).items;
      assert.deepEqual((await get("from=1&limit=1000")).items, whole);
      assert.deepEqual((await get("to=4&limit=1000")).items, whole);
      // Pages of 7 follow the cursor to the same rows; the CSV has every one.
      const paged: Row[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: Row[]; next_cursor: string | null } = await get(`from=1&to=4&limit=7${cursor === null ? "" : `&cursor=${cursor}`}`);
        assert.ok(page.items.length <= 7);
        paged.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor !== null);
      assert.deepEqual(paged, whole);
      const csv = await raw(api.url, { path: "/changes?from=1&to=4&format=csv" });
      assert.equal(csv.status, 200);
      assert.equal(csv.text.trimEnd().split("\n").length, whole.length + 1, "a header and every row");
      assert.equal((await get("from=2&to=2")).items.length, 0, "a version against itself: nothing changed");
      // The snapshot keeps the net change of a few ranges: a range paged while more others than it
      // keeps are asked for (so it is dropped and netted again) still pages to the same rows.
      const ranges = [...range(1, versions.length)].flatMap((from) => range(from, versions.length).map((to) => [from, to]));
      assert.ok(ranges.length > NET_RANGES_KEPT + 1);
      const interleaved: Row[] = [];
      cursor = null;
      let turn = 0;
      do {
        const page: { items: Row[]; next_cursor: string | null } = await get(`from=1&to=4&limit=5${cursor === null ? "" : `&cursor=${cursor}`}`);
        interleaved.push(...page.items);
        cursor = page.next_cursor;
        for (const [from, to] of [ranges[turn++ % ranges.length], ranges[turn++ % ranges.length]]) {
          assert.deepEqual((await get(`from=${from}&to=${to}&limit=1000`)).items.map(net), expectedNet(versions[from - 1], versions[to - 1]), `from=${from}&to=${to}`);
        }
      } while (cursor !== null);
      assert.deepEqual(interleaved, whole);
      // Refusals name the parameter.
      const firstPage = await get("from=1&to=4&limit=7");
      const problems: [string, number, RegExp][] = [
        ["from=9&to=4", 400, /^from=9 is after to=4/],
        ["from=9&to=10", 404, /^from=9 names a version the relationship history does not hold: it carries versions 1 to 4/],
        ["from=1&to=9", 404, /^to=9 names a version/],
        ["to=9", 404, /^to=9 names a version/],
        ["from=9", 404, /^from=9 names a version/],
        ["from=3&to=2", 400, /^from=3 is after to=2/],
        ["from=0&to=2", 400, /^from must be a version number, 1 or more; got '0'/],
        ["from=1&to=x", 400, /^to must be a version number/],
        ["from=1&to=2&version=2", 400, /^version .*cannot be combined with from\/to/],
        ["from=1&since=2026-01-01", 400, /^since .*cannot be combined with from\/to/],
        [`from=1&to=3&cursor=${firstPage.next_cursor}`, 400, /cursor/],
        [`version=2&cursor=${firstPage.next_cursor}`, 400, /cursor/],
      ];
      for (const [query, status, detail] of problems) {
        const res = await raw(api.url, { path: `/changes?${query}` });
        assert.equal(res.status, status, `${query}: ${res.text}`);
        assert.match(res.json().detail, detail, query);
        assert.equal(res.json().type, `/docs#problem-${status === 404 ? "not-found" : query.includes("cursor") ? "bad-cursor" : "bad-parameter"}`, query);
      }
      // A version published between two pages: the next snapshot nets the ranges again from its own
      // history, so the cursor goes on to the same rows, and a `to` left out is the new version.
      const before = await get("from=1&to=4&limit=7");
      const v5: Version = { ids: [...range(1, 28), 32], cell: cells(4, { density: 0.3 }), code, name: (id) => `N${id}` };
      await writeVersion(workbook, v5);
      assert.equal((await loadRelationships({ workbook, dataDir: dir, parquetDir: null })).run.status, "succeeded");
      await until("version 5 served", async () => (await raw(api.url, { path: "/versions" })).json().items?.[0]?.version_id === 5);
      const rest: Row[] = [];
      cursor = before.next_cursor;
      while (cursor !== null) {
        const page: { items: Row[]; next_cursor: string | null } = await get(`from=1&to=4&limit=50&cursor=${cursor}`);
        rest.push(...page.items);
        cursor = page.next_cursor;
      }
      assert.deepEqual([...before.items, ...rest], whole);
      assert.deepEqual((await get("from=1&limit=1000")).items.map(net), expectedNet(versions[0], v5));
      assert.deepEqual((await get("from=4&limit=1000")).items.map(net), expectedNet(versions[3], v5));
    } finally {
      await api.close();
    }
  } finally {
    cleanup();
  }
});
