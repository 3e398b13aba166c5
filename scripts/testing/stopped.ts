/**
 * Waiting for a child that stops itself (scripts/testing/stop_at.ts sends it SIGSTOP at the moment
 * under test): by its state in /proc, never by a time, so a fast machine cannot run past the moment.
 */
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** The state letter of process `pid` (/proc/<pid>/stat field 3): "T" when stopped; null once it is gone. */
export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return null;
  }
}

/**
 * Resolves with "T" once process `pid` has stopped, or null if it ended first.
 *
 * @example
 * ```ts
 * assert.equal(await stopped(child.pid!), "T", "the load stopped at the moment under test");
 * ```
 */
export async function stopped(pid: number): Promise<string | null> {
  let state = processState(pid);
  while (state !== "T" && state !== null) {
    await sleep(10);
    state = processState(pid);
  }
  return state;
}
