/**
 * The only module that touches `node:http`. It converts: IncomingMessage -> Request (reading the
 * body up to a limit), Response -> ServerResponse (streaming bodies with backpressure), and
 * reports one record per finished exchange for the request log. It makes no decisions about routes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse, type IncomingHttpHeaders } from "node:http";
import { delegateToReal, LightResponse } from "./respond.ts";

/** Per-exchange details for the request log. */
export interface Exchange {
  id: string;
  method: string;
  path: string;
  status: number;
  duration_ms: number;
}

/** What the adapter passes to the handler next to the Request. */
export interface AdapterInfo {
  requestId: string;
}

/** Limits and hooks of the adapter. */
export interface AdapterOptions {
  /** The largest body accepted for this method and path, in bytes (default 1 MiB). */
  maxBodyBytes?: (method: string, path: string) => number;
  /** Called once per request after the response finished (or the client went away). */
  onExchange?: (exchange: Exchange) => void;
  /** Called with unexpected errors (handler threw, stream failed). */
  onError?: (error: unknown) => void;
}

const MiB = 1024 * 1024;
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
export function createNodeServer(
  handler: (request: Request, info: AdapterInfo) => Promise<Response>,
  options: AdapterOptions = {},
): Server {
  const server = createServer(nodeListener(handler, options));
  // Requests node's parser rejects (bad request line, bad header bytes, oversized headers) never
  // reach the handler; answer them as problem documents too instead of node's bare 400.
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const title = status === 431 ? "Request Header Fields Too Large" : status === 408 ? "Request Timeout" : "Bad Request";
    const body = problemText(status, title, status === 400 ? "The request is not valid HTTP/1.1" : title);
    // A HEAD response must not carry a body, even an error's (the client would misparse it).
    const packet = (error as { rawPacket?: Buffer }).rawPacket;
    const head = packet !== undefined && packet.subarray(0, 5).toString("latin1") === "HEAD ";
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${head ? "" : body}`,
    );
  });
  // Slow clients cannot hold sockets forever (slowloris): headers within 10 s, the whole request
  // within 60 s (a large CSV import upload), idle keep-alive sockets closed after 5 s.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

/** Returns a `(req, res)` listener for node:http that runs `handler` (see createNodeServer). */
export function nodeListener(
  handler: (request: Request, info: AdapterInfo) => Promise<Response>,
  options: AdapterOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const maxBodyBytes = options.maxBodyBytes ?? (() => MiB);
  const onExchange = options.onExchange;
  const onError = options.onError ?? ((error) => console.error(error));

  return (req, res) => {
    const started = performance.now();
    const incomingId = req.headers["x-request-id"];
    const id = typeof incomingId === "string" && /^[\w.:-]{1,64}$/.test(incomingId) ? incomingId : `${BOOT}-${(++counter).toString(36)}`;
    const method = req.method ?? "GET";
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    if (onExchange !== undefined) {
      res.once("close", () => {
        onExchange({ id, method, path, status: res.statusCode, duration_ms: Math.round((performance.now() - started) * 100) / 100 });
      });
    }
    res.setHeader("x-request-id", id);
    if (rawUrl.charCodeAt(0) !== 47 /* / */) {
      // Absolute-form and `*` targets are for proxies and OPTIONS *; we are an origin server.
      writeFixed(res, 400, { "content-type": "application/problem+json; charset=utf-8" }, problemText(400, "Bad Request", "The request target must be a path"));
      return;
    }
    const host = safeHost(req.headers.host);
    const url = `http://${host}${rawUrl}`;

    const finish = (body: Buffer | null) => {
      const request = new NodeRequest(method, url, req.headers, body);
      let result: Promise<Response>;
      try {
        result = handler(request as unknown as Request, { requestId: id });
      } catch (error) {
        result = Promise.reject(error);
      }
      result.then(
        (response) => writeResponse(res, response, onError),
        (error) => {
          onError(error);
          if (!res.headersSent) writeFixed(res, 500, { "content-type": "application/problem+json; charset=utf-8" }, problemText(500, "Internal Server Error", "The server could not answer this request"));
          else res.destroy();
        },
      );
    };

    const length = req.headers["content-length"];
    const chunked = req.headers["transfer-encoding"] !== undefined;
    if (!chunked && (length === undefined || length === "0")) {
      finish(null);
      return;
    }
    const limit = maxBodyBytes(method, path);
    readBody(req, limit, length).then(
      (body) => {
        if (body === "too-large") {
          // Stop at the first byte over the limit: answer now and close the connection instead of
          // draining the rest of an upload we will never use.
          res.shouldKeepAlive = false;
          writeFixed(
            res,
            413,
            { "content-type": "application/problem+json; charset=utf-8", connection: "close" },
            problemText(413, "Content Too Large", `The request body is larger than the ${limit} bytes accepted here`),
          );
          res.once("finish", () => req.socket.destroySoon?.());
          return;
        }
        finish(body);
      },
      () => {
        // The client went away mid-body: there is nobody to answer.
        res.destroy();
      },
    );
  };
}

