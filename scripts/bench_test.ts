// `npm run bench` is a command like the others: it answers --help, and refuses an unknown name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BENCH = fileURLToPath(new URL("./bench.ts", import.meta.url));
import { until } from "./testing/until.ts";

const run = (...args: string[]) => spawnSync(process.execPath, [...process.execArgv, BENCH, ...args], { encoding: "utf8" });

test("npm run bench -- --help lists every benchmark with its arguments and the settings", () => {
  const { status, stdout } = run("--help");
  assert.equal(status, 0);
  for (const name of ["xlsx", "etl", "api", "dashboard", "contacts"]) assert.match(stdout, new RegExp(`npm run bench -- ${name}\\b`));
  assert.match(stdout, /--rows 100000,1000000/);
  assert.match(stdout, /--bench-dir DIR/);
});

test("a benchmark refuses a flag it does not know (exit 2 naming it) instead of running with its defaults", () => {
  // xlsx read --size as nothing and wrote and read 1000x1000 and 3000x3000 workbooks, for minutes.
  for (const [bench, flag] of [["xlsx", "--size"], ["dashboard", "--actor"], ["contacts", "--row"]]) {
    const r = spawnSync(process.execPath, [...process.execArgv, BENCH, bench, flag, "300"], { encoding: "utf8", timeout: 30_000, env: { ...process.env, BENCH_DIR: join(tmpdir(), "bench-test-never-written") } });
    assert.equal(r.status, 2, `${bench} ${flag}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`'${flag}'`));
    assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
  }
});

test("npm run bench -- contacts refuses a number flag that is not one (exit 2 naming it) instead of printing NaN figures", () => {
  for (const [flag, value] of [["--repeat", "x"], ["--seconds", "abc"], ["--connections", "0"], ["--rows", "100,lots"]]) {
    const r = spawnSync(process.execPath, [...process.execArgv, BENCH, "contacts", flag, value, "--backends", "duckdb"], { encoding: "utf8", timeout: 30_000, env: { ...process.env, BENCH_DIR: join(tmpdir(), "bench-test-never-written") } });
    assert.equal(r.status, 2, `${flag} ${value}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${flag} must be`));
    assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
  }
});

test("npm run bench -- with an unknown name exits 2 naming the choices", () => {
  const { status, stderr } = run("nope");
  assert.equal(status, 2);
  assert.match(stderr, /Unknown benchmark 'nope'; choose one of: xlsx, etl, api, dashboard, contacts/);
});

/** `npm run bench -- etl` (small) with no npm on PATH: `npm run etl -- --help` cannot run at all, as when the command is broken. */
function etlWithoutNpm() {
  const dir = mkdtempSync(join(tmpdir(), "bench-test-"));
  try {
    return spawnSync(process.execPath, [...process.execArgv, BENCH, "etl", "--actors", "50", "--repeat", "1", "--startup-repeat", "1", "--no-whole"], {
      encoding: "utf8",
      env: { ...process.env, PATH: join(dir, "empty"), BENCH_DIR: join(dir, "bench") },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("npm run bench -- etl fails when the command it times fails, instead of printing the failure's time as its start-up", () => {
  const r = etlWithoutNpm();
  assert.notEqual(r.status, 0, r.stdout);
  assert.doesNotMatch(r.stdout, /npm run etl -- --help \d+ ms/, "no time printed for a command that did not run");
  assert.match(r.stderr, /npm run -s etl -- --help (exited 127|could not be run)/);
});

test("a benchmark that fails says why without a stack trace", () => {
  const r = etlWithoutNpm();
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^npm run -s etl -- --help (exited 127|could not be run)/m);
  assert.doesNotMatch(r.stderr, /^\s+at |Node\.js v|throw new Error/m);
});

/** The pids of `pid`'s children, from /proc. */
const childrenOf = (pid: number): number[] => {
  const file = `/proc/${pid}/task/${pid}/children`;
  return existsSync(file) ? readFileSync(file, "utf8").split(" ").filter(Boolean).map(Number) : [];
};
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));

test("a signal sent to npm run bench alone (kill, a supervisor) stops the benchmark it runs, not just itself", async () => {
  const dir = mkdtempSync(join(tmpdir(), "bench-test-"));
  mkdirSync(join(dir, "tmp"));
  const bench = spawn(process.execPath, [...process.execArgv, BENCH, "xlsx", "--sizes", "300", "--repeat", "100000"], {
    env: { ...process.env, BENCH_DIR: join(dir, "bench"), TMPDIR: join(dir, "tmp") },
    stdio: "ignore",
  });
  let child: number | undefined;
  try {
    await until("the benchmark's process", () => (child = childrenOf(bench.pid!)[0]) !== undefined);
    bench.kill("SIGTERM");
    await once(bench, "exit");
    await until("the benchmark's process to stop with npm run bench", () => !alive(child!), 10_000);
  } finally {
    if (child !== undefined && alive(child)) process.kill(child, "SIGKILL"); // leave no process behind, even failing
    if (bench.exitCode === null && bench.signalCode === null) bench.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a benchmark stopped by a signal leaves no temporary files and no process of its own behind", async () => {
  const dir = mkdtempSync(join(tmpdir(), "bench-test-"));
  const tmp = join(dir, "tmp");
  mkdirSync(tmp);
  const bench = spawn(process.execPath, [...process.execArgv, BENCH, "xlsx", "--sizes", "300", "--repeat", "100000"], {
    env: { ...process.env, BENCH_DIR: join(dir, "bench"), TMPDIR: tmp },
    stdio: "ignore",
  });
  let child: number | undefined;
  try {
    // Stopped once it is measuring: its workbook written to its temporary folder.
    await until("the benchmark's process", () => (child = childrenOf(bench.pid!)[0]) !== undefined);
    await until("the benchmark's measuring children", () => childrenOf(child!).length > 0);
    bench.kill("SIGTERM");
    await once(bench, "exit");
    await until("the benchmark's process to stop", () => !alive(child!), 10_000);
    // (tsx keeps its own files there, tsx-UID/, for this test's processes too.)
    const left = readdirSync(tmp, { recursive: true }).filter((name) => !String(name).startsWith("tsx-"));
    assert.deepEqual(left, [], "what the benchmark wrote in TMPDIR is removed");
  } finally {
    if (child !== undefined && alive(child)) process.kill(child, "SIGKILL");
    if (bench.exitCode === null && bench.signalCode === null) bench.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run bench refuses a --bench-dir without a value or a bad setting (exit 2, one line) instead of running every benchmark or a stack trace", () => {
  // `npm run bench -- --bench-dir` ran every benchmark (minutes) with the default folder. Each case
  // names an unknown benchmark, so that nothing would run if the refusal did not come.
  const dir = mkdtempSync(join(tmpdir(), "bench-test-"));
  try {
    for (const [args, extra, message] of [
      [["nope", "--bench-dir"], {}, /^--bench-dir needs a folder/],
      [["nope", "--bench-dir", "--json"], {}, /^--bench-dir needs a folder/],
      [["nope"], { DATABASE_URL: "garbage" }, /^DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/],
      // The = form is the flag too, not a benchmark's name.
      [[`--bench-dir=${join(dir, "b")}`, "nope"], {}, /^Unknown benchmark 'nope'/],
    ] as const) {
      const r = spawnSync(process.execPath, [...process.execArgv, BENCH, ...args], { encoding: "utf8", timeout: 30_000, env: { ...process.env, ...extra } });
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
