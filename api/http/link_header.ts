/**
 * Builds the `Link: <...>; rel="next"` header of a paginated list from the request's own path and
 * query, with `cursor` replaced, as a relative reference (RFC 8288 allows it).
 */
import type { Context } from "./router.ts";

/**
 * Returns the Link header value for the next page.
 *
 * @example
 * ```ts
 * linkNext({ path: "/contacts", query: new URLSearchParams("limit=2") } as Context, "abc")
 * // '</contacts?limit=2&cursor=abc>; rel="next"'
 * ```
 */
export function linkNext(ctx: Pick<Context, "path" | "query">, cursor: string): string {
  const query = new URLSearchParams(ctx.query);
  query.set("cursor", cursor);
  // "//actors" is served as "/actors", but as a reference it names the host "actors" (RFC 3986 4.2).
  return `<${ctx.path.replace(/\/{2,}/g, "/")}?${query.toString()}>; rel="next"`;
}
