/**
 * Makes a page's answers arrive in the order a test chooses: the answer to a request matching a
 * rule is held in the browser once the server gave it (DevTools `Fetch` domain, response stage: it
 * is the server's answer of that moment) until the test lets it go, or an error is answered in its
 * place; every other request passes. The page also counts the answers it has read (each Response body),
 * so a test waits for "the page has read the answer it was holding", a state, never for a time:
 * once the body is read, what the page does with it runs before any later evaluation.
 */
import { CdpError, type Page } from "./cdp.ts";

/** A held request. */
export interface Held {
  url: string;
  /** Lets the answer go on to the page. */
  release(): Promise<void>;
  /** Waits until the page has read this request's answer (after `release`). */
  read(): Promise<void>;
}

/** How a request matching `match` is answered (see holdRequests). */
export type Rule = { match: RegExp; action: { hold: (held: Held) => void } | { status: number; detail: string } | { drop: true } };

// Runs in the page before its own scripts: each Response body read is recorded by URL, whether
// read whole (json, text, arrayBuffer) or part by part from its stream (response.body's reader,
// recorded when it reads the end, or fails).
const COUNT_READS = `(() => {
  const reads = (window.__answersRead = []);
  for (const name of ["json", "text", "arrayBuffer"]) {
    const read = Response.prototype[name];
    Response.prototype[name] = function () {
      const url = this.url;
      return read.call(this).finally(() => reads.push(url));
    };
  }
  const urlOf = new WeakMap();
  const body = Object.getOwnPropertyDescriptor(Response.prototype, "body");
  Object.defineProperty(Response.prototype, "body", { ...body, get() {
    const stream = body.get.call(this);
    if (stream) urlOf.set(stream, this.url);
    return stream;
  } });
  const getReader = ReadableStream.prototype.getReader;
  ReadableStream.prototype.getReader = function (...options) {
    const reader = getReader.apply(this, options);
    if (urlOf.has(this)) urlOf.set(reader, urlOf.get(this));
    return reader;
  };
  const readPart = ReadableStreamDefaultReader.prototype.read;
  ReadableStreamDefaultReader.prototype.read = function () {
    const url = urlOf.get(this);
    return readPart.call(this).then(
      (part) => (part.done && url !== undefined && reads.push(url), part),
      (error) => { if (url !== undefined) reads.push(url); throw error; },
    );
  };
})()`;

/**
 * Starts holding for `page`; call before `page.goto` so the first load's requests are seen too.
 *
 * @example
 * const requests = await holdRequests(page);
 * const search = requests.hold(/\/actors\?q=a&/);
 * await page.goto(url);
 * const held = await search; // the page asked, the server answered; the answer waits
 * await held.release();
 * await held.read();
 */
export async function holdRequests(page: Page): Promise<{
  hold(match: RegExp): Promise<Held>;
  fail(match: RegExp, status: number, detail: string): void;
  /** The next request matching `match` fails as a refused connection: no answer at all (the API is down). */
  drop(match: RegExp): void;
}> {
  const rules: Rule[] = [];
  page.on("Fetch.requestPaused", (p: Paused) => void answerPaused(page, rules, p));
  await page.send("Page.addScriptToEvaluateOnNewDocument", { source: COUNT_READS });
  await page.evaluate(`window.__answersRead ? undefined : ${COUNT_READS}`);
  await page.send("Fetch.enable", { patterns: [{ urlPattern: "*", requestStage: "Response" }] });
  return {
    hold: (match) => new Promise<Held>((resolve) => rules.push({ match, action: { hold: resolve } })),
    fail: (match, status, detail) => void rules.push({ match, action: { status, detail } }),
    drop: (match) => void rules.push({ match, action: { drop: true } }),
  };
}

/** What the browser says of a request it paused (DevTools `Fetch.requestPaused`). */
export interface Paused {
  requestId: string;
  request: { url: string };
}

/**
 * Answers one paused request by the first rule matching it (taken off `rules`), or lets it go on.
 * Resolves once the browser took the command. The browser pauses requests up to its last moment:
 * one paused as its tab or the browser closes (the end of a test file) cannot be answered any more,
 * and that refusal is nothing to report; left as a rejection nobody awaited, it failed the whole
 * test file after its tests had passed. Any other refusal goes to `page.errors`, which tests check.
 */
export async function answerPaused(page: Page, rules: Rule[], p: Paused): Promise<void> {
  const i = rules.findIndex((r) => r.match.test(p.request.url));
  const send = (method: string, params: object) =>
    page.send(method, params).then(
      () => undefined,
      (error: unknown) => {
        if (!isGone(error)) page.errors.push(`${method} for ${p.request.url} failed: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  if (i < 0) return send("Fetch.continueRequest", { requestId: p.requestId });
  const [{ action }] = rules.splice(i, 1);
  if ("drop" in action) return send("Fetch.failRequest", { requestId: p.requestId, errorReason: "ConnectionRefused" });
  if ("status" in action) {
    const body = JSON.stringify({ type: "about:blank", title: "Held by the test", status: action.status, detail: action.detail });
    return send("Fetch.fulfillRequest", {
      requestId: p.requestId,
      responseCode: action.status,
      responseHeaders: [{ name: "Content-Type", value: "application/problem+json" }],
      body: Buffer.from(body).toString("base64"),
    });
  }
  let readsBefore = 0;
  action.hold({
    url: p.request.url,
    // Awaited by the test, which sees any failure itself.
    async release() {
      readsBefore = await page.evaluate<number>(readsOf(p.request.url));
      await page.send("Fetch.continueRequest", { requestId: p.requestId });
    },
    async read() {
      await page.waitFor(`${readsOf(p.request.url)} > ${readsBefore}`, 20_000);
    },
  });
}

/** The page's expression for how many answers to `url` it has read (COUNT_READS). */
function readsOf(url: string): string {
  return `window.__answersRead.filter((u) => u === ${JSON.stringify(url)}).length`;
}

// The tab's session or the browser is gone: nothing is left to answer.
function isGone(error: unknown): boolean {
  if (!(error instanceof CdpError)) return false;
  return error.code === "closed" || error.code === "disconnected" || /Session with given id not found|No target with given id/.test(error.message);
}
