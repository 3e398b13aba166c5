/** One AbortSignal for several, and for the caller's own reasons to stop (a timeout). */
export interface CombinedSignal {
  /** Aborted by the first of the signals to abort, or by abort(), whichever comes first, with its reason. */
  readonly signal: AbortSignal;
  /** Aborts `signal` with `reason` (left out: an AbortError) unless it is already aborted. */
  abort(reason?: unknown): void;
  /** Stops listening to the signals combined: call it when the work is done. `signal` stays as it is. */
  dispose(): void;
}

/**
 * `AbortSignal.any()` for Node 20.0 (the engines field; any() came in 20.3), with abort() for the
 * caller's own timers. The first of `signals` to abort (undefined ones left out; of several aborted
 * already, the first in the list) aborts the result with its reason. Nothing is left listening on
 * the signals once the result is aborted or disposed: a long-lived one (the process's stop, the
 * API's close) combined once per request or download gathers no listeners.
 *
 * @example
 * ```ts
 * const either = combineSignals([request.signal, stopping.signal]);
 * const timer = setTimeout(() => either.abort(new Error("timed out")), 5000);
 * try {
 *   await work(either.signal);
 * } finally {
 *   clearTimeout(timer);
 *   either.dispose();
 * }
 * ```
 */
export function combineSignals(signals: readonly (AbortSignal | undefined)[]): CombinedSignal {
  const controller = new AbortController();
  const sources = signals.filter((s) => s !== undefined);
  const onAbort = (event: Event) => abort((event.target as AbortSignal).reason);
  const dispose = () => {
    for (const source of sources) source.removeEventListener("abort", onAbort);
  };
  const abort = (reason?: unknown) => {
    if (controller.signal.aborted) return;
    dispose();
    controller.abort(reason);
  };
  for (const source of sources) {
    if (source.aborted) {
      abort(source.reason);
      break;
    }
    source.addEventListener("abort", onAbort, { once: true });
  }
  return { signal: controller.signal, abort, dispose };
}
