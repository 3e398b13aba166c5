import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadContacts } from "./contacts/mod.ts";
import { formatContacts, formatOutcome, reasonKind } from "./report.ts";
import { etlCli } from "../scripts/testing/etl_cli.ts";

// Rows 2-4 lost their ZIP's leading zero to a spreadsheet; 5 and 7 have bad e-mails, 6 a bad
// state, 8 one field too few.
const CSV = [
  "first_name,last_name,state,zip,email",
  "Ana,Ruiz,NJ,7102,ana.ruiz@example.com",
  "Bea,Soto,VT,5401,bea.soto@example.com",
  "Cai,Lin,MA,2110,cai.lin@example.com",
  "Dan,Ode,NY,10001,not-an-email",
  "Eva,Paz,Texas,73301,eva.paz@example.com",
  "Fer,Gil,CA,90001,fer@",
  "Gus,Hoy,CA",
  "",
].join("\n");

test("reasonKind() drops what differs row by row: the value quoted back, line numbers", () => {
  assert.equal(reasonKind("must be two letters A-Z; got 'Texas'"), "must be two letters A-Z");
  assert.equal(reasonKind("Restored the leading zero of ZIP code '8014'"), "Restored the leading zero of ZIP code");
  assert.equal(reasonKind("Data row 4: must not be empty"), "must not be empty");
  assert.equal(
    reasonKind("The email 'a@b.co' appears on lines 3, 5 with different city; none of these lines was loaded"),
    "The email '…' appears on lines … with different city; none of these lines was loaded",
  );
});

