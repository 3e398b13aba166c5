// A small streaming XML tokenizer that works on bytes. It exists because sheet XML can be hundreds
// of megabytes: we never build a DOM or one big string, we scan each inflated chunk once and keep
// only the unfinished tail (a tag or text cut by the chunk boundary) for the next chunk.
//
// It checks well-formedness cheaply (tag nesting by a hash of the qualified name, attribute
// syntax, no DOCTYPE, one root) and reports problems as XlsxError("malformed-xml") with the part
// name and byte position. Handlers receive byte ranges, not strings, so the hot path allocates
// nothing; they decode only what they keep.
import { XlsxError } from "./types.ts";

/** What the tokenizer calls back with; positions index into `buf`, `depth` is 1 for the root. */
export interface XmlHandler {
  /** A start tag. Attributes are in `tokenizer.attrs` (4 ints each: name start/end, value start/end). */
  open(buf: Buffer, localStart: number, nameEnd: number, depth: number, selfClosing: boolean): void;
  /** An end tag (or the end of a self-closing one); `depth` is the depth of the element closing. */
  close(buf: Buffer, localStart: number, nameEnd: number, depth: number): void;
  /** Character data between tags (raw bytes; entities not decoded). `end` indexes the next '<'. */
  text(buf: Buffer, start: number, end: number, depth: number): void;
  /** A CDATA section's content (already literal). */
  cdata(buf: Buffer, start: number, end: number, depth: number): void;
}

const LT = 60; // <
const GT = 62; // >
const SLASH = 47;
const BANG = 33;
const QUESTION = 63;
const EQ = 61;
const DQ = 34;
const SQ = 39;
const COLON = 58;

/**
 * An optional fast lane: when the tokenizer is about to parse a start tag at depth `fastDepth`,
 * it first offers the bytes to `fast()`, which may consume a whole element (returning the index
 * after it) or decline with -1, in which case the generic path parses it as usual.
 */
export interface FastLane {
  fast(buf: Buffer, lt: number): number;
}

/** One unit (tag or text) may not exceed this; a part with no '<' for 64 MB is not sheet XML. */
const MAX_UNIT = 64 * 1024 * 1024;
const MAX_DEPTH = 4096;

// What ends the unfinished unit carried between chunks. While it is unfinished, each new chunk is
// searched for that terminator only (once, natively) and collected; a '>' inside a comment, CDATA
// or quoted attribute value must not count, or every chunk would re-join and re-scan the whole
// growing unit (quadratic: a 16 MB CDATA section with '>' in it cost 1.3 GB of copying).
const U_UNKNOWN = 0; // too short to tell (`<`, `<!-`, `<![CDA`): joined with the next chunk at once
const U_TEXT = 1; // the next '<'
const U_TAG = 2; // a start tag: '>' outside quoted attribute values
const U_END_TAG = 3; // '>'
const U_COMMENT = 4; // '-->'
const U_CDATA = 5; // ']]>'
const U_PI = 6; // '?>'

const MAX_ATTRS = 256;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** FNV-1a over the qualified name: lets us match end tags to start tags without making strings. */
function nameHash(buf: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h | 0;
}

/**
 * Feeds XML bytes chunk by chunk to a handler; only an unfinished unit is carried between chunks.
 * @example
 * const t = new XmlTokenizer(handler, "xl/worksheets/sheet1.xml", "data/x.xlsx");
 * for await (const chunk of chunks) t.feed(chunk);
 * t.end();
 */
export class XmlTokenizer {
  /** Attribute ranges of the current start tag: [nameStart, nameEnd, valueStart, valueEnd] * attrCount. */
  attrs = new Int32Array(64);
  attrCount = 0;
  /** Absolute offset (in the part) of buf[0] of the buffer being scanned. */
  base = 0;
  readonly part: string;
  readonly file: string;
  /** Depth at which start tags are offered to the fast lane; -1 for never. */
  fastDepth = -1;
  fastLane: FastLane | null = null;
  /**
   * Bytes copied to carry units across chunk ends, so far. Tests check it stays proportional to
   * the input (a quadratic re-copy of a growing unit would show here long before it shows in time).
   */
  copiedBytes = 0;
  #handler: XmlHandler;
  #tail: Buffer | null = null;
  /** Whole chunks that arrived while the tail's unit was still unfinished. */
  #more: Buffer[] = [];
  #moreLen = 0;
  /** The tail's unit kind (U_*), its open quote (U_TAG) and its last two bytes past the opener (-1: none). */
  #unit = U_UNKNOWN;
  #quote = 0;
  #last1 = -1;
  #last2 = -1;
  #scanFrom = 0;
  #stack = new Int32Array(64);
  #depth = 0;
  #sawRoot = false;
  #rootClosed = false;

