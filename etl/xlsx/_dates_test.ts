import { test } from "node:test";
import assert from "node:assert/strict";
import { excelSerialToDate, isBuiltinDateFormat, isDateFormatCode, parseIsoDate } from "./_dates.ts";

test("isDateFormatCode() looks for d/m/y/h/s outside quotes, brackets and escapes", () => {
  for (const code of ["dd/mm/yyyy", "yyyy-mm-dd hh:mm:ss", "mmm d", "h:mm AM/PM", "[$-409]d-mmm-yy", "[Red]dd/mm/yyyy", 'd "de" mmmm', "mm:ss.0"]) {
    assert.equal(isDateFormatCode(code), true, code);
  }
  for (const code of ["General", "0.00", "#,##0", '0.00" días"', "[Red][<0]0;0", "0%", "@", "\\d0", "_m0", "*d0", "0.00E+00", "[h]", '"dd/mm"0']) {
    assert.equal(isDateFormatCode(code), false, code);
  }
});

test("isBuiltinDateFormat() knows the built-in date ids", () => {
  for (const id of [14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47]) assert.equal(isBuiltinDateFormat(id), true, String(id));
  for (const id of [0, 1, 2, 9, 10, 11, 12, 13, 23, 37, 44, 48, 49]) assert.equal(isBuiltinDateFormat(id), false, String(id));
});

test("excelSerialToDate() handles both epochs and the 1900 leap-year bug", () => {
  const iso = (n: number, d1904 = false) => excelSerialToDate(n, d1904)?.toISOString();
  assert.equal(iso(1), "1900-01-01T00:00:00.000Z");
  assert.equal(iso(59), "1900-02-28T00:00:00.000Z");
  assert.equal(iso(61), "1900-03-01T00:00:00.000Z");
  assert.equal(iso(45306.75), "2024-01-15T18:00:00.000Z");
  // A time alone sits on 1899-12-30, as a t="d" time alone does (before: 1899-12-31, a day apart).
  assert.equal(iso(0.5), "1899-12-30T12:00:00.000Z");
  assert.equal(iso(0), "1899-12-30T00:00:00.000Z");
  assert.equal(iso(1.5), "1900-01-01T12:00:00.000Z");
  assert.equal(iso(0, true), "1904-01-01T00:00:00.000Z");
  assert.equal(iso(43844, true), "2024-01-15T00:00:00.000Z");
  assert.equal(excelSerialToDate(-1, false), undefined);
  assert.equal(excelSerialToDate(3e6, false), undefined);
});

test("parseIsoDate() reads t=\"d\" values", () => {
  assert.equal(parseIsoDate("2024-02-29")?.toISOString(), "2024-02-29T00:00:00.000Z");
  assert.equal(parseIsoDate("2024-02-29T10:11:12.5")?.toISOString(), "2024-02-29T10:11:12.500Z");
  assert.equal(parseIsoDate("2024-02-29T10:11:12+02:00")?.toISOString(), "2024-02-29T08:11:12.000Z");
  assert.equal(parseIsoDate("10:30:00")?.toISOString(), "1899-12-30T10:30:00.000Z");
  assert.equal(parseIsoDate("yesterday"), undefined);
  assert.equal(parseIsoDate("2024-13-01"), undefined);
  assert.equal(parseIsoDate("2000-02-29")?.toISOString(), "2000-02-29T00:00:00.000Z");
  assert.equal(parseIsoDate("2024-12-31T23:59:59.999-01:00")?.toISOString(), "2025-01-01T00:59:59.999Z");
});

test("parseIsoDate() refuses dates and times that do not exist instead of moving them to another day", () => {
  // Before, only month <= 12 and day <= 31 were checked and Date.UTC rolled the rest over:
  // 2024-02-30 read as 1 March, month 00 as the December before, 24:30 as the next day, and the
  // years 0000-0099 as 1900-1999.
  for (const text of ["2024-02-30", "2023-02-29", "1800-02-29", "2024-00-10", "2024-04-31", "2024-01-00", "2024-01-01T24:30:00", "2024-01-01T25:00", "2024-01-01T24:00:00.5", "2024-01-01T10:60", "2024-01-01T10:00:60", "2024-01-01T10:00+24:00", "2024-01-01T10:00+01:60", "24:01", "12:60:00"]) {
    assert.equal(parseIsoDate(text), undefined, text);
  }
  // 1900-02-29 is Excel's serial 60, read as the serial is (1 March 1900); it was refused.
  assert.equal(parseIsoDate("1900-02-29")?.toISOString(), excelSerialToDate(60, false)?.toISOString());
  assert.equal(parseIsoDate("1900-02-29T23:00:00-02:00")?.toISOString(), "1900-03-02T01:00:00.000Z");
  // 24:00:00 is how ISO 8601 writes the end of a day: the next day's midnight.
  assert.equal(parseIsoDate("2024-02-29T24:00:00")?.toISOString(), "2024-03-01T00:00:00.000Z");
  assert.equal(parseIsoDate("2024-12-31T24:00")?.toISOString(), "2025-01-01T00:00:00.000Z");
  // Years before 100 are those years, not 19xx.
  assert.equal(parseIsoDate("0099-12-31")?.getUTCFullYear(), 99);
  assert.equal(parseIsoDate("0001-01-01T12:00:00Z")?.toISOString(), "0001-01-01T12:00:00.000Z");
  assert.equal(parseIsoDate("0000-02-29")?.getUTCFullYear(), 0); // 1 BC, a leap year
});
