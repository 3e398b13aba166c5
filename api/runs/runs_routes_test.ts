// GET /runs over a real runs.jsonl and the real server on port 0: its filters and limit, in JSON and CSV.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { amendRun, appendRun, type RunRecord } from "../../etl/runs/mod.ts";
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

// Before, limit was parsed ahead of the CSV branch: the export its docs say ignores limit failed
// with a 400 for a limit over 1000.
test("/runs?format=csv ignores limit as documented; JSON still checks it", async () => {
  const { dir, cleanup } = tempDir("runs-routes-");
  try {
    for (let i = 0; i < 3; i++) appendRun(dir, run({ id: `20261130T000000000Z-000${i}` }));
    const server = await testServer(dir);
    try {
      const doc = (await raw(server.url, { path: "/openapi.json" })).json();
      const format = doc.paths["/runs"].get.parameters.find((p: { name: string }) => p.name === "format");
      assert.match(format.description, /limit and cursor are then ignored/);
      for (const path of ["/runs?format=csv&limit=5000", "/runs?format=csv&limit=1", "/runs?format=csv&limit=x"]) {
        const r = await raw(server.url, { path });
        assert.equal(r.status, 200, `${path}: answered ${r.status}: ${r.text.slice(0, 200)}`);
        assert.match(r.text, /^id,kind,status/);
        assert.equal(r.text.trim().split(/\r?\n/).length, 4, `${path}: every run`);
      }
      const json = await raw(server.url, { path: "/runs?limit=5000" });
      assert.equal(json.status, 400);
      assert.match(json.json().detail, /limit must be an integer from 1 to 1000/);
      assert.equal((await raw(server.url, { path: "/runs?limit=2" })).json().items.length, 2);
    } finally {
      await server.close();
    }
  } finally {
    cleanup();
  }
});

// Before, a line of valid JSON that is no run ([], {}, {"id": 7}) was served as an item of /runs and
// a row of its CSV, against the Run schema; a torn line (not JSON) was skipped.
test("/runs skips lines of runs.jsonl that are valid JSON but no run, as it skips torn lines (review)", async () => {
  const { dir, cleanup } = tempDir("runs-routes-");
  try {
    appendRun(dir, run({}));
    appendFileSync(join(dir, "runs.jsonl"), '[]\n{}\n42\nnull\n{"id":7}\n{"id":"x","kind":"contacts"}\n{"amends":5}\n{"kind":"contacts"\n');
    appendRun(dir, run({ id: "20261130T000000000Z-0c0d", kind: "contacts" }));
    const server = await testServer(dir);
    try {
      const r = await raw(server.url, { path: "/runs" });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json().items.map((x: RunRecord) => x.id), ["20261130T000000000Z-0c0d", "20261130T000000000Z-0a0b"], r.text);
      const csv = await raw(server.url, { path: "/runs?format=csv" });
      assert.equal(csv.text.trim().split(/\r?\n/).length, 3, csv.text);
    } finally {
      await server.close();
    }
  } finally {
    cleanup();
  }
});

// Before, /runs answered a run's `alert` (its webhook's outcome, with the id receivers de-duplicate
// by) while the OpenAPI document's run schema did not list it: a client generated from the document
// dropped it.
test("/runs/{id}: a run's alert is served and every member of it is in the documented schema", async () => {
  const { dir, cleanup } = tempDir("runs-routes-");
  try {
    appendRun(dir, run({ status: "failed", error: { code: "bad-file", message: "no sheet" } }));
    amendRun(dir, {
      amends: "20261130T000000000Z-0a0b",
      alert: { status: "failed", attempts: 3, at: "2026-11-30T00:00:09.000Z", http_status: 503, error: { code: "http-error", message: "answered 503" }, id: "5b0c2d0e-8a1f-4f39-9a39-2a5c8e0f1d11" },
    });
    const server = await testServer(dir);
    try {
      const answer = (await raw(server.url, { path: "/runs/20261130T000000000Z-0a0b" })).json();
      assert.equal(answer.alert.id, "5b0c2d0e-8a1f-4f39-9a39-2a5c8e0f1d11");
      const doc = (await raw(server.url, { path: "/openapi.json" })).json();
      for (const schema of [doc.components.schemas.Run, doc.paths["/runs/{id}"].get.responses["200"].content["application/json"].schema]) {
        const alert = schema.properties.alert;
        assert.ok(alert, "the run schema lists `alert`");
        assert.deepEqual(Object.keys(alert.properties).sort(), Object.keys(answer.alert).sort());
        assert.deepEqual([...alert.required].sort(), ["at", "attempts", "status"]);
      }
    } finally {
      await server.close();
    }
  } finally {
    cleanup();
  }
});

// A runs.jsonl the API cannot read (written by another user with mode 0600, an I/O error; here a
// directory in its place, which root cannot read either): /readyz and /metrics answered with the runs
// of the last read, but /runs and /runs/{id} were an opaque 500 "our bug" with a stack in the log (review).
test("/runs and /runs/{id} over a runs.jsonl that cannot be read: a 503 naming the file and why, not a 500; served again once readable", async () => {
  const { dir, cleanup } = tempDir("runs-routes-");
  try {
    mkdirSync(join(dir, "runs.jsonl"));
    const logged: string[] = [];
    const server = await testServer(dir, { logError: (message: string) => logged.push(message) });
    try {
      for (const path of ["/runs", "/runs?format=csv", "/runs/20261130T000000000Z-0a0b", "/runs/20261130T000000000Z-0a0b/rejects", "/runs/20261130T000000000Z-0a0b/rejects.csv"]) {
        const r = await raw(server.url, { path });
        assert.equal(r.status, 503, `${path}: answered ${r.status}: ${r.text.slice(0, 200)}`);
        assert.equal(r.json().type, "/docs#problem-runs-unreadable", path);
        assert.match(r.json().detail, /The run log \(runs\.jsonl\) cannot be read: EISDIR/, path);
        assert.ok(!r.json().detail.includes(dir), "no path of the server's");
      }
      assert.deepEqual(logged.filter((m) => /^Request .* failed/.test(m)), [], "no request failed as a bug");
      rmSync(join(dir, "runs.jsonl"), { recursive: true });
      appendRun(dir, run({}));
      const r = await raw(server.url, { path: "/runs" });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json().items.map((x: RunRecord) => x.id), ["20261130T000000000Z-0a0b"]);
    } finally {
      await server.close();
    }
  } finally {
    cleanup();
  }
});

