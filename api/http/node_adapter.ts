/**
 * The only module that touches `node:http`. It converts: IncomingMessage -> Request (reading the
 * body up to a limit), Response -> ServerResponse (streaming bodies with backpressure), and
 * reports one record per finished exchange for the request log. It makes no decisions about routes:
 * it asks `admit` (the app's) on the headers before reading a body, and ends refused or over-limit
 * uploads with a lingering close.
 */
import { createServer, maxHeaderSize, METHODS, type IncomingMessage, type Server, type ServerResponse, type IncomingHttpHeaders } from "node:http";
import { createHash } from "node:crypto";
import { createWriteStream, rmSync } from "node:fs";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createInflate, type Gunzip, type Inflate } from "node:zlib";
import { firstLine } from "../../etl/text/mod.js";
import { HttpError, problemOf, statusTitle } from "./http_error.ts";
import type { BodyCoding, SpooledBody } from "./request_body.ts";
import { delegateToReal, LightResponse, problemHeaders, send } from "./respond.ts";

/** Per-exchange details for the request log. */
export interface Exchange {
  id: string;
  method: string;
  path: string;
  /**
   * The status sent: the adapter's own 400/408/414/431/501 written on the socket included, and
   * NOT_ANSWERED when the client left before any answer (mid-body, or while its handler worked).
   */
  status: number;
  duration_ms: number;
}

/** The request line and headers: all admission sees, since no body byte has been read yet. */
export interface RequestHead {
  method: string;
  /** The path as sent, without the query string. */
  path: string;
  headers: { get(name: string): string | null };
}

/** Admission's yes: read a body of at most `maxBodyBytes` (413 beyond), decoded from `coding` if it names one. */
export interface Admitted {
  /** The largest body handed over: decoded, when it comes in a `coding`. */
  maxBodyBytes: number;
  /**
   * The content coding the body arrives in (its `Content-Encoding`): decoded as it arrives, the
   * decoded bytes counted against `maxBodyBytes` (a small gzip that expands past it is a 413 once
   * it does), a body that is not that coding a 400 `bad-content-encoding`.
   */
  coding?: BodyCoding;
  /**
   * A new file to write the body to as it arrives (decoded), instead of holding it: pipelined with
   * backpressure, so memory stays bounded whatever its size, and not counted against
   * `maxBufferedBytes`. `maxBodyBytes` is then a disk-sized limit (413 at the first byte over). The
   * handler gets it as `info.spooled`; the file is removed when the body is refused, when the
   * client goes mid-body, and once the handler settles.
   */
  spoolTo?: string;
  /** The route template chosen (`/contacts/:id`), handed back with the exchange for metrics. */
  route?: string;
  /**
   * Admission's own answer on the route it found (OPTIONS' 204): sent as it is, no body read, yet
   * counted under `route`, which a refusal (a bare Response) is not.
   */
  answer?: Response;
  /**
   * The route reads no body (a GET or DELETE): one sent anyway is never read nor held, whatever its
   * size, but dropped as it arrives (a lingering close) while the route answers without it; the
   * lingering bounds apply while that body arrives, not to the answer, which may take minutes.
   */
  ignoresBody?: boolean;
  /**
   * Called, with the bytes that came, when the body stops arriving before its end (its client gone,
   * or the server's close cut the connection): the handler is then never run, and this is the
   * route's one word on the request (POST /imports/contacts records the run of a body the close cut).
   */
  onBodyCut?: (received: number) => void;
}

/** What the adapter passes to the handler next to the Request. */
export interface AdapterInfo<A extends Admitted = Admitted> {
  requestId: string;
  /** What admission returned for this request (the handler need not decide it again). */
  admitted?: A;
  /** The body, written to admission's `spoolTo` (the Request then has none). */
  spooled?: SpooledBody;
}

/** How long and how much a connection whose body we refused keeps being read and dropped. */
export interface LingerLimits {
  /** Total time the refused body may keep arriving (default 30 s, nginx's `lingering_time`). */
  maxMs: number;
  /** Time without a byte of that body from the client (default 5 s, nginx's `lingering_timeout`). */
  idleMs: number;
  /** Bytes read and dropped at most (default 128 MiB: twice the largest body accepted anywhere). */
  maxBytes: number;
}

/** Request body bytes the adapter handled, counted since the server started. */
export interface BodyStats {
  /** Bytes kept in memory to hand to a handler. */
  buffered: number;
  /** Bytes of refused bodies read and dropped at once (lingering close). */
  discarded: number;
  /** Bytes of bodies written to a file as they arrived (admission's `spoolTo`), never held. */
  spooled?: number;
}

/** Admission, limits and hooks of the adapter. */
export interface AdapterOptions<A extends Admitted = Admitted> {
  /**
   * Decides on the request line and headers, before a byte of the body is read: a Response to send
   * as it is (a refusal, or an answer that needs no body such as OPTIONS), after which the body is
   * dropped unread; or the body limit. Default: every request admitted with 1 MiB.
   */
  admit?: (head: RequestHead) => Response | A;
  /**
   * Called once per request as it arrives, with its path (no query string): every request told
   * here is told to `onExchange` once it is over.
   */
  onRequest?: (path: string) => void;
  /**
   * Called once per request after the response finished (or the client went away), with the
   * route admission chose (undefined when it refused the request).
   */
  onExchange?: (exchange: Exchange, route: string | undefined) => void;
  /** Called with unexpected errors (handler threw, stream failed). */
  onError?: (error: unknown) => void;
  /** Counts body bytes; the adapter adds to it (tests read it). */
  stats?: BodyStats;
  /** Overrides of the lingering close's bounds. */
  linger?: Partial<LingerLimits>;
  /** How long a streamed body waits for a client that reads nothing before it gives up on it (default WRITE_STALL_MS). */
  writeStallMs?: number;
  /** The slowest a client may take a streamed body (default MIN_WRITE_RATE); see `MinWriteRate`. */
  minWriteRate?: Partial<MinWriteRate>;
  /** Told of each streamed answer cut for a client under `minWriteRate` (default: a line on stderr). */
  onSlowClient?: (cut: SlowClientCut) => void;
  /**
   * Request body bytes held in memory at once, over all requests (default MAX_BUFFERED_BYTES): a
   * body that would go past it is a 503 `too-many-uploads` with Retry-After, refused before it is
   * read when Content-Length says so, else at the first chunk over.
   */
  maxBufferedBytes?: number;
  /**
   * The bodies being written to files (admission's `spoolTo`), each until written or its file
   * removed: a server closing awaits them once its connections are cut, so it never exits with
   * part of a body left behind.
   */
  spooling?: Set<Promise<unknown>>;
  /**
   * How long a body written to a file (`spoolTo`) may go without a byte from the client before it
   * is cut with a 408 (default BODY_IDLE_MS), or without the disk taking one of the bytes that came
   * (a 503 `disk-stalled`: the client, held back by TCP meanwhile, is not idle). Such a body is not
   * bound by the whole-request timeout (60 s): a 1.3 GB CSV would need 22 MB/s.
   */
  bodyIdleMs?: number;
}

