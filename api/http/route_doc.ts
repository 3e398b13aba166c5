/**
 * What each route says about itself; the OpenAPI document and the /docs page are generated from
 * these, next to the handlers, so the docs cannot drift from the route table. A route's query
 * parameters are the ones its doc lists (checkQueryNames).
 */
import { HttpError } from "./http_error.ts";
import type { RequestHead } from "./node_adapter.ts";

/** A query or path parameter. */
export interface ParamDoc {
  name: string;
  in?: "query" | "path" | "header";
  description: string;
  schema?: object;
  required?: boolean;
}

/** A response header a route sets. */
export interface HeaderDoc {
  description: string;
  schema?: object;
}

/** A route's documentation, attached as router meta. */
export interface RouteDoc {
  summary: string;
  /** `tables`: the plain record tables of etl/contacts `extraTables` (api/tables/). */
  tag: "contacts" | "tables" | "relationships" | "history" | "runs" | "system";
  description?: string;
  params?: ParamDoc[];
  /** JSON Schema of the request body. */
  body?: object;
  /** The body's JSON Schema for the media types of `bodyTypes` whose body is not `body` (a CSV beside JSON). */
  bodyByType?: Readonly<Record<string, object>>;
  /**
   * The media types the route accepts for its body, the first one documented first (default
   * `application/json`). Admission checks the Content-Type against it before reading the body;
   * the OpenAPI document lists it.
   */
  bodyTypes?: readonly string[];
  /** The largest body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** The largest body of a media type of `bodyTypes` whose limit is not `maxBodyBytes` (a CSV upload beside a small JSON request). */
  maxBodyBytesByType?: Readonly<Record<string, number>>;
  /**
   * The media types of `bodyTypes` whose body is written to a file in the data dir's uploads folder
   * as it arrives, never held in memory (a CSV import), with its limit in bytes: one the disk sets,
   * not the memory (AppOptions `maxSpooledBodyBytes` may lower it). The handler finds the file as
   * `ctx.spooled`.
   */
  spoolBytesByType?: Readonly<Record<string, number>>;
  /**
   * Status -> description (and optional JSON schema for the 2xx body; `binary`: also
   * application/octet-stream; `types`: the media types of a 2xx body that is none of those, such
   * as Prometheus text or the dashboard's files; `headers`: the response headers it sets, by name).
   */
  responses: Record<string, { description: string; schema?: object; csv?: boolean; binary?: boolean; html?: boolean; types?: readonly string[]; headers?: Record<string, HeaderDoc> }>;
  /** True for routes guarded by the bearer token: every write, and reads such as GET /metrics. */
  auth?: boolean;
  /**
   * Not documentation: called when the route's request body stopped arriving before its end (its
   * client gone, or the API's close cut it; the handler never ran), with the request's headers, the
   * bytes that came and when the request was admitted. POST /imports/contacts records a cut body's run.
   */
  bodyCut?: (headers: RequestHead["headers"], cut: { received: number; admittedAt: Date }) => void;
}

/**
 * Throws HttpError(400, `bad-parameter`) for a query parameter `doc` does not list, or one given
 * twice, when it lists any: a misspelt filter or limit must not quietly answer as if it were
 * absent, nor a second value as if it were not there (every route reads one value a name). A
 * route that takes no query parameters ignores its query string.
 *
 * @example
 * ```ts
 * checkQueryNames(new URLSearchParams("limt=5"), relationshipDocs.actors); // throws 400
 * checkQueryNames(new URLSearchParams("limit=2&limit=3"), relationshipDocs.actors); // throws 400
 * ```
 */
export function checkQueryNames(query: URLSearchParams, doc: RouteDoc | undefined): void {
  if (doc === undefined || query.size === 0) return;
  const names = queryNames(doc);
  if (names.size === 0) return;
  const seen = query.size > 1 ? new Set<string>() : undefined;
  for (const name of query.keys()) {
    if (!names.has(name)) throw new HttpError(400, `Unknown query parameter '${name.slice(0, 40)}'; use ${[...names].join(", ")}`, { code: "bad-parameter" });
    if (seen?.has(name)) throw givenTwice(name);
    seen?.add(name);
  }
}

/**
 * Removes the parameters whose value is empty (`?sort=`, a bare `?q`) from `query`, after
 * checkQueryNames(): an empty value is the parameter left out, its default, on every route. Forms
 * (the /docs page's, a client's search box) send every field, filled or not; some routes took an
 * empty value as absent and others refused it, so a client could not tell which without trying.
 *
 * @example
 * ```ts
 * const query = new URLSearchParams("sort=&q=ana");
 * dropEmptyValues(query);
 * query.toString(); // "q=ana"
 * ```
 */
export function dropEmptyValues(query: URLSearchParams): void {
  if (query.size === 0) return;
  for (const [name, value] of [...query]) if (value === "") query.delete(name);
}

/**
 * Throws HttpError(400, `bad-parameter`) naming the first parameter of the query string `text` (as
 * sent, after the `?`) whose name or value is not valid percent-encoding (RFC 3986 2.1: `%` and two
 * hex digits, making UTF-8), on a route whose doc lists query parameters. URLSearchParams would
 * decode it to U+FFFD and the route would search for what the client never sent; a path segment
 * so encoded is a 400 already (the router).
 *
 * @example
 * ```ts
 * checkQueryEncoding("q=%ff", contactListDoc(contactRecord)); // throws 400 naming 'q'
 * ```
 */
