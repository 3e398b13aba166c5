import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { connect } from "node:net";
import { Database } from "../../etl/db/mod.ts";
import { appendRun, type RunRecord } from "../../etl/runs/mod.ts";
import { publishSnapshot, raw, SMALL_GRAPH, tempDir, testServer, type SnapshotSpec } from "../../scripts/testing/api_server.ts";
import { seedFile, seedSkip } from "../../scripts/testing/seed_data.ts";

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

test("a published snapshot that cannot be read: relationship endpoints say so (not 'nothing published yet'), /readyz names it, and a good file is served at once", async () => {
  const { dir, cleanup } = tempDir();
  // A corrupt file where the load publishes (a disk error, a bad copy from a backup).
  writeFileSync(join(dir, "relationships.duckdb"), Buffer.alloc(64 * 1024, 0x5a));
  const logged: string[] = [];
  const server = await testServer(dir, { logError: (message: string) => logged.push(message) });
  try {
    const res = await raw(server.url, { path: "/actors" });
    assert.equal(res.status, 503);
    assert.equal(res.json().type, "/docs#problem-snapshot-unreadable");
    assert.match(res.json().detail, /relationships\.duckdb\) cannot be read: .+; run `npm run etl` to publish a new version/);
    assert.doesNotMatch(res.json().detail, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), "no path of the server's");
    // The history too: an empty list would read as "nothing published yet".
    for (const path of ["/versions", "/changes", "/changes?format=csv"]) {
      assert.equal((await raw(server.url, { path })).json().type, "/docs#problem-snapshot-unreadable", path);
    }
    const ready = await raw(server.url, { path: "/readyz" });
    assert.equal(ready.status, 200, "contacts still serve");
    assert.equal(ready.json().relationships.open, false);
    assert.ok(ready.json().relationships.error, JSON.stringify(ready.json()));
    assert.ok(!ready.json().relationships.error.includes(dir), "no path of the server's (/readyz needs no token)");
    assert.ok(logged.some((m) => m.includes(join(dir, "relationships.duckdb")) && /no version is served/.test(m)), logged.join("\n"));
    await publishSnapshot(dir, SMALL_GRAPH);
    await until(async () => (await raw(server.url, { path: "/actors" })).status === 200);
    assert.equal((await raw(server.url, { path: "/readyz" })).json().relationships.error, undefined);
  } finally {
    await server.close();
    cleanup();
  }
});

