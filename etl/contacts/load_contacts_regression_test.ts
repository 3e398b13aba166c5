// Regression tests for contacts-load defects (issues 11 and 12), each seen failing before its fix:
// they run the real loader against a real API on port 0 (the hand-over) and directly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readRuns } from "../runs/mod.ts";
import { tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { Database } from "../db/mod.ts";
import { ingestContacts } from "./ingest_contacts.ts";
import { loadContacts } from "./load_contacts.ts";
import { migrate } from "./migrate.ts";
import { MAX_REJECT_VALUE_CHARS } from "./_ingest_sql.ts";

const HEADER = "first_name,last_name,company_name,address,city,state,zip,phone1,phone2,email,department";

/** Runs `fn` once for a direct load and once for a hand-over to a running API on the same data dir. */
async function bothPaths(fn: (via: "direct" | "api", dir: string) => Promise<void>): Promise<void> {
  for (const via of ["direct", "api"] as const) {
    const { dir, cleanup } = tempDir("contacts-regression-");
    const server = via === "api" ? await testServer(dir, { announce: true }) : undefined;
    try {
      await fn(via, dir);
    } finally {
      await server?.close();
      cleanup();
    }
  }
}

test("a file whose every row is rejected is a failed run; some rejected is a success with a warning", async (t) => {
  await bothPaths(async (via, dir) => {
    await t.test(`${via}: all rejected`, async () => {
      const csvPath = join(dir, "bad.csv");
      writeFileSync(csvPath, `${HEADER}\nAnn,Lee,,,,Texas,12204,,,ann@example.com,Sales\nBob,Ray,,,,NY,1,,,bob@example,Sales\n`);
      await assert.rejects(loadContacts({ csvPath, dataDir: dir }), (error: unknown) => {
        assert.equal((error as { code?: string }).code, "all-rejected");
        assert.match((error as Error).message, /bad\.csv: all 2 rows were rejected/);
        assert.match((error as Error).message, /rejects[/\\]contacts-.*\.csv/, "names the rejects report");
        return true;
      });
      const run = readRuns(dir).at(-1)!;
      assert.equal(run.status, "failed");
      assert.equal(run.error?.code, "all-rejected");
      assert.equal(run.counts.rejected, 2);
    });
    await t.test(`${via}: some rejected`, async () => {
      const csvPath = join(dir, "some.csv");
      writeFileSync(csvPath, `${HEADER}\nAnn,Lee,,,,NY,12204,,,ann@example.com,Sales\nBob,Ray,,,,NY,1,,,bob@example,Sales\n`);
      const result = await loadContacts({ csvPath, dataDir: dir });
      assert.equal(result.via, via);
      assert.equal(readRuns(dir).at(-1)?.status, "succeeded");
      assert.equal(result.warnings.filter((w) => /1 of 2 rows was rejected; see .*rejects/.test(w)).length, 1, result.warnings.join("\n"));
    });
  });
});

test("an empty CSV is named in the error whichever path the load took", async () => {
  await bothPaths(async (via, dir) => {
    const csvPath = join(dir, "empty-export.csv");
    writeFileSync(csvPath, "");
    await assert.rejects(loadContacts({ csvPath, dataDir: dir }), (error: unknown) => {
      assert.equal((error as { code?: string }).code, via === "api" ? "api-rejected" : "empty-file", via);
      assert.match((error as Error).message, /empty-export\.csv' is empty/, via);
      return true;
    });
  });
});

test("the rejects report neutralises formula cells starting with - and @ (and = +)", async () => {
  const { dir, cleanup } = tempDir("contacts-regression-");
  try {
    const csvPath = join(dir, "formulas.csv");
    writeFileSync(
      csvPath,
      `${HEADER}\nAnn,Lee,,,,-2+3+cmd,12204,,,ann@example.com,Sales\nBob,Ray,,,,@SUM(A1),12204,,,bob@example.com,Sales\n` +
        `Cid,Cox,,,,=1+1,12204,,,cid@example.com,Sales\nDee,Day,,,,+1,12204,,,dee@example.com,Sales\nEve,Fox,,,,NY,12204,,,eve@example.com,Sales\n`,
    );
    const result = await loadContacts({ csvPath, dataDir: dir });
    const report = readFileSync(result.rejects_file!, "utf8").trim().split("\r\n").slice(1);
    const values = report.map((line) => line.slice(line.lastIndexOf(",") + 1));
    assert.deepEqual(values, ["'-2+3+cmd", "'@SUM(A1)", "'=1+1", "'+1"]);
  } finally {
    cleanup();
  }
});

test("rows that differ only by e-mail case or department merge; only a true conflict is rejected, naming its fields", async () => {
  const { dir, cleanup } = tempDir("contacts-regression-");
  const db = await Database.open(join(dir, "contacts.duckdb"));
  try {
    await migrate(db);
    const csvPath = join(dir, "people.csv");
    writeFileSync(
      csvPath,
      [
        HEADER,
        "Ann,Lee,,,Albany,NY,12204,,,ann@example.com,Sales",
        "Ann,Lee,,,Albany,NY,12204,,,ANN@Example.com,HR", // same person: e-mail case and department differ
        "Ann,Lee,,,Troy,NY,12204,555-0100,,ann@example.com,Legal", // a true conflict: city and phone1
        "Bob,Ray,,,Troy,NY,12180,,,bob@example.com,Sales",
      ].join("\n"),
    );
    const s = await ingestContacts(db, csvPath);
    assert.deepEqual([s.inserted, s.rejected], [2, 1]);
    assert.deepEqual(s.rejects.map((r) => [r.line, r.field]), [[4, "email"]]);
    assert.match(s.rejects[0].reason, /differs from line 2 in city, phone1/);
    assert.doesNotMatch(s.rejects[0].reason, /different .*email/);
    const ann = await db.all<{ name: string }>(
      "SELECT d.name FROM contact_departments l JOIN departments d ON d.id = l.department_id JOIN contacts c ON c.id = l.contact_id WHERE c.email_key = 'ann@example.com' ORDER BY d.name",
    );
    assert.deepEqual(ann.map((r) => r.name), ["HR", "Sales"], "the departments of the agreeing rows are merged");
    const stored = await db.one<{ email: string; city: string }>("SELECT email, city FROM contacts WHERE email_key = 'ann@example.com'");
    assert.deepEqual(stored, { email: "ann@example.com", city: "Albany" }, "the first line's values are kept");
  } finally {
    db.close();
    cleanup();
  }
});

test("npm run etl prints the rejects warning with the report's path, and exits 1 when every row is rejected, in both paths", async () => {
  const { spawn } = await import("node:child_process");
  const { fileURLToPath } = await import("node:url");
  const main = fileURLToPath(new URL("../main.ts", import.meta.url));
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [...process.execArgv, main, "--only", "contacts", ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, API_TOKEN: "" } });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      // "close", not "exit": a process may exit before its output has been read from the pipes.
      child.once("close", (code) => resolve({ code, out }));
    });
  await bothPaths(async (via, dir) => {
    const some = join(dir, "some.csv");
    writeFileSync(some, `${HEADER}\nAnn,Lee,,,,NY,12204,,,ann@example.com,Sales\nBob,Ray,,,,NY,1,,,bob@example,Sales\n`);
    const ok = await run(["--contacts", some, "--data-dir", dir]);
    assert.equal(ok.code, 0, `${via}: ${ok.out}`);
    assert.match(ok.out, /warning: 1 of 2 rows was rejected; see .*rejects[/\\]contacts-[^ ]+\.csv/, via);
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, `${HEADER}\nBob,Ray,,,,NY,1,,,bob@example,Sales\n`);
    const failed = await run(["--contacts", bad, "--data-dir", dir]);
    assert.equal(failed.code, 1, `${via}: ${failed.out}`);
    assert.match(failed.out, /FAILED: bad\.csv: all 1 row was rejected; nothing was loaded \(every reason is in .*rejects/, via);
    // Which rows and why, as for a load that succeeded with rejects.
    assert.match(failed.out, /\n {2}Rejected 1 row:\n {4}1 row: 'email' must be an e-mail address[^\n]*\n {4}1 row: 'zip' must be a US ZIP code/, `${via}: ${failed.out}`);
  });
});

