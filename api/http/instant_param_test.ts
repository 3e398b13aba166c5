import assert from "node:assert/strict";
import { test } from "node:test";
import { HttpError } from "./http_error.ts";
import { instantParam, utcTimestampText } from "./instant_param.ts";

const at = (text: string) => instantParam(new URLSearchParams({ since: text }), "since");

test("instantParam(): RFC 3339 date-times, dates, and times without an offset as UTC, in microseconds", () => {
  const eight = Date.UTC(2026, 2, 3, 8) * 1000;
  assert.equal(at("2026-03-03T08:00:00Z"), eight);
  assert.equal(at("2026-03-03T09:00:00+01:00"), eight);
  assert.equal(at("2026-03-03t03:30:00-04:30"), eight);
  assert.equal(at("2026-03-03 08:00:00"), eight, "no offset: UTC, as /changes always read it");
  assert.equal(at("2026-03-03T08:00"), eight, "no seconds");
  assert.equal(at("2026-03-03"), Date.UTC(2026, 2, 3) * 1000);
  assert.equal(at("2026-03-03T08:00:00.123456Z"), eight + 123456, "microseconds kept");
  assert.equal(at("2026-03-03T08:00:00.5Z"), eight + 500000);
  assert.equal(at("2026-03-03T08:00:00.123456789Z"), eight + 123456, "past microseconds: cut");
  assert.equal(instantParam(new URLSearchParams(), "since"), null);
});

test("instantParam(): what is no instant is a 400 bad-parameter naming the parameter", () => {
  for (const text of ["yesterday", "2026-02-30", "2026-13-01", "2026-03-03T25:00:00Z", "2026-03-03T08:61Z", "2026-03-03T08:00:00+24:00", "2026-03-03T08:00:00+01:60", "2026-03-03T08:00:00.Z", "1772524800"]) {
    assert.throws(() => at(text), (error: unknown) => error instanceof HttpError && error.status === 400 && error.code === "bad-parameter" && error.message.startsWith("since must be") && error.message.includes(`'${text}'`), text);
  }
});

test("utcTimestampText(): DuckDB's TIMESTAMP text of the instant, to the microsecond", () => {
  assert.equal(utcTimestampText(at("2026-03-03T09:00:00.000042+01:00")!), "2026-03-03 08:00:00.000042");
  assert.equal(utcTimestampText(at("2026-03-03T08:00:00.999999Z")!), "2026-03-03 08:00:00.999999");
  assert.equal(utcTimestampText(at("1969-12-31T23:59:59.5Z")!), "1969-12-31 23:59:59.500000");
  // Beyond the safe microseconds (after 2255-06-05, before 1684-07-28) an instant is held at their
  // end: later or earlier than any run or change, and text DuckDB casts (year 9999's last
  // microsecond was rounded to '+010000-01-01', a 500 from /changes).
  assert.equal(utcTimestampText(at("9999-12-31T23:59:59.999999Z")!), "2255-06-05 23:47:34.740991");
  assert.equal(utcTimestampText(at("0001-01-01")!), "1684-07-28 00:12:25.259009");
  assert.ok(at("2300-01-01")! > at("2255-06-05T23:47:34Z")!);
});

test("instantParam(): years 0000 to 0099 are those years, not 1900 to 1999 (Date.UTC's reading), and below 1970", () => {
  assert.ok(at("0099-12-31")! < at("1900-01-01")!);
  assert.ok(at("0050-06-01T12:00:00Z")! < at("1684-07-29")!);
  assert.equal(at("1969-12-31T23:00:00-01:00"), 0);
});
