/**
 * GET /metrics: every family in the Prometheus text format 0.0.4. It needs the bearer token when
 * API_TOKEN is set, unless METRICS_PUBLIC=on: request counts by route and the data's size are
 * not for anyone on the network.
 */
import { send } from "../http/respond.ts";
import type { RouteDoc } from "../http/route_doc.ts";
import type { Router } from "../http/router.ts";
import { DataMetrics, type DataSources } from "./data_metrics.ts";
import { HttpMetrics } from "./http_metrics.ts";
import { PROMETHEUS_CONTENT_TYPE, renderFamilies } from "./prometheus_text.ts";
import { RuntimeMetrics } from "./runtime_metrics.ts";

/** What /metrics says about itself. */
function metricsDoc(isPublic: boolean): RouteDoc {
  return {
    summary: "Metrics in the Prometheus text format (version 0.0.4)",
    tag: "system",
    description:
      "Requests by route template and status (counts, latency histograms, in flight), contacts total, the age of the contacts' Parquet copy, snapshot version and age, the relationship answer cache (bytes, answers, evictions), ETL runs (last success per kind, load durations, rows rejected, findings by severity, alerts), process memory and event-loop lag. Needs the bearer token when API_TOKEN is set, unless METRICS_PUBLIC=on.",
    // Without charset: the key names the format, which its version parameter says.
    responses: { "200": { description: "`text/plain; version=0.0.4`", types: [PROMETHEUS_CONTENT_TYPE.replace("; charset=utf-8", "")] } },
    auth: !isPublic,
  };
}

/**
 * The metrics of one API process: `http` is fed by the server per request, the rest is read when
 * scraped.
 *
 * @example
 * ```ts
 * const metrics = new Metrics({ contactsUp: () => true, contacts: () => store.count(), snapshot: () => ..., runs: () => runLog.all() });
 * metrics.addRoute(router, { isPublic: false });
 * ```
 */
export class Metrics {
  readonly http = new HttpMetrics();
  readonly #runtime = new RuntimeMetrics();
  readonly #data: DataMetrics;

  constructor(sources: DataSources) {
    this.#data = new DataMetrics(sources);
  }

  /** Adds GET /metrics to `router`. */
  addRoute(router: Router, options: { isPublic: boolean }): void {
    router.add("GET", "/metrics", async () => send(await this.text(), 200, { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" }), metricsDoc(options.isPublic));
  }

  /** Every family as exposition text. */
  async text(): Promise<string> {
    // Data first: its await lets the server register this very request as in flight.
    const data = await this.#data.families();
    return renderFamilies([...this.http.families(), ...data, ...this.#runtime.families()]);
  }

  /** Stops the event-loop timer. */
  close(): void {
    this.#runtime.stop();
  }
}
