// The dashboard when answers come back out of order or fail, in a real browser against the real
// API: the browser holds one chosen request (scripts/testing/held_requests.ts) while the user asks
// for something newer, then lets it go, so the older answer arrives last. Each panel must keep
// showing what was asked for last. A review found each of these failing on the page before (the
// older answer drawn over the newer one, or a section left on "Loading…").
// Skips with a message when chromium is not installed (CI installs it; see .ci/run).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Browser, findChromium, type Page } from "../../scripts/testing/cdp.ts";
import { sampleWorkbook, startDemo, type Demo } from "../../scripts/testing/demo_server.ts";
import { holdRequests } from "../../scripts/testing/held_requests.ts";
import { EXPIRABLE_TIMEOUTS, quietFront, type Quiet } from "../../scripts/testing/quiet_front.ts";
import { until } from "../../scripts/testing/until.ts";
import { olderVersion } from "../../scripts/testing/workbook_versions.ts";
import { xlsxBytes } from "../../scripts/testing/xlsx_writer.ts";

const chromium = findChromium();
const skip = chromium ? false : "chromium is not installed (apt-get install -y chromium); skipping the browser tests";

let browser: Browser;
let demo: Demo;
let scratch: string;

// Two versions (yesterday's workbook, then the sample) and the sample contacts.
before(async () => {
  if (!chromium) return;
  scratch = mkdtempSync(join(tmpdir(), "dashboard-races-"));
  const yesterday = join(scratch, "yesterday.xlsx");
  writeFileSync(yesterday, xlsxBytes(await olderVersion(sampleWorkbook, 4)));
  demo = await startDemo({ workbook: yesterday });
  assert.equal((await demo.etl(["--only", "relationships", "--workbook", sampleWorkbook])).code, 0);
  browser = await Browser.launch(chromium);
});

