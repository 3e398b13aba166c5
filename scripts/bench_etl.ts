// `npm run bench -- etl [--actors 3000] [--repeat 3]`: the relationship load end to end (hash,
// read and check both sheets, build the snapshot, publish) on a generated N-actor workbook, against
// the inflate floor (only inflating the matrix sheet's ZIP entry) measured in the same run. Each
// measurement runs in its own child process so peak RSS is its own. `--actors 16384` checks the
// Excel maximum stays under 1 GB.
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInflateRaw } from "node:zlib";

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
    const { start, size } = await sheetRange(file);
    const inflate = createInflateRaw({ chunkSize: 128 * 1024 });
    createReadStream(file, { start, end: start + size - 1, highWaterMark: 256 * 1024 }).pipe(inflate);
    let bytes = 0;
    for await (const chunk of inflate as AsyncIterable<Buffer>) bytes += chunk.length;
    measure.bytes = bytes;
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
  const usage = process.resourceUsage();
  process.stdout.write(
    JSON.stringify({
      ...measure,
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
      maxRssMb: usage.maxRSS / 1024,
    }) + "\n",
  );
}

/** The data offset and compressed size of the worksheet entry of the matrix (sheet1.xml). */
async function sheetRange(file: string): Promise<{ start: number; size: number }> {
  const h = await open(file, "r");
  try {
    const { size } = await h.stat();
    const tailLen = Math.min(size, 65557 + 20);
    const tail = Buffer.alloc(tailLen);
    await h.read(tail, 0, tailLen, size - tailLen);
    const e = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 5, 6]));
    let cdOffset = tail.readUInt32LE(e + 16);
    let cdSize = tail.readUInt32LE(e + 12);
    if (e >= 20 && tail.readUInt32LE(e - 20) === 0x07064b50) {
      // ZIP64 end of central directory: the real size and offset live there.
      const rec = Buffer.alloc(56);
      await h.read(rec, 0, 56, Number(tail.readBigUInt64LE(e - 12)));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
    const cd = Buffer.alloc(cdSize);
    await h.read(cd, 0, cdSize, cdOffset);
    for (let p = 0; p < cd.length; ) {
      let csize = cd.readUInt32LE(p + 20);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      let local = cd.readUInt32LE(p + 42);
      const name = cd.toString("utf8", p + 46, p + 46 + nameLen);
      if (csize === 0xffffffff || local === 0xffffffff) {
        let f = p + 46 + nameLen + 4; // ZIP64 extra: uncompressed, compressed, offset (those that overflowed)
        if (cd.readUInt32LE(p + 24) === 0xffffffff) f += 8;
        if (csize === 0xffffffff) (csize = Number(cd.readBigUInt64LE(f))), (f += 8);
        if (local === 0xffffffff) local = Number(cd.readBigUInt64LE(f));
      }
      if (name === "xl/worksheets/sheet1.xml") {
        const lh = Buffer.alloc(30);
        await h.read(lh, 0, 30, local);
        return { start: local + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28), size: csize };
      }
      p += 46 + nameLen + extraLen + cd.readUInt16LE(p + 32);
    }
    throw new Error(`No xl/worksheets/sheet1.xml in ${file}`);
  } finally {
    await h.close();
  }
}

function measure(mode: string, file: string, dataDir: string): Measure {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [...process.execArgv, self, "--child", mode, file, dataDir], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) {
    const why = r.stderr.split("\n").filter((line) => line.trim() && !/^\s+at |^Node\.js v/.test(line)).slice(-5).join("\n");
    throw new Error(`The ${mode} run failed (exit ${r.status ?? r.signal}):\n${why}`);
  }
  return JSON.parse(r.stdout.trim().split("\n").pop() as string) as Measure;
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
  const { writeXlsxFile, matrixWorkbook } = await import("./xlsx_writer.ts");
  // Generated workbooks are kept in .bench/ (git-ignored): a 16,384-actor one takes minutes to write.
  const cache = fileURLToPath(new URL("../.bench/", import.meta.url));
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), "bench-etl-"));
  try {
    const file = join(cache, `relaciones-${actors}-seed7.xlsx`);
    if (!existsSync(file)) {
      const t0 = performance.now();
      await writeXlsxFile(`${file}.partial`, matrixWorkbook({ actors, seed: 7 }));
      renameSync(`${file}.partial`, file);
      console.log(`N=${actors}: generated ${(statSync(file).size / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } else {
      console.log(`N=${actors}: using ${file} (${(statSync(file).size / 1e6).toFixed(1)} MB)`);
    }
    // Best of `repeats` each, alternating, so disk cache and CPU load treat both alike.
    let floor: Measure | undefined;
    let load: Measure | undefined;
    for (let k = 0; k < repeats; k++) {
      const f = measure("floor", file, "");
      const l = measure("load", file, join(dir, "data"));
      if (!floor || f.seconds < floor.seconds) floor = f;
      if (!load || l.seconds < load.seconds) load = l;
    }
    const f = floor as Measure;
    const l = load as Measure;
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
