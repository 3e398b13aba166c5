import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { loadRelationships } from "../../etl/relationships/mod.ts";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { cells, writeVersion } from "../../scripts/testing/workbooks.ts";

test("the snapshot's DuckDB runs within its memory budget: netting that does not fit is a 503 database-out-of-memory, and its spill folder goes with it", async () => {
  const { dir, cleanup } = tempDir();
  const previousTmp = process.env.TMPDIR;
  const tmp = join(dir, "tmp");
  mkdirSync(tmp);
  process.env.TMPDIR = tmp;
  try {
    const ids = Array.from({ length: 200 }, (_, i) => i + 1);
    for (const v of [1, 2]) {
      await writeVersion(join(dir, "in.xlsx"), { ids, cell: cells(v, { density: 0.3 }), code: (id) => `C${id}`, name: (id) => `N${id}-${v}` });
      assert.equal((await loadRelationships({ workbook: join(dir, "in.xlsx"), dataDir: dir, parquetDir: null })).run.status, "succeeded");
    }
    // 2 MiB holds the actors and pairs the model reads on opening, not the netting of two versions.
    const api = await testServer(dir, { relationshipMemoryMb: 2 });
    try {
      assert.equal((await raw(api.url, { path: "/actors?limit=1" })).status, 200);
      const res = await raw(api.url, { path: "/changes?from=1&to=2&limit=10" });
      assert.equal(res.status, 503, res.text);
      assert.equal(res.json().type, "/docs#problem-database-out-of-memory");
      assert.match(res.json().detail, /not the memory for this request now; retry/);
      assert.equal(res.headers["retry-after"], "2");
      // The snapshot still answers what fits.
      assert.equal((await raw(api.url, { path: "/actors/7" })).status, 200);
      assert.deepEqual(readdirSync(tmp).filter((name) => name.startsWith("relationships-spill-")).length, 1);
    } finally {
      await api.close();
    }
    assert.deepEqual(readdirSync(tmp).filter((name) => name.startsWith("relationships-spill-")), [], "the spill folder is removed with the snapshot");
  } finally {
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
    cleanup();
  }
});