/**
 * The slowest a client may read a streamed answer (a CSV download), measured over the time the
 * server waits for it (a full socket buffer), not wall time: a slow database query is not the
 * client's fault. Once it has been waited for `graceMs`, a client whose average over that waiting
 * is under `bytesPerSecond` is disconnected, since each download holds one of a few slots, a
 * database connection and a read transaction (DuckDB keeps every version that transaction can see).
 */
export interface MinWriteRate {
  bytesPerSecond: number;
  graceMs: number;
}

/** A streamed answer cut for a slow client: what it took, in how long. */
export interface SlowClientCut {
  id: string;
  method: string;
  path: string;
  /** Bytes of the body the client had taken (written and no longer queued in the process). */
  bytes: number;
  /** Milliseconds spent waiting for the client to take more. */
  waited_ms: number;
  /** The floor it fell under. */
  min_bytes_per_second: number;
}

const MiB = 1024 * 1024;
/** How long a streamed body waits for a client that reads nothing before it gives up on it. */
const WRITE_STALL_MS = 60_000;
/**
 * 32 KiB/s (256 kbit/s, a poor mobile link) after a minute of waiting: the largest download, all
 * contacts (141 MB for 728k), then holds its slot 75 minutes at most, where a client taking a few
 * bytes a second could hold it for weeks.
 */
const MIN_WRITE_RATE: MinWriteRate = { bytesPerSecond: 32 * 1024, graceMs: 60_000 };
/**
 * Request bodies held at once. Each route's limit bounds one body, not how many arrive together:
 * twenty clients each sending a 64 MiB CSV import at the same moment cost 2 GB (measured: three
 * 60 MB uploads took the server from 160 to 478 MB). CSV imports now go to disk as they arrive
 * (`spoolTo`), outside this count.
 */
const MAX_BUFFERED_BYTES = 128 * MiB;
/** The silence a body written to a file may keep before it is cut: its bound instead of the whole request's 60 s. */
const BODY_IDLE_MS = 30_000;
/** Sockets whose request body is being written to a file: node's whole-request timeout spares them. */
const spoolingSockets = new WeakSet<Socket>();
/**
 * X-Content-Type-Options of every answer, written here where each one passes (OWASP's secure
 * headers): a browser never sniffs a JSON or CSV answer holding user text (`<script>` in a name) as HTML.
 */
const NOSNIFF = "nosniff";
/**
 * The status an exchange is reported with when the client left before an answer went out: nginx's
 * 499 "client closed request", which log readers and dashboards know; node's statusCode is 200
 * until a head is written, which counted such requests as answered.
 */
export const NOT_ANSWERED = 499;
/** The status the clientError handler wrote straight on a socket (a 408 for a body too slow), for its exchange. */
const rawAnswers = new WeakMap<Socket, number>();
const BOOT = Date.now().toString(36).slice(-4);
let counter = 0;

/**
 * Returns a node:http server that answers with `handler`, with header/request/keep-alive timeouts set.
 *
 * @example
 * ```ts
 * const server = createNodeServer(async (req) => new Response("hi"), {});
 * server.listen(0, "127.0.0.1");
 * ```
 */
