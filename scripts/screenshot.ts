/**
 * `npx tsx scripts/screenshot.ts [out.png]`: regenerates design/dashboard.png (1280 x 900) from a
 * temp data dir: an older version of the sample workbook, a failed load, then the sample itself,
 * so the history, the change summary and a failed run all show. Real ETL, real API, real browser.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { xlsxBytes } from "./testing/xlsx_writer.ts";
import { olderVersion } from "./testing/workbook_versions.ts";
import { startDemo, sampleWorkbook, repoRoot } from "./testing/demo_server.ts";
import { Browser, findChromium } from "./testing/cdp.ts";

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
