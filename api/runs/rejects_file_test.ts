// readRejects() over real files: the first rows parse only the start of the file, the total is
// exact (quoted line breaks, CRLF, blank lines, records across the 1 MiB read boundary) and each
// file is counted once, so /runs/{id}/rejects?limit=20 costs the same for 10 or 1,000,000 rejects.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readRejects, RejectTotals } from "./rejects_file.ts";

const HEADER = "line,field,reason,value\r\n";

function rows(n: number, value: (i: number) => string): string {
  let text = HEADER;
  for (let i = 0; i < n; i++) text += `${i + 2},email,must be an e-mail address,${value(i)}\r\n`;
  return text;
}

async function withFile<T>(text: string, f: (path: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "rejects-file-"));
  try {
    const path = join(dir, "contacts-x.csv");
    writeFileSync(path, text);
    return await f(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("readRejects() parses only the first rows of a large file and counts it once", async () => {
  const text = rows(60_000, (i) => `person${i}@nowhere`); // about 3.3 MB
  await withFile(text, async (path) => {
    const totals = new RejectTotals();
    for (let round = 0; round < 3; round++) {
      const handle = await open(path);
      try {
        const { items, total, bytesRead } = await readRejects(handle, 20, totals);
        assert.equal(total, 60_000);
        assert.equal(items.length, 20);
        assert.deepEqual(items[19], { line: 21, field: "email", reason: "must be an e-mail address", value: "person19@nowhere" });
        assert.ok(bytesRead <= 64 * 1024, `read ${bytesRead} of ${text.length} bytes for 20 rows`);
      } finally {
        await handle.close();
      }
    }
    assert.equal(totals.scans, 1, "the file was counted once, not on every request");
  });
});

test("readRejects() totals agree with a full parse on tricky files", async (t) => {
  const mib = 1 << 20;
  const cases: Record<string, string> = {
    "quoted line breaks, commas and doubled quotes": rows(500, (i) => (i % 3 === 0 ? `"multi\r\nline ""${i}"", with\ncomma"` : `v${i}`)),
    "LF only, no final line end": (HEADER + "2,a,b,c\n3,a,b,\"x\ny\"\n4,a,b,c").replace("\r\n", "\n"),
    "blank lines and a lone CR are no records": HEADER + "\r\n2,a,b,c\r\n\n\r\r\n3,a,b,c\r\n\r\n",
    "a quoted field across the 1 MiB read boundary": HEADER + `2,a,b,"${"x".repeat(mib - HEADER.length - 10)}\n"""\n\n"\r\n3,a,b,c\r\n`,
    "a line end right at the boundary": HEADER + `2,a,b,${"y".repeat(mib - HEADER.length - 9)}\n3,a,b,c\n`,
    "an unclosed quote to the end": HEADER + '2,a,b,"never closed\n3,a,b,c\n',
    "only a header": HEADER,
    "empty": "",
  };
  for (const [name, text] of Object.entries(cases)) {
    await t.test(name, () =>
      withFile(text, async (path) => {
        const handle = await open(path);
        try {
          const parsed = await readRejects(handle, Number.MAX_SAFE_INTEGER, new RejectTotals());
          assert.equal(parsed.total, parsed.items.length);
        } finally {
          await handle.close();
        }
      }),
    );
  }
});