export function createNodeServer<A extends Admitted = Admitted>(
  handler: (request: Request, info: AdapterInfo<A>) => Promise<Response>,
  options: AdapterOptions<A> = {},
): Server {
  const listener = nodeListener(handler, options);
  // Node looks at the timeouts below every 30 s by default, so a header timeout of 10 s cut a
  // client dribbling its headers only after up to 40 s; once a second keeps them close to true.
  // requireHostHeader off: node's own refusal of an HTTP/1.1 request without Host is a bare 400
  // with no body; the listener refuses it instead, as a problem document.
  const server = createServer({ connectionsCheckingInterval: 1000, requireHostHeader: false }, listener);
  // With `Expect: 100-continue` node would say "100 Continue" before we saw the request; the
  // listener says it only once admission let the request in, so a refused client sends no body.
  server.on("checkContinue", listener);
  // Requests node's parser rejects (bad request line, bad header bytes, oversized headers) never
  // reach the handler; answer them as problem documents too instead of node's bare 400.
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    // No second answer on a socket that already carries one (node's own rule, `_httpMessage` is its
    // response in flight), nor on one closing after a refused body: the client would misparse it.
    // A body written to disk as it arrives may take longer than the whole-request timeout (a 1.3 GB
    // CSV); it has its own bound, a silence (spoolBody). Node tells each request's timeout once.
    if (error.code === "ERR_HTTP_REQUEST_TIMEOUT" && spoolingSockets.has(socket as Socket)) return;
    const inFlight = inFlightOn(socket);
    // Bytes that are no request after one whose body came whole (a pipelined one, or the rest of a
    // body its Content-Length undercounted): that request is answered first, and only then are
    // they refused, as a 400 (431 for headers over the limit); answered at once, the refusal took
    // the place of its answer. Which method they name, or whether their request line was what
    // overflowed, cannot be told: the packet starts with the good request.
    if (error.code !== "ECONNRESET" && error.code !== "ERR_HTTP_REQUEST_TIMEOUT" && inFlight?.req?.complete === true && inFlight.headersSent !== true && !lingering.has(socket as Socket)) {
      // node tells each later packet of them as an error of its own: refused once, as the first
      // said (one more wait per packet piled listeners on the response, MaxListenersExceededWarning).
      if (refusalDeferred.has(socket)) return;
      refusalDeferred.add(socket);
      const refuseOnceAnswered = (response: ServerResponse) =>
        response.once("finish", () => {
          // node hands the socket to a request pipelined before these bytes once this one is done.
          const next = inFlightOn(socket);
          if (next != null && next !== response) refuseOnceAnswered(next);
          else if (!socket.writable) socket.destroy();
          // Reported with no method nor path: the packet's first line is the good request's.
          else refuseOnSocket(options, socket as Socket, undefined, undefined, error.code === "HPE_HEADER_OVERFLOW" ? 431 : 400);
        });
      refuseOnceAnswered(inFlight);
      inFlight.once("close", () => {
        if (!inFlight.writableFinished) socket.destroy();
      });
      return;
    }
    if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent === true || lingering.has(socket as Socket)) {
      socket.destroy();
      return;
    }
    // A method node's parser does not know is one we do not implement either (RFC 9110 9.1: 501),
    // not a malformed request.
    const packet = (error as { rawPacket?: Buffer }).rawPacket;
    const status =
      error.code === "HPE_HEADER_OVERFLOW"
        ? requestLineOverflows(packet)
          ? 414
          : 431
        : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? 408
          : error.code === "HPE_INVALID_METHOD" && isRequestLine(packet)
            ? 501
            : 400;
    refuseOnSocket(options, socket as Socket, inFlight, packet, status);
  });
  // Slow clients cannot hold sockets forever (slowloris): headers within 10 s, the whole request
  // within 60 s (a large CSV import upload), idle keep-alive sockets closed after 5 s.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

/**
 * Tells onRequest and onExchange of a request node's parser refused. Its method is named only when
 * node knows it, so a client sending made-up methods cannot grow the metrics' label values; its
 * path is the target's, without the query, cut to 200 characters (a 414's runs past 16 KiB); its duration 0,
 * as node does not say when the refused bytes came.
 */
function reportRefusal(options: Pick<AdapterOptions, "onRequest" | "onExchange">, packet: Buffer | undefined, status: number): void {
  const line = /^(\S+) (\S*)/.exec(packet?.subarray(0, 1024).toString("latin1") ?? "");
  const method = line !== null && METHODS.includes(line[1]) ? line[1] : "(other)";
  const path = line === null ? "" : line[2].split("?")[0].slice(0, 200);
  options.onRequest?.(path);
  options.onExchange?.({ id: `${BOOT}-${(++counter).toString(36)}`, method, path, status, duration_ms: 0 }, undefined);
}

/** Sockets whose bytes after a complete request are to be refused once it is answered (clientError). */
const refusalDeferred = new WeakSet<Duplex | Socket>();

