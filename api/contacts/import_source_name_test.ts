import { test } from "node:test";
import assert from "node:assert/strict";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";

test("contacts import: a refused file's message names it by its own name, even one with $ patterns ($&, $$, $', $`)", async () => {
  // The message's path of our copy was replaced with String.replaceAll(path, name): a name is a
  // replacement pattern there, so 'a$&b.csv' showed the server's path of the upload, "$'" the rest of
  // the message and "$$" one dollar. cleanName kept '$' once it kept the file's own name.
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    // Lines that end in two ways: the load refuses the file and names it.
    const csv = "first_name,last_name,email\r\nAnn,Lee,ann@example.com\nBob,Ray,bob@example.com\r\n";
    for (const name of ["a$&b.csv", "Budget $$ 2026.csv", "x$'y.csv", "x$`y.csv"]) {
      const res = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv", "x-source-name": name }, body: csv });
      assert.equal(res.status, 422, res.text);
      const detail = res.json().detail as string;
      assert.ok(detail.includes(`'${name}'`), `${name}: ${detail}`);
      assert.doesNotMatch(detail, /uploads|body-/, `${name}: ${detail}`);
    }
  } finally {
    await server.close();
    cleanup();
  }
});

test("contacts import: the JSON naming an upload is held to 1 MiB; only a CSV body may be 64 MiB", async () => {
  // The route's 64 MiB applied to both: 60 MB of JSON took the server to 1.6 GB and 21 s of
  // parsing on the event loop before its 404, for a request that needs a few names.
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    const padded = `{"upload": "nope.csv", "source_name": "a.csv"${" ".repeat(2 * 1024 * 1024)}}`;
    const json = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "application/json" }, body: padded });
    assert.equal(json.status, 413, json.text);
    assert.equal(json.json().type, "/docs#problem-content-too-large");
    // A small one is read as before (the upload is not there: 404).
    const small = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "application/json" }, body: '{"upload": "nope.csv"}' });
    assert.equal(small.status, 404, small.text);
    // A CSV body past 1 MiB is still accepted.
    const rows = Array.from({ length: 20_000 }, (_, i) => `Ann${String.fromCharCode(97 + (i % 26))},Lee,ann${i}@example.com,${"x".repeat(40)}`).join("\n");
    const csv = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv" }, body: `first_name,last_name,email,address\n${rows}\n` });
    assert.ok(csv.text.length > 0 && Buffer.byteLength(rows) > 1024 * 1024);
    assert.equal(csv.status, 200, csv.text.slice(0, 300));
    assert.equal(csv.json().inserted, 20_000);
  } finally {
    await server.close();
    cleanup();
  }
});