test("a stray quote that hides the line numbers is a rejected row naming its data row, not a SQL error or a 500", async () => {
  // Found by a fresh-clone review: with line numbers unknown, every reject names its data row, and
  // the query of the conflicting-lines rejects could not tell which row's number to use.
  const csv = [
    HEADER,
    "Ana,Ruiz,,,,NJ,07102,,,ana@example.com,Sales",
    'Bob,"Unclosed,ACME,,,TX,,,,bob@example.com,Sales',
    'Cai,Lin,"Chanay, Jeff",,,MA,02110,,,cai@example.com,Sales',
    "Dan,Ode,,,,NY,10001,,,dan@example.com,Sales",
    "",
  ].join("\n");
  await bothPaths(async (via, dir) => {
    const path = join(dir, "stray-quote.csv");
    writeFileSync(path, csv);
    const result = await loadContacts({ csvPath: path, dataDir: dir });
    assert.ok(result.inserted >= 1, `${via}: the rows before the stray quote load`);
    assert.ok(result.rejected >= 1, via);
    assert.ok(result.rejects.every((r) => r.line !== null || /^Data row \d+: /.test(r.reason)), `${via}: ${JSON.stringify(result.rejects)}`);
  });
});

test("a file with a header and no data rows is a failed run (no-rows), as one whose every row is rejected is", async () => {
  // Before: a succeeded run with a warning, exit 0, so a daily export cut to its header passed cron.
  await bothPaths(async (via, dir) => {
    for (const [name, text] of [["header-only.csv", `${HEADER}\n`], ["blank-rows.csv", `${HEADER}\n\n,,,,,,,,,,\n\n`]]) {
      const path = join(dir, name);
      writeFileSync(path, text);
      await assert.rejects(loadContacts({ csvPath: path, dataDir: dir }), (error: unknown) => {
        assert.equal((error as { code?: string }).code, "no-rows", `${via}: ${String(error)}`);
        assert.equal((error as Error).message, `${name} has a header and no data rows; nothing was loaded`);
        return true;
      });
      const run = readRuns(dir).at(-1)!;
      assert.equal(run.status, "failed", via);
      assert.deepEqual(run.error, { code: "no-rows", message: `${name} has a header and no data rows; nothing was loaded` }, via);
    }
  });
});