/** The response node is writing on `socket` (its own field, `_httpMessage`), if any. */
function inFlightOn(socket: Duplex | Socket): ServerResponse | null | undefined {
  return (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
}

/**
 * Writes the clientError handler's refusal on `socket`, with `Connection: close`, and ends it. With
 * no request of the socket's in flight the refusal has no exchange of its own (a 408 of a request
 * timed out mid-body does, which reports this status): counted and logged here.
 */
function refuseOnSocket(options: Pick<AdapterOptions, "onRequest" | "onExchange">, socket: Socket, inFlight: ServerResponse | null | undefined, packet: Buffer | undefined, status: number): void {
  rawAnswers.set(socket, status);
  if (inFlight == null) reportRefusal(options, packet, status);
  const title = statusTitle(status);
  const body = problemText(status, REFUSAL_DETAIL[status] ?? title);
  // A HEAD response must not carry a body, even an error's (the client would misparse it).
  const head = packet !== undefined && packet.subarray(0, 5).toString("latin1") === "HEAD ";
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: ${NOSNIFF}\r\nConnection: close\r\n\r\n${head ? "" : body}`,
  );
}

/** What the clientError handler's answers say, by status, beyond their title. */
const REFUSAL_DETAIL: Readonly<Record<number, string>> = {
  400: "The request is not valid HTTP/1.1",
  414: `The request target is longer than the server reads (${maxHeaderSize} bytes with the headers)`,
  501: "The request's method is not one this server implements",
};

/**
 * Whether node's header limit was passed in the request line (a 414, RFC 9110 15.5.15) rather than
 * in the header fields (431). `packet` is the chunk the parser failed in: one that starts a request
 * (a method, a space) and ends its first line past the limit, or not at all, overflowed there. A
 * request line dribbled over several chunks fails in a later one and is still called a 431.
 */
function requestLineOverflows(packet: Buffer | undefined): boolean {
  if (packet === undefined || !/^[A-Z-]+ /.test(packet.subarray(0, 24).toString("latin1"))) return false;
  const lineEnd = packet.indexOf(10 /* \n */);
  return lineEnd === -1 || lineEnd > maxHeaderSize;
}

/**
 * Whether `packet` starts with a well-formed request line (a method token, a target, the version):
 * node's parser calls a method it does not know and bytes that are no request at all ("GARBAGE")
 * the same invalid method, and only the first is a 501.
 */
function isRequestLine(packet: Buffer | undefined): boolean {
  return packet !== undefined && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP\/\d\.\d\r?\n/.test(packet.subarray(0, 8192).toString("latin1"));
}

/** Returns a `(req, res)` listener for node:http that runs `handler` (see createNodeServer). */
export function nodeListener<A extends Admitted = Admitted>(
  handler: (request: Request, info: AdapterInfo<A>) => Promise<Response>,
  options: AdapterOptions<A> = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const admit = options.admit ?? (() => ({ maxBodyBytes: MiB }) as A);
  const onExchange = options.onExchange;
  const onRequest = options.onRequest;
  const onError = options.onError ?? ((error) => console.error(error));
  const pace: Pace = {
    stallMs: options.writeStallMs ?? WRITE_STALL_MS,
    minRate: { ...MIN_WRITE_RATE, ...options.minWriteRate },
    onSlowClient: options.onSlowClient ?? ((cut) => console.error("Streamed answer cut: the client reads too slowly", JSON.stringify(cut))),
  };
  const stats = options.stats ?? { buffered: 0, discarded: 0 };
  const linger: LingerLimits = { maxMs: 30_000, idleMs: 5_000, maxBytes: 128 * MiB, ...options.linger };
  const maxBuffered = options.maxBufferedBytes ?? MAX_BUFFERED_BYTES;
  /** Body bytes of every request now held (counted from Content-Length, or as chunks arrive), until its handler settles. */
  let held = 0;

  return (req, res) => {
    // A request pipelined behind a body we refused: the connection is closing, answer nothing.
    if (lingering.has(req.socket)) {
      req.socket.destroy();
      return;
    }
    const started = performance.now();
    const incomingId = req.headers["x-request-id"];
    const id = typeof incomingId === "string" && /^[\w.:-]{1,64}$/.test(incomingId) ? incomingId : `${BOOT}-${(++counter).toString(36)}`;
    const method = req.method ?? "GET";
    // RFC 9112 3.2.2: an origin server takes absolute-form (`GET http://host/path`) too, and its
    // authority stands for Host; what follows it is the path and query, as in origin-form.
    const absolute = ABSOLUTE_FORM.exec(req.url ?? "/");
    const rawUrl = absolute === null ? (req.url ?? "/") : absolute[2].charCodeAt(0) === 47 /* / */ ? absolute[2] : `/${absolute[2]}`;
    const q = rawUrl.indexOf("?");
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    let route: string | undefined;
    onRequest?.(path);
    if (onExchange !== undefined) {
      res.once("close", () => {
        const status = res.headersSent ? res.statusCode : (rawAnswers.get(req.socket) ?? NOT_ANSWERED);
        onExchange({ id, method, path, status, duration_ms: Math.round((performance.now() - started) * 100) / 100 }, route);
      });
    }
    const length = req.headers["content-length"];
    const hasBody = req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
    // node keeps the first of several Host lines; RFC 9112 3.2 says such a request is a 400.
    let hosts = 0;
    for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].length === 4 && req.rawHeaders[i].toLowerCase() === "host") hosts++;
    if (hosts > 1) {
      if (hasBody) lingeringClose(req, res, linger, stats);
      writeFixed(res, id, 400, problemHeaders(), problemText(400, "The request has more than one Host header", path));
      return;
    }
    // RFC 9112 3.2: HTTP/1.1 requires Host; HTTP/1.0 clients may omit it.
    if (hosts === 0 && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) {
      if (hasBody) lingeringClose(req, res, linger, stats);
      writeFixed(res, id, 400, problemHeaders(), problemText(400, "An HTTP/1.1 request needs a Host header (RFC 9112 section 3.2)", path));
      return;
    }
    if (absolute !== null) {
      // No user@ (RFC 9110 4.2.4: an error), no empty host: a name or address, and a port.
      if (!HOST_SHAPE.test(absolute[1])) {
        if (hasBody) lingeringClose(req, res, linger, stats);
        writeFixed(res, id, 400, problemHeaders(), problemText(400, "The request target's authority must be a host name or address and a port", path));
        return;
      }
      // Admission's Host check and the handler's URL see the target's authority, whatever Host said.
      req.headers.host = absolute[1];
    }
    // `*` is asked of the server as a whole, and only by OPTIONS (RFC 9110 9.3.7): admission answers it.
    const asterisk = rawUrl === "*" && method === "OPTIONS";
    if (rawUrl.charCodeAt(0) !== 47 /* / */ && !asterisk) {
      // Authority-form is CONNECT's, for proxies; `*` with another method means nothing.
      if (hasBody) lingeringClose(req, res, linger, stats);
      writeFixed(res, id, 400, problemHeaders(), problemText(400, "The request target must be a path, an http(s) URL, or * for OPTIONS"));
      return;
    }

    // Everything that can refuse a request (host, route, method, origin, token, Content-Type)
    // decides here, on the headers alone: a refused upload costs no memory, whatever its size.
    const headers = new RequestHeaders(req.headers);
    let admitted: Response | A;
    try {
      admitted = admit({ method, path, headers });
    } catch (error) {
      onError(error);
      admitted = send(problemText(500, "The server could not answer this request", path), 500, problemHeaders());
    }
    if (admitted instanceof Response) {
      if (hasBody) lingeringClose(req, res, linger, stats);
      writeResponse(res, id, admitted, onError);
      return;
    }
    if (asterisk) {
      // Admission let `OPTIONS *` through: nothing here can answer it.
      if (hasBody) lingeringClose(req, res, linger, stats);
      writeFixed(res, id, 400, problemHeaders(), problemText(400, "This server does not answer OPTIONS *"));
      return;
    }
    route = admitted.route;
    if (admitted.answer !== undefined) {
      if (hasBody) lingeringClose(req, res, linger, stats);
      writeResponse(res, id, admitted.answer, onError);
      return;
    }

    const host = safeHost(req.headers.host);
    const url = `http://${host}${rawUrl}`;
    const info: AdapterInfo<A> = { requestId: id, admitted };
    if (!hasBody || admitted.ignoresBody === true) {
      if (hasBody) lingeringClose(req, res, linger, stats);
      answer(handler, new NodeRequest(method, url, headers, null, res), info, res, id, onError, pace);
      return;
    }
    const limit = admitted.maxBodyBytes;
    const coding = admitted.coding;
    // A body not used: answered now, the rest of it dropped (a lingering close).
    const refuse = (status: number, detail: string, code?: string, retryAfter?: string) => {
      lingeringClose(req, res, linger, stats);
      writeFixed(res, id, status, retryAfter === undefined ? problemHeaders() : { ...problemHeaders(), "retry-after": retryAfter }, problemText(status, detail, path, code));
    };
    // Trusted from Content-Length before reading, or met at the first byte over the limit.
    const tooLarge = () => refuse(413, `The request body${coding === undefined ? "" : `, decoded from ${coding},`} is larger than the ${limit} bytes accepted here`);
    // The same for a body that does not fit beside the others being held: retried later, it does.
    const busy = () => refuse(503, "The server is receiving as many request bodies as it holds at once; retry in a few seconds", undefined, "5");
    let mine = 0;
    const release = () => {
      held -= mine;
      mine = 0;
    };
    const declared = length === undefined ? undefined : Number(length);
    // A coded body too: gzip or deflate of more than the limit decodes to more than it (but for a
    // few header bytes of an incompressible body).
    if (declared !== undefined && declared > limit) {
      tooLarge();
      return;
    }
    // Not the coding it names.
    const badCoding = (bad: BadCoding) => refuse(400, `The request body is not valid ${bad.coding} (its Content-Encoding): ${bad.fault}`, "bad-content-encoding");
    if (admitted.spoolTo !== undefined) {
      const file = admitted.spoolTo;
      if (req.headers.expect?.toLowerCase() === "100-continue") res.writeContinue();
      const spooled = spoolBody(req, file, limit, stats, options.bodyIdleMs ?? BODY_IDLE_MS, coding);
      options.spooling?.add(spooled);
      // (Its failure is handled below; this copy of it must not go unhandled.)
      spooled.finally(() => options.spooling?.delete(spooled)).catch(() => {});
      spooled.then(
        (body) => {
          if ("path" in body) {
            answer(handler, new NodeRequest(method, url, headers, null, res), { ...info, spooled: body }, res, id, onError, pace, () => rmSync(file, { force: true }));
            return;
          }
          if ("coding" in body) badCoding(body);
          else if (body.fault === "too-large") tooLarge();
          else if (body.fault === "disk-full") refuse(503, "The data dir's disk has no room for the request's body; nothing of it was kept, retry once there is room", "disk-full", "30");
          else if (body.fault === "stalled") refuse(408, `The request body stopped arriving: nothing came for ${(options.bodyIdleMs ?? BODY_IDLE_MS) / 1000} s`, "request-timeout");
          else if (body.fault === "disk-stalled")
            refuse(503, `The data dir's disk took none of the request's body for ${(options.bodyIdleMs ?? BODY_IDLE_MS) / 1000} s; nothing of it was kept, retry later`, "disk-stalled", "30");
          else if (body.fault === "gone") {
            // The client went away mid-body, or the close cut it: there is nobody to answer.
            res.destroy();
            admitted.onBodyCut?.(body.received);
          }
          else if (body.fault === "failed") {
            onError(body.error);
            refuse(500, "The server could not answer this request");
          }
        },
        (error) => {
          onError(error);
          res.destroy();
        },
      );
      return;
    }
    // A coded body's Content-Length says nothing of what it holds decoded.
    if (declared !== undefined && coding === undefined) {
      if (held + declared > maxBuffered) {
        busy();
        return;
      }
      mine = declared;
      held += declared;
    }
    // A chunked or coded body is counted as it arrives (decoded); false refuses it.
    const take = (bytes: number) => {
      if (declared !== undefined && coding === undefined) return true;
      if (held + bytes > maxBuffered) return false;
      mine += bytes;
      held += bytes;
      return true;
    };
    if (req.headers.expect?.toLowerCase() === "100-continue") res.writeContinue();
    readBody(req, limit, stats, take, coding).then(
      (body) => {
        if (!Buffer.isBuffer(body)) {
          release();
          if (body === "too-large") tooLarge();
          else if (body === "busy") busy();
          else badCoding(body);
          return;
        }
        answer(handler, new NodeRequest(method, url, headers, body, res), info, res, id, onError, pace, release);
      },
      (error: { received?: number }) => {
        release();
        // The client went away mid-body, or the close cut it: there is nobody to answer.
        res.destroy();
        admitted.onBodyCut?.(error.received ?? 0);
      },
    );
  };
}

