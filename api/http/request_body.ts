/**
 * Request bodies at the HTTP edge: the Content-Type and Content-Encoding checks (415), run by
 * admission before a byte of the body is read, and JSON decoding (400). The size limit and the
 * content coding's decoding are the adapter's job (it never hands over more than the limit, decoded).
 */
import { HttpError } from "./http_error.ts";

/** Request headers, as a web `Headers` or the adapter's view of node's headers has them. */
export interface HeaderSource {
  get(name: string): string | null;
}

/** Returns the media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(headers: HeaderSource): string {
  const header = headers.get("content-type");
  if (header === null) return "";
  return header.split(";")[0].trim().toLowerCase();
}

/**
 * The header a 415 names `accepted` in, by method: Accept-Patch lists a resource's PATCH types (RFC
 * 5789 3.1), Accept-Post its POST types (W3C LDP, IANA's registry). No field says what PUT takes:
 * its 415 names the types in its detail only.
 */
const ACCEPT_HEADER: Readonly<Record<string, string>> = { POST: "accept-post", PATCH: "accept-patch" };

/**
 * The header naming the body types `accepted` by `method` (ACCEPT_HEADER), as a 415 and an OPTIONS
 * answer send it; none for a method without one.
 *
 * @example
 * ```ts
 * acceptHeaderFor("PATCH", ["application/merge-patch+json"]); // { "accept-patch": "application/merge-patch+json" }
 * ```
 */
export function acceptHeaderFor(method: string, accepted: readonly string[]): Record<string, string> {
  const header = ACCEPT_HEADER[method];
  return header === undefined ? {} : { [header]: accepted.join(", ") };
}

/**
 * Throws HttpError(415) unless the Content-Type's media type is one of `accepted` (what `method`
 * takes on the route) and it declares no charset or one of UTF8_CHARSETS: every body this API reads
 * as text is read as UTF-8, so a body declared as another charset would be misread rather than refused.
 *
 * @example
 * ```ts
 * requireType(request.headers, ["application/json"], "POST"); // a 415 carries Accept-Post: application/json
 * ```
 */
export function requireType(headers: HeaderSource, accepted: readonly string[], method: string): void {
  const type = mediaType(headers);
  const acceptHeaders = acceptHeaderFor(method, accepted);
  if (!accepted.includes(type)) {
    throw new HttpError(415, `Send the body as ${accepted.join(" or ")}; got ${type === "" ? "no Content-Type" : `'${type.slice(0, 80)}'`}`, {
      code: "unsupported-media-type",
      headers: acceptHeaders,
    });
  }
  const charset = charsetsOf(headers.get("content-type") ?? "").find((c) => !UTF8_CHARSETS.includes(c));
  if (charset !== undefined) {
    throw new HttpError(415, `Send the body as UTF-8 (${ACCEPTED_CHARSETS}); the Content-Type declares charset '${charset.slice(0, 40)}'`, {
      code: "unsupported-charset",
      headers: acceptHeaders,
    });
  }
}

/** The content codings a request body may be sent in, decoded as it arrives (the node adapter's `decodedBody`). */
export type BodyCoding = "gzip" | "deflate";

/**
 * A request body the adapter wrote to a file as it arrived (a route doc's `spoolBytesByType`), not
 * held in memory: the file, its size and SHA-256 (decoded, when it came in a content coding). The
 * file is the request's: removed once its handler settles.
 */
