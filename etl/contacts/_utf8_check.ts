/**
 * Whether a file is UTF-8, checked chunk by chunk as the CSV scan reads it: a spreadsheet's plain
 * "CSV" is saved in the computer's code page (Windows-1252 on Spanish and English Windows, Mac Roman
 * on a Mac), where every accented letter is one byte that is not UTF-8. Such a file has bytes that
 * are not UTF-8 and no UTF-8 letter outside ASCII; a UTF-8 file with a few damaged bytes has both.
 * Checked by node:buffer's isUtf8/isAscii (native); only a chunk that is not UTF-8 is walked in
 * JavaScript, once, to tell the two apart.
 */
import { isAscii, isUtf8 } from "node:buffer";

/** What the check found: the first byte that is not UTF-8, and whether any letter was UTF-8 beyond ASCII. */
export interface Utf8Check {
  /** Offset in the file of the first byte that is not UTF-8, or -1. */
  firstInvalid: number;
  /** That byte's value, or -1. */
  firstInvalidByte: number;
  /** A well-formed multi-byte sequence was seen somewhere. */
  multiByte: boolean;
}

/** Checks a file's chunks in order; `end()` after the last. */
export class Utf8Checker {
  readonly result: Utf8Check = { firstInvalid: -1, firstInvalidByte: -1, multiByte: false };
  /** The start of a sequence cut by the chunk's end, completed by the next chunk, and its offset. */
  #carry: Buffer = Buffer.alloc(0);
  #carryAt = 0;

  /**
   * Checks `chunk`, which starts at file offset `offset`.
   *
   * @example
   * ```ts
   * const check = new Utf8Checker();
   * check.chunk(Buffer.from([0x50, 0x65, 0xf1, 0x61]), 0); // "Peña" in Windows-1252
   * check.end().firstInvalid; // 2
   * ```
   */
  chunk(chunk: Buffer, offset: number): void {
    let start = 0;
    if (this.#carry.length > 0) {
      // The continuation bytes that finish the carried sequence.
      const wanted = sequenceLength(this.#carry[0]) - this.#carry.length;
      while (start < chunk.length && start < wanted && (chunk[start] & 0xc0) === 0x80) start++;
      const joined = Buffer.concat([this.#carry, chunk.subarray(0, start)]);
      if (start === chunk.length && start < wanted) {
        // A chunk shorter than the sequence (tiny reads): still carried.
        this.#carry = joined;
        return;
      }
      this.#part(joined, this.#carryAt);
      this.#carry = Buffer.alloc(0);
    }
    let end = chunk.length;
    // A sequence cut by the chunk's end: its lead byte and the continuation bytes after it.
    let k = end - 1;
    while (k >= start && end - k <= 3 && (chunk[k] & 0xc0) === 0x80) k--;
    if (k >= start && chunk[k] >= 0xc0 && end - k < sequenceLength(chunk[k])) {
      this.#carry = Buffer.from(chunk.subarray(k, end));
      this.#carryAt = offset + k;
      end = k;
    }
    this.#part(chunk.subarray(start, end), offset + start);
  }

  /** The result, once every chunk was checked (a sequence cut by the end of the file is not UTF-8). */
  end(): Utf8Check {
    if (this.#carry.length > 0) this.#invalidAt(this.#carryAt, this.#carry[0]);
    return this.result;
  }

  #part(bytes: Buffer, offset: number): void {
    // The byte order mark a UTF-8 export starts with is no letter: a Windows-1252 file behind one
    // (a converter that only added it) is still refused whole, not loaded but for its accented lines.
    const bom = offset === 0 && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    if (isUtf8(bytes)) {
      if (!this.result.multiByte && !isAscii(bom ? bytes.subarray(3) : bytes)) this.result.multiByte = true;
      return;
    }
    // Not UTF-8: where, and (until one is found) whether it also holds well-formed sequences.
    for (let i = 0; i < bytes.length; ) {
      const b = bytes[i];
      if (b < 0x80) {
        i++;
        continue;
      }
      const length = b >= 0xc2 ? sequenceLength(b) : 0;
      let good = length > 1 && length <= 4 && i + length <= bytes.length;
      for (let j = 1; good && j < length; j++) good = (bytes[i + j] & 0xc0) === 0x80;
      if (good) {
        if (!(bom && i === 0)) this.result.multiByte = true;
        i += length;
      } else {
        this.#invalidAt(offset + i, b);
        i++;
      }
      if (this.result.multiByte && this.result.firstInvalid >= 0) return;
    }
  }

  #invalidAt(offset: number, byte: number): void {
    if (this.result.firstInvalid >= 0) return;
    this.result.firstInvalid = offset;
    this.result.firstInvalidByte = byte;
  }
}

/** How many bytes the sequence led by `lead` has (lead >= 0xc0); 5 for a byte no sequence starts with. */
export function sequenceLength(lead: number): number {
  return lead >= 0xf5 ? 5 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
}
