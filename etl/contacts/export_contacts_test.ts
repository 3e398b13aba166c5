import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Database } from "../db/mod.ts";
import { tempDir } from "../../scripts/testing/api_server.ts";
import { etlCli } from "../../scripts/testing/etl_cli.ts";
import { parseEtlArgs, type EtlOptions } from "../etl_args.js";
import { writeContactsCsv } from "../../scripts/testing/contacts_csv.ts";
import { until } from "../../scripts/testing/until.ts";
import { contactRecord, contactsExportDir, contactsExportIsCurrent, exportContacts, extendRecord, ingestContacts, loadContacts, migrate, readContactsExport } from "./mod.ts";

const CSV = `first_name,last_name,company_name,address,city,state,zip,phone1,phone2,email,department
Ann,Lee,"Lee, Inc.",1 Elm St,Newark,nj,7102,555-1,,ann@example.com,Sales
Ann,Lee,"Lee, Inc.",1 Elm St,Newark,nj,7102,555-1,,ann@example.com,Support
Bo,O'Neil,,,,,,,,bo@example.com,
`;

/** The rows of a Parquet file, read by a DuckDB of its own (as an analyst's would). */
async function parquetRows(path: string, orderBy: string): Promise<Record<string, unknown>[]> {
  const db = await Database.open(":memory:");
  try {
    return await db.all(`SELECT * FROM read_parquet('${path.replaceAll("'", "''")}') ORDER BY ${orderBy}`);
  } finally {
    db.close();
  }
}

