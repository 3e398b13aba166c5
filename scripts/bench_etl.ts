// `npm run bench -- etl [--actors 3000] [--repeat 3] [--whole|--no-whole]`: the relationship load
// (hash, read and check both sheets, build the snapshot, publish) on a generated N-actor workbook,
// measured two ways, each against a floor measured in the same run:
//  - in process: the load with its modules loaded, against Node's inflate of the matrix sheet's ZIP
//    entry (the reader cannot be faster than inflating what it reads);
//  - the whole command as a user runs it (`npm run etl -- --only relationships ...`: npm, Node,
//    tsx, modules, DuckDB, the load), against `unzip -p` of the same sheet when unzip is installed.
// Also `npm run etl -- --help` against `node -e 0`, and a scheduled load of the sample started
// cold or prepared ahead. Best of --repeat each, alternating so load on the machine treats floor
// and measure alike; peak RSS of each. `--actors 16384` checks the Excel maximum stays under 1 GB.
// The Parquet copy a publication writes (PARQUET_DIR, on by default) is timed on its own, after
// the load, and left out of both load figures, so they compare with the floors as before.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { benchWorkbook, bestOf, bestOfAsync, hasCommand, inflateFloor, numberFlag, reportFailures, runChild, timeCommand, usage, type CommandMeasure } from "./bench_measure.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));

interface Measure {
  seconds: number;
  cpuSeconds: number;
  maxRssMb: number;
  bytes?: number;
  status?: string;
  counts?: Record<string, number>;
  phases?: Record<string, number>;
  /** The Parquet export of the published version, timed after the load. */
  parquet?: { seconds: number; files: number; mb: number };
}