test("a publication that cannot be opened while a version is served: /readyz names it in relationships.error, the previous version keeps serving, and a good file clears it", async () => {
  const { dir, cleanup } = tempDir();
  await publishSnapshot(dir, SMALL_GRAPH);
  const logged: string[] = [];
  const server = await testServer(dir, { logError: (message: string) => logged.push(message) });
  try {
    assert.equal((await raw(server.url, { path: "/readyz" })).json().relationships.error, undefined);
    // Garbage put in place the way a load publishes (a rename), e.g. a bad copy from a backup.
    const garbage = join(dir, "garbage.duckdb");
    writeFileSync(garbage, Buffer.alloc(64 * 1024, 0x5a));
    renameSync(garbage, join(dir, "relationships.duckdb"));
    await until(() => logged.length > 0);
    assert.match(logged[0], /still serving the previous one/);
    // Before, /readyz showed the old version and no error: nothing said the publication had failed.
    const ready = (await raw(server.url, { path: "/readyz" })).json();
    assert.equal(ready.relationships.open, true);
    assert.equal(ready.relationships.version_id, 1, "the previous version is still the one served");
    assert.ok(ready.relationships.error, JSON.stringify(ready));
    assert.ok(!ready.relationships.error.includes(dir), "no path of the server's (/readyz needs no token)");
    assert.equal((await raw(server.url, { path: "/actors/1" })).status, 200);
    await publishSnapshot(dir, { ...SMALL_GRAPH, versionId: 2 });
    await until(async () => (await raw(server.url, { path: "/readyz" })).json().relationships.version_id === 2);
    assert.equal((await raw(server.url, { path: "/readyz" })).json().relationships.error, undefined);
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
    await t.test("GET with If-Match: 412 unless it names the current ETag or is * (RFC 9110 13.1.1; review)", async () => {
      const etag = String((await get("/actors/2")).headers.etag);
      const stale = await get("/actors/2", { "if-match": '"no-such-version"' });
      assert.equal(stale.status, 412);
      assert.equal(stale.json().type, "/docs#problem-stale");
      assert.ok(!etag.startsWith("W/"), "a snapshot's ETag is strong");
      assert.equal((await get("/actors/2", { "if-match": etag })).status, 200);
      assert.equal((await get("/actors/2", { "if-match": "*" })).status, 200);
      assert.equal((await get("/actors?limit=2", { "if-match": '"no-such-version"' })).status, 412);
    });
    await t.test("CSV answers carry their own ETag and evaluate If-Match and If-None-Match (review)", async () => {
      // Before: a CSV answer sent the JSON form's ETag and ignored both headers: a stale If-Match
      // got the whole file, and a revalidation downloaded it again.
      const jsonTag = String((await get("/actors")).headers.etag);
      for (const path of ["/actors?format=csv", "/actors/3/relationships?format=csv", "/relationships?format=csv", "/findings?format=csv", "/changes?format=csv"]) {
        const first = await get(path);
        assert.equal(first.status, 200, path);
        const etag = String(first.headers.etag);
        assert.equal(etag, `${jsonTag.slice(0, -1)}-csv"`, `${path}: one strong validator per representation`);
        assert.equal(first.headers.vary, "Accept", path);
        const again = await get(path, { "if-none-match": etag });
        assert.equal(again.status, 304, path);
        assert.equal(again.text, "", path);
        assert.equal((await get(path, { "if-none-match": jsonTag })).status, 200, `${path}: the JSON form's tag is not this one`);
        const stale = await get(path, { "if-match": jsonTag });
        assert.equal(stale.status, 412, path);
        assert.equal(stale.json().type, "/docs#problem-stale", path);
        assert.equal((await get(path, { "if-match": etag })).status, 200, path);
      }
      assert.equal((await get("/actors", { accept: "text/csv", "if-none-match": `${jsonTag.slice(0, -1)}-csv"` })).status, 304, "negotiated by Accept too");
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
      assert.equal((await get("/relationships?actor=x-1")).status, 400);
      assert.deepEqual((await get("/relationships?actor=ZZ")).json().items, [], "an unknown code matches nothing");
      assert.deepEqual((await get("/relationships?actor=c")).json().items.map((p: { person_a_id: number }) => p.person_a_id), [2, 3], "a letter code, any case");
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
    await t.test("every {id} of an actor, `actor`, `from` and `to` take a letter code too, in any case", async () => {
      assert.equal((await get("/actors/C")).json().id, 3);
      assert.equal((await get("/actors/c/relationships")).json().items.length, 2);
      assert.deepEqual((await get("/relationships/path?from=a&to=D")).json().path.map((a: { id: number }) => a.id), [1, 2, 3, 4]);
      assert.equal((await get("/actors/ZZ")).status, 404);
      assert.equal((await get("/actors/A-1")).status, 404);
      assert.equal((await get("/relationships/path?from=A&to=!")).status, 400);
    });
    await t.test("GET /relationships/subgraph: the busiest actors and the pairs between them, or one actor's neighbourhood", async () => {
      const top = (await get("/relationships/subgraph?limit=2")).json();
      assert.deepEqual(top.actors.map((a: { id: number }) => a.id), [2, 3]);
      assert.deepEqual(top.pairs.map((p: { person_a_id: number; person_b_id: number }) => [p.person_a_id, p.person_b_id]), [[2, 3]]);
      assert.deepEqual([top.center, top.total_actors, top.total_pairs], [null, 5, 3]);
      const around = (await get("/relationships/subgraph?around=D&limit=3")).json();
      assert.deepEqual(around.actors.map((a: { id: number }) => a.id), [4, 3]);
      assert.deepEqual([around.center, around.center_degree], [4, 1]);
      assert.equal(around.pairs[0].b_to_a, null, "the blank side stays unknown");
      assert.equal((await get("/relationships/subgraph?limit=0")).status, 400);
    });
    await t.test("GET /matrix counts cells on the server and answers a documented binary form", async () => {
      const m = (await get("/matrix?limit=1")).json();
      // SMALL_GRAPH's 20 off-diagonal cells: 1 at 1->2, 2->1, 2->3 and 3->4; blank at 4->3; the rest 0.
      assert.deepEqual(m.counts, { one: 4, zero: 15, unknown: 1 });
      assert.equal(m.layout, null, "a snapshot without matrix_layout has no layout");
      const bin = await raw(server.url, { path: "/matrix?format=binary" });
      assert.equal(bin.headers["content-type"], "application/octet-stream");
      assert.equal(bin.bytes.subarray(0, 4).toString("latin1"), "RMX1");
      assert.deepEqual([bin.bytes.readUInt32LE(4), bin.bytes.readUInt32LE(8), bin.bytes.readUInt32LE(12)], [5, 0, 5]);
      const rows = (await get("/matrix?limit=5")).json().rows.map((r: { cells: string }) => r.cells);
      const decoded = [0, 1, 2, 3, 4].map((r) =>
        [0, 1, 2, 3, 4].map((c) => ".01?"[(bin.bytes[16 + r * 2 + (c >> 2)] >> ((c & 3) * 2)) & 3]).join(""),
      );
      assert.deepEqual(decoded, rows);
      const window = await raw(server.url, { path: "/matrix?offset=3&limit=9", headers: { accept: "application/octet-stream" } });
      assert.deepEqual([window.bytes.readUInt32LE(8), window.bytes.readUInt32LE(12), window.bytes.length], [3, 2, 16 + 2 * 2]);
      // Media types in any case; a format it does not know is a 400, not a quiet JSON answer.
      assert.equal((await raw(server.url, { path: "/matrix", headers: { accept: "Application/Octet-Stream" } })).headers["content-type"], "application/octet-stream");
      assert.equal((await get("/matrix?format=json&limit=1")).status, 200);
      const typo = await get("/matrix?format=bin");
      assert.equal(typo.status, 400);
      assert.match(typo.json().detail, /format must be binary or json; got 'bin'/);
    });
    await t.test("GET /matrix chooses binary or JSON by Accept's q-values (RFC 9110 12.4.2, 12.5.1), not by octet-stream merely appearing", async () => {
      // Before, any Accept naming application/octet-stream got binary, q=0 ("not acceptable") included.
      const typeFor = async (accept: string) => String((await raw(server.url, { path: "/matrix?limit=1", headers: { accept } })).headers["content-type"]);
      for (const accept of ["application/json, application/octet-stream;q=0", "application/json;q=1, application/octet-stream;q=0.1", "application/octet-stream;q=0.5, */*"]) {
        assert.match(await typeFor(accept), /^application\/json/, accept);
      }
      for (const accept of ["application/octet-stream", "application/json;q=0.5, application/octet-stream", "application/octet-stream ; q=0.9, application/json;q=0.8"]) {
        assert.equal(await typeFor(accept), "application/octet-stream", accept);
      }
    });
    await t.test("the binary matrix carries its own ETag (one strong validator names one representation), and Vary: Accept", async () => {
      // Before, it carried the JSON form's: If-None-Match with the JSON ETag got a 304 for the binary form.
      const jsonTag = String((await get("/matrix?limit=1")).headers.etag);
      const octet = { accept: "application/octet-stream" };
      for (const [path, headers] of [["/matrix?format=binary", {}], ["/matrix", octet]] as const) {
        const bin = await raw(server.url, { path, headers });
        const binTag = String(bin.headers.etag);
        assert.notEqual(binTag, jsonTag, path);
        assert.ok(!binTag.startsWith("W/"), "strong, as the JSON form's");
        assert.match(String(bin.headers.vary), /\bAccept\b/, path);
        assert.equal((await raw(server.url, { path, headers: { ...headers, "if-none-match": jsonTag } })).status, 200, `${path}: the JSON form's ETag`);
        const unchanged = await raw(server.url, { path, headers: { ...headers, "if-none-match": binTag } });
        assert.equal(unchanged.status, 304, path);
        assert.equal(unchanged.headers.etag, binTag);
        assert.equal((await raw(server.url, { path, headers: { ...headers, "if-match": jsonTag } })).status, 412, `${path}: If-Match with the JSON form's ETag`);
      }
      assert.equal((await get("/matrix?limit=1", { "if-none-match": String((await get("/matrix?format=binary")).headers.etag) })).status, 200, "JSON with the binary ETag");
    });
    await t.test("answers are compressed by Accept-Encoding (brotli, else gzip), with Vary", async () => {
      const path = "/openapi.json";
      const plain = await raw(server.url, { path });
      assert.equal(plain.headers["content-encoding"], undefined);
      assert.match(String(plain.headers.vary), /Accept-Encoding/);
      const br = await raw(server.url, { path, headers: { "accept-encoding": "gzip, deflate, br" } });
      assert.equal(br.headers["content-encoding"], "br");
      assert.deepEqual(brotliDecompressSync(br.bytes), plain.bytes);
      assert.ok(br.bytes.length < plain.bytes.length / 3, `${br.bytes.length} of ${plain.bytes.length} bytes`);
      const gz = await raw(server.url, { path, headers: { "accept-encoding": "gzip;q=1, br;q=0" } });
      assert.equal(gz.headers["content-encoding"], "gzip");
      assert.deepEqual(gunzipSync(gz.bytes), plain.bytes);
      // A tiny answer goes as it is: the headers would eat the gain.
      assert.equal((await raw(server.url, { path: "/healthz", headers: { "accept-encoding": "br" } })).headers["content-encoding"], undefined);
    });
    await t.test("GET /versions and /changes: the history, with names, filters and CSV", async () => {
      const versions = (await get("/versions")).json();
      assert.equal(versions.current_version_id, 1);
      assert.deepEqual(versions.items.map((v: { version_id: number; current: boolean }) => [v.version_id, v.current]), [[1, true]]);
      assert.equal(versions.items[0].changes.actors_added, 1);
      const changes = (await get("/changes")).json();
      assert.equal(changes.items.length, 1);
      assert.deepEqual([changes.items[0].entity, changes.items[0].change, changes.items[0].actor_name, changes.items[0].actor_letter], ["actor", "added", "Ana Peña", "A"]);
      assert.equal((await get("/changes?actor=A&kind=actor-added&version=1&since=2000-01-01")).json().items.length, 1);
      assert.equal((await get("/changes?kind=pair")).json().items.length, 0);
      assert.equal((await get("/changes?version=2")).status, 404, "a version the history does not hold");
      assert.equal((await get("/changes?kind=sideways")).status, 400);
      assert.equal((await get("/changes?since=yesterday")).status, 400);
      // since= is read as /runs reads its instants (one parser): an offset says the same instant
      // (it was a 400 here), and a bound a millisecond after the load (answers show ms) leaves it out.
      const loaded = Date.parse(changes.items[0].loaded_at);
      const inParis = (ms: number) => `${new Date(ms + 3_600_000).toISOString().slice(0, 23)}%2B01:00`;
      const atLoad = await get(`/changes?since=${inParis(loaded)}`);
      assert.equal(atLoad.status, 200, atLoad.text);
      assert.equal(atLoad.json().items.length, 1, `since=${inParis(loaded)}, loaded at ${changes.items[0].loaded_at}`);
      assert.equal((await get(`/changes?since=${inParis(loaded + 1)}`)).json().items.length, 0, `since=${inParis(loaded + 1)}, loaded at ${changes.items[0].loaded_at}`);
      // The ends of RFC 3339's years are instants too: year 9999 was a 500 (DuckDB cast '+010000-01-01'),
      // year 0001 a 400 (Date.UTC reads 0-99 as 1900-1999); both were answered before the shared parser.
      const last = await get("/changes?since=9999-12-31T23:59:59.999999Z");
      assert.equal(last.status, 200, last.text);
      assert.equal(last.json().items.length, 0);
      const first = await get("/changes?since=0001-01-01");
      assert.equal(first.status, 200, first.text);
      assert.equal(first.json().items.length, 1);
      const csv = await get("/changes?format=csv");
      assert.match(csv.text.split("\r\n")[0], /^version_id,run_id,loaded_at,entity,change,numeric_id/);
      assert.equal(csv.text.trim().split("\r\n").length, 2);
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
      // A misspelt filter is a 400 naming the choices, not an empty list that reads as "no runs".
      for (const bad of ["/runs?kind=relationship", "/runs?status=success"]) {
        const res = await get(bad);
        assert.equal(res.status, 400, bad);
        assert.match(res.json().detail, /must be one of/);
      }
      assert.equal((await get("/runs?kind=&status=")).status, 200, "empty values filter nothing");
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
        "check,severity,message,cells,count,values",
        "asymmetric_pair,warning,1 pair is marked in one direction and 0 in the other,'Matriz de adyacencia'!E4; 'Matriz de adyacencia'!D5,1,",
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

test("history and first-run answers before any version: empty lists, not errors, but a 404 for a version asked for", async () => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    assert.deepEqual((await raw(server.url, { path: "/versions" })).json(), { items: [], current_version_id: null, next_cursor: null });
    assert.deepEqual((await raw(server.url, { path: "/changes" })).json(), { items: [], next_cursor: null });
    assert.deepEqual((await raw(server.url, { path: "/changes?actor=A&format=csv" })).status, 200);
    // A version asked for before the first load is a version the history does not hold: a 404
    // naming the parameter, as past the history's end. Before: an empty 200, "nothing changed in
    // version 2", against the handler's own comment and the README.
    for (const path of ["/changes?version=2", "/changes?actor=A&version=2&format=csv"]) {
      const missing = await raw(server.url, { path });
      assert.equal(missing.status, 404, `${path}: ${missing.text}`);
      assert.equal(missing.json().type, "/docs#problem-not-found", path);
      assert.match(missing.json().detail, /^version=2 .*no version has been published yet/, path);
    }
    // A bad parameter is the same 400 with or without a version served (it was an empty 200 before the first load).
    for (const path of ["/changes?version=0", "/changes?kind=sideways", "/changes?cursor=zzz", "/changes?limit=0", "/changes?since=yesterday", "/changes?among=x"]) {
      assert.equal((await raw(server.url, { path })).status, 400, path);
    }
  } finally {
    await server.close();
    cleanup();
  }
});

test("a letter code two actors share is a 409 naming both, never a guess", async () => {
  const { dir, cleanup } = tempDir();
  await publishSnapshot(dir, { versionId: 1, actors: [[1, "A", "Ana"], [2, "A", "Alba"], [3, "B", "Bea"]], pairs: [[1, 3, true, true]] });
  const server = await testServer(dir);
  try {
    const res = await raw(server.url, { path: "/actors/a" });
    assert.equal(res.status, 409);
    assert.match(res.json().detail, /ids 1, 2/);
    assert.equal(res.json().type, "/docs#problem-ambiguous-code");
    assert.equal((await raw(server.url, { path: "/actors/b" })).json().id, 3);
  } finally {
    await server.close();
    cleanup();
  }
});

test("an actor named by a query parameter that no actor has, or that two share, is a problem naming the parameter", async () => {
  // `/relationships/path?from=1&to=77` said only "No actor has id 77": with from and to both
  // unknown, or both the same code, a client could not tell which parameter was wrong.
  const { dir, cleanup } = tempDir();
  await publishSnapshot(dir, { versionId: 1, actors: [[1, "A", "Ana"], [2, "A", "Alba"], [3, "B", "Bea"]], pairs: [[1, 3, true, true]] });
  const server = await testServer(dir);
  try {
    const cases: [string, number, RegExp][] = [
      ["/relationships/path?from=3&to=77", 404, /^to=77: no actor has id 77 in version 1$/],
      ["/relationships/path?from=zz&to=3", 404, /^from=zz: no actor has letter code 'zz' in version 1$/],
      ["/relationships/path?from=3&to=a", 409, /^to=a: letter code 'a' belongs to 2 actors \(ids 1, 2\); use the id$/],
      ["/relationships/subgraph?around=77", 404, /^around=77: no actor has id 77/],
      ["/relationships/subgraph?include=3,77", 404, /^include=77: no actor has id 77/],
      ["/relationships?actor=a", 409, /^actor=a: letter code 'a' belongs to 2 actors/],
    ];
    for (const [path, status, detail] of cases) {
      const res = await raw(server.url, { path });
      assert.equal(res.status, status, `${path}: ${res.text}`);
      assert.match(res.json().detail, detail, path);
    }
    // A path segment is no parameter: its problem reads as before.
    assert.match((await raw(server.url, { path: "/actors/77" })).json().detail, /^No actor has id 77 in version 1$/);
    assert.match((await raw(server.url, { path: "/actors/a" })).json().detail, /^Letter code 'a' belongs to 2 actors/);
  } finally {
    await server.close();
    cleanup();
  }
});

test("a letter code typed decomposed (N plus a combining tilde) names the same actor as the composed Ñ", async () => {
  // The users' codes run A..N, Ñ, O..Z, AA..AN, AÑ...: a client on macOS or a link copied from a
  // file name sends Ñ as N + U+0303. The load stores codes composed (NFC); before, the API took the
  // combining mark for "not a letter code": a 404 for /actors/AÑ and a 400 for ?actor=AÑ.
  const { dir, cleanup } = tempDir();
  await publishSnapshot(dir, { versionId: 1, actors: [[15, "Ñ", "Valeria Ñúñez"], [41, "AN", "Ana Nieto"], [42, "AÑ", "Íñigo Peña"]], pairs: [[15, 42, true, false]] });
  const server = await testServer(dir);
  const decomposed = (text: string) => encodeURIComponent(text.normalize("NFD"));
  try {
    for (const [code, id] of [["Ñ", 15], ["ñ", 15], ["AÑ", 42], ["añ", 42], ["AN", 41]] as const) {
      const res = await raw(server.url, { path: `/actors/${decomposed(code)}` });
      assert.equal(res.status, 200, `${code}: ${res.text}`);
      assert.equal(res.json().id, id, code);
    }
    const pairs = await raw(server.url, { path: `/relationships?actor=${decomposed("AÑ")}` });
    assert.equal(pairs.status, 200, pairs.text);
    assert.deepEqual(pairs.json().items.map((p: { person_a_id: number; person_b_id: number }) => [p.person_a_id, p.person_b_id]), [[15, 42]]);
    const path = await raw(server.url, { path: `/relationships/path?from=${decomposed("Ñ")}&to=${decomposed("AÑ")}` });
    assert.equal(path.status, 200, path.text);
    assert.deepEqual(path.json().path.map((a: { id: number }) => a.id), [15, 42]);
    assert.equal((await raw(server.url, { path: `/actors/${decomposed("AÑ")}/relationships` })).status, 200);
  } finally {
    await server.close();
    cleanup();
  }
});

// Waits for a state, never for a time: a machine under load only makes this slower, and the
// test's own timeout catches a watcher that never swaps.
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 25));
}

test("a newly published snapshot is served once the watcher sees it, with no failed request during the switch", { timeout: 120_000 }, async () => {
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
  const paths = ["/actors/5/relationships", "/matrix?limit=10", "/runs", "/actors?limit=5"];
  // Answers per path; each worker counts its own, so a stalled path shows.
  const served = new Map<string, number>(paths.map((p) => [p, 0]));
  const worker = async (path: string) => {
    while (!stop) {
      try {
        const res = await raw(server.url, { path });
        if (res.status !== 200) failures.push(`${path} ${res.status} ${res.text.slice(0, 100)}`);
        served.set(path, served.get(path)! + 1);
      } catch (error) {
        failures.push(`${path} ${(error as Error).message}`);
      }
      // The test publishes from this same process; leave it some event-loop turns.
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  try {
    const workers = [...Array(4)].map(() => worker(paths[0])).concat(paths.slice(1).map(worker));
    for (let version = 2; version <= 4; version++) {
      const before = new Map(served);
      await publishSnapshot(dir, spec(version));
      await until(async () => (await raw(server.url, { path: "/actors/1" })).json().name === `Actor 0 v${version}`);
      // Requests ran on through the switch: every path was answered again after the new version
      // was published (the switch stalled none of them), and none failed.
      await until(() => paths.every((p) => served.get(p)! >= before.get(p)! + 3));
    }
    stop = true;
    await Promise.all(workers);
    assert.deepEqual(failures, []);
  } finally {
    stop = true;
    await server.close();
    cleanup();
  }
});

// The users' workbook (SEED_DATA_DIR, else ../shared/seed-data beside the repo).
const SEED = seedFile("relaciones.xlsx");

test("relationship endpoints on the users' workbook, loaded by the real pipeline", async (t) => {
  if (!existsSync(SEED)) {
    t.skip(seedSkip(SEED) || undefined);
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

test("GET /versions reads a snapshot written before restores existed (schema version 2, no restored_from)", async () => {
  const { dir, cleanup } = tempDir();
  await publishSnapshot(dir, { versionId: 1, actors: [[1, "A", "Ana"], [2, "B", "Bea"]], pairs: [[1, 2, true, true]] });
  const db = await Database.open(join(dir, "relationships.duckdb"));
  try {
    await db.run("ALTER TABLE versions DROP COLUMN restored_from; CHECKPOINT");
  } finally {
    db.close();
  }
  const server = await testServer(dir);
  try {
    const versions = (await raw(server.url, { path: "/versions" })).json();
    assert.deepEqual(versions.items.map((v: { version_id: number; restored_from: number | null }) => [v.version_id, v.restored_from]), [[1, null]]);
  } finally {
    await server.close();
    cleanup();
  }
});

test("GET /versions reports a failed read of versions.restored_from as an error, not as a snapshot without restores", async () => {
  const { dir, cleanup } = tempDir();
  await publishSnapshot(dir, { versionId: 1, actors: [[1, "A", "Ana"], [2, "B", "Bea"]], pairs: [[1, 2, true, true]] });
  const db = await Database.open(join(dir, "relationships.duckdb"));
  try {
    // A schema-4 file in which reading restored_from fails (standing in for an I/O error or an
    // out-of-memory on that column's blocks): the column is there, its read is not.
    await db.run(`ALTER TABLE versions RENAME TO versions_stored;
      CREATE VIEW versions AS SELECT * REPLACE (error('IO Error: Could not read from file: Input/output error')::INTEGER AS restored_from) FROM versions_stored;
      CHECKPOINT`);
  } finally {
    db.close();
  }
  const logged: string[] = [];
  const server = await testServer(dir, { logError: (message: string) => logged.push(message) });
  try {
    // Before, any failure of the query with restored_from was taken for a schema-2 file: the
    // query without it answered a 200 listing every version with restored_from null, kept for as
    // long as the file was served.
    const res = await raw(server.url, { path: "/versions" });
    assert.equal(res.status, 500, res.text.slice(0, 300));
    assert.match(String(res.headers["content-type"]), /problem\+json/);
    assert.doesNotMatch(res.text, /Input\/output|at .+\.ts/, "no DuckDB message or stack to the client");
  } finally {
    await server.close();
    cleanup();
  }
});

test("a snapshot whose findings cannot be read is reported unreadable, not served as one without findings", async () => {
  const { dir, cleanup } = tempDir();
  await publishSnapshot(dir, { versionId: 1, actors: [[1, "A", "Ana"], [2, "B", "Bea"]], pairs: [[1, 2, true, true]] });
  const db = await Database.open(join(dir, "relationships.duckdb"));
  try {
    // The table is there and its read fails (standing in for an I/O error or an out-of-memory).
    await db.run(`ALTER TABLE findings RENAME TO findings_stored;
      CREATE VIEW findings AS SELECT * REPLACE (error('IO Error: Could not read from file: Input/output error') AS message) FROM findings_stored;
      INSERT INTO findings_stored VALUES ('asymmetric_pair', 'warning', 'x', [], 1, NULL);
      CHECKPOINT`);
  } finally {
    db.close();
  }
  const server = await testServer(dir, { logError: () => {} });
  try {
    // Before, any failure reading findings, matrix_layout or snapshot_info was taken for an older
    // file without the table: the version was served with no findings (a 200 with an empty list)
    // until the next publication.
    const res = await raw(server.url, { path: "/findings" });
    assert.equal(res.status, 503, res.text.slice(0, 300));
    assert.equal(res.json().type, "/docs#problem-snapshot-unreadable");
  } finally {
    await server.close();
    cleanup();
  }
});

test("a snapshot without the optional tables (findings, snapshot_info, matrix_layout: the oldest files) is served without them", async () => {
  const { dir, cleanup } = tempDir();
  await publishSnapshot(dir, { versionId: 1, actors: [[1, "A", "Ana"], [2, "B", "Bea"]], pairs: [[1, 2, true, true]] });
  const db = await Database.open(join(dir, "relationships.duckdb"));
  try {
    await db.run("DROP TABLE findings; DROP TABLE snapshot_info; DROP TABLE matrix_layout; CHECKPOINT");
  } finally {
    db.close();
  }
  const server = await testServer(dir);
  try {
    assert.deepEqual((await raw(server.url, { path: "/findings" })).json(), { items: [], version_id: null });
    assert.equal((await raw(server.url, { path: "/actors/A" })).json().name, "Ana");
  } finally {
    await server.close();
    cleanup();
  }
});

test("relationship endpoints refuse what they cannot answer, before any precondition, and stay bounded in memory", async (t) => {
  // A review found each of these on the code before: 500s from the database for out-of-range
  // input, a 304 where the plain request is a 404 or 400, a 304 without its 200's Vary, a Link
  // that a client reads as another host, two Host headers served, a /runs CSV cut to `limit`, and
  // one kept body per distinct /matrix limit (RSS 194 MB -> 1.7 GB at 1,500 actors).
  const { dir, cleanup } = tempDir();
  await publishSnapshot(dir, SMALL_GRAPH);
  const run: RunRecord = {
    id: "run-1", kind: "relationships", status: "succeeded", started_at: "2026-01-01T00:00:00Z", finished_at: "2026-01-01T00:00:01Z",
    file: null, counts: {}, findings: [], changes: {}, error: null, version_id: 1,
  };
  for (let i = 0; i < 3; i++) appendRun(dir, { ...run, id: `run-${i}` });
  const server = await testServer(dir);
  const get = (path: string, headers?: Record<string, string>) => raw(server.url, { path, headers });
  const cursor = (key: unknown[]) => Buffer.from(JSON.stringify(key)).toString("base64url");
  try {
    const etag = String((await get("/matrix?limit=1")).headers.etag);
    await t.test("GET /changes: impossible dates and out-of-range cursors are 400, a huge actor id matches nothing", async () => {
      for (const path of ["/changes?since=2026-13-45", "/changes?since=2026-02-30T25:61:59Z", `/changes?cursor=${cursor(["changes", "abc", 1])}`, `/changes?cursor=${cursor(["changes", 1, 1e20])}`, `/changes?cursor=${cursor(["changes", 99999999999, 1])}`]) {
        const res = await get(path);
        assert.equal(res.status, 400, `${path}: ${res.text}`);
      }
      const huge = await get("/changes?actor=9999999999");
      assert.equal(huge.status, 200, huge.text);
      assert.deepEqual(huge.json().items, []);
      assert.equal((await get("/changes?since=2026-01-01T08:00Z")).status, 200);
    });
    // Before, only /changes checked a cursor's key type: the in-memory lists paged on an edited
    // one (text compares with a number as neither less nor greater, so the page began anywhere).
    await t.test("a cursor whose key has the wrong type for its sort is a 400 bad-cursor on every list", async () => {
      for (const path of [
        `/changes?cursor=${cursor(["changes", "abc", 1])}`,
        `/versions?cursor=${cursor(["version", "abc", 1])}`, // was an empty page that said "the end"
        `/actors?cursor=${cursor(["degree", "abc", 1])}`, // a degree is a number
        `/actors?sort=id&cursor=${cursor(["id", "abc", 1])}`,
        `/actors?sort=name&limit=2&cursor=${cursor(["name", 5, 0])}`, // a name is text
        `/relationships?limit=2&cursor=${cursor(["pair", "x", 1])}`, // a person id is a number
        `/relationships?cursor=${cursor(["pair", 1.5, 1])}`,
      ]) {
        const res = await get(path);
        assert.equal(res.status, 400, `${path} answered ${res.status}: ${res.text.slice(0, 160)}`);
        assert.equal(res.json().type, "/docs#problem-bad-cursor", path);
      }
    });
    await t.test("an offset past the largest one /matrix takes is a 400 that names that bound", async () => {
      // Before: "offset must be a non-negative integer" for 4000000000, which is one.
      const res = await get("/matrix?offset=4000000000");
      assert.equal(res.status, 400);
      assert.equal(res.json().detail, "offset must be an integer from 0 to 999999999; got '4000000000'");
      assert.equal((await get("/matrix?offset=-1")).json().detail, "offset must be an integer from 0 to 999999999; got '-1'");
      assert.equal((await get("/matrix?offset=999999999")).status, 200);
      const offset = (await get("/openapi.json")).json().paths["/matrix"].get.parameters.find((p: { name: string }) => p.name === "offset");
      assert.deepEqual(offset.schema, { type: "integer", minimum: 0, maximum: 999_999_999 });
    });
    await t.test("a precondition does not turn a 404 or a 400 into a 304", async () => {
      assert.equal((await get("/relationships/path?from=1&to=5", { "if-none-match": etag })).status, 404);
      assert.equal((await get("/relationships/path?from=1&to=5", { "if-none-match": "*" })).status, 404);
      assert.equal((await get("/matrix?limit=0", { "if-none-match": etag })).status, 400);
      assert.equal((await get("/matrix?format=bogus", { "if-none-match": etag })).status, 400);
      assert.equal((await get("/relationships/path?from=1&to=4", { "if-none-match": etag })).status, 304);
    });
    await t.test("a 304 carries the Vary its 200 carries", async () => {
      const full = await get("/matrix?limit=5", { "accept-encoding": "gzip" });
      const notModified = await get("/matrix?limit=5", { "accept-encoding": "gzip", "if-none-match": etag });
      assert.equal(notModified.status, 304);
      assert.equal(notModified.headers.vary, full.headers.vary);
      assert.match(String(full.headers.vary), /Accept-Encoding/);
    });
    await t.test("the next page's Link is a path, however many slashes the request had", async () => {
      const link = String((await get("//actors?limit=2")).headers.link);
      assert.match(link, /^<\/actors\?limit=2&cursor=[^>]+>; rel="next"$/);
      assert.equal(new URL(link.slice(1, link.indexOf(">")), "http://127.0.0.1:1").host, "127.0.0.1:1");
    });
    await t.test("two Host headers are a 400 (RFC 9112 3.2)", async () => {
      const { port } = new URL(server.url);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), "127.0.0.1", () => socket.end("GET /actors HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"));
        let text = "";
        socket.setEncoding("latin1").on("data", (d: string) => (text += d)).on("end", () => resolve(text)).on("error", reject);
      });
      assert.match(answer, /^HTTP\/1\.1 400 /);
    });
    await t.test("the /runs CSV has every run, whatever limit says", async () => {
      const lines = (await get("/runs?format=csv&limit=1")).text.trim().split("\r\n");
      assert.equal(lines.length, 1 + 3);
    });
    await t.test("limits past the matrix's end are one kept body, not one each", async () => {
      const model = () => server.app.snapshot.current()!.model;
      const before = model().bodies.size;
      for (let limit = 6; limit < 106; limit++) {
        assert.equal((await get(`/matrix?format=binary&limit=${limit}`)).status, 200);
        assert.equal((await get(`/matrix?limit=${limit}`)).status, 200);
      }
      assert.ok(model().bodies.size - before <= 2, `${model().bodies.size - before} bodies kept for 200 requests of the same two answers`);
    });
  } finally {
    await server.close();
    cleanup();
  }
});

test("GET /changes?among= gives the pair changes among a set of actors (what a drawing of them marks), however many other changes come first", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { loadRelationships } = await import("../../etl/relationships/mod.ts");
    const { cells, writeVersion } = await import("../../scripts/testing/workbooks.ts");
    const ids = Array.from({ length: 40 }, (_, i) => i + 1);
    const workbook = join(dir, "in.xlsx");
    for (const seed of [1, 2]) {
      // Version 2 renames every actor too: its actor changes come before its pair changes.
      await writeVersion(workbook, { ids, cell: cells(seed, { density: 0.4 }), code: (id) => `C${id}`, name: (id) => `N${id} v${seed}` });
      assert.equal((await loadRelationships({ workbook, dataDir: dir, parquetDir: null })).run.status, "succeeded");
    }
    const server = await testServer(dir);
    try {
      type Row = { entity: string; person_a: number | null; person_b: number | null };
      const all = (await raw(server.url, { path: "/changes?version=2&limit=1000" })).json().items as Row[];
      assert.equal(all.slice(0, 40).every((c) => c.entity === "actor"), true, "the first page's first rows are actors");
      const drawn = new Set([3, 5, 8, 13, 21]);
      const expected = all.filter((c) => c.entity === "pair" && drawn.has(c.person_a!) && drawn.has(c.person_b!));
      assert.ok(expected.length > 0, "some pair among them changed");
      const among = await raw(server.url, { path: `/changes?version=2&kind=pair&among=${[...drawn].join(",")}&limit=1000` });
      assert.equal(among.status, 200, among.text);
      assert.deepEqual(among.json().items, (await raw(server.url, { path: "/changes?version=2&limit=1000" })).json().items.filter((c: Row) => expected.some((e) => e.person_a === c.person_a && e.person_b === c.person_b && c.entity === "pair")));
      for (const bad of ["x", "1,,2", Array.from({ length: 1001 }, (_, i) => i + 1).join(",")]) {
        assert.equal((await raw(server.url, { path: `/changes?among=${bad}` })).status, 400, bad.slice(0, 20));
      }
      assert.deepEqual((await raw(server.url, { path: "/changes?among=9999999999" })).json().items, [], "an id past INTEGER matches nothing");
    } finally {
      await server.close();
    }
  } finally {
    cleanup();
  }
});

test("GET /findings lists errors, then warnings, then info (they were in alphabetical order: info before warning)", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { loadRelationships } = await import("../../etl/relationships/mod.ts");
    const workbook = fileURLToPath(new URL("../../data/relaciones.xlsx", import.meta.url));
    // The sample: warnings (code mismatches, asymmetric pairs) and info (blank cells).
    assert.equal((await loadRelationships({ workbook, dataDir: dir, parquetDir: null })).run.status, "succeeded");
    const server = await testServer(dir);
    try {
      const rank = { error: 0, warning: 1, info: 2 } as Record<string, number>;
      for (const path of ["/findings", "/findings?format=csv"]) {
        const answer = await raw(server.url, { path });
        const severities: string[] = path.endsWith("csv") ? answer.text.trim().split("\r\n").slice(1).map((l) => l.split(",")[1]) : answer.json().items.map((f: { severity: string }) => f.severity);
        assert.ok(severities.includes("warning") && severities.includes("info"), severities.join());
        assert.deepEqual(severities, [...severities].sort((a, b) => rank[a] - rank[b]), path);
      }
    } finally {
      await server.close();
    }
  } finally {
    cleanup();
  }
});

