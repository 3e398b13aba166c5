/**
 * Drives Debian's headless chromium over the DevTools protocol with Node built-ins only: a spawned
 * browser, a minimal WebSocket client (RFC 6455, client side: masked frames out, fragmented frames
 * in, ping/pong, close) over an `http` upgrade, and a Page with the handful of actions the
 * dashboard's browser tests and screenshot script need. Node 20 has no global WebSocket without a
 * flag, and the project takes no dependencies, hence this file.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import type { Socket } from "node:net";

/** A DevTools protocol error answer, or the browser misbehaving. */
export class CdpError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "CdpError";
    this.code = code;
  }
}

/**
 * Returns the path of a chromium binary (CHROMIUM_PATH, then chromium, chromium-browser,
 * google-chrome on PATH), or null when there is none, so tests can skip with a message.
 *
 * @example
 * const path = findChromium(); // "/usr/bin/chromium" or null
 */
export function findChromium(): string | null {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
      const candidate = join(dir, name);
      if (dir && existsSync(candidate)) return candidate;
    }
  }
  return null;
}

type Listener = (params: any, sessionId?: string) => void;

/** A minimal RFC 6455 client connection: text messages in and out. */
class WebSocketConnection {
  #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #fragments: Buffer[] = [];
  #onMessage: (text: string) => void;
  #onClose: () => void;

  constructor(socket: Socket, head: Buffer, onMessage: (text: string) => void, onClose: () => void) {
    this.#socket = socket;
    this.#onMessage = onMessage;
    this.#onClose = onClose;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#receive(chunk));
    socket.on("close", () => this.#onClose());
    socket.on("error", () => this.#onClose());
    if (head.length > 0) this.#receive(head);
  }

  send(text: string): void {
    this.#frame(0x1, Buffer.from(text, "utf8"));
  }

  close(): void {
    if (this.#socket.destroyed) return;
    this.#frame(0x8, Buffer.alloc(0));
    this.#socket.end();
  }

  #frame(opcode: number, payload: Buffer): void {
    // Clients must mask every frame (RFC 6455 section 5.3).
    const mask = randomBytes(4);
    const length = payload.length;
    const header = length < 126 ? Buffer.alloc(2) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    if (length < 126) header[1] = 0x80 | length;
    else if (length < 65536) {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(length, 2);
    } else {
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(length), 2);
    }
    const masked = Buffer.alloc(length);
    for (let i = 0; i < length; i++) masked[i] = payload[i] ^ mask[i & 3];
    this.#socket.write(Buffer.concat([header, mask, masked]));
  }

  #receive(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    for (;;) {
      const buffer = this.#buffer;
      if (buffer.length < 2) return;
      const fin = (buffer[0] & 0x80) !== 0;
      const opcode = buffer[0] & 0x0f;
      const masked = (buffer[1] & 0x80) !== 0;
      let length = buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) return;
        length = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      const maskOffset = offset;
      if (masked) offset += 4;
      if (buffer.length < offset + length) return;
      let payload = buffer.subarray(offset, offset + length);
      if (masked) {
        const key = buffer.subarray(maskOffset, maskOffset + 4);
        payload = Buffer.from(payload.map((b, i) => b ^ key[i & 3]));
      }
      this.#buffer = buffer.subarray(offset + length);
      if (opcode === 0x8) {
        this.close();
        return;
      }
      if (opcode === 0x9) {
        this.#frame(0xa, Buffer.from(payload));
        continue;
      }
      if (opcode === 0xa) continue;
      // Text (0x1) or continuation (0x0) of a fragmented message.
      this.#fragments.push(Buffer.from(payload));
      if (fin) {
        const text = Buffer.concat(this.#fragments).toString("utf8");
        this.#fragments = [];
        this.#onMessage(text);
      }
    }
  }
}

/** Opens a WebSocket to `url` (ws://) using an HTTP upgrade. */
function connectWebSocket(url: string, onMessage: (text: string) => void, onClose: () => void): Promise<WebSocketConnection> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({
      host: target.hostname,
      port: target.port,
      path: target.pathname + target.search,
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
      },
    });
    req.on("upgrade", (_res, socket, head) => resolve(new WebSocketConnection(socket, head, onMessage, onClose)));
    req.on("response", (res) => reject(new CdpError("websocket_refused", `WebSocket upgrade to ${url} answered ${res.statusCode}`)));
    req.on("error", reject);
    req.end();
  });
}

