// GET /runs/{id}/rejects and /runs/{id}/rejects.csv over a real contacts load (its rejects file
// written by the real loadContacts), the real server on port 0, and requests that try to reach
// other files: path escapes, encoded slashes, a symlink planted in the rejects folder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadContacts } from "../../etl/contacts/mod.ts";
import { appendRun } from "../../etl/runs/mod.ts";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";

test("GET /runs/{id}/rejects lists a contacts run's rejected rows; /rejects.csv downloads the file; nothing else is reachable", async (t) => {
  const { dir, cleanup } = tempDir("rejects-route-");
  const dataDir = join(dir, "data");
  try {
    const csv = join(dir, "contacts.csv");
    // Line 3 has a bad e-mail, line 4 two bad fields, line 5 a value a spreadsheet would run.
    writeFileSync(csv, 'first_name,last_name,state,email\nAna,Ruiz,LA,ana@example.com\nBea,Soto,LA,nope\nCai,,Texas,cai@example.com\nDan,Ode,LA,"=1+1, ""x"""\n');
    const bad = await loadContacts({ csvPath: csv, dataDir });
    writeFileSync(csv, "first_name,last_name,email\nAna,Ruiz,ana@example.com\n");
    const clean = await loadContacts({ csvPath: csv, dataDir });
    assert.equal(clean.rejects_file, null);
    appendRun(dataDir, {
      id: "20261130T000000000Z-0a0b", kind: "relationships", status: "failed", started_at: "2026-11-30T00:00:00.000Z",
      finished_at: "2026-11-30T00:00:01.000Z", file: null, counts: {}, findings: [], changes: {}, error: { code: "not-zip", message: "x" },
    });
    // A link where the clean run's report would be, pointing at a file that must never be served.
    symlinkSync(join(dataDir, "runs.jsonl"), join(dataDir, "rejects", `contacts-${clean.run_id}.csv`));
    const server = await testServer(dataDir);
    try {
      await t.test("JSON: the first rejects with line, field, reason and value, the total and the download link", async () => {
        const r = await raw(server.url, { path: `/runs/${bad.run_id}/rejects?limit=3` });
        assert.equal(r.status, 200, r.text);
        const body = r.json();
        assert.equal(body.run_id, bad.run_id);
        assert.equal(body.total, bad.rejects.length);
        assert.equal(body.download, `/runs/${bad.run_id}/rejects.csv`);
        // The file writes a missing value and an empty one alike; both read back as null.
        assert.deepEqual(body.items, bad.rejects.slice(0, 3).map((r) => ({ ...r, value: r.value || null })));
        const all = (await raw(server.url, { path: `/runs/${bad.run_id}/rejects` })).json();
        assert.deepEqual(all.items.map((i: { line: number }) => i.line), [3, 4, 4, 5]);
        assert.equal(all.items[3].value, "'=1+1, \"x\"", "a formula keeps the guard the file gives it; quotes and commas survive");
      });
      await t.test("CSV: the file as the load wrote it, as an attachment (also by Accept or format=csv)", async () => {
        const expected = readFileSync(bad.rejects_file!, "utf8");
        const r = await raw(server.url, { path: `/runs/${bad.run_id}/rejects.csv` });
        assert.equal(r.status, 200);
        assert.equal(r.headers["content-type"], "text/csv; charset=utf-8");
        assert.equal(r.headers["content-disposition"], `attachment; filename="contacts-${bad.run_id}-rejects.csv"`);
        assert.equal(r.text, expected);
        assert.equal((await raw(server.url, { path: `/runs/${bad.run_id}/rejects`, headers: { accept: "text/csv" } })).text, expected);
        assert.equal((await raw(server.url, { path: `/runs/${bad.run_id}/rejects?format=csv` })).text, expected);
        // Before, limit was checked ahead of the CSV branch that ignores it: this was a 400.
        const ignored = await raw(server.url, { path: `/runs/${bad.run_id}/rejects?format=csv&limit=5000` });
        assert.equal(ignored.status, 200, ignored.text);
        assert.equal(ignored.text, expected, "the whole file, limit ignored");
        assert.equal((await raw(server.url, { method: "HEAD", path: `/runs/${bad.run_id}/rejects.csv` })).status, 200);
      });
      await t.test("JSON: a limit out of range or given twice is a 400 naming it", async () => {
        for (const [query, detail] of [["limit=5000", /limit must be an integer from 1 to 1000/], ["limit=1&limit=2", /'limit' is given more than once/]] as const) {
          const r = await raw(server.url, { path: `/runs/${bad.run_id}/rejects?${query}` });
          assert.equal(r.status, 400, query);
          assert.match(r.json().detail, detail);
        }
      });
      await t.test("404 with a reason: unknown run, a relationships run, a run that rejected nothing", async () => {
        for (const [path, code, detail] of [
          ["/runs/20261130T000000000Z-ffff/rejects.csv", "not-found", /No run has id/],
          ["/runs/20261130T000000000Z-0a0b/rejects.csv", "no-rejects", /is a relationships load/],
          [`/runs/${clean.run_id}/rejects`, "no-rejects", /has no rejects file \(it rejected 0 rows\)/],
        ] as const) {
          const r = await raw(server.url, { path });
          assert.equal(r.status, 404, path);
          assert.equal(r.json().type, `/docs#problem-${code}`, path);
          assert.match(r.json().detail, detail);
        }
      });
      await t.test("path tricks reach nothing: dot segments, encoded slashes, NUL, a planted symlink", async () => {
        const runsJsonl = readFileSync(join(dataDir, "runs.jsonl"), "utf8");
        for (const path of [
          `/runs/${clean.run_id}/rejects.csv`,
          "/runs/..%2Fruns.jsonl%00/rejects.csv",
          "/runs/..%2F..%2Fdata%2Fruns.jsonl/rejects.csv",
          "/runs/%2E%2E/rejects.csv",
          "/runs/../rejects.csv",
          `/runs/${bad.run_id}%2F..%2F..%2Fruns.jsonl/rejects.csv`,
          `/runs/${bad.run_id}/../../runs.jsonl`,
        ]) {
          const r = await raw(server.url, { path });
          assert.ok(r.status === 404 || r.status === 400, `${path}: ${r.status}`);
          assert.ok(!r.text.includes(runsJsonl.slice(0, 40)), `${path} served runs.jsonl`);
        }
      });
    } finally {
      await server.close();
    }
  } finally {
    cleanup();
  }
});