// Before, `values` (both codes of each letter code disagreement) were in the run record only: the
// published file's findings table had no column for them, so `/findings` answered without them.
test("GET /findings serves each finding's values as the load recorded them (schema version 5), and a file of schema version 4 without them", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { loadRelationships, snapshotPath, SCHEMA_VERSION } = await import("../../etl/relationships/mod.ts");
    const workbook = fileURLToPath(new URL("../../data/relaciones.xlsx", import.meta.url));
    const { run } = await loadRelationships({ workbook, dataDir: dir, parquetDir: null });
    assert.equal(run.status, "succeeded");
    assert.equal(SCHEMA_VERSION, 5);
    const mismatch = run.findings.find((f) => f.check.startsWith("code_mismatch") && f.values !== undefined);
    assert.ok(mismatch, "the sample has letter code disagreements");
    const byCheck = (a: { check: string }, b: { check: string }) => a.check.localeCompare(b.check);
    const findings = async () => {
      const server = await testServer(dir);
      try {
        const json = await raw(server.url, { path: "/findings" });
        assert.equal(json.status, 200, json.text);
        const csv = (await raw(server.url, { path: "/findings?format=csv" })).text.trim().split("\r\n");
        assert.equal(csv[0], "check,severity,message,cells,count,values");
        return { served: (json.json().items as typeof run.findings).sort(byCheck), csv };
      } finally {
        await server.close();
      }
    };
    const v5 = await findings();
    assert.deepEqual(v5.served, [...run.findings].sort(byCheck));
    const line = v5.csv.find((l) => l.startsWith(`${mismatch.check},`));
    assert.ok(line?.endsWith(`,${mismatch.values!.join("; ")}`), line);

    // The file a load before schema version 5 published: its findings have no cell_values.
    const old = await Database.open(snapshotPath(dir));
    try {
      await old.run("ALTER TABLE findings DROP COLUMN cell_values; UPDATE snapshot_info SET schema_version = 4; CHECKPOINT");
    } finally {
      old.close();
    }
    const v4 = await findings();
    assert.deepEqual(v4.served, v5.served.map(({ values: _, ...f }) => f));
    assert.ok(v4.csv.find((l) => l.startsWith(`${mismatch.check},`))?.endsWith(","), "no values in CSV either");

    assert.equal((await loadRelationships({ workbook, dataDir: dir, parquetDir: null, force: true })).run.status, "succeeded");
    assert.deepEqual((await findings()).served, v5.served, "the next load's file has them again");
  } finally {
    cleanup();
  }
});