/** A contacts.duckdb in a temp data dir, loaded from CSV, and its export folder. */
async function withLoadedDb(fn: (db: Database, out: string, dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir("contacts-export-");
  const db = await Database.open(join(dir, "contacts.duckdb"));
  try {
    writeFileSync(join(dir, "in.csv"), CSV);
    await migrate(db);
    await ingestContacts(db, join(dir, "in.csv"));
    await fn(db, contactsExportDir(dir), dir);
  } finally {
    db.close();
    cleanup();
  }
}

test("exportContacts() writes the three tables and export.json from one snapshot, without internal columns or idempotency keys", async () => {
  await withLoadedDb(async (db, out) => {
    await db.run("INSERT INTO api_idempotency_keys (key, fingerprint, status, location, body) VALUES ('k', 'f', 201, '/contacts/1', '{}')");
    const result = await exportContacts(db, out, { writtenBy: "etl" });
    assert.equal(result.status, "written", JSON.stringify(result));
    assert.deepEqual(readdirSync(out).sort(), ["contact_departments.parquet", "contacts.parquet", "departments.parquet", "export.json"], "no temp files, nothing else");
    const info = readContactsExport(out)!;
    assert.deepEqual(info.rows, { contacts: 2, departments: 2, contact_departments: 2 });
    assert.equal(info.written_by, "etl");
    assert.equal(info.generation, null);

    const contacts = await parquetRows(join(out, "contacts.parquet"), "id");
    // The columns the API shows, from the definition (a field added there follows); no key, sort or search column.
    const columns = ["id", ...contactRecord.fields.map((f) => f.name), "created_at", "updated_at", "version"];
    assert.deepEqual(Object.keys(contacts[0]), columns);
    assert.ok(columns.includes("phone2") && !Object.keys(contacts[0]).some((c) => c.endsWith("_sort") || c.endsWith("_key") || c === "search_text"));
    assert.deepEqual(await db.all(`SELECT ${columns.join(", ")} FROM contacts ORDER BY id`), contacts);
    assert.equal(contacts[0].zip, "07102", "text stays text: the leading zero is kept");
    assert.deepEqual(await parquetRows(join(out, "departments.parquet"), "id"), await db.all("SELECT id, name, created_at FROM departments ORDER BY id"));
    assert.deepEqual(await parquetRows(join(out, "contact_departments.parquet"), "1, 2"), await db.all("SELECT contact_id, department_id, created_at FROM contact_departments ORDER BY 1, 2"));
    assert.equal(await contactsExportIsCurrent(db, out), true);

    await db.run("UPDATE contacts SET city = 'Boston', version = version + 1 WHERE id = 1");
    assert.equal(await contactsExportIsCurrent(db, out), false, "a write makes the files out of date");
    rmSync(join(out, "departments.parquet"));
    await exportContacts(db, out, { writtenBy: "etl" });
    assert.equal(await contactsExportIsCurrent(db, out), true);
    rmSync(join(out, "departments.parquet"));
    assert.equal(await contactsExportIsCurrent(db, out), false, "a missing file is not current");
  });
});

test("a field added to the definition makes the export out of date although no row changed, and the next export has its column", async () => {
  await withLoadedDb(async (db, out) => {
    assert.equal((await exportContacts(db, out, { writtenBy: "etl" })).status, "written");
    // What a developer adds: one migration (here run by hand) and one field in the definition.
    await db.run("ALTER TABLE contacts ADD COLUMN test_title VARCHAR");
    const record = extendRecord(contactRecord, { name: "test_title", type: "string", maxLength: 80 });
    assert.equal(await contactsExportIsCurrent(db, out), true, "for the definition it was written with");
    assert.equal(await contactsExportIsCurrent(db, out, record), false, "the files lack the new column");
    const again = await exportContacts(db, out, { writtenBy: "etl", record });
    assert.equal(again.status, "written");
    assert.ok(Object.keys((await parquetRows(join(out, "contacts.parquet"), "id"))[0]).includes("test_title"));
    assert.equal(await contactsExportIsCurrent(db, out, record), true);
  });
});

test("a failed export names the folder, removes its temp files and leaves the previous files as they were", async () => {
  await withLoadedDb(async (db, out, dir) => {
    assert.equal((await exportContacts(db, out, { writtenBy: "etl" })).status, "written");
    const before = new Map(readdirSync(out).map((f) => [f, readFileSync(join(out, f))]));
    await db.run("DELETE FROM contact_departments WHERE contact_id = 2; DELETE FROM contacts WHERE id = 2");

    // A file cannot be created in the folder (what a read-only folder or a full disk does; the
    // tests run as root, which any mode bits let through): a folder where a temp file goes.
    mkdirSync(join(out, "departments.parquet.tmp"));
    writeFileSync(join(out, "departments.parquet.tmp", "x"), "x");
    const failed = await exportContacts(db, out, { writtenBy: "etl" });
    assert.equal(failed.status, "failed");
    assert.equal(failed.status === "failed" && failed.error.code, "export-failed");
    assert.match(failed.status === "failed" ? failed.error.message : "", new RegExp(`^Cannot write the contacts export to '${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}': `));
    assert.deepEqual(readdirSync(out).sort(), [...before.keys(), "departments.parquet.tmp"].sort(), "the contacts temp file written before the failure is gone");
    for (const [f, bytes] of before) assert.deepEqual(readFileSync(join(out, f)), bytes, `${f} is as it was`);

    // No folder can be made: a file where it should be.
    rmSync(join(dir, "exports"), { recursive: true });
    writeFileSync(join(dir, "exports"), "not a folder");
    const noFolder = await exportContacts(db, out, { writtenBy: "etl" });
    assert.equal(noFolder.status, "failed");
    assert.match(noFolder.status === "failed" ? noFolder.error.message : "", /Cannot write the contacts export to '.*exports\/contacts': /);
  });
});

test("a direct load (npm run etl, no API) refreshes the export at its end; an unchanged file leaves it; off writes none", async () => {
  const { dir, cleanup } = tempDir("contacts-export-");
  try {
    const csv = join(dir, "contacts.csv");
    writeContactsCsv(csv, 300, 3);
    const out = contactsExportDir(dir);
    const first = await loadContacts({ csvPath: csv, dataDir: dir, exportContacts: true });
    assert.equal(first.via, "direct");
    assert.equal(first.export?.status, "written");
    const info = readContactsExport(out)!;
    assert.equal(info.rows.contacts, first.contacts);
    assert.equal((await parquetRows(join(out, "contacts.parquet"), "id")).length, first.contacts);

    const again = await loadContacts({ csvPath: csv, dataDir: dir, exportContacts: true });
    assert.deepEqual(again.export, { status: "current", dir: out });
    assert.equal(readContactsExport(out)!.exported_at, info.exported_at, "not written again");

    // The command as users run it: the setting reaches the load, and the report says where.
    writeFileSync(csv, CSV);
    const cli = await etlCli(["--only", "contacts"], { env: { ...process.env, DATA_DIR: dir, CONTACTS_EXPORT: "5m" } });
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /Parquet for analysts: \d+ contacts written to .*exports\/contacts/);
    const emails = (await parquetRows(join(out, "contacts.parquet"), "id")).map((r) => r.email);
    assert.ok(emails.includes("ann@example.com") && emails.includes("bo@example.com"), "the new file's people are in the export");

    assert.equal((parseEtlArgs([], { ...process.env, CONTACTS_EXPORT: "off" }) as EtlOptions).contactsExport, false, "off: the load is not asked to export");
    const offDir = join(dir, "off");
    mkdirSync(offDir);
    writeFileSync(join(offDir, "contacts.csv"), CSV);
    assert.equal((await loadContacts({ csvPath: join(offDir, "contacts.csv"), dataDir: offDir })).export, null);
    assert.equal(existsSync(join(offDir, "exports")), false);
  } finally {
    cleanup();
  }
});