  constructor(handler: XmlHandler, part: string, file: string) {
    this.#handler = handler;
    this.part = part;
    this.file = file;
  }

  /** Builds the typed error for a problem at absolute byte `pos` of the part. */
  fail(what: string, pos: number): XlsxError {
    return new XlsxError(
      "malformed-xml",
      `Cannot read ${this.file}: the part '${this.part}' has malformed XML at byte ${pos}: ${what}.`,
      this.file,
    );
  }

  /** Scans a chunk, calling the handler for every complete unit; the incomplete rest is kept. */
  feed(chunk: Buffer): void {
    if (this.base === 0 && this.#tail === null && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
      // A UTF-8 byte order mark before the XML declaration.
      chunk = chunk.subarray(3);
      this.base = 3;
    }
    let start = 0;
    if (this.#tail !== null) {
      // A unit cut by the previous chunk end: until its terminator arrives, just collect the chunks
      // (each searched once, from where the last search stopped; no copying).
      const end = this.#unit === U_UNKNOWN ? 0 : this.#unitEnd(chunk, 0);
      if (end < 0) {
        this.#more.push(chunk);
        this.#moreLen += chunk.length;
        if (this.#tail.length + this.#moreLen > MAX_UNIT) throw this.fail("a single tag or text runs longer than 64 MB", this.base);
        return;
      }
      let parts = this.#more.length === 0 ? [this.#tail] : [this.#tail, ...this.#more];
      let head = this.#tail.length + this.#moreLen;
      this.#more = [];
      this.#moreLen = 0;
      this.#tail = null;
      // Finish the cut unit on one joined buffer holding it and a few KB of this chunk (not the whole
      // chunk); the unit ends `end` bytes in, so one join does unless its kind was unknown.
      let take = Math.min(chunk.length, Math.max(end, 4096));
      for (;;) {
        const joined = Buffer.concat([...parts, chunk.subarray(0, take)]);
        this.copiedBytes += joined.length;
        const done = this.#scan(joined, head);
        if (done >= head) {
          start = done - head;
          this.base += head;
          break;
        }
        if (take === chunk.length) {
          this.#keep(joined, done);
          return;
        }
        this.base += done;
        parts = [joined.subarray(done, head)];
        head -= done;
        take = Math.min(chunk.length, take * 8);
      }
    }
    this.#scanFrom = start;
    const done = this.#scan(chunk, chunk.length);
    if (done < chunk.length) this.#keep(chunk, done);
    else this.base += chunk.length;
  }

  /** Keeps buf[done..] as the unfinished tail; `base` then points at its first byte. */
  #keep(buf: Buffer, done: number): void {
    this.base += done;
    if (buf.length - done > MAX_UNIT) throw this.fail("a single tag or text runs longer than 64 MB", this.base);
    // Copy so the (large) chunk can be freed; the tail is small.
    const tail = Buffer.from(buf.subarray(done));
    this.#tail = tail;
    this.copiedBytes += tail.length;
    // Which terminator ends it, searched for from just past its opener.
    let unit = U_UNKNOWN;
    let from = 0;
    if (tail[0] !== LT) unit = U_TEXT;
    else if (tail.length >= 2) {
      const c = tail[1];
      if (c === SLASH) {
        unit = U_END_TAG;
        from = 2;
      } else if (c === QUESTION) {
        unit = U_PI;
        from = 2;
      } else if (c !== BANG) {
        unit = U_TAG;
        from = 1;
      } else if (tail.length >= 4 && tail[2] === 45 && tail[3] === 45) {
        unit = U_COMMENT;
        from = 4;
      } else if (tail.length >= 9 && tail.toString("latin1", 0, 9) === "<![CDATA[") {
        unit = U_CDATA;
        from = 9;
      }
    }
    this.#unit = unit;
    this.#quote = 0;
    this.#last1 = this.#last2 = -1;
    // (The scan found it unfinished, so no terminator should be here; if one were, joining with the
    // next chunk at once is always right.)
    if (unit !== U_UNKNOWN && this.#unitEnd(tail, from) >= 0) this.#unit = U_UNKNOWN;
  }

  /**
   * Looks for the tail unit's terminator in buf[from..], carrying what it needs across calls (an
   * open quote, the last bytes of a terminator cut in two); returns the index just past it or -1.
   */
  #unitEnd(buf: Buffer, from: number): number {
    const len = buf.length;
    const unit = this.#unit;
    if (unit === U_TEXT || unit === U_END_TAG) {
      const i = buf.indexOf(unit === U_TEXT ? LT : GT, from);
      return i < 0 ? -1 : i + 1;
    }
    if (unit === U_TAG) {
      let q = this.#quote;
      let i = from;
      while (i < len) {
        if (q !== 0) {
          const j = buf.indexOf(q, i);
          if (j < 0) break;
          q = 0;
          i = j + 1;
        } else {
          const b = buf[i++];
          if (b === GT) return i;
          if (b === DQ || b === SQ) q = b;
        }
      }
      this.#quote = q;
      return -1;
    }
    const term = unit === U_COMMENT ? "-->" : unit === U_CDATA ? "]]>" : "?>";
    const t0 = term.charCodeAt(0);
    const t1 = term.charCodeAt(1);
    if (term.length === 3) {
      if (this.#last2 === t0 && this.#last1 === t1 && buf[from] === GT) return from + 1;
      if (this.#last1 === t0 && buf[from] === t1 && buf[from + 1] === GT) return from + 2;
    } else if (this.#last1 === t0 && buf[from] === t1) return from + 1;
    const i = buf.indexOf(term, from, "latin1");
    if (i >= 0) return i + term.length;
    if (len - from >= 2) {
      this.#last2 = buf[len - 2];
      this.#last1 = buf[len - 1];
    } else if (len - from === 1) {
      this.#last2 = this.#last1;
      this.#last1 = buf[len - 1];
    }
    return -1;
  }

  /** Call after the last chunk: anything unfinished means the XML is cut short. */
  end(): void {
    const tail = this.#tail === null ? null : Buffer.concat([this.#tail, ...this.#more]);
    if (tail !== null && tail.length > 0) {
      // Trailing text after the root is fine if it is whitespace.
      let onlySpace = this.#depth === 0;
      for (let i = 0; onlySpace && i < tail.length; i++) if (!isSpace(tail[i])) onlySpace = false;
      if (!onlySpace) throw this.fail("the XML ends in the middle of a tag or text", this.base);
    }
    if (!this.#sawRoot) throw this.fail("there is no root element", this.base);
    if (this.#depth > 0) throw this.fail("the XML ends before all elements are closed", this.base);
  }

  #push(h: number, pos: number): void {
    if (this.#depth === this.#stack.length) {
      if (this.#depth >= MAX_DEPTH) throw this.fail("elements are nested too deeply", pos);
      const bigger = new Int32Array(this.#stack.length * 2);
      bigger.set(this.#stack);
      this.#stack = bigger;
    }
    this.#stack[this.#depth++] = h;
  }

  /** Scans units from #scanFrom until `stopAt` is passed; returns how many bytes of `buf` were fully consumed. */
  #scan(buf: Buffer, stopAt: number): number {
    const handler = this.#handler;
    const len = buf.length;
    let pos = this.#scanFrom;
    this.#scanFrom = 0;
    while (pos < len && pos < stopAt) {
      // Text up to the next '<'. A plain loop beats Buffer.indexOf for the short gaps in sheet XML.
      let lt = pos;
      while (lt < len && buf[lt] !== LT) lt++;
      if (lt === len) return pos; // text cut by the chunk end: keep it whole for next time
      if (lt > pos) {
        if (this.#depth > 0) handler.text(buf, pos, lt, this.#depth);
        else {
          for (let i = pos; i < lt; i++) {
            if (!isSpace(buf[i])) throw this.fail("text outside the root element", this.base + i);
          }
        }
      }
      pos = lt;
      if (lt + 1 >= len) return pos;
      const c = buf[lt + 1];
      if (c === SLASH) {
        // End tag: </name   >
        let i = lt + 2;
        const nameStart = i;
        let local = i;
        while (i < len) {
          const b = buf[i];
          if (b === GT || isSpace(b)) break;
          if (b === COLON) local = i + 1;
          i++;
        }
        const nameEnd = i;
        while (i < len && isSpace(buf[i])) i++;
        if (i >= len) return pos;
        if (buf[i] !== GT || nameEnd === nameStart) throw this.fail("a broken end tag", this.base + lt);
        if (this.#depth === 0) throw this.fail("an end tag without a start tag", this.base + lt);
        if (this.#stack[this.#depth - 1] !== nameHash(buf, nameStart, nameEnd)) {
          throw this.fail(`the end tag </${buf.toString("utf8", nameStart, nameEnd)}> does not match its start tag`, this.base + lt);
        }
        handler.close(buf, local, nameEnd, this.#depth);
        this.#depth--;
        if (this.#depth === 0) this.#rootClosed = true;
        pos = i + 1;
      } else if (c === BANG) {
        const r = this.#special(buf, lt);
        if (r < 0) return pos;
        pos = r;
      } else if (c === QUESTION) {
        // Processing instruction (the XML declaration included): skip to '?>'.
        let i = lt + 2;
        while (i + 1 < len && !(buf[i] === QUESTION && buf[i + 1] === GT)) i++;
        if (i + 1 >= len) return pos;
        pos = i + 2;
      } else {
        if (this.#depth === this.fastDepth) {
          const r = (this.fastLane as FastLane).fast(buf, lt);
          if (r >= 0) {
            pos = r;
            continue;
          }
        }
        const r = this.#startTag(buf, lt, handler);
        if (r < 0) return pos;
        pos = r;
      }
    }
    return pos;
  }

  /** Parses `<name attr="v" ...>` or `/>`; returns the index after '>' or -1 if incomplete. */
  #startTag(buf: Buffer, lt: number, handler: XmlHandler): number {
    const len = buf.length;
    let i = lt + 1;
    const nameStart = i;
    let local = i;
    while (i < len) {
      const b = buf[i];
      if (b === GT || b === SLASH || isSpace(b)) break;
      if (b === COLON) local = i + 1;
      else if (b === LT || b === EQ || b === DQ || b === SQ) throw this.fail("a broken start tag", this.base + lt);
      i++;
    }
    if (i >= len) return -1;
    const nameEnd = i;
    if (nameEnd === nameStart) throw this.fail("a '<' that does not start a tag", this.base + lt);
    let attrs = this.attrs;
    let n = 0;
    let selfClosing = false;
    for (;;) {
      while (i < len && isSpace(buf[i])) i++;
      if (i >= len) return -1;
      let b = buf[i];
      if (b === GT) {
        i++;
        break;
      }
      if (b === SLASH) {
        if (i + 1 >= len) return -1;
        if (buf[i + 1] !== GT) throw this.fail("a broken start tag", this.base + i);
        selfClosing = true;
        i += 2;
        break;
      }
      // attribute name
      const an = i;
      while (i < len) {
        b = buf[i];
        if (b === EQ || isSpace(b) || b === GT || b === SLASH) break;
        if (b === LT || b === DQ || b === SQ) throw this.fail("a broken attribute", this.base + i);
        i++;
      }
      const ane = i;
      while (i < len && isSpace(buf[i])) i++;
      if (i >= len) return -1;
      if (buf[i] !== EQ) throw this.fail("an attribute without a value", this.base + i);
      i++;
      while (i < len && isSpace(buf[i])) i++;
      if (i >= len) return -1;
      const q = buf[i];
      if (q !== DQ && q !== SQ) throw this.fail("an attribute value without quotes", this.base + i);
      i++;
      const vs = i;
      while (i < len) {
        b = buf[i];
        if (b === q) break;
        if (b === LT) throw this.fail("a '<' inside an attribute value", this.base + i);
        i++;
      }
      if (i >= len) return -1;
      if (n * 4 + 4 > attrs.length) {
        if (n >= MAX_ATTRS) throw this.fail("too many attributes", this.base + an);
        const bigger = new Int32Array(attrs.length * 2);
        bigger.set(attrs);
        this.attrs = attrs = bigger;
      }
      attrs[n * 4] = an;
      attrs[n * 4 + 1] = ane;
      attrs[n * 4 + 2] = vs;
      attrs[n * 4 + 3] = i;
      n++;
      i++; // closing quote
      if (i < len) {
        b = buf[i];
        if (!(isSpace(b) || b === GT || b === SLASH)) throw this.fail("attributes without space between them", this.base + i);
      }
    }
    if (this.#depth === 0) {
      if (this.#rootClosed) throw this.fail("a second root element", this.base + lt);
      this.#sawRoot = true;
    }
    this.attrCount = n;
    this.#push(nameHash(buf, nameStart, nameEnd), this.base + lt);
    handler.open(buf, local, nameEnd, this.#depth, selfClosing);
    if (selfClosing) {
      handler.close(buf, local, nameEnd, this.#depth);
      this.#depth--;
      if (this.#depth === 0) this.#rootClosed = true;
    }
    return i;
  }

  /** Comments, CDATA and DOCTYPE. Returns the index after the construct or -1 if incomplete. */
  #special(buf: Buffer, lt: number): number {
    const len = buf.length;
    if (lt + 3 >= len) return -1;
    if (buf[lt + 2] === 45 && buf[lt + 3] === 45) {
      // <!-- ... -->
      let i = lt + 4;
      while (i + 2 < len && !(buf[i] === 45 && buf[i + 1] === 45 && buf[i + 2] === GT)) i++;
      return i + 2 < len ? i + 3 : -1;
    }
    if (lt + 9 > len) return -1;
    if (buf.toString("latin1", lt, lt + 9) === "<![CDATA[") {
      if (this.#depth === 0) throw this.fail("CDATA outside the root element", this.base + lt);
      let i = lt + 9;
      while (i + 2 < len && !(buf[i] === 93 && buf[i + 1] === 93 && buf[i + 2] === GT)) i++;
      if (i + 2 >= len) return -1;
      this.#handler.cdata(buf, lt + 9, i, this.#depth);
      return i + 3;
    }
    // DOCTYPE (and anything else): Office parts never have one, and refusing it rules out entity
    // expansion attacks.
    throw this.fail("a DOCTYPE or other declaration, which Office files never contain", this.base + lt);
  }
}

// ---- helpers for handlers --------------------------------------------------------------------

/** Decodes UTF-8 bytes and XML references (`&amp;`, `&#x41;`); returns null on a bad reference. */
export function decodeXmlText(buf: Buffer, start: number, end: number): string | null {
  const s = buf.toString("utf8", start, end);
  return s.indexOf("&") < 0 ? s : decodeEntities(s);
}

/** Replaces XML references in `s`; returns null when a '&' does not start a valid reference. */
export function decodeEntities(s: string): string | null {
  let out = "";
  let last = 0;
  let i = s.indexOf("&");
  while (i >= 0) {
    const semi = s.indexOf(";", i);
    if (semi < 0 || semi - i > 12) return null;
    const ref = s.slice(i + 1, semi);
    let ch: string | undefined;
    if (ref === "amp") ch = "&";
    else if (ref === "lt") ch = "<";
    else if (ref === "gt") ch = ">";
    else if (ref === "quot") ch = '"';
    else if (ref === "apos") ch = "'";
    else if (/^#[0-9]{1,7}$/.test(ref)) ch = codePoint(parseInt(ref.slice(1), 10));
    else if (/^#[xX][0-9a-fA-F]{1,6}$/.test(ref)) ch = codePoint(parseInt(ref.slice(2), 16));
    if (ch === undefined) return null;
    out += s.slice(last, i) + ch;
    last = semi + 1;
    i = s.indexOf("&", last);
  }
  return out + s.slice(last);
}

function codePoint(code: number): string | undefined {
  return code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

const X_ESCAPE = /_x([0-9A-Fa-f]{4})_/g;

/** Undoes OOXML's `_xHHHH_` escapes (`_x000D_` is a carriage return, `_x005F_` an underscore). */
export function unescapeOoxml(s: string): string {
  if (s.indexOf("_x") < 0) return s;
  return s.replace(X_ESCAPE, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** True when the bytes [start, end) equal the ASCII string `name`. */
export function bytesEqual(buf: Buffer, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (buf[start + i] !== name.charCodeAt(i)) return false;
  return true;
}
