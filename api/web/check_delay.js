// @ts-check
/**
 * How long a page left open waits before it checks again for a new load.
 */

/** The wait while the checks answer. */
export const CHECK_EVERY_MS = 30_000;
/** The longest wait after failures: a tab open for days still sees the API back within minutes. */
export const CHECK_AT_MOST_MS = 600_000;

/**
 * Returns the wait before the next check after `failures` checks in a row failed: 30 s, doubled
 * for each failure, at most 10 min. A failing API (restarting, a broken table) is then asked
 * a few times an hour by each open tab, not 120 times, and a success starts again at 30 s.
 *
 * @example
 * checkDelay(0); // 30000
 * checkDelay(2); // 120000
 * checkDelay(9); // 600000
 * @param {number} failures  checks in a row that failed, 0 after one that answered
 * @returns {number} milliseconds
 */
export function checkDelay(failures) {
  // Capped before the power, so a tab failing for weeks never computes 2 ** 1000.
  return Math.min(CHECK_EVERY_MS * 2 ** Math.min(failures, 10), CHECK_AT_MOST_MS);
}
