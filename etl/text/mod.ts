/**
 * Small text rules every part of the project shares, each with exactly one home: folding names for
 * comparison and search, writing a CSV field safely, and showing text on a terminal safely.
 *
 * @example
 * ```ts
 * import { csvField, fold } from "../text/mod.ts";
 * fold("Peña") === fold("pena"); // true
 * csvField("@SUM(A1)"); // "'@SUM(A1)"
 * ```
 */
export { csvField } from "./csv_field.ts";
export { fold } from "./fold.ts";
export { terminalText } from "./terminal_text.ts";
