/**
 * Numeric ids in paths and query strings, parsed one way for every route.
 */
import { HttpError } from "./http_error.ts";

/** The largest id the databases store (INTEGER, 32 bits). */
export const MAX_ID = 2147483647;

/**
 * Parses an integer id from a path or query value, in its one canonical form: no leading zeros, so
 * `/contacts/01` is no contact rather than a second URL (and the same strong ETag) for contact 1.
 *
 * @example
 * ```ts
 * parseId("42", "actor") // 42
 * ```
 */
export function parseId(text: string | null, what: string, status: 400 | 404 = 404): number {
  if (text !== null && /^(?:0|[1-9]\d{0,9})$/.test(text)) {
    const n = Number(text);
    if (n <= MAX_ID) return n;
  }
  throw new HttpError(status, status === 404 ? `No ${what} has id '${String(text).slice(0, 40)}'` : `${what} must be an integer id; got '${String(text).slice(0, 40)}'`, {
    code: status === 404 ? "not-found" : "bad-parameter",
  });
}
