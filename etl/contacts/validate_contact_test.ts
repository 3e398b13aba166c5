import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inWorker } from "../../scripts/testing/in_worker.ts";
import { Database } from "../db/mod.ts";
import { ingestContacts } from "./ingest_contacts.ts";
import { migrate } from "./migrate.ts";
import { validateContact, validateRecord, type ValidationResult } from "./validate_contact.ts";
import { contactRecord } from "./contact_record.ts";
import { extendRecord } from "./record_definition.ts";

const ann = { first_name: " Ann ", last_name: "Lee", email: "Ann.Lee@Example.com", state: "ny", zip: "8014" };

test("validateContact() normalises and reports fixes", () => {
  const r = validateContact({ ...ann, departments: [" Sales ", "Sales", "HR"] }, "create");
  assert.ok(r.ok);
  assert.equal(r.value.first_name, "Ann");
  assert.equal(r.value.state, "NY");
  assert.equal(r.value.zip, "08014");
  assert.equal(r.value.email, "Ann.Lee@Example.com");
  assert.equal(r.value.city, null);
  assert.deepEqual(r.value.departments, ["Sales", "HR"]);
  assert.deepEqual(r.fixes.map((f) => [f.field, f.from, f.to]), [["zip", "8014", "08014"]]);
});

test("a repair's message quotes the value as typed, $ patterns included", () => {
  // replaceAll's replacement string reads "$&" as "the match": the message showed '{value}'.
  const r = validateContact({ ...ann, last_name: "Lee $&  Co" }, "create");
  assert.ok(r.ok);
  assert.equal(r.value.last_name, "Lee $& Co");
  assert.deepEqual(r.fixes.filter((f) => f.field === "last_name").map((f) => f.message), ["Collapsed the repeated spaces in 'Lee $&  Co'"]);
});

test("validateContact() returns every field error at once", () => {
  const r = validateContact(
    { first_name: "  ", email: "nope", state: "Texas", zip: 70116, id: 4, nickname: "x", departments: "Sales" },
    "create",
  );
  assert.ok(!r.ok);
  const fields = r.errors.map((e) => e.field).sort();
  assert.deepEqual(fields, ["departments", "email", "first_name", "id", "last_name", "nickname", "state", "zip"]);
  const byField = Object.fromEntries(r.errors.map((e) => [e.field, e.message]));
  assert.match(byField.id, /read-only/);
  assert.match(byField.nickname, /not a field/);
  assert.match(byField.state, /two letters/);
  assert.match(byField.zip, /must be a string/);
  assert.match(byField.first_name, /empty/);
  assert.match(byField.last_name, /required/);
});

test("validateContact() modes", async (t) => {
  await t.test("patch validates only the fields given; null clears optional fields", () => {
    const r = validateContact({ city: null, state: "ca" }, "patch");
    assert.ok(r.ok);
    assert.deepEqual(r.value, { city: null, state: "CA" });
  });
  await t.test("patch cannot null a required field", () => {
    const r = validateContact({ email: null }, "patch");
    assert.ok(!r.ok);
    assert.equal(r.errors[0].field, "email");
  });
  await t.test("replace needs the required fields like create", () => {
    const r = validateContact({ first_name: "A" }, "replace");
    assert.ok(!r.ok);
    assert.deepEqual(r.errors.map((e) => e.field), ["last_name", "email"]);
  });
  await t.test("departments: null clears them in a patch only; create and replace want an array, as their schemas say", () => {
    const patched = validateContact({ departments: null }, "patch");
    assert.ok(patched.ok);
    assert.deepEqual(patched.value, { departments: [] });
    for (const mode of ["create", "replace"] as const) {
      const r = validateContact({ ...ann, departments: null }, mode);
      assert.ok(!r.ok, mode);
      assert.deepEqual(r.errors.map((e) => e.field), ["departments"]);
    }
  });
  await t.test("a non-object body is one error", () => {
    for (const body of [null, [], "x", 3]) {
      const r = validateContact(body, "create");
      assert.ok(!r.ok);
      assert.equal(r.errors[0].field, "body");
    }
  });
});

