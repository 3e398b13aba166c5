import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatOutcome, parseEtlArgs, UsageError } from "./main.ts";
import { childProcessLoad } from "./schedule/mod.ts";
import { acquireLoadLock } from "./files/mod.ts";
import { cells, sheets, writeVersion } from "../scripts/testing/workbooks.ts";
import { matrixWorkbook } from "../scripts/testing/matrix_workbook.ts";
import { etlCli } from "../scripts/testing/etl_cli.ts";
import { writeXlsxFile, xlsxBytes } from "../scripts/testing/xlsx_writer.ts";
import { until } from "../scripts/testing/until.ts";
import { dailyAtAway } from "../scripts/testing/daily_at.ts";
import { CAN_MOUNT, mountTmpfs, unmount } from "../scripts/testing/tmpfs.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const CONTACTS = fileURLToPath(new URL("../data/contacts.csv", import.meta.url));

function cli(args: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return etlCli(args, { env, cwd });
}

test("parseEtlArgs() reads flags, DATA_DIR and defaults through the settings module", () => {
  const repoData = fileURLToPath(new URL("../data/", import.meta.url)).replace(/\/$/, "");
  assert.deepEqual(parseEtlArgs([], {}, "/somewhere/else"), {
    workbook: join(repoData, "relaciones.xlsx"), contacts: join(repoData, "contacts.csv"), contactsGiven: false, dataDir: repoData, only: null,
    force: false, json: false, watch: false, standby: false, wait: false, dailyAt: "00:00", apiToken: undefined, databaseUrl: undefined,
    alert: null, download: { authHeader: undefined, maxBytes: 1024 ** 3, pollMs: 600_000 },
    restore: null, parquetDir: join(repoData, "parquet"), keepVersions: { newest: 7, days: 7 }, contactsExport: true,
  });
  const o = parseEtlArgs(["--workbook", "w.xlsx", "--only", "relationships", "--force", "--json", "--daily-at", "06:00"], { DATA_DIR: "/srv/d" }, "/home/u");
  assert.ok(typeof o === "object");
  assert.equal(o.dataDir, "/srv/d");
  assert.equal(o.workbook, "/home/u/w.xlsx");
  assert.equal(o.contacts, "/srv/d/contacts.csv", "the inputs default to files inside DATA_DIR, as for npm start");
  assert.equal(o.only, "relationships");
  assert.equal(o.dailyAt, "06:00");
  assert.equal(parseEtlArgs(["--help"]), "help");
  assert.equal(parseEtlArgs(["--version"]), "version");
  assert.throws(() => parseEtlArgs(["--standby", "--watch"]), UsageError);
  assert.equal((parseEtlArgs(["--wait"]) as { wait: boolean }).wait, true);
  assert.throws(() => parseEtlArgs(["--only", "everything"]), UsageError);
  assert.throws(() => parseEtlArgs(["--frobnicate"]), /--help/);
  assert.throws(() => parseEtlArgs(["--daily-at", "noon"]), /--daily-at must be HH:MM/);
  // An empty flag was a path to the working directory: `--data-dir "$DATA"` with DATA unset loaded
  // into (and wrote runs.jsonl, snapshots/ to) whatever folder the command ran from.
  assert.throws(() => parseEtlArgs(["--data-dir", ""], {}, "/home/u"), (e: Error) => e instanceof UsageError && /^--data-dir needs a value/.test(e.message));
  assert.throws(() => parseEtlArgs(["--parquet", " "], {}, "/home/u"), (e: Error) => e instanceof UsageError && /^--parquet needs a value/.test(e.message));
  // parseArgs keeps the last of a repeated flag silently: --only relationships --only contacts loaded
  // contacts alone (review). A repeated switch (--force --force) says nothing new and stays allowed.
  assert.throws(() => parseEtlArgs(["--only", "relationships", "--only", "contacts"], {}, "/home/u"), (e: Error) => e instanceof UsageError && /^--only is given more than once; give it once\. Run with --help/.test(e.message));
  assert.throws(() => parseEtlArgs(["--data-dir=/a", "--data-dir", "/b"], {}, "/home/u"), (e: Error) => e instanceof UsageError && /^--data-dir is given more than once/.test(e.message));
  assert.equal((parseEtlArgs(["--force", "--force"], {}, "/home/u") as { force: boolean }).force, true);
  // A flag whose value was forgotten, another flag after it, read "Option '--only' argument is
  // ambiguous.. Run with --help": parseArgs' explanation was on the lines cut off.
  assert.throws(() => parseEtlArgs(["--only", "--json"], {}, "/home/u"), (e: Error) => e instanceof UsageError && e.message === "--only needs a value, but '--json' follows it; a value starting with '-' is written --only=-VALUE. Run with --help to see the options");
  assert.throws(() => parseEtlArgs(["--keep-versions", "-1"], {}, "/home/u"), (e: Error) => e instanceof UsageError && /^--keep-versions needs a value, but '-1' follows it; .* --keep-versions=-VALUE\. Run/.test(e.message));
  assert.equal((parseEtlArgs([], { DATA_DIR: "" }, "/home/u") as { dataDir: string }).dataDir, repoData, "an empty variable is unset");
  assert.equal((parseEtlArgs(["--restore", "3"]) as { restore: number }).restore, 3);
  assert.throws(() => parseEtlArgs(["--restore", "0"]), /Cannot use --restore '0'; give the number of a published version/);
  assert.throws(() => parseEtlArgs(["--restore", "v2"]), UsageError);
  assert.throws(() => parseEtlArgs(["--restore", "2", "--watch"]), /Cannot use --restore with --watch/);
  assert.throws(() => parseEtlArgs(["--restore", "2", "--only", "contacts"]), /Cannot use --restore with --only contacts/);
});

