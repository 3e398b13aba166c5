import { test } from "node:test";
import assert from "node:assert/strict";
import { inWorker } from "../../scripts/testing/in_worker.ts";
import { BLANK_AT_ENDS, BLANK_LOOKING, csvField, firstLine, fold, isBlank, oneLine, shorten, terminalText, trimBlank, trimUnseen } from "./mod.js";

test("fold() removes accents and case, and folds null to ''", () => {
  assert.equal(fold("Peña Díaz"), "pena diaz");
  assert.equal(fold("SALÉS"), "sales");
  assert.equal(fold("Ñandú"), "nandu");
  // A combining mark outside U+0300-036F (here U+1DC4) is still a mark.
  assert.equal(fold("a\u1dc4b"), "ab");
  // The Greek final sigma: a capital Σ lower-cases to σ (or ς at a word's end, in JavaScript), a
  // typed ς stays ς; both spellings of a name must meet.
  assert.equal(fold("ΠΑΠΑΔΟΠΟΥΛΟΣ"), fold("Παπαδόπουλος"));
  assert.equal(fold("Παπαδόπουλος"), "παπαδοπουλοσ");
  assert.equal(fold(null), "");
  assert.equal(fold(undefined), "");
});

test("csvField() neutralises every formula start OWASP lists", async (t) => {
  for (const text of ["=1+1", "+1", "-1", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\tx", "\rx", "-x"]) {
    await t.test(JSON.stringify(text), () => {
      const field = csvField(text);
      const unquoted = field.startsWith('"') ? field.slice(1, -1).replaceAll('""', '"') : field;
      assert.equal(unquoted, `'${text}`);
    });
  }
});

test("csvField() guards text that already starts with the guard, so the contacts load (which takes one ' off) reads it back as it was", () => {
  assert.equal(csvField("'+1 504"), "''+1 504");
  assert.equal(csvField("'-Co"), "''-Co");
  assert.equal(csvField("'=x"), "''=x");
  assert.equal(csvField("'Tis Co"), "'Tis Co", "an apostrophe before anything else is left alone");
});

test("csvField() writes numbers as numbers, negative ones included (the documented exception)", () => {
  assert.equal(csvField(-5), "-5");
  assert.equal(csvField(12), "12");
  assert.equal(csvField(12n), "12");
  assert.equal(csvField(true), "true");
  assert.equal(csvField("-5"), "'-5");
});

test("csvField() quotes commas, quotes and newlines, joins lists and writes dates as ISO", () => {
  assert.equal(csvField("a,b"), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField("two\nlines"), '"two\nlines"');
  // A bare CR ends a record for spreadsheets and DuckDB's reader alike (an address typed on a Mac).
  assert.equal(csvField("Flat 2\r1 Main St"), '"Flat 2\r1 Main St"');
  assert.equal(csvField("Flat 2\r\n1 Main St"), '"Flat 2\r\n1 Main St"');
  assert.equal(csvField(["a", "b"]), "a; b");
  // A ";" inside an item doubled, so that the contacts load reads the item back whole.
  assert.equal(csvField(["R; D", ";x;", "b"]), "R;; D; ;;x;;; b");
  assert.equal(csvField(new Date("2026-01-02T03:04:05Z")), "2026-01-02T03:04:05.000Z");
  assert.equal(csvField(null), "");
  assert.equal(csvField(undefined), "");
  assert.equal(csvField("plain"), "plain");
});

test("terminalText() escapes control characters so text from files cannot drive the terminal", () => {
  assert.equal(terminalText("Título ok"), "Título ok");
  assert.equal(terminalText("\u001b]0;pwned\u0007"), "\\u001b]0;pwned\\u0007");
  assert.equal(terminalText("a\u0000b\rc\u007fd\u009be"), "a\\u0000b\\u000dc\\u007fd\\u009be");
  // Line breaks and tabs lay out our own reports: kept.
  assert.equal(terminalText("line 1\n\tline 2"), "line 1\n\tline 2");
});

test("terminalText() keeps a JSON line valid JSON with the same value", () => {
  const value = { path: "/a\u009b2J\u007f", name: "\u001b]0;x\u0007" };
  const line = terminalText(JSON.stringify(value));
  assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f]/);
  assert.deepEqual(JSON.parse(line), value);
});

test("firstLine() keeps the first line of an error's message, or of a thrown value", () => {
  assert.equal(firstLine(new Error("IO Error: No space left on device\n\nLINE 1: COPY (SELECT 1)")), "IO Error: No space left on device");
  assert.equal(firstLine("plain"), "plain");
  assert.equal(firstLine(42), "42");
});