export function checkQueryEncoding(text: string, doc: RouteDoc | undefined): void {
  if (!text.includes("%") || doc === undefined || queryNames(doc).size === 0) return;
  for (const pair of text.split("&")) {
    if (!pair.includes("%")) continue;
    const eq = pair.indexOf("=");
    const name = eq === -1 ? pair : pair.slice(0, eq);
    const decodedName = strictDecode(name);
    if (decodedName !== undefined && (eq === -1 || strictDecode(pair.slice(eq + 1)) !== undefined)) continue;
    throw new HttpError(400, `Query parameter '${(decodedName ?? name).slice(0, 40)}' is not valid percent-encoding; encode its text as UTF-8, each byte as %XX`, {
      code: "bad-parameter",
    });
  }
}

/** `text` of a query string decoded (`+` is a space), or undefined when its percent-encoding is broken. */
function strictDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return undefined;
  }
}

/** The query parameters `doc` lists, worked out once per route (point reads run this tens of thousands of times a second). */
function queryNames(doc: RouteDoc): ReadonlySet<string> {
  let names = QUERY_NAMES.get(doc);
  if (names === undefined) QUERY_NAMES.set(doc, (names = new Set((doc.params ?? []).filter((p) => (p.in ?? "query") === "query").map((p) => p.name))));
  return names;
}

const QUERY_NAMES = new WeakMap<RouteDoc, ReadonlySet<string>>();

/** The 400 for a query parameter given twice: every route reads one value a name, and a second would be silently dropped. */
function givenTwice(name: string): HttpError {
  return new HttpError(400, `Query parameter '${name}' is given more than once; give it once`, { code: "bad-parameter" });
}

/** The body types a route accepts when its doc names none. */
export const DEFAULT_BODY_TYPES: readonly string[] = ["application/json"];

/** The body limit of a route whose doc names none: a JSON document is small. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** The common `limit` and `cursor` parameters. */
export function pagingParams(max: number, fallback: number): ParamDoc[] {
  return [
    { name: "limit", description: `Page size, 1..${max} (default ${fallback}).`, schema: { type: "integer", minimum: 1, maximum: max } },
    { name: "cursor", description: "Opaque cursor from `next_cursor` (or the Link rel=\"next\" header) of the previous page.", schema: { type: "string" } },
  ];
}

/**
 * The `sort` parameter of a list sorted by one of `sorts` (the record's sortFields(), what its route's
 * parseSort takes), each ascending or `-` descending, listed in `enum` (the docs page offers them).
 * parseSort also takes `+field` as ascending: said in the description, not listed in `enum`.
 */
export function sortParam(sorts: readonly string[]): ParamDoc {
  return {
    name: "sort",
    description: `One of ${sorts.join(", ")}; prefix \`-\` for descending. A prefix \`+\` (sent as \`%2B\`) for ascending is accepted too, the same as none. Default \`id\`.`,
    schema: { type: "string", enum: sorts.flatMap((field) => [field, `-${field}`]), default: "id" },
  };
}

/** The `format` parameter of endpoints that also speak CSV. */
export const formatParam: ParamDoc = {
  name: "format",
  description: "`csv` streams every matching row as CSV (same as `Accept: text/csv`).",
  schema: { type: "string", enum: ["json", "csv"] },
};

/** `formatParam` of a list that also takes `pagingParams`: the CSV is every row, whatever the page asked. */
export const pagedFormatParam: ParamDoc = { ...formatParam, description: `${formatParam.description} limit and cursor are then ignored.` };

/** An optional request header's doc: a string, as every header the API reads is. */
export function headerParam(name: string, description: string): ParamDoc {
  return { name, in: "header", description, schema: { type: "string" } };
}

/** What an `Idempotency-Key` may be: 1 to 200 visible ASCII characters (no space); another is a 400 `bad-idempotency-key`. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** The `Idempotency-Key` of a create (POST), which replays the first answer to a retry; its schema is IDEMPOTENCY_KEY's. */
export const idempotencyKeyParam: ParamDoc = {
  ...headerParam("Idempotency-Key", "A unique key per intended create (e.g. a UUID): 1 to 200 visible ASCII characters, no spaces; another is a 400 (`bad-idempotency-key`)."),
  schema: { type: "string", minLength: 1, maxLength: 200, pattern: IDEMPOTENCY_KEY.source },
};

/**
 * If-Match and If-None-Match on a route whose `target` has no strong ETag (a list, a department):
 * `*` holds for If-Match while it exists, a tag never does; `ifNoneMatch` says what that one does there.
 */
export function untaggedConditions(target: string, ifNoneMatch: string): ParamDoc[] {
  return [
    headerParam("If-Match", `Optional. \`*\` holds while ${target} exists; any tag is a 412 (${target} has no strong ETag).`),
    headerParam("If-None-Match", `Optional. ${ifNoneMatch}`),
  ];
}

/** The header of a create's answer replayed for its Idempotency-Key. */
export const idempotentReplayedHeader: HeaderDoc = {
  description: "`true` when this is the stored answer to an earlier request with the same Idempotency-Key; absent otherwise.",
  schema: { type: "string", enum: ["true"] },
};

/**
 * Returns the JSON Schema of a list answer, `{ items: [...], next_cursor }`.
 *
 * @example
 * ```ts
 * listSchema({ type: "object" }).properties.items // { type: "array", items: { type: "object" } }
 * ```
 */
export function listSchema(item: object): object {
  return { type: "object", properties: { items: { type: "array", items: item }, next_cursor: { type: ["string", "null"] } } };
}
