/**
 * `npx tsx scripts/screenshot.ts [out.png]`: regenerates design/dashboard.png (1280 x 900) from a
 * temp data dir: an older version of the sample workbook, a failed load, then the sample itself,
 * so the history, the change summary and a failed run all show. Real ETL, real API, real browser.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { openWorkbook, CellError } from "../etl/xlsx/mod.ts";
import { xlsxBytes, type CellInput, type SheetSpec } from "./testing/xlsx_writer.ts";
import { startDemo, sampleWorkbook, repoRoot } from "./testing/demo_server.ts";
import { Browser, findChromium } from "./testing/cdp.ts";

const MATRIX = "Matriz de adyacencia";
const LIST = "Lista de actores";

/**
 * Returns the sample workbook's sheets with `pairs` mutual pairs unmarked (set to 0 both ways) and
 * one actor renamed: "last week's file", so loading the real sample next shows changes.
 *
 * @example
 * const sheets = await olderVersion(sampleWorkbook, 4);
 */
export async function olderVersion(path: string, pairs: number): Promise<SheetSpec[]> {
  const workbook = await openWorkbook(path);
  try {
    const sheets: SheetSpec[] = [];
    for (const name of workbook.sheetNames) {
      const rows: CellInput[][] = [];
      for await (const row of workbook.rows(name)) {
        const values: CellInput[] = [];
        for (const cell of row.cells) values[cell.col - 1] = cell.value instanceof CellError ? { error: cell.value.code } : cell.value;
        rows[row.row - 1] = values;
      }
      for (let i = 0; i < rows.length; i++) rows[i] ??= [];
      sheets.push({ name, rows });
    }
    const matrix = sheets.find((s) => s.name === MATRIX)!.rows as CellInput[][];
    let removed = 0;
    // Data starts at row 3, column C (the users' layout); (r, c) and its mirror share an actor offset.
    for (let r = 2; r < matrix.length && removed < pairs; r++) {
      for (let c = r + 1; c < matrix[r].length && removed < pairs; c++) {
        const mirror = matrix[c]?.[r];
        if (matrix[r][c] === 1 && mirror === 1) {
          matrix[r][c] = 0;
          matrix[c][r] = 0;
          removed++;
          r += 3; // spread the removed pairs over several actors
          break;
        }
      }
    }
    const list = sheets.find((s) => s.name === LIST)!.rows as CellInput[][];
    const named = list.findIndex((row, i) => i > 0 && typeof row[2] === "string");
    if (named > 0) list[named][2] = `${list[named][2]} (old spelling)`;
    return sheets;
  } finally {
    await workbook.close();
  }
}

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? join(repoRoot, "design", "dashboard.png"));
  const chromium = findChromium();
  if (!chromium) {
    console.error("Cannot find chromium: install it (apt-get install -y chromium) or set CHROMIUM_PATH.");
    process.exit(1);
  }
  const scratch = mkdtempSync(join(tmpdir(), "dashboard-shot-"));
  try {
    const older = join(scratch, "v1", "relaciones.xlsx");
    const broken = join(scratch, "v2", "relaciones.xlsx");
    mkdirSync(dirname(older));
    mkdirSync(dirname(broken));
    writeFileSync(older, xlsxBytes(await olderVersion(sampleWorkbook, 4)));
    // A truncated copy of a real workbook: the kind of file a sync client leaves half-written.
    writeFileSync(broken, xlsxBytes(await olderVersion(sampleWorkbook, 0)).subarray(0, 4000));
    const demo = await startDemo({ workbook: older });
    try {
      for (const workbook of [broken, sampleWorkbook]) {
        const outcome = await demo.etl(["--only", "relationships", "--workbook", workbook]);
        if (workbook === sampleWorkbook && outcome.code !== 0) throw new Error(`Loading the sample failed: ${outcome.stdout}`);
      }
      const browser = await Browser.launch(chromium);
      try {
        const page = await browser.newPage({ width: 1280, height: 900 });
        await page.goto(`${demo.url}/`);
        await page.waitFor("document.body.dataset.loaded === 'true'", 30000);
        // Select the busiest actor so the picture shows a selection and its relationship list.
        await page.evaluate("document.querySelector('#network-graph [data-actor-id]') && [...document.querySelectorAll('#network-graph .node')].sort((a, b) => b.querySelector('circle,rect').getAttribute('r') - a.querySelector('circle,rect').getAttribute('r'))[0].dispatchEvent(new MouseEvent('click', { bubbles: true }))");
        await page.waitFor("document.querySelectorAll('#network-detail [data-goto-actor]').length > 0");
        await page.evaluate("window.scrollTo(0, 0)");
        await new Promise((r) => setTimeout(r, 300));
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, await page.screenshot());
        if (page.errors.length) console.error(`The page reported errors:\n${page.errors.join("\n")}`);
        console.log(`Wrote ${out}`);
      } finally {
        await browser.close();
      }
    } finally {
      await demo.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("screenshot.ts")) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
