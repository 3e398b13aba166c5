// @ts-check
/**
 * Waiting for the API without waiting for ever: a request's time limit (timeoutSignal), and for a
 * download that may rightly take long in all, a limit on silence instead (silenceWatch, readBody).
 * Shared by the dashboard (api_client.js) and the docs page's Try it (docs_try.js).
 */

/**
 * A signal aborted after `ms`, and how to drop its timer once the request is done:
 * AbortSignal.timeout where the browser has it (Safari before 16 has not), a timer otherwise.
 *
 * @example
 * const timeout = timeoutSignal(30_000);
 * try { await fetch(url, { signal: timeout.signal }); } finally { timeout.done(); }
 * @param {number} ms
 * @returns {{ signal: AbortSignal, done: () => void }}
 */
export function timeoutSignal(ms) {
  if (typeof AbortSignal.timeout === "function") return { signal: AbortSignal.timeout(ms), done: () => {} };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  return { signal: controller.signal, done: () => clearTimeout(timer) };
}

/**
 * A signal for a download that may take long in all but must not go silent: aborted once `ms`
 * pass with nothing heard (`heard()` after each part of the body starts them again), or when
 * `outer` (the caller's cancel) aborts. `timedOut` tells the first from the second; `done()` stops
 * watching. Each wait is a timeoutSignal, as a JSON request's.
 *
 * @example
 * const watch = silenceWatch(30_000, cancel.signal);
 * try {
 *   const response = await fetch(url, { signal: watch.signal });
 *   watch.heard();
 *   bytes = await readBody(response, watch.heard);
 * } catch (e) { if (watch.timedOut()) throw new Error("no answer"); throw e; } finally { watch.done(); }
 * @param {number} ms
 * @param {AbortSignal} [outer]
 * @returns {{ signal: AbortSignal, heard: () => void, done: () => void, timedOut: () => boolean }}
 */
export function silenceWatch(ms, outer) {
  const controller = new AbortController();
  let timedOut = false;
  const expire = () => {
    timedOut = true;
    controller.abort();
  };
  const cancel = () => controller.abort();
  if (outer?.aborted) controller.abort();
  else outer?.addEventListener("abort", cancel);
  let wait = timeoutSignal(ms);
  wait.signal.addEventListener("abort", expire);
  const stop = () => {
    wait.signal.removeEventListener("abort", expire);
    wait.done();
  };
  return {
    signal: controller.signal,
    heard() {
      if (controller.signal.aborted) return;
      stop();
      wait = timeoutSignal(ms);
      wait.signal.addEventListener("abort", expire);
    },
    done() {
      stop();
      outer?.removeEventListener("abort", cancel);
    },
    timedOut: () => timedOut,
  };
}

/**
 * Reads a response's body to its end, calling `heard` after each part that arrives.
 *
 * @example
 * const bytes = await readBody(response, watch.heard);
 * @param {Response} response
 * @param {() => void} heard
 * @returns {Promise<Uint8Array>}
 */
export async function readBody(response, heard) {
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  /** @type {Uint8Array[]} */
  const parts = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    heard();
    parts.push(value);
    length += value.length;
  }
  if (parts.length === 1) return parts[0];
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}
