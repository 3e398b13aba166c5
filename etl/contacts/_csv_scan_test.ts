import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { physicalLine, readWidth, scanCsvFile } from "./_csv_scan.ts";

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
    assert.equal(scan.unterminatedQuoteTo, 3, "the last line with text inside it");
    assert.equal(scan.records, 2);
    // A `""` at a line's start inside the field is an escaped quote: the field opened on line 2.
    const escaped = scanText('a,b\n1,"oops\n"",x\n2,3\n\n');
    assert.deepEqual([escaped.unterminatedQuoteLine, escaped.unterminatedQuoteTo], [2, 4]);
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

/** The scanner's rules one byte at a time, the way it was first written: the oracle for the one that jumps. */
function scanBytes(bytes: Buffer): { records: number; extras: Array<[number, number]>; blanks: number[]; unterminatedQuoteLine: number | null; unterminatedQuoteTo: number | null } {
  let line = 1;
  let record = 0;
  let recordLine = 1;
  let inQuotes = false;
  let quoteLine = 0;
  let quotedTo = 0;
  let empty = true;
  let previousCR = false;
  let extra = 0;
  let closedAt = -2;
  const extras: Array<[number, number]> = [];
  const blanks: number[] = [];
  const endRecord = () => {
    if (empty) blanks.push(record);
    const offset = recordLine - (record + 1);
    if (offset !== extra) {
      extras.push([record, offset]);
      extra = offset;
    }
    record++;
    empty = true;
  };
  for (let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (previousCR) {
      previousCR = false;
      if (c === 10) continue;
    }
    if (inQuotes) {
      if (c === 34) {
        inQuotes = false;
        closedAt = i;
        quotedTo = line;
      } else if (c === 10 || c === 13) {
        line++;
        previousCR = c === 13;
      } else quotedTo = line;
      continue;
    }
    if (c === 10 || c === 13) {
      previousCR = c === 13;
      endRecord();
      line++;
      recordLine = line;
      continue;
    }
    empty = false;
    // A quote opens a quoted field only at a field's start, after one space there (as DuckDB reads
    // `, "Flat 2`; not after two), or right after a closing quote (`""`).
    const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    const fieldStart = (at: number) => at === start || [44, 10, 13].includes(bytes[at - 1]);
    // The second quote of an escaped `""` keeps the field's opening line.
    if (c === 34 && closedAt === i - 1) {
      inQuotes = true;
      quotedTo = line;
    } else if (c === 34 && (fieldStart(i) || (bytes[i - 1] === 32 && i - 1 >= start && fieldStart(i - 1)))) {
      inQuotes = true;
      quoteLine = line;
      quotedTo = line;
    }
  }
  if (!empty || inQuotes) endRecord();
  return { records: record, extras, blanks, unterminatedQuoteLine: inQuotes ? quoteLine : null, unterminatedQuoteTo: inQuotes ? quotedTo : null };
}

test("scanCsvFile() agrees with a byte-by-byte reading on random files of quotes, commas, CR, LF and text, in any chunk size", () => {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const alphabet = ['"', ",", "\r", "\n", "a", "é", " "];
  for (let round = 0; round < 300; round++) {
    const text = (random() < 0.2 ? "\uFEFF" : "") + Array.from({ length: Math.floor(random() * 60) }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
    const expected = scanBytes(Buffer.from(text));
    // A byte-order mark is looked for in a first chunk of 3 bytes or more.
    for (const chunkSize of text.startsWith("\uFEFF") ? [3, 5, 4 << 20] : [1, 2, 5, 4 << 20]) {
      const scan = scanText(text, chunkSize);
      assert.deepEqual(
        { records: scan.records, extras: scan.extras, blanks: scan.blanks, unterminatedQuoteLine: scan.unterminatedQuoteLine, unterminatedQuoteTo: scan.unterminatedQuoteTo },
        expected,
        `${JSON.stringify(text)} in chunks of ${chunkSize}`,
      );
    }
  }
});

test("scanCsvFile() names the same line for the first byte that is not UTF-8 whatever the chunk size (a CRLF split across chunks is one line end)", () => {
  const dir = mkdtempSync(join(tmpdir(), "scanline-"));
  try {
    const path = join(dir, "c.csv");
    writeFileSync(path, Buffer.from("first_name,last_name,email\r\nAna,Ruiz,a@x\r\nJose,Pe\xf1a,j@x\r\n", "latin1"));
    for (let size = 1; size <= 64; size++) assert.deepEqual(scanCsvFile(path, size).notUtf8, { line: 3, byte: 0xf1 }, `chunk size ${size}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("scanCsvFile() finds the widest row at the file's start, and readWidth() drops the header's unnamed last columns no row there has", () => {
  const width = (text: string) => {
    const scan = scanText(text);
    return [scan.widestRow, readWidth(scan)];
  };
  assert.deepEqual(width("a,b,\n1,2\n"), [2, 2]);
  assert.deepEqual(width("a,b,\r\n\r\n1,2\r\n"), [2, 2], "blank lines before the first row");
  assert.deepEqual(width('a,b,,\n"1,\n1",2\n'), [2, 2], "quoted separators and line ends are inside a field");
  assert.deepEqual(width("a,b,\n1,2,\n"), [2, 2], "rows with an empty field there: read either way, as the rows' values");
  assert.deepEqual(width("a,b,\n1,2,x\n"), [3, 3], "rows with a value there: the header's width");
  assert.deepEqual(width("a,,b\n1,2\n"), [2, 3], "an unnamed column between named ones is kept");
  assert.deepEqual(width("a,b,,\n1,2\n,,\n"), [2, 2], "several unnamed columns; an all-empty row says nothing");
  assert.deepEqual(width("a,b,\n1"), [1, 2], "a row that is one field: the named columns stay");
  assert.deepEqual(width("a,b,\n1,2\n3,4,note\n"), [3, 3], "one row with a value there: the header's width (review)");
  assert.deepEqual(width('a,b,c,\n24" screen,2,3\n1,2,3,note\n'), [4, 4], "a quote inside a field opens nothing, as DuckDB reads it (review)");
  assert.deepEqual(width('a,b,\n "x,y",2\n'), [2, 2], "a quote after one space opens a field, as DuckDB reads it");
  assert.deepEqual(width("a,b,\u200b\n1,2\n"), [2, 2], "a last name of a zero-width space alone is unnamed, as mapCsvHeader() says (review)");
  assert.deepEqual(width("a,b,\u3164 \n1,2\n"), [2, 2], "a Hangul filler and a space: unnamed too");
  assert.deepEqual(width("a,b,\n"), [null, 3], "no data row");
  const long = `a,b,\n${"x".repeat(70_000)},2\n`;
  assert.deepEqual(width(long), [null, 3], "a first row past the first 64 KiB: not guessed");
});
