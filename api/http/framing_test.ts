// Clickjacking: another site's page must not be able to frame the dashboard (or /docs) and have the
// user click its buttons, whose requests are same-origin and so pass the cross-site write check.
// A real API on port 0, a real "attacker" page served from another origin, and real mouse clicks in
// headless chromium. Skips when chromium is not installed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Browser, findChromium, type Page } from "../../scripts/testing/cdp.ts";
import { postContact, tempDir, testServer } from "../../scripts/testing/api_server.ts";

const chromium = findChromium();
const skip = chromium ? false : "chromium is not installed; skipping the framing test";

/**
 * The DevTools sessions of the frames of other sites that `page` embeds: chromium runs them out of
 * process (site isolation), so they are targets of their own, attached here as they appear.
 */
async function frameSessions(browser: Browser, page: Page): Promise<{ sessionId: string; url: string }[]> {
  const frames: { sessionId: string; url: string }[] = [];
  page.on("Target.attachedToTarget", (p) => {
    if (p.targetInfo.type === "iframe") frames.push({ sessionId: p.sessionId, url: p.targetInfo.url });
  });
  await page.send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
  void browser;
  return frames;
}

/** Evaluates `expression` in the first framed document of another site, or undefined when there is none. */
async function inFrame<T>(browser: Browser, frames: { sessionId: string }[], expression: string): Promise<T | undefined> {
  if (frames.length === 0) return undefined;
  const result = await browser.send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true }, frames[0].sessionId).catch(() => undefined);
  return result === undefined || result.exceptionDetails ? undefined : (result.result.value as T);
}

async function clickAt(page: Page, x: number, y: number): Promise<void> {
  for (const type of ["mouseMoved", "mousePressed", "mouseReleased"]) {
    await page.send("Input.dispatchMouseEvent", { type, x, y, button: "left", clickCount: 1 });
  }
}

test("a page on another origin cannot frame the dashboard and click Delete for the user", { skip, timeout: 60_000 }, async () => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  const attacker = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    // A real attack sets opacity near 0 over a decoy button; visible here, it changes nothing.
    res.end(`<!doctype html><body style="margin:0"><iframe src="${server.url}/" style="position:absolute;left:0;top:0;width:1280px;height:4000px;border:0"></iframe></body>`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  // "localhost" vs "127.0.0.1": another site (a different origin and host name) whose page frames the API.
  const attackerUrl = `http://localhost:${(attacker.address() as AddressInfo).port}/`;
  const browser = await Browser.launch(chromium as string);
  try {
    const created = await postContact(server.url, { first_name: "Victim", last_name: "Contact", email: "victim@example.com" });
    assert.equal(created.status, 201);
    const id = created.json().id as number;

    const page = await browser.newPage({ width: 1280, height: 4000 });
    await page.send("Page.enable");
    const frames = await frameSessions(browser, page);
    await page.goto(attackerUrl);
    // Wait for the framed dashboard to list the contact (never, when the frame is refused).
    const deadline = Date.now() + 8000;
    let box: { x: number; y: number } | undefined;
    while (Date.now() < deadline && box === undefined) {
      box = await inFrame<{ x: number; y: number } | null>(
        browser,
        frames,
        `(() => { const b = document.querySelector('[data-delete-contact="${id}"]'); if (!b) return null; const r = b.getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; })()`,
      ).then((v) => v ?? undefined);
      if (box === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    if (box !== undefined) {
      // The user's two clicks on the decoy: the row's Delete, then the dialog's Delete.
      await clickAt(page, box.x, box.y);
      const confirm = await inFrame<{ x: number; y: number } | null>(
        browser,
        frames,
        `new Promise((done) => setTimeout(() => { const b = document.getElementById('contact-delete-confirm'); const r = b.getBoundingClientRect(); done(r.width ? { x: r.left + r.width / 2, y: r.top + r.height / 2 } : null); }, 500))`,
      );
      if (confirm) await clickAt(page, confirm.x, confirm.y);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const after = await fetch(`${server.url}/contacts/${id}`);
    assert.equal(after.status, 200, "the contact was deleted by clicks on a page of another site that framed the dashboard");
    assert.equal(box, undefined, "the dashboard rendered inside another site's frame");
  } finally {
    await browser.close();
    attacker.close();
    await server.close();
    cleanup();
  }
});

test("the dashboard, its assets and /docs refuse to be framed (X-Frame-Options and CSP frame-ancestors)", async () => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    for (const path of ["/", "/web/dashboard.js", "/web/styles.css", "/docs"]) {
      const response = await fetch(server.url + path);
      await response.arrayBuffer();
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get("x-frame-options"), "DENY", path);
      assert.match(response.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/, path);
    }
  } finally {
    await server.close();
    cleanup();
  }
});

test("the dashboard page runs only its own scripts: a CSP without inline or other-site script, style or connection", async () => {
  // Without one, a value rendered unescaped into the page's markup (a contact's name, a file's)
  // would run as script; /docs had this policy, the dashboard only frame-ancestors.
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    for (const path of ["/", "/web/index.html"]) {
      const response = await fetch(server.url + path);
      await response.arrayBuffer();
      const csp = response.headers.get("content-security-policy") ?? "";
      assert.match(csp, /(^|; )default-src 'none'(;|$)/, path);
      assert.match(csp, /(^|; )script-src 'self'(;|$)/, path);
      assert.match(csp, /(^|; )connect-src 'self'(;|$)/, path);
      assert.match(csp, /(^|; )base-uri 'none'(;|$)/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.doesNotMatch(csp, /unsafe/, path);
    }
  } finally {
    await server.close();
    cleanup();
  }
});