test("validateContact() limits and patterns", () => {
  const long = "x".repeat(101);
  const r = validateContact({ first_name: long, last_name: "L", email: "a@b", state: "N1", zip: "123456" }, "create");
  assert.ok(!r.ok);
  assert.deepEqual(r.errors.map((e) => e.field), ["first_name", "state", "zip", "email"]);
  assert.match(r.errors[0].message, /at most 100/);
  // A department as other lengths say it (before: without "(has N); got '...'").
  const dept = validateContact({ first_name: "A", last_name: "B", email: "a@b.co", departments: ["Sales", "d".repeat(101)] }, "create");
  assert.ok(!dept.ok);
  assert.deepEqual(dept.errors, [{ field: "departments[1]", message: `must be at most 100 characters (has 101); got '${"d".repeat(57)}...'` }]);
  // A department's repeated or no-break spaces become one, reported, as the CSV load does.
  const spaced = validateContact({ first_name: "A", last_name: "B", email: "a@b.co", departments: ["Human  Resources", "Human\u00a0Resources"] }, "create");
  assert.ok(spaced.ok);
  assert.deepEqual(spaced.value.departments, ["Human Resources"]);
  assert.deepEqual(spaced.fixes.map((f) => [f.field, f.to, f.message]), [
    ["departments[0]", "Human Resources", "Made the repeated or no-break spaces in 'Human  Resources' one space"],
    ["departments[1]", "Human Resources", "Made the repeated or no-break spaces in 'Human\u00a0Resources' one space"],
  ]);
  for (const email of ["a@b.co", "first.last+tag@sub.example.org", "o'neil@example.ie"]) {
    assert.ok(validateContact({ first_name: "A", last_name: "B", email }, "create").ok, email);
  }
  for (const email of ["a b@c.de", "@c.de", "a@", "a@@b.de", "a@b", "a@-b.de"]) {
    assert.ok(!validateContact({ first_name: "A", last_name: "B", email }, "create").ok, email);
  }
});

test("a non-ASCII e-mail is refused saying why: the part before @ must be ASCII, a domain is written in its xn-- form", () => {
  // Before: 'bob@bücher.de' and 'jö@example.com' got only "must be an e-mail address like
  // name@example.com", which an address that looks right does not explain.
  const PLAIN = "must be an e-mail address like name@example.com";
  const IDN = "write a domain with non-ASCII letters in its xn-- form (bücher.de is xn--bcher-kva.de)";
  const LOCAL = "the part before @ must be ASCII";
  for (const [email, message] of [
    ["bob@bücher.de", `${PLAIN}; ${IDN}; got 'bob@bücher.de'`],
    [" bob@MÜNCHEN.de ", `${PLAIN}; ${IDN}; got ' bob@MÜNCHEN.de '`],
    ["jö@example.com", `${PLAIN}; ${LOCAL}; got 'jö@example.com'`],
    ["jö@bücher.de", `${PLAIN}; ${LOCAL}; ${IDN}; got 'jö@bücher.de'`],
    // Not an address for another reason: the plain message alone.
    ["jö", `${PLAIN}; got 'jö'`],
    ["a@b@ü.de", `${PLAIN}; got 'a@b@ü.de'`],
    ["nope", `${PLAIN}; got 'nope'`],
  ]) {
    const r = validateContact({ first_name: "A", last_name: "B", email }, "create");
    assert.ok(!r.ok, email);
    assert.deepEqual(r.errors, [{ field: "email", message }], email);
  }
  assert.ok(validateContact({ first_name: "A", last_name: "B", email: "bob@xn--bcher-kva.de" }, "create").ok);
});

