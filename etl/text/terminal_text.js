/**
 * Returns `text` safe to write to a terminal: every control character except line feed and tab is
 * shown as its `\uXXXX` escape (ESC as `\u001b`, BEL as `\u0007`, CSI U+009B as `\u009b`). Text from
 * the user's files (CSV headers and cells, sheet and actor names, file names) reaches our messages,
 * and raw it could retitle the terminal, clear it, move the cursor or rewrite the line before (a
 * carriage return). Line feeds and tabs lay out our own reports, so a whole report passes through
 * here where it is written. The escapes are JSON's, so a JSON line stays valid JSON with the same
 * value (JSON.stringify leaves DEL and U+0080-009F raw).
 *
 * @example
 * ```ts
 * terminalText("\u001b]0;pwned\u0007"); // "\\u001b]0;pwned\\u0007"
 * terminalText("line 1\n\tline 2");      // unchanged
 * ```
 * @param {string} text
 * @returns {string}
 */
export function terminalText(text) {
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROL_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

// C0 controls but tab (U+0009) and line feed (U+000A), DEL, and C1 controls (U+0080-009F).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const CONTROL_ALL = new RegExp(CONTROL.source, "g");