test("a header ending in a separator over rows without one loads the rows (the unnamed column is read only when the rows have it)", async () => {
  // Before: read at the header's width, every row was one field short, and every row was rejected.
  await bothPaths(async (via, dir) => {
    const path = join(dir, "trailing-header.csv");
    writeFileSync(path, [
      `${HEADER},`,
      "Ana,Ruiz,,,,NJ,07102,,,ana@example.com,Sales",
      "Bob,Ray,,,,TX,73301,,,bob@example.com,Sales,",
      "Cai,Lin,,,,MA,02110,,,cai@example.com",
      "",
    ].join("\r\n"));
    const result = await loadContacts({ csvPath: path, dataDir: dir });
    assert.equal(result.inserted, 2, `${via}: ${JSON.stringify(result.rejects)}`);
    assert.deepEqual(result.rejects.map((r) => [r.line, r.reason]), [[4, "Has 10 fields; rows are read with 11 (the header's 12 less its unnamed last column, which no row at the file's start has)"]], via);
  });
  await bothPaths(async (via, dir) => {
    // Rows that do have the unnamed column: read at the header's width, as before.
    const path = join(dir, "trailing-everywhere.csv");
    writeFileSync(path, `${HEADER},\nAna,Ruiz,,,,NJ,07102,,,ana@example.com,Sales,\nBob,Ray,,,,TX,73301,,,bob@example.com,Sales,note\n`);
    const result = await loadContacts({ csvPath: path, dataDir: dir });
    assert.deepEqual([result.inserted, result.rejected], [2, 0], `${via}: ${JSON.stringify(result.rejects)}`);
  });
  await bothPaths(async (via, dir) => {
    // One short first row among rows with a note in the unnamed column: the header's width, so only
    // the short row is refused. This pass's first rule took the first row's width alone, and refused
    // every row with a note, each told "the header has 11" though it has 12 (review).
    const path = join(dir, "notes.csv");
    writeFileSync(path, [
      `${HEADER},`,
      "Ana,Ruiz,,,,NJ,07102,,,ana@example.com,Sales",
      "Bob,Ray,,,,TX,73301,,,bob@example.com,Sales,call back",
      "Cy,Lin,,,,TX,73301,,,cy@example.com,Sales,vip",
      "",
    ].join("\n"));
    const result = await loadContacts({ csvPath: path, dataDir: dir });
    assert.equal(result.inserted, 2, via);
    assert.deepEqual(result.rejects.map((r) => [r.line, r.reason]), [[2, "Has 11 fields; the header has 12"]], via);
  });
  await bothPaths(async (via, dir) => {
    // An inch mark in the first row opens no quote (DuckDB reads `24" Monitors` as one field): the
    // scan of the file's start took it for one, swallowed the rest, and read every row one short (review).
    const path = join(dir, "inches.csv");
    writeFileSync(path, [
      `${HEADER},`,
      'Ana,Ruiz,24" Monitors,,,NJ,07102,,,ana@example.com,Sales,note',
      "Bob,Ray,,,,TX,73301,,,bob@example.com,Sales,call back",
      "",
    ].join("\n"));
    const result = await loadContacts({ csvPath: path, dataDir: dir });
    assert.deepEqual([result.inserted, result.rejected], [2, 0], `${via}: ${JSON.stringify(result.rejects)}`);
  });
});