test("GET /changes names an actor the served version no longer has as the last version that had it did, code and name (removed, renamed then removed)", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { loadRelationships } = await import("../../etl/relationships/mod.ts");
    const { writeVersion } = await import("../../scripts/testing/workbooks.ts");
    const names: Record<number, string> = { 1: "Ana", 2: "Bruno", 3: "Carla", 4: "Darío", 5: "Eva", 6: "Fede" };
    const workbook = join(dir, "in.xlsx");
    // v1 all six; v2 drops Eva and renames Fede; v3 drops him too.
    for (const [ids, rename] of [[[1, 2, 3, 4, 5, 6], false], [[1, 2, 3, 4, 6], true], [[1, 2, 3, 4], true]] as const) {
      const name = (id: number) => (rename && id === 6 ? "Federico" : names[id]);
      await writeVersion(workbook, { ids: [...ids], cell: (a, b) => (a === b ? 0 : 1), code: (id) => "ABCDEF"[id - 1], name });
      assert.equal((await loadRelationships({ workbook, dataDir: dir, parquetDir: null })).run.status, "succeeded");
    }
    const server = await testServer(dir);
    try {
      type Row = { entity: string; change: string; field: string | null; numeric_id: number | null; person_a: number | null; person_b: number | null; old_value: string | null; new_value: string | null; actor_name: string | null; actor_letter: string | null; person_a_name: string | null; person_b_name: string | null; person_a_letter: string | null; person_b_letter: string | null };
      const changes = async (query: string) => (await raw(server.url, { path: `/changes?${query}&limit=1000` })).json().items as Row[];
      // The letter code too, as the last version that had the actor wrote it. Before: null, the
      // removal recorded the name alone, so a removed actor's changes lost the code people know it by.
      assert.deepEqual((await changes("version=2&kind=actor-removed")).map((c) => [c.numeric_id, c.actor_name, c.actor_letter]), [[5, "Eva", "E"]]);
      const pairs = await changes("version=2&kind=pair-removed");
      assert.equal(pairs.length, 5);
      for (const p of pairs) assert.deepEqual([p.person_a_name, p.person_b_name], [names[p.person_a!], p.person_b === 6 ? "Federico" : names[p.person_b!]]);
      for (const p of pairs) assert.deepEqual([p.person_a_letter, p.person_b_letter], ["ABCDEF"[p.person_a! - 1], "ABCDEF"[p.person_b! - 1]]);
      // Fede was Federico in the last version that had him: his rename and his removal say so.
      assert.deepEqual((await changes("version=2&kind=actor-changed")).map((c) => [c.numeric_id, c.field, c.old_value, c.new_value, c.actor_name]), [[6, "actor_name", "Fede", "Federico", "Federico"]]);
      assert.deepEqual((await changes("version=3&kind=actor-removed")).map((c) => [c.numeric_id, c.actor_name, c.actor_letter]), [[6, "Federico", "F"]]);
      const all = await changes("kind=pair");
      assert.ok(all.length > 0 && all.every((c) => c.person_a_name !== null && c.person_b_name !== null), "every pair change names both actors");
      const csv = (await raw(server.url, { path: "/changes?version=3&format=csv" })).text;
      assert.match(csv, /Federico/);
      // A version the history does not hold is a 404 naming the ones it does, not an empty "nothing changed".
      const missing = await raw(server.url, { path: "/changes?version=4" });
      assert.equal(missing.status, 404, missing.text);
      assert.match(missing.json().detail, /^version=4 .*versions 1 to 3/);
      assert.equal((await raw(server.url, { path: "/changes?version=4&format=csv" })).status, 404);
      assert.deepEqual(await changes("version=1"), [], "the first version is the baseline: no changes, and a 200");
    } finally {
      await server.close();
    }
  } finally {
    cleanup();
  }
});

