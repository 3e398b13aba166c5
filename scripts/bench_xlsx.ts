// `npm run bench -- xlsx [--sizes 1000,3000]`: reads N-by-N matrix workbooks made by the shared
// writer and compares a full read with the floor (inflating the sheet entry and doing nothing
// else), in the same run. Each measurement runs in a child process so peak RSS is its own.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openWorkbook } from "../etl/xlsx/mod.ts";
import { bestOf, inflateFloor, numberFlag, reportFailures, runChild, usage } from "./bench_measure.ts";

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
    bytes = await inflateFloor(file);
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
  const { maxRssMb } = usage();
  process.stdout.write(JSON.stringify({ seconds, cells, bytes, maxRssMb } satisfies Measure) + "\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--child") return child(args[1], args[2]);
  // Strict: a mistyped flag (--size) is refused, not run as the defaults for minutes.
  const { values } = parseArgs({ args, options: { sizes: { type: "string", default: "1000,3000" }, repeat: { type: "string", default: "5" } } });
  const sizes = values.sizes!.split(",").map((n) => numberFlag("sizes", n, { min: 2, integer: true }));
  const repeats = numberFlag("repeat", values.repeat!, { min: 1, integer: true });
  const { writeXlsxFile } = await import("./testing/xlsx_writer.ts");
  const { matrixWorkbook } = await import("./testing/matrix_workbook.ts");
  const dir = mkdtempSync(join(tmpdir(), "bench-xlsx-"));
  try {
    for (const n of sizes) {
      const file = join(dir, `matrix-${n}.xlsx`);
      const t0 = Date.now();
      await writeXlsxFile(file, matrixWorkbook({ actors: n }));
      const fileMb = statSync(file).size / 1e6;
      console.log(`\nN=${n}: wrote ${fileMb.toFixed(1)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      // Best of `repeats` for both, alternating, so disk cache and CPU frequency treat them alike.
      const { floor: f, read: r } = bestOf(repeats, ["floor", "read"] as const, (mode) => runChild<Measure>(import.meta.url, [mode, file]));
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

reportFailures();
await main();
