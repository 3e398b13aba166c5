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
  const s = preserve ? raw : raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
  return unescapeOoxml(s);
}