test("validateRecord() accepts a field added to the definition", () => {
  // A name no shipped field takes (etl/contacts/README.md's example is `title`), so adding that field does not break this test.
  const withTitle = extendRecord(contactRecord, { name: "test_title", type: "string", maxLength: 20 });
  const r = validateRecord(withTitle, { ...ann, test_title: " Dr " }, "create");
  assert.ok(r.ok);
  assert.equal(r.value.test_title, "Dr");
  assert.ok(!validateContact({ ...ann, test_title: "Dr" }, "create").ok);
});

test("validateRecord() refuses control characters in text fields, naming the field; address may span lines", async (t) => {
  const base = { first_name: "Ann", last_name: "Lee", email: "ann@example.com" };
  for (const [field, value] of [
    ["first_name", "Ann\u0000"],
    ["last_name", "L\u001b]0;pwned\u0007ee"],
    ["city", "New\nYork"],
    ["company_name", "Acme\tInc"],
    ["phone1", "555\u007f"],
    ["city", "Bo\u009bston"],
    ["address", "1 Main St\u0000"],
    ["address", "1 Main St\u001b[2J"],
    // A multi-line field keeps LF, CR and tab only: a vertical tab or form feed is still refused.
    ["address", "Flat 2\u000b1 Main St"],
    ["address", "Flat 2\u000c1 Main St"],
  ] as const) {
    await t.test(`${field} ${JSON.stringify(value)}`, () => {
      const r = validateContact({ ...base, [field]: value }, "create");
      assert.ok(!r.ok, "refused");
      assert.deepEqual(r.errors.map((e) => e.field), [field]);
      assert.match(r.errors[0].message, /control character U\+00[0-9A-F]{2}/);
    });
  }
  await t.test("half of a surrogate pair (JSON's \\ud800), which a database would store as U+FFFD", () => {
    for (const value of ["\ud800", "Ann\udfff", "\udc00\ud800"]) {
      const r = validateContact({ ...base, first_name: value }, "create");
      assert.ok(!r.ok, JSON.stringify(value));
      assert.deepEqual(r.errors.map((e) => e.field), ["first_name"]);
      assert.match(r.errors[0].message, /half of a surrogate pair/);
    }
    assert.ok(validateContact({ ...base, first_name: "Ann \ud83d\ude00" }, "create").ok, "a whole pair (an emoji) is a character");
  });
  await t.test("department names too", () => {
    const r = validateContact({ ...base, departments: ["Sales\u0000"] }, "create");
    assert.ok(!r.ok);
    assert.deepEqual(r.errors.map((e) => e.field), ["departments[0]"]);
  });
  await t.test("address (multi-line) keeps line breaks (a CRLF or a lone CR as LF, as the CSV load reads one) and tabs", () => {
    const r = validateContact({ ...base, address: "Flat 2\r\n1 Main St\tRear\rBack\r\r\nYard" }, "create");
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    assert.equal(r.value.address, "Flat 2\n1 Main St\tRear\nBack\n\nYard");
  });
});