test("a rejected cell of megabytes is kept as its start and its length, in the summary and the rejects report", async () => {
  // Before: every reject kept its whole cell: 100 rows with a 1.9 MB address ran the load out of
  // memory (DuckDB's "failed to allocate") instead of rejecting them, and 30 made a 57 MB summary.
  const big = "x".repeat(50_000);
  await bothPaths(async (via, dir) => {
    const path = join(dir, "long-cells.csv");
    writeFileSync(path, `first_name,last_name,email,address,department\n${[1, 2, 3].map((i) => `Bob,Lee,b${i}@example.com,"${big}",Sales`).join("\n")}\nCai,Lin,c@example.com,1 Main St,"${big}"\nAnn,Lee,a@example.com,1 Main St,Sales\n`);
    const result = await loadContacts({ csvPath: path, dataDir: dir });
    assert.deepEqual([result.inserted, result.rejected], [1, 4], via);
    const kept = `${"x".repeat(MAX_REJECT_VALUE_CHARS)}... (50000 characters)`;
    assert.deepEqual(result.rejects.map((r) => [r.line, r.field, r.value]), [[2, "address", kept], [3, "address", kept], [4, "address", kept], [5, "department", kept]], via);
    assert.match(result.rejects[0].reason, /^must be at most 200 characters \(has 50000\)/, via);
    const report = readFileSync(result.warnings.join("\n").match(/(\S+rejects[/\\]contacts-\S+\.csv)/)![1], "utf8");
    assert.ok(report.includes(`,${kept}\r\n`) || report.includes(`,${kept}\n`), `${via}: the report keeps the same`);
    assert.ok(!report.includes("x".repeat(MAX_REJECT_VALUE_CHARS + 1)), via);
  });
});
