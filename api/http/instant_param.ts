/**
 * Instants in query strings (`/runs?since=`, `/changes?since=`), parsed one way for every route.
 */
import { HttpError } from "./http_error.ts";

/**
 * The instant query parameter `name` says, in microseconds since the epoch (a safe integer until
 * the year 2255, an instant past either end held at it); null when left out. It takes an RFC 3339 date-time (`2026-03-03T08:00:00Z`,
 * `2026-03-03T09:00:00.5+01:00`), the same without seconds or without an offset (read as UTC, as
 * `/changes` always did), or a date (its start, UTC). Anything else, or a date or time that does not
 * exist (`2026-02-30`, `25:00`), is its 400 `bad-parameter`: a typo must not read as "everything".
 * Microseconds, not ms: DuckDB's timestamps hold them, and a bound at `.123456` must not let a
 * change at `.123100` in.
 *
 * @example
 * ```ts
 * instantParam(new URLSearchParams("since=2026-03-03T09:00:00+01:00"), "since") // Date.UTC(2026, 2, 3, 8) * 1000
 * ```
 */
export function instantParam(query: URLSearchParams, name: string): number | null {
  const text = query.get(name);
  if (text === null) return null;
  const bad = () =>
    new HttpError(400, `${name} must be an RFC 3339 date-time such as 2026-03-03T08:00:00Z or 2026-03-03T09:00:00+01:00 (UTC when it has no offset), or a date such as 2026-03-03 (its start, UTC); got '${text.slice(0, 40)}'`, {
      code: "bad-parameter",
    });
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})?)?$/.exec(text);
  if (m === null) throw bad();
  const [, y, mo, d, h = "00", mi = "00", sec = "00", frac = "", zone = "Z"] = m;
  // Date.UTC rolls 2026-02-30 over to March: a field out of range is no instant the client meant.
  // setUTCFullYear, not Date.UTC: that reads the years 0 to 99 as 1900 to 1999.
  const check = new Date(0);
  check.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  check.setUTCHours(Number(h), Number(mi), Number(sec));
  const fields = check.getTime();
  const same = [check.getUTCFullYear(), check.getUTCMonth() + 1, check.getUTCDate(), check.getUTCHours(), check.getUTCMinutes(), check.getUTCSeconds()];
  if (same.some((value, i) => value !== Number([y, mo, d, h, mi, sec][i]))) throw bad();
  const sign = zone[0] === "-" ? -1 : 1;
  const offset = zone.toUpperCase() === "Z" ? 0 : sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  if (Math.abs(offset) >= 24 * 60 || Number(zone.slice(4, 6) || 0) > 59) throw bad();
  const micros = frac === "" ? 0 : Math.floor(Number(`0${frac}`) * 1e6 + 1e-6);
  // Past the safe integers (after 2255-06-05, before 1684-07-28) held at their end: still later
  // (earlier) than any run or change, where the rounded value was year 10000, no TIMESTAMP (a 500).
  const instant = (fields - offset * 60_000) * 1000 + micros;
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, instant));
}

/** An instant from instantParam() as DuckDB's TIMESTAMP text in UTC: `2026-03-03 08:00:00.123456`. */
export function utcTimestampText(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const frac = String(micros - ms * 1000 + (((ms % 1000) + 1000) % 1000) * 1000).padStart(6, "0");
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")}.${frac}`;
}