test("names as people write them: any script, apostrophes, particles, one letter; a name needs a letter and nothing invisible", async (t) => {
  const base = { first_name: "Ann", last_name: "Lee", email: "a@b.co" };
  await t.test("accepted as given", () => {
    for (const name of ["O'Brien", "O’Brien", "Jean-Luc", "de la Cruz", "van der Berg", "J", "J.", "李", "محمد", "Дмитрий", "देवनागरी", "Jose\u0301", "Zoë", "Ann 😀", "علی\u200cرضا", "Nguyễn Văn A"]) {
      const r = validateContact({ ...base, first_name: name, last_name: name }, "create");
      assert.ok(r.ok, `${JSON.stringify(name)}: ${JSON.stringify(!r.ok && r.errors)}`);
      assert.equal(r.value.first_name, name);
      assert.deepEqual(r.fixes, []);
    }
  });
  await t.test("without a letter: refused, naming the field", () => {
    for (const name of ["😀", "123", "-", "'", "..."]) {
      const r = validateContact({ ...base, last_name: name }, "create");
      assert.ok(!r.ok, JSON.stringify(name));
      assert.deepEqual(r.errors, [{ field: "last_name", message: `must contain at least one letter (of any script); got '${name}'` }]);
    }
  });
  await t.test("an invisible formatting character (zero-width space, soft hyphen, bidi override, BOM inside): refused, by code point and position", () => {
    for (const [name, code, at] of [["\u200b", "200B", 1], ["Ann\u200b", "200B", 4], ["\u200bAnn", "200B", 1], ["An\u00adn", "00AD", 3], ["\u202eAnn", "202E", 1], ["A\ufeffnn", "FEFF", 2], ["😀\u2060Ann", "2060", 2]] as const) {
      const r = validateContact({ ...base, first_name: name }, "patch");
      assert.ok(!r.ok, JSON.stringify(name));
      assert.deepEqual(r.errors, [{ field: "first_name", message: `must not contain the invisible formatting character U+${code} (at character ${at})` }]);
    }
  });
  await t.test("repeated spaces inside become one, and the repair is reported", () => {
    const r = validateContact({ ...base, first_name: "  Mary   Ann ", last_name: "de  la Cruz" }, "create");
    assert.ok(r.ok);
    assert.equal(r.value.first_name, "Mary Ann");
    assert.equal(r.value.last_name, "de la Cruz");
    assert.deepEqual(r.fixes.map((f) => [f.field, f.from, f.to]), [["first_name", "Mary   Ann", "Mary Ann"], ["last_name", "de  la Cruz", "de la Cruz"]]);
  });
  await t.test("state: only a-z are upper-cased (ı and ſ are not i and s), territories pass", () => {
    for (const state of ["ıl", "ſc", "ｔｘ", "Texas", "t x"]) {
      const r = validateContact({ ...base, state }, "create");
      assert.ok(!r.ok, state);
      assert.deepEqual(r.errors.map((e) => e.field), ["state"]);
    }
    for (const [state, stored] of [["pr", "PR"], [" gu ", "GU"], ["Dc", "DC"]]) {
      const r = validateContact({ ...base, state }, "create");
      assert.ok(r.ok, state);
      assert.equal(r.value.state, stored);
    }
  });
});

test("a ZIP code gets its zeros back only when it is 3 or 4 digits (optionally -4 more); others are kept or refused as given", () => {
  // A spreadsheet that took the column for numbers drops every leading zero: Puerto Rico's and the
  // Virgin Islands' 006xx-009xx (and 005xx) lose two. Before, 901 was refused where 8014 was repaired.
  const base = { first_name: "Ann", last_name: "Lee", email: "a@b.co" };
  const kept = [["70116", "70116"], ["70116-1234", "70116-1234"], ["8014", "08014"], ["8014-1234", "08014-1234"], ["901", "00901"], ["802-1234", "00802-1234"]];
  for (const [zip, stored] of kept) {
    const r = validateContact({ ...base, zip }, "create");
    assert.ok(r.ok, `${zip}: ${JSON.stringify(!r.ok && r.errors)}`);
    assert.equal(r.value.zip, stored);
    assert.deepEqual(r.fixes.map((f) => f.to), zip === stored ? [] : [stored], zip);
  }
  for (const zip of ["123456", "x8014", "8014x", "80141234", "12", "12-3456", "9011234"]) {
    const r = validateContact({ ...base, zip }, "create");
    assert.ok(!r.ok, zip);
    assert.equal(r.errors[0].message, `must be a US ZIP code: 5 digits, optionally -4 more; got '${zip}'`);
  }
});

test("a refused value of 60 characters is quoted whole, however many UTF-16 units its emoji take", () => {
  const r = validateContact({ first_name: "😀".repeat(60), last_name: "Lee", email: "a@b.co" }, "create");
  assert.ok(!r.ok);
  assert.equal(r.errors[0].message, `must contain at least one letter (of any script); got '${"😀".repeat(60)}'`);
});

