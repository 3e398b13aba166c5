import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { appendRun, type RunRecord } from "../../etl/runs/mod.ts";
import { publishSnapshot, raw, SMALL_GRAPH, tempDir, testServer, type SnapshotSpec } from "../../scripts/testing/api_server.ts";

test("relationship endpoints answer 503 before the first published version", async () => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    for (const path of ["/actors", "/actors/1", "/relationships", "/matrix", "/findings"]) {
      const res = await raw(server.url, { path });
      assert.equal(res.status, 503, path);
      assert.match(String(res.headers["content-type"]), /problem\+json/);
    }
    assert.equal((await raw(server.url, { path: "/readyz" })).status, 200);
  } finally {
    await server.close();
    cleanup();
  }
});

test("relationship endpoints on a published snapshot", async (t) => {
  const { dir, cleanup } = tempDir();
  await publishSnapshot(dir, SMALL_GRAPH);
  const run: RunRecord = {
    id: "run-1",
    kind: "relationships",
    status: "succeeded",
    started_at: "2026-01-01T00:00:00Z",
    finished_at: "2026-01-01T00:00:01Z",
    file: null,
    counts: { actors: 5, pairs: 3 },
    findings: [],
    changes: { actors_added: 5 },
    error: null,
    version_id: 1,
  };
  appendRun(dir, run);
  appendRun(dir, { ...run, id: "run-c", kind: "contacts", version_id: null });
  const server = await testServer(dir);
  const get = async (path: string, headers?: Record<string, string>) => raw(server.url, { path, headers });
  try {
    await t.test("GET /actors sorts by degree and searches name and code ignoring accents", async () => {
      const body = (await get("/actors")).json();
      assert.deepEqual(body.items.map((a: { id: number }) => a.id), [2, 3, 1, 4, 5]);
      assert.deepEqual(Object.keys(body.items[0]).sort(), ["degree", "id", "in_list", "in_matrix", "letter_code", "name", "unknown_cells"]);
      assert.deepEqual((await get("/actors?q=pena")).json().items.map((a: { name: string }) => a.name), ["Ana Peña"]);
      assert.deepEqual((await get("/actors?q=LUNA&sort=name")).json().items.map((a: { id: number }) => a.id), [5]);
      assert.deepEqual((await get("/actors?sort=name")).json().items.map((a: { id: number }) => a.id), [1, 2, 3, 4, 5]);
      assert.equal((await get("/actors?sort=height")).status, 400);
    });
    await t.test("GET /actors pages with a cursor", async () => {
      const first = await get("/actors?limit=2&sort=id");
      assert.match(String(first.headers.link), /rel="next"/);
      const next = (await get(`/actors?limit=2&sort=id&cursor=${first.json().next_cursor}`)).json();
      assert.deepEqual(next.items.map((a: { id: number }) => a.id), [3, 4]);
    });
    await t.test("GET /actors/{id} with degree; 404 for an unknown id; ETag revalidation", async () => {
      const res = await get("/actors/2");
      assert.equal(res.json().degree, 2);
      assert.equal((await get("/actors/99")).status, 404);
      assert.equal((await get("/actors/2", { "if-none-match": res.headers.etag as string })).status, 304);
    });
    await t.test("GET /actors/{id}/relationships gives directions relative to the actor", async () => {
      const items = (await get("/actors/3/relationships")).json().items;
      assert.deepEqual(items, [
        { id: 2, letter_code: "B", name: "Bruno Díaz", a_to_b: false, b_to_a: true, outgoing: false, incoming: true },
        { id: 4, letter_code: "D", name: "Diego Sol", a_to_b: true, b_to_a: null, outgoing: true, incoming: null },
      ]);
      assert.deepEqual((await get("/actors/5/relationships")).json().items, []);
    });
    await t.test("GET /relationships lists pairs with names, filterable by actor", async () => {
      const all = (await get("/relationships")).json();
      assert.equal(all.items.length, 3);
      assert.deepEqual(all.items[0], { person_a_id: 1, person_a_letter: "A", person_a_name: "Ana Peña", person_b_id: 2, person_b_letter: "B", person_b_name: "Bruno Díaz", a_to_b: true, b_to_a: true });
      assert.deepEqual((await get("/relationships?actor=3")).json().items.map((p: { person_a_id: number }) => p.person_a_id), [2, 3]);
      const page = (await get("/relationships?limit=2")).json();
      const rest = (await get(`/relationships?limit=2&cursor=${page.next_cursor}`)).json();
      assert.deepEqual(rest.items.map((p: { person_b_id: number }) => p.person_b_id), [4]);
      assert.equal(rest.next_cursor, null);
      assert.equal((await get("/relationships?actor=x")).status, 400);
      const csv = await get("/relationships", { accept: "text/csv" });
      assert.match(csv.text, /^person_a_id,person_a_letter/);
    });
    await t.test("GET /relationships/path finds a shortest chain or 404", async () => {
      const body = (await get("/relationships/path?from=1&to=4")).json();
      assert.deepEqual(body.path.map((a: { id: number }) => a.id), [1, 2, 3, 4]);
      assert.equal((await get("/relationships/path?from=1&to=5")).status, 404);
      assert.equal((await get("/relationships/path?from=1&to=77")).status, 404);
      assert.equal((await get("/relationships/path?from=1")).status, 400);
    });
    await t.test("GET /matrix, /findings", async () => {
      const m = (await get("/matrix?offset=1&limit=2")).json();
      assert.equal(m.total, 5);
      assert.equal(m.actors.length, 5);
      assert.deepEqual(m.rows, [{ id: 2, cells: "10100" }, { id: 3, cells: "00010" }]);
      const f = (await get("/findings")).json();
      assert.equal(f.items[0].check, "asymmetric_pair");
      assert.deepEqual(f.items[0].cells, ["'Matriz de adyacencia'!E4", "'Matriz de adyacencia'!D5"], "2 marks 3; 3 does not mark 2");
    });
    await t.test("GET /runs and /runs/{id} with change details", async () => {
      const runs = (await get("/runs?kind=relationships&limit=5")).json();
      assert.deepEqual(runs.items.map((r: { id: string }) => r.id), ["run-1"]);
      assert.equal((await get("/runs")).json().items[0].id, "run-c", "newest first");
      const one = (await get("/runs/run-1")).json();
      assert.equal(one.counts.actors, 5);
      assert.equal(one.change_details.length, 1);
      assert.equal(one.change_details[0].numeric_id, 1);
      assert.equal((await get("/runs/nope")).status, 404);
    });
    await t.test("GET /runs and /findings answer CSV too (Accept: text/csv), with Vary: Accept", async () => {
      const runs = await get("/runs?kind=relationships", { accept: "text/csv" });
      assert.equal(runs.status, 200);
      assert.match(String(runs.headers["content-type"]), /^text\/csv/);
      assert.match(String(runs.headers.vary), /Accept/);
      assert.deepEqual(runs.text.trim().split("\r\n"), [
        "id,kind,status,started_at,finished_at,file,version_id,counts,changes,findings,error",
        "run-1,relationships,succeeded,2026-01-01T00:00:00Z,2026-01-01T00:00:01Z,,1,actors=5; pairs=3,actors_added=5,0,",
      ]);
      assert.match(String((await get("/runs")).headers.vary), /Accept/);
      const findings = await get("/findings?format=csv");
      assert.match(String(findings.headers["content-type"]), /^text\/csv/);
      assert.deepEqual(findings.text.trim().split("\r\n"), [
        "check,severity,message,cells,count",
        "asymmetric_pair,warning,1 pair is marked in one direction and 0 in the other,'Matriz de adyacencia'!E4; 'Matriz de adyacencia'!D5,1",
      ]);
      assert.match(String((await get("/findings")).headers.vary), /Accept/);
    });
    await t.test("GET /readyz reports the version and last runs", async () => {
      const body = (await get("/readyz")).json();
      assert.equal(body.relationships.version_id, 1);
      assert.equal(body.last_runs.relationships.id, "run-1");
    });
  } finally {
    await server.close();
    cleanup();
  }
});

