/**
 * Why a workbook could not be fetched: a code for machines (and the run record), a message for
 * people that names the URL without its query string (it may hold a token), and whether trying
 * again may help.
 */

export type FetchErrorCode =
  | "http-status"
  | "timeout"
  | "connection-lost"
  | "bad-encoding"
  | "not-a-workbook"
  | "unreachable"
  | "too-large"
  | "redirect-refused"
  | "redirect-loop"
  | "too-many-redirects";

/** A download that failed; `retry` says whether another attempt may succeed. */
export class FetchError extends Error {
  override readonly name = "FetchError";
  constructor(
    readonly code: FetchErrorCode,
    message: string,
    readonly retry: boolean,
    /** The HTTP status, for `http-status` (and the 200 of `not-a-workbook`). */
    readonly httpStatus?: number,
  ) {
    super(message);
  }
}

/**
 * Returns `url` as messages show it: without query string, fragment or credentials, which may
 * hold tokens (signed links); the path is what a person needs to recognise the file.
 *
 * @example
 * ```ts
 * shownUrl("https://files.example.org/r/relaciones.xlsx?sig=abc"); // "https://files.example.org/r/relaciones.xlsx"
 * ```
 */
export function shownUrl(url: string | URL): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}
