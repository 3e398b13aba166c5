/**
 * Small text rules every part of the project shares, each with exactly one home: folding names for
 * comparison and search, trimming what is unseen at either end, writing a CSV field safely, showing text on a terminal safely, the
 * first line of an error, and a long text cut for a message. Plain
 * JavaScript with JSDoc types, like etl/settings: `npm run etl` escapes its usage errors with it
 * before any TypeScript loader starts.
 *
 * @example
 * ```ts
 * import { csvField, fold } from "../text/mod.js";
 * fold("Peña") === fold("pena"); // true
 * csvField("@SUM(A1)"); // "'@SUM(A1)"
 * ```
 */
export { CSV_LIST_SEPARATOR, csvField, csvListItem } from "./csv_field.js";
export { firstLine } from "./first_line.js";
export { fold } from "./fold.js";
export { oneLine } from "./one_line.js";
export { shorten } from "./shorten.js";
export { terminalText } from "./terminal_text.js";
export { BLANK_AT_ENDS, BLANK_LOOKING, codePointRanges, isBlank, trimBlank, trimUnseen } from "./trim_unseen.js";