test("a newly published snapshot is served within 2 s with no failed request during the switch", async () => {
  const { dir, cleanup } = tempDir();
  const spec = (version: number): SnapshotSpec => ({
    versionId: version,
    actors: Array.from({ length: 30 }, (_, i) => [i + 1, `L${i}`, `Actor ${i} v${version}`] as [number, string, string]),
    pairs: Array.from({ length: 29 }, (_, i) => [i + 1, i + 2, true, version % 2 === 0] as [number, number, boolean, boolean]),
  });
  await publishSnapshot(dir, spec(1));
  const server = await testServer(dir);
  let stop = false;
  const failures: string[] = [];
  let served = 0;
  const worker = async (path: string) => {
    while (!stop) {
      try {
        const res = await raw(server.url, { path });
        if (res.status !== 200) failures.push(`${path} ${res.status} ${res.text.slice(0, 100)}`);
        served++;
      } catch (error) {
        failures.push(`${path} ${(error as Error).message}`);
      }
      // The test publishes from this same process; leave it some event-loop turns.
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  try {
    const workers = [...Array(4)].map(() => worker("/actors/5/relationships")).concat([worker("/matrix?limit=10"), worker("/runs"), worker("/actors?limit=5")]);
    for (let version = 2; version <= 4; version++) {
      await publishSnapshot(dir, spec(version));
      const published = Date.now();
      for (;;) {
        const name = (await raw(server.url, { path: "/actors/1" })).json().name;
        if (name === `Actor 0 v${version}`) break;
        assert.ok(Date.now() - published < 2000, `version ${version} not served within 2 s`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    stop = true;
    await Promise.all(workers);
    assert.deepEqual(failures, []);
    assert.ok(served > 50, `only ${served} requests ran during the switches`);
  } finally {
    stop = true;
    await server.close();
    cleanup();
  }
});

// The users' files sit beside the repo (../shared/seed-data), wherever it is checked out.
const SEED = fileURLToPath(new URL("../../../shared/seed-data/relaciones.xlsx", import.meta.url));

test("relationship endpoints on the users' workbook, loaded by the real pipeline", async (t) => {
  if (!existsSync(SEED)) {
    t.skip(`${SEED} is not present`);
    return;
  }
  const { dir, cleanup } = tempDir();
  try {
    const etl = fileURLToPath(new URL("../../etl/main.ts", import.meta.url));
    const result = spawnSync(process.execPath, [...process.execArgv, etl, "--json", "--data-dir", dir, "--workbook", SEED, "--only", "relationships"], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    const server = await testServer(dir);
    try {
      const actors = (await raw(server.url, { path: "/actors?limit=1000" })).json().items;
      assert.equal(actors.length, 50);
      const top = actors[0];
      assert.ok(top.degree >= actors[actors.length - 1].degree);
      const rel = (await raw(server.url, { path: `/actors/${top.id}/relationships` })).json().items;
      assert.equal(rel.length, top.degree);
      for (const r of rel) assert.ok(r.outgoing === true || r.incoming === true);
      const pairs = (await raw(server.url, { path: "/relationships?limit=1000" })).json().items;
      assert.equal(pairs.length, 108);
      const far = actors[actors.length - 1];
      const path = await raw(server.url, { path: `/relationships/path?from=${top.id}&to=${far.id}` });
      assert.ok(path.status === 200 || path.status === 404);
      const matrix = (await raw(server.url, { path: "/matrix?limit=5" })).json();
      assert.equal(matrix.total, 50);
      assert.equal(matrix.rows[0].cells.length, matrix.actors.length);
      const runs = (await raw(server.url, { path: "/runs?kind=relationships" })).json().items;
      assert.equal(runs[0].status, "succeeded");
      const detail = (await raw(server.url, { path: `/runs/${runs[0].id}` })).json();
      assert.ok(Array.isArray(detail.change_details));
      assert.ok((await raw(server.url, { path: "/findings" })).json().items.length > 0);
    } finally {
      await server.close();
    }
  } finally {
    cleanup();
  }
});
