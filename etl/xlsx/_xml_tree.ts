// A tiny element tree for the small package parts (content types, relationships, workbook).
// Sheets, shared strings and styles never go through this: they are streamed.
import { XmlTokenizer, decodeXmlText, type XmlHandler } from "./_xml_tokenizer.ts";
import { XlsxError } from "./types.ts";

/** One element: local name (prefix dropped, so strict and transitional OOXML look alike). */
export class XmlElement {
  readonly children: XmlElement[] = [];
  text = "";
  constructor(
    readonly name: string,
    readonly attributes: ReadonlyMap<string, string>,
  ) {}

  /** The attribute with this local name (any prefix), e.g. `attr("id")` finds `r:id`. */
  attr(local: string): string | undefined {
    const direct = this.attributes.get(local);
    if (direct !== undefined) return direct;
    for (const [k, v] of this.attributes) {
      const colon = k.indexOf(":");
      if (colon >= 0 && k.slice(colon + 1) === local && !k.startsWith("xmlns")) return v;
    }
    return undefined;
  }

  /** Direct children with this local name. */
  all(name: string): XmlElement[] {
    return this.children.filter((c) => c.name === name);
  }

  /** The first direct child with this local name. */
  first(name: string): XmlElement | undefined {
    return this.children.find((c) => c.name === name);
  }
}

/** Real content types, rels and workbook parts have thousands of elements at most; half a million is an attack on memory. */
const MAX_ELEMENTS = 500_000;
const NO_ATTRIBUTES: ReadonlyMap<string, string> = new Map();

class TreeBuilder implements XmlHandler {
  root: XmlElement | null = null;
  #count = 0;
  #stack: XmlElement[] = [];
  tokenizer!: XmlTokenizer;

  open(buf: Buffer, localStart: number, nameEnd: number, _depth: number): void {
    const t = this.tokenizer;
    if (++this.#count > MAX_ELEMENTS) {
      throw new XlsxError("too-large", `Cannot read ${t.file}: the part '${t.part}' has more than ${MAX_ELEMENTS} elements, far more than any workbook needs.`, t.file);
    }
    const attrs = t.attrCount === 0 ? NO_ATTRIBUTES : new Map<string, string>();
    const a = t.attrs;
    for (let i = 0; i < t.attrCount; i++) {
      const name = buf.toString("utf8", a[i * 4], a[i * 4 + 1]);
      const value = decodeXmlText(buf, a[i * 4 + 2], a[i * 4 + 3]);
      if (value === null) throw t.fail(`a bad character reference in attribute '${name}'`, t.base + a[i * 4 + 2]);
      (attrs as Map<string, string>).set(name, value);
    }
    const el = new XmlElement(buf.toString("utf8", localStart, nameEnd), attrs);
    const parent = this.#stack[this.#stack.length - 1];
    if (parent) parent.children.push(el);
    else this.root = el;
    this.#stack.push(el);
  }

  close(): void {
    this.#stack.pop();
  }

  text(buf: Buffer, start: number, end: number): void {
    const s = decodeXmlText(buf, start, end);
    if (s === null) throw this.tokenizer.fail("a bad character reference", this.tokenizer.base + start);
    this.#stack[this.#stack.length - 1].text += s;
  }

  cdata(buf: Buffer, start: number, end: number): void {
    this.#stack[this.#stack.length - 1].text += buf.toString("utf8", start, end);
  }
}

/**
 * Parses a whole (small) XML part into a tree, throwing XlsxError("malformed-xml") on bad XML.
 * @example const root = await parseXmlTree(chunks, "xl/workbook.xml", "data/x.xlsx"); root.first("sheets");
 */
export async function parseXmlTree(chunks: AsyncIterable<Buffer>, part: string, file: string): Promise<XmlElement> {
  const builder = new TreeBuilder();
  const tokenizer = new XmlTokenizer(builder, part, file);
  builder.tokenizer = tokenizer;
  for await (const chunk of chunks) tokenizer.feed(chunk);
  tokenizer.end();
  return builder.root as XmlElement;
}