test("an analyst who reads export.json before and after the files, as documented, never takes a mix of two exports for one", { timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir("contacts-export-");
  const db = await Database.open(join(dir, "contacts.duckdb"));
  const out = contactsExportDir(dir);
  let reader: ChildProcess | undefined;
  try {
    await migrate(db);
    assert.equal((await exportContacts(db, out, { writtenBy: "etl" })).status, "written");
    // The README's protocol, in another process (as an analyst's DuckDB is): export.json, both
    // files, export.json again; a read counts when exported_at did not move and neither read
    // said complete: false, and then the files must hold what export.json says.
    const script = join(dir, "reader.mts");
    const dbModule = fileURLToPath(new URL("../db/mod.ts", import.meta.url));
    writeFileSync(
      script,
      `import { Database } from ${JSON.stringify(dbModule)};
import { readFileSync } from "node:fs";
const dir = process.argv[2];
const db = await Database.open(":memory:");
const info = () => { try { return JSON.parse(readFileSync(dir + "/export.json", "utf8")); } catch { return undefined; } };
let counted = 0, mixed = 0, first = "";
process.stdout.write("reading\\n");
for (;;) {
  if (readFileSync(dir + "/../stop", { flag: "a+" }).length > 0) break;
  const before = info();
  let files;
  try {
    files = (await db.all("SELECT (SELECT count(*) FROM read_parquet('" + dir + "/contacts.parquet'))::INTEGER AS contacts, (SELECT count(*) FROM read_parquet('" + dir + "/departments.parquet'))::INTEGER AS departments"))[0];
  } catch { continue; }
  const after = info();
  if (before === undefined || after === undefined || after.exported_at !== before.exported_at || before.complete === false || after.complete === false) continue;
  if (++counted === 1) process.stdout.write("counted\\n");
  if (files.contacts !== after.rows.contacts || files.departments !== after.rows.departments) {
    mixed++;
    first ||= "export.json says " + after.rows.contacts + " contacts and " + after.rows.departments + " departments, the files hold " + files.contacts + " and " + files.departments;
  }
}
console.log(JSON.stringify({ counted, mixed, first }));
`,
    );
    reader = spawn(process.execPath, [...process.execArgv, script, out], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    reader.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    // "close", not "exit": its last line may still be in the pipe when it exits.
    const exited = new Promise<void>((resolve) => reader!.on("close", () => resolve()));
    await until("the reader runs", () => output.includes("reading"));
    // Each export holds one contact and one department more than the one before.
    const exportOneMore = async (n: number) => {
      await db.run(`INSERT INTO departments (name) VALUES ('Department ${n}')`);
      await db.run(`INSERT INTO contacts (first_name, last_name, email, email_key) VALUES ('Ann', 'Lee', 'ann${n}@example.com', 'ann${n}@example.com')`);
      assert.equal((await exportContacts(db, out, { writtenBy: "etl" })).status, "written");
    };
    let n = 0;
    while (n < 60) await exportOneMore(++n);
    // A read counts only when no export renamed files during it: a reader slower than an export (a
    // loaded machine) may have counted none of those. The exports go on, each after a longer pause,
    // until a read between two of them counted, so the check below is never vacuous.
    const deadline = Date.now() + 60_000;
    for (let pause = 10; !output.includes("counted"); pause = Math.min(2 * pause, 2000)) {
      assert.ok(Date.now() < deadline, `no read counted after ${n} exports: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, pause));
      await exportOneMore(++n);
    }
    writeFileSync(join(dir, "exports", "stop"), "stop");
    await exited;
    const result = JSON.parse(output.trim().split("\n").at(-1)!) as { counted: number; mixed: number; first: string };
    assert.ok(result.counted > 0, output);
    assert.deepEqual({ mixed: result.mixed, first: result.first }, { mixed: 0, first: "" }, `${result.mixed} of ${result.counted} reads took a mixed set for one export`);
    assert.equal(readContactsExport(out)!.complete, true);

    // An export stopped between its renames (a crash) leaves complete: false, which start-up repairs.
    const info = readContactsExport(out)!;
    writeFileSync(join(out, "export.json"), JSON.stringify({ ...info, complete: false }));
    assert.equal(await contactsExportIsCurrent(db, out), false, "an incomplete set is not current");
  } finally {
    reader?.kill();
    db.close();
    cleanup();
  }
});
