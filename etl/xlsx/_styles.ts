// Which cell styles (xl/styles.xml cellXfs) format numbers as dates. The part is streamed and only
// numFmts and cellXfs are kept: workbooks whose styles piled up (tens of thousands of cell styles,
// each xf with its alignment and protection, borders and fonts by the thousand) pass half a million
// elements while holding at most Excel's 64,000 cell formats, and were refused as too-large when
// the whole part was read as a tree.
import { isBuiltinDateFormat, isDateFormatCode } from "./_dates.ts";
import { XmlTokenizer, decodeXmlText, type XmlHandler } from "./_xml_tokenizer.ts";
import { XlsxError } from "./types.ts";

/** Number formats plus cell formats kept; Excel allows 64,000 cell formats, so more is an attack on memory. */
const MAX_KEPT = 1_000_000;

const NONE = 0;
const NUM_FMTS = 1;
const CELL_XFS = 2;

class StylesReader implements XmlHandler {
  tokenizer!: XmlTokenizer;
  /** Custom number format id -> whether its code shows a date or time. */
  readonly custom = new Map<number, boolean>();
  /** Each cellXfs entry's numFmtId, in order. */
  readonly xfFormats: number[] = [];
  #section = NONE;
  // Only the first numFmts and cellXfs count, as they did when read as a tree.
  #seen = new Set<number>();

  open(buf: Buffer, localStart: number, nameEnd: number, depth: number): void {
    if (depth === 2) {
      const name = buf.toString("utf8", localStart, nameEnd);
      const section = name === "numFmts" ? NUM_FMTS : name === "cellXfs" ? CELL_XFS : NONE;
      this.#section = section !== NONE && !this.#seen.has(section) ? section : NONE;
      if (this.#section !== NONE) this.#seen.add(section);
      return;
    }
    if (depth !== 3 || this.#section === NONE) return;
    const name = buf.toString("utf8", localStart, nameEnd);
    if (this.#section === NUM_FMTS && name === "numFmt") {
      const id = Number(this.#attr(buf, "numFmtId"));
      if (Number.isInteger(id)) {
        this.#keep();
        this.custom.set(id, isDateFormatCode(this.#attr(buf, "formatCode") ?? ""));
      }
    } else if (this.#section === CELL_XFS && name === "xf") {
      this.#keep();
      this.xfFormats.push(Number(this.#attr(buf, "numFmtId") ?? 0));
    }
  }

  close(_buf: Buffer, _localStart: number, _nameEnd: number, depth: number): void {
    if (depth === 2) this.#section = NONE;
  }

  text(): void {}

  cdata(): void {}

  #keep(): void {
    if (this.custom.size + this.xfFormats.length < MAX_KEPT) return;
    const t = this.tokenizer;
    throw new XlsxError("too-large", `Cannot read ${t.file}: the part '${t.part}' has more than ${MAX_KEPT} number and cell formats, far more than Excel allows (64,000).`, t.file);
  }

  /** The value of the current tag's attribute with this local name (any prefix but xmlns). */
  #attr(buf: Buffer, local: string): string | undefined {
    const t = this.tokenizer;
    const a = t.attrs;
    for (let i = 0; i < t.attrCount; i++) {
      const name = buf.toString("utf8", a[i * 4], a[i * 4 + 1]);
      const colon = name.indexOf(":");
      if (name !== local && (colon < 0 || name.slice(colon + 1) !== local || name.startsWith("xmlns"))) continue;
      const value = decodeXmlText(buf, a[i * 4 + 2], a[i * 4 + 3]);
      if (value === null) throw t.fail(`a bad character reference in attribute '${name}'`, t.base + a[i * 4 + 2]);
      return value;
    }
    return undefined;
  }
}

/**
 * Streams a styles part and returns one flag per cellXfs index: 1 when the style's number format is
 * a date or time. Throws XlsxError ("malformed-xml", "too-large").
 * @example (await readDateStyles(chunks, "xl/styles.xml", file))[cell.s] === 1
 */
export async function readDateStyles(chunks: AsyncIterable<Buffer>, part: string, file: string): Promise<Uint8Array> {
  const reader = new StylesReader();
  const tokenizer = new XmlTokenizer(reader, part, file);
  reader.tokenizer = tokenizer;
  for await (const chunk of chunks) tokenizer.feed(chunk);
  tokenizer.end();
  const flags = new Uint8Array(reader.xfFormats.length);
  reader.xfFormats.forEach((id, i) => {
    flags[i] = (reader.custom.get(id) ?? isBuiltinDateFormat(id)) ? 1 : 0;
  });
  return flags;
}
