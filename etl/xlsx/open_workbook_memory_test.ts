import { test } from "node:test";
import assert from "node:assert/strict";
import { writeXlsxFile } from "../../scripts/testing/xlsx_writer.ts";
import { matrixWorkbook } from "../../scripts/testing/matrix_workbook.ts";
import { openWorkbook } from "./mod.ts";
import { tempDir } from "../../scripts/testing/xlsx_cells.ts";

// The reader holds one chunk of XML and one row at a time: the heap it needs while streaming a
// sheet must not depend on the sheet's size. Reading a small and a 16x bigger sheet (4 M cells,
// ~100 MB of XML) must peak at about the same heap; holding the cells or the XML would add well
// over 100 MB.
test("openWorkbook() streams a sheet in memory that does not grow with the sheet", { timeout: 120_000 }, async () => {
  const tmp = tempDir();
  try {
    const peakGrowth = async (actors: number): Promise<{ mb: number; cells: number }> => {
      const file = tmp.path(`m${actors}.xlsx`);
      await writeXlsxFile(file, matrixWorkbook({ actors, filledActors: actors }));
      const wb = await openWorkbook(file);
      const base = process.memoryUsage().heapUsed;
      let peak = base;
      let cells = 0;
      try {
        for await (const row of wb.rows("Matriz de adyacencia")) {
          cells += row.cells.length;
          if ((row.row & 31) === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
        }
      } finally {
        await wb.close();
      }
      return { mb: (peak - base) / 2 ** 20, cells };
    };
    const small = await peakGrowth(500);
    const big = await peakGrowth(2000);
    assert.ok(big.cells > 15 * small.cells);
    assert.ok(big.mb < small.mb + 48, `peak heap growth: ${small.mb.toFixed(1)} MB for ${small.cells} cells, ${big.mb.toFixed(1)} MB for ${big.cells}`);
  } finally {
    tmp.cleanup();
  }
});
