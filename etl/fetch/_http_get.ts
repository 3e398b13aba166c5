/**
 * One GET of a workbook URL, shared by the download and the poll: redirects followed by hand (the
 * auth header never leaves the configured origin, https never drops to http), validators sent,
 * the body streamed through a size cap and a SHA-256 into a file (or nowhere), and every way it
 * can go wrong turned into a FetchError.
 *
 * node:http(s) rather than fetch(): fetch() decodes a gzip, deflate or brotli body leniently
 * (a stream cut short ends without an error, so a truncated body passed for a whole one), and
 * takes a chunked body ended by a clean close under "Connection: close" as complete. Here the
 * body is decoded strictly and node's parser reports any body that did not end as framed.
 */
import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import { close, createWriteStream, open, openSync, write, writev } from "node:fs";
import { get as httpGet, type IncomingMessage } from "node:http";
import { get as httpsGet } from "node:https";
import { Transform, Writable, type Duplex } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from "node:zlib";
import { combineSignals } from "../files/mod.ts";
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

/** How every .xlsx (a ZIP archive) begins: a local file header. */
const ZIP_SIGNATURE = Buffer.from("PK\x03\x04", "latin1");
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** Codings decoded in one answer at most: fetch()'s limit, past which a chain only costs a stream each. */
const MAX_CODINGS = 5;

/**
 * GETs `url` once and streams a 200's body into `sink` (a new file) or, without one, only through
 * the hash. Throws FetchError; when `sink` cannot be created or written (a full disk, a quota, EIO)
 * the file system's own error instead: the data dir's problem, which another attempt or the
 * server cannot fix.
 */
export async function getOnce(url: string, options: GetOptions, sink?: string): Promise<GetOutcome> {
  const stop = options.signal;
  stop?.throwIfAborted();
  // The URLs asked for, redirects appended as follow() takes them. A failure after one names the
  // URL it came from too: "<front> answered 403" when the storage it sent us to refused sent the
  // person to the wrong server.
  const chain = [new URL(url)];
  const shown = () => (chain.length === 1 ? shownUrl(url) : `${shownUrl(url)} (redirected to ${shownUrl(chain.at(-1)!)})`);
  // One signal for the timeouts and the stop: a server that sends its headers and then nothing
  // held a stopped load for the idle timeout (30 s), one that trickles bytes for the total (30 min).
  const either = combineSignals([stop]);
  let timedOut: "idle" | "total" | null = null;
  const total = setTimeout(() => {
    timedOut = "total";
    either.abort();
  }, options.totalTimeoutMs);
  const idle = setTimeout(() => {
    timedOut = "idle";
    either.abort();
  }, options.idleTimeoutMs);
  let size = 0;
  let declared = NaN;
  let storageError: unknown = null;
  let answered = false;
  let codings: string[] = [];
  try {
    const response = await follow(chain, options, either.signal);
    idle.refresh();
    if (response.status === 304) {
      response.body.destroy();
      return { status: "not-modified" };
    }
    if (response.status !== 200) {
      response.body.destroy();
      const retry = response.status === 408 || response.status === 429 || response.status >= 500;
      throw new FetchError("http-status", `${shown()} answered ${response.status} ${response.statusText}`.trim(), retry, response.status);
    }
    answered = true;
    // We ask for identity (an .xlsx is zipped already), yet some servers compress anyway. The
    // length is then the encoded one: node's parser holds the transfer to it, not our count.
    codings = codingsOf(response.headers["content-encoding"]);
    if (codings.length > MAX_CODINGS) {
      response.body.destroy();
      throw badEncoding(shown(), `its Content-Encoding names ${codings.length} codings (${codings.join(", ")}); at most ${MAX_CODINGS} are decoded`);
    }
    const decoders = decodersFor(codings);
    if (decoders.length === 0) declared = Number(response.headers["content-length"] ?? NaN);
    if (declared > options.maxBytes) {
      response.body.destroy();
      throw tooLarge(shown(), options.maxBytes, declared);
    }
    const hash = createHash("sha256");
    // A web page where the workbook should be (see notWorkbook()) is told by its first bytes once
    // they came: a ZIP that a misconfigured server labels text/html is still the workbook.
    const page = webPageType(response.headers["content-type"]);
    let head = page === null ? null : Buffer.alloc(0);
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > options.maxBytes) return done(tooLarge(shown(), options.maxBytes));
        if (head !== null) {
          head = Buffer.concat([head, chunk.subarray(0, ZIP_SIGNATURE.length - head.length)]);
          if (head.length === ZIP_SIGNATURE.length || !head.equals(ZIP_SIGNATURE.subarray(0, head.length))) {
            if (!head.equals(ZIP_SIGNATURE)) return done(notWorkbook(shown(), page!));
            head = null;
          }
        }
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
      response.body.destroy();
      throw error;
    }
    await pipeline([response.body, ...decoders, meter, out], { signal: either.signal });
    // A page shorter than the signature (an empty one too) never filled `head`.
    if (head !== null) throw notWorkbook(shown(), page!);
    if (Number.isFinite(declared) && size !== declared) throw lost(shown(), size, declared);
    return {
      status: "ok",
      size,
      sha256: hash.digest("hex"),
      etag: response.headers.etag,
      lastModified: response.headers["last-modified"],
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
      throw new FetchError("timeout", `${shown()} timed out after ${limit} (${size.toLocaleString("en-US")} bytes received)`, true);
    }
    // A decoder that found no gzip (deflate, brotli) where its Content-Encoding said: the server's
    // labels are wrong, which no retry changes. Not a stream cut short (Z_BUF_ERROR), the case below.
    const { code, message } = error as { code?: unknown; message?: string };
    if (answered && typeof code === "string" && /^(Z_|ERR__ERROR_)/.test(code) && code !== "Z_BUF_ERROR") {
      throw badEncoding(shown(), `its body is not the ${codings.join(", ")} its Content-Encoding names (${message})`);
    }
    // A 200's headers came: the answer began and then broke off, in its transfer or in its
    // encoding (a gzip stream cut short is a body cut short, whichever layer noticed).
    if (answered) throw lost(shown(), size, declared);
    throw new FetchError("unreachable", `Cannot reach ${shown()}: ${code ?? message}`, true);
  } finally {
    either.dispose();
    clearTimeout(total);
    clearTimeout(idle);
  }
}