/**
 * Runs the handler and writes its answer (a 500 when it fails); `release` gives back the body's
 * share of the memory held. A module function, not a closure made for each request.
 */
function answer<A extends Admitted>(
  handler: (request: Request, info: AdapterInfo<A>) => Promise<Response>,
  request: NodeRequest,
  info: AdapterInfo<A>,
  res: ServerResponse,
  id: string,
  onError: (error: unknown) => void,
  pace: Pace,
  release?: () => void,
): void {
  let result: Promise<Response>;
  try {
    result = handler(request as unknown as Request, info);
  } catch (error) {
    result = Promise.reject(error);
  }
  result.then(
    (response) => {
      release?.();
      writeResponse(res, id, response, onError, pace);
    },
    (error) => {
      release?.();
      onError(error);
      if (!res.headersSent) writeFixed(res, id, 500, problemHeaders(), problemText(500, "The server could not answer this request", (res.req.url ?? "/").split("?")[0]));
      else res.destroy();
    },
  );
}

/** Sockets in a lingering close: whatever more they carry is dropped. */
const lingering = new WeakSet<Socket>();

/**
 * Prepares `res` to end the connection the way nginx does when it will not read a request's body
 * ("lingering close"): the answer goes out with `Connection: close`, our side half-closes, and what
 * the client still sends is read and dropped (never kept) until its body ends, it half-closes, or
 * the bounds in `limits` run out; then the socket closes. Closing at once instead would reset the
 * connection under a client still writing, and the reset can destroy our answer in the client's
 * receive buffer before it reads it: EPIPE or ECONNRESET instead of a 413.
 *
 * The bounds hold only while the body still arrives: once it has ended, the answer (a route's that
 * ignores a GET's or DELETE's body may stream for minutes, a CSV export) is delivered whatever its
 * duration, paced by the write-stall and minimum-rate rules as any answer is.
 */
