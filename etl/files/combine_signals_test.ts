import { test } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { combineSignals } from "./combine_signals.ts";

const listeners = (signal: AbortSignal) => getEventListeners(signal, "abort").length;

test("combineSignals: the first signal to abort wins, its reason kept, and the others are no longer listened to", () => {
  const a = new AbortController();
  const b = new AbortController();
  const either = combineSignals([a.signal, undefined, b.signal]);
  assert.equal(either.signal.aborted, false);
  assert.deepEqual([listeners(a.signal), listeners(b.signal)], [1, 1]);
  const first = new Error("Stopped by SIGTERM");
  b.abort(first);
  assert.equal(either.signal.aborted, true);
  assert.equal(either.signal.reason, first);
  assert.deepEqual([listeners(a.signal), listeners(b.signal)], [0, 0], "nothing left listening on a long-lived signal");
  a.abort(new Error("later"));
  assert.equal(either.signal.reason, first, "a later abort changes nothing");
});

test("combineSignals: a signal aborted already aborts the result at once with its reason (the first of several), and nothing is listened to", () => {
  const live = new AbortController();
  const reason = new Error("Stopped by SIGINT");
  const either = combineSignals([AbortSignal.abort(reason), live.signal, AbortSignal.abort(new Error("second"))]);
  assert.equal(either.signal.aborted, true);
  assert.equal(either.signal.reason, reason);
  assert.equal(listeners(live.signal), 0);
  // Already aborted behind one listened to: the listener is taken back.
  const late = combineSignals([live.signal, AbortSignal.abort(reason)]);
  assert.equal(late.signal.reason, reason);
  assert.equal(listeners(live.signal), 0);
});

test("combineSignals: abort() (the caller's own timeout) aborts with its reason, or an AbortError, and first wins over the signals too", () => {
  const parent = new AbortController();
  const timedOut = new Error("timed out");
  const either = combineSignals([parent.signal]);
  either.abort(timedOut);
  assert.equal(either.signal.reason, timedOut);
  assert.equal(listeners(parent.signal), 0);
  parent.abort(new Error("stop"));
  either.abort(new Error("again"));
  assert.equal(either.signal.reason, timedOut);

  const plain = combineSignals([]);
  plain.abort();
  assert.equal((plain.signal.reason as Error).name, "AbortError");
});

test("combineSignals: a long-lived parent combined many times, each disposed after its work, gathers no listeners and aborts none of them", () => {
  const stopping = new AbortController();
  const done = [];
  for (let i = 0; i < 200; i++) {
    const request = new AbortController();
    const either = combineSignals([request.signal, stopping.signal]);
    assert.equal(listeners(stopping.signal), 1);
    if (i % 2 === 0) request.abort(new Error(`request ${i} gone`));
    either.dispose();
    either.dispose();
    assert.equal(listeners(stopping.signal), 0, `after use ${i}`);
    assert.equal(listeners(request.signal), 0, `request ${i}`);
    done.push(either.signal);
  }
  stopping.abort(new Error("closing"));
  assert.equal(done.filter((signal) => signal.aborted).length, 100, "only the requests that went; a disposed one no longer hears the parent");
});
