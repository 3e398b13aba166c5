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

test("contacts import: a UTF-16 body is a 422 not-utf8 naming UTF-16, its detail free of raw NUL characters (review)", async () => {
  // Before: 422 missing-column whose detail carried 87 NUL characters and 2 U+FFFD of the header.
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    const text = "first_name\tlast_name\temail\r\nAnn\tLee\tann@example.com\r\n";
    const body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    const res = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv", "x-source-name": "unicode.csv" }, body });
    assert.equal(res.status, 422, res.text);
    const problem = res.json();
    assert.equal(problem.type, "/docs#problem-not-utf8");
    assert.match(problem.detail, /^Contacts file 'unicode\.csv' is UTF-16 text/);
    assert.doesNotMatch(problem.detail, /[\u0000\ufffd]/);
  } finally {
    await server.close();
    cleanup();
  }
});
