// Characters that show as nothing (etl/text BLANK_LOOKING: the Hangul fillers U+3164, U+115F,
// U+1160, U+FFA0, U+2800 BRAILLE PATTERN BLANK...) at the start or end of a department or a first or
// last name: 'Sales\u3164' was a department of its own beside 'Sales', looking exactly like it, and
// 'Ann\u3164' a first name kept with its filler. POST /contacts and the CSV load (on both backends:
// the load's validation runs in DuckDB for either) take them off the ends, as spaces.
import { test } from "node:test";
import assert from "node:assert/strict";
import { raw, postContact, tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";

const backends = [
  { name: "DuckDB", skip: false as const, databaseUrl: async (_dir: string) => undefined },
  { name: "PostgreSQL", skip: POSTGRES_SKIP, databaseUrl: (dir: string) => postgresDatabaseFor(dir) },
];

// Each spelling shows as 'Sales' (or 'Ann', 'Kim'); a variation selector at an end stays (it picks
// the glyph of the character before it: '✈\ufe0f').
const SALES = ["Sales\u3164", "\u3164Sales", "\u115fSales\u1160", "Sales\uffa0", "\u2800Sales\u2800", "Sales \u3164\u200b", "\u034fSales\u17b4"];

for (const backend of backends) {
  test(`${backend.name}: blank-looking characters at the ends of a department or a name are trimmed by POST /contacts and the CSV load`, { skip: backend.skip }, async () => {
    const { dir, cleanup } = tempDir();
    const server = await testServer(dir, { databaseUrl: await backend.databaseUrl(dir) });
    try {
      const first = await postContact(server.url, { first_name: "Ann", last_name: "Lee", email: "a0@example.com", departments: ["Sales", "✈\ufe0f"] });
      assert.equal(first.status, 201, first.text);
      for (const [i, sales] of SALES.entries()) {
        const res = await postContact(server.url, { first_name: "Ann\u3164", last_name: "\uffa0Kim\u2800", email: `a${i + 1}@example.com`, departments: [sales, "영\u3164업\u3164"] });
        assert.equal(res.status, 201, `${JSON.stringify(sales)}: ${res.text}`);
        assert.deepEqual([res.json().first_name, res.json().last_name, res.json().departments], ["Ann", "Kim", ["Sales", "영\u3164업"]], JSON.stringify(sales));
      }
      const lines = ["first_name,last_name,email,department", ...SALES.map((s, i) => `"\u3164Ann\u3164",Kim\u1160,c${i}@example.com,"${s}"`)];
      const res = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv" }, body: lines.join("\n") + "\n" });
      assert.ok(res.status < 300, res.text);
      const departments = (await raw(server.url, { path: "/departments" })).json();
      const names = (Array.isArray(departments) ? departments : departments.items).map((d: { name: string }) => d.name).sort();
      assert.deepEqual(names, ["Sales", "✈\ufe0f", "영\u3164업"].sort(), "one Sales");
      const stored = (await raw(server.url, { path: "/contacts?limit=500" })).json().items as { first_name: string; last_name: string; email: string; departments: string[] }[];
      const loaded = stored.filter((c) => c.email.startsWith("c")).map((c) => [c.first_name, c.last_name, c.departments]);
      assert.deepEqual(loaded, SALES.map(() => ["Ann", "Kim", ["Sales"]]));
    } finally {
      await server.close();
      cleanup();
    }
  });
}