/**
 * Creates `path` for the body; `onError` gets any error the file system gave in creating, writing
 * or closing it, then it is thrown or emitted. Only those: the pipeline also destroys the stream
 * with whatever ended the transfer (a timeout's abort, a reset), and the stream's 'error' event
 * then reports that too, so listening there took a timeout for a disk that failed.
 */
function openSink(path: string, onError: (error: unknown) => void): Writable {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (error) {
    onError(error);
    throw error;
  }
  // The WriteStream's own calls, each failure noted as it happens.
  type Call = (...args: unknown[]) => void;
  const noted =
    (call: Call): Call =>
    (...args) => {
      const callback = args.pop() as (error: Error | null, ...results: unknown[]) => void;
      call(...args, (error: Error | null, ...results: unknown[]) => {
        if (error) onError(error);
        callback(error, ...results);
      });
    };
  return createWriteStream("", { fd, fs: { open, write: noted(write as Call), writev: noted(writev as Call), close: noted(close as Call) } });
}

/**
 * Sends the GET to the last URL of `chain` and follows up to five redirects itself (see the module
 * comment), appending each to `chain`. A loop is refused as soon as a URL comes round again, and
 * each way a redirect goes wrong has its own code and message: a loop, a chain over the limit and a
 * missing Location need different fixes.
 */
async function follow(chain: URL[], options: GetOptions, signal: AbortSignal): Promise<Answer> {
  const url = chain[0];
  const origin = url.origin;
  for (;;) {
    const current = chain.at(-1)!;
    const headers: Record<string, string> = { "user-agent": "relaciones-etl", accept: "*/*", "accept-encoding": "identity" };
    if (options.validators?.etag) headers["if-none-match"] = options.validators.etag;
    if (options.validators?.lastModified) headers["if-modified-since"] = options.validators.lastModified;
    if (options.authHeader && current.origin === origin) headers[options.authHeader.name.toLowerCase()] = options.authHeader.value;
    const response = await send(current, headers, signal);
    if (!REDIRECTS.has(response.status)) return response;
    response.body.destroy();
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

/** An answer's status line and headers, its body not read yet. */
interface Answer {
  status: number;
  statusText: string;
  headers: IncomingMessage["headers"];
  body: IncomingMessage;
}

/**
 * Sends one GET and resolves once the answer's headers came. No connection is pooled
 * (`agent: false`): a download or a poll every few minutes gains nothing from one kept open.
 */
function send(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const get = url.protocol === "https:" ? httpsGet : httpGet;
    get(url, { headers, signal, agent: false }, (res) => {
      // The body's errors are getOnce()'s pipeline's to report; one before it listens (the socket
      // reset right after the headers) must not be an uncaught exception meanwhile. The pipeline
      // still finds the stream destroyed and fails as a body cut short.
      res.on("error", () => {});
      resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", headers: res.headers, body: res });
    }).once("error", reject);
  });
}

