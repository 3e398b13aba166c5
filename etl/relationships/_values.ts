// Value helpers shared by the matrix and list readers. Workbooks written by other tools store ids
// as numbers or as numeric text ("12"), so both count.
import type { CellValue } from "../xlsx/mod.ts";

/** Returns a positive integer id held by the cell, or null. */
export function asId(value: CellValue): number | null {
  if (typeof value === "number") return Number.isInteger(value) && value > 0 && value <= 2 ** 31 - 1 ? value : null;
  if (typeof value === "string" && /^\s*\d{1,10}\s*$/.test(value)) {
    const n = Number(value);
    return n > 0 && n <= 2 ** 31 - 1 ? n : null;
  }
  return null;
}

/** Returns trimmed text that is not an id, or null (numbers, blanks, booleans, errors). */
export function asText(value: CellValue): string | null {
  if (typeof value !== "string") return null;
  const text = value.trim();
  if (text.length === 0 || asId(text) !== null) return null;
  return text;
}

/** Renders a value for a finding's message. */
export function show(value: CellValue): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value);
}
