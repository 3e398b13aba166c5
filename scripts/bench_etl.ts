// `npm run bench -- etl [--actors 3000] [--repeat 3]`: the relationship load end to end (hash,
// read and check both sheets, build the snapshot, publish) on a generated N-actor workbook, against
// the inflate floor (only inflating the matrix sheet's ZIP entry) measured in the same run. Each
// measurement runs in its own child process so peak RSS is its own. `--actors 16384` checks the
// Excel maximum stays under 1 GB.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bestOf, inflateFloor, runChild, usage } from "./bench_measure.ts";
import { replaceFile } from "../etl/files/mod.ts";
import { readSettings } from "../etl/settings/mod.js";

interface Measure {
  seconds: number;
  cpuSeconds: number;
  maxRssMb: number;
  bytes?: number;
  status?: string;
  counts?: Record<string, number>;
  phases?: Record<string, number>;
}

/** Child mode: `bench_etl.ts --child floor|load FILE DATA_DIR`; prints one JSON line. */
async function child(mode: string, file: string, dataDir: string): Promise<void> {
  // Modules load before the clock starts: start-up is a constant, not part of loading a file.
  const { loadRelationships } = await import("../etl/relationships/load_relationships.ts");
  const started = performance.now();
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
  process.stdout.write(JSON.stringify({ ...measure, seconds: (performance.now() - started) / 1000, ...usage() }) + "\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--child") return child(args[1], args[2], args[3]);
  const option = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const actors = option("--actors", 3000);
  const repeats = option("--repeat", actors > 5000 ? 1 : 3);
  const { writeXlsxFile } = await import("./testing/xlsx_writer.ts");
  const { matrixWorkbook } = await import("./testing/matrix_workbook.ts");
  // Generated workbooks are kept in BENCH_DIR (.bench/, git-ignored): a 16,384-actor one takes minutes to write.
  const cache = readSettings("bench").benchDir;
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), "bench-etl-"));
  try {
    const file = join(cache, `relaciones-${actors}-seed7.xlsx`);
    if (!existsSync(file)) {
      const t0 = performance.now();
      await writeXlsxFile(`${file}.partial`, matrixWorkbook({ actors, seed: 7 }));
      replaceFile(`${file}.partial`, file);
      console.log(`N=${actors}: generated ${(statSync(file).size / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } else {
      console.log(`N=${actors}: using ${file} (${(statSync(file).size / 1e6).toFixed(1)} MB)`);
    }
    // Best of `repeats` each, alternating, so disk cache and CPU load treat both alike.
    const { floor: f, load: l } = bestOf(repeats, ["floor", "load"] as const, (mode) =>
      runChild<Measure>(import.meta.url, [mode, file, join(dir, "data")]),
    );
    const ratio = l.seconds / f.seconds;
    const phases = Object.entries(l.phases ?? {}).map(([p, s]) => `${p} @${s.toFixed(2)} s`).join(", ");
    console.log(`  inflate floor: ${f.seconds.toFixed(3)} s (${((f.bytes ?? 0) / 1e6).toFixed(0)} MB of sheet XML), peak RSS ${f.maxRssMb.toFixed(0)} MB`);
    console.log(`  end to end:    ${l.seconds.toFixed(3)} s (CPU ${l.cpuSeconds.toFixed(2)} s), peak RSS ${l.maxRssMb.toFixed(0)} MB`);
    console.log(`                 ${phases}, published at ${l.seconds.toFixed(2)} s`);
    console.log(`                 ${l.counts?.actors} actors, ${l.counts?.pairs} pairs`);
    console.log(`  ratio to floor: ${ratio.toFixed(2)}x (target <= 3x)`);
    const rssTarget = actors > 5000 ? 1024 : 400;
    console.log(`  peak RSS: ${l.maxRssMb.toFixed(0)} MB (target < ${rssTarget} MB) ${l.maxRssMb < rssTarget ? "ok" : "OVER"}`);
  } finally {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
