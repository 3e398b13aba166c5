/**
 * Checks on where a request comes from, made at admission before anything else: the `Host` it
 * names (DNS rebinding) and, for writes, the site a browser sent it from (cross-site writes).
 */
import { isLoopback } from "../../etl/settings/mod.js";
import { HttpError } from "./http_error.ts";
import type { HeaderSource } from "./request_body.ts";

// What a Host header may look like: a name or IPv4 address, or a bracketed IPv6 address, and a port.
const HOST_HEADER = /^(?:([\w.-]+)|(\[[0-9a-fA-F:.]+\]))(?::\d{1,5})?$/;

/**
 * Throws HttpError(421, `host-not-allowed`) unless `host` (a Host header; null for HTTP/1.0
 * clients, which send none) names this server: a loopback name (`localhost`, `127.x.x.x`,
 * `[::1]`) or one of `allowed` (lower case, no port; `*` allows any). A page that rebinds its own
 * domain to 127.0.0.1 still sends its own name, so it gets no answer.
 *
 * @example
 * ```ts
 * checkHost("localhost:8000", []);                // fine
 * checkHost("evil.example:8000", []);             // throws 421
 * checkHost("api.example", ["api.example"]);      // fine
 * ```
 */
export function checkHost(host: string | null, allowed: readonly string[]): void {
  if (host === null || allowed.includes("*")) return;
  const match = HOST_HEADER.exec(host);
  const name = match === null ? undefined : (match[1] ?? match[2]).toLowerCase();
  if (name !== undefined && (isLoopback(name) || allowed.includes(name))) return;
  throw new HttpError(421, `This server does not answer for the host '${host.slice(0, 100)}'; use its own address, or list the name in ALLOWED_HOSTS`, {
    code: "host-not-allowed",
  });
}

/**
 * Throws HttpError(403, `cross-site-write`) when a browser sent this (unsafe) request from another
 * site. `Sec-Fetch-Site` is set by the browser and cannot be forged by a page: only `same-origin`
 * and `none` (typed by the user) pass. Browsers without it are judged by `Origin`, which must name
 * the same host and port as `Host`. A request with neither comes from curl, the ETL or a script,
 * not from a page, and passes (the bearer token guards it when set).
 *
 * @example
 * ```ts
 * checkSameOrigin(new Headers({ "sec-fetch-site": "same-origin" })); // fine
 * checkSameOrigin(new Headers({ origin: "http://evil.example", host: "127.0.0.1:8000" })); // throws 403
 * ```
 */
export function checkSameOrigin(headers: HeaderSource): void {
  const site = headers.get("sec-fetch-site");
  if (site !== null) {
    if (site === "same-origin" || site === "none") return;
    throw crossSite(`the browser says it comes from a ${site.slice(0, 40)} page`);
  }
  const origin = headers.get("origin");
  if (origin === null) return;
  let originHost: string | undefined;
  try {
    originHost = origin === "null" ? undefined : new URL(origin).host;
  } catch {
    originHost = undefined;
  }
  const host = headers.get("host");
  if (originHost !== undefined && host !== null && originHost.toLowerCase() === host.toLowerCase()) return;
  throw crossSite(`it comes from '${origin.slice(0, 100)}'`);
}

function crossSite(why: string): HttpError {
  return new HttpError(403, `Writes are accepted only from this site's own pages or from clients that are not browsers; ${why}`, {
    code: "cross-site-write",
  });
}
