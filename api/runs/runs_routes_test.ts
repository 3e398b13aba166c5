// GET /runs over a real runs.jsonl and the real server on port 0: its filters and limit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendRun, type RunRecord } from "../../etl/runs/mod.ts";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";

function run(overrides: Partial<RunRecord>): RunRecord {
  return {
    id: "20261130T000000000Z-0a0b", kind: "relationships", status: "succeeded", started_at: "2026-11-30T00:00:00.000Z",
    finished_at: "2026-11-30T00:00:01.000Z", file: null, counts: {}, findings: [], changes: {}, error: null, ...overrides,
  };
}

// Before, a filter given twice was answered with its first value only (kind=contacts&kind=relationships
// listed contacts runs), silently, where the contact lists refuse a repeated parameter.
test("/runs: a filter or limit given twice is a 400 naming it, not its first value silently", async () => {
  const { dir, cleanup } = tempDir("runs-routes-");
  try {
    appendRun(dir, run({}));
    appendRun(dir, run({ id: "20261130T000000000Z-0c0d", kind: "contacts" }));
    const server = await testServer(dir);
    try {
      for (const [query, name] of [
        ["kind=contacts&kind=relationships", "kind"],
        ["status=failed&status=succeeded", "status"],
        ["limit=1&limit=2", "limit"],
        ["kind=contacts&kind=contacts", "kind"],
        ["format=csv&kind=contacts&kind=relationships", "kind"],
      ] as const) {
        const r = await raw(server.url, { path: `/runs?${query}` });
        assert.equal(r.status, 400, `${query}: answered ${r.status}: ${r.text.slice(0, 200)}`);
        assert.equal(r.json().type, "/docs#problem-bad-parameter");
        assert.match(r.json().detail, new RegExp(`'${name}' is given more than once`));
      }
      const one = await raw(server.url, { path: "/runs?kind=contacts" });
      assert.deepEqual(one.json().items.map((r: RunRecord) => r.kind), ["contacts"]);
    } finally {
      await server.close();
    }
  } finally {
    cleanup();
  }
});
