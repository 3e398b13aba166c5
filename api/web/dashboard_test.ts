// The dashboard in a real browser (Debian's headless chromium over the DevTools protocol) against
// the real API on a temp data dir loaded by the real ETL CLI. Skips with a message when chromium
// is not installed (CI installs it; see .ci/run).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Browser, findChromium, type Page } from "../../scripts/testing/cdp.ts";
import { startDemo, type Demo } from "../../scripts/testing/demo_server.ts";
import { matrixWorkbook } from "../../scripts/testing/matrix_workbook.ts";
import { writeXlsxFile } from "../../scripts/testing/xlsx_writer.ts";

const chromium = findChromium();
const skip = chromium ? false : "chromium is not installed (apt-get install -y chromium); skipping the browser tests";
if (!chromium) console.log(skip);

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return (await response.json()) as T;
}

/** Every actor, following next_cursor. */
async function allActors(base: string): Promise<{ id: number }[]> {
  const items: { id: number }[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: { id: number }[]; next_cursor: string | null } = await getJson(
      `${base}/actors?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

// One chromium for the whole file, and the big graph's workbook and ETL load prepared while the
// first test drives the browser: the slow parts (starting chromium, writing a 220-actor workbook,
// a tsx ETL child process) no longer run one after the other.
let browser: Browser;
let bigDemo: Promise<{ demo: Demo; scratch: string }>;

before(async () => {
  if (!chromium) return;
  bigDemo = startBigDemo();
  bigDemo.catch(() => {}); // reported by the test that awaits it, not as an unhandled rejection
  browser = await Browser.launch(chromium);
});

after(async () => {
  if (!chromium) return;
  await browser?.close();
  const big = await bigDemo.catch(() => null);
  if (big) {
    await big.demo.close();
    rmSync(big.scratch, { recursive: true, force: true });
  }
});

async function startBigDemo(): Promise<{ demo: Demo; scratch: string }> {
  const scratch = mkdtempSync(join(tmpdir(), "dashboard-big-"));
  try {
    const workbook = join(scratch, "relaciones.xlsx");
    await writeXlsxFile(workbook, matrixWorkbook({ actors: 220, filledActors: 200, seed: 4 }));
    return { demo: await startDemo({ workbook, contacts: null }), scratch };
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
}

async function openDashboard(browser: Browser, url: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.newPage(viewport);
  await page.goto(url);
  await page.waitFor("document.body.dataset.loaded === 'true'", 30000);
  return page;
}

test("dashboard in headless chromium", { skip, timeout: 180_000 }, async (t) => {
  const demo: Demo = await startDemo();
  const scratch = mkdtempSync(join(tmpdir(), "dashboard-test-"));
  try {
    const page = await openDashboard(browser, `${demo.url}/`);

    await t.test("the network draws one node per actor", async () => {
      const actors = await allActors(demo.url);
      assert.ok(actors.length > 0);
      const ids = await page.evaluate<number[]>("[...document.querySelectorAll('#network-graph [data-actor-id]')].map((n) => Number(n.dataset.actorId))");
      assert.equal(ids.length, actors.length);
      assert.deepEqual([...ids].sort((a, b) => a - b), actors.map((a) => a.id).sort((a, b) => a - b));
      // Edges: one per pair, and the sample's asymmetric pairs are drawn differently.
      const pairs = await getJson<{ items: unknown[] }>(`${demo.url}/relationships?limit=1000`);
      assert.equal(await page.evaluate("document.querySelectorAll('#network-graph line.edge').length"), pairs.items.length);
      assert.ok((await page.evaluate<number>("document.querySelectorAll('#network-graph line.edge:not(.mutual)').length")) > 0);
    });

    await t.test("the latest run status is shown", async () => {
      const runs = await getJson<{ items: { status: string; file: { name: string } }[] }>(`${demo.url}/runs?kind=relationships&limit=1`);
      assert.equal(await page.evaluate("document.querySelector('#latest [data-run-status]')?.textContent"), runs.items[0].status);
      assert.equal(runs.items[0].status, "succeeded");
      assert.match(await page.evaluate<string>("document.getElementById('latest-body').textContent"), new RegExp(runs.items[0].file.name));
      assert.match(await page.evaluate<string>("document.getElementById('status').textContent"), /succeeded/);
    });

    await t.test("findings show exact cell references", async () => {
      const text = await page.evaluate<string>("document.getElementById('findings-body').textContent");
      assert.match(text, /'Matriz de adyacencia'!\$?[A-Z]+\d+/);
    });

    await t.test("the matrix heat map is painted in three colours", async () => {
      const colours = await page.evaluate<number>(`(() => {
        const c = document.getElementById('matrix-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4 * 7) seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
        return ['29,78,216', '226,232,240', '245,158,11'].filter((k) => seen.has(k)).length;
      })()`);
      assert.equal(colours, 3);
    });

    await t.test("the heat map reads a cell on hover and zooms", async () => {
      const box = await page.evaluate<{ x: number; y: number; w: number }>(
        "(() => { const c = document.getElementById('matrix-canvas'); c.scrollIntoView({ block: 'center' }); const r = c.getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width }; })()",
      );
      await page.send("Input.dispatchMouseEvent", { type: "mouseMoved", x: box.x + box.w * 0.1, y: box.y + box.w * 0.1 });
      await page.waitFor("/^Row .* column .*: (1 \\(marked\\)|0|unknown \\/ blank)$/.test(document.getElementById('matrix-info').textContent)");
      const before = await page.evaluate<string>("document.getElementById('matrix-canvas').toDataURL()");
      await page.click("#matrix-zoom-in");
      assert.notEqual(await page.evaluate<string>("document.getElementById('matrix-canvas').toDataURL()"), before);
      await page.evaluate("document.getElementById('matrix-canvas').focus()");
      await page.press("0");
      assert.equal(await page.evaluate<string>("document.getElementById('matrix-canvas').toDataURL()"), before);
      assert.match(await page.evaluate<string>("document.getElementById('matrix-summary').textContent"), /50 × 50/);
    });

    await t.test("clicking an actor lists its relationships; Enter works too", async () => {
      const actors = await getJson<{ items: { id: number; name: string }[] }>(`${demo.url}/actors?sort=degree&limit=2`);
      const [first, second] = actors.items;
      const related = await getJson<{ items: unknown[] }>(`${demo.url}/actors/${first.id}/relationships`);
      await page.click(`#network-graph [data-actor-id="${first.id}"]`);
      await page.waitFor(`document.querySelectorAll('#network-detail [data-goto-actor]').length === ${related.items.length}`);
      assert.match(await page.evaluate<string>("document.getElementById('network-detail').textContent"), new RegExp(first.name));
      await page.evaluate(`document.querySelector('#network-graph [data-actor-id="${second.id}"]').focus()`);
      await page.press("Enter");
      await page.waitFor(`document.getElementById('network-detail').textContent.includes(${JSON.stringify(second.name)})`);
      assert.equal(await page.evaluate(`document.querySelector('#network-graph .node.selected')?.dataset.actorId`), String(second.id));
      // Only one node is in the Tab order; the arrow keys move between nodes.
      assert.equal(await page.evaluate("document.querySelectorAll('#network-graph [data-actor-id][tabindex=\"0\"]').length"), 1);
      await page.evaluate(`document.querySelector('#network-graph [data-actor-id="${second.id}"]').focus()`);
      let moved = false;
      for (const key of ["ArrowRight", "ArrowLeft", "ArrowDown", "ArrowUp"]) {
        await page.press(key);
        const focused = await page.evaluate<string | undefined>("document.activeElement?.dataset?.actorId");
        if (focused && focused !== String(second.id)) {
          moved = true;
          assert.equal(await page.evaluate("document.activeElement.getAttribute('tabindex')"), "0");
          break;
        }
      }
      assert.ok(moved, "an arrow key moved the focus to another actor");
    });

    await t.test("the search box highlights matching actors", async () => {
      const { items } = await getJson<{ items: { name: string; letter_code: string }[] }>(`${demo.url}/actors?limit=1`);
      await page.type("#network-search", items[0].name);
      await page.waitFor("document.querySelectorAll('#network-graph .node.match').length >= 1");
      await page.waitFor("document.querySelectorAll('#network-results button').length >= 1");
    });

    await t.test("the form shows the API's field errors next to the fields", async () => {
      await page.type("#contact-first_name", "Zoe");
      await page.type("#contact-last_name", "Quintero");
      await page.type("#contact-email", "not-an-email");
      await page.type("#contact-state", "Louisiana");
      await page.click("#contact-form button[type=submit]");
      await page.waitFor("document.querySelector('[data-error-for=email]').textContent.length > 0");
      assert.equal(await page.evaluate("document.getElementById('contact-email').getAttribute('aria-invalid')"), "true");
      assert.ok((await page.evaluate<string>("document.querySelector('[data-error-for=state]').textContent")).length > 0);
      assert.equal(await page.evaluate("document.querySelector('[data-error-for=first_name]').textContent"), "");
      assert.equal(await page.evaluate("document.activeElement?.id"), "contact-email");
    });

    await t.test("a contact created through the form appears in the table", async () => {
      await page.type("#contact-email", "zoe.quintero@example.com");
      await page.type("#contact-state", "LA");
      await page.type("#contact-city", "New Orleans");
      await page.type("#contact-departments", "Dashboard QA");
      await page.click("#contact-form button[type=submit]");
      await page.waitFor("[...document.querySelectorAll('#contacts-rows tr')].some((tr) => tr.textContent.includes('zoe.quintero@example.com'))");
      const row = await page.evaluate<string>("[...document.querySelectorAll('#contacts-rows tr')].find((tr) => tr.textContent.includes('zoe.quintero@example.com')).textContent");
      assert.match(row, /Zoe Quintero/);
      assert.match(row, /Dashboard QA/);
      assert.equal(await page.evaluate("document.querySelector('[data-error-for=email]').textContent"), "");
      // And it really is in the API, not just on the page.
      const found = await getJson<{ items: { email: string; departments: string[] }[] }>(`${demo.url}/contacts?q=zoe.quintero`);
      assert.equal(found.items.length, 1);
      assert.deepEqual(found.items[0].departments, ["Dashboard QA"]);
    });

    await t.test("editing a contact saves through PUT with its ETag", async () => {
      await page.click("#contacts-rows [data-edit-contact]");
      await page.waitFor("document.getElementById('contact-email').value === 'zoe.quintero@example.com'");
      await page.type("#contact-city", "Baton Rouge");
      await page.click("#contact-form button[type=submit]");
      await page.waitFor("[...document.querySelectorAll('#contacts-rows tr')].some((tr) => tr.textContent.includes('Baton Rouge, LA'))");
      const found = await getJson<{ items: { city: string }[] }>(`${demo.url}/contacts?q=zoe.quintero`);
      assert.equal(found.items[0].city, "Baton Rouge");
    });

    await t.test("the contacts table pages with next_cursor", async () => {
      await page.type("#contacts-q", "");
      await page.click("#contacts-filter button[type=submit]");
      await page.waitFor("document.querySelectorAll('#contacts-rows tr[data-contact-id]').length === 20");
      const firstPage = await page.evaluate<string>("document.querySelector('#contacts-rows tr[data-contact-id]').dataset.contactId");
      await page.click("#contacts-next");
      await page.waitFor(`document.getElementById('contacts-page').textContent === 'Page 2'`);
      await page.waitFor(`document.querySelector('#contacts-rows tr[data-contact-id]')?.dataset.contactId !== ${JSON.stringify(firstPage)}`);
      await page.click("#contacts-prev");
      await page.waitFor(`document.querySelector('#contacts-rows tr[data-contact-id]')?.dataset.contactId === ${JSON.stringify(firstPage)}`);
    });

    await t.test("the contacts filter by state and department", async () => {
      const { items } = await getJson<{ items: { state: string | null; departments: string[] }[] }>(`${demo.url}/contacts?limit=100`);
      const sample = items.find((c) => c.state && c.departments.length > 0)!;
      const [state, department] = [sample.state!, sample.departments[0]];
      const expected = await getJson<{ items: { id: number; state: string; departments: string[] }[] }>(
        `${demo.url}/contacts?state=${encodeURIComponent(state)}&department=${encodeURIComponent(department)}&limit=20`,
      );
      assert.ok(expected.items.length > 0 && expected.items.every((c) => c.state === state && c.departments.includes(department)));
      const shown = "[...document.querySelectorAll('#contacts-rows tr[data-contact-id]')].map((tr) => tr.dataset.contactId).join()";
      await page.type("#contacts-state", state);
      await page.evaluate(`(() => { const s = document.getElementById('contacts-department'); s.value = ${JSON.stringify(department)}; s.dispatchEvent(new Event('change')); })()`);
      await page.waitFor(`${shown} === ${JSON.stringify(expected.items.map((c) => String(c.id)).join())}`);
      assert.match(await page.evaluate<string>("document.getElementById('contacts-caption').textContent"), new RegExp(`in ${state}`));
      // Clear both filters again for the tests that follow.
      await page.type("#contacts-state", "");
      await page.evaluate("(() => { const s = document.getElementById('contacts-department'); s.value = ''; s.dispatchEvent(new Event('change')); })()");
      await page.waitFor("document.querySelectorAll('#contacts-rows tr[data-contact-id]').length === 20");
    });

    await t.test("a failed load is marked in the history and shown as the latest run", async () => {
      const broken = join(scratch, "relaciones.xlsx");
      writeFileSync(broken, "this is not a workbook");
      const outcome = await demo.etl(["--only", "relationships", "--workbook", broken]);
      assert.equal(outcome.code, 1);
      await page.click("#refresh");
      await page.waitFor("document.querySelector('#latest [data-run-status]')?.textContent === 'failed'", 20000);
      await page.waitFor("document.body.dataset.loaded === 'true'");
      assert.equal(await page.evaluate("document.querySelectorAll('#history-chart .fail-mark').length"), 1);
      assert.equal(await page.evaluate("document.querySelectorAll('#history-chart [data-run-id]').length"), 2);
      // The published version is untouched, so the network still shows every actor.
      assert.equal(await page.evaluate("document.querySelectorAll('#network-graph [data-actor-id]').length"), (await allActors(demo.url)).length);
      // Keyboard: the newest run is the one Tab stop; ArrowLeft reaches the older one, Enter opens it.
      await page.evaluate("document.querySelector('#history-chart [tabindex=\"0\"]').focus()");
      assert.equal(await page.evaluate("document.activeElement.classList.contains('status-failed')"), true);
      await page.press("ArrowLeft");
      assert.equal(await page.evaluate("document.activeElement.classList.contains('status-succeeded')"), true);
      await page.press("Enter");
      await page.waitFor("document.getElementById('findings-body').textContent.includes('(succeeded')");
      // Selecting the failed run shows why it failed.
      await page.click("#history-chart .status-failed");
      await page.waitFor("document.getElementById('findings-body').textContent.includes('(failed')");
      assert.ok(await page.evaluate("!document.getElementById('findings-published').hidden"));
    });

    await t.test("every control has a label and the skip link leads to the content", async () => {
      const unlabelled = await page.evaluate<string[]>(`[...document.querySelectorAll('input, select, textarea, button, canvas[tabindex]')]
        .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent.trim())))
        .map((el) => el.id || el.outerHTML.slice(0, 80))`);
      assert.deepEqual(unlabelled, []);
      assert.equal(await page.evaluate("document.querySelector('a.skip')?.getAttribute('href')"), "#main");
    });

    await t.test("the page ran without errors", () => {
      assert.deepEqual(page.errors, []);
    });

    await t.test("a phone-width page does not scroll sideways", async () => {
      const phone = await openDashboard(browser, `${demo.url}/`, { width: 390, height: 844 });
      const widths = await phone.evaluate<{ scroll: number; client: number }>("({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })");
      assert.ok(widths.scroll <= widths.client, `page is ${widths.scroll} px wide in a ${widths.client} px viewport`);
      assert.ok((await phone.evaluate<number>("document.querySelectorAll('#network-graph [data-actor-id]').length")) > 0);
      // The drawing keeps a legible size and scrolls inside its box instead of shrinking to a smudge.
      assert.ok((await phone.evaluate<number>("document.querySelector('#network-graph svg').getBoundingClientRect().width")) >= 600);
      assert.deepEqual(phone.errors, []);
    });
  } finally {
    await demo.close();
    rmSync(scratch, { recursive: true, force: true });
  }
});

