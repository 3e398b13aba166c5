/**
 * What the system routes (health, readiness, the API documents) say about themselves: data beside
 * their handlers in app.ts.
 */
import type { RouteDoc } from "./http/route_doc.ts";

/** The docs of the system routes, by handler. */
export const systemDocs = {
  healthz: {
    summary: "Liveness: the process answers",
    tag: "system",
    responses: { "200": { description: "`{ status: \"ok\" }`" } },
  },
  readyz: {
    summary: "Readiness: databases open, latest relationship version and ETL runs",
    tag: "system",
    description: "200 when contacts.duckdb is open. A missing relationship snapshot (nothing published yet) does not make the API unready; the relationship endpoints answer 503 until one exists.",
    responses: { "200": { description: "Ready." }, "503": { description: "Not ready." } },
  },
  openapi: { summary: "This API's OpenAPI 3.1 document", tag: "system", responses: { "200": { description: "OpenAPI 3.1 JSON." } } },
  docs: { summary: "Human-readable API documentation (self-contained HTML)", tag: "system", responses: { "200": { description: "HTML page." } } },
} satisfies Record<string, RouteDoc>;
