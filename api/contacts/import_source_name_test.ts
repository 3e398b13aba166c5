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