/** A launched browser and its DevTools connection. */
export class Browser {
  #process: ChildProcess;
  #profile: string;
  #ws!: WebSocketConnection;
  #nextId = 1;
  #pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void; method: string }>();
  #listeners = new Map<string, Set<Listener>>();
  #closed = false;

  private constructor(child: ChildProcess, profile: string) {
    this.#process = child;
    this.#profile = profile;
  }

  /**
   * Starts headless chromium and connects to it; `args` are more chromium switches (e.g.
   * `--host-resolver-rules` to reach a local server by a name that is not a secure context).
   *
   * @example
   * const browser = await Browser.launch(findChromium()!);
   * const page = await browser.newPage({ width: 1280, height: 900 });
   */
  static async launch(executable: string, options: { timeoutMs?: number; args?: readonly string[] } = {}): Promise<Browser> {
    const profile = mkdtempSync(join(tmpdir(), "dashboard-chromium-"));
    const child = spawn(
      executable,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        "--mute-audio",
        `--user-data-dir=${profile}`,
        "--remote-debugging-port=0",
        ...(options.args ?? []),
        "about:blank",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const browser = new Browser(child, profile);
    browser.#guardExit();
    try {
      const endpoint = await new Promise<string>((resolve, reject) => {
        let stderr = "";
        const timer = setTimeout(
          () => reject(new CdpError("launch_timeout", `Chromium did not start within ${options.timeoutMs ?? 20000} ms: ${stderr.slice(-500)}`)),
          options.timeoutMs ?? 20000,
        );
        child.stderr!.setEncoding("utf8");
        child.stderr!.on("data", (text: string) => {
          stderr += text;
          const match = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
        child.on("error", (error) => {
          clearTimeout(timer);
          reject(error);
        });
        child.on("exit", (code) => {
          clearTimeout(timer);
          reject(new CdpError("launch_failed", `Chromium exited with code ${code}: ${stderr.slice(-500)}`));
        });
      });
      // Keep draining stderr so chromium never blocks on a full pipe.
      child.stderr!.resume();
      browser.#ws = await connectWebSocket(
        endpoint,
        (text) => browser.#dispatch(text),
        () => browser.#failAll(new CdpError("disconnected", "The browser connection closed")),
      );
    } catch (error) {
      await browser.close();
      throw error;
    }
    return browser;
  }

  /** Sends one protocol command and returns its result. */
  send(method: string, params: object = {}, sessionId?: string): Promise<any> {
    if (this.#closed) return Promise.reject(new CdpError("closed", "The browser is closed"));
    const id = this.#nextId++;
    const message = sessionId ? { id, method, params, sessionId } : { id, method, params };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, method });
      this.#ws.send(JSON.stringify(message));
    });
  }

  /** Subscribes to a protocol event; returns the unsubscribe function. */
  on(event: string, listener: Listener): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Opens a new tab of the given size and returns it as a Page.
   *
   * @example
   * const page = await browser.newPage({ width: 390, height: 844, mobile: true });
   */
  async newPage(viewport: { width: number; height: number; mobile?: boolean } = { width: 1280, height: 900 }): Promise<Page> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
    const page = new Page(this, sessionId);
    await page.send("Page.enable");
    await page.send("Runtime.enable");
    await page.send("Emulation.setDeviceMetricsOverride", {
      width: viewport.width,
      height: viewport.height,
      deviceScaleFactor: 1,
      mobile: viewport.mobile ?? false,
    });
    return page;
  }

  /** Closes the connection, ends chromium and removes its temporary profile. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#unguard();
    const running = this.#process.exitCode === null && this.#process.signalCode === null;
    const exited = running ? new Promise((resolve) => this.#process.once("exit", resolve)) : Promise.resolve();
    if (running && this.#ws) {
      // Ask politely first: Browser.close ends the renderer and helper processes too.
      await Promise.race([this.send("Browser.close").catch(() => undefined), exited]);
    }
    this.#closed = true;
    try {
      this.#ws?.close();
    } catch {
      // Already gone.
    }
    if (running) {
      const term = setTimeout(() => this.#process.kill("SIGTERM"), 2000);
      const kill = setTimeout(() => this.#process.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(term);
      clearTimeout(kill);
    }
    // Helper processes may still be flushing the profile for a moment after the main one exits.
    for (let attempt = 0; ; attempt++) {
      try {
        rmSync(this.#profile, { recursive: true, force: true });
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  #unguard: () => void = () => {};

  /**
   * Kills chromium if this process ends without close(): a test runner that times out or is
   * interrupted must not leave a headless browser behind (chromium does not notice its parent die).
   */
  #guardExit(): void {
    const kill = () => {
      try {
        this.#process.kill("SIGKILL");
        rmSync(this.#profile, { recursive: true, force: true });
      } catch {
        // Already gone, or a helper still holds the profile: best effort on the way out.
      }
    };
    const onSignal = (signal: NodeJS.Signals) => {
      kill();
      this.#unguard();
      // Re-raise with the default handler now that ours is gone, so the process still ends.
      process.kill(process.pid, signal);
    };
    process.once("exit", kill);
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
    this.#unguard = () => {
      process.off("exit", kill);
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    };
  }

  #dispatch(text: string): void {
    const message = JSON.parse(text);
    if (typeof message.id === "number") {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error) pending.reject(new CdpError("protocol", `${pending.method} failed: ${message.error.message}`));
      else pending.resolve(message.result);
      return;
    }
    for (const listener of this.#listeners.get(message.method) ?? []) listener(message.params, message.sessionId);
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

/** One request a tab made, as recorded by `Page.recordNetwork()`. */
export interface NetworkRequest {
  url: string;
  method: string;
  status: number;
  /** Bytes received for it: headers plus the (compressed) body. */
  bytes: number;
  /** `Content-Encoding` of the answer, if any. */
  encoding: string | null;
  finished: boolean;
}

/** What `Page.recordNetwork()` collects until `stop()`. */
export interface NetworkRecord {
  requests: NetworkRequest[];
  stop(): void;
}

/** One tab, addressed through its flattened session. */
export class Page {
  #browser: Browser;
  readonly sessionId: string;
  /** Uncaught exceptions and console errors seen so far: tests assert the page ran clean. */
  readonly errors: string[] = [];

  constructor(browser: Browser, sessionId: string) {
    this.#browser = browser;
    this.sessionId = sessionId;
    browser.on("Runtime.exceptionThrown", (params, session) => {
      if (session === sessionId) this.errors.push(params.exceptionDetails?.exception?.description ?? params.exceptionDetails?.text ?? "exception");
    });
    browser.on("Runtime.consoleAPICalled", (params, session) => {
      if (session === sessionId && params.type === "error") {
        this.errors.push(params.args.map((a: any) => a.value ?? a.description ?? "").join(" "));
      }
    });
  }

  /** Sends a protocol command to this tab. */
  send(method: string, params: object = {}): Promise<any> {
    return this.#browser.send(method, params, this.sessionId);
  }

  /** Subscribes to a protocol event of this tab; returns the unsubscribe function. */
  on(event: string, listener: (params: any) => void): () => void {
    return this.#browser.on(event, (params, session) => {
      if (session === this.sessionId) listener(params);
    });
  }

  /**
   * Starts recording this tab's network traffic: every request with its status and the bytes that
   * crossed the wire (headers and compressed body), as the browser counted them.
   *
   * @example
   * const traffic = await page.recordNetwork();
   * await page.goto(url);
   * traffic.requests.length; // 12
   */
  async recordNetwork(): Promise<NetworkRecord> {
    await this.send("Network.enable");
    const byId = new Map<string, NetworkRequest>();
    const record: NetworkRecord = { requests: [], stop: () => {} };
    const offs = [
      this.on("Network.requestWillBeSent", (p) => {
        if (p.request.url.startsWith("data:")) return;
        const entry = { url: p.request.url, method: p.request.method, status: 0, bytes: 0, encoding: null, finished: false };
        byId.set(p.requestId, entry);
        record.requests.push(entry);
      }),
      this.on("Network.responseReceived", (p) => {
        const entry = byId.get(p.requestId);
        if (!entry) return;
        entry.status = p.response.status;
        const headers = Object.fromEntries(Object.entries(p.response.headers as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
        entry.encoding = headers["content-encoding"] ?? null;
      }),
      this.on("Network.loadingFinished", (p) => {
        const entry = byId.get(p.requestId);
        if (!entry) return;
        entry.bytes = p.encodedDataLength;
        entry.finished = true;
      }),
    ];
    record.stop = () => offs.forEach((off) => off());
    return record;
  }

  /**
   * Navigates and waits for the load event.
   *
   * @example
   * await page.goto("http://127.0.0.1:8000/");
   */
  async goto(url: string, timeoutMs = 15000): Promise<void> {
    const loaded = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new CdpError("timeout", `Loading ${url} took over ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.#browser.on("Page.loadEventFired", (_params, session) => {
        if (session !== this.sessionId) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
    const result = await this.send("Page.navigate", { url });
    if (result.errorText) throw new CdpError("navigation", `Cannot load ${url}: ${result.errorText}`);
    await loaded;
  }

  /**
   * Evaluates a JavaScript expression in the page (awaiting promises) and returns its JSON value.
   *
   * @example
   * const count = await page.evaluate<number>("document.querySelectorAll('[data-actor-id]').length");
   */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const result = await this.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
    if (result.exceptionDetails) {
      throw new CdpError("evaluate", `Evaluating ${expression.slice(0, 80)} threw: ${result.exceptionDetails.exception?.description ?? result.exceptionDetails.text}`);
    }
    return result.result.value as T;
  }

  /**
   * Polls `expression` until it is truthy and returns that value; throws after `timeoutMs`.
   *
   * @example
   * await page.waitFor("document.body.dataset.loaded === 'true'");
   */
  async waitFor<T = unknown>(expression: string, timeoutMs = 15000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await this.evaluate<T>(expression);
      if (value) return value;
      if (Date.now() > deadline) throw new CdpError("timeout", `Waited ${timeoutMs} ms for ${expression}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Clicks the centre of the first element matching `selector` with real mouse events.
   *
   * @example
   * await page.click("#contact-form button[type=submit]");
   */
  async click(selector: string): Promise<void> {
    const box = await this.evaluate<{ x: number; y: number } | null>(
      `(() => { const el = document.querySelector(${JSON.stringify(selector)}); if (!el) return null; el.scrollIntoView({ block: "center" }); const r = el.getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; })()`,
    );
    if (!box) throw new CdpError("no_element", `No element matches ${selector}`);
    for (const type of ["mouseMoved", "mousePressed", "mouseReleased"]) {
      await this.send("Input.dispatchMouseEvent", { type, x: box.x, y: box.y, button: "left", clickCount: 1 });
    }
  }

  /**
   * Focuses the element matching `selector`, clears it and types `text` as keyboard input.
   *
   * @example
   * await page.type("#contact-email", "ana@example.com");
   */
  async type(selector: string, text: string): Promise<void> {
    const found = await this.evaluate<boolean>(
      `(() => { const el = document.querySelector(${JSON.stringify(selector)}); if (!el) return false; el.focus(); el.value = ""; return true; })()`,
    );
    if (!found) throw new CdpError("no_element", `No element matches ${selector}`);
    await this.send("Input.insertText", { text });
  }

  /** Presses one key (e.g. "Enter", "Tab") on the focused element. */
  async press(key: string): Promise<void> {
    const codes: Record<string, number> = { Enter: 13, Tab: 9, Escape: 27, " ": 32, ArrowLeft: 37, ArrowUp: 38, ArrowRight: 39, ArrowDown: 40 };
    const code = codes[key] ?? key.charCodeAt(0);
    const text = key === "Enter" ? "\r" : key === " " ? " " : undefined;
    await this.send("Input.dispatchKeyEvent", { type: "keyDown", key, code: key === " " ? "Space" : key, windowsVirtualKeyCode: code, text });
    await this.send("Input.dispatchKeyEvent", { type: "keyUp", key, code: key === " " ? "Space" : key, windowsVirtualKeyCode: code });
  }

  /**
   * Returns a PNG of the viewport (or of the whole page with `fullPage`).
   *
   * @example
   * writeFileSync("shot.png", await page.screenshot());
   */
  async screenshot(options: { fullPage?: boolean } = {}): Promise<Buffer> {
    const params: Record<string, unknown> = { format: "png" };
    if (options.fullPage) {
      const { cssContentSize } = await this.send("Page.getLayoutMetrics");
      params.captureBeyondViewport = true;
      params.clip = { x: 0, y: 0, width: cssContentSize.width, height: cssContentSize.height, scale: 1 };
    }
    const { data } = await this.send("Page.captureScreenshot", params);
    return Buffer.from(data, "base64");
  }
}
