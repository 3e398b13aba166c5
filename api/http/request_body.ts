/**
 * Reading request bodies at the HTTP edge: the Content-Type check (415) and JSON parsing (400)
 * in one place. The size limit is the adapter's job (it never hands over more than the limit).
 */
import { HttpError } from "./http_error.ts";

/** Returns the media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(request: Request): string {
  const header = request.headers.get("content-type");
  if (header === null) return "";
  return header.split(";")[0].trim().toLowerCase();
}

/**
 * Throws HttpError(415) unless the request's media type is one of `accepted`.
 *
 * @example
 * ```ts
 * requireType(request, ["application/json"]);
 * ```
 */
export function requireType(request: Request, accepted: readonly string[]): void {
  const type = mediaType(request);
  if (!accepted.includes(type)) {
    throw new HttpError(415, `Send the body as ${accepted.join(" or ")}; got ${type === "" ? "no Content-Type" : `'${type.slice(0, 80)}'`}`, {
      code: "unsupported-media-type",
      headers: { "accept-post": accepted.join(", "), "accept-patch": accepted.join(", ") },
    });
  }
}

/**
 * Returns the parsed JSON body and its text after checking the Content-Type.
 *
 * @example
 * ```ts
 * const { value, text } = await readJson(request, ["application/json"]);
 * ```
 */
export async function readJson(request: Request, accepted: readonly string[]): Promise<{ value: unknown; text: string }> {
  requireType(request, accepted);
  const text = await request.text();
  if (text.trim() === "") throw new HttpError(400, "The request body is empty; send a JSON object", { code: "malformed-json" });
  try {
    return { value: JSON.parse(text), text };
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message.replace(/^Unexpected/, "unexpected") : "invalid JSON";
    throw new HttpError(400, `The request body is not valid JSON: ${reason.slice(0, 200)}`, { code: "malformed-json" });
  }
}
