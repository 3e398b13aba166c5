import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { ingestContacts, migrate } from "../../etl/contacts/mod.ts";
import { Database } from "../../etl/db/mod.ts";

test("contacts import: a CSV body's row that is not UTF-8 is shown as it is in the body, as a load of the same file shows it (review)", async () => {
  // DuckDB's text of such a row showed the byte as '?' and lost the byte after it (here the comma
  // and, in the quoted row of two lines, the closing quote): "Jos??Ray,...".
  const body = Buffer.concat([
    Buffer.from("first_name,last_name,email,address,department\nAnn,Peña,ann@example.com,,Sales\nJos"),
    Buffer.from([0xe9]),
    Buffer.from(',Ray,b@example.com,,Sales\n"Zo'),
    Buffer.from([0xeb]),
    Buffer.from('",Fox,zoe@example.com,"Flat 2\nBack Y'),
    Buffer.from([0xe4]),
    Buffer.from('rd",Sales\n'),
  ]);
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    const res = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv" }, body });
    assert.equal(res.status, 200, res.text);
    const summary = res.json() as { run_id: string; rejects: { line: number; field: string; reason: string; value: string }[] };
    assert.deepEqual(
      summary.rejects.map((r) => [r.line, r.value]),
      [
        [3, "Jos\\xE9,Ray,b@example.com,,Sales"],
        [4, '"Zo\\xEB",Fox,zoe@example.com,"Flat 2\nBack Y\\xE4rd",Sales'],
      ],
    );
    const report = await raw(server.url, { path: `/runs/${summary.run_id}/rejects.csv` });
    assert.equal(report.status, 200, report.text);
    // A load of the same file gives the same report, line for line.
    const db = await Database.open(":memory:");
    try {
      await migrate(db);
      const file = join(dir, "same.csv");
      writeFileSync(file, body);
      const direct = await ingestContacts(db, file, { rejectsFile: join(dir, "direct-rejects.csv") });
      assert.deepEqual(direct.rejects, summary.rejects);
      assert.equal(report.text, readFileSync(direct.rejects_file!, "utf8"));
    } finally {
      await db.close();
    }
  } finally {
    await server.close();
    cleanup();
  }
});
