/**
 * An API that takes a request and then says nothing (or drops it), for the browser tests of the
 * page's time limits and failures: a real HTTP front on 127.0.0.1:0 before a real API, and a page
 * script that makes those limits end when the test says (the test neither waits 30 s nor depends on
 * the machine's speed).
 */
import { createServer, request, type IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";

/**
 * Runs in the page before its own scripts: every 30 s AbortSignal.timeout the page asks for waits
 * for the test instead of the clock, and `window.__expire()` ends the ones asked for so far, as 30 s
 * of silence would (`window.__waiting` holds them; empty it to leave earlier ones alone).
 */
export const EXPIRABLE_TIMEOUTS = `(() => {
  const timeout = AbortSignal.timeout.bind(AbortSignal);
  const waiting = (window.__waiting = []);
  AbortSignal.timeout = (ms) => {
    if (ms !== 30000) return timeout(ms);
    const controller = new AbortController();
    waiting.push(controller);
    return controller.signal;
  };
  window.__expire = () => {
    for (const c of waiting.splice(0)) c.abort(new DOMException("The operation timed out.", "TimeoutError"));
  };
})()`;

/** What the front does with a request: "silent" takes it and never answers, "stall" sends the headers and the first half of the body, then nothing, "reset" drops the connection (an API going down); null passes it on. */
export type Quiet = "silent" | "stall" | "reset" | null;

/** A running front. */
export interface QuietFront {
  url: string;
  /** Requests taken and left silent, stalled or dropped so far (the test may set it back to 0). */
  held: number;
  /** Requests passed on whose answer is not sent yet. */
  inFlight: number;
  close(): Promise<void>;
}

/**
 * Starts a front that passes every request on to `target`, except those `rule` (given the path and
 * query) says to keep quiet: a hung API process, a stalled proxy or connection.
 *
 * @example
 * const front = await quietFront(demo.url, (url) => (url.startsWith("/versions") ? "silent" : null));
 * await page.goto(`${front.url}/`);
 * await front.close();
 */
export async function quietFront(target: string, rule: (url: string) => Quiet): Promise<QuietFront> {
  const open = new Set<Socket>();
  const server = createServer((req, res) => {
    const quiet = rule(req.url ?? "");
    if (quiet === "silent") return void front.held++;
    if (quiet === "reset") {
      front.held++;
      return void req.socket.destroy();
    }
    front.inFlight++;
    const upstream = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on("data", (c: Buffer) => chunks.push(c));
      answer.on("end", () => {
        const body = Buffer.concat(chunks);
        const headers: IncomingHttpHeaders = { ...answer.headers };
        delete headers["content-length"];
        delete headers["transfer-encoding"];
        res.writeHead(answer.statusCode ?? 502, headers);
        front.inFlight--;
        if (quiet === "stall") {
          res.write(body.subarray(0, Math.floor(body.length / 2)));
          front.held++;
          return;
        }
        res.end(body);
      });
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.on("connection", (s: Socket) => {
    open.add(s);
    s.on("close", () => open.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const front: QuietFront = {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    held: 0,
    inFlight: 0,
    close() {
      for (const s of open) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return front;
}
