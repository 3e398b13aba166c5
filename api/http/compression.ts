/**
 * Response compression with node:zlib, negotiated by `Accept-Encoding`: brotli when the client
 * takes it, else gzip. Only complete bodies (the `LightResponse`s nearly every route answers with)
 * of text, JSON and the binary matrix are compressed; streamed CSV exports pass through as they are.
 * A body the server keeps per snapshot or per file (the same bytes object every time) is
 * compressed once and the result remembered with it, so a cached 2 MB matrix costs one
 * compression per snapshot, not one per request.
 */
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { codedEtag, CODINGS, LightResponse, send } from "./respond.ts";

/** Bodies smaller than this go as they are: the headers would eat the gain. */
export const MIN_COMPRESS_BYTES = 1024;

const COMPRESSIBLE = /^(text\/|application\/(json|problem\+json|javascript|octet-stream)|image\/svg\+xml)/;

type Encoding = (typeof CODINGS)[number];

// Compressed forms of long-lived bodies, dropped with them (a retired snapshot, a changed file).
const remembered = new WeakMap<Uint8Array, Partial<Record<Encoding, Buffer>>>();

/**
 * Keeps a body's compressed forms for an owner that counts what it holds (the relationship answer
 * cache): `form` gives one kept, `keepForm` is handed one just made and returns the bytes to send
 * (kept and counted, or not kept when they do not fit).
 */
export interface FormKeeper {
  form(encoding: Encoding): Buffer | undefined;
  keepForm(encoding: Encoding, bytes: Buffer): Buffer;
}

const keepers = new WeakMap<Uint8Array, FormKeeper>();

/** From now on `body`'s compressed forms are kept by `keeper`, not remembered here. */
export function keepFormsWith(body: Uint8Array, keeper: FormKeeper): void {
  keepers.set(body, keeper);
}

/**
 * Returns the encoding to use for an `Accept-Encoding` header (brotli first, then gzip), or null.
 * `q=0` refuses an encoding, as RFC 9110 says.
 *
 * @example
 * ```ts
 * chooseEncoding("gzip, deflate, br") // "br"
 * chooseEncoding("gzip;q=1, br;q=0") // "gzip"
 * ```
 */
export function chooseEncoding(header: string | null): Encoding | null {
  if (header === null) return null;
  const q = new Map<string, number>();
  for (const part of header.toLowerCase().split(",")) {
    const [name, ...params] = part.trim().split(";");
    let weight = 1;
    for (const p of params) {
      const [k, v] = p.trim().split("=");
      if (k === "q") weight = Number(v) || 0;
    }
    q.set(name.trim(), weight);
  }
  const weight = (name: Encoding) => q.get(name) ?? (q.has("*") ? q.get("*")! : 0);
  if (weight("br") > 0 && weight("br") >= weight("gzip")) return "br";
  if (weight("gzip") > 0) return "gzip";
  return null;
}

/**
 * Returns `response` compressed for `request` when both allow it, with `Content-Encoding` and
 * `Vary: Accept-Encoding`; otherwise the same response (with the Vary header when it could have
 * been compressed, so a cache keeps the forms apart). A strong ETag gets the coding's suffix
 * (`codedEtag`: `"3-br"`), as each coded form must have its own (RFC 9110 8.8.3.3); preconditions
 * take any form's tag for the version (`ifMatchHolds`, `matchingForm`).
 *
 * @example
 * ```ts
 * return compress(request, await handler(request, ctx));
 * ```
 */
export function compress(request: Request, response: Response): Response {
  if (!(response instanceof LightResponse)) return response;
  const parts = (response as LightResponse).fastParts();
  if (parts === undefined) return response;
  // The headers are the response's own (see `send`): Vary is added in place, not to a copy.
  const headers = parts.headers;
  const vary = headers.vary ? `${headers.vary}, Accept-Encoding` : "Accept-Encoding";
  // A 304 carries the Vary its 200 would have (RFC 9110 15.4.5); so every compressible 200 says
  // it, whatever its size, and a cache keeps the coded forms apart.
  if (parts.status === 304) {
    headers.vary = vary;
    return response;
  }
  if (parts.body === null || parts.status === 204) return response;
  if (headers["content-encoding"] !== undefined || !COMPRESSIBLE.test(headers["content-type"] ?? "")) return response;
  headers.vary = vary;
  const size = typeof parts.body === "string" ? Buffer.byteLength(parts.body) : parts.body.byteLength;
  if (size < MIN_COMPRESS_BYTES) return response;
  const encoding = chooseEncoding(request.headers.get("accept-encoding"));
  if (encoding === null) return response;
  const bytes = typeof parts.body === "string" ? encode(encoding, Buffer.from(parts.body, "utf8")) : encodedOnce(encoding, parts.body);
  headers["content-encoding"] = encoding;
  if (headers.etag !== undefined) headers.etag = codedEtag(headers.etag, encoding);
  return send(bytes, parts.status, headers);
}

/**
 * Compresses `body` ahead of its first request, in every encoding served, so that request finds it
 * done (a body kept and sent again is compressed once, by `compress`). Returns the forms made; none
 * for a body too small to compress.
 *
 * @example
 * ```ts
 * precompress(matrixBytes); // the first GET /matrix?format=binary sends these brotli bytes
 * ```
 */
export function precompress(body: Uint8Array): Partial<Record<Encoding, Buffer>> {
  if (body.byteLength < MIN_COMPRESS_BYTES) return {};
  return { br: encodedOnce("br", body), gzip: encodedOnce("gzip", body) };
}

/** `body` in `encoding`, compressed on first use and remembered with the bytes object. */
function encodedOnce(encoding: Encoding, body: Uint8Array): Buffer {
  const keeper = keepers.get(body);
  if (keeper !== undefined) return keeper.form(encoding) ?? keeper.keepForm(encoding, encode(encoding, body));
  const cache = remembered.get(body) ?? {};
  const bytes = (cache[encoding] ??= encode(encoding, body));
  remembered.set(body, cache);
  return bytes;
}

function encode(encoding: Encoding, bytes: Uint8Array): Buffer {
  if (encoding === "gzip") return gzipSync(bytes, { level: 6 });
  // Quality 5 is brotli's sweet spot for answers made on request: within a few per cent of the
  // best ratio at a fraction of the time of the default 11.
  return brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 5,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength,
    },
  });
}
