// @ts-check
/**
 * Tiny helpers for building markup as strings. The views render data -> string so they can be tested
 * in Node without a DOM; everything that came from data goes through `escapeHtml` first.
 */

/**
 * Returns `value` as text safe inside HTML/SVG element content and double-quoted attributes.
 *
 * @example
 * escapeHtml('<b title="x">'); // "&lt;b title=&quot;x&quot;&gt;"
 * @param {unknown} value
 * @returns {string}
 */
export function escapeHtml(value) {
  return String(value ?? "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/**
 * Returns what a caught `error` says, for a message shown to the user: an Error's message, else the value as text.
 *
 * @example
 * errorText(new Error("Cannot reach the API")); // "Cannot reach the API"
 * @param {unknown} error
 * @returns {string}
 */
export function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Returns a number with thousands separators (the users read Spanish and English; a thin grouping reads in both).
 *
 * @example
 * formatCount(12345); // "12,345"
 * @param {number | undefined | null} value
 * @returns {string}
 */
export function formatCount(value) {
  if (value === undefined || value === null || !Number.isFinite(value)) return "–";
  return Math.round(value).toLocaleString("en-US");
}

/**
 * Returns an ISO timestamp as "2026-11-29 09:50 UTC" (UTC so every reader sees the same time as the logs).
 *
 * @example
 * formatTime("2026-11-29T09:50:45.123Z"); // "2026-11-29 09:50 UTC"
 * @param {string | undefined | null} iso
 * @returns {string}
 */
export function formatTime(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
