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

// Terminators that look finished and are not ('>' in a comment, CDATA, PI or quoted value; ']]' and
// '--' runs): cut anywhere, a unit must end exactly where a whole read ends it.
const DOC = `<?xml version="1.0" encoding="UTF-8"?>\n<x:worksheet xmlns:x="urn:x" a='1>2'><!-- a > comment --><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t xml:space="preserve"> Ñandú &amp; 東京 </x:t></x:is></x:c><x:c r="B1"><x:v><![CDATA[1<2]]></x:v></x:c><?pi a?b>c??><x:c r="C1" q='a">b' w="c'>d"><x:v><![CDATA[e]>]]]]><!-- f -> --->g</x:v></x:c></x:row></x:sheetData></x:worksheet>\n`;

test("XmlTokenizer gives the same events however the input is chunked", () => {
  const whole = tokenize(DOC, [1 << 20]);
  assert.ok(whole.includes("<worksheet@1 xmlns:x=urn:x a=1>2"));
  assert.ok(whole.includes("T Ñandú &amp; 東京 "));
  assert.ok(whole.includes("C1<2"));
  assert.ok(whole.includes(`<c@4 r=C1 q=a">b w=c'>d`));
  assert.deepEqual(whole.slice(whole.indexOf("Ce]>]]"), whole.indexOf("Ce]>]]") + 3), ["Ce]>]]", "Tg", "</v@5"]);
  for (const sizes of [[1], [2], [3, 1], [5, 7, 11], [64]]) assert.deepEqual(tokenize(DOC, sizes), whole, `chunks of ${sizes}`);
  for (let cut = 1; cut < Buffer.byteLength(DOC); cut++) assert.deepEqual(tokenize(DOC, [cut, 1 << 20]), whole, `cut at ${cut}`);
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
  let fed = 0;
  assert.throws(() => {
    for (let i = 0; i < 80; i++) {
      t.feed(chunk);
      fed += chunk.length;
    }
  }, /longer than 64 MB/);
  // Counted, not timed: re-copying the growing unit on every chunk would copy ~2 GB here.
  assert.ok(fed >= 63 * 1024 * 1024, `refused after ${fed} bytes`);
  assert.ok(t.copiedBytes <= 2 * chunk.length, `copied ${t.copiedBytes} bytes to carry one unit over ${fed} bytes of input`);
});

test("XmlTokenizer copies only cut units: at most the cut unit and 4 KB of the next chunk per chunk", () => {
  // 20,000 cells fed in 16 KB chunks: each chunk end cuts a unit somewhere; finishing it may copy
  // the unit and the first 4 KB of the next chunk, never the whole chunk.
  const xml = Buffer.from(`<worksheet><sheetData><row r="1">${'<c r="A1"><v>1</v></c>'.repeat(20_000)}</row></sheetData></worksheet>`);
  const r = new Recorder();
  const t = new XmlTokenizer(r, "p.xml", "f.xlsx");
  r.t = t;
  const size = 16 * 1024;
  let chunks = 0;
  for (let i = 0; i < xml.length; i += size, chunks++) t.feed(xml.subarray(i, i + size));
  t.end();
  const unit = 32; // the longest unit in this XML is well under this
  assert.ok(t.copiedBytes <= chunks * (4096 + 2 * unit), `copied ${t.copiedBytes} bytes over ${chunks} chunks of ${xml.length} bytes`);
  assert.ok(t.copiedBytes > 0, "the chunk ends did cut units");
});

test("XmlTokenizer carries a long comment, CDATA section, PI or tag with '>' inside once, not once per chunk", () => {
  // Before, only a '>' in the next chunk was looked for: a unit holding '>' (HTML in a CDATA
  // section, a formula in an attribute) re-joined and re-scanned the whole growing unit on every
  // chunk, four times each as the join grew 4 KB -> 32 KB -> 256 KB -> chunk: 328 MB copied for the
  // 8 MB CDATA section below, ~20 GB for a 64 MB one. Now it is copied once when it is complete.
  const body = Buffer.alloc(8 * 1024 * 1024, 0x78);
  for (let i = 99; i < body.length; i += 100) body[i] = 0x3e; // '>' every 100 bytes
  const cases: [string, string, string][] = [
    ["CDATA", "<a><![CDATA[", "]]></a>"],
    ["comment", "<a><!--", "--></a>"],
    ["PI", "<a><?pi ", "?></a>"],
    ["attribute value", '<a><b x="', '"/></a>'],
  ];
  for (const [what, open, close] of cases) {
    let units = 0;
    const handler: XmlHandler = { open() {}, close: () => void units++, text() {}, cdata: () => void units++ };
    const t = new XmlTokenizer(handler, "xl/worksheets/sheet1.xml", "f.xlsx");
    const xml = Buffer.concat([Buffer.from(open), body, Buffer.from(close)]);
    const chunk = 512 * 1024; // what the ZIP reader hands over
    for (let i = 0; i < xml.length; i += chunk) t.feed(xml.subarray(i, i + chunk));
    t.end();
    assert.ok(units >= 1, `${what}: the unit was read`);
    assert.ok(t.copiedBytes <= 2 * xml.length, `${what}: copied ${(t.copiedBytes / 2 ** 20).toFixed(0)} MB to carry one ${(xml.length / 2 ** 20).toFixed(0)} MB unit`);
  }
});
