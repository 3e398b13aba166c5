/**
 * Keyset pagination over in-memory sorted arrays. A cursor is the sort key of the last item sent
 * (value + id), base64url-encoded; the next page starts after it by binary search, so pages stay
 * stable while rows are added or removed elsewhere (unlike OFFSET).
 */
import { HttpError } from "./http_error.ts";

/** A sort key: the sorted value then the id that breaks ties. */
export type Key = [string | number, number];

/** Compares two keys ascending; `direction` -1 flips both parts. */
export function compareKeys(a: Key, b: Key, direction: 1 | -1 = 1): number {
  const av = a[0];
  const bv = b[0];
  let c = av < bv ? -1 : av > bv ? 1 : 0;
  if (c === 0) c = a[1] - b[1];
  return c * direction;
}

/**
 * Returns the cursor text for a key, prefixed by the sort name so a cursor from another sort is refused.
 *
 * @example
 * ```ts
 * encodeCursor("name", ["garcia", 7]) // "WyJuYW1lIiwiZ2FyY2lhIiw3XQ"
 * ```
 */
export function encodeCursor(sort: string, key: Key): string {
  return Buffer.from(JSON.stringify([sort, key[0], key[1]]), "utf8").toString("base64url");
}

/** Returns the key in a cursor; throws HttpError(400) when it is malformed or from another sort. */
export function decodeCursor(sort: string, cursor: string): Key {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    parsed[0] !== sort ||
    (typeof parsed[1] !== "string" && typeof parsed[1] !== "number") ||
    !Number.isInteger(parsed[2])
  ) {
    throw badCursor();
  }
  return [parsed[1], parsed[2]];
}

function badCursor(): HttpError {
  return new HttpError(400, "The cursor is not one this endpoint issued for this sort; start again without it", { code: "bad-cursor" });
}

/**
 * Returns up to `limit` items of `sorted` after `after` that pass `keep`, and the key of the last
 * one when more remain.
 *
 * @example
 * ```ts
 * const { items, nextKey } = pageAfter(sorted, (a) => [a.name, a.id], 1, undefined, () => true, 50);
 * ```
 */
export function pageAfter<T>(
  sorted: readonly T[],
  keyOf: (item: T) => Key,
  direction: 1 | -1,
  after: Key | undefined,
  keep: (item: T) => boolean,
  limit: number,
): { items: T[]; nextKey: Key | undefined } {
  let start = 0;
  if (after !== undefined) {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(keyOf(sorted[mid]), after, direction) <= 0) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const items: T[] = [];
  for (let i = start; i < sorted.length; i++) {
    const item = sorted[i];
    if (!keep(item)) continue;
    if (items.length === limit) return { items, nextKey: keyOf(items[items.length - 1]) };
    items.push(item);
  }
  return { items, nextKey: undefined };
}

/**
 * Reads `limit` from a query: default `fallback`, an integer 1..max, else HttpError(400). An empty
 * value never gets here: App.handle() drops it (dropEmptyValues), as the parameter left out.
 */
export function parseLimit(value: string | null, fallback: number, max: number): number {
  if (value === null) return fallback;
  if (!/^\d{1,7}$/.test(value)) throw new HttpError(400, `limit must be an integer from 1 to ${max}; got '${value.slice(0, 40)}'`, { code: "bad-parameter" });
  const n = Number(value);
  if (n < 1 || n > max) throw new HttpError(400, `limit must be an integer from 1 to ${max}; got ${n}`, { code: "bad-parameter" });
  return n;
}

/**
 * Reads the keyset paging parameters of a list request: `limit` (default `fallback`, 1..`max`)
 * and `cursor` (decoded for `sort`; a cursor made for another sort, or whose key `keyFits` refuses,
 * is refused). Throws HttpError(400) for either being malformed, so every list endpoint refuses
 * them alike. `keyFits` is required: every sort says what its keys are (`integerKey`, `textKey`).
 *
 * @example
 * ```ts
 * pageQuery(new URLSearchParams("limit=2"), "degree", 50, 1000, integerKey) // { limit: 2, after: undefined }
 * ```
 */
export function pageQuery(
  query: URLSearchParams,
  sort: string,
  fallback: number,
  max: number,
  keyFits: (key: Key) => boolean,
): { limit: number; after: Key | undefined } {
  const limit = parseLimit(query.get("limit"), fallback, max);
  const cursor = query.get("cursor");
  const after = cursor === null ? undefined : decodeCursor(sort, cursor);
  // A key of the wrong type is no position the endpoint issued: in SQL it would be the database's
  // error (a 500), in memory a page from anywhere (text compares with a number as neither less nor
  // greater). An edited cursor is the client's 400 like any other.
  if (after !== undefined && !keyFits(after)) throw badCursor();
  return { limit, after };
}

/** `keyFits` of a sort whose value is an integer (an id, a degree, a version, a pair's first id). */
export const integerKey = ([value]: Key): boolean => Number.isSafeInteger(value);

/** `keyFits` of a sort whose value is text (a name). */
export const textKey = ([value]: Key): boolean => typeof value === "string";

/**
 * Returns the `next_cursor` of a page from pageAfter(): the encoded key of its last item, or
 * null at the end.
 *
 * @example
 * ```ts
 * nextCursor("pair", { nextKey: undefined }) // null
 * ```
 */
export function nextCursor(sort: string, page: { nextKey: Key | undefined }): string | null {
  return page.nextKey === undefined ? null : encodeCursor(sort, page.nextKey);
}
