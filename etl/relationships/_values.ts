// Value helpers shared by the matrix and list readers. Workbooks written by other tools store ids
// as numbers or as numeric text ("12"), so both count.
import { trimUnseen } from "../text/mod.js";
import { CellError, UNCALCULATED, type CellValue } from "../xlsx/mod.ts";

/** The largest actor id: ids are INTEGER columns in the snapshot (`schema.sql`). */
export const MAX_ID = 2 ** 31 - 1;

/**
 * Text without what surrounds it unseen: whitespace and invisible formatting characters (Unicode
 * Cf: U+200B zero-width space, U+2060, U+FEFF) at either end, in time linear in the cell's length.
 */
const bare = trimUnseen;

/**
 * Returns the whole number a cell holds (a number, or text of digits with at most a zero fraction:
 * `12`, `12.0` as a float column exports it, as the number 12.0 would be), whether or not it is a
 * valid id, else null. A cell meant as an id but out of range (0, 2^31 or more) is still told apart
 * from text, so it is reported as an id, not taken for the end of a header or a row without an id.
 */
export function asWholeNumber(value: CellValue): number | null {
  if (typeof value === "number") return Number.isInteger(value) ? value : null;
  if (typeof value !== "string") return null;
  const text = bare(value);
  return /^\d+(?:\.0+)?$/.test(text) ? Number(text) : null;
}

/** Returns a positive integer id held by the cell (1 to MAX_ID), or null. */
export function asId(value: CellValue): number | null {
  const n = asWholeNumber(value);
  return n !== null && n > 0 && n <= MAX_ID ? n : null;
}

/**
 * Returns the number a header cell holds when it is no valid id (0, negative, above MAX_ID, a
 * fraction such as 5.5), else null: in the header row a number is meant as an id, wherever it is.
 */
export function asBadId(value: CellValue): number | null {
  if (asId(value) !== null) return null;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value !== "string") return null;
  const text = bare(value);
  return /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : null;
}

/**
 * True when an id cell holds something that is no id and not blank either: an error (`#REF!`, Google
 * Sheets' `#N/A`), a boolean, or text that spells no number (`3,0`, `6a`). Dates, numbers that are
 * no valid id (`asBadId()`) and formulas saved without their result have checks of their own.
 */
export function isBrokenId(value: CellValue | undefined): boolean {
  if (value === undefined || value instanceof Date || isUncalculated(value)) return false;
  if (typeof value === "string" && bare(value) === "") return false;
  return asId(value) === null && asBadId(value) === null;
}

/**
 * Returns a code or name as the load stores it: without whitespace or invisible formatting
 * characters at either end (a zero-width space pasted from a web page made 'A' and 'A\u200b' two
 * codes that look the same), and composed (NFC).
 *
 * @example
 * ```ts
 * tidy(" N\u0303\u200b"); // "Ñ"
 * ```
 */
export function tidy(text: string): string {
  return bare(text).normalize("NFC");
}

/**
 * Returns trimmed text that is not an id, or null (numbers, blanks, booleans, errors). Composed
 * (NFC): a code typed as N + combining tilde (macOS, a paste from a PDF) looks like Ñ but compared
 * unequal, so the matrix and the list "disagreed" on 'Ñ vs Ñ' and the API's /actors/Ñ missed it.
 */
export function asText(value: CellValue): string | null {
  if (typeof value !== "string") return null;
  const text = tidy(value);
  if (text.length === 0 || asId(text) !== null) return null;
  return text;
}

/**
 * Text that is a number as a number cell would hold it (`<v>` text): optional sign, digits with an
 * optional fraction, optional exponent. No thousands separators, no decimal comma, no hex.
 */
const NUMBER_TEXT = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/**
 * Returns what a matrix cell says, by one rule for numbers and text alike: a cell counts as the
 * number it holds, where text counts as the number it spells once surrounding whitespace and
 * invisible formatting characters are ignored ("1", " 1 ", "1\u200b", "1.0", "1e0" are 1); 0 and 1
 * are the only valid numbers. Empty text, or text of nothing else, is "blank" (unknown, never 0).
 * Anything else returns null (invalid).
 *
 * @example
 * ```ts
 * asMatrixValue(" 1.0 "); // 1
 * asMatrixValue("  ");    // "blank"
 * asMatrixValue("uno");   // null
 * ```
 */
export function asMatrixValue(value: CellValue): 0 | 1 | "blank" | null {
  let number: number;
  if (typeof value === "number") number = value;
  else if (typeof value === "string") {
    if (value === "1") return 1; // the usual text cells, without a regular expression each
    if (value === "0") return 0;
    const text = bare(value);
    if (text.length === 0) return "blank";
    if (!NUMBER_TEXT.test(text)) return null;
    number = Number(text);
  } else return null;
  return number === 0 ? 0 : number === 1 ? 1 : null;
}

/** Returns true for a formula saved without its result (openpyxl and other libraries write no `<v>`). */
export function isUncalculated(value: CellValue): boolean {
  return value instanceof CellError && value.code === UNCALCULATED;
}

/**
 * Renders a value for a finding's message, as a spreadsheet shows it: booleans `TRUE`/`FALSE` (a
 * matrix of Google Sheets checkboxes was quoted 'true', 'false'), dates as ISO days.
 */
export function show(value: CellValue): string {
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value);
}