export interface SpooledBody {
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * What each `Content-Encoding` name decodes as: `x-gzip` is gzip (RFC 9110 8.4.1.3), `deflate` the
 * zlib format (8.4.1.2). What a 415 names in `Accept-Encoding`, with identity.
 */
const BODY_CODINGS: Readonly<Record<string, BodyCoding>> = { gzip: "gzip", "x-gzip": "gzip", deflate: "deflate" };

/** The `Accept-Encoding` of a 415 for a content coding (RFC 9110 12.5.3, 15.5.16): the codings decoded. */
export const ACCEPTED_CODINGS = [...Object.keys(BODY_CODINGS), "identity"].join(", ");

/**
 * The content coding a request body is declared in (`Content-Encoding`, `identity` left out), for
 * the adapter to decode, or undefined for none. Throws HttpError(415) with `Accept-Encoding` naming
 * the codings decoded (RFC 9110 15.5.16) for any other coding, or a chain of two (`gzip, br`): read
 * as it is, such a body was a misleading 400 (not UTF-8) or 422 (a CSV without its columns), and
 * plain JSON labelled `br` was stored as if the label were not there.
 *
 * @example
 * ```ts
 * bodyCoding(request.headers); // Content-Encoding: x-gzip -> "gzip"; br -> 415, Accept-Encoding: gzip, x-gzip, deflate, identity
 * ```
 */
export function bodyCoding(headers: HeaderSource): BodyCoding | undefined {
  const header = headers.get("content-encoding");
  if (header === null) return undefined;
  const codings = header.split(",").map((c) => c.trim().toLowerCase()).filter((c) => c !== "" && c !== "identity");
  if (codings.length === 0) return undefined;
  const coding = codings.length === 1 && Object.hasOwn(BODY_CODINGS, codings[0]) ? BODY_CODINGS[codings[0]] : undefined;
  if (coding !== undefined) return coding;
  throw new HttpError(415, `Send the body uncompressed or in one of ${ACCEPTED_CODINGS.replace(", identity", "")}; got Content-Encoding '${codings.join(", ").slice(0, 80)}'`, {
    code: "unsupported-content-encoding",
    headers: { "accept-encoding": ACCEPTED_CODINGS },
  });
}

/**
 * The charset names (lower-case) a body may declare: UTF-8's, and US-ASCII's (IANA's name, its common
 * alias and what a C/POSIX locale reports), since ASCII text is UTF-8 byte for byte.
 */
export const UTF8_CHARSETS: readonly string[] = ["utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968"];

/** What a 415 `unsupported-charset` (and its OpenAPI description) names as accepted. */
export const ACCEPTED_CHARSETS = `charset ${UTF8_CHARSETS.join(", ")} or none`;

/**
 * The `charset` parameters of a Content-Type, lower-cased, a quoted value unquoted (RFC 9110 5.6.6,
 * 5.6.4: `charset="utf\-8"` is utf-8; a `;` inside quotes does not end the value).
 *
 * @example
 * ```ts
 * charsetsOf('application/json; Charset="US-ASCII"'); // ["us-ascii"]
 * ```
 */
export function charsetsOf(contentType: string): string[] {
  const charsets: string[] = [];
  let i = contentType.indexOf(";");
  while (i !== -1) {
    // The '=' looked for within this parameter only: searched to the end of the header, each of
    // thousands of ';x' looked at all the rest (quadratic).
    const next = contentType.indexOf(";", i + 1);
    const at = contentType.slice(i + 1, next === -1 ? undefined : next).indexOf("=");
    if (at === -1) {
      i = next;
      continue;
    }
    const eq = i + 1 + at;
    const name = contentType.slice(i + 1, eq).trim().toLowerCase();
    let j = eq + 1;
    while (contentType[j] === " " || contentType[j] === "\t") j++;
    let value = "";
    if (contentType[j] === '"') {
      for (j++; j < contentType.length && contentType[j] !== '"'; j++) value += contentType[contentType[j] === "\\" ? ++j : j] ?? "";
      j++;
    } else {
      const end = contentType.indexOf(";", j);
      value = contentType.slice(j, end === -1 ? undefined : end).trim();
      j = end === -1 ? contentType.length : end;
    }
    if (name === "charset") charsets.push(value.toLowerCase());
    i = contentType.indexOf(";", j);
  }
  return charsets;
}

// fatal: a byte sequence that is not UTF-8 throws instead of becoming U+FFFD, which would store
// something the client never sent.
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Returns the parsed JSON body and its text. The Content-Type was checked by admission
 * (`requireType`, from the route's `bodyTypes`). Throws HttpError(400) for a body that is empty,
 * not UTF-8 (`invalid-utf8`) or not JSON (`malformed-json`).
 *
 * @example
 * ```ts
 * const { value, text } = await readJson(request);
 * ```
 */
export async function readJson(request: Request): Promise<{ value: unknown; text: string }> {
  let text: string;
  try {
    text = UTF8.decode(await request.arrayBuffer());
  } catch {
    throw new HttpError(400, "The request body is not valid UTF-8; send JSON encoded as UTF-8", { code: "invalid-utf8" });
  }
  if (text.trim() === "") throw new HttpError(400, "The request body is empty; send a JSON object", { code: "malformed-json" });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message.replace(/^Unexpected/, "unexpected") : "invalid JSON";
    throw new HttpError(400, `The request body is not valid JSON: ${reason.slice(0, 200)}`, { code: "malformed-json" });
  }
  // JSON.parse keeps the last of two members with one name, other parsers the first: a body saying
  // first_name twice means different things to different readers (and to an audit log of its text).
  // A CSV with a column twice is refused whole (duplicate-column); so is such a body (I-JSON, RFC 7493).
  const duplicate = duplicateMember(text);
  if (duplicate !== null) {
    throw new HttpError(400, `The request body gives the member '${duplicate.slice(0, 80)}' twice; send each member once (RFC 7493)`, {
      code: "malformed-json",
      errors: [{ field: duplicate.slice(0, 200), message: "is given twice" }],
    });
  }
  return { value, text };
}

/**
 * The first member name an object of `text` (valid JSON) gives twice, as its path (`first_name`,
 * `a.b`, `items[2].name`), or null. Names are compared unescaped (`"a"` and `"\u0061"` are one).
 *
 * @example
 * ```ts
 * duplicateMember('{"a":1,"b":{"c":1,"c":2}}'); // "b.c"
 * duplicateMember('{"a":1}'); // null
 * ```
 */
export function duplicateMember(text: string): string | null {
  // Iterative (a body nested a million deep must not overflow the stack): one frame per open object or array.
  const stack: { keys: Set<string> | null; path: string; index: number }[] = [];
  let pendingKey: string | null = null;
  const here = () => {
    const top = stack.at(-1);
    if (top === undefined) return "";
    if (top.keys === null) return `${top.path}[${top.index}]`;
    return top.path === "" ? pendingKey! : `${top.path}.${pendingKey}`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{" || c === "[") {
      stack.push({ keys: c === "{" ? new Set() : null, path: here(), index: 0 });
      pendingKey = null;
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      const top = stack.at(-1);
      if (top !== undefined && top.keys === null) top.index++;
    } else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const top = stack.at(-1);
      // A string right after '{' or ',' in an object is a member name (a value follows a ':').
      let k = i - 1;
      while (k >= 0 && " \t\n\r".includes(text[k])) k--;
      if (top !== undefined && top.keys !== null && (text[k] === "{" || text[k] === ",")) {
        const name = JSON.parse(text.slice(i, j + 1)) as string;
        pendingKey = name;
        if (top.keys.has(name)) return here();
        top.keys.add(name);
      }
      i = j;
    }
  }
  return null;
}
