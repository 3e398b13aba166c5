/**
 * The process's own health: memory, and event-loop lag measured by `perf_hooks`' event-loop delay
 * histogram (a libuv timer, no polling of ours). Lag figures cover the time since the previous
 * scrape, as prom-client does: the histogram is reset after each.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import type { Family } from "./prometheus_text.ts";

/** The lag histogram's timer interval. */
const LAG_RESOLUTION_MS = 20;

/**
 * Seconds a lag figure of the histogram (nanoseconds) lies past its timer's interval. Node records
 * the whole time between two ticks, interval included (an idle loop reads 20 ms): the delay is what
 * exceeds the interval.
 *
 * @example
 * ```ts
 * delayPastInterval(20_100_000); // 0.0001
 * ```
 */
export function delayPastInterval(nanoseconds: number): number {
  return Number.isFinite(nanoseconds) ? Math.max(0, nanoseconds / 1e9 - LAG_RESOLUTION_MS / 1000) : 0;
}

/**
 * Memory and event-loop lag of this process.
 *
 * @example
 * ```ts
 * const runtime = new RuntimeMetrics();
 * runtime.families(); // process_resident_memory_bytes, nodejs_eventloop_lag_seconds, ...
 * runtime.stop();
 * ```
 */
export class RuntimeMetrics {
  readonly #lag: IntervalHistogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  readonly #started = Date.now() - process.uptime() * 1000;

  constructor() {
    this.#lag.enable();
  }

  /** Memory and lag families; resets the lag histogram. */
  families(): Family[] {
    const memory = process.memoryUsage();
    const lag = this.#lag;
    const families: Family[] = [
      { name: "process_resident_memory_bytes", help: "Resident set size of the process.", type: "gauge", samples: [{ value: memory.rss }] },
      { name: "process_start_time_seconds", help: "When the process started, in seconds since the Unix epoch.", type: "gauge", samples: [{ value: Math.round(this.#started / 1000) }] },
      { name: "nodejs_heap_used_bytes", help: "V8 heap in use.", type: "gauge", samples: [{ value: memory.heapUsed }] },
      { name: "nodejs_heap_total_bytes", help: "V8 heap reserved.", type: "gauge", samples: [{ value: memory.heapTotal }] },
      { name: "nodejs_external_memory_bytes", help: "Memory of C++ objects bound to JavaScript (buffers, DuckDB results).", type: "gauge", samples: [{ value: memory.external }] },
      {
        name: "nodejs_eventloop_lag_seconds",
        help: "Event-loop delay since the previous scrape (perf_hooks.monitorEventLoopDelay every 20 ms; the time past that interval), by statistic.",
        type: "gauge",
        samples: [
          { labels: { stat: "mean" }, value: lag.count > 0 ? delayPastInterval(lag.mean) : 0 },
          { labels: { stat: "p50" }, value: lag.count > 0 ? delayPastInterval(lag.percentile(50)) : 0 },
          { labels: { stat: "p99" }, value: lag.count > 0 ? delayPastInterval(lag.percentile(99)) : 0 },
          { labels: { stat: "max" }, value: lag.count > 0 ? delayPastInterval(lag.max) : 0 },
        ],
      },
    ];
    lag.reset();
    return families;
  }

  /** Stops the event-loop timer. */
  stop(): void {
    this.#lag.disable();
  }
}