function safeHost(host: string | undefined): string {
  return host !== undefined && /^[\w.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:.]+\](:\d{1,5})?$/.test(host) ? host : "localhost";
}

/** The few problem documents the adapter itself sends, typed like the app's (`/docs#problem-<code>`). */
function problemText(status: number, title: string, detail: string): string {
  const code = status === 413 ? "content-too-large" : status === 400 ? "bad-request" : status === 500 ? "internal" : "bad-request";
  return JSON.stringify({ type: `/docs#problem-${code}`, title, status, detail });
}

/** Reads the whole body, or "too-large" as soon as it exceeds `limit`; settles exactly once. */
function readBody(req: IncomingMessage, limit: number, declared: string | undefined): Promise<Buffer | "too-large"> {
  if (declared !== undefined && Number(declared) > limit) return Promise.resolve("too-large");
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onFail);
      req.off("aborted", onFail);
      fn();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        settle(() => resolve("too-large"));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => settle(() => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    const onFail = (error?: unknown) => settle(() => reject(error ?? new Error("aborted")));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onFail);
    req.on("aborted", onFail);
  });
}

function writeFixed(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Uint8Array | null): void {
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

function writeResponse(res: ServerResponse, response: Response, onError: (error: unknown) => void): void {
  if (response instanceof LightResponse) {
    const parts = (response as LightResponse).fastParts();
    if (parts !== undefined) {
      writeFixed(res, parts.status, { ...parts.headers }, parts.body);
      return;
    }
    response = (response as LightResponse).real();
  }
  const headers: Record<string, string | string[]> = {};
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
  void pump(body.getReader(), res).catch((error) => {
    onError(error);
    res.destroy();
  });
}

async function pump(reader: ReadableStreamDefaultReader<Uint8Array>, res: ServerResponse): Promise<void> {
  let closed = false;
  res.once("close", () => {
    if (!res.writableFinished) {
      closed = true;
      reader.cancel().catch(() => {});
    }
  });
  for (;;) {
    const { done, value } = await reader.read();
    if (done || closed) break;
    if (!res.write(value)) {
      await new Promise<void>((resolve) => {
        const go = () => {
          res.off("drain", go);
          res.off("close", go);
          resolve();
        };
        res.on("drain", go);
        res.on("close", go);
      });
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
  readonly #incoming: IncomingHttpHeaders;
  readonly #body: Buffer | null;
  #headers: Headers | undefined;
  #real: Request | undefined;

  constructor(method: string, url: string, incoming: IncomingHttpHeaders, body: Buffer | null) {
    this.#method = method;
    this.#url = url;
    this.#incoming = incoming;
    this.#body = body;
  }

  get method(): string {
    return this.#method;
  }
  get url(): string {
    return this.#url;
  }
  get headers(): Headers {
    if (this.#headers === undefined) {
      const headers = new Headers();
      for (const [name, value] of Object.entries(this.#incoming)) {
        if (value === undefined) continue;
        if (Array.isArray(value)) for (const v of value) headers.append(name, v);
        else headers.append(name, value);
      }
      this.#headers = headers;
    }
    return this.#headers;
  }
  real(): Request {
    // GET/HEAD may not carry a body in a Request; a body sent with them is ignored, as HTTP allows.
    const body = this.#method === "GET" || this.#method === "HEAD" ? null : this.#body;
    this.#real ??= new Request(this.#url, { method: this.#method, headers: this.headers, body: body as unknown as RequestInit["body"] });
    return this.#real;
  }
}

delegateToReal(
  NodeRequest.prototype,
  ["signal", "body", "bodyUsed", "cache", "credentials", "destination", "integrity", "mode", "redirect", "referrer", "referrerPolicy", "keepalive"],
  ["text", "json", "arrayBuffer", "blob", "formData", "clone"],
);
Object.setPrototypeOf(NodeRequest.prototype, Request.prototype);
