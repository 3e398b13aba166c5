/**
 * Request bodies at the HTTP edge: the Content-Type check (415), run by admission before a byte of
 * the body is read, and JSON decoding (400). The size limit is the adapter's job (it never hands
 * over more than the limit).
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
 * Throws HttpError(415) unless the Content-Type's media type is one of `accepted`.
 *
 * @example
 * ```ts
 * requireType(request.headers, ["application/json"]);
 * ```
 */
export function requireType(headers: HeaderSource, accepted: readonly string[]): void {
  const type = mediaType(headers);
  if (!accepted.includes(type)) {
    throw new HttpError(415, `Send the body as ${accepted.join(" or ")}; got ${type === "" ? "no Content-Type" : `'${type.slice(0, 80)}'`}`, {
      code: "unsupported-media-type",
      headers: { "accept-post": accepted.join(", "), "accept-patch": accepted.join(", ") },
    });
  }
}

/**
 * Returns the parsed JSON body and its text. The Content-Type was checked by admission
 * (`requireType`, from the route's `bodyTypes`). Throws HttpError(400) for a body that is empty,
 * or not JSON (`malformed-json`).
 *
 * @example
 * ```ts
 * const { value, text } = await readJson(request);
 * ```
 */
export async function readJson(request: Request): Promise<{ value: unknown; text: string }> {
  const text = await request.text();
  if (text.trim() === "") throw new HttpError(400, "The request body is empty; send a JSON object", { code: "malformed-json" });
  try {
    return { value: JSON.parse(text), text };
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message.replace(/^Unexpected/, "unexpected") : "invalid JSON";
    throw new HttpError(400, `The request body is not valid JSON: ${reason.slice(0, 200)}`, { code: "malformed-json" });
  }
}
