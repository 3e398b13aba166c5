// /docs "Try it", in Node (the form's pieces) and in headless chromium against the real API (the
// page's one script, allowed by its CSP, sends real requests and shows status, headers and body).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Browser, findChromium } from "../../scripts/testing/cdp.ts";
import { repoRoot, startDemo } from "../../scripts/testing/demo_server.ts";
import { tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { EXPIRABLE_TIMEOUTS, quietFront, type Quiet } from "../../scripts/testing/quiet_front.ts";
import { exampleOf } from "./docs_page.ts";
import { contactJsonSchema } from "../../etl/contacts/mod.ts";

test("exampleOf() fills a body from its schema", () => {
  const body = exampleOf(contactJsonSchema("create"), {}) as Record<string, unknown>;
  assert.equal(body.first_name, "James");
  assert.equal(body.email, "jbutt@gmail.com");
  assert.deepEqual(exampleOf({ $ref: "#/components/schemas/X" }, { X: { type: "object", properties: { n: { type: "integer", minimum: 0 }, id: { type: "integer", readOnly: true } } } }), { n: 0 });
});

const chromium = findChromium();
test("/docs: Try it sends real requests and shows the answer, under the page's CSP", { skip: chromium ? false : "chromium is not installed", timeout: 120_000 }, async () => {
  const demo = await startDemo();
  const browser = await Browser.launch(chromium!);
  try {
    const page = await browser.newPage({ width: 1100, height: 900 });
    await page.goto(`${demo.url}/docs`);
    const form = (method: string, path: string) => `#${`${method}-${path}`.replace(/[^\w]+/g, "-")} form`;
    // A read: an actor by letter code.
    const actor = form("get", "/actors/{id}");
    await page.evaluate(`document.querySelector('${actor}').closest('details').open = true`);
    await page.type(`${actor} input[name="path:id"]`, "c");
    await page.click(`${actor} button[type=submit]`);
    await page.waitFor(`document.querySelector('${actor}').dataset.status === '200'`);
    assert.match(await page.evaluate<string>(`document.querySelector('${actor} .try-body').textContent`), /"letter_code": "C"/);
    assert.match(await page.evaluate<string>(`document.querySelector('${actor} .try-headers').textContent`), /etag: "rel-/);
    assert.equal(await page.evaluate(`document.querySelector('${actor} .try-url').textContent`), "GET /actors/c");
    // A write with the body the schema filled in: 201 and where the new contact lives.
    const create = form("post", "/contacts");
    await page.evaluate(`document.querySelector('${create}').closest('details').open = true`);
    assert.match(await page.evaluate<string>(`document.querySelector('${create} textarea').value`), /"email": "jbutt@gmail\.com"/);
    await page.evaluate(`document.querySelector('${create} input[name=token]') !== null`);
    await page.click(`${create} button[type=submit]`);
    await page.waitFor(`document.querySelector('${create}').dataset.status === '201'`);
    assert.match(await page.evaluate<string>(`document.querySelector('${create} .try-headers').textContent`), /location: \/contacts\/\d+/);
    // And a mistake shows the problem document.
    await page.click(`${create} button[type=submit]`);
    await page.waitFor(`document.querySelector('${create}').dataset.status === '409'`);
    assert.match(await page.evaluate<string>(`document.querySelector('${create} .try-body').textContent`), /"type": "\/docs#problem-duplicate-email"/);
    assert.deepEqual(page.errors, []);
    const shots = join(repoRoot, "tmp", "dashboard-screenshots");
    mkdirSync(shots, { recursive: true });
    writeFileSync(join(shots, "docs-try-it.png"), await page.screenshot());
  } finally {
    await browser.close();
    await demo.close();
  }
});

test("Try it: a request the API takes and never answers, or stops answering midway, says it failed, not 'Sending…' for good", { skip: chromium ? false : "chromium is not installed", timeout: 60_000 }, async () => {
  // Before, the form's fetch had no time limit: against an API that took the request and said
  // nothing (a hung process, a stalled proxy) "Sending…" stayed up for good.
  const browser = await Browser.launch(chromium!);
  const { dir, cleanup } = tempDir("docs-try-");
  const server = await testServer(dir);
  let quiet: Quiet = null;
  const front = await quietFront(server.url, (url) => (url.startsWith("/versions") ? quiet : null));
  try {
    const page = await browser.newPage({ width: 1280, height: 900 });
    await page.send("Page.addScriptToEvaluateOnNewDocument", { source: EXPIRABLE_TIMEOUTS });
    await page.goto(`${front.url}/docs`);
    const form = `document.querySelector('form.try-form[data-method=GET][data-path="/versions"]')`;
    for (const mode of ["silent", "stall"] as const) {
      quiet = mode;
      front.held = 0;
      await page.evaluate(`window.__waiting.length = 0; ${form}.requestSubmit()`);
      for (let i = 0; !(front.held > 0 && front.inFlight === 0); i++) {
        if (i > 300) throw new Error("the front never held the request");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(await page.evaluate(`${form}.querySelector('.try-status').textContent`), "Sending…");
      await page.evaluate("window.__expire()");
      await page.waitFor(`${form}.dataset.status === "0"`);
      assert.equal(await page.evaluate(`${form}.querySelector('.try-status').textContent`), "The request failed: no answer from the API for 30 s", mode);
    }
    // The API answers again: so does the form.
    quiet = null;
    await page.evaluate(`${form}.requestSubmit()`);
    await page.waitFor(`${form}.dataset.status === "200"`);
  } finally {
    await browser.close();
    await front.close();
    await server.close();
    cleanup();
  }
});
