// Child process for etl/xlsx/open_workbook_memory_test.ts, run with --expose-gc: streams one sheet
// and prints, as one JSON line, the memory still reachable after full garbage collections taken
// while the rows go by. Collected memory, not sampled heap: a sample of `heapUsed` without a GC
// measures when the collector last ran, which depends on the machine's speed and load.
import { openWorkbook } from "../../etl/xlsx/mod.ts";

const [file, sheet] = process.argv.slice(2);
const collect = globalThis.gc;
if (!collect) throw new Error("Run with --expose-gc");
const retained = () => {
  collect();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

const workbook = await openWorkbook(file);
let cells = 0;
let rows = 0;
let peak = 0;
const base = retained();
try {
  for await (const row of workbook.rows(sheet)) {
    cells += row.cells.length;
    if (++rows % 100 === 0) peak = Math.max(peak, retained());
  }
} finally {
  await workbook.close();
}
process.stdout.write(JSON.stringify({ cells, rows, growthMb: (peak - base) / 2 ** 20 }) + "\n");
