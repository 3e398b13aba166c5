// The dashboard on a workbook whose actors have long names with no space to break at (200 Latin
// letters; 120 Hebrew ones), and a contact whose names and department are one long word, in
// headless chromium against the real API after the real ETL loaded them. Seen in review: the
// findings' name column took the whole row, the cell column shrank to two characters and Show ended
// past the card's edge; at phone width the page scrolled sideways; the network's detail list ran
// past its panel, and a next version's changes naming them past the served version's card. At
// 800 px (names aside) the matrix's number tiles were 50 px wide, their labels past the card.
// Skips with a message when chromium is not installed.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Browser, findChromium, type Page } from "../../scripts/testing/cdp.ts";
import { sampleContacts, startDemo, type Demo } from "../../scripts/testing/demo_server.ts";
import { matrixWorkbook } from "../../scripts/testing/matrix_workbook.ts";
import { writeXlsxFile } from "../../scripts/testing/xlsx_writer.ts";

const chromium = findChromium();
const skip = chromium ? false : "chromium is not installed (apt-get install -y chromium); skipping the browser tests";
if (!chromium) console.log(skip);

const LATIN = "W".repeat(200);
const HEBREW = `…${"ש".repeat(120)}`;
const WORD = "Q".repeat(100);

let scratch: string;
let demo: Demo;
let browser: Browser;

before(async () => {
  if (!chromium) return;
  scratch = mkdtempSync(join(tmpdir(), "dashboard-long-names-"));
  const workbook = join(scratch, "relaciones.xlsx");
  // Actors 1 and 2 carry the long names; the asymmetric pairs put them in the findings' rows.
  const name = (id: number) => (id === 1 ? LATIN : id === 2 ? HEBREW : `Actor ${id}`);
  await writeXlsxFile(workbook, matrixWorkbook({ actors: 12, seed: 2, density: 0.4, asymmetric: [[1, 3], [2, 4], [1, 2]], codeMismatch: { id: 1, listCode: "Z" }, name }));
  const contacts = join(scratch, "contacts.csv");
  writeFileSync(contacts, `${readFileSync(sampleContacts, "utf8").trimEnd()}\n${WORD},${WORD},${WORD},1 Main St,${WORD},LA,70001,504-555-0100,,long.word@example.com,${WORD}\n`);
  [demo, browser] = await Promise.all([startDemo({ workbook, contacts }), Browser.launch(chromium)]);
});

