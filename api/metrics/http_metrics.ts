/**
 * Request counts and latencies by route template, method and status, counted as the adapter
 * reports each finished exchange. The cost per request is one Map lookup and a short bucket scan,
 * so the instrumentation stays invisible next to a request (see the README's benchmark).
 */
import { bucketIndex, type Family } from "./prometheus_text.ts";

/** Upper bounds (seconds) of the latency buckets: sub-millisecond reads up to slow CSV exports. */
const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The route label of requests refused before a route was chosen (404, 405, 421) or at admission. */
const UNROUTED = "(unrouted)";

interface Series {
  labels: { method: string; route: string; status: string };
  counts: Float64Array;
  sum: number;
}

/**
 * Counts requests as they finish and renders them as metric families.
 *
 * @example
 * ```ts
 * const http = new HttpMetrics();
 * http.observe("GET", "/contacts/:id", 200, 0.4);
 * http.families(); // http_requests_total, http_request_duration_seconds, http_requests_in_flight
 * ```
 */
export class HttpMetrics {
  // Route -> method -> status: lookups by the strings and number at hand, no key built per request.
  readonly #series = new Map<string, Map<string, Map<number, Series>>>();
  /** Requests being answered now; the server that owns the sockets sets it. */
  inFlight: () => number = () => 0;

  /** Records one finished request; `route` is the matched template, undefined when none was. */
  observe(method: string, route: string | undefined, status: number, durationMs: number): void {
    const label = route ?? UNROUTED;
    let byMethod = this.#series.get(label);
    if (byMethod === undefined) this.#series.set(label, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (series === undefined) {
      series = { labels: { method, route: label, status: String(status) }, counts: new Float64Array(LATENCY_BUCKETS.length + 1), sum: 0 };
      byStatus.set(status, series);
    }
    const seconds = durationMs / 1000;
    series.counts[bucketIndex(LATENCY_BUCKETS, seconds)]++;
    series.sum += seconds;
  }

  /** The request families: counts, latency histograms and requests in flight. */
  families(): Family[] {
    const series = [...this.#series.values()].flatMap((byMethod) => [...byMethod.values()].flatMap((byStatus) => [...byStatus.values()]));
    return [
      {
        name: "http_requests_total",
        help: "HTTP requests answered, by method, route template and status.",
        type: "counter",
        samples: series.map((s) => ({ labels: s.labels, value: s.counts.reduce((a, b) => a + b, 0) })),
      },
      {
        name: "http_request_duration_seconds",
        help: "Time from the request's arrival to the end of its answer, by method, route template and status.",
        type: "histogram",
        buckets: LATENCY_BUCKETS,
        samples: series.map((s) => ({ labels: s.labels, counts: s.counts, sum: s.sum })),
      },
      { name: "http_requests_in_flight", help: "HTTP requests being answered now.", type: "gauge", samples: [{ value: this.inFlight() }] },
    ];
  }
}