test("dashboard degrades for a big graph: top-N by degree and a searched actor's neighbourhood", { skip, timeout: 180_000 }, async (t) => {
  const { demo } = await bigDemo;
  const page = await openDashboard(browser, `${demo.url}/`);
  const nodeIds = () => page.evaluate<number[]>("[...document.querySelectorAll('#network-graph [data-actor-id]')].map((n) => Number(n.dataset.actorId))");
  const actors = (await getJson<{ items: { id: number; name: string; degree: number }[] }>(`${demo.url}/actors?sort=degree&limit=1000`)).items;
  assert.equal(actors.length, 220);

  await t.test("draws the 100 busiest actors by default", async () => {
    const ids = await nodeIds();
    assert.equal(ids.length, 100);
    const minDrawn = Math.min(...ids.map((id) => actors.find((a) => a.id === id)!.degree));
    const maxHidden = Math.max(...actors.filter((a) => !ids.includes(a.id)).map((a) => a.degree));
    assert.ok(minDrawn >= maxHidden, `a hidden actor has degree ${maxHidden} > drawn ${minDrawn}`);
    assert.match(await page.evaluate<string>("document.getElementById('network-note').textContent"), /100 busiest of 220/);
  });

  await t.test("the Show control changes N", async () => {
    await page.evaluate("(() => { const s = document.getElementById('network-limit'); s.value = '50'; s.dispatchEvent(new Event('change')); })()");
    await page.waitFor("document.querySelectorAll('#network-graph [data-actor-id]').length === 50");
  });

  await t.test("searching an actor outside the drawing shows its neighbourhood, and back", async () => {
    const drawn = new Set(await nodeIds());
    const target = actors.find((a) => !drawn.has(a.id) && a.degree > 0)!;
    await page.type("#network-search", target.name);
    await page.waitFor("document.querySelectorAll('#network-results button').length >= 1");
    await page.click(`#network-results [data-goto-actor="${target.id}"]`);
    await page.waitFor(`document.querySelector('#network-graph .node.selected')?.dataset.actorId === '${target.id}'`);
    assert.equal((await nodeIds()).length, 1 + Math.min(49, target.degree));
    assert.equal(await page.evaluate("document.getElementById('network-reset').hidden"), false);
    await page.click("#network-reset");
    await page.waitFor("document.getElementById('network-reset').hidden");
    assert.equal((await nodeIds()).length, 50);
  });

  await t.test("the page ran without errors", () => {
    assert.deepEqual(page.errors, []);
  });
});