test("POST /imports/contacts with the CSV as its body records a run: every reject is in its rejects report, past the answer's first 100", async () => {
  // Before: such an import wrote no report and recorded no run, so `rejects_file` was null with 150
  // rows rejected and only the first 100 could ever be seen.
  const { dir, cleanup } = tempDir("body-import-run-");
  const server = await testServer(dir);
  try {
    const rows = Array.from({ length: 160 }, (_, i) => `P${i},Lee,${i < 150 ? "Texas" : "TX"},p${i}@example.com`);
    const post = (body: string) =>
      raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv", "x-source-name": "people.csv" }, body });
    const res = await post(`first_name,last_name,state,email\n${rows.join("\n")}\n`);
    assert.equal(res.status, 200, res.text);
    const summary = res.json();
    assert.deepEqual([summary.inserted, summary.rejected, summary.rejects.length], [10, 150, 100]);
    assert.match(summary.run_id, /^\d{8}T\d{9}Z-[0-9a-f]{4}$/);
    assert.equal(summary.rejects_file, join(dir, "rejects", `contacts-${summary.run_id}.csv`));
    const run = await raw(server.url, { path: `/runs/${summary.run_id}` });
    assert.equal(run.status, 200, run.text);
    assert.equal(run.json().kind, "contacts");
    assert.equal(run.json().status, "succeeded");
    assert.equal(run.json().file.name, "people.csv");
    assert.deepEqual([run.json().counts.inserted, run.json().counts.rejected], [10, 150]);
    const report = await raw(server.url, { path: `/runs/${summary.run_id}/rejects.csv` });
    assert.equal(report.status, 200, report.text);
    assert.equal(report.text.trimEnd().split("\r\n").length, 1 + 150, "a header and every reject");
    // A body that cannot be loaded at all is a failed run, with the answer's reason.
    const failed = await post("first_name,email\nAna,ana@example.com\n");
    assert.equal(failed.status, 422, failed.text);
    const runs = (await raw(server.url, { path: "/runs?kind=contacts" })).json().items as { status: string; error: { code: string; message: string } | null }[];
    assert.equal(runs.length, 2);
    const last = runs.find((r) => r.status === "failed");
    assert.equal(last?.error?.code, "missing-column");
    assert.match(last?.error?.message ?? "", /people\.csv|upload\.csv/);
  } finally {
    await server.close();
    cleanup();
  }
});

