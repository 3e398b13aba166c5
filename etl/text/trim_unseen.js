/**
 * Returns `text` without what surrounds it unseen: whitespace at either end, as trim() takes off,
 * invisible formatting characters (Unicode Cf: U+200B zero-width space, U+2060, U+FEFF, U+E0020
 * tag space...) and the characters that show as nothing wherever they stand (BLANK_AT_ENDS: the
 * Hangul fillers, U+2800 BRAILLE PATTERN BLANK...: 'Sales\u3164' was a department beside 'Sales'),
 * in any mix. One look at each code point from either end: the regular expression it replaces,
 * /^[\s\p{Cf}]+|[\s\p{Cf}]+$/gu, retried its right-hand side at every character of a run of
 * spaces inside the text, so a department of "a" + 100,000 spaces + "b" blocked the API for 5 s
 * and a workbook cell alike.
 *
 * @example
 * ```ts
 * trimUnseen("\u200b Sales\u2060 "); // "Sales"
 * trimUnseen("Sales\u3164"); // "Sales"
 * ```
 * @param {string} text
 * @returns {string}
 */
export function trimUnseen(text) {
  return trimWhile(text, UNSEEN);
}

/**
 * Returns `text` without whitespace (as trim()) and BLANK_AT_ENDS characters at either end, in any
 * mix: a person's name, which refuses an invisible formatting character rather than lose it
 * ('Ann\u3164' was stored with its filler).
 *
 * @example
 * ```ts
 * trimBlank(" Ann\u3164"); // "Ann"
 * ```
 * @param {string} text
 * @returns {string}
 */
export function trimBlank(text) {
  return trimWhile(text, SPACE_OR_BLANK);
}

/**
 * `text` without the code points that match `one` (a class of one code point) at either end.
 * @param {string} text
 * @param {RegExp} one
 */
function trimWhile(text, one) {
  let start = 0;
  let end = text.length;
  while (start < end) {
    const char = String.fromCodePoint(/** @type {number} */ (text.codePointAt(start)));
    if (!one.test(char)) break;
    start += char.length;
  }
  while (end > start) {
    // The code point that ends at `end`: a surrogate pair when a low half follows a high one.
    const pair = end - 2 >= start && isLow(text.charCodeAt(end - 1)) && isHigh(text.charCodeAt(end - 2));
    const char = text.slice(pair ? end - 2 : end - 1, end);
    if (!one.test(char)) break;
    end -= char.length;
  }
  return text.slice(start, end);
}

/** @param {number} unit */
const isHigh = (unit) => unit >= 0xd800 && unit <= 0xdbff;
/** @param {number} unit */
const isLow = (unit) => unit >= 0xdc00 && unit <= 0xdfff;

/**
 * The characters besides whitespace and Cf that show as nothing, as inclusive code point ranges:
 * Unicode's assigned default-ignorable code points that are not Cf (U+034F combining grapheme
 * joiner, the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0, the Khmer inherent vowels, the
 * Mongolian and other variation selectors) and U+2800 BRAILLE PATTERN BLANK. The Hangul fillers
 * are letters (Lo) to Unicode: a first name of U+3164 alone passed "at least one letter" and was
 * stored as a name that shows blank. One list for JavaScript (`isBlank`) and the CSV load's SQL
 * (etl/contacts _ingest_sql.ts, _letters.ts), checked against Node's \p{Default_Ignorable_Code_Point}.
 * @type {readonly (readonly [number, number])[]}
 */
export const BLANK_LOOKING = [
  [0x034f, 0x034f], [0x115f, 0x1160], [0x17b4, 0x17b5], [0x180b, 0x180d], [0x180f, 0x180f], [0x2800, 0x2800],
  [0x3164, 0x3164], [0xfe00, 0xfe0f], [0xffa0, 0xffa0], [0xe0100, 0xe01ef],
];

/**
 * The BLANK_LOOKING characters trimUnseen() and trimBlank() take off an end: all but the variation
 * selectors (U+180B-U+180D, U+180F, U+FE00-U+FE0F, U+E0100-U+E01EF), which pick the glyph of the
 * character before them ('\u2708\ufe0f' shows an emoji, a Japanese family name may need an
 * ideographic variant): at an end they are seen. One list for JavaScript and the SQL that trims
 * (etl/contacts _ingest_sql.ts NAME_ENDS, migrations 015-016 and postgres/007).
 * @type {readonly (readonly [number, number])[]}
 */
export const BLANK_AT_ENDS = [[0x034f, 0x034f], [0x115f, 0x1160], [0x17b4, 0x17b5], [0x2800, 0x2800], [0x3164, 0x3164], [0xffa0, 0xffa0]];

/**
 * Code point ranges written for the inside of a character class, in one engine's escape: `\u{...}`
 * for a JavaScript regular expression with the u flag, `\x{...}` for RE2 (DuckDB's and the CSV
 * load's SQL). One writer for every class built from the range lists here and in etl/contacts.
 *
 * @example
 * ```ts
 * codePointRanges([[0x3164, 0x3164], [0xfe00, 0xfe0f]], "js"); // "\\u{3164}\\u{FE00}-\\u{FE0F}"
 * ```
 * @param {readonly (readonly [number, number])[]} ranges
 * @param {"js" | "sql"} engine
 * @returns {string}
 */
export function codePointRanges(ranges, engine) {
  /** @param {number} cp */
  const escape = (cp) => `${engine === "js" ? "\\u" : "\\x"}{${cp.toString(16).toUpperCase()}}`;
  return ranges.map(([a, b]) => (a === b ? escape(a) : `${escape(a)}-${escape(b)}`)).join("");
}

/** One code point of whitespace (what \s and trim() take: WhiteSpace and LineTerminator), Cf or BLANK_AT_ENDS. */
const UNSEEN = new RegExp(`^[\\s\\p{Cf}${codePointRanges(BLANK_AT_ENDS, "js")}]$`, "u");
/** One code point of whitespace or BLANK_AT_ENDS. */
const SPACE_OR_BLANK = new RegExp(`^[\\s${codePointRanges(BLANK_AT_ENDS, "js")}]$`, "u");

const BLANK = new RegExp(`^[\\s\\p{Cf}${codePointRanges(BLANK_LOOKING, "js")}]*$`, "u");

/**
 * True when `text` shows as nothing: only whitespace, invisible formatting characters (what
 * trimUnseen() takes off the ends) and BLANK_LOOKING characters, or empty. A name that is blank is
 * refused as an empty one is.
 *
 * @example
 * ```ts
 * isBlank("\u3164"); // true: HANGUL FILLER
 * isBlank("김\u3164민준"); // false
 * ```
 * @param {string} text
 * @returns {boolean}
 */
export function isBlank(text) {
  return BLANK.test(text);
}