function lingeringClose(req: IncomingMessage, res: ServerResponse, limits: LingerLimits, stats: BodyStats): void {
  const socket = req.socket;
  lingering.add(socket);
  res.shouldKeepAlive = false;
  let answered = false;
  let bodyDone = req.complete;
  let dropped = 0;
  let total: NodeJS.Timeout | undefined;
  let idle: NodeJS.Timeout | undefined;
  const stopTimers = () => {
    clearTimeout(total);
    clearTimeout(idle);
  };
  const close = () => {
    stopTimers();
    if (socket.destroyed) return;
    // Our answer and FIN first (node's socket.end() queued them), then the close.
    if (socket.writableFinished) socket.destroy();
    else socket.once("finish", () => socket.destroy());
  };
  const waitIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => socket.destroy(), limits.idleMs);
    idle.unref();
  };
  if (!bodyDone) {
    total = setTimeout(() => socket.destroy(), limits.maxMs);
    total.unref();
    waitIdle();
  }
  socket.once("close", stopTimers);
  // node:http calls destroySoon() once a `Connection: close` answer is written, and that would
  // close the socket with the body still arriving; half-close instead and keep reading.
  socket.destroySoon = () => {
    answered = true;
    if (socket.writable) socket.end();
    if (bodyDone) close();
  };
  req.on("data", (chunk: Buffer) => {
    dropped += chunk.length;
    stats.discarded += chunk.length;
    if (dropped > limits.maxBytes) {
      socket.destroy();
      return;
    }
    waitIdle();
  });
  req.once("end", () => {
    bodyDone = true;
    // Nothing more to bound: the answer, maybe still being written, goes out whole.
    stopTimers();
    if (answered) close();
  });
  // The client half-closed: nothing more will come.
  socket.once("end", () => close());
  req.resume();
}

/** A host name or IPv4 address, or a bracketed IPv6 address, and a port: what Host or an absolute target's authority may be. */
const HOST_SHAPE = /^[\w.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:.]+\](:\d{1,5})?$/;
/** An absolute-form request target: its authority, then the rest (path and query, maybe empty). */
const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)(.*)$/i;

function safeHost(host: string | undefined): string {
  return host !== undefined && HOST_SHAPE.test(host) ? host : "localhost";
}

/**
 * The few problem documents the adapter itself sends, as the app's are (`problemOf`): typed
 * `/docs#problem-<code>`, naming the request's path as their `instance` when there is one to name.
 */
function problemText(status: number, detail: string, path?: string, code?: string): string {
  code ??=
    { 408: "request-timeout", 413: "content-too-large", 414: "uri-too-long", 431: "header-fields-too-large", 500: "internal", 501: "not-implemented", 503: "too-many-uploads" }[status] ??
    "bad-request";
  return JSON.stringify(problemOf(new HttpError(status, detail, { code }), path?.slice(0, 200)));
}

/** A body that is not the content coding it names: the coding, and zlib's word for the fault. */
interface BadCoding {
  coding: BodyCoding;
  fault: string;
}

/** The zlib stream that decodes a body sent in `coding` (`deflate` is the zlib format), or none. */
function decoderFor(coding: BodyCoding | undefined): Gunzip | Inflate | undefined {
  return coding === undefined ? undefined : coding === "gzip" ? createGunzip() : createInflate();
}

/** zlib's error on a body as a BadCoding: its message names the fault ("incorrect header check", "unexpected end of file"). */
function badCodingOf(coding: BodyCoding, error: Error): BadCoding {
  return { coding, fault: firstLine(error).slice(0, 200) };
}

/**
 * Reads the whole body, decoded from `coding` as it arrives when it names one, or "too-large" as
 * soon as it (decoded) exceeds `limit`, or "busy" when `take` refuses a chunk's bytes, or BadCoding;
 * settles exactly once. A coded body's decoding stops there too: a gzip bomb is never decoded
 * past the limit.
 */
function readBody(
  req: IncomingMessage,
  limit: number,
  stats: BodyStats,
  take: (bytes: number) => boolean,
  coding?: BodyCoding,
): Promise<Buffer | "too-large" | "busy" | BadCoding> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const decoder = decoderFor(coding);
    const source = decoder ?? req;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      source.off("data", onData);
      source.off("end", onEnd);
      req.off("error", onFail);
      req.off("aborted", onFail);
      if (decoder !== undefined) {
        req.unpipe(decoder);
        decoder.off("error", onBadCoding);
        // Errors after this (none is awaited) must not go unhandled.
        decoder.on("error", () => {});
        decoder.destroy();
      }
      fn();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        settle(() => resolve("too-large"));
        return;
      }
      if (!take(chunk.length)) {
        req.pause();
        settle(() => resolve("busy"));
        return;
      }
      chunks.push(chunk);
      stats.buffered += chunk.length;
    };
    const onEnd = () => settle(() => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    // With the bytes that came as sent (`received`, to set beside Content-Length: a coded body's
    // count before decoding): a cut body's route may say how far it got.
    const onFail = (error?: unknown) =>
      settle(() => reject(Object.assign(error instanceof Error ? error : new Error("aborted"), { received: decoder?.bytesWritten ?? size })));
    const onBadCoding = (error: Error) => settle(() => resolve(badCodingOf(coding!, error)));
    source.on("data", onData);
    source.on("end", onEnd);
    req.on("error", onFail);
    req.on("aborted", onFail);
    if (decoder !== undefined) {
      decoder.on("error", onBadCoding);
      req.pipe(decoder);
    }
  });
}

/** Why a body could not be written to its file (its Content-Encoding's fault a BadCoding). */
// `received`: the bytes that came as sent (a coded body's before decoding), set beside Content-Length.
type SpoolFault = { fault: "too-large" | "disk-full" | "stalled" | "disk-stalled" } | { fault: "gone"; received: number } | { fault: "failed"; error: unknown } | BadCoding;

