/**
 * SIGINT and SIGTERM held from `npm run etl`'s first line until its loads listen for them
 * (stop_on_signals.ts): in the second or so Node, tsx and the load modules take to start, Node's
 * default ended the command at once, and the load it was about to run left no run in runs.jsonl.
 * Plain JavaScript, so the launcher (etl.js) takes it before tsx is registered.
 */

/**
 * @typedef {object} HeldSignals
 * @property {() => "SIGINT" | "SIGTERM" | null} received The first SIGINT or SIGTERM that came while held, or null.
 * @property {() => void} release Removes the listeners (again: nothing): a signal after it is the next listener's, or Node's default.
 */

/**
 * Listens for SIGINT and SIGTERM, keeping the first, until `release()`.
 *
 * @example
 * ```js
 * const held = holdStopSignals();
 * // ... start up ...
 * const stop = stopOnSignals(held); // aborted at once if one came; releases `held`
 * ```
 * @returns {HeldSignals}
 */
export function holdStopSignals() {
  /** @type {"SIGINT" | "SIGTERM" | null} */
  let first = null;
  const onInt = () => (first ??= "SIGINT");
  const onTerm = () => (first ??= "SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return {
    received: () => first,
    release: () => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    },
  };
}