test("GET /changes?actor= takes the letter code of an actor the served version no longer has, as its answers name it (review)", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { loadRelationships } = await import("../../etl/relationships/mod.ts");
    const { writeVersion } = await import("../../scripts/testing/workbooks.ts");
    const workbook = join(dir, "in.xlsx");
    // v1: five actors, 4 and 5 both coded D; v2 drops 3, 4 and 5, and gives actor 2 the code E.
    for (const [ids, codes] of [[[1, 2, 3, 4, 5], "ABCDD"], [[1, 2], "AE"]] as const) {
      await writeVersion(workbook, { ids: [...ids], cell: (a, b) => (a === b ? 0 : 1), code: (id) => codes[id - 1], name: (id) => `Actor ${id}` });
      assert.equal((await loadRelationships({ workbook, dataDir: dir, parquetDir: null })).run.status, "succeeded");
    }
    const server = await testServer(dir);
    try {
      const get = (query: string) => raw(server.url, { path: `/changes?${query}` });
      const byId = (await get("actor=3&limit=1000")).json().items as { actor_letter: string | null }[];
      assert.ok(byId.length > 0 && byId.some((c) => c.actor_letter === "C"), "actor 3's removal names it C");
      // Before: an empty list, though every answer names actor 3 'C'.
      for (const code of ["C", "c"]) assert.deepEqual((await get(`actor=${code}&limit=1000`)).json().items, byId, code);
      assert.equal((await get("actor=C&format=csv")).text, (await get("actor=3&format=csv")).text);
      // A code two removed actors had is ambiguous, as a served one is; one the served version has is its actor.
      const both = await get("actor=D");
      assert.equal(both.status, 409, both.text);
      assert.match(both.json().detail, /ids 4, 5/);
      assert.deepEqual((await get("actor=E&limit=1000")).json().items, (await get("actor=2&limit=1000")).json().items);
      assert.deepEqual((await get("actor=Z")).json().items, [], "a code nobody ever had still filters to nothing");
    } finally {
      await server.close();
    }
  } finally {
    cleanup();
  }
});