test("formatContacts() says how many rows of which kind were rejected, the repairs, and where the rejects file went", async () => {
  const dir = mkdtempSync(join(tmpdir(), "report-contacts-"));
  try {
    const csv = join(dir, "contacts.csv");
    writeFileSync(csv, CSV);
    const result = await loadContacts({ csvPath: csv, dataDir: join(dir, "data") });
    assert.deepEqual(formatContacts(result), [
      "Contacts: 3 inserted, 0 updated, 0 unchanged, 4 rejected",
      "  Rejected 4 rows:",
      "    2 rows: 'email' must be an e-mail address like name@example.com (lines 5, 7)",
      "    1 row: could not be read: Has 3 fields; the header has 5 (line 8)",
      "    1 row: 'state' must be two letters A-Z; got 'Texas' (line 6)",
      "  Repaired 3 values:",
      "    3 'zip' values: Restored the leading zero of ZIP code (lines 2, 3, 4)",
      `  Rejects file: ${result.rejects_file} (line, field, reason and value of each)`,
      ...["company_name", "address", "city", "phone1", "phone2"].map((c) => `  warning: Column '${c}' is not in the file; existing values are kept`),
      "  warning: Column 'department' (or 'departments', every name in one cell) is not in the file; no departments are linked",
      `  warning: 4 of 7 rows were rejected; see ${result.rejects_file}`,
    ]);
    assert.equal(result.rejects_file, join(dir, "data", "rejects", `contacts-${result.run_id}.csv`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("formatContacts() counts every reject past the first 100 the summary lists, from the per-field tallies", async () => {
  const dir = mkdtempSync(join(tmpdir(), "report-many-"));
  try {
    const csv = join(dir, "contacts.csv");
    const rows = ["first_name,last_name,state,email"];
    for (let i = 0; i < 150; i++) rows.push(`P${i},Q,NY,not-an-email-${i}`);
    for (let i = 0; i < 3; i++) rows.push(`S${i},T,Texas,s${i}@example.com`);
    rows.push("Ok,Row,NY,ok@example.com", "");
    writeFileSync(csv, rows.join("\n"));
    const result = await loadContacts({ csvPath: csv, dataDir: join(dir, "data") });
    assert.equal(result.rejects.length, 100, "the summary lists the first 100");
    const report = formatContacts(result);
    assert.equal(report[1], "  Rejected 153 rows:");
    assert.equal(report[2], "    150 rows: 'email' must be an e-mail address like name@example.com (the first row's reason; each row's is in the rejects file) (lines 2, 3, 4, 5, 6, 7, ...)");
    assert.equal(report[3], "    3 rows: 'state' must be two letters A-Z (the first row's reason; each row's is in the rejects file) (lines 152, 153, 154)");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run etl prints the rejects and repairs in the human report, not only in --json", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "report-cli-"));
  try {
    const csv = join(dir, "contacts.csv");
    writeFileSync(csv, CSV);
    const { code, stdout, stderr } = await etlCli(["--only", "contacts", "--contacts", csv, "--data-dir", join(dir, "data")]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^Contacts: 3 inserted, 0 updated, 0 unchanged, 4 rejected\n {2}Rejected 4 rows:\n {4}2 rows: 'email' must be an e-mail address/m);
    assert.match(stdout, /\n {4}3 'zip' values: Restored the leading zero of ZIP code \(lines 2, 3, 4\)\n/);
    assert.match(stdout, /\n {2}Rejects file: .*\/data\/rejects\/contacts-\d{8}T\d{9}Z-[0-9a-f]{4}\.csv /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("formatContacts() shows a reason met once in full, and says an unchanged file was not read again", async () => {
  const dir = mkdtempSync(join(tmpdir(), "report-unchanged-"));
  try {
    const csv = join(dir, "contacts.csv");
    writeFileSync(csv, ["first_name,last_name,address,zip,email", "Ana,Ruiz,1 Main St,7102,ana@example.com", "Ana,Ruiz,2 Oak Ave,7102,ana@example.com", ""].join("\n"));
    const first = formatContacts(await loadContacts({ csvPath: csv, dataDir: join(dir, "data") }));
    assert.equal(first[2], "    1 row: 'email' The email 'ana@example.com' is also on line 2; this line differs from line 2 in address and was not loaded (line 3)");
    const again = formatContacts(await loadContacts({ csvPath: csv, dataDir: join(dir, "data") }));
    assert.match(again[0], /^Contacts: contacts\.csv is unchanged since the load of \d{4}-\d\d-\d\dT[\d:.]+Z; nothing was read or written$/);
    assert.equal(again[1], "  That load rejected 1 row of it and repaired 1 value; its run in runs.jsonl has them");
    assert.ok(!again.some((l) => /Repaired|rejects file|Unchanged since/.test(l)), again.join("\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a workbook loaded again with --force reports no changes without claiming its bytes differ", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "report-force-"));
  try {
    const { loadRelationships } = await import("./relationships/mod.ts");
    const workbook = fileURLToPath(new URL("../data/relaciones.xlsx", import.meta.url));
    await loadRelationships({ workbook, dataDir: dir, parquetDir: null });
    const again = await loadRelationships({ workbook, dataDir: dir, parquetDir: null, force: true });
    const lines = formatOutcome({ ok: true, relationships: again, contacts: null });
    assert.ok(lines.includes("  No changes since version 1: the same actors and pairs."), lines.join("\n"));
    assert.doesNotMatch(lines.join("\n"), /bytes differ/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A restore that published nothing (the version asked for is the one served, or another load held
// the lock) read "Relationships: skipped the workbook: Nothing to restore: …": a restore reads no workbook.
test("formatOutcome() says a restore was skipped, not the workbook", () => {
  const run = {
    id: "x", kind: "relationships" as const, status: "skipped" as const, started_at: "", finished_at: "", file: null,
    counts: {}, findings: [], changes: {}, version_id: 4, restored_from: 2,
    error: { code: "already-served", message: "Nothing to restore: version 4, the one served, is already a restore of version 2" },
  };
  const lines = formatOutcome({ ok: true, relationships: { run, changePreview: [], durationMs: 1 }, contacts: null });
  assert.deepEqual(lines, ["Relationships: skipped the restore of version 2: Nothing to restore: version 4, the one served, is already a restore of version 2"]);
});