test("a skipped (unchanged) contacts run serves the rejects of the load it repeats: JSON, CSV, the import's answer", async (t) => {
  // Before: the second load of the same CSV was a skipped run with counts.rejected 3 and no rejects
  // file, so /runs/{id}/rejects.csv answered 404 no-rejects ("it rejected 3 rows") for the newest
  // run, the one the dashboard opens, with a download button on it.
  const csvText = "first_name,last_name,state,email\nAna,Ruiz,LA,ana@example.com\nBea,Soto,LA,nope\nCai,Paz,Texas,cai@example.com\nDan,Ode,ZZZ,dan@example.com\n";
  await t.test("npm run etl twice (loadContacts, no API running)", async () => {
    const { dir, cleanup } = tempDir("rejects-skip-cli-");
    const dataDir = join(dir, "data");
    try {
      const csv = join(dir, "bad.csv");
      writeFileSync(csv, csvText);
      const first = await loadContacts({ csvPath: csv, dataDir });
      const second = await loadContacts({ csvPath: csv, dataDir });
      assert.notEqual(second.unchanged_since, undefined);
      assert.equal(second.rejected, 3);
      assert.equal(second.rejects_file, join(dataDir, "rejects", `contacts-${second.run_id}.csv`));
      const server = await testServer(dataDir);
      try {
        const run = (await raw(server.url, { path: `/runs/${second.run_id}` })).json();
        assert.deepEqual([run.status, run.counts.rejected], ["skipped", 3]);
        const csvAnswer = await raw(server.url, { path: `/runs/${second.run_id}/rejects.csv` });
        assert.equal(csvAnswer.status, 200, csvAnswer.text);
        assert.equal(csvAnswer.text, readFileSync(first.rejects_file!, "utf8"));
        const json = await raw(server.url, { path: `/runs/${second.run_id}/rejects` });
        assert.equal(json.status, 200, json.text);
        assert.deepEqual(json.json().items, first.rejects);
        assert.equal(json.json().total, 3);
      } finally {
        await server.close();
      }
    } finally {
      cleanup();
    }
  });
  await t.test("POST /imports/contacts with the same body twice", async () => {
    const { dir, cleanup } = tempDir("rejects-skip-body-");
    const server = await testServer(dir);
    try {
      const post = () => raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv", "x-source-name": "bad.csv" }, body: csvText });
      const first = (await post()).json();
      const res = await post();
      assert.equal(res.status, 200, res.text);
      const second = res.json();
      assert.notEqual(second.unchanged_since, undefined);
      assert.equal(second.rejected, 3);
      assert.deepEqual(second.rejects, first.rejects, "the answer's first rejects");
      assert.equal(second.rejects_file, join(dir, "rejects", `contacts-${second.run_id}.csv`));
      assert.equal((await raw(server.url, { path: `/runs/${second.run_id}` })).json().status, "skipped");
      const report = await raw(server.url, { path: `/runs/${second.run_id}/rejects.csv` });
      assert.equal(report.status, 200, report.text);
      assert.equal(report.text, readFileSync(first.rejects_file, "utf8"));
    } finally {
      await server.close();
      cleanup();
    }
  });
});
