// Names made only of letters that render blank: the Hangul fillers (U+3164, U+115F, U+1160, U+FFA0)
// are letters (Lo) to Unicode, so a first name of U+3164 passed "at least one letter" and was stored
// as a name that shows as nothing, and a department of U+2800 (Braille blank, So) was one of its
// own. The API and the CSV load (on both backends: its validation runs in DuckDB for either) refuse
// such a name as they refuse one of spaces; real Hangul, and a filler between real letters, stay.
import { test } from "node:test";
import assert from "node:assert/strict";
import { raw, postContact, tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";

const BLANK = ["\u3164", "\u115f", "\u1160", "\uffa0", "\u2800", "\u3164\u3164", " \u3164\u200b ", "\u2800\u3164"];

const backends = [
  { name: "DuckDB", skip: false as const, databaseUrl: async (_dir: string) => undefined },
  { name: "PostgreSQL", skip: POSTGRES_SKIP, databaseUrl: (dir: string) => postgresDatabaseFor(dir) },
];

for (const backend of backends) {
  test(`${backend.name}: a name or department of nothing but blank-looking letters is refused by POST /contacts and the CSV load; Hangul names stay`, { skip: backend.skip }, async () => {
    const { dir, cleanup } = tempDir();
    const server = await testServer(dir, { databaseUrl: await backend.databaseUrl(dir) });
    try {
      for (const [i, blank] of BLANK.entries()) {
        const first = await postContact(server.url, { first_name: blank, last_name: "Kim", email: `f${i}@example.com` });
        assert.equal(first.status, 422, `first_name ${JSON.stringify(blank)}: ${first.text}`);
        assert.ok(first.text.includes("first_name"), first.text);
        const last = await postContact(server.url, { first_name: "Min", last_name: blank, email: `l${i}@example.com` });
        assert.equal(last.status, 422, `last_name ${JSON.stringify(blank)}: ${last.text}`);
        const dept = await postContact(server.url, { first_name: "Min", last_name: "Kim", email: `d${i}@example.com`, departments: ["Sales", blank] });
        assert.equal(dept.status, 422, `department ${JSON.stringify(blank)}: ${dept.text}`);
        assert.ok(dept.text.includes("departments[1]"), dept.text);
      }
      for (const [i, name] of ["김민준", "김\u3164민준", "ᄀ"].entries()) {
        const ok = await postContact(server.url, { first_name: name, last_name: "김", email: `ok${i}@example.com`, departments: [`영업${name}`] });
        assert.equal(ok.status, 201, `${JSON.stringify(name)}: ${ok.text}`);
      }

      // The CSV load: a blank first or last name is a reject naming its line and field; a blank
      // department cell is no department, as an empty one (or one of spaces) is.
      const lines = ["first_name,last_name,email,department", "김민준,김,c1@example.com,영업", ...BLANK.map((b, i) => `"${b}",Kim,cf${i}@example.com,Sales`), ...BLANK.map((b, i) => `Min,"${b}",cl${i}@example.com,Sales`), ...BLANK.map((b, i) => `Min,Kim,cd${i}@example.com,"${b}"`)];
      const res = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv" }, body: lines.join("\n") + "\n" });
      assert.ok(res.status < 300, res.text);
      const departments = (await raw(server.url, { path: "/departments" })).json();
      const names = (Array.isArray(departments) ? departments : departments.items).map((d: { name: string }) => d.name);
      assert.deepEqual(names.filter((n: string) => !/\p{L}{2}/u.test(n.replace(/[\u3164\u115f\u1160\uffa0\u2800]/gu, ""))), [], `departments: ${JSON.stringify(names)}`);
      const stored = (await raw(server.url, { path: "/contacts?limit=500" })).json().items as { first_name: string; last_name: string; email: string; departments: string[] }[];
      const blankStored = stored.filter((c) => BLANK.some((b) => b.trim() === c.first_name || b.trim() === c.last_name));
      assert.deepEqual(blankStored.map((c) => c.email), [], "no contact with a blank name was loaded");
      const cd = stored.filter((c) => c.email.startsWith("cd")).map((c) => [c.email, c.departments]);
      assert.deepEqual(cd, BLANK.map((_, i) => [`cd${i}@example.com`, []]).sort(), "a blank department cell is no department");
    } finally {
      await server.close();
      cleanup();
    }
  });
}
