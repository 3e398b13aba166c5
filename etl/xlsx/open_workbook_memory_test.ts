import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { writeXlsxFile } from "../../scripts/testing/xlsx_writer.ts";
import { matrixWorkbook } from "../../scripts/testing/matrix_workbook.ts";
import { tempDir } from "../../scripts/testing/xlsx_cells.ts";

const PROBE = fileURLToPath(new URL("../../scripts/testing/sheet_heap.ts", import.meta.url));

// The reader holds one chunk of XML and one row at a time: the memory it keeps while streaming a
// sheet must not depend on the sheet's size. A small and a 16x bigger sheet (4 M cells, ~100 MB of
// XML) are streamed in a child with --expose-gc, which collects garbage fully before each reading,
// so what is compared is memory still reachable (holding the cells or the XML would keep well
// over 100 MB), not whenever the collector happened to run.
test("openWorkbook() streams a sheet in memory that does not grow with the sheet", { timeout: 180_000 }, async () => {
  const tmp = tempDir();
  try {
    const growth = async (actors: number): Promise<{ growthMb: number; cells: number }> => {
      const file = tmp.path(`m${actors}.xlsx`);
      await writeXlsxFile(file, matrixWorkbook({ actors, filledActors: actors }));
      const out = execFileSync(process.execPath, [...process.execArgv, "--expose-gc", PROBE, file, "Matriz de adyacencia"], { encoding: "utf8" });
      return JSON.parse(out.trim().split("\n").at(-1)!);
    };
    const small = await growth(500);
    const big = await growth(2000);
    assert.ok(big.cells > 15 * small.cells);
    assert.ok(big.growthMb < small.growthMb + 16, `reachable memory while streaming: +${small.growthMb.toFixed(1)} MB for ${small.cells} cells, +${big.growthMb.toFixed(1)} MB for ${big.cells}`);
  } finally {
    tmp.cleanup();
  }
});