after(async () => {
  if (!chromium) return;
  await browser?.close();
  await demo?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/**
 * Every element, and every run of text (which may overflow a box that stays narrow), that ends past
 * the right edge of its card (or of the page), as "tag.class: text"; but inside a box that scrolls
 * on its own (`.table-wrap`), the drawing's SVG, which pans, and text for screen readers only
 * (`.sr-only`, clipped to nothing on screen).
 */
const PAST_EDGE = `(() => {
  const text = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [];
  while (text.nextNode()) texts.push(text.currentNode);
  return [...document.querySelectorAll('body *'), ...texts]
    .filter((node) => {
      const e = node instanceof Element ? node : node.parentElement;
      const range = document.createRange();
      range.selectNodeContents(node);
      const r = node instanceof Element ? node.getBoundingClientRect() : range.getBoundingClientRect();
      if (r.width === 0 || e.closest('.table-wrap, svg, .sr-only')) return false;
      const box = e.closest('.card')?.getBoundingClientRect().right ?? document.documentElement.clientWidth;
      return r.right > Math.min(box, document.documentElement.clientWidth) + 1;
    })
    .map((node) => (node instanceof Element ? node.tagName.toLowerCase() + '.' + node.className : 'text in ' + node.parentElement.tagName.toLowerCase() + '.' + node.parentElement.className) + ': ' + node.textContent.trim().slice(0, 30));
})()`;

/** Opens the dashboard at `width`, every finding unfolded, the long-named actor selected in the network. */
async function opened(width: number): Promise<Page> {
  const page = await browser.newPage({ width, height: 900 });
  await page.goto(`${demo.url}/`);
  await page.waitFor("document.body.dataset.loaded === 'true'", 30_000);
  await page.evaluate("document.querySelectorAll('#findings details').forEach((d) => { d.open = true; })");
  await page.waitFor(`document.querySelector('#findings').textContent.includes(${JSON.stringify(LATIN)})`);
  await page.evaluate(`document.querySelector('#network-graph [data-actor-id="1"]').dispatchEvent(new MouseEvent('click', { bubbles: true }))`);
  await page.waitFor(`document.getElementById('network-detail').textContent.includes(${JSON.stringify(HEBREW)})`);
  return page;
}

for (const width of [1280, 800, 390, 320]) {
  test(`at ${width} px long unbroken names wrap inside their cards and the page does not scroll sideways`, { skip, timeout: 90_000 }, async () => {
    const page = await opened(width);
    assert.deepEqual(await page.evaluate(PAST_EDGE), [], "after the load, with the actor's detail open");
    assert.equal(await page.evaluate("document.documentElement.scrollWidth"), width);
    // The same with the actor searched for, the heat map's table open, and the long contact shown.
    await page.type("#network-search", "WWW");
    await page.waitFor("document.querySelectorAll('#network-results li').length > 0");
    await page.click("#matrix-table-toggle");
    await page.waitFor("document.querySelector('#matrix-table table') !== null");
    await page.evaluate("document.getElementById('contacts-q').value = 'long.word'; document.getElementById('contacts-filter').requestSubmit()");
    await page.waitFor("document.getElementById('contacts-caption').textContent.startsWith('1 contact')");
    assert.deepEqual(await page.evaluate(PAST_EDGE), []);
    assert.equal(await page.evaluate("document.documentElement.scrollWidth"), width);
    assert.deepEqual(page.errors, []);
  });
}

test("at 1280 px beside a long name the findings' cell references keep their line and the heat map's table fits its box", { skip, timeout: 90_000 }, async () => {
  const page = await opened(1280);
  // Each row: the name cell may wrap, but the cells column is as wide as its widest reference and
  // value ('Matriz de adyacencia'!C4 = 1), not a two-character strip one word a line.
  const narrow = await page.evaluate<string[]>(`[...document.querySelectorAll('.finding-rows .finding-cells code')]
    .filter((c) => c.getClientRects().length > 1)
    .map((c) => c.textContent)`);
  assert.deepEqual(narrow, [], "cell references broken over lines");
  // The heat map's table, whose row header holds the 200 letters, fits its box rather than a
  // scroll of thousands of pixels to reach the cells.
  await page.click("#matrix-table-toggle");
  await page.waitFor("document.querySelector('#matrix-table table') !== null");
  const [scrolled, box] = await page.evaluate<number[]>("[document.getElementById('matrix-table').scrollWidth, document.getElementById('matrix-table').clientWidth]");
  assert.ok(scrolled <= box, `the table is ${scrolled} px wide in a box of ${box} px`);
  // ...and the column headers keep their words: "Actor 3" on one line, not "Acto" over "r 3".
  const broken = await page.evaluate<string[]>(`[...document.querySelectorAll('#matrix-table thead th')]
    .filter((th) => { const name = document.createRange(); name.selectNodeContents(th.firstChild); return th.textContent.startsWith('Actor ') && name.getClientRects().length > 1; })
    .map((th) => th.textContent)`);
  assert.deepEqual(broken, []);
  assert.deepEqual(page.errors, []);
});

test("at 390 px a next version's changes that name long-named actors (renamed, added) wrap inside the served version's card", { skip, timeout: 90_000 }, async () => {
  // Runs last: it loads a second version over the first.
  const renamed = "R".repeat(200);
  const added = `…${"ש".repeat(120)}`;
  const workbook = join(scratch, "relaciones-2.xlsx");
  const name = (id: number) => (id === 1 ? LATIN : id === 2 ? HEBREW : id === 5 ? renamed : id === 13 ? added : `Actor ${id}`);
  await writeXlsxFile(workbook, matrixWorkbook({ actors: 13, seed: 2, density: 0.4, asymmetric: [[1, 3], [2, 4], [1, 2]], codeMismatch: { id: 1, listCode: "Z" }, name }));
  const loaded = await demo.etl(["--only", "relationships", "--workbook", workbook]);
  assert.equal(loaded.code, 0, loaded.stderr);
  const page = await browser.newPage({ width: 390, height: 900 });
  await page.goto(`${demo.url}/`);
  await page.waitFor("document.body.dataset.loaded === 'true'", 30_000);
  await page.evaluate("document.querySelectorAll('#latest details').forEach((d) => { d.open = true; })");
  await page.waitFor(`document.getElementById('latest').textContent.includes(${JSON.stringify(renamed)}) && document.getElementById('latest').textContent.includes(${JSON.stringify(added)})`);
  assert.deepEqual(await page.evaluate(PAST_EDGE), []);
  assert.equal(await page.evaluate("document.documentElement.scrollWidth"), 390);
  assert.deepEqual(page.errors, []);
});
