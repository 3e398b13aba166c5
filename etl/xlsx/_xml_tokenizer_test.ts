import { test } from "node:test";
import assert from "node:assert/strict";
import { XmlTokenizer, decodeEntities, unescapeOoxml, type XmlHandler } from "./_xml_tokenizer.ts";
import { SheetParser } from "./_sheet_parser.ts";
import { XlsxError } from "./types.ts";

/** Records events as strings so chunkings can be compared. */
class Recorder implements XmlHandler {
  events: string[] = [];
  t!: XmlTokenizer;
  open(buf: Buffer, ls: number, ne: number, depth: number, selfClosing: boolean): void {
    const attrs: string[] = [];
    for (let i = 0; i < this.t.attrCount; i++) {
      const a = this.t.attrs;
      attrs.push(`${buf.toString("utf8", a[i * 4], a[i * 4 + 1])}=${buf.toString("utf8", a[i * 4 + 2], a[i * 4 + 3])}`);
    }
    this.events.push(`<${buf.toString("utf8", ls, ne)}@${depth}${selfClosing ? "/" : ""} ${attrs.join(" ")}`);
  }
  close(buf: Buffer, ls: number, ne: number, depth: number): void {
    this.events.push(`</${buf.toString("utf8", ls, ne)}@${depth}`);
  }
  text(buf: Buffer, s: number, e: number): void {
    this.events.push(`T${buf.toString("utf8", s, e)}`);
  }
  cdata(buf: Buffer, s: number, e: number): void {
    this.events.push(`C${buf.toString("utf8", s, e)}`);
  }
}

function tokenize(xml: string | Buffer, sizes: number[]): string[] {
  const bytes = typeof xml === "string" ? Buffer.from(xml) : xml;
  const r = new Recorder();
  const t = new XmlTokenizer(r, "part.xml", "f.xlsx");
  r.t = t;
  let k = 0;
  for (let i = 0; i < bytes.length; ) {
    const n = sizes[k++ % sizes.length];
    t.feed(bytes.subarray(i, i + n));
    i += n;
  }
  t.end();
  return r.events;
}

const DOC = `<?xml version="1.0" encoding="UTF-8"?>\n<x:worksheet xmlns:x="urn:x" a='1>2'><!-- a > comment --><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t xml:space="preserve"> Ñandú &amp; 東京 </x:t></x:is></x:c><x:c r="B1"><x:v><![CDATA[1<2]]></x:v></x:c></x:row></x:sheetData></x:worksheet>\n`;

test("XmlTokenizer gives the same events however the input is chunked", () => {
  const whole = tokenize(DOC, [1 << 20]);
  assert.ok(whole.includes("<worksheet@1 xmlns:x=urn:x a=1>2"));
  assert.ok(whole.includes("T Ñandú &amp; 東京 "));
  assert.ok(whole.includes("C1<2"));
  for (const sizes of [[1], [2], [3, 1], [5, 7, 11], [64]]) assert.deepEqual(tokenize(DOC, sizes), whole, `chunks of ${sizes}`);
});

test("XmlTokenizer reports malformed XML with part and byte position", () => {
  const cases: [string, RegExp][] = [
    ["<a><b></a>", /byte 6: the end tag <\/a> does not match/],
    ["<a x=1/>", /without quotes/],
    ["<a x='1'y='2'/>", /without space between/],
    ["<a x></a>", /attribute without a value/],
    ["<a>", /before all elements are closed/],
    ["<a/><b/>", /second root/],
    ["text<a/>", /text outside the root/],
    ["", /no root element/],
    ["<a><</a>", /broken start tag/],
    ["<a>< b/></a>", /does not start a tag/],
    ["<a x='<'/>", /'<' inside an attribute value/],
    ["<!DOCTYPE a><a/>", /DOCTYPE/],
    ["<a>\n  <b", /ends in the middle/],
  ];
  for (const [xml, pattern] of cases) {
    assert.throws(
      () => tokenize(xml, [3]),
      (e: unknown) => e instanceof XlsxError && e.code === "malformed-xml" && /'part\.xml'/.test(e.message) && pattern.test(e.message),
      xml,
    );
  }
});

test("XmlTokenizer refuses a single unit longer than 64 MB without quadratic copying", () => {
  const r = new Recorder();
  const t = new XmlTokenizer(r, "p.xml", "f.xlsx");
  r.t = t;
  t.feed(Buffer.from("<a>"));
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  const started = Date.now();
  assert.throws(() => {
    for (let i = 0; i < 80; i++) t.feed(chunk);
  }, /longer than 64 MB/);
  assert.ok(Date.now() - started < 5000);
});

test("decodeEntities() and unescapeOoxml() decode references and escapes", () => {
  assert.equal(decodeEntities("a&amp;b&#65;&#x42;&lt;&gt;&quot;&apos;"), "a&bAB<>\"'");
  assert.equal(decodeEntities("&#x1F600;"), "😀");
  assert.equal(decodeEntities("&nbsp;"), null);
  assert.equal(decodeEntities("a & b"), null);
  assert.equal(decodeEntities("&constructor;"), null);
  assert.equal(unescapeOoxml("a_x000D__x000A_b"), "a\r\nb");
  assert.equal(unescapeOoxml("_x005F_x0041_"), "_x0041_");
  assert.equal(unescapeOoxml("_xZZZZ_"), "_xZZZZ_");
});

test("SheetParser gives the same rows for every chunking of a sheet", () => {
  const cells: string[] = [];
  for (let c = 1; c <= 40; c++) {
    const ref = String.fromCharCode(64 + ((c - 1) % 26) + 1);
    const col = c > 26 ? `A${ref}` : ref;
    if (c % 7 === 0) cells.push(`<c r="${col}R" t="inlineStr"><is><t>x${c}&amp;</t></is></c>`);
    else if (c % 5 === 0) cells.push(`<c r="${col}R" s="0"/>`);
    else if (c % 3 === 0) cells.push(`<c r="${col}R" t="s"><v>${c % 2}</v></c>`);
    else cells.push(`<c r="${col}R"><v>${c}.5e1</v></c><c><v>-${c}</v></c>`.replace(/<c><v>-\d+<\/v><\/c>/, ""));
  }
  let rows = "";
  for (let r = 1; r <= 30; r++) rows += `<row r="${r}">${cells.join("").replaceAll('R"', `${r}"`)}</row>`;
  const xml = Buffer.from(`<worksheet xmlns="urn:s"><sheetData>${rows}</sheetData></worksheet>`);
  const run = (sizes: number[]): string => {
    const p = new SheetParser({ sheet: "S", sharedStrings: ["a", "b"], dateStyles: new Uint8Array(1), date1904: false }, "s.xml", "f.xlsx");
    let out = "";
    let k = 0;
    const flush = () => {
      for (const row of p.out) out += `${row.row}:${row.cells.map((c) => `${c.ref}=${String(c.value)}`).join(",")};`;
      p.out = [];
    };
    for (let i = 0; i < xml.length; ) {
      const n = sizes[k++ % sizes.length];
      p.tokenizer.feed(xml.subarray(i, i + n));
      i += n;
      flush();
    }
    p.tokenizer.end();
    flush();
    return out;
  };
  const whole = run([1 << 20]);
  assert.match(whole, /^1:'S'!A1=15,'S'!B1=25,'S'!C1=b,/);
  assert.match(whole, /'S'!G1=x7&/);
  for (const sizes of [[1], [2, 3], [7], [13, 1, 100], [4095, 1]]) assert.equal(run(sizes), whole, `chunks of ${sizes}`);
});
