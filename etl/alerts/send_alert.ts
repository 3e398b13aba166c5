/**
 * Posting an alert: a few attempts with backoff, each with a timeout, and an outcome that is a
 * value, never an exception. A load has already been recorded when its alert goes out, and a
 * webhook that is down or hangs must neither fail it nor keep it running for long.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { combineSignals } from "../files/mod.ts";
import type { RunAlert } from "../runs/mod.ts";

/** How hard to try. */
export interface SendOptions {
  /** Time allowed for one POST, answer included (default 5 s, the ALERT_TIMEOUT setting). */
  timeoutMs?: number;
  /** POSTs at most (default 3). */
  attempts?: number;
  /** Wait before the second attempt, doubled before each further one (default 250 ms). */
  backoffMs?: number;
  /**
   * Gives the alert up when aborted (SIGINT, SIGTERM): the POST in flight is ended and no other is
   * made, and the outcome says so (code `stopped`). A stop must not wait out a webhook that hangs.
   */
  signal?: AbortSignal;
  /**
   * The alert's id, sent as the `Idempotency-Key` header on every attempt (default a new UUID per
   * call): a retry after a timeout or a 5xx may deliver a copy the receiver had already taken, and
   * the key is how it tells the copy from another alert.
   */
  idempotencyKey?: string;
}

/**
 * POSTs `body` as JSON to `url`, retrying on network errors, timeouts, 408, 429 and 5xx answers
 * (after the answer's Retry-After when it has one and it fits the attempt's timeout), and returns the outcome. It never throws, and ends within about
 * `attempts × timeoutMs + backoffMs × (2^(attempts-1) - 1)`. Every attempt carries the same
 * `Idempotency-Key` header, which the outcome records as `id`. Messages name the webhook's host
 * only: on Slack and Teams the URL's path is the secret.
 *
 * @example
 * ```ts
 * const outcome = await sendAlert("https://hooks.slack.com/services/T/B/x", { text: "Load failed" });
 * outcome.status; // "sent" | "failed"
 * ```
 */
export async function sendAlert(url: string, body: unknown, options: SendOptions = {}): Promise<RunAlert> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const attempts = Math.max(1, options.attempts ?? 3);
  const backoffMs = options.backoffMs ?? 250;
  const host = new URL(url).host;
  const payload = JSON.stringify(body);
  const stop = options.signal;
  const id = options.idempotencyKey ?? randomUUID();
  let outcome: RunAlert = { status: "failed", attempts: 0, at: new Date().toISOString(), id };
  let wait = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(wait, undefined, { signal: stop }).catch(() => {});
    if (stop?.aborted) {
      const error = { code: "stopped", message: `${stopReason(stop)} before the alert was sent to the webhook at ${host}` };
      return { status: "failed", attempts: attempt - 1, at: new Date().toISOString(), id, error };
    }
    const began = performance.now();
    const { alert, retry, retryAfterMs } = await postOnce(url, payload, { host, timeoutMs, stop, id });
    outcome = { ...alert, attempts: attempt, at: new Date().toISOString(), id };
    if (!retry) break;
    const backoff = backoffMs * 2 ** (attempt - 1);
    wait = backoff;
    if (retryAfterMs !== undefined) {
      // The webhook said when it takes the next one (Slack's and Teams' rate limits): an attempt
      // before then is refused again. Waited for within what this attempt may cost (its timeout,
      // part of which its answer took, and the backoff), so the bound above holds; else given up now.
      if (retryAfterMs > timeoutMs - (performance.now() - began) + backoff) break;
      wait = Math.max(backoff, retryAfterMs);
    }
  }
  return outcome;
}

/** A Retry-After header's wait in ms (delta-seconds or an HTTP date), or undefined. */
function retryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

async function postOnce(
  url: string,
  payload: string,
  { host, timeoutMs, stop, id }: { host: string; timeoutMs: number; stop: AbortSignal | undefined; id: string },
): Promise<{ alert: Omit<RunAlert, "attempts" | "at" | "id">; retry: boolean; retryAfterMs?: number }> {
  // One signal for the timeout and the stop.
  const either = combineSignals([stop]);
  const signal = either.signal;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    either.abort();
  }, timeoutMs);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", "user-agent": "relaciones-etl", "idempotency-key": id },
      body: payload,
      signal,
      // A webhook that redirects is misconfigured; following it could send the run elsewhere.
      redirect: "manual",
    });
    // The answer's body is not needed (Slack says "ok"); dropping it frees the connection and
    // keeps a receiver that streams forever from holding us.
    await response.body?.cancel();
    if (response.ok) return { alert: { status: "sent", http_status: response.status }, retry: false };
    const retry = response.status === 408 || response.status === 429 || response.status >= 500;
    const retryAfterMs = retry ? retryAfter(response.headers.get("retry-after")) : undefined;
    const asked = retryAfterMs === undefined ? "" : ` and asked to wait ${Math.ceil(retryAfterMs / 1000)} s`;
    return {
      alert: { status: "failed", http_status: response.status, error: { code: "http-error", message: `The webhook at ${host} answered ${`${response.status} ${response.statusText}`.trim()}${asked}` } },
      retry,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  } catch (error) {
    if (stop?.aborted) return { alert: { status: "failed", error: { code: "stopped", message: `${stopReason(stop)} before the webhook at ${host} answered` } }, retry: false };
    if (timedOut) {
      return { alert: { status: "failed", error: { code: "timeout", message: `The webhook at ${host} did not answer within ${timeoutMs} ms` } }, retry: true };
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    return { alert: { status: "failed", error: { code: "unreachable", message: `Cannot reach the webhook at ${host}: ${why}` } }, retry: true };
  } finally {
    clearTimeout(timer);
    either.dispose();
  }
}

/** What stopped the alert, as the loads say it ("Stopped by SIGINT"). */
function stopReason(stop: AbortSignal): string {
  return stop.reason instanceof Error && stop.reason.name !== "AbortError" ? stop.reason.message : "Stopped";
}
