/**
 * Puts the App on a socket: the node adapter (with the app's admission), the request log, V8's garbage
 * collected once requests stop, and a graceful close (stop accepting, let in-flight requests finish,
 * then close the databases).
 */
import type { AddressInfo, Socket } from "node:net";
import { App, logToStderr, type AppOptions } from "./app.ts";
import { idleCollector } from "./collect_garbage.ts";
import { createNodeServer, type BodyStats, type Exchange, type MinWriteRate } from "./http/node_adapter.ts";

/** AppOptions plus where to listen and where the request log goes. */
export interface ServerOptions extends AppOptions {
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  /** Receives each request log line (default: stdout). `false` disables the log. */
  log?: ((line: string) => void) | false;
  /** How long without requests before V8's garbage is collected (default IDLE_COLLECT_MS). */
  idleCollectMs?: number;
  /** How long a streamed answer waits for a client that reads nothing (default 60 s; tests set less). */
  writeStallMs?: number;
  /** The slowest a client may read a streamed answer (default 32 KiB/s after 60 s of waiting for it; tests set more). */
  minWriteRate?: Partial<MinWriteRate>;
}

/** A listening server. */
export interface RunningServer {
  url: string;
  app: App;
  /** Request body bytes the server kept in memory so far (what a refused upload must not add to). */
  readonly stats: BodyStats;
  /**
   * Stops accepting, stops the contacts imports running (answered 503 `shutting-down`, their runs
   * `stopped` by `stoppedBy`, default "the API's close"), waits for in-flight requests (up to
   * `graceMs`), closes the databases.
   */
  close(graceMs?: number, stoppedBy?: string): Promise<void>;
}

/**
 * Returns one JSON log line for an exchange: short keys first so a terminal reads it left to right.
 *
 * @example
 * ```ts
 * logLine({ id: "a-1", method: "GET", path: "/healthz", status: 200, duration_ms: 0.4 })
 * // '{"time":"2026-...","id":"a-1","method":"GET","path":"/healthz","status":200,"duration_ms":0.4}'
 * ```
 */
export function logLine(exchange: Exchange): string {
  // No terminalText here: node's parser refuses control and non-ASCII bytes in the request line,
  // the request id is checked against [\w.:-], and JSON.stringify escapes the rest. Written out
  // field by field, with the time formatted once a millisecond: a third of the cost of
  // JSON.stringify on a spread object with a fresh toISOString(), on every request.
  const { id, method, path, status, duration_ms } = exchange;
  return `{"time":"${isoNow()}","id":${JSON.stringify(id)},"method":${JSON.stringify(method)},"path":${JSON.stringify(path)},"status":${status},"duration_ms":${duration_ms}}`;
}

let isoMs = -1;
let isoText = "";

/** `new Date().toISOString()`, made once per millisecond. */
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

/**
 * Returns a line writer for stdout that joins the lines of one event-loop turn into one write: a
 * write per request is a syscall per request (stdout to a file or pipe is synchronous in Node),
 * which costs a visible share of a point read. Lines still appear within a millisecond.
 */
function batchedStdout(): (line: string) => void {
  let pending: string[] = [];
  const flush = () => {
    const text = pending.join("");
    pending = [];
    process.stdout.write(text);
  };
  process.once("exit", () => {
    if (pending.length > 0) flush();
  });
  return (line) => {
    if (pending.push(line + "\n") === 1) setImmediate(flush);
  };
}

/** Paths that health checks and metric scrapers poll (without a query string). */
const PROBES = new Set(["/healthz", "/readyz", "/metrics"]);

/**
 * Opens the app and listens.
 *
 * @example
 * ```ts
 * const server = await startServer({ dataDir: dir, port: 0, log: false });
 * await fetch(`${server.url}/healthz`);
 * await server.close();
 * ```
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const app = await App.open(options);
  const write = options.log === false ? undefined : (options.log ?? batchedStdout());
  const stats: BodyStats = { buffered: 0, discarded: 0 };
  const spooling = new Set<Promise<unknown>>();
  /** Requests being answered: close() waits for them, and V8's garbage is not collected under them. */
  let inFlight = 0;
  // V8 keeps the requests' garbage while the API idles: collected once it goes quiet (collect_garbage.ts).
  const idle = idleCollector({ idleMs: options.idleCollectMs, busy: () => inFlight > 0 });
  const server = createNodeServer(app.handle, {
    stats,
    spooling,
    // Route, token and Content-Type are decided, and the route's body limit known, before a byte
    // of the body is read.
    admit: app.admit,
    onRequest: (path) => {
      inFlight++;
      // Probes and scrapes come every few seconds and leave next to no garbage: they do not count.
      if (!PROBES.has(path)) idle.touch();
    },
    onExchange: (exchange, route) => {
      inFlight--;
      if (!PROBES.has(exchange.path)) idle.touch();
      app.metrics.http.observe(exchange.method, route, exchange.status, exchange.duration_ms);
      write?.(logLine(exchange));
    },
    onError: (error) => app.answerFailed(error),
    writeStallMs: options.writeStallMs,
    minWriteRate: options.minWriteRate,
    // Said on stderr, where the operator looks for trouble; the request log line follows on stdout.
    onSlowClient: (cut) =>
      logToStderr(
        `Download cut: ${cut.method} ${cut.path} (request ${cut.id}) took ${cut.bytes} bytes in ${(cut.waited_ms / 1000).toFixed(1)} s of waiting for it, under the ${cut.min_bytes_per_second} bytes/s minimum`,
      ),
  });
  app.metrics.http.inFlight = () => inFlight;
  // The connections open, so that the close waits for those it cuts: a request cut mid-body is told
  // to its route (an import's run recorded) only as its socket closes, after the server's 'close'.
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8000, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Now that requests are answered: on PostgreSQL the build competes with start-up for the CPU.
  app.contacts.startPointBuild();
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    app,
    stats,
    close(graceMs = 10_000, stoppedBy = "the API's close") {
      closing ??= (async () => {
        idle.stop();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Imports are stopped, not waited for, as the ETL's Ctrl-C stops a load: one may run for
        // minutes (behind another session's lock, a million rows), and was waited for through the
        // grace, then cut off with no answer to its client and, on PostgreSQL, its connection closed under it.
        app.stopImports(stoppedBy);
        server.closeIdleConnections();
        // In-flight requests finish; keep-alive sockets close as soon as they go idle.
        const deadline = Date.now() + graceMs;
        while (inFlight > 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
          server.closeIdleConnections();
        }
        const cut = [...sockets].map((socket) => new Promise((resolve) => socket.once("close", resolve)));
        server.closeAllConnections();
        await closed;
        await Promise.all(cut);
        // The bodies of the clients just cut, being written to uploads/, removed before we go.
        await Promise.allSettled(spooling);
        await app.close();
      })();
      return closing;
    },
  };
}