/**
 * Writes the body, decoded from `coding` as it arrives when it names one, to `path` (a new file,
 * 0600) through a pipeline, so a client sending faster than the disk takes it waits (TCP
 * backpressure) and memory holds a few chunks at most; stopped at the first byte past `limit`. Gives
 * the file's path, size and SHA-256, or why it failed, the file then removed: a part of a body is
 * never kept.
 */
async function spoolBody(req: IncomingMessage, path: string, limit: number, stats: BodyStats, idleMs: number, coding?: BodyCoding): Promise<SpooledBody | SpoolFault> {
  const hash = createHash("sha256");
  let bytes = 0;
  let over = false;
  let stalled: "stalled" | "disk-stalled" | undefined;
  // The silence is timed from the last byte that came from the socket (a coded body's header may
  // decode to nothing for a while) or that the file took, whichever is later. Once it lasts
  // idleMs, it is the client's (408) when all that came is on disk, else the disk's (503): a
  // pipeline the disk stopped taking stops reading the socket, and the client, held back by TCP,
  // is not idle.
  let arrived = performance.now();
  const onArrival = () => (arrived = performance.now());
  let onDisk = 0;
  let wroteAt = arrived;
  let idle: NodeJS.Timeout | undefined;
  const checkIdle = () => {
    const now = performance.now();
    if (file.bytesWritten !== onDisk) {
      onDisk = file.bytesWritten;
      wroteAt = now;
    }
    const quiet = now - Math.max(arrived, wroteAt);
    if (quiet < idleMs) {
      idle = setTimeout(checkIdle, idleMs - quiet);
      return;
    }
    stalled = bytes > file.bytesWritten || first.writableLength > 0 ? "disk-stalled" : "stalled";
    first.destroy(new Error(stalled === "stalled" ? "The request body stopped arriving" : "The disk stopped taking the request body"));
  };
  let badCoding: BadCoding | undefined;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > limit) {
        over = true;
        done(new Error("over the limit"));
        return;
      }
      hash.update(chunk);
      stats.spooled = (stats.spooled ?? 0) + chunk.length;
      done(null, chunk);
    },
  });
  const decoder = decoderFor(coding);
  decoder?.once("error", (error) => (badCoding ??= badCodingOf(coding!, error)));
  const first = decoder ?? meter;
  const file = createWriteStream(path, { flags: "wx", mode: 0o600 });
  const written = decoder === undefined ? pipeline(meter, file) : pipeline(decoder, meter, file);
  // The request is piped in, not put in the pipeline, which would destroy it (and its socket, with
  // it the 413 or 503 to send) on a failure: a refused body's rest is dropped by a lingering close.
  let gone = false;
  const onGone = () => {
    if (req.complete) return;
    gone = true;
    first.destroy(new Error("The client went away mid-body"));
  };
  req.once("aborted", onGone);
  req.once("error", onGone);
  req.once("close", onGone);
  req.on("data", onArrival);
  req.pipe(first);
  spoolingSockets.add(req.socket);
  idle = setTimeout(checkIdle, idleMs);
  try {
    await written;
    return { path, bytes, sha256: hash.digest("hex") };
  } catch (error) {
    req.unpipe(first);
    // Removed once closed: a file still being opened when the body failed would be made after.
    if (!file.closed) await new Promise<void>((resolve) => file.once("close", () => resolve()));
    rmSync(path, { force: true });
    if (gone) return { fault: "gone", received: decoder?.bytesWritten ?? bytes };
    if (over) return { fault: "too-large" };
    if (stalled !== undefined) return { fault: stalled };
    if (badCoding !== undefined) return badCoding;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOSPC" || code === "EDQUOT") return { fault: "disk-full" };
    return { fault: "failed", error };
  } finally {
    clearTimeout(idle);
    spoolingSockets.delete(req.socket);
    req.off("aborted", onGone);
    req.off("error", onGone);
    req.off("close", onGone);
    req.off("data", onArrival);
  }
}

/** Writes a complete answer; `headers` is the caller's to give away (the request id and length are added to it). */
function writeFixed(res: ServerResponse, id: string, status: number, headers: Record<string, string>, body: string | Uint8Array | null): void {
  // In the object given to writeHead, not by setHeader before it: node then takes every header
  // through setHeader's checks one more time (about a microsecond a request).
  headers["x-request-id"] = id;
  headers["x-content-type-options"] = NOSNIFF;
  if (body === null || status === 204 || status === 304) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  headers["content-length"] = String(bytes.byteLength);
  res.writeHead(status, headers);
  res.end(bytes);
}

/** How streamed bodies treat slow clients (the adapter's options with defaults filled in). */
interface Pace {
  stallMs: number;
  minRate: MinWriteRate;
  onSlowClient: (cut: SlowClientCut) => void;
}

const DEFAULT_PACE: Pace = { stallMs: WRITE_STALL_MS, minRate: MIN_WRITE_RATE, onSlowClient: () => {} };

function writeResponse(res: ServerResponse, id: string, response: Response, onError: (error: unknown) => void, pace = DEFAULT_PACE): void {
  if (response instanceof LightResponse) {
    // A LightResponse's headers are its own (see `send`): written as they are, not copied.
    const parts = (response as LightResponse).fastParts();
    if (parts !== undefined) {
      writeFixed(res, id, parts.status, parts.headers, parts.body);
      return;
    }
    response = (response as LightResponse).real();
  }
  const headers: Record<string, string | string[]> = { "x-request-id": id, "x-content-type-options": NOSNIFF };
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  res.writeHead(response.status, headers);
  const body = response.body;
  if (body === null || res.req.method === "HEAD") {
    if (body !== null) body.cancel().catch(() => {});
    res.end();
    return;
  }
  void pump(body.getReader(), res, id, pace).catch((error) => {
    onError(error);
    res.destroy();
  });
}


