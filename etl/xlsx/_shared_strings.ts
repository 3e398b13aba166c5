// The shared-strings table (xl/sharedStrings.xml), streamed: rich-text runs are joined, phonetic
// (<rPh>) runs are skipped, and an empty <si/> still takes its index.
import { XlsxError } from "./types.ts";
import { XmlTokenizer, bytesEqual, decodeXmlText, type XmlHandler } from "./_xml_tokenizer.ts";
import { hasPreserve, textOfT } from "./_text.ts";

/**
 * The table is the one thing held in memory, so it is bounded: Excel's own limits are far below
 * (a cell holds at most 32,767 characters), and past these a crafted file could exhaust the heap.
 * Each string is capped on its own as it grows (`maxChars`, see MAX_CELL_CHARS); the total stays
 * below V8's longest string (2^29 - 24 characters) too.
 */
const MAX_STRINGS = 20_000_000;
const MAX_CHARS = 500_000_000;

class SharedStringsHandler implements XmlHandler {
  readonly strings: string[] = [];
  #chars = 0;
  tokenizer!: XmlTokenizer;
  maxChars = 0;
  #siDepth = -1;
  #rDepth = -1;
  #tDepth = -1;
  #preserve = false;
  #t = "";
  #si = "";

  open(buf: Buffer, ls: number, ne: number, depth: number): void {
    const n = ne - ls;
    if (this.#siDepth < 0) {
      if (depth === 2 && n === 2 && buf[ls] === 115 && buf[ls + 1] === 105) {
        this.#siDepth = depth;
        this.#si = "";
      }
      return;
    }
    if (n === 1 && buf[ls] === 116 && (depth === this.#siDepth + 1 || (this.#rDepth >= 0 && depth === this.#rDepth + 1))) {
      this.#tDepth = depth;
      this.#t = "";
      this.#preserve = hasPreserve(this.tokenizer, buf);
    } else if (depth === this.#siDepth + 1 && n === 1 && buf[ls] === 114) {
      this.#rDepth = depth;
    } else if (depth === this.#siDepth + 1 && bytesEqual(buf, ls, ne, "rPh")) {
      // skipped: its <t> is at siDepth + 2 under rPh, not under r, so it never matches above
    }
  }

  close(_buf: Buffer, _ls: number, _ne: number, depth: number): void {
    if (depth === this.#tDepth) {
      this.#si = this.#grow(this.#si, textOfT(this.#t, this.#preserve));
      this.#tDepth = -1;
    } else if (depth === this.#rDepth) {
      this.#rDepth = -1;
    } else if (depth === this.#siDepth) {
      this.#chars += this.#si.length;
      if (this.strings.length >= MAX_STRINGS || this.#chars > MAX_CHARS) {
        const t = this.tokenizer;
        throw new XlsxError("too-large", `Cannot read ${t.file}: its shared-strings table is larger than ${MAX_STRINGS} strings or ${MAX_CHARS} characters.`, t.file);
      }
      this.strings.push(this.#si);
      this.#siDepth = -1;
    }
  }

  text(buf: Buffer, start: number, end: number, depth: number): void {
    if (depth !== this.#tDepth) return;
    const s = decodeXmlText(buf, start, end);
    if (s === null) throw this.#bad(start);
    this.#t = this.#grow(this.#t, s);
  }

  cdata(buf: Buffer, start: number, end: number, depth: number): void {
    if (depth === this.#tDepth) this.#t = this.#grow(this.#t, buf.toString("utf8", start, end));
  }

  /** `text + more`, unless the current string would grow past `maxChars`. */
  #grow(text: string, more: string): string {
    if (text.length + more.length > this.maxChars) {
      const t = this.tokenizer;
      throw new XlsxError(
        "too-large",
        `Cannot read ${t.file}: shared string ${this.strings.length} (counting from 0) in '${t.part}' is longer than ${this.maxChars} characters (Excel's own limit is 32,767).`,
        t.file,
      );
    }
    return text + more;
  }

  #bad(pos: number): XlsxError {
    return this.tokenizer.fail("a bad character reference", this.tokenizer.base + pos);
  }
}

/**
 * Reads the shared-strings table from the part's inflated chunks.
 * @example const sst = await readSharedStrings(zip.stream(entry, limits), "xl/sharedStrings.xml", file, MAX_CELL_CHARS); sst[0];
 */
export async function readSharedStrings(chunks: AsyncIterable<Buffer>, part: string, file: string, maxChars: number): Promise<string[]> {
  const handler = new SharedStringsHandler();
  handler.maxChars = maxChars;
  const tokenizer = new XmlTokenizer(handler, part, file);
  handler.tokenizer = tokenizer;
  for await (const chunk of chunks) tokenizer.feed(chunk);
  tokenizer.end();
  return handler.strings;
}
