/**
 * Which contacts may contain a text, in a bounded amount of memory: a bloom filter of trigrams per
 * block of consecutive ids (PostgreSQL's BRIN bloom, kept in the API). DuckDB has no index for
 * `contains()`, and a filter matching nothing scans every row (10 ms at 1M contacts, so a few dozen
 * such requests at once wait half a second); with this the scan reads only the blocks whose filter
 * holds every trigram of the text, usually none or a few.
 *
 * The filter may say yes wrongly, never no: a block's bits only ever grow (a value written, a
 * block merged) until the whole index is built again. Only trigrams of ASCII letters, digits and
 * signs are looked up, as ASCII folds the same way in etl/text fold() and in SQL's fold(); the
 * stored values are read from the database, already folded there.
 */

import type { IdRanges } from "../../etl/contacts/mod.ts";

/** Bits of one block's filter (1 KiB). */
const BLOCK_BITS = 8192;
const BLOCK_WORDS = BLOCK_BITS / 32;
/** Ids per block at least: below that the filters would cost more memory than the rows they cover. */
const MIN_SHIFT = 6;
/**
 * More ranges than this and the scan is cheaper: DuckDB reads a union of id ranges at ~1 ms each
 * (1M contacts), and a whole `contains()` scan in 10 ms.
 */
export const MAX_RANGES = 8;

export class TrigramBlocks {
  readonly #maxBlocks: number;
  /** log2 of the ids per block. */
  #shift = MIN_SHIFT;
  #words: Uint32Array;

  /** `maxBytes` bounds the filters (blocks grow wider as ids pass what fits). */
  constructor(maxBytes: number) {
    this.#maxBlocks = Math.max(2, Math.floor(maxBytes / (BLOCK_BITS / 8)));
    this.#words = new Uint32Array(Math.min(64, this.#maxBlocks) * BLOCK_WORDS);
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#words.byteLength;
  }

  /** Ids per block. */
  get blockIds(): number {
    return 2 ** this.#shift;
  }

  /** Makes room for ids up to `maxId` (one allocation instead of doublings while building). */
  reserve(maxId: number): void {
    this.#fit(maxId);
  }

  /** Records the trigrams of `text`, a stored value of contact `id`. */
  add(id: number, text: string): void {
    if (text.length < 3) return;
    this.#fit(id);
    const base = (id >>> this.#shift) * BLOCK_WORDS;
    const words = this.#words;
    let a = text.charCodeAt(0);
    let b = text.charCodeAt(1);
    for (let i = 2; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const bit = trigramBit(a, b, c);
      words[base + (bit >>> 5)] |= 1 << (bit & 31);
      a = b;
      b = c;
    }
  }

  /**
   * The ids whose values may contain `text` (compared as folded text): undefined when the filters
   * cannot narrow it (no trigram of ASCII characters, or more than MAX_RANGES ranges to read).
   */
  narrow(text: string): IdRanges | undefined {
    const bits = queryBits(text);
    if (bits.length === 0) return undefined;
    const words = this.#words;
    const blocks = words.length / BLOCK_WORDS;
    const ranges: [number, number][] = [];
    for (let block = 0; block < blocks; block++) {
      const base = block * BLOCK_WORDS;
      let all = true;
      for (const bit of bits) {
        if ((words[base + (bit >>> 5)] & (1 << (bit & 31))) === 0) {
          all = false;
          break;
        }
      }
      if (!all) continue;
      const first = block << this.#shift;
      const last = first + this.blockIds - 1;
      const previous = ranges.at(-1);
      if (previous !== undefined && previous[1] === first - 1) previous[1] = last;
      else if (ranges.push([first, last]) > MAX_RANGES) return undefined;
    }
    return ranges;
  }

  /** Grows the blocks to hold `id`: more of them up to the bound, then each twice as wide. */
  #fit(id: number): void {
    let blocks = this.#words.length / BLOCK_WORDS;
    if (id >>> this.#shift < blocks) return;
    let needed = (id >>> this.#shift) + 1;
    while (needed > this.#maxBlocks) {
      this.#merge();
      needed = (id >>> this.#shift) + 1;
    }
    blocks = this.#words.length / BLOCK_WORDS;
    if (needed <= blocks) return;
    const grown = new Uint32Array(Math.min(this.#maxBlocks, Math.max(needed + (needed >>> 2), blocks * 2)) * BLOCK_WORDS);
    grown.set(this.#words);
    this.#words = grown;
  }

  /** Blocks twice as wide: each pair ORed into one (a filter may only gain bits). */
  #merge(): void {
    const words = this.#words;
    const blocks = words.length / BLOCK_WORDS;
    for (let block = 0; block < blocks; block++) {
      const to = (block >>> 1) * BLOCK_WORDS;
      const from = block * BLOCK_WORDS;
      if (block % 2 === 0) words.copyWithin(to, from, from + BLOCK_WORDS);
      else for (let w = 0; w < BLOCK_WORDS; w++) words[to + w] |= words[from + w];
    }
    words.fill(0, Math.ceil(blocks / 2) * BLOCK_WORDS);
    this.#shift++;
  }
}

/** Whether `outer` holds every id of `inner` (false for undefined: the filters could not narrow). */
export function covers(outer: IdRanges, inner: IdRanges | undefined): boolean {
  if (inner === undefined) return false;
  return inner.every(([first, last]) => outer.some(([from, to]) => from <= first && last <= to));
}

/** The filter bit of a trigram of UTF-16 code units (a multiply-xorshift mix). */
function trigramBit(a: number, b: number, c: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> (32 - 13);
}

/**
 * The bits of the trigrams a folded match of `text` must contain: those within runs of ASCII
 * characters, lower-cased (what SQL's fold does to them; a character outside ASCII may fold to
 * several, or none, so no trigram spans one).
 */
function queryBits(text: string): number[] {
  const bits = new Set<number>();
  let run: number[] = [];
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 128;
    if (code < 128) {
      run.push(code >= 65 && code <= 90 ? code + 32 : code);
      const n = run.length;
      if (n >= 3) bits.add(trigramBit(run[n - 3], run[n - 2], run[n - 1]));
    } else run = [];
  }
  return [...bits];
}
