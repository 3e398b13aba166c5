/**
 * A full garbage collection on demand, for the engine's trim after a quiet spell (contacts_engines.ts).
 *
 * Under load V8 grows its heap with garbage (182-233 MB of heap after the bench's request cases at
 * 1M contacts, 16-50 MB of it live) and does not give it back while the process idles: nothing
 * allocates, so no collection comes. The API then held 471-483 MB at rest; with one collection in
 * the trim, 295 MB (2026-12-01, two runs each). `global.gc` needs `--expose-gc` on Node's command
 * line, which the API's many ways of starting (npm start, the bench, tests, a user's own node) would
 * all have to pass; so the flag is set at run time, as jest's leak detector does, and `gc` taken
 * from a fresh context. Node documents that flags set late may do nothing: then this returns false
 * and the trim still does its DuckDB part.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | null | undefined;
let runs = 0;

/** Runs a full, blocking garbage collection; false when this V8 offers none. */
export function collectGarbage(): boolean {
  if (gc === undefined) {
    setFlagsFromString("--expose-gc");
    const found: unknown = runInNewContext("typeof gc === 'function' ? gc : null");
    gc = typeof found === "function" ? (found as () => void) : null;
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
