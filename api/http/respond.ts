/**
 * Response helpers. Handlers return web-standard `Response`s, but building an undici `Response`
 * costs ~30 µs in Node 20, more than the rest of a point read. So `send()` returns a
 * `LightResponse`: it passes `instanceof Response`, keeps the body and headers as plain values that
 * the node adapter writes directly, and only builds a real `Response` if someone reads it another
 * way (tests calling `.json()`, code touching `.headers`). Hono's Node adapter does the same.
 */
import { HttpError, problemOf } from "./http_error.ts";

/** Response headers as a plain object (lower-case names). */
export type HeaderRecord = Record<string, string>;

/**
 * A Response whose body is a complete string or byte array. Reading it like any Response works;
 * `fastParts()` hands the adapter the raw pieces while nobody has touched the real object.
 */
export class LightResponse {
  readonly #body: string | Uint8Array | null;
  readonly #status: number;
  readonly #headers: HeaderRecord;
  #real: Response | undefined;

  constructor(body: string | Uint8Array | null, status: number, headers: HeaderRecord) {
    this.#body = body;
    this.#status = status;
    this.#headers = headers;
  }

  /** The raw parts, or undefined once a real Response exists (its headers may have been changed). */
  fastParts(): { body: string | Uint8Array | null; status: number; headers: HeaderRecord } | undefined {
    if (this.#real !== undefined) return undefined;
    return { body: this.#body, status: this.#status, headers: this.#headers };
  }

  /** The real Response, built on first use. */
  real(): Response {
    this.#real ??= new Response(this.#body as ConstructorParameters<typeof Response>[0], { status: this.#status, headers: this.#headers });
    return this.#real;
  }

  get status(): number {
    return this.#status;
  }
  get ok(): boolean {
    return this.#status >= 200 && this.#status < 300;
  }
  get headers(): Headers {
    return this.real().headers;
  }
}

// Everything else a Response has delegates to the real one, so a LightResponse behaves as one.
delegateToReal(LightResponse.prototype, ["statusText", "body", "bodyUsed", "type", "url", "redirected"], ["text", "json", "arrayBuffer", "blob", "formData", "clone"]);
Object.setPrototypeOf(LightResponse.prototype, Response.prototype);

/**
 * Returns a Response with a complete body; sets Content-Length-free headers only (the adapter
 * computes the length from the bytes). `headers` becomes the response's own: compression and the
 * adapter add to that object instead of copying it (two copies a request), so pass one made for
 * this response, never an object kept and shared between responses.
 *
 * @example
 * ```ts
 * return send('{"ok":true}', 200, { "content-type": "application/json" });
 * ```
 */
export function send(body: string | Uint8Array | null, status: number, headers: HeaderRecord): Response {
  return new LightResponse(body, status, headers) as unknown as Response;
}

/**
 * Returns a JSON response; `extra` headers are merged in (lower-case names).
 *
 * @example
 * ```ts
 * return json({ items: [] }, 200, { "cache-control": "no-store" });
 * ```
 */
export function json(value: unknown, status = 200, extra?: HeaderRecord): Response {
  return jsonText(JSON.stringify(value), status, extra);
}

/** Returns a JSON response from text that is already JSON. */
export function jsonText(text: string, status = 200, extra?: HeaderRecord): Response {
  const headers: HeaderRecord = { "content-type": "application/json; charset=utf-8" };
  if (extra !== undefined) Object.assign(headers, extra);
  return send(text, status, headers);
}

/** Returns an empty response (204, 304, ...). */
export function empty(status: number, headers: HeaderRecord = {}): Response {
  return send(null, status, headers);
}

/** The headers of every problem document: a new object each call (callers add to it). */
export function problemHeaders(): HeaderRecord {
  return { "content-type": "application/problem+json; charset=utf-8", "cache-control": "no-store" };
}

/**
 * Returns the application/problem+json response for an HttpError.
 *
 * @example
 * ```ts
 * problemResponse(new HttpError(404, "No contact has id 9"), "/contacts/9").status // 404
 * ```
 */
export function problemResponse(error: HttpError, instance?: string): Response {
  const headers = problemHeaders();
  for (const [name, value] of Object.entries(error.headers)) headers[name.toLowerCase()] = value;
  return send(JSON.stringify(problemOf(error, instance)), error.status, headers);
}

/**
 * RFC 9110 13.2.2, steps 1 and 3, for a GET or HEAD of a representation whose current ETag is `etag`
 * (undefined: it has none): an If-Match that does not hold is a 412 (strong comparison: a weak tag
 * never matches; `*` holds, the representation existing); else an If-None-Match that matches is a
 * 304 with `headers`. Undefined when the answer is the representation itself.
 *
 * @example
 * ```ts
 * const unchanged = readPreconditions(request, entry.etag, { etag: entry.etag });
 * if (unchanged) return unchanged;
 * ```
 */
export function readPreconditions(request: Request, etag: string | undefined, headers: HeaderRecord): Response | undefined {
  const ifMatch = request.headers.get("if-match");
  if (ifMatch !== null && ifMatch.trim() !== "*" && !ifMatchHolds(ifMatch, etag)) {
    throw new HttpError(412, `If-Match does not hold: the current ETag is ${etag === undefined ? "none" : etag}${etag?.startsWith("W/") ? ", a weak one, which If-Match never matches" : ""}`, { code: "stale" });
  }
  // `*` holds whenever there is a representation, tagged or not (a list on PostgreSQL has no ETag).
  const ifNoneMatch = request.headers.get("if-none-match");
  if (ifNoneMatch?.trim() === "*") return empty(304, headers);
  const form = etag === undefined ? undefined : matchingForm(ifNoneMatch, etag);
  if (form === undefined) return undefined;
  // The tag of the form the client holds: a cache updates the stored response that has it (RFC 9111 4.3.4).
  if (headers.etag !== undefined) headers.etag = form;
  return empty(304, headers);
}

/**
 * RFC 9110 13.2.2, steps 1 to 3, for a write to a resource that `exists` (a collection POSTed to
 * always does) with current ETag `etag` (undefined: it has none, as a department or, on PostgreSQL,
 * a list): throws the 412 of an If-Match that does not hold (`*` holds when the resource exists; a
 * tag only when it is `etag`, strong) or of an If-None-Match that does not (`*` fails when the
 * resource exists; a tag when it matches `etag`, weak). `what` names the resource in the detail.
 *
 * @example
 * ```ts
 * writePreconditions(request, listEtag(), true, "the contacts list"); // POST /contacts
 * ```
 */
export function writePreconditions(request: Request, etag: string | undefined, exists: boolean, what: string): void {
  const ifMatch = request.headers.get("if-match");
  if (ifMatch !== null) {
    const holds = ifMatch.trim() === "*" ? exists : exists && ifMatchHolds(ifMatch, etag);
    if (!holds) {
      throw new HttpError(412, `If-Match does not hold: ${exists ? `${what} has ${etag === undefined ? "no ETag" : `the ETag ${etag}${etag.startsWith("W/") ? ", a weak one, which If-Match never matches" : ""}`}` : `${what} does not exist`}`, { code: "stale" });
    }
  }
  const ifNoneMatch = request.headers.get("if-none-match");
  if (ifNoneMatch !== null && exists && (ifNoneMatch.trim() === "*" || (etag !== undefined && etagMatches(ifNoneMatch, etag)))) {
    throw new HttpError(412, `If-None-Match does not hold: ${what} exists${ifNoneMatch.trim() === "*" ? "" : ` with ETag ${etag}`}`, { code: "stale" });
  }
}

/** The content codings `compress()` applies, best first. */
export const CODINGS = ["br", "gzip"] as const;

/**
 * The ETag of the form of a representation tagged `etag` in content coding `coding`: the strong
 * tags of a representation's coded forms must differ (RFC 9110 8.8.3.3). A weak tag is left as it
 * is: it only says the forms are equivalent, and they are.
 *
 * @example
 * ```ts
 * codedEtag('"3"', "br") // '"3-br"'
 * codedEtag('W/"g1-7"', "br") // 'W/"g1-7"'
 * ```
 */
export function codedEtag(etag: string, coding: string): string {
  return etag.startsWith("W/") ? etag : `${etag.slice(0, -1)}-${coding}"`;
}

/** `etag` and the tags of its coded forms: each names the current version of the representation. */
function formsOf(etag: string): string[] {
  return etag.startsWith("W/") ? [etag] : [etag, ...CODINGS.map((coding) => codedEtag(etag, coding))];
}

/**
 * Whether an If-Match header (not `*`) names `etag` or one of its coded forms, by strong comparison
 * (a weak tag, or none, never holds). Any coded form holds: clients copy the ETag they were given,
 * whichever coding their answer came in, and a write conditioned on it is about the version, not
 * the coding (Apache's `-gzip` suffix is notorious for refusing exactly these writes).
 *
 * @example
 * ```ts
 * ifMatchHolds('"3-br"', '"3"') // true
 * ifMatchHolds('W/"3"', '"3"') // false
 * ```
 */
export function ifMatchHolds(header: string, etag: string | undefined): boolean {
  if (etag === undefined || etag.startsWith("W/")) return false;
  const forms = formsOf(etag);
  return header.split(",").some((tag) => forms.includes(tag.trim()));
}

/**
 * The form of `etag` (itself or a coded form, `codedEtag`) an `If-None-Match` header names by weak
 * comparison, `etag` for `*`, or undefined when it names none.
 *
 * @example
 * ```ts
 * matchingForm('W/"3-gzip", "4"', '"3"') // '"3-gzip"'
 * ```
 */
export function matchingForm(header: string | null, etag: string): string | undefined {
  if (header === null) return undefined;
  if (header.trim() === "*") return etag;
  const bare = (tag: string) => (tag.startsWith("W/") ? tag.slice(2) : tag);
  const forms = formsOf(etag);
  for (const part of header.split(",")) {
    const tag = bare(part.trim());
    const form = forms.find((f) => bare(f) === tag);
    if (form !== undefined) return form;
  }
  return undefined;
}

/**
 * Returns true when an `If-None-Match` header matches `etag` or a coded form of it (weak
 * comparison, `*` matches all).
 *
 * @example
 * ```ts
 * etagMatches('W/"3", "4"', '"4"') // true
 * ```
 */
export function etagMatches(header: string | null, etag: string): boolean {
  return matchingForm(header, etag) !== undefined;
}

/**
 * Makes `getters` and `methods` of `proto` forward to `this.real()`: how a lazy stand-in (for a
 * Request or a Response) behaves like the real object it builds only when something needs it.
 *
 * @example
 * ```ts
 * delegateToReal(LightResponse.prototype, ["body"], ["text"]); // light.text() === light.real().text()
 * ```
 */
export function delegateToReal(proto: { real(): object }, getters: readonly string[], methods: readonly (string | symbol)[]): void {
  for (const name of getters) {
    Object.defineProperty(proto, name, {
      get(this: { real(): Record<string, unknown> }) {
        return this.real()[name];
      },
    });
  }
  for (const name of methods) {
    Object.defineProperty(proto, name, {
      value(this: { real(): Record<string | symbol, unknown> }, ...args: unknown[]) {
        const real = this.real();
        return (real[name] as (...a: unknown[]) => unknown).apply(real, args);
      },
    });
  }
}
