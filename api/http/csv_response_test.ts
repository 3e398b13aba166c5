import { test } from "node:test";
import assert from "node:assert/strict";
import { csvResponse, wantsCsv } from "./csv_response.ts";
import { HttpError } from "./http_error.ts";

test("wantsCsv() follows ?format and Accept q-values", () => {
  const req = (accept?: string) => new Request("http://x/", { headers: accept ? { accept } : {} });
  const none = new URLSearchParams();
  assert.equal(wantsCsv(req("text/csv"), none), true);
  assert.equal(wantsCsv(req("application/json, text/csv;q=0.5"), none), false);
  assert.equal(wantsCsv(req("text/csv, application/json;q=0.9"), none), true);
  assert.equal(wantsCsv(req("text/csv;q=0"), none), false);
  assert.equal(wantsCsv(req("*/*"), none), false);
  assert.equal(wantsCsv(req(), new URLSearchParams("format=csv")), true);
  assert.equal(wantsCsv(req("text/csv"), new URLSearchParams("format=json")), false);
});

test("wantsCsv() reads media types in any case, and refuses a format it does not know", () => {
  // "Text/CSV" answered JSON, and ?format=cvs (a typo) answered JSON without a word.
  const req = (accept: string) => new Request("http://x/", { headers: { accept } });
  assert.equal(wantsCsv(req("Text/CSV"), new URLSearchParams()), true);
  assert.equal(wantsCsv(req("TEXT/CSV;Q=0.5, Application/JSON"), new URLSearchParams()), false);
  // Whitespace around ";" and "=" (RFC 9110 5.6.6): "text/csv ; q=0.5" counted as no text/csv at all,
  // and "application/json; q = 0.1" as q=1.
  assert.equal(wantsCsv(req("text/csv ; q=0.9, application/json ; q=0.5"), new URLSearchParams()), true);
  assert.equal(wantsCsv(req("application/json; q = 0.1, text/csv;q=0.5"), new URLSearchParams()), true);
  assert.throws(() => wantsCsv(req("*/*"), new URLSearchParams("format=cvs")), (e: unknown) => e instanceof HttpError && e.status === 400 && /format must be csv or json; got 'cvs'/.test(e.message));
});

test("wantsCsv(): JSON's q comes from the most specific range covering it, not the highest", () => {
  // RFC 9110 12.5.1: "application/json;q=0.1, text/csv;q=0.5, */*" gives JSON 0.1 (its own range)
  // and CSV 0.5; the */* raised JSON to 1 and the client that ranked CSV above JSON got JSON.
  const req = (accept: string) => new Request("http://x/", { headers: { accept } });
  const none = new URLSearchParams();
  assert.equal(wantsCsv(req("application/json;q=0.1, text/csv;q=0.5, */*"), none), true);
  assert.equal(wantsCsv(req("application/json;q=0, text/csv;q=0.1, */*"), none), true);
  assert.equal(wantsCsv(req("text/csv;q=0.5, application/*;q=0.2, */*"), none), true);
  // A wildcard is still what JSON gets when nothing more specific names it.
  assert.equal(wantsCsv(req("text/csv;q=0.5, */*"), none), false);
  assert.equal(wantsCsv(req("text/csv;q=0.5, application/*;q=0.9, */*;q=0.1"), none), false);
  assert.equal(wantsCsv(req("text/csv;q=0.5, application/json;q=0.9, */*;q=0.1"), none), false);
});

test("csvResponse() writes every field through the shared CSV rule (formulas neutralised)", async () => {
  const res = csvResponse(["id", "name"], [{ id: -1, name: "-2+3+cmd|' /C calc'!A0" }], "x.csv");
  assert.equal(await res.text(), "id,name\r\n-1,'-2+3+cmd|' /C calc'!A0\r\n");
});

test("csvResponse() streams a header and every row", async () => {
  const rows = Array.from({ length: 1234 }, (_, i) => ({ id: i, name: `n${i}` }));
  const res = csvResponse(["id", "name"], rows, "x.csv");
  assert.equal(res.headers.get("vary"), "Accept");
  const lines = (await res.text()).trim().split("\r\n");
  assert.equal(lines.length, 1235);
  assert.equal(lines[0], "id,name");
  assert.equal(lines[1234], "1233,n1233");
});
