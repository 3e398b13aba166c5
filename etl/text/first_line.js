/**
 * Returns the first line of what was thrown: an error's message, or the thrown value as text.
 * DuckDB's messages go on with hints and context lines after the first; a message for a user or a
 * report keeps the line that says what went wrong.
 *
 * @example
 * ```ts
 * firstLine(new Error("IO Error: No space left on device\n\nLINE 1: COPY ...")); // "IO Error: No space left on device"
 * firstLine("plain"); // "plain"
 * ```
 * @param {unknown} error
 * @returns {string}
 */
export function firstLine(error) {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
