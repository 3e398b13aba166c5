import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../db/mod.ts";
import { hasLetter, hasLetterSql, noLetterProblem, noLetterProblemSql } from "./_letters.ts";

test("hasLetter() and its SQL agree on every code point, and their messages on every one refused", async () => {
  // Before, each side read \p{L} from its own engine's tables (Node's Unicode 17.0, RE2's 15.0):
  // 9,568 code points were letters to the API and not to the CSV load. This fails when a newer Node
  // or DuckDB moves either table past what _letters.ts takes out.
  const dir = mkdtempSync(join(tmpdir(), "letters-"));
  const db = await Database.open(join(dir, "letters.duckdb"));
  try {
    const rows = await db.all<{ cp: bigint; letter: boolean; problem: string | null }>(
      `SELECT i AS cp, ${hasLetterSql("c")} AS letter, CASE WHEN NOT ${hasLetterSql("c")} THEN ${noLetterProblemSql("c")} END AS problem
         FROM (SELECT i, chr(i::INTEGER) AS c FROM range(0, 1114112) t(i) WHERE i < 55296 OR i > 57343) ORDER BY i`,
    );
    assert.equal(rows.length, 1114112 - 2048);
    const differ: string[] = [];
    for (const r of rows) {
      const text = String.fromCodePoint(Number(r.cp));
      const js = hasLetter(text);
      const jsProblem = js ? null : noLetterProblem(text);
      if (js !== r.letter || jsProblem !== r.problem) differ.push(`U+${Number(r.cp).toString(16).toUpperCase()}: JavaScript ${jsProblem ?? "letter"}, SQL ${r.problem ?? "letter"}`);
    }
    assert.deepEqual(differ.slice(0, 20), [], `${differ.length} code points differ`);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a name of newer letters only is refused naming the first of them; beside an older letter it is a name", () => {
  assert.equal(hasLetter("\u{10D50}\u{10D51}"), false);
  assert.equal(noLetterProblem("😀\u{10D50}"), "must contain at least one letter (of any script) of Unicode 15.0 or earlier; U+10D50 is a newer letter, not accepted yet");
  assert.equal(noLetterProblem("\u{88F}"), "must contain at least one letter (of any script) of Unicode 15.0 or earlier; U+088F is a newer letter, not accepted yet");
  assert.equal(noLetterProblem("123"), "must contain at least one letter (of any script)");
  for (const name of ["Ann \u{10D50}", "李\u{2EBF0}", "\u{A7CB}é"]) assert.equal(hasLetter(name), true, name);
});
