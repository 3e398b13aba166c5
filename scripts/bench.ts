// `npm run bench -- NAME [args]` runs scripts/bench_NAME.ts; with no name, runs them all in turn;
// `--help` lists them with their arguments (the first line of each script says them).
// Settings (BENCH_DIR / --bench-dir) come from etl/settings like every command's, and reach the
// benchmark processes through their environment.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { readSettings, settingsHelp } from "../etl/settings/mod.js";

const names = ["xlsx", "etl", "api", "dashboard", "contacts"];
const fileOf = (bench: string) => fileURLToPath(new URL(`bench_${bench}.ts`, import.meta.url));
const argv = process.argv.slice(2);

if (argv.includes("--help") || argv.includes("-h")) {
  // Each script's first comment line is its usage: `npm run bench -- NAME [--flag N]`: what it does.
  const usage = (bench: string) => /^\/\/ `([^`]+)`/.exec(readFileSync(fileOf(bench), "utf8"))?.[1] ?? `npm run bench -- ${bench}`;
  console.log(`Usage: npm run bench -- [NAME [options]]

Runs one benchmark, or with no NAME all of them in turn (the contacts one generates 1M-row files and
takes many minutes). Each prints its figures as ratios to a floor measured in the same run.

Benchmarks:
${names.map((n) => `  ${usage(n)}`).join("\n")}

Settings (each also read from the environment variable named; a flag wins):
${settingsHelp("bench").join("\n")}`);
  process.exit(0);
}

// A bad --bench-dir or setting is one line and exit 2: `--bench-dir` with no value had run every
// benchmark (minutes) with the default folder, and a bad DATABASE_URL ended in a stack trace.
let settings: ReturnType<typeof readSettings>;
try {
  settings = readSettings("bench", { flags: { "bench-dir": takeBenchDir(argv) } });
} catch (error) {
  console.error((error as Error).message.split("\n")[0]);
  process.exit(2);
}
const [name, ...rest] = argv;
const chosen = name ? [name] : names;
// A signal sent to this process alone (kill, a supervisor) is passed on to the running benchmark:
// before, it ran on without it, orphaned, holding the machine its figures need and the files it
// writes. Listened to before the first start: one that came while a benchmark started would end
// this process alone; one between benchmarks stops the next from starting.
let running: number | undefined;
let stopped = false;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    stopped = true;
    if (running !== undefined) signalGroup(running, signal);
  });
}
for (const bench of chosen) {
  if (stopped) process.exit(1);
  const file = fileOf(bench);
  if (!names.includes(bench) || !existsSync(file)) {
    console.error(`Unknown benchmark '${bench}'; choose one of: ${names.join(", ")} (npm run bench -- --help)`);
    process.exit(2);
  }
  // The benchmark runs in a process group and a TMPDIR of its own: a signal stops every process it
  // started (its servers, its measured children), and the files it wrote there (1M-row databases
  // for contacts) are removed even when it was stopped before its own clean-up could run.
  const tmp = mkdtempSync(join(tmpdir(), "bench-run-"));
  // tsx keeps what it compiled in <tmpdir>/tsx-<uid>: linked, so the API's and the loads' start-up
  // times are not a cold compile's (etl --help 0.56 s cold against 0.30 s warm).
  const compiled = `tsx-${process.getuid?.() ?? "user"}`;
  mkdirSync(join(tmpdir(), compiled), { recursive: true });
  symlinkSync(join(tmpdir(), compiled), join(tmp, compiled));
  const child = spawn(process.execPath, [...process.execArgv, file, ...rest], {
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
    env: { ...process.env, BENCH_DIR: settings.benchDir, TMPDIR: tmp },
  });
  running = child.pid!;
  const [status] = (await once(child, "exit")) as [number | null];
  await groupGone(running);
  running = undefined;
  rmSync(tmp, { recursive: true, force: true });
  if (status !== 0) process.exit(status ?? 1);
}

/**
 * Removes `--bench-dir DIR` or `--bench-dir=DIR` from `args` (anywhere: the rest goes to the
 * benchmark) and returns DIR; undefined when not given. Throws when DIR is missing.
 */
function takeBenchDir(args: string[]): string | undefined {
  const at = args.findIndex((arg) => arg === "--bench-dir" || arg.startsWith("--bench-dir="));
  if (at < 0) return undefined;
  const [flag] = args.splice(at, 1);
  const value = flag.includes("=") ? flag.slice(flag.indexOf("=") + 1) : args[at]?.startsWith("-") ? undefined : args.splice(at, 1)[0];
  if (value === undefined || value === "") throw new Error("--bench-dir needs a folder, e.g. --bench-dir /tmp/bench (npm run bench -- --help)");
  return value;
}

/** Sends `signal` to the process group `pgid`; false when no process is left in it. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is empty
  }
}

/** Waits up to 10 s for the processes the benchmark left (a server still stopping), then kills them. */
async function groupGone(pgid: number): Promise<void> {
  for (let waited = 0; signalGroup(pgid, 0) && waited < 10_000; waited += 50) await sleep(50);
  signalGroup(pgid, "SIGKILL");
}
