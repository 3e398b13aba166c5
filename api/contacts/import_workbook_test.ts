import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";

test("contacts import: an Excel workbook sent as the CSV is a 422 that names it as a workbook, documented on /docs, without its bytes (review)", async () => {
  // Before: 422 missing-column whose detail showed 200 characters of the ZIP's binary and said the
  // file looked encoded as UTF-16.
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    const body = readFileSync(fileURLToPath(new URL("../../data/relaciones.xlsx", import.meta.url)));
    const res = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv", "x-source-name": "book.csv" }, body });
    assert.equal(res.status, 422, res.text);
    const problem = res.json();
    assert.equal(problem.type, "/docs#problem-not-csv");
    assert.match(problem.detail, /^Contacts file 'book\.csv' is an Excel workbook \(\.xlsx\)/);
    assert.doesNotMatch(problem.detail, /UTF-16|\\u0000|PK/);
    const docs = (await raw(server.url, { path: "/docs" })).text;
    assert.ok(docs.includes('id="problem-not-csv"'), "not-csv has its entry on /docs");
    const count = (await raw(server.url, { path: "/contacts" })).json().items.length;
    assert.equal(count, 0, "nothing was loaded");
  } finally {
    await server.close();
    cleanup();
  }
});