// Letter codes may be digit text or hold digits (README, decisions): the load stores 'S3', but every
// route that names an actor answered 400 "must be an actor id or a letter code" for it, so the history
// of such an actor could not be asked for by its code, served or removed (review).
test("an actor is named by a letter code that holds digits everywhere: /actors/{id}, ?actor= of /relationships and /changes, a removed actor's too (review)", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { loadRelationships } = await import("../../etl/relationships/mod.ts");
    const { writeVersion } = await import("../../scripts/testing/workbooks.ts");
    const workbook = join(dir, "in.xlsx");
    // v2 drops actor 3 (coded S3 in v1).
    for (const ids of [[1, 2, 3], [1, 2]]) {
      await writeVersion(workbook, { ids, cell: (a, b) => (a === b ? 0 : 1), code: (id) => `S${id}`, name: (id) => `Actor ${id}` });
      assert.equal((await loadRelationships({ workbook, dataDir: dir, parquetDir: null })).run.status, "succeeded");
    }
    const server = await testServer(dir);
    try {
      const get = async (path: string) => {
        const res = await raw(server.url, { path });
        assert.equal(res.status, 200, `${path}: ${res.text}`);
        return res.json();
      };
      assert.equal((await get("/actors/S2")).id, 2);
      assert.equal((await get("/actors/s2")).id, 2);
      assert.deepEqual((await get("/relationships?actor=S2&limit=1000")).items, (await get("/relationships?actor=2&limit=1000")).items);
      const changesOf = async (actor: string) => (await get(`/changes?actor=${actor}&limit=1000`)).items as { numeric_id: number | null }[];
      assert.deepEqual(await changesOf("S2"), await changesOf("2"));
      const removed = await changesOf("S3");
      assert.ok(removed.length > 0 && removed.some((c) => c.numeric_id === 3), JSON.stringify(removed));
      assert.deepEqual(removed, await changesOf("3"));
      // Text that is no code of any actor, ever, is still refused or matches nothing, as before.
      assert.equal((await raw(server.url, { path: "/relationships?actor=x-1" })).status, 400);
      assert.deepEqual(await changesOf("S9"), []);
      assert.equal((await raw(server.url, { path: "/actors/S9" })).status, 404);
    } finally {
      await server.close();
    }
  } finally {
    cleanup();
  }
});