test("a refused value is quoted shortened by characters, never cut inside an emoji", () => {
  const r = validateContact({ first_name: "😀".repeat(61), last_name: "Lee", email: "a@b.co" }, "create");
  assert.ok(!r.ok);
  assert.equal(r.errors[0].message, `must contain at least one letter (of any script); got '${"😀".repeat(57)}...'`);
  assert.doesNotMatch(r.errors[0].message, /\p{Cs}/u);
});

test("a body gives at most 10,000 departments, each name checked once; the schema says so, and how many may be new", async () => {
  // The bound on new names (each a statement on the one writer) is the store's, which knows the stored ones.
  const names = (n: number) => Array.from({ length: n }, (_, i) => `Dept ${i}`);
  for (const mode of ["create", "replace", "patch"] as const) {
    const ok = validateContact({ ...ann, departments: [...names(9_999), "Dept 1"] }, mode);
    assert.ok(ok.ok, mode);
    assert.equal((ok.value.departments as string[]).length, 9_999, "a repeated name is given once");
    const r = validateContact({ ...ann, departments: names(10_001) }, mode);
    assert.ok(!r.ok, mode);
    assert.deepEqual(r.errors, [{ field: "departments", message: "must hold at most 10000 names; got 10001" }]);
  }
  const { recordJsonSchema } = await import("./contact_json_schema.ts");
  const property = (mode: "create" | "patch" | undefined) => (recordJsonSchema(contactRecord, mode) as { properties: Record<string, { maxItems?: number; description?: string }> }).properties.departments;
  assert.equal(property("create").maxItems, 10_000);
  assert.equal(property("patch").maxItems, 10_000);
  assert.match(property("create").description!, /at most 100 that do not exist yet/);
  // A contact the CSV load linked to more (one department a row) is still described as it reads.
  assert.equal(property(undefined).maxItems, undefined);
  assert.doesNotMatch(property(undefined).description!, /do not exist yet/);
});

test("a control character or half a surrogate pair after an emoji: the API and the CSV load name the same place, counting characters", async () => {
  // Before: the API counted UTF-16 units ("at character 6" for the 5th character), the load and
  // every other message of the validator code points (review).
  const dir = mkdtempSync(join(tmpdir(), "control-position-"));
  const db = await Database.open(join(dir, "contacts.duckdb"));
  try {
    await migrate(db);
    const value = "😀Ann\u0001";
    writeFileSync(join(dir, "c.csv"), `first_name,last_name,email\n"${value}",Lee,a@example.com\n`);
    const summary = await ingestContacts(db, join(dir, "c.csv"), {});
    const sql = summary.rejects.map((r) => r.reason);
    assert.deepEqual(sql, ["must not contain the control character U+0001 (at character 5)"], "the CSV load counts code points");
    const js = validateContact({ first_name: value, last_name: "Lee", email: "a@example.com" }, "create");
    assert.equal(js.ok, false);
    assert.deepEqual(js.ok ? [] : js.errors.map((e) => e.message), sql, "the API says the same");
    const lone = validateContact({ first_name: "😀A\ud800", last_name: "Lee", email: "a@example.com" }, "create");
    assert.match(lone.ok ? "" : lone.errors[0].message, /\\ud800 at character 3\)/);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a department of a million spaces between two letters is refused for its length at once (linear trimming, no regular expression retried at each space)", { timeout: 120_000 }, async () => {
  const department = `a${" ".repeat(1_000_000)}b`;
  const body = { first_name: "Ann", last_name: "Lee", email: "ann@example.com", departments: [department] };
  const result = (await inWorker(60_000, new URL("./validate_contact.ts", import.meta.url), "validateContact", [body, "create"])) as ValidationResult;
  assert.equal(result.ok, false);
  if (!result.ok) assert.deepEqual(result.errors.map((e) => e.field), ["departments[0]"]);
});
