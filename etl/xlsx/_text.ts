// Text rules shared by shared strings and inline strings.
import { unescapeOoxml, type XmlTokenizer } from "./_xml_tokenizer.ts";

/** True when the current start tag has xml:space="preserve". */
export function hasPreserve(t: XmlTokenizer, buf: Buffer): boolean {
  const a = t.attrs;
  for (let i = 0; i < t.attrCount; i++) {
    const ns = a[i * 4];
    if (a[i * 4 + 1] - ns === 9 && buf.toString("latin1", ns, ns + 9) === "xml:space") {
      return buf.toString("latin1", a[i * 4 + 2], a[i * 4 + 3]) === "preserve";
    }
  }
  return false;
}

/**
 * The value of one `<t>`: without xml:space="preserve", leading and trailing XML whitespace is
 * layout, not content (Excel writes "preserve" whenever the edges matter); then `_xHHHH_` escapes.
 */
export function textOfT(raw: string, preserve: boolean): string {
  return unescapeOoxml(preserve ? raw : trimXmlSpace(raw));
}

/**
 * `text` without XML whitespace (space, tab, CR, LF) at either end, one look per character: the
 * regular expression /^[ \t\r\n]+|[ \t\r\n]+$/g retried its right-hand side at every space of a
 * run inside the text ("a" + 50,000 spaces + "b" took 2.5 s).
 */
export function trimXmlSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isXmlSpace(text.charCodeAt(start))) start++;
  while (end > start && isXmlSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

const isXmlSpace = (unit: number): boolean => unit === 0x20 || unit === 0x09 || unit === 0x0d || unit === 0x0a;