/** The codings a Content-Encoding names, in the order they were applied, identity left out. */
function codingsOf(encoding: string | undefined): string[] {
  return (encoding ?? "").split(",").map((c) => c.trim().toLowerCase()).filter((c) => c !== "" && c !== "identity");
}

/**
 * The strict decoders of `codings`, the last applied first: a stream cut short is an error. An
 * encoding we do not know leaves the body as it came, as fetch() did.
 */
function decodersFor(codings: string[]): Duplex[] {
  const decoders: Duplex[] = [];
  for (const coding of codings.toReversed()) {
    if (coding === "gzip" || coding === "x-gzip") decoders.push(createGunzip());
    else if (coding === "deflate") decoders.push(inflateEither());
    else if (coding === "br") decoders.push(createBrotliDecompress());
    else return [];
  }
  return decoders;
}

/**
 * The decoder of "deflate": a zlib stream, as the standard has it, or the raw deflate some servers
 * send, told apart by the first byte as fetch() did; as strict as the others either way (a stream
 * cut short, or none at all, is an error).
 */
function inflateEither(): Transform {
  let inner: Transform | null = null;
  const start = (zlibWrapped: boolean) => {
    const stream = zlibWrapped ? createInflate() : createInflateRaw();
    stream.on("data", (chunk: Buffer) => outer.push(chunk));
    stream.once("error", (error) => outer.destroy(error));
    return stream;
  };
  const outer = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (chunk.length === 0) return done();
      // A zlib stream's first byte names method 8 (deflate) in its low four bits.
      inner ??= start((chunk[0] & 0x0f) === 8);
      // Done once it is decoded and pushed: the Transform then holds back more input until read.
      inner.write(chunk, (error) => error || done());
    },
    flush(done) {
      inner ??= start(true);
      inner.once("end", () => done());
      inner.end();
    },
    destroy(error, done) {
      inner?.destroy();
      done(error);
    },
  });
  return outer;
}

/** Returns where a redirect points; throws when its Location is missing or no URL. */
function redirectTarget(current: URL, response: Answer): URL {
  const location = response.headers.location;
  try {
    if (location !== undefined) return new URL(asSent(location), current);
  } catch {
    // Not a URL: as unusable as none.
  }
  throw new FetchError("http-status", `${shownUrl(current)} answered ${response.status} without a usable redirect`, false, response.status);
}

/**
 * A header value as its sender meant it: node reads each byte as a Latin-1 character, yet a server
 * that puts a non-ASCII path in a Location sends it as UTF-8, as browsers and curl read it. Bytes
 * that are no UTF-8 stay Latin-1.
 */
function asSent(value: string): string {
  const bytes = Buffer.from(value, "latin1");
  return isUtf8(bytes) ? bytes.toString("utf8") : value;
}

function tooLarge(shown: string, maxBytes: number, declared?: number): FetchError {
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  const what = declared === undefined ? "is larger than" : `is ${mib(declared)}, more than`;
  return new FetchError("too-large", `${shown} ${what} the ${mib(maxBytes)} allowed (WORKBOOK_MAX_MB)`, false);
}

/**
 * The Content-Type of an answer that says it is a web page (HTML, XHTML), or null. A 200 with a page
 * is a sign-in page, a site's fallback page for a mistyped path, or an error page served as 200.
 */
function webPageType(contentType: string | undefined): string | null {
  const type = contentType?.split(";")[0].trim().toLowerCase();
  return type === "text/html" || type === "application/xhtml+xml" ? contentType!.trim() : null;
}

/**
 * Not retried: such a page does not turn into the workbook seconds later. As a failed poll it starts
 * no load, so a page that differs on each request (a sign-in form's token) is no new file every poll.
 */
function notWorkbook(shown: string, contentType: string): FetchError {
  return new FetchError(
    "not-a-workbook",
    `${shown} answered 200 with a web page (Content-Type: ${contentType}), not a workbook: a sign-in or error page? Check the URL and WORKBOOK_AUTH_HEADER`,
    false,
    200,
  );
}

function badEncoding(shown: string, why: string): FetchError {
  return new FetchError("bad-encoding", `The download of ${shown} cannot be decoded: ${why}`, false);
}

function lost(shown: string, size: number, declared: number): FetchError {
  const of = Number.isFinite(declared) ? ` of ${declared.toLocaleString("en-US")}` : "";
  return new FetchError("connection-lost", `The download of ${shown} broke off after ${size.toLocaleString("en-US")}${of} bytes (the connection closed)`, true);
}