test("GET /changes serves a snapshot of schema version 3 (its removals hold no letter code) and the next load carries that history forward", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { loadRelationships, snapshotPath } = await import("../../etl/relationships/mod.ts");
    const { writeVersion } = await import("../../scripts/testing/workbooks.ts");
    const workbook = join(dir, "in.xlsx");
    const version = (ids: number[]) => ({ ids, cell: (a: number, b: number) => (a === b ? 0 : 1) as 0 | 1, code: (id: number) => "ABCDEF"[id - 1], name: (id: number) => `N${id}` });
    type Row = { numeric_id: number | null; actor_name: string | null; actor_letter: string | null };
    const removed = async (server: { url: string }) => {
      const answer = await raw(server.url, { path: "/changes?kind=actor-removed" });
      assert.equal(answer.status, 200, answer.text);
      return (answer.json().items as Row[]).map((c) => [c.numeric_id, c.actor_name, c.actor_letter]);
    };
    for (const ids of [[1, 2, 3, 4, 5], [1, 2, 3, 4]]) {
      await writeVersion(workbook, version(ids));
      assert.equal((await loadRelationships({ workbook, dataDir: dir, parquetDir: null })).run.status, "succeeded");
    }
    // The file a load before schema version 4 published: its changes have no letter_code.
    const old = await Database.open(snapshotPath(dir));
    try {
      await old.run("ALTER TABLE changes DROP COLUMN letter_code; UPDATE snapshot_info SET schema_version = 3; CHECKPOINT");
    } finally {
      old.close();
    }
    let server = await testServer(dir);
    try {
      assert.deepEqual(await removed(server), [[5, "N5", null]], "the name its removal kept; no code to say");
    } finally {
      await server.close();
    }
    await writeVersion(workbook, version([1, 2, 3]));
    assert.equal((await loadRelationships({ workbook, dataDir: dir, parquetDir: null })).run.status, "succeeded");
    server = await testServer(dir);
    try {
      assert.deepEqual(await removed(server), [[4, "N4", "D"], [5, "N5", null]]);
    } finally {
      await server.close();
    }
  } finally {
    cleanup();
  }
});