// Before, /runs had no time filter and no cursor: JSON showed the newest 1,000 runs at most, and a
// run older than those (a year of hourly loads) was reachable only by downloading the whole CSV.
test("/runs?since=&until= filters by start time (RFC 3339, any offset) and a cursor pages past 1,000 runs to the oldest", async () => {
  const { dir, cleanup } = tempDir("runs-routes-");
  try {
    // 2,500 hourly runs from 2026-01-01T00:00Z, oldest first in the log, as loads append them.
    const hour = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString();
    const lines = Array.from({ length: 2500 }, (_, i) =>
      JSON.stringify(run({ id: `R${String(i).padStart(4, "0")}`, kind: i % 5 === 0 ? "contacts" : "relationships", started_at: hour(i), finished_at: hour(i) })));
    appendFileSync(join(dir, "runs.jsonl"), `${lines.join("\n")}\n`);
    const server = await testServer(dir);
    try {
      const ids = async (query: string) => {
        const r = await raw(server.url, { path: `/runs?${query}` });
        assert.equal(r.status, 200, `${query}: ${r.text.slice(0, 300)}`);
        return { ids: (r.json().items as RunRecord[]).map((x) => x.id), next: r.json().next_cursor as string | null, link: r.headers.link };
      };
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { ids: string[]; next: string | null; link: unknown } = await ids(`limit=1000${cursor === null ? "" : `&cursor=${cursor}`}`);
        if (page.next !== null) assert.match(String(page.link), /rel="next"/);
        seen.push(...page.ids);
        cursor = page.next;
        pages++;
      } while (cursor !== null);
      assert.equal(pages, 3);
      assert.deepEqual(seen, Array.from({ length: 2500 }, (_, i) => `R${String(2499 - i).padStart(4, "0")}`), "every run once, newest first");
      // since inclusive, until exclusive; an offset is the same instant in UTC; a date is its start in UTC.
      assert.deepEqual((await ids("since=2026-01-02T00:00:00Z&until=2026-01-02T03:00:00Z")).ids, ["R0026", "R0025", "R0024"]);
      assert.deepEqual((await ids("since=2026-01-02T01:00:00%2B01:00&until=2026-01-02T04:00:00%2B01:00")).ids, ["R0026", "R0025", "R0024"]);
      assert.deepEqual((await ids("since=2026-01-02&until=2026-01-02T01:30:00.5Z")).ids, ["R0025", "R0024"]);
      assert.deepEqual((await ids("until=2026-01-01T02:00:00Z")).ids, ["R0001", "R0000"]);
      assert.equal((await ids("since=2026-04-15T00:00:00Z&limit=1000")).ids.length, 2500 - 24 * 104);
      // With the filters, the cursor pages the matching runs.
      const first = await ids("kind=contacts&since=2026-01-01&until=2026-01-03&limit=3");
      assert.deepEqual(first.ids, ["R0045", "R0040", "R0035"]);
      assert.deepEqual((await ids(`kind=contacts&since=2026-01-01&until=2026-01-03&limit=3&cursor=${first.next}`)).ids, ["R0030", "R0025", "R0020"]);
      const csv = await raw(server.url, { path: "/runs?format=csv&since=2026-01-02&until=2026-01-03" });
      assert.equal(csv.text.trim().split(/\r?\n/).length, 25, "a header and the day's 24 runs");
      // A time without an offset is UTC, as /changes?since= reads it (one parser for both).
      const utc = (await ids("since=2026-01-02T09:00:00&until=2026-01-02T10:00:01")).ids;
      assert.equal(utc.length, 2, "the runs of 09:00 and 10:00 UTC");
      assert.deepEqual(utc, (await ids("since=2026-01-02T10:00:00%2B01:00&until=2026-01-02T10:00:01Z")).ids);
      // Refusals name the parameter.
      for (const [query, detail] of [
        ["since=yesterday", /^since must be an RFC 3339 date-time/],
        ["until=2026-02-30", /^until must be an RFC 3339/],
        ["since=2026-01-01T25:00:00Z", /^since must be/],
        ["since=2026-01-01T08:00:61Z", /^since must be/],
        ["since=2026-01-02&until=2026-01-02", /^since must be before until/],
        ["cursor=abc", /cursor/],
      ] as const) {
        const r = await raw(server.url, { path: `/runs?${query}` });
        assert.equal(r.status, 400, `${query}: ${r.text}`);
        assert.match(r.json().detail, detail, query);
        assert.equal(r.json().type, query.startsWith("cursor") ? "/docs#problem-bad-cursor" : "/docs#problem-bad-parameter", query);
      }
      const doc = (await raw(server.url, { path: "/openapi.json" })).json();
      const op = doc.paths["/runs"].get;
      assert.deepEqual(op.parameters.map((p: { name: string }) => p.name).filter((n: string) => ["since", "until", "cursor"].includes(n)), ["since", "until", "cursor"]);
      assert.ok(JSON.stringify(op.responses["200"]).includes("next_cursor"));
    } finally {
      await server.close();
    }
  } finally {
    cleanup();
  }
});
