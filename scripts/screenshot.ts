/**
 * `npx tsx scripts/screenshot.ts [out.png]`: regenerates design/dashboard.png (1280 wide, from the
 * top of the page to the end of the matrix) from a temp data dir: an older version of the sample
 * workbook, the sample itself, then a broken copy, so the served version with its changes, the
 * failed newest attempt beside it, the history and a finding shown in the network and the matrix
 * are all in the picture. Real ETL, real API, real browser.
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
      for (const workbook of [sampleWorkbook, broken]) {
        const outcome = await demo.etl(["--only", "relationships", "--workbook", workbook]);
        if (workbook === sampleWorkbook && outcome.code !== 0) throw new Error(`Loading the sample failed: ${outcome.stdout}`);
      }
      // The watcher serves the new version within a poll of its publication.
      const servedVersion = async () => ((await (await fetch(`${demo.url}/versions?limit=1`)).json()) as { current_version_id: number | null }).current_version_id;
      for (let i = 0; i < 50 && (await servedVersion()) !== 2; i++) await new Promise((r) => setTimeout(r, 100));
      const browser = await Browser.launch(chromium);
      try {
        const page = await browser.newPage({ width: 1280, height: 900 });
        await page.goto(`${demo.url}/`);
        await page.waitFor("document.body.dataset.loaded === 'true' && Number(document.body.dataset.matrixRows) > 0", 30000);
        // Show the first asymmetric pair: highlighted in the network and outlined in the matrix.
        await page.evaluate("document.querySelector('#findings-body [data-check=asymmetric_pair] [data-show-pair]')?.click()");
        await page.waitFor("document.getElementById('network-graph').dataset.pair");
        await page.evaluate("window.scrollTo(0, 0)");
        await new Promise((r) => setTimeout(r, 300));
        const bottom = await page.evaluate<number>("Math.ceil(document.getElementById('matrix').getBoundingClientRect().bottom + scrollY + 16)");
        const { data } = await page.send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true, clip: { x: 0, y: 0, width: 1280, height: bottom, scale: 1 } });
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, Buffer.from(data, "base64"));
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
