/**
 * A tiny router over a flat table: `add(method, pattern, handler)` and `match(method, path)`.
 * Patterns are literal segments, `:name` parameters and a final `*` (the rest, segments joined by NUL). Trailing slashes are ignored, HEAD
 * matches GET, and a path that exists under other methods reports them for a 405 `Allow`.
 */
import { HttpError } from "./http_error.ts";
import type { SpooledBody } from "./request_body.ts";

/** What a handler receives besides the Request. */
export interface Context {
  /** Decoded `:name` path parameters. */
  params: Record<string, string>;
  /** The query string, parsed. */
  query: URLSearchParams;
  /** The path as requested, without the query string. */
  path: string;
  /** The id the adapter gave this request (also sent back as `X-Request-Id`). */
  requestId: string;
  /** The body, when the adapter wrote it to a file as it arrived (the route doc's `spoolBytesByType`). */
  spooled?: SpooledBody;
}

/** A web-standard handler: Request in, Response out. */
export type Handler = (request: Request, ctx: Context) => Promise<Response>;

interface Route {
  method: string;
  /** As added (`/actors/:id`): the label metrics count requests under. */
  pattern: string;
  segments: string[];
  handler: Handler;
  /** Extra data a route carries (the OpenAPI generator reads it). */
  meta: unknown;
}

/**
 * What `match()` found: a handler, a path with other methods (405, with the template of the first
 * route that matched it, which its OPTIONS is counted under), or nothing (404).
 */
export type Match =
  | { kind: "found"; handler: Handler; params: Record<string, string>; meta: unknown; pattern: string }
  | { kind: "method-not-allowed"; allow: string[]; pattern: string }
  | { kind: "not-found" };

/**
 * A flat route table.
 *
 * @example
 * ```ts
 * const router = new Router();
 * router.add("GET", "/contacts/:id", getContact);
 * router.match("HEAD", "/contacts/7/") // { kind: "found", params: { id: "7" }, ... }
 * ```
 */
export class Router {
  #routes: Route[] = [];
  // Literal paths (no parameters) are looked up in one Map hit; the table scan is for the rest.
  #literal = new Map<string, Route[]>();

  /** Adds a route; `pattern` like `/actors/:id/relationships`. */
  add(method: string, pattern: string, handler: Handler, meta?: unknown): void {
    const route: Route = { method: method.toUpperCase(), pattern, segments: splitPath(pattern), handler, meta };
    this.#routes.push(route);
    if (!route.segments.some((s) => s.startsWith(":") || s === "*")) {
      const key = route.segments.join("/");
      const list = this.#literal.get(key) ?? [];
      list.push(route);
      this.#literal.set(key, list);
    }
  }

  /** Every route, in the order added: `{ method, pattern, meta }`. */
  routes(): { method: string; pattern: string; meta: unknown }[] {
    return this.#routes.map((r) => ({ method: r.method, pattern: "/" + r.segments.join("/"), meta: r.meta }));
  }

  /** Finds the handler for `method` and `path`; throws HttpError(400) for a malformed escape. */
  match(method: string, path: string): Match {
    const segments = splitPath(path);
    const wanted = method === "HEAD" ? "GET" : method;
    const allow = new Set<string>();
    let pattern: string | undefined;
    const literal = this.#literal.get(segments.join("/"));
    if (literal !== undefined) {
      for (const route of literal) {
        if (route.method === wanted) return { kind: "found", handler: route.handler, params: {}, meta: route.meta, pattern: route.pattern };
        allow.add(route.method);
        pattern ??= route.pattern;
      }
    }
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, segments);
      if (params === undefined) continue;
      if (route.method === wanted) return { kind: "found", handler: route.handler, params, meta: route.meta, pattern: route.pattern };
      allow.add(route.method);
      pattern ??= route.pattern;
    }
    if (pattern === undefined) return { kind: "not-found" };
    if (allow.has("GET")) allow.add("HEAD");
    return { kind: "method-not-allowed", allow: [...allow].sort(), pattern };
  }
}

function splitPath(path: string): string[] {
  const parts = path.split("/");
  const out: string[] = [];
  for (const part of parts) if (part.length > 0) out.push(part);
  return out;
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  const rest = pattern.length > 0 && pattern[pattern.length - 1] === "*";
  if (rest ? actual.length < pattern.length - 1 : pattern.length !== actual.length) return undefined;
  let params: Record<string, string> | undefined;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (rest && i === pattern.length - 1) {
      // A trailing `*` takes the remaining segments, each decoded (so %2F cannot smuggle a slash).
      params ??= {};
      params["*"] = actual.slice(i).map(decodeSegment).join("\u0000");
      break;
    } else if (p.charCodeAt(0) === 58 /* : */) {
      params ??= {};
      params[p.slice(1)] = decodeSegment(actual[i]);
    } else if (p !== actual[i]) {
      return undefined;
    }
  }
  return params ?? {};
}

function decodeSegment(segment: string): string {
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `The path segment '${segment.slice(0, 60)}' is not valid percent-encoding`);
  }
}
