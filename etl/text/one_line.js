/**
 * Returns `text` as one line: each line break in it (line feed, carriage return, and the Unicode
 * line and paragraph separators) shown as its `\uXXXX` escape, as terminalText() shows control
 * characters. For a line of a report that quotes text from the user's files: a cell typed with
 * Alt+Enter, or a file name holding a line break, would otherwise add a line of its own, one that
 * can pass for ours ("Relationships: published version 9 ..."). terminalText() keeps line feeds,
 * since whole reports go through it; the report's lines go through here one by one first.
 *
 * @example
 * ```ts
 * oneLine("x\nRelationships: published"); // "x\\u000aRelationships: published"
 * ```
 * @param {string} text
 * @returns {string}
 */
export function oneLine(text) {
  if (!BREAK.test(text)) return text;
  return text.replace(BREAK_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const BREAK = /[\n\r\u2028\u2029]/;
const BREAK_ALL = new RegExp(BREAK.source, "g");
