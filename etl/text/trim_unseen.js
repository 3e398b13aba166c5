/**
 * Returns `text` without what surrounds it unseen: whitespace at either end, as trim() takes off,
 * and invisible formatting characters (Unicode Cf: U+200B zero-width space, U+2060, U+FEFF,
 * U+E0020 tag space...), in any mix. One look at each code point from either end: the regular
 * expression it replaces, /^[\s\p{Cf}]+|[\s\p{Cf}]+$/gu, retried its right-hand side at every
 * character of a run of spaces inside the text, so a department of "a" + 100,000 spaces + "b"
 * blocked the API for 5 s and a workbook cell alike.
 *
 * @example
 * ```ts
 * trimUnseen("\u200b Sales\u2060 "); // "Sales"
 * ```
 * @param {string} text
 * @returns {string}
 */
export function trimUnseen(text) {
  let start = 0;
  let end = text.length;
  while (start < end) {
    const char = String.fromCodePoint(/** @type {number} */ (text.codePointAt(start)));
    if (!UNSEEN.test(char)) break;
    start += char.length;
  }
  while (end > start) {
    // The code point that ends at `end`: a surrogate pair when a low half follows a high one.
    const pair = end - 2 >= start && isLow(text.charCodeAt(end - 1)) && isHigh(text.charCodeAt(end - 2));
    const char = text.slice(pair ? end - 2 : end - 1, end);
    if (!UNSEEN.test(char)) break;
    end -= char.length;
  }
  return text.slice(start, end);
}

/** One code point of whitespace (what \s and trim() take: WhiteSpace and LineTerminator) or Cf. */
const UNSEEN = /^[\s\p{Cf}]$/u;

/** @param {number} unit */
const isHigh = (unit) => unit >= 0xd800 && unit <= 0xdbff;
/** @param {number} unit */
const isLow = (unit) => unit >= 0xdc00 && unit <= 0xdfff;
