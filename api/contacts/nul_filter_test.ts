// A NUL (%00) in a GET /contacts filter or an edited cursor: PostgreSQL refuses U+0000 in text, so
// it was a 500 there (and a CSV export cut off after its header row), a 200 on DuckDB. Now a 400
// problem naming the parameter on both backends. The PostgreSQL half runs with TEST_POSTGRES_URL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { postContact, raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";

const backends = [
  { name: "DuckDB", skip: false as const, databaseUrl: async (_dir: string) => undefined },
  { name: "PostgreSQL", skip: POSTGRES_SKIP, databaseUrl: (dir: string) => postgresDatabaseFor(dir) },
];

for (const backend of backends) {
  test(`${backend.name}: a NUL in a /contacts filter or cursor is a 400 naming the parameter, JSON and CSV alike`, { skip: backend.skip }, async () => {
    const { dir, cleanup } = tempDir();
    const server = await testServer(dir, { databaseUrl: await backend.databaseUrl(dir) });
    try {
      assert.equal((await postContact(server.url, { first_name: "Ana", last_name: "Ruiz", email: "ana@example.com", city: "Lima", company_name: "Acme", state: "LA" })).status, 201);
      for (const name of ["q", "city", "company", "department", "state"]) {
        for (const format of ["json", "csv"]) {
          const r = await raw(server.url, { path: `/contacts?${name}=a%00b&format=${format}` });
          assert.equal(r.status, 400, `${name} (${format}): ${r.text.slice(0, 200)}`);
          assert.match(String(r.headers["content-type"]), /^application\/problem\+json/);
          const problem = r.json();
          assert.equal(problem.type, "/docs#problem-bad-parameter");
          assert.match(problem.detail, new RegExp(`'${name}'`));
        }
      }
      const cursor = Buffer.from(JSON.stringify(["city", "a\u0000", 1])).toString("base64url");
      const edited = await raw(server.url, { path: `/contacts?sort=city&cursor=${cursor}` });
      assert.equal(edited.status, 400, edited.text.slice(0, 200));
      assert.equal(edited.json().type, "/docs#problem-bad-cursor");
    } finally {
      await server.close();
      cleanup();
    }
  });
}
