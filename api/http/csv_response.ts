/**
 * CSV answers for list endpoints: content negotiation on `Accept` (or `?format=csv` for plain
 * links) and a streamed body built in batches, so a large export never sits whole in memory.
 */
import { csvField } from "../../etl/text/mod.js";
import { HttpError } from "./http_error.ts";
import { readPreconditions, type HeaderRecord } from "./respond.ts";

type Rows = Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>>;

/**
 * Returns true when the client prefers CSV: `?format=csv`, or an Accept header listing text/csv
 * with a higher q than application/json (media types in any case, RFC 9110 8.3.1). Another
 * `format` is the client's 400: a typo must not quietly answer JSON.
 *
 * @example
 * ```ts
 * wantsCsv(new Request("http://x/a", { headers: { accept: "text/csv" } }), new URLSearchParams()) // true
 * ```
 */
export function wantsCsv(request: Request, query: URLSearchParams): boolean {
  const format = query.get("format");
  if (format === "csv") return true;
  if (format === "json") return false;
  if (format !== null) throw new HttpError(400, `format must be csv or json; got '${format.slice(0, 40)}'`, { code: "bad-parameter" });
  return prefersToJson(request.headers.get("accept"), "text/csv");
}

/**
 * Returns true when the Accept header `accept` prefers the media type `type` (lower case) to JSON:
 * `type` is listed with a q above 0 ("not acceptable", RFC 9110 12.4.2) and at least JSON's, from
 * the most specific range covering JSON (application/json, else `application/` with a wildcard,
 * else the full wildcard: 12.5.1, so JSON at q=0.1 beside CSV at 0.5 and a full wildcard prefers
 * CSV); a wildcard loses a tie to the named type. Media types in any case (8.3.1). No header, or one that does not name `type`: false.
 *
 * @example
 * ```ts
 * prefersToJson("application/json, application/octet-stream;q=0", "application/octet-stream") // false
 * prefersToJson("text/csv, application/json", "text/csv") // true
 * ```
 */
export function prefersToJson(accept: string | null, type: string): boolean {
  const lower = accept?.toLowerCase();
  if (lower === undefined || !lower.includes(type)) return false;
  let wanted = 0;
  // JSON's q by the most specific range naming it (RFC 9110 12.5.1): application/json, then
  // application/*, then */*; a wildcard's a hair lower, so it loses a tie to the named type.
  const jsonBy: Record<string, number> = {};
  for (const part of lower.split(",")) {
    const [typeText, ...params] = part.split(";");
    const range = typeText.trim(); // RFC 9110 5.6.6: whitespace may sit around the ";"
    let q = 1;
    for (const p of params) {
      const [k, v] = p.split("=");
      if (k.trim() === "q") q = Number(v?.trim()) || 0;
    }
    if (range === type) wanted = Math.max(wanted, q);
    else if (range === "application/json" || range === "*/*" || range === "application/*") jsonBy[range] = Math.max(jsonBy[range] ?? 0, range === "application/json" ? q : q - 0.001);
  }
  const json = jsonBy["application/json"] ?? jsonBy["application/*"] ?? jsonBy["*/*"] ?? 0;
  return wanted > 0 && wanted >= json;
}

/**
 * The ETag of another form (`csv`, `bin`) of a representation whose JSON form is tagged `etag`: a
 * strong validator names one representation (RFC 9110 8.8.3), so two forms must not share one.
 *
 * @example
 * ```ts
 * formEtag('"v3"', "csv") // '"v3-csv"'
 * formEtag('W/"g1-7"', "csv") // 'W/"g1-7-csv"'
 * ```
 */
export function formEtag(etag: string, form: string): string {
  return `${etag.slice(0, -1)}-${form}"`;
}

/**
 * The CSV answer to a GET or HEAD of a representation whose JSON form is tagged `etag` (undefined:
 * untagged): its own ETag (`formEtag`), `If-Match` and `If-None-Match` evaluated as for the JSON
 * form (a 412, or a 304 that never builds the rows), then the streamed body of `rows()`.
 *
 * @example
 * ```ts
 * return csvAnswer(request, model.etag, ["id", "name"], () => actors, "actors.csv");
 * ```
 */
export async function csvAnswer(
  request: Request,
  etag: string | undefined,
  columns: readonly string[],
  rows: () => Rows | Promise<Rows>,
  filename: string,
  header: readonly string[] = columns,
): Promise<Response> {
  const headers: HeaderRecord = { "cache-control": "no-cache", vary: "Accept" };
  if (etag !== undefined) headers.etag = formEtag(etag, "csv");
  // A real Response, not `empty()`'s: compress() adds Vary: Accept-Encoding to the 304s of bodies
  // it codes, and the streamed CSV is never coded. A 304 says the Vary its 200 would (RFC 9110 15.4.5).
  if (readPreconditions(request, headers.etag, headers)) return new Response(null, { status: 304, headers });
  return csvResponse(columns, await rows(), filename, headers, header);
}

/**
 * `rows` with its first row already read. A streamed answer's status goes out with its first
 * bytes, so a database that fails the first read (gone, refusing the role) failed the body: the
 * client saw the connection dropped with no status. Read here, in the handler, that failure is
 * the handler's, answered as its problem document (503 with Retry-After). The rows are the same
 * iterator's: return() still reaches it, so a cancelled download gives back what it holds.
 *
 * @example
 * ```ts
 * return csvAnswer(request, etag, columns, () => firstRowRead(store.download(filters, order)), "contacts.csv");
 * ```
 */
export async function firstRowRead<T>(rows: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const it = rows[Symbol.asyncIterator]();
  let first: IteratorResult<T> | undefined = await it.next();
  return {
    [Symbol.asyncIterator]: () => ({
      next(): Promise<IteratorResult<T>> {
        const read = first;
        first = undefined;
        return read !== undefined ? Promise.resolve(read) : it.next();
      },
      async return(value?: unknown): Promise<IteratorResult<T>> {
        first = undefined;
        return (await it.return?.(value)) ?? { done: true, value: undefined };
      },
    }),
  };
}

/**
 * Returns a streamed `text/csv` Response: a header row (`header`, by default the `columns`' keys),
 * then one row per item, its values at `columns`.
 *
 * @example
 * ```ts
 * return csvResponse(["id", "name"], actors, "actors.csv");
 * ```
 */
export function csvResponse(
  columns: readonly string[],
  rows: Rows,
  filename: string,
  extra: HeaderRecord = {},
  header: readonly string[] = columns,
): Response {
  // Rows may come from a database cursor (async): the body is pulled as the client reads it.
  const iterator: Iterator<Record<string, unknown>> | AsyncIterator<Record<string, unknown>> =
    Symbol.asyncIterator in rows ? rows[Symbol.asyncIterator]() : rows[Symbol.iterator]();
  const encoder = new TextEncoder();
  let headerSent = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk = "";
      if (!headerSent) {
        chunk += header.join(",") + "\r\n";
        headerSent = true;
      }
      for (let n = 0; n < 500; n++) {
        const next = await iterator.next();
        if (next.done) {
          if (chunk.length > 0) controller.enqueue(encoder.encode(chunk));
          controller.close();
          return;
        }
        const row = next.value;
        chunk += columns.map((c) => csvField(row[c])).join(",") + "\r\n";
      }
      controller.enqueue(encoder.encode(chunk));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  return new Response(stream, {
    status: 200,
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${filename}"`,
      vary: "Accept",
      ...extra,
    },
  });
}
