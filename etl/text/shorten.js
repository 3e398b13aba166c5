/**
 * Returns `text` cut to `max` characters for a message: whole when it has no more, else its first
 * `max - 3` and "...". Characters are code points, as the databases count them (an emoji is one,
 * and never cut in half); only the start of a long text is looked at, so a cell of megabytes costs
 * no more than a short one. The CSV load's SQL twin is `shortenSql` (etl/contacts/_ingest_sql.ts).
 *
 * @example
 * ```ts
 * shorten("Ana", 60); // "Ana"
 * shorten("x".repeat(100), 10); // "xxxxxxx..."
 * ```
 * @param {string} text
 * @param {number} max
 * @returns {string}
 */
export function shorten(text, max) {
  if (text.length <= max) return text;
  // Two units at most per character: this slice holds more than `max` of them unless it is all of `text`.
  const chars = Array.from(text.slice(0, 2 * max + 2));
  return chars.length <= max ? text : `${chars.slice(0, max - 3).join("")}...`;
}