after(async () => {
  if (!chromium) return;
  await browser?.close();
  await demo?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** A new tab on the dashboard, with requests held as `setup` says, once the first load settled. */
async function open(setup?: (requests: Awaited<ReturnType<typeof holdRequests>>) => void) {
  const page = await browser.newPage({ width: 1280, height: 900 });
  const requests = await holdRequests(page);
  setup?.(requests);
  await page.goto(`${demo.url}/`);
  await page.waitFor("document.body.dataset.loaded === 'true'", 30_000);
  return { page, requests };
}

const text = (page: Page, selector: string) => page.evaluate<string | null>(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? null`);
const contactIds = (page: Page) => page.evaluate<string[]>("[...document.querySelectorAll('#contacts-rows tr[data-contact-id]')].map((r) => r.dataset.contactId)");
const setValue = (page: Page, selector: string, value: string, event: "input" | "submit") =>
  page.evaluate(`(() => { const el = document.querySelector(${JSON.stringify(selector)}); el.value = ${JSON.stringify(value)};
    ${event === "input" ? "el.dispatchEvent(new Event('input', { bubbles: true }))" : "el.form.requestSubmit()"}; })()`);

test("network search: the answer to an older query, arriving last, does not replace the newer one's", { skip, timeout: 60_000 }, async () => {
  const { page, requests } = await open();
  const older = requests.hold(/\/actors\?q=a&/);
  await setValue(page, "#network-search", "a", "input");
  const held = await older;
  await setValue(page, "#network-search", "zzzz-no-match", "input");
  await page.waitFor("document.getElementById('status').textContent.includes('zzzz-no-match')");
  await held.release();
  await held.read();
  assert.equal(await page.evaluate("document.querySelectorAll('#network-results button').length"), 0, "the results are the older query's");
  assert.match((await text(page, "#status"))!, /0 actors match "zzzz-no-match"/);
});

test("contacts: a filter's answer, arriving after a newer filter's, is not shown under the newer caption", { skip, timeout: 60_000 }, async () => {
  const { page, requests } = await open();
  const older = requests.hold(/\/contacts\?q=a&/);
  await setValue(page, "#contacts-q", "a", "submit");
  const held = await older;
  await setValue(page, "#contacts-q", "zzzz", "submit");
  await page.waitFor("document.getElementById('contacts-caption').textContent.includes('zzzz')");
  await held.release();
  await held.read();
  assert.deepEqual(await contactIds(page), [], "rows matching 'a' under the caption for 'zzzz'");
  assert.match((await text(page, "#contacts-caption"))!, /^0 contacts matching "zzzz"/);
});

test("contacts: Next pressed twice while the page loads moves one page, and Previous comes back to the first", { skip, timeout: 60_000 }, async () => {
  const { page, requests } = await open();
  const first = await contactIds(page);
  const nextPage = requests.hold(/\/contacts\?.*cursor=/);
  await page.click("#contacts-next");
  const held = await nextPage;
  // The second press once pushed the same cursor again and asked for page 2 a second time.
  await page.click("#contacts-next");
  await held.release();
  await held.read();
  await page.waitFor("!document.getElementById('contacts-rows').hasAttribute('aria-busy')");
  assert.equal(await text(page, "#contacts-page"), "Page 2");
  const second = await contactIds(page);
  assert.notDeepEqual(second, first);
  await page.click("#contacts-prev");
  await page.waitFor("document.getElementById('contacts-page').textContent === 'Page 1' && !document.getElementById('contacts-rows').hasAttribute('aria-busy')");
  assert.deepEqual(await contactIds(page), first);
});

test("contacts: an Edit whose contact arrives after a newer Edit, or after New contact, does not fill the form", { skip, timeout: 60_000 }, async (t) => {
  const { page, requests } = await open();
  const [a, b] = await contactIds(page);
  await t.test("Edit a, then Edit b: the form stays on b", async () => {
    const older = requests.hold(new RegExp(`/contacts/${a}$`));
    await page.click(`[data-edit-contact="${a}"]`);
    const held = await older;
    await page.click(`[data-edit-contact="${b}"]`);
    await page.waitFor("document.getElementById('contact-form-title').textContent.startsWith('Edit')");
    const titleOfB = await text(page, "#contact-form-title");
    await held.release();
    await held.read();
    assert.equal(await text(page, "#contact-form-title"), titleOfB);
  });
  await t.test("Edit a, then New contact and typing: what is typed stays", async () => {
    const older = requests.hold(new RegExp(`/contacts/${a}$`));
    await page.click(`[data-edit-contact="${a}"]`);
    const held = await older;
    await page.click("#contacts-new");
    await page.type("#contact-first_name", "Brand");
    await held.release();
    await held.read();
    assert.equal(await text(page, "#contact-form-title"), "New contact");
    assert.equal(await page.evaluate("document.getElementById('contact-first_name').value"), "Brand");
  });
});

test("contacts: Save pressed again after the create's answer was lost creates the contact once, not 409 'e-mail already used'", { skip, timeout: 60_000 }, async () => {
  // Before, each Save sent a new Idempotency-Key: the server had created the contact on the first,
  // so the second was refused with 409 and the person, who never saw an answer, was told the e-mail is taken.
  const { page, requests } = await open();
  // The server answers the first POST, and the answer is lost on its way (a dropped connection).
  requests.drop(/\/contacts$/);
  await page.type("#contact-first_name", "Lost");
  await page.type("#contact-last_name", "Answer");
  await page.type("#contact-email", "lost.answer@example.com");
  await page.evaluate("document.querySelector('#contact-form button[type=submit]').click()");
  await page.waitFor("document.getElementById('contact-form-errors').textContent.includes('Cannot reach the API')");
  assert.equal(((await (await fetch(`${demo.url}/contacts?q=lost.answer`)).json()) as { items: unknown[] }).items.length, 1, "the first Save was committed");
  await page.evaluate("document.querySelector('#contact-form button[type=submit]').click()");
  await page.waitFor("document.getElementById('status').textContent.startsWith('Created') || document.querySelector('[data-error-for=email]').textContent !== ''");
  assert.equal(await text(page, "[data-error-for=email]"), "");
  assert.equal(await text(page, "#status"), "Created Lost Answer");
  assert.equal(((await (await fetch(`${demo.url}/contacts?q=lost.answer`)).json()) as { items: unknown[] }).items.length, 1);
});

test("run history: a run whose changes arrive after another run was chosen does not replace it", { skip, timeout: 60_000 }, async () => {
  const { page, requests } = await open();
  const [older, served] = await page.evaluate<string[]>("[...document.querySelectorAll('#history-chart [data-run-id]')].map((g) => g.dataset.runId)");
  const changes = requests.hold(/\/changes\?version=1&/);
  await page.click(`#history-chart [data-run-id="${older}"]`);
  const held = await changes;
  await page.click(`#history-chart [data-run-id="${served}"]`);
  await page.waitFor(`document.getElementById('findings-body').dataset.runId === ${JSON.stringify(served)}`);
  await held.release();
  await held.read();
  assert.equal(await page.evaluate("document.getElementById('findings-body').dataset.runId"), served, "the details are the older run's");
});

test("network: an actor's relationships arriving after another actor was chosen are not listed", { skip, timeout: 60_000 }, async () => {
  const { page, requests } = await open();
  const [a, b] = await page.evaluate<string[]>("[...document.querySelectorAll('#network-graph [data-actor-id]')].map((g) => g.dataset.actorId)");
  const click = (id: string) => page.evaluate(`document.querySelector('#network-graph [data-actor-id="${id}"]').dispatchEvent(new MouseEvent('click', { bubbles: true }))`);
  const older = requests.hold(new RegExp(`/actors/${a}/relationships$`));
  await click(a);
  const held = await older;
  await click(b);
  await page.waitFor(`window.__answersRead.some((u) => u.endsWith('/actors/${b}/relationships'))`);
  const listOfB = await text(page, "#network-detail h3");
  await held.release();
  await held.read();
  assert.equal(await text(page, "#network-detail h3"), listOfB);
});

test("first load: runs or changes that cannot be read leave no section on 'Loading…'", { skip, timeout: 60_000 }, async (t) => {
  await t.test("the runs answer 503", async () => {
    const { page } = await open((requests) => requests.fail(/\/runs\?kind=relationships/, 503, "The data is being swapped"));
    for (const id of ["latest-body", "findings-body", "network-graph"]) {
      const shown = (await text(page, `#${id}`))!;
      assert.doesNotMatch(shown, /Loading/, `#${id} says ${shown}`);
      assert.match(shown, /could not be loaded/, `#${id}`);
    }
    assert.match((await text(page, "#status"))!, /^The runs could not be loaded\. Not loaded: Runs/);
  });
  await t.test("the served version answers 500: the status line and the sections name it, not the runs", async () => {
    // Before, a failed /versions was reported as the runs: "The runs could not be loaded. Not
    // loaded: Runs", while the runs had answered; the person looked for the wrong failure.
    const { page } = await open((requests) => requests.fail(/\/versions\?limit=1$/, 500, "The versions cannot be read"));
    assert.equal(await text(page, "#status"), "The served version could not be loaded. Not loaded: Served version");
    assert.match((await text(page, "#latest-body"))!, /^The served version could not be loaded \(The versions cannot be read\)/);
  });
  await t.test("both the runs and the served version fail: both are named", async () => {
    const { page } = await open((requests) => {
      requests.fail(/\/runs\?kind=relationships&limit=60/, 503, "The data is being swapped");
      requests.fail(/\/versions\?limit=1$/, 500, "The versions cannot be read");
    });
    assert.equal(await text(page, "#status"), "The runs and the served version could not be loaded. Not loaded: Runs, Served version");
  });
  await t.test("the API cannot be reached: the status line says so, not only which sections are missing", async () => {
    const { page } = await open((requests) => {
      requests.drop(/\/runs\?kind=relationships/);
      requests.drop(/\/versions\?/);
    });
    // The contacts answered: they are named as refreshed (this said "nothing was refreshed").
    assert.match((await text(page, "#status"))!, /^Cannot reach the API at http:\/\/127\.0\.0\.1:\d+: only Contacts and Contact loads were refreshed; press Refresh to try again\. Not loaded: Runs, Served version$/);
  });
  await t.test("the served version's changes answer 503", async () => {
    const { page } = await open((requests) => requests.fail(/\/changes\?version=2&limit=1000/, 503, "The data is being swapped"));
    assert.match((await text(page, "#latest-body"))!, /Version 2/);
    assert.doesNotMatch((await text(page, "#findings-body"))!, /Loading/);
    assert.match((await text(page, "#status"))!, /Not loaded: Changes/);
  });
});

/**
 * Runs in the page before its own scripts: the check for new loads (every 30 s, longer after
 * failures) runs after 200 ms instead, so a test does not wait minutes; the delays the page asked
 * for are kept in `__checkDelays`, and every text the status line took in `__statusTexts`.
 */
const FAST_CHECKS = `(() => {
  const delays = (window.__checkDelays = []);
  for (const name of ["setTimeout", "setInterval"]) {
    const set = window[name];
    window[name] = (fn, ms, ...a) => {
      if (!(ms >= 30000)) return set(fn, ms, ...a);
      delays.push(ms);
      return set(fn, 200, ...a);
    };
  }
  const texts = (window.__statusTexts = []);
  document.addEventListener("DOMContentLoaded", () => {
    const status = document.getElementById("status");
    new MutationObserver(() => texts.push(status.textContent)).observe(status, { childList: true, characterData: true, subtree: true });
  });
})()`;

/** The delays the page's checks asked for, a repeat (a check skipped while a load runs) once. */
const checkDelays = (page: Page) => page.evaluate<number[]>("window.__checkDelays.filter((ms, i, all) => ms !== all[i - 1])");
const statusTexts = (page: Page) => page.evaluate<string[]>("window.__statusTexts");
const readsOf = (page: Page, part: string) => page.evaluate<number>(`window.__answersRead.filter((u) => u.includes(${JSON.stringify(part)})).length`);

/**
 * Runs in the page before its own scripts: each AbortSignal.timeout asked for is kept in
 * `__timeoutsAsked`, and once the test sets `__silentApi` a 30 s one lasts 300 ms, so the test does
 * not wait for the real one.
 */
const SHORT_TIMEOUTS = `(() => {
  const asked = (window.__timeoutsAsked = []);
  const timeout = AbortSignal.timeout.bind(AbortSignal);
  AbortSignal.timeout = (ms) => {
    asked.push(ms);
    return timeout(window.__silentApi && ms === 30000 ? 300 : ms);
  };
})()`;

/**
 * A front on 127.0.0.1:0 that passes every connection on to `target` until `silence()`: from then
 * on the connections it has are closed, and each new one is taken and never answered (a hung API
 * process, a stalled proxy). A frozen relay would not do: the API's keep-alive timeout closes the
 * idle connection behind it, which the page sees as a refused one.
 */
async function silentFront(target: URL): Promise<{ url: string; silence(): void; close(): Promise<void> }> {
  let silent = false;
  const sockets = new Set<Socket>();
  const keep = (s: Socket) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  };
  const server = createServer((client) => {
    keep(client);
    if (silent) return;
    const upstream = connect(Number(target.port), target.hostname);
    keep(upstream);
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    silence() {
      silent = true;
      for (const s of sockets) s.destroy();
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

test("an API that takes the connection and never answers: the page says it cannot be reached, not 'Loading…' for good", { skip, timeout: 60_000 }, async () => {
  // Before, the dashboard's requests had no timeout: a Refresh against an API that accepted the
  // connection and said nothing (a hung process, a stalled proxy) left "Loading…" up for good.
  const front = await silentFront(new URL(demo.url));
  const page = await browser.newPage({ width: 1280, height: 900 });
  try {
    await page.send("Page.addScriptToEvaluateOnNewDocument", { source: SHORT_TIMEOUTS });
    await page.goto(`${front.url}/`);
    await page.waitFor("document.body.dataset.loaded === 'true'", 30_000);
    front.silence();
    await page.evaluate("window.__silentApi = true");
    await page.click("#refresh");
    await page.waitFor("/^Cannot reach the API at /.test(document.getElementById('status').textContent)", 20_000);
    assert.match((await text(page, "#status"))!, /^Cannot reach the API at http:\/\/127\.0\.0\.1:\d+: nothing was refreshed; press Refresh to try again\. Not loaded: /);
    for (const id of ["latest-body", "contacts-caption"]) assert.doesNotMatch((await text(page, `#${id}`)) ?? "", /Loading/, `#${id}`);
    const asked = await page.evaluate<number[]>("window.__timeoutsAsked");
    assert.ok(asked.length > 0 && asked.every((ms) => ms === 30_000), `each request waits 30 s: ${asked.join(", ")}`);
  } finally {
    await page.send("Page.close").catch(() => {});
    await front.close();
  }
});

test("first load: a page whose runs could not be read loads again on its own once they answer", { skip, timeout: 60_000 }, async () => {
  // Before, the page's 30 s check reloaded only when it had shown a run before: a tab opened while
  // the API was restarting said "could not be loaded" until someone pressed Refresh.
  const page = await browser.newPage({ width: 1280, height: 900 });
  await page.send("Page.addScriptToEvaluateOnNewDocument", { source: FAST_CHECKS });
  const requests = await holdRequests(page);
  requests.fail(/\/runs\?kind=relationships&limit=60/, 503, "The server is starting");
  await page.goto(`${demo.url}/`);
  await page.waitFor("document.body.dataset.loaded === 'true'", 30_000);
  assert.match((await text(page, "#latest-body"))!, /could not be loaded/);
  // The next check reads the runs (the 503 was for the first load only) and the page loads again.
  await page.waitFor("window.__answersRead.some((u) => u.includes('/runs?kind=relationships&limit=1'))", 20_000);
  await page.waitFor("document.body.dataset.loaded === 'true' && /Version 2/.test(document.getElementById('latest-body').textContent)", 20_000);
  assert.doesNotMatch((await text(page, "#latest-body"))!, /could not be loaded/);
  assert.doesNotMatch((await text(page, "#status"))!, /Not loaded/);
  await page.send("Page.close").catch(() => {});
});

test("checks: while /versions keeps failing the page does not reload every 30 s; its checks back off, say the failure once, and start again at 30 s", { skip, timeout: 90_000 }, async (t) => {
  // Before, a page whose load could not read /versions (while /runs answered) reloaded everything
  // at each 30 s check, since the check read /runs alone and saw it answer: "Loading…", every
  // section asked again, the same failure announced again, for as long as /versions failed. And a
  // check that failed was tried again every 30 s, however long the API stayed away, saying nothing.
  const page = await browser.newPage({ width: 1280, height: 900 });
  await page.send("Page.addScriptToEvaluateOnNewDocument", { source: FAST_CHECKS });
  const requests = await holdRequests(page);
  // The first load's /versions and the next five.
  for (let i = 0; i < 6; i++) requests.fail(/\/versions\?limit=1$/, 500, "The versions cannot be read");
  await page.goto(`${demo.url}/`);
  await page.waitFor("document.body.dataset.loaded === 'true'", 30_000);
  assert.match((await text(page, "#latest-body"))!, /could not be loaded/);

  await t.test("failing: no reload, the checks 30 s, 1, 2, 4, 8 then at most 10 min apart; once it answers, one load and 30 s again", async () => {
    await page.waitFor("document.body.dataset.loaded === 'true' && /Version 2/.test(document.getElementById('latest-body').textContent)", 40_000);
    assert.equal(await readsOf(page, "/runs?kind=relationships&limit=60"), 2, "the first load and the one once /versions answered");
    assert.deepEqual(await checkDelays(page), [30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 30_000]);
    const texts = await statusTexts(page);
    assert.equal(texts.filter((s) => /Not loaded: Served version/.test(s)).length, 1, texts.join(" | "));
    // The reload once /versions answered is a retry: it says its outcome, not "Loading…" first.
    assert.deepEqual(texts.slice(texts.findIndex((s) => /Not loaded/.test(s)) + 1).filter((s) => s === "Loading…"), [], texts.join(" | "));
    assert.doesNotMatch((await text(page, "#status"))!, /Not loaded/);
  });

  await t.test("a page that was shown: a check that cannot reach the API says so once, backs off, and the status comes back when it answers", async () => {
    const shown = (await text(page, "#status"))!;
    const before = (await checkDelays(page)).length;
    for (let i = 0; i < 3; i++) requests.drop(/\/runs\?kind=relationships&limit=1$/);
    await page.waitFor(`window.__checkDelays.filter((ms, i, all) => ms !== all[i - 1]).length >= ${before + 4}`, 30_000);
    assert.deepEqual((await checkDelays(page)).slice(before - 1), [30_000, 60_000, 120_000, 240_000, 30_000]);
    const texts = await statusTexts(page);
    const said = texts.filter((s) => /^Could not check for a new load/.test(s));
    assert.equal(said.length, 1, texts.join(" | "));
    assert.match(said[0], /Cannot reach the API/);
    assert.equal(await text(page, "#status"), shown, "the status line of the last load, once the checks answer again");
    assert.equal(await readsOf(page, "/runs?kind=relationships&limit=60"), 2, "nothing new: no reload");
  });
  await page.send("Page.close").catch(() => {});
});

test("checks: when the check's probe answers but the reload it starts fails again, the failure is said once, not at each retry", { skip, timeout: 90_000 }, async () => {
  // Before, each check whose probe (/runs?limit=1 and /versions?limit=1) answered reloaded the page,
  // and each reload that failed again announced "Loading…" and the same status line again, once per
  // retry (spaced by the backoff), for as long as the load's own /runs request failed.
  const page = await browser.newPage({ width: 1280, height: 900 });
  await page.send("Page.addScriptToEvaluateOnNewDocument", { source: FAST_CHECKS });
  const requests = await holdRequests(page);
  // The first load's runs and those of the next three reloads; the fourth reload reads them.
  for (let i = 0; i < 4; i++) requests.fail(/\/runs\?kind=relationships&limit=60/, 503, "The data is being swapped");
  await page.goto(`${demo.url}/`);
  await page.waitFor("document.body.dataset.loaded === 'true' && /Version 2/.test(document.getElementById('latest-body').textContent)", 40_000);
  assert.equal(await readsOf(page, "/runs?kind=relationships&limit=60"), 5, "the first load and four reloads");
  assert.deepEqual(await checkDelays(page), [30_000, 60_000, 120_000, 240_000, 30_000], "a reload that failed again counts as a failed check");
  const texts = await statusTexts(page);
  assert.equal(texts.filter((s) => /Not loaded: Runs/.test(s)).length, 1, texts.join(" | "));
  // After the first load's failure, nothing until the outcome differs: no "Loading…" per retry.
  assert.deepEqual(texts.slice(texts.findIndex((s) => /Not loaded/.test(s)) + 1).filter((s) => s === "Loading…"), [], texts.join(" | "));
  assert.match((await text(page, "#status"))!, /^Latest load succeeded/, "what changed is said");
  await page.send("Page.close").catch(() => {});
});

test("checks: a Refresh that reads the runs while the checks are failing starts them again at 30 s", { skip, timeout: 60_000 }, async () => {
  // Nothing covered this before: the Refresh's reset of the backoff could be removed with every
  // test passing, and a page refreshed by hand would go on checking every 10 min.
  const page = await browser.newPage({ width: 1280, height: 900 });
  await page.send("Page.addScriptToEvaluateOnNewDocument", { source: FAST_CHECKS });
  const requests = await holdRequests(page);
  await page.goto(`${demo.url}/`);
  await page.waitFor("document.body.dataset.loaded === 'true'", 30_000);
  // The checks cannot reach the API for longer than this test looks (a check every 200 ms here),
  // while the load's own requests answer.
  for (let i = 0; i < 300; i++) requests.drop(/\/runs\?kind=relationships&limit=1$/);
  await page.waitFor("window.__checkDelays.includes(240000)", 20_000);
  const atClick = await page.evaluate<number>("window.__checkDelays.length");
  await page.evaluate("document.getElementById('refresh').click()");
  await page.waitFor(`document.body.dataset.loaded === 'true' && window.__answersRead.filter((u) => u.includes("/runs?kind=relationships&limit=60")).length === 2`, 20_000);
  // Two more checks after the Refresh's load, both failing again.
  const afterLoad = await page.evaluate<number>("window.__checkDelays.length");
  await page.waitFor(`window.__checkDelays.length >= ${afterLoad + 2}`, 20_000);
  const since = (await page.evaluate<number[]>(`window.__checkDelays.slice(${atClick})`)).filter((ms, i, all) => ms !== all[i - 1]);
  const reset = since.indexOf(30_000);
  assert.ok(reset >= 0, `no 30 s check after the Refresh: ${since.join(", ")}`);
  assert.deepEqual(since.slice(reset, reset + 2), [30_000, 60_000], "the backoff starts again from 30 s");
  await page.send("Page.close").catch(() => {});
});

test("network: a redraw for a changed N that fails says so and keeps the drawing", { skip, timeout: 60_000 }, async () => {
  const { page, requests } = await open();
  const drawn = await page.evaluate<number>("document.querySelectorAll('#network-graph [data-actor-id]').length");
  const reads = () => page.evaluate<number>("window.__answersRead.filter((u) => u.includes('/relationships/subgraph')).length");
  const before = await reads();
  requests.fail(/\/relationships\/subgraph/, 503, "The data is being swapped");
  // The sample draws every actor, so the control is hidden; its change event is what a user fires.
  await page.evaluate("document.getElementById('network-limit').dispatchEvent(new Event('change'))");
  await page.waitFor(`window.__answersRead.filter((u) => u.includes('/relationships/subgraph')).length > ${before}`);
  assert.ok((await reads()) > before);
  assert.match((await text(page, "#status"))!, /The network could not be redrawn: The data is being swapped/);
  assert.equal(await page.evaluate("document.querySelectorAll('#network-graph [data-actor-id]').length"), drawn);
  assert.deepEqual(page.errors, [], "no unhandled error");
});

test("contacts: the table shows the filter applied, not text typed since; a delete on page 2 recounts", { skip, timeout: 60_000 }, async (t) => {
  const { page } = await open();
  const csv = () => page.evaluate<string>("document.getElementById('contacts-csv').getAttribute('href')");
  const linkBefore = await csv();
  await t.test("typing without Filter changes neither the CSV link nor the pages Next shows", async () => {
    await page.type("#contacts-q", "zzzz");
    assert.equal(await csv(), linkBefore, "the CSV link followed the typed text");
    await page.click("#contacts-next");
    await page.waitFor("document.getElementById('contacts-page').textContent === 'Page 2' && !document.getElementById('contacts-rows').hasAttribute('aria-busy')");
    assert.ok((await contactIds(page)).length > 0, "page 2 of the typed filter instead of the applied one");
    assert.equal(await csv(), linkBefore);
  });
  await t.test("a delete on page 2 updates the count", async () => {
    const id = (await contactIds(page))[0];
    await page.click(`[data-delete-contact="${id}"]`);
    await page.waitFor("document.getElementById('contact-delete-dialog').open");
    await page.click("#contact-delete-confirm");
    await page.waitFor("document.getElementById('status').textContent.startsWith('Deleted')");
    const total = ((await (await fetch(`${demo.url}/contacts?count=true&limit=1`)).json()) as { total: number }).total;
    assert.match((await text(page, "#contacts-caption"))!, new RegExp(`^${total} contacts`));
  });
});

test("heat map table: opened while the whole matrix is still arriving, it shows the cells once they are here", { skip, timeout: 60_000 }, async () => {
  // The table was drawn from the rows present when it opened: every cell "loading", and it stayed
  // so after the matrix arrived, until the person paged away and back.
  const page = await browser.newPage({ width: 1280, height: 900 });
  const requests = await holdRequests(page);
  const whole = requests.hold(/\/matrix\?format=binary$/);
  await page.goto(`${demo.url}/`);
  const held = await whole;
  await page.waitFor("document.querySelector('#matrix-summary .stat') !== null", 30_000);
  // A DOM click, not one at the button's coordinates: the other panels are still arriving and may
  // move the page between measuring the button and clicking it. One CI run waited 15 s for the
  // table after a pointer click; not reproduced here, alone or under load, so this is the likely cause.
  await page.evaluate("document.getElementById('matrix-table-toggle').click()");
  await page.waitFor("document.querySelector('#matrix-table table') !== null");
  assert.ok((await page.evaluate<number>("document.querySelectorAll('#matrix-table td[data-value=loading]').length")) > 0, "the rows are not here yet");
  await held.release();
  await held.read();
  await page.waitFor("document.body.dataset.loaded === 'true'", 30_000);
  assert.equal(await page.evaluate("document.getElementById('matrix-table-toggle').getAttribute('aria-expanded')"), "true");
  assert.equal(await page.evaluate<number>("document.querySelectorAll('#matrix-table td[data-value=loading]').length"), 0, "cells still 'loading' with the matrix here");
  assert.ok((await page.evaluate<number>("document.querySelectorAll('#matrix-table td[data-value]').length")) > 0);
});


test("matrix: a whole-matrix download the API never answers, or stops sending midway, ends in 'could not be loaded', not 'Loading…' for good", { skip, timeout: 90_000 }, async () => {
  // Before, the JSON requests gave up after 30 s but the whole matrix's binary download had no
  // limit: an API that took it and said nothing (or stopped halfway) left the first load unfinished
  // for good, the heat map empty with no message, and Refresh queued behind it.
  let matrixMode: Quiet = null;
  const front = await quietFront(demo.url, (url) => (/^\/matrix\?format=binary/.test(url) ? matrixMode : null));
  const page = await browser.newPage({ width: 1280, height: 900 });
  /** Once the front holds the matrix and has answered everything else, 30 s of silence pass. */
  const silencePasses = async () => {
    for (let i = 0; !(front.held > 0 && front.inFlight === 0); i++) {
      if (i > 600) throw new Error("the front never held the matrix");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await page.evaluate("window.__expire()");
  };
  const matrixFailed = async () => {
    await page.waitFor("document.body.dataset.loaded === 'true'", 30_000);
    assert.match((await text(page, "#matrix-info"))!, /The matrix could not be loaded/);
    assert.match((await text(page, "#status"))!, /Matrix/);
    assert.match((await text(page, "#status"))!, /Cannot reach the API/);
  };
  try {
    await page.send("Page.addScriptToEvaluateOnNewDocument", { source: EXPIRABLE_TIMEOUTS });
    matrixMode = "silent";
    await page.goto(`${front.url}/`);
    await silencePasses();
    await matrixFailed();

    // The API answers again: Refresh draws the matrix.
    matrixMode = null;
    await page.click("#refresh");
    await page.waitFor("document.body.dataset.loaded === 'true' && document.body.dataset.matrixRows !== '0'", 30_000);

    // Its headers and half its cells, then silence: the watch is on silence, not on the headers alone.
    matrixMode = "stall";
    front.held = 0;
    await page.evaluate("window.__waiting.length = 0");
    await page.click("#refresh");
    await page.waitFor("document.body.dataset.loaded === 'false'");
    await silencePasses();
    await matrixFailed();
  } finally {
    await page.send("Page.close").catch(() => {});
    await front.close();
  }
});

test("matrix: when its small /matrix request fails, the whole-matrix download started beside it is cancelled, not fetched for nothing", { skip, timeout: 60_000 }, async () => {
  // Before, the section said "could not be loaded" and the download went on (up to 67 MB above
  // 4,096 actors), stopped only by 30 s of silence. The 30 s limits here wait for the test
  // (EXPIRABLE_TIMEOUTS), which never ends them: only the page's own cancel can stop the download.
  const front = await quietFront(demo.url, (url) => (/^\/matrix\?offset=0&limit=1$/.test(url) ? "reset" : /^\/matrix\?format=binary$/.test(url) ? "silent" : null));
  const page = await browser.newPage({ width: 1280, height: 900 });
  try {
    await page.send("Page.addScriptToEvaluateOnNewDocument", { source: EXPIRABLE_TIMEOUTS });
    await page.send("Network.enable");
    const whole = new Set<string>();
    const cancelled = new Set<string>();
    page.on("Network.requestWillBeSent", (p) => {
      if (/\/matrix\?format=binary$/.test(p.request.url)) whole.add(p.requestId);
    });
    page.on("Network.loadingFailed", (p) => {
      if (p.canceled) cancelled.add(p.requestId);
    });
    await page.goto(`${front.url}/`);
    await page.waitFor("document.body.dataset.loaded === 'true'", 30_000);
    assert.match((await text(page, "#matrix-info"))!, /The matrix could not be loaded/);
    assert.equal(whole.size, 1, "the whole matrix was asked for beside the small request");
    await until("the whole-matrix download is cancelled", () => [...whole].every((id) => cancelled.has(id)));
  } finally {
    await page.send("Page.close").catch(() => {});
    await front.close();
  }
});
