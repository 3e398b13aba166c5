// The HTTP load generator the benchmarks share: N keep-alive connections on raw sockets, one request
// in flight per connection (like a browser or a pooled client), for a fixed time after a warm-up.
// node's http.Agent costs more CPU per request than the servers under test, so with it we would
// measure the client, not the servers.
import type { ChildProcess } from "node:child_process";
import { connect, type Socket } from "node:net";

/**
 * Resolves with the first match of `pattern` in what `child` prints (stdout and stderr), or rejects
 * when it exits first: how the benchmarks learn a server's port.
 *
 * @example
 * ```ts
 * const port = Number((await waitForLine(api, /listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]);
 * ```
 */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (d: Buffer) => {
      text += d.toString();
      const m = pattern.exec(text);
      if (m) {
        child.stdout?.off("data", onData);
        child.stderr?.off("data", onData);
        resolve(m);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`child exited with ${code} before '${pattern}': ${text.slice(-500)}`)));
  });
}

/** What one case measured. */
export interface LoadResult {
  name: string;
  /** 2xx answers in the measured time: the only ones in `rps` and the percentiles. */
  requests: number;
  /** Answers that were not 2xx, socket errors, connections the server closed, and answers that never came (within DRAIN_MS of the end). */
  errors: number;
  /** 2xx answers a second. */
  rps: number;
  p50: number;
  p99: number;
}

/** Latencies beyond this many are counted, not kept (bounded memory). */
const MAX_SAMPLES = 4_000_000;

/** How long after the time is up an answer still on its way is waited for. */
const DRAIN_MS = 5_000;

/**
 * Returns a request's bytes: method, path, and a JSON body when given.
 *
 * @example
 * ```ts
 * httpRequest("GET", "/contacts/1");
 * ```
 */
export function httpRequest(method: string, path: string, body?: string, headers: Record<string, string> = {}): Buffer {
  let head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  if (body === undefined) return Buffer.from(head + "\r\n", "latin1");
  const bytes = Buffer.from(body, "utf8");
  return Buffer.concat([Buffer.from(`${head}Content-Type: application/json\r\nContent-Length: ${bytes.length}\r\n\r\n`, "latin1"), bytes]);
}

/**
 * Drives `port` with `connections` concurrent keep-alive connections for `seconds` (after 1 s of
 * warm-up that is not measured), each sending `next()`'s request as soon as the previous answer is in.
 *
 * @example
 * ```ts
 * const r = await load({ name: "point", port, connections: 32, seconds: 3, next: () => httpRequest("GET", "/contacts/1") });
 * ```
 */
export async function load(options: { name: string; port: number; connections: number; seconds: number; next: () => Buffer; warmupMs?: number }): Promise<LoadResult> {
  const latencies = new Float64Array(MAX_SAMPLES);
  let count = 0;
  let errors = 0;
  let measuring = false;
  let stop = false;
  const sockets: Socket[] = [];
  const connection = () =>
    new Promise<void>((resolve) => {
      const socket = connect(options.port, "127.0.0.1");
      sockets.push(socket);
      socket.setNoDelay(true);
      let buffer: Buffer = Buffer.alloc(0);
      let started = 0;
      let ended = false; // closed by us, once the time is up
      let lost = false;
      // A connection the server closes (or resets) leaves the case with fewer connections than it
      // says, for the rest of its time: a failure to count, once, however the socket reports it.
      const fail = () => {
        if (!ended && !lost) errors++;
        lost = true;
      };
      const send = () => {
        if (stop) {
          ended = true;
          socket.end();
          return;
        }
        started = performance.now();
        socket.write(options.next());
      };
      socket.on("connect", send);
      socket.on("data", (chunk: Buffer) => {
        buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
        for (;;) {
          const end = buffer.indexOf("\r\n\r\n");
          if (end === -1) return;
          const head = buffer.subarray(0, end).toString("latin1");
          const m = /\r\ncontent-length: *(\d+)/i.exec(head);
          const bodyless = / (204|304) /.test(head.slice(0, 16));
          if (m === null && !bodyless) {
            fail(); // every measured answer has a length; anything else is a failure here
            socket.destroy();
            return;
          }
          const total = end + 4 + (m === null ? 0 : Number(m[1]));
          if (buffer.length < total) return;
          // A failed answer is often the fastest: counted as served, it would lift req/s and pull
          // the percentiles down, so a broken case would look like a good one.
          if (measuring && head.charCodeAt(9) !== 50 /* 2xx */) errors++;
          else if (measuring) {
            if (count < MAX_SAMPLES) latencies[count] = performance.now() - started;
            count++;
          }
          buffer = buffer.subarray(total);
          send();
        }
      });
      socket.on("error", fail);
      socket.on("close", () => {
        fail();
        resolve();
      });
    });
  const all = Array.from({ length: options.connections }, connection);
  await new Promise((r) => setTimeout(r, options.warmupMs ?? 1000));
  measuring = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, options.seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  stop = true;
  // Without a bound, a server that stopped answering would keep the bench waiting for good; the
  // answers still missing then are not coming, and count as errors (their connections are lost).
  let timer: NodeJS.Timeout | undefined;
  const drained = new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_MS)));
  await Promise.race([Promise.all(all), drained]);
  clearTimeout(timer);
  for (const socket of sockets) socket.destroy();
  await Promise.all(all);
  const kept = latencies.subarray(0, Math.min(count, MAX_SAMPLES)).sort();
  return { name: options.name, requests: count, errors, rps: count / elapsed, p50: percentile(kept, 0.5), p99: percentile(kept, 0.99) };
}

/**
 * The `q` quantile (0 < q <= 1) of `sorted` (ascending), by nearest rank: the smallest value with
 * at least q of the samples at or below it (p99 of 100 samples is the 99th, not the slowest one);
 * NaN when it is empty.
 *
 * @example
 * ```ts
 * percentile(Float64Array.from({ length: 100 }, (_, i) => i + 1), 0.99); // 99
 * ```
 */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  // The epsilon keeps a product like 0.07 * 100 = 7.000000000000001 on rank 7.
  const rank = Math.ceil(q * sorted.length - 1e-9);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? NaN;
}
