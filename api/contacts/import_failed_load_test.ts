// POST /imports/contacts of a CSV body the load cannot use any row of: every row rejected, or a
// header and no data rows. Before, the answer was a 200 with no warning while GET /runs/{id} said the
// run failed (all rejected), or a succeeded run (header only). Now both are a 422 problem document
// naming the failure, with the run and the load's summary, as the run record says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";

const HEADER = "first_name,last_name,company_name,address,city,state,zip,phone1,phone2,email,department";

async function withServer(fn: (url: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir("import-failed-");
  const server = await testServer(dir);
  try {
    await fn(server.url);
  } finally {
    await server.close();
    cleanup();
  }
}

function postCsv(url: string, body: string) {
  return raw(url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv", "x-source-name": "export.csv" }, body });
}

test("POST /imports/contacts answers 422 all-rejected when every row is rejected, with the run and its rejects", async () => {
  await withServer(async (url) => {
    const res = await postCsv(url, `${HEADER}\nAnn,Lee,,1 St,Boston,MA,02108,,,annexample.com,Sales\nBob,Ray,,1 St,Boston,MA,02108,,,bobexample.com,Sales\n`);
    assert.equal(res.status, 422, res.text);
    assert.match(res.headers["content-type"] as string, /^application\/problem\+json/);
    const problem = res.json();
    assert.equal(problem.type, "/docs#problem-all-rejected");
    assert.match(problem.detail, /^export\.csv: all 2 rows were rejected; nothing was loaded/);
    assert.equal(typeof problem.run_id, "string");
    assert.deepEqual([problem.summary.rows, problem.summary.rejected, problem.summary.inserted], [2, 2, 0]);
    assert.deepEqual(problem.summary.rejects.map((r: { line: number; field: string }) => [r.line, r.field]), [[2, "email"], [3, "email"]]);
    const run = (await raw(url, { path: `/runs/${problem.run_id}` })).json();
    assert.equal(run.status, "failed");
    assert.deepEqual(run.error, { code: "all-rejected", message: problem.detail });
    // Some rejected: a load that succeeded, with the warning.
    const some = await postCsv(url, `${HEADER}\nAnn,Lee,,1 St,Boston,MA,02108,,,ann@example.com,Sales\nBob,Ray,,1 St,Boston,MA,02108,,,bobexample.com,Sales\n`);
    assert.equal(some.status, 200, some.text);
    assert.equal(some.json().warnings.filter((w: string) => /^1 of 2 rows was rejected; see /.test(w)).length, 1, some.text);
  });
});

test("POST /imports/contacts answers 422 no-rows for a header and no data rows, and records a failed run", async () => {
  await withServer(async (url) => {
    for (const body of [`${HEADER}\n`, `${HEADER}\n\n\n`]) {
      const res = await postCsv(url, body);
      assert.equal(res.status, 422, res.text);
      const problem = res.json();
      assert.equal(problem.type, "/docs#problem-no-rows");
      assert.equal(problem.detail, "export.csv has a header and no data rows; nothing was loaded");
      assert.equal(problem.summary.rows, 0);
      const run = (await raw(url, { path: `/runs/${problem.run_id}` })).json();
      assert.equal(run.status, "failed");
      assert.deepEqual(run.error, { code: "no-rows", message: problem.detail });
    }
  });
});