test("shorten() cuts to max characters (code points), its first max - 3 and '...', looking at the start only", () => {
  assert.equal(shorten("Ana", 60), "Ana");
  assert.equal(shorten("x".repeat(60), 60), "x".repeat(60));
  assert.equal(shorten("x".repeat(61), 60), `${"x".repeat(57)}...`);
  assert.equal(shorten("😀".repeat(60), 60), "😀".repeat(60), "60 emoji are 60 characters, not 120");
  assert.equal(shorten("😀".repeat(61), 60), `${"😀".repeat(57)}...`, "never half a pair");
  for (const text of ["a😀".repeat(40), `${"😀".repeat(31)}a`, "\ud800".repeat(70), "é".repeat(1_000_000)]) {
    const whole = Array.from(text);
    assert.equal(shorten(text, 60), whole.length > 60 ? `${whole.slice(0, 57).join("")}...` : text);
  }
});

test("oneLine() escapes line breaks (LF, CR, U+2028, U+2029) and leaves the rest to terminalText()", () => {
  assert.equal(oneLine("x\nRelationships: published"), "x\\u000aRelationships: published");
  assert.equal(oneLine("a\r\nb\u2028c\u2029d"), "a\\u000d\\u000ab\\u2028c\\u2029d");
  assert.equal(oneLine("tab\tand \u001b stay"), "tab\tand \u001b stay");
});

test("trimUnseen() takes whitespace and invisible formatting characters off both ends, as the regular expression it replaced", () => {
  const old = (text: string): string => text.replace(/^[\s\p{Cf}]+|[\s\p{Cf}]+$/gu, "");
  const cases = [
    "", " ", "Sales", " Sales ", "\u200b Sales\u2060 ", "\ufeff\u00a0\u3000a b\u2028\u2029\t\n\r\v\f",
    "a\u200b", "\u200ca\u200d", "\u{e0020}a\u{e0020}", "\u{1d173}\u{1d17a}", "\u{1f600} x \u{1f600}",
    "\ud800 a \udc00", " \udc00", "\ud800 ", "a\ud800\udc00", "\u00ad-\u202e", "\u200b \u200b \u200b", "a  \u200b  b",
  ];
  for (const text of cases) assert.equal(trimUnseen(text), old(text), JSON.stringify(text));
  assert.equal(trimUnseen("\u200b Sales\u2060 "), "Sales");
});

test("trimUnseen() and trimBlank() take the characters that show as nothing off both ends (BLANK_LOOKING but the variation selectors)", () => {
  // Before: 'Sales\u3164' was kept as it was, a department beside 'Sales' that looks the same.
  for (const [text, trimmed] of [["Sales\u3164", "Sales"], ["\u3164Sales", "Sales"], ["\u115f \u200bSales\u1160\uffa0\u2800", "Sales"], ["\u034fSales\u17b4\u17b5", "Sales"],
    ["영\u3164업", "영\u3164업"], ["\u2708\ufe0f", "\u2708\ufe0f"], ["\u845b\u{e0100}", "\u845b\u{e0100}"], ["\u3164", ""]]) {
    assert.equal(trimUnseen(text), trimmed, JSON.stringify(text));
  }
  // trimBlank() (a person's name) leaves invisible formatting characters, which a name refuses.
  assert.equal(trimBlank(" Ann\u3164 "), "Ann");
  assert.equal(trimBlank("\u2800Ann\u200b\u3164"), "Ann\u200b");
  for (const [a, b] of BLANK_AT_ENDS) for (let c = a; c <= b; c++) assert.ok(BLANK_LOOKING.some(([x, y]) => c >= x && c <= y), c.toString(16));
});

test("trimUnseen() of a million spaces inside a text is done at once: one look per character, not a retry at each", { timeout: 120_000 }, async () => {
  // The regular expression took 1.9 s for 50,000 spaces and four times as long for each doubling.
  const text = `a${" ".repeat(1_000_000)}b\u200b`;
  assert.equal(await inWorker(60_000, new URL("./trim_unseen.js", import.meta.url), "trimUnseen", [text]), text.slice(0, -1));
});

test("isBlank(): nothing but whitespace, invisible formatting and characters that show as nothing (U+3164 HANGUL FILLER...)", () => {
  for (const text of ["", " ", "\u200b", "\u3164", "\u115f\u1160", "\uffa0", "\u2800", " \u3164\u200b\ufe0f "]) assert.equal(isBlank(text), true, JSON.stringify(text));
  for (const text of ["김민준", "김\u3164민준", "\u3164.", "ᄀ", "a\u2800"]) assert.equal(isBlank(text), false, JSON.stringify(text));
  // BLANK_LOOKING is Node's assigned default-ignorable code points that are not whitespace or Cf, and U+2800.
  const expected: number[] = [0x2800];
  for (let c = 0; c <= 0x10ffff; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const ch = String.fromCodePoint(c);
    if (/\p{Default_Ignorable_Code_Point}/u.test(ch) && !/[\s\p{Cf}\p{Cn}]/u.test(ch)) expected.push(c);
  }
  assert.deepEqual(BLANK_LOOKING.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i)), expected.sort((a, b) => a - b));
});
