/**
 * One GET of a workbook URL, shared by the download and the poll: redirects followed by hand (the
 * auth header never leaves the configured origin, https never drops to http), validators sent,
 * the body streamed through a size cap and a SHA-256 into a file (or nowhere), and every way it
 * can go wrong turned into a FetchError.
 */
import { createHash } from "node:crypto";
import { createWriteStream, openSync } from "node:fs";
import { Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream } from "node:stream/web";
import { isLocalNetworkHost } from "../settings/mod.js";
import { FetchError, shownUrl } from "./fetch_error.ts";

/** How one GET is made and bounded. */
export interface GetOptions {
  authHeader?: { name: string; value: string };
  /** Sent as If-None-Match / If-Modified-Since. */
  validators?: { etag?: string; lastModified?: string };
  /** Longest wait for the answer's headers and between two body chunks. */
  idleTimeoutMs: number;
  /** Longest the whole GET may take. */
  totalTimeoutMs: number;
  maxBytes: number;
  /**
   * Ends the GET when aborted (`npm run etl` on SIGINT or SIGTERM, a watcher stopped): it then
   * throws the signal's reason, not a FetchError, so nobody retries it.
   */
  signal?: AbortSignal;
}

/**
 * The GetOptions of a download as its caller was configured (limits it left out get the defaults:
 * 30 s without a byte, 30 min in all, 1 GiB), with the validators of the copy already fetched.
 */
export function getOptions(
  options: { authHeader?: GetOptions["authHeader"]; idleTimeoutMs?: number; totalTimeoutMs?: number; maxBytes?: number },
  validators: GetOptions["validators"],
): GetOptions {
  return {
    authHeader: options.authHeader,
    validators,
    idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
    totalTimeoutMs: options.totalTimeoutMs ?? 30 * 60_000,
    maxBytes: options.maxBytes ?? 1024 ** 3,
  };
}

/** What one GET brought: nothing new (304), or a body of `size` bytes with its SHA-256. */
export type GetOutcome =
  | { status: "not-modified" }
  | { status: "ok"; size: number; sha256: string; etag?: string; lastModified?: string };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * GETs `url` once and streams a 200's body into `sink` (a new file) or, without one, only through
 * the hash. Throws FetchError; when `sink` cannot be created or written (a full disk, a quota, EIO)
 * the file system's own error instead: the data dir's problem, which another attempt or the
 * server cannot fix.
 */
