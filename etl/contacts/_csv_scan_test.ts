import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { physicalLine, scanCsvFile } from "./_csv_scan.ts";

function scanText(text: string, chunkSize?: number) {
  const dir = mkdtempSync(join(tmpdir(), "csv-scan-"));
  try {
    const path = join(dir, "x.csv");
    writeFileSync(path, text);
    return scanCsvFile(path, chunkSize);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("scanCsvFile() finds the physical line of each record", async (t) => {
  const text = '\uFEFF"a ""x""",b\r\n"1\r\n2",3\n\n4,"5,6"\r7,8';
  for (const chunkSize of [3, 7, 4 << 20]) {
    await t.test(`quoted newlines, CRLF, CR and blank lines (chunks of ${chunkSize} bytes)`, () => {
      const scan = scanText(text, chunkSize);
      assert.deepEqual(scan.header, ['a "x"', "b"]);
      assert.equal(scan.records, 5);
      assert.deepEqual([0, 1, 2, 3, 4].map((r) => physicalLine(scan, r)), [1, 2, 4, 5, 6]);
      assert.deepEqual(scan.blanks, [2]);
      assert.equal(scan.unterminatedQuoteLine, null);
      assert.equal(scan.sha256, createHash("sha256").update(text).digest("hex"));
    });
  }
  await t.test("a trailing newline makes no extra record", () => {
    assert.equal(scanText("a\n1\n").records, 2);
  });
  await t.test("an unterminated quote is reported with its line", () => {
    const scan = scanText('a,b\n1,"oops\n2,3\n');
    assert.equal(scan.unterminatedQuoteLine, 2);
    assert.equal(scan.records, 2);
  });
  await t.test("an empty file has no records and a blank header", () => {
    const scan = scanText("");
    assert.equal(scan.records, 0);
    assert.equal(scan.headerBlank, true);
  });
  await t.test("memory is sparse: a file without quoted newlines keeps no line map", () => {
    const scan = scanText("a,b\n" + "1,2\n".repeat(10_000));
    assert.deepEqual(scan.extras, []);
    assert.equal(scan.records, 10_001);
  });
});