async function pump(reader: ReadableStreamDefaultReader<Uint8Array>, res: ServerResponse, id: string, pace: Pace): Promise<void> {
  let closed = false;
  const gone = () => {
    if (closed) return;
    closed = true;
    reader.cancel().catch(() => {});
  };
  res.once("close", () => {
    if (!res.writableFinished) gone();
  });
  // A client that left while the handler worked: its "close" has fired already, and a write would
  // wait for a "drain" that never comes, the body (and what it holds: a snapshot, a connection)
  // never given up.
  if (res.destroyed) gone();
  const { bytesPerSecond, graceMs } = pace.minRate;
  let written = 0;
  let waitedMs = 0;
  const taken = () => written - res.writableLength;
  while (!closed) {
    const { done, value } = await reader.read();
    if (done || closed) break;
    written += value.byteLength;
    if (!res.write(value)) {
      if (res.destroyed) {
        gone();
        break;
      }
      const began = performance.now();
      await new Promise<void>((resolve) => {
        // A client that takes no byte for stallMs is gone (or stalling on purpose), and one that
        // takes a trickle holds as much: what it holds (a download slot, a database connection and
        // its read transaction) must come back. The rate is checked when, at the bytes taken so
        // far, the average over all the waiting would fall under the floor.
        let timer: NodeJS.Timeout | undefined;
        // Destroyed here, the response may emit no "close" (it had, or never will): end the wait.
        const cut = () => {
          res.destroy();
          gone();
          go();
        };
        const check = () => {
          const since = performance.now() - began;
          const now = waitedMs + since;
          if (since >= pace.stallMs) return cut();
          if (bytesPerSecond > 0 && now >= graceMs && (taken() * 1000) / now < bytesPerSecond) {
            pace.onSlowClient({
              id,
              method: res.req.method ?? "GET",
              path: (res.req.url ?? "/").split("?")[0],
              bytes: taken(),
              waited_ms: Math.round(now),
              min_bytes_per_second: bytesPerSecond,
            });
            return cut();
          }
          const rateDue = bytesPerSecond > 0 ? Math.max(graceMs, (taken() * 1000) / bytesPerSecond) - waitedMs : Infinity;
          timer = setTimeout(check, Math.max(1, Math.min(rateDue, pace.stallMs) - since));
        };
        const go = () => {
          clearTimeout(timer);
          res.off("drain", go);
          res.off("close", go);
          resolve();
        };
        res.on("drain", go);
        res.on("close", go);
        check();
      });
      waitedMs += performance.now() - began;
    }
  }
  if (!closed) res.end();
}

/**
 * A Request built lazily from an IncomingMessage: method, url and headers are plain getters, and a
 * real undici Request (about 9 µs to build) is made only when the body or another member is read.
 */
class NodeRequest {
  readonly #method: string;
  readonly #url: string;
  readonly #headers: RequestHeaders;
  readonly #body: Buffer | null;
  readonly #res: ServerResponse;
  #real: Request | undefined;
  #gone: AbortController | undefined;

  constructor(method: string, url: string, headers: RequestHeaders, body: Buffer | null, res: ServerResponse) {
    this.#method = method;
    this.#url = url;
    this.#headers = headers;
    this.#body = body;
    this.#res = res;
  }

  /**
   * Aborted when the client goes before the answer is sent (its connection closed), as Deno's and
   * Bun's servers do: a handler doing long work for it (an import) may stop. Made on first use.
   */
  get signal(): AbortSignal {
    if (this.#gone === undefined) {
      const gone = (this.#gone = new AbortController());
      const res = this.#res;
      if (res.destroyed && !res.writableFinished) gone.abort();
      else res.once("close", () => !res.writableFinished && gone.abort());
    }
    return this.#gone.signal;
  }

  get method(): string {
    return this.#method;
  }
  get url(): string {
    return this.#url;
  }
  get headers(): Headers {
    return this.#headers as unknown as Headers;
  }
  real(): Request {
    // GET/HEAD may not carry a body in a Request; a body sent with them is ignored, as HTTP allows.
    const body = this.#method === "GET" || this.#method === "HEAD" ? null : this.#body;
    this.#real ??= new Request(this.#url, { method: this.#method, headers: this.headers, body: body as unknown as RequestInit["body"] });
    return this.#real;
  }
}

/**
 * A request's headers over node's parsed object, for admission and then the handler: `get` and
 * `has` read it directly (most handlers ask for a header or two); anything else, a change included,
 * builds a real undici Headers (about 2 µs with its checks and its garbage) and works on that from
 * then on.
 */
class RequestHeaders {
  readonly #incoming: IncomingHttpHeaders;
  #real: Headers | undefined;

  constructor(incoming: IncomingHttpHeaders) {
    this.#incoming = incoming;
  }

  get(name: string): string | null {
    if (this.#real !== undefined) return this.#real.get(name);
    const value = this.#incoming[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(", ") : value;
  }

  has(name: string): boolean {
    return this.#real !== undefined ? this.#real.has(name) : this.#incoming[name.toLowerCase()] !== undefined;
  }

  real(): Headers {
    if (this.#real === undefined) {
      const headers = new Headers();
      for (const [name, value] of Object.entries(this.#incoming)) {
        if (value === undefined) continue;
        if (Array.isArray(value)) for (const v of value) headers.append(name, v);
        else headers.append(name, value);
      }
      this.#real = headers;
    }
    return this.#real;
  }
}

delegateToReal(RequestHeaders.prototype, [], ["set", "append", "delete", "forEach", "entries", "keys", "values", "getSetCookie", Symbol.iterator, Symbol.for("nodejs.util.inspect.custom")]);
Object.setPrototypeOf(RequestHeaders.prototype, Headers.prototype);

delegateToReal(
  NodeRequest.prototype,
  ["body", "bodyUsed", "cache", "credentials", "destination", "integrity", "mode", "redirect", "referrer", "referrerPolicy", "keepalive"],
  ["text", "json", "arrayBuffer", "blob", "formData", "clone"],
);
Object.setPrototypeOf(NodeRequest.prototype, Request.prototype);