export async function getOnce(url: string, options: GetOptions, sink?: string): Promise<GetOutcome> {
  const stop = options.signal;
  stop?.throwIfAborted();
  const controller = new AbortController();
  // One controller for the timeouts and the stop: a server that sends its headers and then nothing
  // held a stopped load for the idle timeout (30 s), one that trickles bytes for the total (30 min).
  const onStop = () => controller.abort();
  stop?.addEventListener("abort", onStop, { once: true });
  let timedOut: "idle" | "total" | null = null;
  const total = setTimeout(() => {
    timedOut = "total";
    controller.abort();
  }, options.totalTimeoutMs);
  const idle = setTimeout(() => {
    timedOut = "idle";
    controller.abort();
  }, options.idleTimeoutMs);
  let size = 0;
  let declared = NaN;
  let storageError: unknown = null;
  try {
    const response = await follow(url, options, controller.signal);
    idle.refresh();
    if (response.status === 304) {
      await response.body?.cancel();
      return { status: "not-modified" };
    }
    if (response.status !== 200 || response.body === null) {
      await response.body?.cancel();
      const retry = response.status === 408 || response.status === 429 || response.status >= 500;
      throw new FetchError("http-status", `${shownUrl(url)} answered ${response.status} ${response.statusText}`.trim(), retry, response.status);
    }
    // Compared with what arrives only for an unencoded body (we ask for identity: an .xlsx is zipped already).
    if (response.headers.get("content-encoding") === null) declared = Number(response.headers.get("content-length") ?? NaN);
    if (declared > options.maxBytes) {
      await response.body.cancel();
      throw tooLarge(url, options.maxBytes, declared);
    }
    const hash = createHash("sha256");
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > options.maxBytes) return done(tooLarge(url, options.maxBytes));
        hash.update(chunk);
        idle.refresh();
        done(null, chunk);
      },
    });
    // The file is created here, synchronously: a stream that opened it lazily could create it
    // after a failed download's cleanup had already run, leaving a partial file behind.
    let out: Writable;
    try {
      out = sink === undefined ? new Writable({ write: (_chunk, _encoding, done) => done() }) : openSink(sink, (error) => (storageError ??= error));
    } catch (error) {
      await response.body.cancel().catch(() => {});
      throw error;
    }
    await pipeline(Readable.fromWeb(response.body as ReadableStream<Uint8Array>), meter, out, { signal: controller.signal });
    if (Number.isFinite(declared) && size !== declared) throw lost(url, size, declared);
    return {
      status: "ok",
      size,
      sha256: hash.digest("hex"),
      etag: response.headers.get("etag") ?? undefined,
      lastModified: response.headers.get("last-modified") ?? undefined,
    };
  } catch (error) {
    // Asked to stop: whatever the GET was doing when it was cut off is no failure of the server's.
    if (stop?.aborted) throw stop.reason;
    if (error instanceof FetchError) throw error;
    // Before the network's explanations: a write that failed ends the pipeline like a connection
    // that broke off, and was reported as one ("the connection closed"), and retried.
    if (storageError !== null) throw storageError;
    if (timedOut !== null) {
      const limit = timedOut === "idle" ? `${options.idleTimeoutMs} ms without a byte` : `the ${options.totalTimeoutMs} ms allowed`;
      throw new FetchError("timeout", `${shownUrl(url)} timed out after ${limit} (${size.toLocaleString("en-US")} bytes received)`, true);
    }
    // Headers came (or bytes did): the answer began and then broke off.
    if (size > 0 || Number.isFinite(declared)) throw lost(url, size, declared);
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new FetchError("unreachable", `Cannot reach ${shownUrl(url)}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, true);
  } finally {
    stop?.removeEventListener("abort", onStop);
    clearTimeout(total);
    clearTimeout(idle);
  }
}

/** Creates `path` for the body; `onError` gets any error of creating or writing it, then it is thrown or emitted. */
function openSink(path: string, onError: (error: unknown) => void): Writable {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (error) {
    onError(error);
    throw error;
  }
  const out = createWriteStream("", { fd });
  out.once("error", onError);
  return out;
}

/**
 * Sends the GET and follows up to five redirects itself (see the module comment). A loop is refused
 * as soon as a URL comes round again, and each way a redirect goes wrong has its own code and
 * message: a loop, a chain over the limit and a missing Location need different fixes.
 */
async function follow(url: string, options: GetOptions, signal: AbortSignal): Promise<Response> {
  const origin = new URL(url).origin;
  const chain = [new URL(url)];
  for (;;) {
    const current = chain.at(-1)!;
    const headers: Record<string, string> = { "user-agent": "relaciones-etl", "accept-encoding": "identity" };
    if (options.validators?.etag) headers["if-none-match"] = options.validators.etag;
    if (options.validators?.lastModified) headers["if-modified-since"] = options.validators.lastModified;
    if (options.authHeader && current.origin === origin) headers[options.authHeader.name.toLowerCase()] = options.authHeader.value;
    const response = await fetch(current, { headers, signal, redirect: "manual" });
    if (!REDIRECTS.has(response.status)) return response;
    await response.body?.cancel();
    const next = redirectTarget(current, response);
    const path = () => [...chain, next].map((u) => shownUrl(u)).join(" -> ");
    if (chain.some((seen) => seen.href === next.href)) {
      throw new FetchError("redirect-loop", `${shownUrl(url)} redirects in a loop: ${path()}`, false, response.status);
    }
    if (chain.length > MAX_REDIRECTS) {
      throw new FetchError("too-many-redirects", `${shownUrl(url)} redirected more than ${MAX_REDIRECTS} times: ${path()}`, false, response.status);
    }
    const downgrade = next.protocol === "http:" && (current.protocol === "https:" || !isLocalNetworkHost(next.hostname));
    if ((next.protocol !== "https:" && next.protocol !== "http:") || downgrade) {
      throw new FetchError("redirect-refused", `${shownUrl(current)} redirects to ${shownUrl(next)}; refusing to leave https or the local network`, false);
    }
    chain.push(next);
  }
}

/** Returns where a redirect points; throws when its Location is missing or no URL. */
function redirectTarget(current: URL, response: Response): URL {
  const location = response.headers.get("location");
  try {
    if (location !== null) return new URL(location, current);
  } catch {
    // Not a URL: as unusable as none.
  }
  throw new FetchError("http-status", `${shownUrl(current)} answered ${response.status} without a usable redirect`, false, response.status);
}

function tooLarge(url: string, maxBytes: number, declared?: number): FetchError {
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  const what = declared === undefined ? "is larger than" : `is ${mib(declared)}, more than`;
  return new FetchError("too-large", `${shownUrl(url)} ${what} the ${mib(maxBytes)} allowed (WORKBOOK_MAX_MB)`, false);
}

function lost(url: string, size: number, declared: number): FetchError {
  const of = Number.isFinite(declared) ? ` of ${declared.toLocaleString("en-US")}` : "";
  return new FetchError("connection-lost", `The download of ${shownUrl(url)} broke off after ${size.toLocaleString("en-US")}${of} bytes (the connection closed)`, true);
}
