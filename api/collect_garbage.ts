/**
 * Gives V8's garbage back once the API goes quiet: a full collection once no request has started or
 * ended for a while and none is running (startServer arms it; health probes and metric scrapes do
 * not count, or a probe every few seconds would keep the API from ever going quiet).
 *
 * Under load V8 grows its heap with the requests' garbage (182-233 MB of heap after the bench's
 * request cases at 1M contacts, 16-50 MB of it live) and keeps it while the process idles: nothing
 * allocates, so no collection comes. On a fast machine the API held 471-483 MB at rest (two runs);
 * with one collection, 254-295 MB (four runs), for a pause of 18-26 ms once per quiet spell.
 *
 * `global.gc` needs `--expose-gc` on Node's command line, which every way of starting the API (npm
 * start, the bench, tests, a user's own node) would have to pass. So the flag is set at run time, as
 * jest's leak detector does, `gc` taken from a fresh context, and the flag turned off again so later
 * contexts and Workers do not get a global `gc`. Node documents that flags set late may do nothing:
 * then nothing is collected and the rest of the API is unaffected.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** How long the API stays without requests before it collects (ms). */
export const IDLE_COLLECT_MS = 10_000;

let gc: (() => void) | null | undefined;
let runs = 0;

/** Runs a full, blocking garbage collection; false when this V8 offers none. */
export function collectGarbage(): boolean {
  if (gc === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      const found: unknown = runInNewContext("typeof gc === 'function' ? gc : null");
      gc = typeof found === "function" ? (found as () => void) : null;
      setFlagsFromString("--no-expose-gc");
    } catch {
      gc = null;
    }
  }
  if (gc === null) return false;
  gc();
  runs++;
  return true;
}

/** How many collections collectGarbage() has run in this process. */
export function garbageCollections(): number {
  return runs;
}

/**
 * Calls `collect` once `idleMs` has passed without a `touch()` and nothing is `busy()`, once per
 * quiet spell (a spell starts with a touch). Found busy, it waits for the next touch: the caller
 * touches when the busy work ends. A touch costs an assignment; the timer runs only while a spell
 * is open and does not keep the process alive.
 *
 * @example
 * ```ts
 * const idle = idleCollector({ busy: () => inFlight.size > 0 });
 * server.on("request", () => idle.touch());
 * ```
 */
export function idleCollector(options: { idleMs?: number; busy?: () => boolean; collect?: () => unknown } = {}): { touch(): void; stop(): void } {
  const { idleMs = IDLE_COLLECT_MS, busy = () => false, collect = collectGarbage } = options;
  let last = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const check = () => {
    const quiet = performance.now() - last;
    if (quiet < idleMs) {
      timer = setTimeout(check, idleMs - quiet).unref();
      return;
    }
    timer = undefined;
    // A request still running (a long download or import) is not quiet; its end touches again.
    if (!busy()) collect();
  };
  return {
    touch() {
      last = performance.now();
      if (timer === undefined && !stopped) timer = setTimeout(check, idleMs).unref();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
