/**
 * What the system routes (health, readiness, the API documents) say about themselves: data beside
 * their handlers in app.ts.
 */
import { boolean, integer, nullable, object, oneOf, optional, string } from "../etl/json_schema/mod.ts";
import type { RouteDoc } from "./http/route_doc.ts";
import { RUN_STATUSES } from "../etl/runs/mod.ts";

const lastRun = nullable(object({ id: string(), status: oneOf(RUN_STATUSES), finished_at: string({ format: "date-time" }), version_id: nullable(integer()) }));

/** `GET /readyz`: what `App.readiness()` reports. */
export const readinessSchema = object({
  status: oneOf(["ready", "not-ready"]),
  contacts: object({
    open: boolean({ description: "False when the contacts database does not answer (PostgreSQL down)." }),
    backend: oneOf(["duckdb", "postgres"], { description: "contacts.duckdb, or PostgreSQL (DATABASE_URL)." }),
  }),
  relationships: object({
    open: boolean({ description: "False until the ETL has published a first version, or while the published file cannot be read." }),
    version_id: nullable(integer()),
    published_at: optional(nullable(string({ format: "date-time" }))),
    actors: optional(integer()),
    error: optional(string({ description: "Why the published snapshot cannot be read (a corrupt file), also while the previous version is still served (`open` true); absent otherwise." })),
  }),
  last_runs: object({ relationships: lastRun, contacts: lastRun }),
});

/** The docs of the system routes, by handler. */
export const systemDocs = {
  healthz: {
    summary: "Liveness: the process answers",
    tag: "system",
    responses: {
      "200": {
        description: "`{ status: \"ok\", api_id }`: `api_id` is a random id of this process, the one it wrote into the data dir's `api.json`, so `npm run etl` hands its loads to this process and no other at the same address.",
        schema: object({ status: oneOf(["ok"]), api_id: string() }).json,
      },
    },
  },
  readyz: {
    summary: "Readiness: databases open, latest relationship version and ETL runs",
    tag: "system",
    description: "200 when the contacts database (contacts.duckdb, or PostgreSQL with DATABASE_URL) answers a query that reads no table: the same time at any size, and not behind a lock another process holds on the contacts (a load). How many contacts there are is at `/metrics` (`relaciones_contacts`). A missing relationship snapshot (nothing published yet) does not make the API unready, nor does one that cannot be read (`relationships.error` says why); the relationship endpoints answer 503 until a readable one is published.",
    responses: {
      "200": { description: "Ready.", schema: readinessSchema.json },
      "503": {
        description: "Not ready (the same document, `status: not-ready`): the contacts database does not answer.",
        schema: readinessSchema.json,
        headers: { "Retry-After": { description: "Seconds to wait before asking again (5, as for `database-unavailable`).", schema: { type: "integer" } } },
      },
    },
  },
  openapi: {
    summary: "This API's OpenAPI 3.1 document",
    tag: "system",
    responses: { "200": { description: "OpenAPI 3.1 JSON.", schema: object({ openapi: oneOf(["3.1.0"]) }, { open: true }).json } },
  },
  docs: {
    summary: "Human-readable API documentation with a form to try each operation (HTML, one same-origin script)",
    tag: "system",
    responses: { "200": { description: "HTML page.", html: true } },
  },
} satisfies Record<string, RouteDoc>;
