/**
 * A daily-run time for tests that run the real schedule (`npm run etl -- --watch`, startScheduler on
 * the system clock): half a day from now, so the daily load never falls inside the test. With the
 * default, 00:00 UTC, a test that ran across midnight got a daily load among the ones it counts.
 *
 * @example
 * ```ts
 * spawn(process.execPath, [...process.execArgv, MAIN, "--watch", "--daily-at", dailyAtAway()]);
 * ```
 */
export function dailyAtAway(now: number = Date.now()): string {
  const at = new Date(now + 12 * 3600_000);
  return `${String(at.getUTCHours()).padStart(2, "0")}:${String(at.getUTCMinutes()).padStart(2, "0")}`;
}
