// Value helpers shared by the matrix and list readers. Workbooks written by other tools store ids
// as numbers or as numeric text ("12"), so both count.
import { CellError, UNCALCULATED, type CellValue } from "../xlsx/mod.ts";

/** Returns a positive integer id held by the cell, or null. */
export function asId(value: CellValue): number | null {
  if (typeof value === "number") return Number.isInteger(value) && value > 0 && value <= 2 ** 31 - 1 ? value : null;
  if (typeof value === "string" && /^\s*\d{1,10}\s*$/.test(value)) {
    const n = Number(value);
    return n > 0 && n <= 2 ** 31 - 1 ? n : null;
  }
  return null;
}

/**
 * Returns trimmed text that is not an id, or null (numbers, blanks, booleans, errors). Composed
 * (NFC): a code typed as N + combining tilde (macOS, a paste from a PDF) looks like Ñ but compared
 * unequal, so the matrix and the list "disagreed" on 'Ñ vs Ñ' and the API's /actors/Ñ missed it.
 */
export function asText(value: CellValue): string | null {
  if (typeof value !== "string") return null;
  const text = value.trim().normalize("NFC");
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
 * number it holds, where text counts as the number it spells once surrounding whitespace is
 * ignored ("1", " 1 ", "1.0", "1e0" are 1); 0 and 1 are the only valid numbers. Empty or
 * whitespace-only text is "blank" (unknown, never 0). Anything else returns null (invalid).
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
    const text = value.trim();
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

/** Renders a value for a finding's message. */
export function show(value: CellValue): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value);
}
