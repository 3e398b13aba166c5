import { test } from "node:test";
import assert from "node:assert/strict";
import { scanCsv } from "./_csv_scan.ts";

test("scanCsv() finds the physical line of each record", async (t) => {
  await t.test("quoted newlines, CRLF, CR and blank lines", () => {
    const scan = scanCsv('\uFEFF"a ""x""",b\r\n"1\r\n2",3\n\n4,"5,6"\r7,8');
    assert.deepEqual(scan.header, ['a "x"', "b"]);
    assert.deepEqual(
      scan.records.map((r) => [r.line, r.fields, r.blank]),
      [
        [1, 2, false],
        [2, 2, false],
        [4, 0, true],
        [5, 2, false],
        [6, 2, false],
      ],
    );
    assert.equal(scan.unterminatedQuoteLine, null);
  });
  await t.test("a trailing newline makes no extra record", () => {
    assert.equal(scanCsv("a\n1\n").records.length, 2);
  });
  await t.test("an unterminated quote is reported with its line", () => {
    const scan = scanCsv('a,b\n1,"oops\n2,3\n');
    assert.equal(scan.unterminatedQuoteLine, 2);
    assert.equal(scan.records.length, 2);
  });
  await t.test("an empty text has no records", () => {
    assert.deepEqual(scanCsv("").records, []);
  });
});
