import { test } from "node:test";
import assert from "node:assert/strict";
import { until } from "../scripts/testing/until.ts";
import { stopOnSignals } from "./stop_on_signals.ts";

test("stopOnSignals: the first SIGINT or SIGTERM aborts with its name; repeats (npm delivers Ctrl-C twice) are ignored and never end the process", async () => {
  const stop = stopOnSignals();
  try {
    const seen: string[] = [];
    const mine = (s: NodeJS.Signals) => seen.push(s);
    process.on("SIGINT", mine);
    process.on("SIGTERM", mine);
    try {
      process.kill(process.pid, "SIGINT");
      await until("the first SIGINT", () => seen.length === 1);
      process.kill(process.pid, "SIGINT");
      process.kill(process.pid, "SIGTERM");
      await until("the repeats", () => seen.length >= 2 && seen.includes("SIGTERM"));
    } finally {
      process.off("SIGINT", mine);
      process.off("SIGTERM", mine);
    }
    assert.equal(stop.signal.aborted, true);
    assert.equal(stop.received(), "SIGINT", "the first signal is the one that counts");
    assert.equal((stop.signal.reason as { code?: string }).code, "stopped");
  } finally {
    stop.dispose();
  }
  assert.equal(process.listenerCount("SIGINT"), 0, "disposed: its listeners are gone");
});
