import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadRelationships } from "../../etl/relationships/mod.ts";
import { matrixWorkbook } from "../../scripts/testing/matrix_workbook.ts";
import { writeXlsxFile } from "../../scripts/testing/xlsx_writer.ts";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { validateExposition } from "../../scripts/testing/prometheus_format.ts";
import type { RunningServer } from "../server.ts";

// 1,500 actors at density 0.1: an actor's relationships are about 20 kB, so a 1 MiB cache fills
// after some 50 of them, and the whole JSON matrix (1,500 rows of 1,500 cells) is past the bound.
const ACTORS = 1500;
const LIMIT = 1024 * 1024;
let server: RunningServer;
let cleanup: () => void;

before(async () => {
  const temp = tempDir("answer-cache-");
  cleanup = temp.cleanup;
  const workbook = join(temp.dir, "relaciones.xlsx");
  await writeXlsxFile(workbook, matrixWorkbook({ actors: ACTORS, seed: 5 }));
  assert.equal((await loadRelationships({ workbook, dataDir: temp.dir, parquetDir: null })).run.status, "succeeded");
  server = await testServer(temp.dir, { relationshipCacheBytes: LIMIT });
});

after(async () => {
  await server?.close();
  cleanup?.();
});

const cache = () => server.app.snapshot.current()!.model.bodies;
// Whether an answer is kept, without using it (a get() is a use).
const kept = (key: string) => [...cache().keys()].includes(key);

test("the relationship answer cache counts every coded form it keeps: what it holds stays within its bound", async () => {
  // What the server holds for each kept answer: its bytes, and the gzip and br forms it sent.
  const sent = new Map<string, number>();
  for (let id = 1; id <= 120; id++) {
    for (const coding of ["identity", "gzip", "br"]) {
      const res = await raw(server.url, { path: `/actors/${id}/relationships`, headers: { "accept-encoding": coding } });
      assert.equal(res.status, 200);
      assert.equal(res.headers["content-encoding"], coding === "identity" ? undefined : coding);
      sent.set(`rel:${id}`, (sent.get(`rel:${id}`) ?? 0) + res.bytes.byteLength);
    }
  }
  const kept = [...cache().keys()].filter((key) => key.startsWith("rel:"));
  assert.ok(kept.length > 10 && kept.length < 120, `${kept.length} answers kept: the cache filled`);
  const held = kept.reduce((sum, key) => sum + sent.get(key)!, 0);
  assert.ok(held <= LIMIT, `${held} bytes of kept answers and their coded forms, over the bound of ${LIMIT}`);
  assert.ok(cache().bytes >= held, `the cache counts ${cache().bytes} bytes but holds ${held} in its answers and their coded forms`);
  assert.ok(cache().bytes <= LIMIT);
  // And the count is of the memory held: a small coded form is not a view into zlib's 16 kB chunk.
  const buffers = new Set(cache().held().map((bytes) => bytes.buffer));
  assert.equal(cache().bytes, [...buffers].reduce((sum, buffer) => sum + buffer.byteLength, 0));
});

test("an answer larger than the cache's bound is served whole, in every coding, and not kept", async () => {
  const before = cache().bytes;
  for (const coding of ["identity", "gzip", "br"]) {
    const res = await raw(server.url, { path: `/matrix?limit=${ACTORS}`, headers: { "accept-encoding": coding } });
    assert.equal(res.status, 200);
    if (coding === "identity") assert.equal(res.json().rows.length, ACTORS);
  }
  assert.equal([...cache().keys()].some((key) => key.startsWith("matrix:")), false);
  assert.equal(cache().bytes, before);
  assert.ok(cache().bytes <= LIMIT);
});

test("a full cache makes room for a new answer by evicting the least recently used, a hit counting as a use", async () => {
  // A sweep of distinct answers (rel:201 onwards) fills the cache whatever it held before.
  const sweep = async (from: number, to: number, between?: () => Promise<void>) => {
    for (let id = from; id < to; id++) {
      assert.equal((await raw(server.url, { path: `/actors/${id}/relationships`, headers: { "accept-encoding": "br" } })).status, 200);
      if (between !== undefined && id % 5 === 0) await between();
    }
  };
  await sweep(201, 300);
  assert.ok(cache().bytes > LIMIT / 2, `${cache().bytes} bytes held after the sweep: it filled`);
  // The dashboard's first page, asked for after the sweep, is kept (it was sent and never kept).
  const hot = async () => assert.equal((await raw(server.url, { path: "/matrix?limit=20", headers: { "accept-encoding": "br" } })).status, 200);
  await hot();
  assert.ok(kept("matrix:0:20"), "the answer asked for after the sweep is kept");
  // Another sweep asking for the hot answer now and then: it stays, the sweep's oldest answers go.
  const evicted = cache().evictions;
  await sweep(300, 420, hot);
  assert.ok(kept("matrix:0:20"), "the hot answer survived a sweep of answers used once");
  assert.equal(kept("rel:201"), false, "the least recently used answer was evicted");
  assert.ok(kept("rel:419"), "the newest answer is kept");
  assert.ok(cache().evictions > evicted);
  // The bound holds exactly: every byte held is counted, an answer and its coded forms going together.
  assert.ok(cache().bytes <= LIMIT);
  const buffers = new Set(cache().held().map((bytes) => bytes.buffer));
  assert.equal(cache().bytes, [...buffers].reduce((sum, buffer) => sum + buffer.byteLength, 0));
  // /metrics says what the cache holds and how many answers it evicted.
  const metrics = validateExposition((await raw(server.url, { path: "/metrics" })).text);
  assert.deepEqual(metrics.violations, []);
  const sample = (name: string) => metrics.samples.find((s) => s.name === `relaciones_relationship_answer_cache_${name}`)?.value;
  assert.deepEqual([sample("bytes"), sample("entries"), sample("evictions_total")], [cache().bytes, cache().size, cache().evictions]);
});

test("the same answer built by requests at once is kept and counted once", async () => {
  // A JSON matrix window is built from a DuckDB read: the six requests are all building it at once.
  const answers = await Promise.all(Array.from({ length: 6 }, () => raw(server.url, { path: "/matrix?offset=700&limit=5" })));
  assert.ok(answers.every((res) => res.status === 200 && res.bytes.equals(answers[0].bytes)));
  assert.ok(kept("matrix:700:5"));
  const buffers = new Set(cache().held().map((bytes) => bytes.buffer));
  assert.equal(cache().bytes, [...buffers].reduce((sum, buffer) => sum + buffer.byteLength, 0));
});
