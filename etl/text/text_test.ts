import { test } from "node:test";
import assert from "node:assert/strict";
import { csvField, fold } from "./mod.ts";

test("fold() removes accents and case, and folds null to ''", () => {
  assert.equal(fold("Peña Díaz"), "pena diaz");
  assert.equal(fold("SALÉS"), "sales");
  assert.equal(fold("Ñandú"), "nandu");
  // A combining mark outside U+0300-036F (here U+1DC4) is still a mark.
  assert.equal(fold("a\u1dc4b"), "ab");
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
  assert.equal(csvField(["a", "b"]), "a; b");
  assert.equal(csvField(new Date("2026-01-02T03:04:05Z")), "2026-01-02T03:04:05.000Z");
  assert.equal(csvField(null), "");
  assert.equal(csvField(undefined), "");
  assert.equal(csvField("plain"), "plain");
});