test("--help, --version and usage errors load neither DuckDB nor the reader nor the loads", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "etl-startup-"));
  const LAUNCHER = fileURLToPath(new URL("./etl.js", import.meta.url));
  const HOOK = fileURLToPath(new URL("../scripts/testing/log_modules.js", import.meta.url));
  const heavy = /@duckdb|\/etl\/(xlsx|relationships|contacts|schedule|db)\//;
  try {
    // The launcher as npm runs it (plain Node, no TypeScript loader), and main.ts as the tests and
    // the scheduler run it (with tsx).
    const ways: [string, string[]][] = [["npm run etl (etl/etl.js)", [LAUNCHER]], ["etl/main.ts", [...process.execArgv, MAIN]]];
    for (const [way, command] of ways) {
      for (const [args, code, output] of [[["--help"], 0, /Usage: npm run etl/], [["--version"], 0, /^relaciones-workspace \d+\.\d+\.\d+\n$/], [["--only", "nope"], 2, /Cannot use --only 'nope'/], [["--daily-at", "noon"], 2, /--daily-at must be HH:MM/]] as const) {
        await t.test(`${way} ${args.join(" ")}`, () => {
          const log = join(dir, `${way.length}-${args[0]}.log`);
          const r = spawnSync(process.execPath, ["--import", HOOK, ...command, ...args], { env: { ...process.env, LOG_MODULES: log }, encoding: "utf8" });
          assert.equal(r.status, code, r.stderr);
          assert.match(code === 0 ? r.stdout : r.stderr, output);
          const loaded = readFileSync(log, "utf8").split("\n");
          assert.ok(loaded.some((m) => m.includes("etl_args.js")), "the log works");
          assert.deepEqual(loaded.filter((m) => heavy.test(m)), []);
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run etl skips an unchanged workbook without loading DuckDB (the run log names the published version)", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "etl-skip-"));
  const HOOK = fileURLToPath(new URL("../scripts/testing/log_modules.js", import.meta.url));
  try {
    const workbook = join(dir, "r.xlsx");
    writeFileSync(workbook, xlsxBytes(matrixWorkbook({ actors: 6, seed: 3 })));
    const args = ["--only", "relationships", "--workbook", workbook, "--data-dir", join(dir, "data"), "--json"];
    const first = await cli(args);
    assert.equal(first.code, 0, first.stderr);
    const log = join(dir, "modules.log");
    const r = spawnSync(process.execPath, ["--import", HOOK, ...process.execArgv, MAIN, ...args], { env: { ...process.env, LOG_MODULES: log }, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).relationships.status, "skipped");
    const loaded = readFileSync(log, "utf8").split("\n");
    assert.ok(loaded.some((m) => m.includes("/etl/xlsx/")), "the log works: the reader was loaded");
    assert.deepEqual(loaded.filter((m) => m.includes("@duckdb")), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run etl with DATA_DIR loads the inputs inside DATA_DIR and writes there, from any working directory", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "etl-datadir-"));
  try {
    const dataDir = join(dir, "srv-data");
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, "relaciones.xlsx"), xlsxBytes(matrixWorkbook({ actors: 6, seed: 3 })));
    copyFileSync(CONTACTS, join(dataDir, "contacts.csv"));
    const elsewhere = join(dir, "elsewhere");
    mkdirSync(elsewhere);
    const result = await cli(["--json"], { ...process.env, DATA_DIR: dataDir }, elsewhere);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    assert.equal(summary.relationships.file.path, join(dataDir, "relaciones.xlsx"));
    assert.equal(summary.contacts.status, "succeeded");
    for (const name of ["relationships.duckdb", "contacts.duckdb", "runs.jsonl"]) assert.ok(existsSync(join(dataDir, name)), name);
    assert.ok(!existsSync(join(elsewhere, "data")), "nothing is written under the working directory");

    // The same files again: both skips, in --json as in runs.jsonl (contacts said "succeeded").
    const again = await cli(["--json"], { ...process.env, DATA_DIR: dataDir }, elsewhere);
    assert.equal(again.code, 0, again.stderr);
    const second = JSON.parse(again.stdout.trim().split("\n").at(-1)!);
    assert.equal(second.relationships.status, "skipped");
    assert.equal(second.contacts.status, "skipped");
    assert.match(second.contacts.summary.unchanged_since, /^\d{4}-/);
    assert.equal(readFileSync(join(dataDir, "runs.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).at(-1).status, "skipped");
    const human = await cli([], { ...process.env, DATA_DIR: dataDir }, elsewhere);
    assert.match(human.stdout, /Contacts: contacts\.csv is unchanged since/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run etl on a data directory it cannot write says so up front and loads nothing", { skip: !CAN_MOUNT && "needs root and mount -t tmpfs", timeout: 60_000 }, async () => {
  // A read-only mount: permission bits would not stop root, who runs CI.
  const dir = mkdtempSync(join(tmpdir(), "etl-readonly-"));
  const dataDir = join(dir, "data");
  mkdirSync(dataDir);
  assert.ok(mountTmpfs(dataDir, "4m"));
  try {
    writeFileSync(join(dataDir, "runs.jsonl"), "");
    execFileSync("mount", ["-o", "remount,ro", dataDir]);
    const workbook = join(dir, "r.xlsx");
    writeFileSync(workbook, xlsxBytes(matrixWorkbook({ actors: 4, seed: 1 })));
    const result = await cli(["--data-dir", dataDir, "--workbook", workbook, "--contacts", CONTACTS]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /Cannot use the data directory '.*data': it cannot be written \(a read-only file system\); every load records its run there, so nothing was loaded/);
    assert.doesNotMatch(result.stderr, /unexpectedly|at .*\.ts:\d+/);
  } finally {
    unmount(dataDir);
    rmSync(dir, { recursive: true, force: true });
  }
});

// Before, a data dir to be made on a read-only file system was "ENOENT: no such file or directory,
// mkdir ...": Node's recursive mkdirSync reports EROFS as ENOENT (etl/files/make_dirs.ts), and
// runCli called it instead of makeDirs(). Only a read-only mount shows it: ENOTDIR, EACCES, ELOOP
// and ENAMETOOLONG come through the recursive mkdir as they are.
test("npm run etl whose data directory would be made on a read-only file system names that, not 'no such file'", { skip: !CAN_MOUNT && "needs root and mount -t tmpfs", timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "etl-readonly-"));
  const readOnly = join(dir, "ro");
  mkdirSync(readOnly);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", readOnly]);
  try {
    const dataDir = join(readOnly, "sub", "data");
    const workbook = join(dir, "r.xlsx");
    writeFileSync(workbook, xlsxBytes(matrixWorkbook({ actors: 4, seed: 1 })));
    const result = await cli(["--only", "relationships", "--data-dir", dataDir, "--workbook", workbook]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /Cannot use the data directory '.*sub\/data': it cannot be written \(a read-only file system\); every load records its run there, so nothing was loaded/);
    assert.doesNotMatch(result.stderr, /ENOENT|no such file|unexpectedly|at .*\.ts:\d+/);
  } finally {
    unmount(readOnly);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run etl resolves relative paths against the folder the user typed it in, not the repository", { timeout: 120_000 }, async () => {
  // npm starts scripts in the package's folder; found by a fresh-clone review, where
  // `npm --prefix <repo> run etl -- --data-dir out` wrote <repo>/out.
  const dir = mkdtempSync(join(tmpdir(), "etl-relative-"));
  try {
    copyFileSync(CONTACTS, join(dir, "mine.csv"));
    const repo = fileURLToPath(new URL("..", import.meta.url));
    const env = { ...process.env };
    delete env.INIT_CWD; // npm sets it for the command below, as for a person typing it
    const run = spawnSync("npm", ["--prefix", repo, "run", "-s", "etl", "--", "--only", "contacts", "--contacts", "mine.csv", "--data-dir", "out"], { cwd: dir, env, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr + run.stdout);
    assert.ok(existsSync(join(dir, "out", "contacts.duckdb")), "the data dir is under the folder the command was typed in");
    assert.ok(!existsSync(join(repo, "out")), "nothing written in the repository");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run etl without a contacts file at the default path loads the workbook and skips contacts; asked for one, it fails", { timeout: 120_000 }, async () => {
  // Found by a chaos test: a team that only sends workbooks got a failed contacts run (and an alert) every day.
  const dir = mkdtempSync(join(tmpdir(), "etl-no-contacts-"));
  try {
    writeFileSync(join(dir, "relaciones.xlsx"), xlsxBytes(matrixWorkbook({ actors: 6, seed: 3 })));
    const env = { ...process.env, DATA_DIR: dir, CONTACTS_CSV: "" };
    const quiet = await cli([], env);
    assert.equal(quiet.code, 0, quiet.stderr + quiet.stdout);
    assert.match(quiet.stdout, /Contacts: skipped: No contacts file at .*contacts\.csv; contacts not loaded \(set CONTACTS_CSV or --contacts/);
    assert.ok(!readFileSync(join(dir, "runs.jsonl"), "utf8").includes('"kind":"contacts"'), "no contacts run recorded");
    const asked = await cli(["--only", "contacts"], env);
    assert.equal(asked.code, 1, "--only contacts names the file it needs");
    const named = await cli(["--contacts", join(dir, "missing.csv")], env);
    assert.equal(named.code, 1, "--contacts names a file that must be there");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run etl: exit codes, summaries and plain errors", { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "etl-cli-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "r.xlsx");
  await writeVersion(workbook, { ids: [1, 2, 3, 4], cell: cells(5), code: (id) => `Q${id}`, name: (id) => `Persona ${id}` });
  try {
    await t.test("--help exits 0", async () => {
      const { code, stdout } = await cli(["--help"]);
      assert.equal(code, 0);
      assert.match(stdout, /Usage: npm run etl/);
    });
    await t.test("bad usage exits 2 with a plain message", async () => {
      const { code, stderr } = await cli(["--only", "nope"]);
      assert.equal(code, 2);
      assert.match(stderr, /Cannot use --only 'nope'/);
      assert.doesNotMatch(stderr, /\n\s+at /);
      const standby = await cli(["--standby", "--data-dir", dataDir]);
      assert.equal(standby.code, 2, "--standby without the scheduler's IPC channel");
      assert.match(standby.stderr, /--standby waits for the scheduler's go-ahead/);
      // Run from a temp folder: on the code before, this loaded into (and wrote runs.jsonl to) the cwd.
      const empty = await cli(["--data-dir", ""], process.env, dir);
      assert.equal(empty.code, 2, "an empty --data-dir is no path to the working directory");
      assert.match(empty.stderr, /--data-dir needs a value/);
    });
    await t.test("a load prints a human summary and exits 0; DATA_DIR is honoured", async () => {
      const { code, stdout, stderr } = await cli(["--workbook", workbook, "--only", "relationships"], { ...process.env, DATA_DIR: dataDir });
      assert.equal(code, 0, stderr);
      assert.match(stdout, /published version 1 from r\.xlsx in \d+\.\d s/);
      assert.match(stdout, /4 actors \(4 in the matrix, 4 in the list\)/);
      assert.equal(stderr, "", "no progress bar when stderr is not a terminal");
    });
    await t.test("a broken workbook exits 1, --json says why, no stack trace", async () => {
      const broken = join(dir, "broken.xlsx");
      writeFileSync(broken, "not a zip");
      const { code, stdout, stderr } = await cli(["--workbook", broken, "--data-dir", dataDir, "--only", "relationships", "--json"]);
      assert.equal(code, 1);
      const summary = JSON.parse(stdout);
      assert.equal(summary.ok, false);
      assert.equal(summary.relationships.status, "failed");
      assert.equal(summary.relationships.error.code, "not-zip");
      assert.doesNotMatch(stdout + stderr, /\n\s+at /);
    });
    await t.test("every broken input: exit 1 and one plain message naming the file, sheet and cell", async () => {
      const bad = (name: string, v: Parameters<typeof sheets>[0]) => {
        writeFileSync(join(dir, name), xlsxBytes(sheets(v)));
        return join(dir, name);
      };
      const base = { ids: [1, 2, 3], cell: cells(5), code: (id: number) => `Q${id}`, name: (id: number) => `Persona ${id}` };
      writeFileSync(join(dir, "hoja.xlsx"), xlsxBytes([{ name: "Hoja1", rows: [[1, 2]] }]));
      writeFileSync(join(dir, "notes.xlsx"), "just some text");
      const cases: [string[], RegExp][] = [
        [["--workbook", join(dir, "nope.xlsx")], /FAILED to load the workbook: Cannot find the workbook '.*nope\.xlsx'/],
        [["--workbook", join(dir, "notes.xlsx")], /FAILED to load notes\.xlsx: .*not an \.xlsx workbook/],
        [["--workbook", join(dir, "hoja.xlsx")], /FAILED to load hoja\.xlsx: Cannot find sheet 'Matriz de adyacencia'; the workbook has 'Hoja1'/],
        [["--workbook", bad("dup.xlsx", { ...base, rows: [1, 2, 2, 3] })], /FAILED to load dup\.xlsx: .*more than once \('2'\)[^]*'Matriz de adyacencia'!A4, 'Matriz de adyacencia'!A5/],
        [["--workbook", bad("text.xlsx", { ...base, cell: (a, b) => (a === 2 && b === 3 ? ("sí" as unknown as 0) : 0) })], /FAILED to load text\.xlsx: .*other than 0 or 1 \('sí'\)[^]*'Matriz de adyacencia'!E4/],
        [["--workbook", workbook, "--data-dir", join(workbook, "data")], /^Cannot use the data directory '.*r\.xlsx\/data': ENOTDIR/],
      ];
      // In parallel: each is a fresh process, and they share nothing but the read-only inputs.
      await Promise.all(cases.map(async ([args, message], i) => {
        const dataDir = args.includes("--data-dir") ? [] : ["--data-dir", join(dir, `broken-${i}`)]; // a flag once: a second is bad usage
        const { code, stdout, stderr } = await cli(["--only", "relationships", ...dataDir, ...args]);
        assert.equal(code, 1, `${args.join(" ")}: ${stdout}${stderr}`);
        assert.match(stdout + stderr, message);
        assert.match(stderr, message, "a failure is reported on stderr");
        assert.doesNotMatch(stdout + stderr, /\n\s+at |Error:|node:internal/);
      }));
    });
    await t.test("both loads by default: relationships, then contacts", { skip: !existsSync(CONTACTS) }, async () => {
      const { code, stdout, stderr } = await cli(["--workbook", workbook, "--contacts", CONTACTS, "--data-dir", join(dir, "both")]);
      assert.equal(code, 0, stderr);
      assert.match(stdout, /Relationships: published version 1/);
      assert.match(stdout, /Contacts: \d+ inserted, 0 updated, 0 unchanged, \d+ rejected/);
    });
    await t.test("childProcessLoad() runs the CLI with --json for the scheduler", async () => {
      const runLoad = childProcessLoad({ dataDir, workbook });
      const result = await runLoad("file-changed");
      runLoad.close();
      assert.equal(result.exitCode, 0, result.stderr);
      const summary = result.summary as { relationships: { status: string; version_id: number }; contacts: unknown };
      assert.equal(summary.relationships.status, "skipped");
      assert.equal(summary.relationships.version_id, 1);
      assert.equal(summary.contacts, null, "a workbook change reloads relationships only");
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run etl -- --watch: loads at start-up, reloads a changed workbook once it settles, stops on SIGTERM", { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "etl-watch-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "r.xlsx");
  const version = { ids: [1, 2, 3], cell: cells(2), code: (id: number) => `W${id}`, name: (id: number) => `Persona ${id}` };
  await writeVersion(workbook, version);
  // The daily load half a day away: at its default, 00:00 UTC, a test run across midnight counted it.
  const child = spawn(process.execPath, [...process.execArgv, MAIN, "--watch", "--daily-at", dailyAtAway(), "--json", "--only", "relationships", "--workbook", workbook, "--data-dir", dataDir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  // Each load prints one JSON summary line; hand them out in order.
  const summaries: { at: number; value: { relationships: { status: string; version_id: number; changes: Record<string, number> } } }[] = [];
  let wake = () => {};
  let buffered = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    buffered += c;
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      summaries.push({ at: Date.now(), value: JSON.parse(buffered.slice(0, nl)) });
      buffered = buffered.slice(nl + 1);
    }
    wake();
  });
  const nth = async (n: number, within: number) => {
    const deadline = Date.now() + within;
    while (summaries.length < n) {
      assert.ok(Date.now() < deadline, `load ${n} did not happen within ${within} ms; stderr:\n${stderr}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200);
      });
    }
    return summaries[n - 1];
  };
  try {
    const first = await nth(1, 90_000);
    assert.equal(first.value.relationships.status, "succeeded", "no good load yet: a start-up load");
    assert.equal(first.value.relationships.version_id, 1);
    assert.match(stderr, /loading \(startup\)/);

    // A new version with actor 4 added: reloaded only after the file has kept still (~3 s).
    const written = Date.now();
    await writeVersion(workbook, { ...version, ids: [1, 2, 3, 4] });
    const second = await nth(2, 90_000);
    assert.ok(second.at - written >= 2500, `reloaded ${second.at - written} ms after the write: not debounced`);
    assert.equal(second.value.relationships.status, "succeeded");
    assert.equal(second.value.relationships.version_id, 2);
    assert.equal(second.value.relationships.changes.actors_added, 1);
    assert.match(stderr, /loading \(file-changed\)/);

    child.kill("SIGTERM");
    const { code, signal } = await exited;
    assert.equal(signal, null, "SIGTERM is handled, not fatal");
    assert.equal(code, 0, stderr);
    assert.equal(summaries.length, 2, "one load per change, none after stopping");
    assert.doesNotMatch(stderr, /\n\s+at /);
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run etl -- --watch loads the contacts CSV when it appears and when it changes, once it settles", { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "etl-watch-csv-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "r.xlsx");
  const csv = join(dir, "contacts.csv");
  await writeVersion(workbook, { ids: [1, 2, 3], cell: cells(2), code: (id: number) => `W${id}`, name: (id: number) => `Persona ${id}` });
  // Relationships are fresh (no start-up load is due) and there is no CSV yet: a data dir that so
  // far only ever got `--only relationships`.
  const before = await cli(["--only", "relationships", "--workbook", workbook, "--data-dir", dataDir]);
  assert.equal(before.code, 0, before.stderr);
  // The daily load half a day away: at its default, 00:00 UTC, a test run across midnight counted it.
  const child = spawn(process.execPath, [...process.execArgv, MAIN, "--watch", "--daily-at", dailyAtAway(), "--json", "--workbook", workbook, "--contacts", csv, "--data-dir", dataDir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  type Summary = { relationships: unknown; contacts: { status: string; summary: { inserted: number; unchanged: number } } };
  const summaries = () => stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Summary);
  const loads = async (n: number) => {
    const deadline = Date.now() + 90_000;
    while (summaries().length < n) {
      assert.ok(Date.now() < deadline, `load ${n} did not happen; stderr:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return summaries()[n - 1];
  };
  try {
    const deadline = Date.now() + 90_000;
    while (!stderr.includes("watching")) {
      assert.ok(Date.now() < deadline, `not watching; stderr:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(stderr, /watching .*r\.xlsx and .*contacts\.csv/);
    assert.equal(summaries().length, 0, "nothing was due at start-up");
    const written = Date.now();
    writeFileSync(csv, "first_name,last_name,email\nAna,Ruiz,ana.ruiz@example.com\n");
    const first = await loads(1);
    assert.ok(Date.now() - written >= 2500, "loaded only once the file kept still");
    assert.equal(first.relationships, null, "a CSV change loads contacts only");
    assert.equal(first.contacts.status, "succeeded");
    assert.equal(first.contacts.summary.inserted, 1);
    assert.ok(existsSync(join(dataDir, "contacts.duckdb")), "the data dir got contacts.duckdb from --watch");
    assert.match(stderr, /loading \(contacts-changed\)/);
    writeFileSync(csv, "first_name,last_name,email\nAna,Ruiz,ana.ruiz@example.com\nBea,Soto,bea.soto@example.com\n");
    const second = await loads(2);
    assert.deepEqual([second.contacts.summary.inserted, second.contacts.summary.unchanged], [1, 1]);
    child.kill("SIGTERM");
    assert.equal(await exited, 0, stderr);
    assert.equal(summaries().length, 2);
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

// util-linux `script` runs the CLI on a pseudo-terminal, the only way to see what a person sees.
const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).stdout?.includes("util-linux") ?? false;

test("npm run etl draws a progress bar on a terminal for a big workbook", { skip: !hasScript && "needs util-linux script(1)", timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "etl-tty-"));
  try {
    const workbook = join(dir, "big.xlsx");
    await writeXlsxFile(workbook, matrixWorkbook({ actors: 1000, seed: 3 }));
    assert.ok(statSync(workbook).size > 2 * 1024 * 1024, "big enough to show the bar");
    const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
    const command = [process.execPath, ...process.execArgv, MAIN, "--only", "relationships", "--workbook", workbook, "--data-dir", join(dir, "data")]
      .map(quote)
      .join(" ");
    const result = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn("script", ["-qfec", command, "/dev/null"], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
      child.stderr.setEncoding("utf8").on("data", (c: string) => (out += c));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, out }));
    });
    assert.equal(result.code, 0, result.out);
    assert.match(result.out, /\r\[#*\.*\] +\d+% /, "a bar with a percentage");
    assert.match(result.out, /\r\[#{30}\] 100% (building|publishing)/, "the bar reaches 100% and names the phase");
    assert.match(result.out, /\r\x1b\[2K/, "the bar is cleared before the summary");
    assert.match(result.out, /published version 1 from big\.xlsx/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run etl -- --watch --only contacts: a changed workbook does not load relationships", { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "etl-watch-contacts-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "r.xlsx");
  const contacts = join(dir, "contacts.csv");
  copyFileSync(CONTACTS, contacts);
  // The sample ends without a line break, as the users' export does; a watched CSV that ends mid-line
  // waits a minute (wholeMs) before it loads. This test is about which load runs, not that wait.
  appendFileSync(contacts, "\n");
  const version = { ids: [1, 2, 3], cell: cells(2), code: (id: number) => `W${id}`, name: (id: number) => `Persona ${id}` };
  await writeVersion(workbook, version);
  const child = spawn(
    process.execPath,
    [...process.execArgv, MAIN, "--watch", "--json", "--only", "contacts", "--workbook", workbook, "--contacts", contacts, "--data-dir", dataDir],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  let stdout = "";
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  try {
    const waitFor = (what: string, done: () => boolean) => until(what, done, 90_000).catch((e: Error) => assert.fail(`${e.message}; stderr:\n${stderr}`));
    await waitFor("the start-up load", () => stdout.includes("\n"));
    await writeVersion(workbook, { ...version, ids: [1, 2, 3, 4] });
    // Then the CSV changes, and its load is waited for (not a time): the workbook changed first and
    // settles by the same rule, so a load it wrongly started would come no later.
    appendFileSync(contacts, "Nora,Vidal,,,,,,,,nora.vidal@example.com,Sales\n");
    await waitFor("the changed CSV's load", () => /"inserted":1\b/.test(stdout));
    child.kill("SIGTERM");
    assert.equal(await exited, 0, stderr);
    const summaries = stdout.trim().split("\n").map((line) => JSON.parse(line) as { relationships: unknown });
    for (const s of summaries) assert.equal(s.relationships, null, `--only contacts loaded relationships:\n${stdout}`);
    assert.ok(!existsSync(join(dataDir, "relationships.duckdb")), "no relationships snapshot was published");
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run etl --only contacts while another contacts load runs: skipped, exit 0, no alert", async () => {
  const dir = mkdtempSync(join(tmpdir(), "etl-contacts-busy-"));
  try {
    const csv = join(dir, "contacts.csv");
    writeFileSync(csv, "first_name,last_name,email\nAnn,Lee,ann@example.com\n");
    const dataDir = join(dir, "data");
    const release = acquireLoadLock(dataDir, "contacts");
    try {
      const { code, stdout, stderr } = await cli(["--only", "contacts", "--contacts", csv, "--data-dir", dataDir]);
      assert.equal(code, 0, stdout + stderr);
      assert.match(stdout, /^Contacts: skipped: Another contacts load \(pid \d+\) is running; try again when it finishes$/m);
    } finally {
      release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("formatOutcome() says a busy lock skipped the load, not that the workbook is unchanged", () => {
  const run = {
    id: "x", kind: "relationships" as const, status: "skipped" as const, started_at: "", finished_at: "", file: null,
    counts: {}, findings: [], changes: {}, version_id: null,
    error: { code: "busy", message: "Another relationship load (pid 7) is running; try again when it finishes" },
  };
  const lines = formatOutcome({ ok: true, relationships: { run, changePreview: [], durationMs: 1 }, contacts: null });
  assert.deepEqual(lines, ["Relationships: skipped the workbook: Another relationship load (pid 7) is running; try again when it finishes"]);
});

test("npm run etl shows text from the user's files with control characters escaped, never raw to the terminal", async () => {
  const dir = mkdtempSync(join(tmpdir(), "etl-escape-"));
  try {
    // A header cell and a file name carrying an OSC title sequence (ESC ] 0 ; ... BEL) and a CSI
    // clear-screen: echoed raw, they would retitle or wipe the user's terminal.
    const csv = join(dir, "contacts\u001b[2J.csv");
    writeFileSync(csv, "first_name,last_name,\u001b]0;pwned\u0007\r\nAnn,Lee,x\r\n");
    const { code, stdout, stderr } = await cli(["--only", "contacts", "--contacts", csv, "--data-dir", join(dir, "data")]);
    assert.equal(code, 1, stdout + stderr);
    assert.match(stderr, /has no column 'email'/);
    assert.doesNotMatch(stdout + stderr, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, "no control character reaches the terminal");
    assert.match(stderr, /\\u001b\]0;pwned\\u0007/, "the header is shown, escaped");
    assert.match(stderr, /contacts\\u001b\[2J\.csv/, "the file name is shown, escaped");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Before, a line break inside a cell (Alt+Enter in Excel) or a file name was printed raw: a cell
// could add a line of its own to the report, "Relationships: published version 9 ...", that a log
// reader or a grep in cron's mail could not tell from ours.
test("npm run etl shows line breaks inside workbook text and file names escaped, so a cell cannot forge a report line", async () => {
  const dir = mkdtempSync(join(tmpdir(), "etl-escape-"));
  try {
    const forged = "Relationships: published version 9 from fake.xlsx";
    const workbook = join(dir, `r\n${forged}\n.xlsx`);
    // Two actors share the code, so the duplicate_code warning quotes it.
    await writeVersion(workbook, { ids: [1, 2, 3], cell: cells(3), code: (id) => (id === 3 ? "C3" : `x\n${forged}`), name: (id) => `Actor ${id}` });
    const { code, stdout, stderr } = await cli(["--only", "relationships", "--workbook", workbook, "--data-dir", join(dir, "data")]);
    assert.equal(code, 0, stdout + stderr);
    const lines = stdout.split("\n");
    assert.deepEqual(lines.filter((line) => line.startsWith("Relationships:")).length, 1, stdout);
    assert.ok(!lines.some((line) => line.startsWith(forged)), stdout);
    assert.match(stdout, /x\\u000aRelationships: published version 9 from fake\.xlsx/i, "the code is shown, its line break escaped");
    assert.match(stdout, /from r\\u000aRelationships: published version 9 from fake\.xlsx\\u000a\.xlsx in /, "the file name likewise");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run etl whose stdout reader is gone (npm run etl | true) exits with the load's code, without a stack trace", { timeout: 60_000 }, async () => {
  // Before: the summary's write hit EPIPE, an 'error' event nobody listened to, and a load that had
  // published its version exited 1 with a stack trace; --help did the same.
  const dir = mkdtempSync(join(tmpdir(), "etl-epipe-"));
  const LAUNCHER = fileURLToPath(new URL("./etl.js", import.meta.url));
  try {
    const workbook = join(dir, "r.xlsx");
    writeFileSync(workbook, xlsxBytes(matrixWorkbook({ actors: 4, seed: 1 })));
    for (const args of [["--help"], ["--json", "--only", "relationships", "--workbook", workbook, "--data-dir", join(dir, "data")]]) {
      const child = spawn(process.execPath, [LAUNCHER, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      // The reader goes before the child writes anything.
      child.stdout.destroy();
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      assert.equal(code, 0, `${args[0]}: ${stderr}`);
      assert.doesNotMatch(stderr, /Error: write EPIPE|\n\s+at /, args[0]);
    }
    assert.equal(JSON.parse(readFileSync(join(dir, "data", "runs.jsonl"), "utf8").split("\n")[0]).status, "succeeded");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
