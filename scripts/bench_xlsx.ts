// `npm run bench -- xlsx [--sizes 1000,3000]`: reads N-by-N matrix workbooks made by the shared
// writer and compares a full read with the floor (inflating the sheet entry and doing nothing
// else), in the same run. Each measurement runs in a child process so peak RSS is its own.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInflateRaw } from "node:zlib";
import { createReadStream } from "node:fs";
import { openWorkbook } from "../etl/xlsx/mod.ts";

const SHEET = "Matriz de adyacencia";

interface Measure {
  seconds: number;
  cells: number;
  bytes: number;
  maxRssMb: number;
}

/** Child mode: `bench_xlsx.ts --child floor|read FILE`; prints one JSON line. */
async function child(mode: string, file: string): Promise<void> {
  const started = process.hrtime.bigint();
  let cells = 0;
  let bytes = 0;
  if (mode === "floor") {
    // Locate the sheet's compressed range through the reader's own ZIP code would be circular;
    // the central directory of our writer's files is simple, so read it with a tiny scan.
    const { start, size } = await sheetRange(file);
    const inflate = createInflateRaw({ chunkSize: 128 * 1024 });
    createReadStream(file, { start, end: start + size - 1, highWaterMark: 256 * 1024 }).pipe(inflate);
    for await (const chunk of inflate as AsyncIterable<Buffer>) bytes += chunk.length;
  } else {
    const wb = await openWorkbook(file);
    try {
      for await (const row of wb.rows(SHEET)) {
        const c = row.cells;
        cells += c.length;
        // touch the values like a consumer would
        for (let i = 0; i < c.length; i++) if (c[i].value === -1) cells--;
      }
    } finally {
      await wb.close();
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ seconds, cells, bytes, maxRssMb } satisfies Measure) + "\n");
}

/** The data offset and compressed size of the sheet entry 'xl/worksheets/sheet1.xml'. */
async function sheetRange(file: string): Promise<{ start: number; size: number }> {
  const { open } = await import("node:fs/promises");
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
        // ZIP64 extra: uncompressed, compressed, offset (only those that overflowed)
        const x = p + 46 + nameLen;
        let f = x + 4;
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
    throw new Error(`No sheet1.xml in ${file}`);
  } finally {
    await h.close();
  }
}

function run(mode: string, file: string): Measure {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [...process.execArgv, self, "--child", mode, file], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`The ${mode} run failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() as string) as Measure;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--child") return child(args[1], args[2]);
  const i = args.indexOf("--sizes");
  const sizes = (i >= 0 ? args[i + 1] : "1000,3000").split(",").map(Number);
  const repeats = Number(args[args.indexOf("--repeat") + 1]) || 5;
  const { writeXlsxFile, matrixWorkbook } = await import("./xlsx_writer.ts");
  const dir = mkdtempSync(join(tmpdir(), "bench-xlsx-"));
  try {
    for (const n of sizes) {
      const file = join(dir, `matrix-${n}.xlsx`);
      const t0 = Date.now();
      await writeXlsxFile(file, matrixWorkbook({ actors: n }));
      const fileMb = statSync(file).size / 1e6;
      console.log(`\nN=${n}: wrote ${fileMb.toFixed(1)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      // Best of `repeats` for both, alternating, so disk cache and CPU frequency treat them alike.
      let floor: Measure | undefined;
      let read: Measure | undefined;
      for (let k = 0; k < repeats; k++) {
        const f = run("floor", file);
        const r = run("read", file);
        if (!floor || f.seconds < floor.seconds) floor = f;
        if (!read || r.seconds < read.seconds) read = r;
      }
      const f = floor as Measure;
      const r = read as Measure;
      const xmlMb = f.bytes / 1e6;
      console.log(`  floor (inflate sheet only): ${f.seconds.toFixed(3)} s, ${(xmlMb / f.seconds).toFixed(0)} MB/s of sheet XML, peak RSS ${f.maxRssMb.toFixed(0)} MB`);
      console.log(
        `  full read: ${r.seconds.toFixed(3)} s, ${(r.cells / r.seconds / 1e6).toFixed(2)} M cells/s (${r.cells} cells), ` +
          `${(xmlMb / r.seconds).toFixed(0)} MB/s of sheet XML (${xmlMb.toFixed(0)} MB), peak RSS ${r.maxRssMb.toFixed(0)} MB`,
      );
      console.log(`  ratio to floor: ${(r.seconds / f.seconds).toFixed(2)}x`);
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