/** Child mode: `bench_etl.ts --child floor|load FILE DATA_DIR`; prints one JSON line. */
async function child(mode: string, file: string, dataDir: string): Promise<void> {
  // Modules and the DuckDB driver load before the clock starts: start-up is measured by the whole
  // command, this is the load itself.
  const { loadRelationships } = await import("../etl/relationships/load_relationships.ts");
  (await import("../etl/db/mod.ts")).Database.loadDriver();
  const started = performance.now();
  const cpu = process.cpuUsage(); // every thread of this process: main, inflate, DuckDB's, the hash worker
  const measure: Partial<Measure> = {};
  if (mode === "floor") {
    measure.bytes = await inflateFloor(file);
  } else {
    rmSync(dataDir, { recursive: true, force: true });
    const phases: Record<string, number> = {};
    const { run } = await loadRelationships({
      workbook: file,
      dataDir,
      onPhase: (phase) => (phases[phase] = (performance.now() - started) / 1000),
    });
    if (run.status !== "succeeded") throw new Error(`The load ${run.status}: ${run.error?.message}`);
    measure.status = run.status;
    measure.counts = run.counts;
    measure.phases = phases;
  }
  const { user, system } = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  const memory = usage(); // before the export: the peak RSS is the load's
  if (mode === "load") {
    const { exportParquet } = await import("../etl/relationships/export_parquet.ts");
    const dir = join(dataDir, "parquet");
    const t0 = performance.now();
    const result = await exportParquet({ dataDir, dir, live: join(dataDir, "relationships.duckdb"), version: 1 });
    if (result.status !== "written") throw new Error(`The Parquet export failed: ${result.error?.message}`);
    measure.parquet = { seconds: (performance.now() - t0) / 1000, files: result.files, mb: folderBytes(dir) / 1e6 };
  }
  process.stdout.write(JSON.stringify({ ...measure, seconds, ...memory, cpuSeconds: (user + system) / 1e6 }) + "\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--child") return child(args[1], args[2], args[3]);
  const { values } = parseArgs({
    args,
    options: {
      actors: { type: "string", default: "3000" },
      repeat: { type: "string" },
      whole: { type: "boolean" },
      "no-whole": { type: "boolean" },
      "startup-repeat": { type: "string", default: "9" },
    },
  });
  const actors = numberFlag("actors", values.actors!, { min: 2, integer: true });
  const repeats = values.repeat === undefined ? (actors > 5000 ? 1 : 3) : numberFlag("repeat", values.repeat, { min: 1, integer: true });
  // The whole command at 16,384 actors is a minute per run (and unzip half a minute): opt in.
  const whole = values["no-whole"] ? false : (values.whole ?? actors <= 5000);
  const dir = mkdtempSync(join(tmpdir(), "bench-etl-"));
  const load = () => loadavg()[0].toFixed(1);
  try {
    // Generated workbooks are kept in BENCH_DIR (.bench/, git-ignored).
    const { file, generatedSeconds } = await benchWorkbook(actors);
    if (generatedSeconds !== null) console.log(`N=${actors}: generated ${(statSync(file).size / 1e6).toFixed(1)} MB in ${generatedSeconds.toFixed(1)} s`);
    else console.log(`N=${actors}: using ${file} (${(statSync(file).size / 1e6).toFixed(1)} MB)`);
    console.log(`  machine: ${availableParallelism()} cores, load average ${load()} at the start`);

    // Start-up: the CLI as a user types it, next to Node doing nothing.
    const startupRepeats = numberFlag("startup-repeat", values["startup-repeat"]!, { min: 1, integer: true });
    const { help, node } = bestOf(startupRepeats, ["help", "node"] as const, (mode) =>
      mode === "help" ? timeCommand("npm", ["run", "-s", "etl", "--", "--help"], { cwd: REPO }) : timeCommand(process.execPath, ["-e", "0"]),
    );
    console.log(`  start-up (best of ${startupRepeats}): npm run etl -- --help ${ms(help.seconds)}, node -e 0 ${ms(node.seconds)}: ${ratio(help.seconds, node.seconds)} (target: under 500 ms)`);

    // In process: the load with its modules already loaded, against Node's inflate of the sheet.
    const { floor: f, load: l } = bestOf(repeats, ["floor", "load"] as const, (mode) => runChild<Measure>(import.meta.url, [mode, file, join(dir, "data")]));
    const phases = Object.entries(l.phases ?? {}).map(([p, s]) => `${p} @${s.toFixed(2)} s`).join(", ");
    console.log(`  in process (best of ${repeats}): load ${sec(l.seconds)} (CPU ${l.cpuSeconds.toFixed(2)} s on all threads: ${(l.cpuSeconds / availableParallelism()).toFixed(2)} s a core at best), Node's inflate of the sheet ${sec(f.seconds)} (${((f.bytes ?? 0) / 1e6).toFixed(0)} MB of XML): ${ratio(l.seconds, f.seconds)} (target <= 1.5x)`);
    console.log(`    ${phases}, published at ${l.seconds.toFixed(2)} s; ${l.counts?.actors} actors, ${l.counts?.pairs} pairs`);
    const rssTarget = actors > 5000 ? 1024 : 300;
    console.log(`    peak RSS ${l.maxRssMb.toFixed(0)} MB (target < ${rssTarget} MB) ${l.maxRssMb < rssTarget ? "ok" : "OVER"}; the inflate alone peaks at ${f.maxRssMb.toFixed(0)} MB`);
    if (l.parquet) console.log(`    then the Parquet copy of the version (PARQUET_DIR): ${sec(l.parquet.seconds)}, ${l.parquet.files} files, ${l.parquet.mb.toFixed(1)} MB`);

    // The whole command, as a user runs it, against unzip -p of the same sheet.
    if (whole) {
      const unzip = hasCommand("unzip");
      const modes = unzip ? (["unzip", "command"] as const) : (["command"] as const);
      const best = bestOf(repeats, modes, (mode): CommandMeasure => {
        if (mode === "unzip") return timeCommand("unzip", ["-p", file, "xl/worksheets/sheet1.xml"]);
        const data = join(dir, "cli-data");
        rmSync(data, { recursive: true, force: true });
        // Without the Parquet copy (timed on its own above): the load as the floors compare it.
        return timeCommand("npm", ["run", "-s", "etl", "--", "--only", "relationships", "--workbook", file, "--data-dir", data, "--json", "--parquet", "off"], { cwd: REPO });
      });
      const c = best.command;
      const rss = c.maxRssMb === null ? "peak RSS unknown (no GNU time)" : `peak RSS ${c.maxRssMb.toFixed(0)} MB`;
      if ("unzip" in best) {
        const u = (best as Record<"unzip" | "command", CommandMeasure>).unzip;
        console.log(`  whole command (best of ${repeats}): npm run etl -- --only relationships ${sec(c.seconds)}, unzip -p of the sheet ${sec(u.seconds)}: ${ratio(c.seconds, u.seconds)} (target <= 2x); ${rss}`);
      } else {
        console.log(`  whole command (best of ${repeats}): npm run etl -- --only relationships ${sec(c.seconds)} (unzip is not installed: no ratio); ${rss}`);
      }
    }

    // A scheduled load of the bundled sample (50 actors) as npm start runs it: a child per load,
    // started when the load is due, or prepared ahead (the workbook started changing).
    const sample = fileURLToPath(new URL("../data/relaciones.xlsx", import.meta.url));
    if (existsSync(sample)) {
      const { cold, prepared } = await bestOfAsync(repeats, ["cold", "prepared"] as const, (mode) => scheduledLoad(sample, join(dir, `sched-${mode}`), mode === "prepared"));
      console.log(`  scheduled load of the 50-actor sample (best of ${repeats}): a child started for it ${sec(cold)}, a child prepared ahead ${sec(prepared)}`);
    }
    console.log(`  load average ${load()} at the end`);
  } finally {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

/** One scheduled load through childProcessLoad, timed from the moment it is due; seconds. */
async function scheduledLoad(workbook: string, dataDir: string, prepared: boolean): Promise<{ seconds: number }> {
  const { childProcessLoad } = await import("../etl/schedule/mod.ts");
  rmSync(dataDir, { recursive: true, force: true });
  const runLoad = childProcessLoad({ dataDir, workbook });
  try {
    if (prepared) {
      runLoad.prepare();
      // The scheduler prepares 3 s (a changed file settling) or 60 s (the daily run) ahead.
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
    const started = performance.now();
    const result = await runLoad("file-changed");
    if (result.exitCode !== 0) throw new Error(`The scheduled load exited ${result.exitCode}: ${result.stderr.slice(-300)}`);
    return { seconds: (performance.now() - started) / 1000 };
  } finally {
    runLoad.close();
  }
}

/** Bytes of the files under `dir`. */
function folderBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((n, e) => n + statSync(join(e.parentPath ?? e.path, e.name)).size, 0);
}

const sec = (s: number) => `${s.toFixed(2)} s`;
const ms = (s: number) => `${Math.round(s * 1000)} ms`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

reportFailures();
await main();
