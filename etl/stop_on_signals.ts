/**
 * How `npm run etl` (one-shot or `--watch`) stops on Ctrl-C or SIGTERM: the signal aborts the
 * running load(s) through their AbortSignal instead of killing the process, so each load stops at a
 * point where nothing is half-written, removes its temp files and records its run (see etl/README.md).
 */
import type { HeldSignals } from "./hold_signals.js";
import { LoadStopped } from "./runs/mod.ts";

/** The signals that stop a load, and the exit status each ends the command with (128 + its number, as a shell reports a process it ended). */
export const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

export type StopSignal = keyof typeof STOP_SIGNALS;

/** What `stopOnSignals()` returns. */
export interface SignalStop {
  /** Aborted by the first SIGINT or SIGTERM, with a LoadStopped naming it. */
  signal: AbortSignal;
  /** The signal that stopped the loads, or null when none came. */
  received(): StopSignal | null;
  /** Removes the listeners: a signal after this one ends the process as Node's default does. */
  dispose(): void;
}

/**
 * Listens for SIGINT and SIGTERM until `dispose()`: the first aborts `signal`, later ones are
 * ignored. A signal `held` kept while the command started counts as the first (`held` is released
 * once these listen, so none falls between). `on`, not `once`: under npm a Ctrl-C reaches node twice (the terminal's process group,
 * and npm passing it on), and with the listener gone the second would kill the load that is
 * stopping cleanly, leaving what the first signal was handled to avoid.
 *
 * @example
 * ```ts
 * const stop = stopOnSignals();
 * try { await loadContacts({ ...options, signal: stop.signal }); } finally { stop.dispose(); }
 * ```
 */
export function stopOnSignals(held?: HeldSignals): SignalStop {
  const controller = new AbortController();
  let received: StopSignal | null = null;
  const listeners = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((name) => {
    const listener = () => {
      if (received !== null) return;
      received = name;
      controller.abort(new LoadStopped(name));
    };
    process.on(name, listener);
    return { name, listener };
  });
  const early = held?.received() ?? null;
  held?.release();
  if (early !== null) {
    received = early;
    controller.abort(new LoadStopped(early));
  }
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => {
      for (const { name, listener } of listeners) process.off(name, listener);
    },
  };
}
