// /docs "Try it", in Node (the form's pieces) and in headless chromium against the real API (the
// page's one script, allowed by its CSP, sends real requests and shows status, headers and body).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Browser, findChromium } from "../../scripts/testing/cdp.ts";
import { repoRoot, startDemo } from "../../scripts/testing/demo_server.ts";
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