/** Publishes SMALL_GRAPH as `versionId`, with earlier versions listed and `n` pair changes for it in the history. */
async function snapshotWithHistory(dir: string, versionId: number, n: number): Promise<void> {
  await publishSnapshot(dir, { ...SMALL_GRAPH, versionId, changes: [] });
  // The test owns this file (no server yet): add the history a long life of loads leaves behind.
  const db = await Database.open(join(dir, "relationships.duckdb"));
  try {
    for (let v = 1; v < versionId; v++) await db.run(`insert into versions values (${v}, 'run-${v}', now()::timestamp, 'relaciones.xlsx', 'x', 1, 5, 3, NULL)`);
    await db.run(`insert into changes select ${versionId}, 'run', now()::timestamp, 'pair', 'changed', NULL, 1 + (i % 4)::INTEGER, 5, 'a_to_b', 'true', 'false', NULL from range(${n}) t(i)`);
    await db.run("checkpoint");
  } finally {
    db.close();
  }
}

/** Calls `spy` with the SQL of every `Database.all()` until the returned function restores it. */
function spyOnQueries(spy: (sql: string) => void | Promise<void>): () => void {
  const original = Database.prototype.all;
  Database.prototype.all = async function (this: Database, sql: string, ...rest: unknown[]) {
    const rows = await (original as (...a: unknown[]) => Promise<unknown[]>).call(this, sql, ...rest);
    await spy(sql);
    return rows;
  } as typeof Database.prototype.all;
  return () => {
    Database.prototype.all = original;
  };
}

const isChangesPage = (sql: string) => sql.includes("rowid::DOUBLE as row_key");
const isVersionList = (sql: string) => sql.includes("from versions order by version_id desc");

// Before, the snapshot was held per query only: a publication while a request was between two of
// its queries closed the old file, and the next one failed as a 500 "connection disconnected".
for (const [path, trigger] of [
  ["/changes?format=csv", isChangesPage], // one page read, then the next
  ["/changes?version=2&limit=5", isVersionList], // the versions read, then the page
] as const) {
  test(`a publication during GET ${path} (several queries) does not make it a 500: the request keeps its snapshot`, async () => {
    const { dir, cleanup } = tempDir();
    const other = tempDir();
    await snapshotWithHistory(dir, 2, 25_000);
    await snapshotWithHistory(other.dir, 3, 10);
    const logged: string[] = [];
    const server = await testServer(dir, { logError: (m: string, e: unknown) => logged.push(`${m}: ${String((e as Error)?.message ?? e).split("\n")[0]}`) });
    let published = false;
    const restore = spyOnQueries(async (sql) => {
      if (published || !trigger(sql)) return;
      published = true;
      // The next version is published and served while this request is between two queries.
      renameSync(join(other.dir, "relationships.duckdb"), join(dir, "relationships.duckdb"));
      await server.app.snapshot.check();
      assert.equal(server.app.snapshot.current()!.model.versionId, 3, "the watcher swapped");
    });
    try {
      const res = await raw(server.url, { path });
      assert.ok(published, "the publication happened during the request");
      assert.equal(res.status, 200, `${res.text.slice(0, 300)}\nserver log: ${logged.join(" | ").slice(0, 400)}`);
      if (path.includes("csv")) assert.equal(res.text.trim().split("\r\n").length, 1 + 25_000, "the whole history of the version the request began on");
    } finally {
      restore();
      await server.close();
      cleanup();
      other.cleanup();
    }
  });
}

// Before, the CSV of /changes read every page of 10,000 into one array before its first byte: a
// history of millions of changes was held whole in memory per download.
test("GET /changes?format=csv streams the history a page at a time: one page read before the first bytes, none after a cancel, which releases the snapshot", async () => {
  const { dir, cleanup } = tempDir();
  const N = 30_001; // four pages of 10,000
  await snapshotWithHistory(dir, 2, N);
  const server = await testServer(dir);
  let pageReads = 0;
  const restore = spyOnQueries((sql) => {
    if (isChangesPage(sql)) pageReads++;
  });
  try {
    const whole = await raw(server.url, { path: "/changes?format=csv" });
    assert.equal(whole.status, 200);
    assert.equal(whole.text.trim().split("\r\n").length, 1 + N, "every change comes out");
    assert.equal(pageReads, 4);

    pageReads = 0;
    const served = server.app.snapshot.current()!;
    const res = await server.app.handle(new Request(`${server.url}/changes?format=csv`), { requestId: "stream-test" });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.match(new TextDecoder().decode(first.value), /^version_id,/);
    assert.equal(pageReads, 1, "the first bytes come after one page is read, not the whole history");
    await reader.cancel(); // the client goes away
    assert.equal(pageReads, 1, "nothing more is read");
    // A cancelled download holds the snapshot no longer: replaced, the old file closes.
    await publishSnapshot(dir, { ...SMALL_GRAPH, versionId: 3 });
    await server.app.snapshot.check();
    assert.equal(server.app.snapshot.current()!.model.versionId, 3);
    await assert.rejects(served.query((db) => db.all("select 1")), "the replaced snapshot was closed");
  } finally {
    restore();
    await server.close();
    cleanup();
  }
});
