/**
 * The application: opens the stores, builds the route table and wraps it in the one error
 * boundary. `app.handle(request, info)` is a web-standard handler; server.ts puts it on a socket.
 */
import { timingSafeEqual, createHash, randomUUID } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { format } from "node:util";
import { addContactRoutes } from "./contacts/contacts_routes.ts";
import { addTableRoutes } from "./tables/table_routes.ts";
import { TableStore } from "./tables/table_store.ts";
import { ContactsStore, type ContactsStoreOptions } from "./contacts/contacts_store.ts";
import { ContactsExporter } from "./contacts/contacts_export.ts";
import { DOCS_CSP, renderDocs } from "./docs/docs_page.ts";
import { HttpError } from "./http/http_error.ts";
import { buildOpenApi } from "./docs/openapi.ts";
import { addRelationshipRoutes } from "./relationships/relationship_routes.ts";
import { empty, json, jsonText, problemResponse, send } from "./http/respond.ts";
import { Router, type Context, type Match } from "./http/router.ts";
import type { Admitted, RequestHead } from "./http/node_adapter.ts";
import { acceptHeaderFor, bodyCoding, mediaType, requireType, type BodyCoding, type HeaderSource, type SpooledBody } from "./http/request_body.ts";
import { checkHost, checkSameOrigin } from "./http/request_guards.ts";
import { checkQueryEncoding, checkQueryNames, dropEmptyValues, DEFAULT_BODY_TYPES, DEFAULT_MAX_BODY_BYTES, type RouteDoc } from "./http/route_doc.ts";
import { readinessSchema, systemDocs } from "./system_docs.ts";
import type { Infer } from "../etl/json_schema/mod.ts";
import { RunLog, runLogPath, type RunRecord } from "../etl/runs/mod.ts";
import { extraTables, type RecordDefinition } from "../etl/contacts/mod.ts";
import { duckDbFailure, isDatabaseBusy, isDatabaseUnavailable, isSchemaMissing, postgresRefusal } from "../etl/db/mod.ts";
import { API_ID, cleanStaleUploads, cleanUploads, uploadsDir } from "../etl/handover/mod.ts";
import { terminalText } from "../etl/text/mod.js";
import { addRunRoutes } from "./runs/runs_routes.ts";
import { SnapshotWatcher } from "./relationships/snapshot_watcher.ts";
import { addStaticRoutes } from "./http/static_routes.ts";
import { Metrics } from "./metrics/metrics_route.ts";
import { answerWithin, ThrottledReading } from "./metrics/throttled_reading.ts";
import { compress } from "./http/compression.ts";

/** Where the app keeps its data and how it guards writes. */
export interface AppOptions {
  /** Folder with contacts.duckdb, relationships.duckdb and runs.jsonl. */
  dataDir: string;
  /** When set, every write needs `Authorization: Bearer <apiToken>`. */
  apiToken?: string;
  /**
   * Host names answered besides loopback names (lower case, no port; `*`: any). Default none:
   * only `localhost`, `127.x.x.x` and `[::1]` (the `ALLOWED_HOSTS` setting).
   */
  allowedHosts?: readonly string[];
  /** The dashboard's folder (default api/web beside this file). */
  webDir?: string;
  /** How often to look for a new relationship snapshot (ms, default 250). */
  pollMs?: number;
  /** Bytes of relationship answers kept per snapshot, every coded form counted (default 64 MiB). */
  relationshipCacheBytes?: number;
  /** DuckDB's memory budget for the relationship snapshot, in MiB (default `SNAPSHOT_MEMORY_MB`, 512). */
  relationshipMemoryMb?: number;
  /** Where unexpected errors go (default `logToStderr`); the client only ever sees an opaque 500. */
  logError?: (message: string, error: unknown) => void;
  /**
   * The contact definition and its migrations folders, the point-read cache size; default what
   * ships. A test passes a record with one more field and a folder with one more migration to show
   * that is all a field takes.
   */
  contacts?: ContactsStoreOptions;
  /**
   * The plain record tables served beside contacts (`/<table>`), in the contacts database; default
   * etl/contacts `extraTables`, the one place they are registered. A test passes its own with a
   * migrations folder (`contacts.migrationsDir`) holding their tables.
   */
  tables?: readonly RecordDefinition[];
  /**
   * Lowers the limit of the request bodies written to a file as they arrive (a `text/csv` import:
   * its route doc's `spoolBytesByType`, 4 GiB), for a data dir with less room. Default: the route's.
   */
  maxSpooledBodyBytes?: number;
  /** `postgres://...`: contacts in PostgreSQL (DATABASE_URL) instead of `<data dir>/contacts.duckdb`. */
  databaseUrl?: string;
  /** GET /metrics without the token even when `apiToken` is set (METRICS_PUBLIC=on). Default false. */
  metricsPublic?: boolean;
  /** How old /metrics' contacts count may be before a scrape counts again (default a minute). */
  metricsCountEveryMs?: number;
  /**
   * The analysts' Parquet copy in `<data dir>/exports/contacts/` (CONTACTS_EXPORT): at most one
   * export per `intervalMs` after writes; failures go to `log` (default stderr), once per streak.
   * Default none (`npm start` passes the setting); never on PostgreSQL.
   */
  contactsExport?: { intervalMs: number; log?: (message: string) => void };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Methods whose routes read no body unless their doc names one (RFC 9110 9.3.1, 9.3.5: a body there has no meaning). */
const BODYLESS_METHODS = new Set(["GET", "HEAD", "DELETE"]);

/**
 * What admission hands the handler: the route it found and the body limit, or its own answer on
 * a route it found (OPTIONS), which the handler sends as it is.
 */
export type Admission = Admitted & ({ match: Extract<Match, { kind: "found" }>; answer?: undefined } | { answer: Response; match?: undefined });

/**
 * What a client is told of a database failure (#logDatabaseFailure's kinds): a 503 it may retry
 * after `retryAfter` seconds, its code `database-<kind>` unless given.
 */
const DATABASE_FAILURE_ANSWERS: Record<DatabaseFailure, { detail: string; code?: string; retryAfter: string }> = {
  unavailable: { detail: "The contacts database does not answer; retry in a few seconds", retryAfter: "5" },
  busy: { detail: "The contacts database is busy; retry in a few seconds", code: "database-unavailable", retryAfter: "2" },
  missing: {
    detail: "The contacts tables are not in the contacts database (dropped, or being restored); retry once an operator has restored them",
    code: "database-unavailable",
    retryAfter: "30",
  },
  refused: { detail: "The contacts database refuses the API's role; an operator must grant or fix it (the server's log says what)", retryAfter: "30" },
  "out-of-memory": { detail: "The database (contacts, or the relationship snapshot) has not the memory for this request now; retry in a few seconds", retryAfter: "2" },
  "disk-full": { detail: "The contacts database cannot write: the disk it is on is full; nothing was changed, retry once there is room", retryAfter: "30" },
  invalidated: { detail: "The contacts database stopped after a fatal error; the API must be restarted", retryAfter: "30" },
};

/** The kinds of database failure a request can meet that are not our bug. */
type DatabaseFailure = "unavailable" | "busy" | "refused" | "missing" | NonNullable<ReturnType<typeof duckDbFailure>>;

/**
 * The running application.
 *
 * @example
 * ```ts
 * const app = await App.open({ dataDir: "data" });
 * const response = await app.handle(new Request("http://x/healthz"), { requestId: "1" });
 * await app.close();
 * ```
 */
export class App {
  readonly router = new Router();
  readonly contacts: ContactsStore;
  /** The plain record tables served beside contacts (AppOptions.tables). */
  readonly tables: readonly TableStore[];
  readonly snapshot: SnapshotWatcher;
  readonly runs: RunLog;
  /** Keeps the Parquet copy of the contacts tables current; undefined when off or on PostgreSQL. */
  readonly contactsExport: ContactsExporter | undefined;
  /** Request counts the server feeds, and everything GET /metrics reports. */
  readonly metrics: Metrics;
  readonly #tokenDigest: Buffer | undefined;
  readonly #allowedHosts: readonly string[];
  /** Where bodies written as they arrive go (`spoolBytesByType`), and their limit's cap (AppOptions). */
  readonly #spoolDir: string;
  readonly #maxSpooled: number;
  readonly #logError: (message: string, error: unknown) => void;
  #openapi: string | undefined;
  #docs: string | undefined;
  /** The Allow of `OPTIONS *`, made at the first such request (tests add routes after the start). */
  #serverAllow: string | undefined;

  private constructor(options: AppOptions, contacts: ContactsStore, tables: readonly TableStore[], snapshot: SnapshotWatcher) {
    this.contacts = contacts;
    this.tables = tables;
    this.snapshot = snapshot;
    const exportSetting = options.contactsExport;
    this.contactsExport =
      exportSetting === undefined || contacts.backend !== "duckdb"
        ? undefined
        : ContactsExporter.start(contacts, { dataDir: options.dataDir, intervalMs: exportSetting.intervalMs, log: exportSetting.log ?? ((m) => logToStderr(m)) });
    this.runs = new RunLog(options.dataDir);
    this.#tokenDigest = options.apiToken ? digest(options.apiToken) : undefined;
    this.#allowedHosts = options.allowedHosts ?? [];
    this.#spoolDir = uploadsDir(options.dataDir);
    this.#maxSpooled = options.maxSpooledBodyBytes ?? Infinity;
    this.#logError = options.logError ?? logToStderr;
    const webDir = options.webDir ?? fileURLToPath(new URL("./web/", import.meta.url));
    this.#addSystemRoutes();
    // PostgreSQL down, busy or refusing the role: the scrape still answers (request counts, the
    // 503s among them, are wanted most then), the contacts gauge absent and relaciones_contacts_database_up 0.
    // A frozen server answers only at the client-side deadline (35 s by default), past a scrape's
    // timeout (Prometheus: 10 s): after METRICS_WAIT_MS the database counts as down.
    // Any other failure too (a table renamed away, DuckDB out of memory): a scrape that fails whole
    // loses the request counters exactly when they are wanted. Those are logged: nothing else says.
    // Once a minute at most, as every database failure: a scrape comes every 15 s or so.
    const unanswered = (error: unknown) => {
      if (this.#logDatabaseFailure(error, "A read for /metrics") === undefined && this.#logDue("metrics")) {
        this.#logError("The contacts database failed a read for /metrics; counted as not answering (such failures are logged once a minute at most)", error);
      }
      return undefined;
    };
    const count = new ThrottledReading(() => contacts.count().catch(unanswered), options.metricsCountEveryMs ?? METRICS_COUNT_EVERY_MS);
    this.metrics = new Metrics({
      contactsUp: async () =>
        (await answerWithin(
          METRICS_WAIT_MS,
          contacts.probe().then(() => true, unanswered),
        )) === true,
      contacts: () => count.get(METRICS_WAIT_MS),
      snapshot: () => {
        const model = snapshot.current()?.model;
        return model && { versionId: model.versionId, publishedAt: model.publishedAt };
      },
      runs: () => this.#runsRead(),
      contactsExport: () => this.contactsExport?.exportedAt,
      contactsTrims: () => contacts.trimStats(),
      contactsGinMerges: () => contacts.ginMergeStats(),
      contactsSearchFilters: () => contacts.searchFilters()?.bytes,
      relationshipAnswers: () => {
        const bodies = snapshot.current()?.model.bodies;
        return bodies && { bytes: bodies.bytes, entries: bodies.size, evictions: bodies.evictions };
      },
      contactsPointFile: () => {
        const points = contacts.pointFileStats();
        return points?.on ? points.contacts : undefined;
      },
      contactsCommits: () => contacts.commitStats(),
    });
    this.metrics.addRoute(this.router, { isPublic: options.metricsPublic ?? false });
    addContactRoutes(this.router, contacts, options.dataDir);
    addRelationshipRoutes(this.router, snapshot);
    addRunRoutes(this.router, this.runs, snapshot);
    addStaticRoutes(this.router, webDir);
    // Last: each checks that no route added before takes its first path segment.
    for (const table of tables) addTableRoutes(this.router, table);
    // Built now when there are tables: a schema name one of them would take twice stops the start-up.
    if (tables.length > 0) this.#openapi = JSON.stringify(this.#openApi());
  }

  /**
   * Opens the contacts database (contacts.duckdb, or PostgreSQL with `databaseUrl`; migrating it)
   * and the relationship snapshot, and builds the routes. Uploads left by a crash are removed once
   * contacts.duckdb is ours (its lock proves no other API or direct load of this data dir runs, so
   * nothing can be loading one); on PostgreSQL other APIs and loads share uploads/, so only copies
   * old enough to be leftovers are.
   */
  static async open(options: AppOptions): Promise<App> {
    const logError = options.logError ?? logToStderr;
    const databaseUrl = options.databaseUrl ?? options.contacts?.databaseUrl;
    const contacts = await ContactsStore.open(options.dataDir, { ...options.contacts, databaseUrl });
    try {
      const tables = await Promise.all((options.tables ?? extraTables).map((table) => TableStore.open(table, contacts.tableDatabase)));
      if (databaseUrl === undefined) cleanUploads(options.dataDir);
      else cleanStaleUploads(options.dataDir);
      const path = join(options.dataDir, "relationships.duckdb");
      let watcher: SnapshotWatcher | undefined;
      const snapshot = await SnapshotWatcher.start(path, {
        pollMs: options.pollMs,
        cacheBytes: options.relationshipCacheBytes,
        memoryMb: options.relationshipMemoryMb,
        onError: (error) =>
          logError(
            `Cannot open the relationship snapshot ${path}; ${watcher?.current() !== undefined ? "still serving the previous one" : "no version is served until a load publishes one (npm run etl, or --restore N)"}`,
            error,
          ),
      });
      watcher = snapshot;
      try {
        return new App(options, contacts, tables, snapshot);
      } catch (error) {
        // A table whose path or schema name is taken: nothing may keep polling behind the error.
        await snapshot.close();
        throw error;
      }
    } catch (error) {
      await contacts.close();
      throw error;
    }
  }

  /**
   * Decides on a request from its line and headers alone, before any body byte is read: a
   * Response to send as it is (421, 404, 405, 403, 401, 415), or the route found, the body limit
   * it accepts and the body's content coding for the adapter to decode, or (OPTIONS) the 204 to send with the route it is counted under. The node adapter
   * calls it first, so a refused upload is never read; `handle()` calls it for requests that did
   * not come through the adapter.
   */
  admit = (head: RequestHead): Response | Admission => {
    try {
      return this.#admit(head);
    } catch (error) {
      return this.#errorResponse(error, head);
    }
  };

  #admit({ method, path, headers }: RequestHead): Response | Admission {
    checkHost(headers.get("host"), this.#allowedHosts);
    // The adapter passes `OPTIONS *` on (RFC 9110 9.3.7): the methods this server implements anywhere.
    if (path === "*") return empty(204, { allow: (this.#serverAllow ??= serverMethods(this.router)) });
    const match = this.router.match(method, path);
    if (match.kind === "not-found") throw new HttpError(404, `Nothing is at '${path.slice(0, 200)}'; see /docs`, { code: "not-found" });
    if (match.kind === "method-not-allowed") {
      // Every path answers OPTIONS: the 405's Allow says so too, as the OPTIONS answer does.
      const allow = [...match.allow, "OPTIONS"].join(", ");
      if (method === "OPTIONS") {
        const answer = empty(204, { allow, ...this.#acceptHeaders(path, match.allow) });
        return { answer, route: match.pattern, maxBodyBytes: 0 };
      }
      throw new HttpError(405, `${method.slice(0, 20)} is not allowed on '${path.slice(0, 200)}'; use ${allow}`, {
        code: "method-not-allowed",
        headers: { allow },
      });
    }
    const doc = match.meta as RouteDoc | undefined;
    if (!SAFE_METHODS.has(method)) {
      checkSameOrigin(headers);
      this.#authorize(headers, "This write");
    } else if (doc?.auth === true) {
      // A read that needs the token (GET /metrics): no write, so no cross-site check.
      this.#authorize(headers, `GET ${match.pattern}`);
    }
    let coding: BodyCoding | undefined;
    if (doc?.body !== undefined) {
      requireType(headers, doc.bodyTypes ?? DEFAULT_BODY_TYPES, method);
      coding = bodyCoding(headers);
    }
    // A GET, HEAD or DELETE takes no body: one sent is dropped unread, not a 413 its doc never lists.
    if (doc?.body === undefined && BODYLESS_METHODS.has(method)) return { match, maxBodyBytes: 0, ignoresBody: true, route: match.pattern };
    // The limit is of the decoded body, which the adapter decodes as it arrives.
    const onBodyCut = doc?.bodyCut === undefined ? undefined : bodyCutOf(doc.bodyCut, headers);
    const spooled = doc?.spoolBytesByType?.[mediaType(headers)];
    if (spooled !== undefined) {
      // Written to a file of its own as it arrives (the uploads folder, emptied at start-up): its limit the disk's.
      const spoolTo = join(this.#spoolDir, `body-${randomUUID()}.csv`);
      return { match, maxBodyBytes: Math.min(spooled, this.#maxSpooled), spoolTo, route: match.pattern, coding, onBodyCut };
    }
    const maxBodyBytes = doc?.maxBodyBytesByType?.[mediaType(headers)] ?? doc?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    return { match, maxBodyBytes, route: match.pattern, coding, onBodyCut };
  }

  /**
   * The body types `path` takes by POST and PATCH, as OPTIONS names them: `Accept-Patch` (RFC 5789
   * 3.1, which says a resource that takes PATCH sends it) and `Accept-Post`, as their 415s do.
   */
  #acceptHeaders(path: string, methods: readonly string[]): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const method of ["POST", "PATCH"]) {
      const match = methods.includes(method) ? this.router.match(method, path) : undefined;
      const doc = match?.kind === "found" ? (match.meta as RouteDoc | undefined) : undefined;
      if (doc?.body !== undefined) Object.assign(headers, acceptHeaderFor(method, doc.bodyTypes ?? DEFAULT_BODY_TYPES));
    }
    return headers;
  }

  /** Answers one request: admission (unless the adapter did it), the handler, and the error boundary. */
  handle = async (request: Request, info: { requestId: string; admitted?: Admission; spooled?: SpooledBody }): Promise<Response> => {
    const url = request.url;
    const start = url.indexOf("/", url.indexOf("//") + 2);
    const q = url.indexOf("?", start);
    const path = q === -1 ? url.slice(start) : url.slice(start, q);
    const admitted = info.admitted ?? this.admit({ method: request.method, path, headers: request.headers });
    if (admitted instanceof Response) return admitted;
    if (admitted.answer !== undefined) return admitted.answer;
    try {
      const text = q === -1 ? "" : url.slice(q + 1);
      const doc = admitted.match.meta as RouteDoc | undefined;
      checkQueryEncoding(text, doc);
      const query = new URLSearchParams(text);
      checkQueryNames(query, doc);
      dropEmptyValues(query);
      const ctx: Context = { params: admitted.match.params, query, path, requestId: info.requestId, spooled: info.spooled };
      return compress(request, await admitted.match.handler(request, ctx));
    } catch (error) {
      return this.#errorResponse(error, { method: request.method, path }, info.requestId);
    }
  };

  /** When each kind of database failure was last logged: one line a minute at most per kind. */
  readonly #loggedAt = new Map<string, number>();

  /** Whether a failure of `kind` is to be logged now: not when one was, less than a minute ago. */
  #logDue(kind: string): boolean {
    const now = Date.now();
    if (now - (this.#loggedAt.get(kind) ?? 0) <= 60_000) return false;
    this.#loggedAt.set(kind, now);
    return true;
  }

  /**
   * Logs a failure of the contacts database that is no bug of ours (it does not answer, is busy,
   * refuses the API's role, or DuckDB is out of memory, out of disk or stopped), once a minute at most
   * for each kind, and says which; undefined (and nothing logged) for anything else. `what` names the
   * request, for DuckDB's.
   */
  #logDatabaseFailure(error: unknown, what: string): DatabaseFailure | undefined {
    if (isDatabaseUnavailable(error)) {
      // PostgreSQL restarting or gone: not our bug, and not one stack per request. One line per
      // outage (a minute apart at most), and a 503 the client may retry.
      if (this.#logDue("unavailable")) {
        logToStderr(`The contacts database does not answer (${(error as { code: string }).code}: ${(error as Error).message.split("\n")[0]}); answering 503 until it does`);
      }
      return "unavailable";
    }
    if (isDatabaseBusy(error)) {
      if (this.#logDue("busy")) logToStderr(`The contacts database is busy (${(error as { code: string }).code}: ${(error as Error).message.split("\n")[0]}); answering 503`);
      return "busy";
    }
    const refusal = postgresRefusal(error);
    if (refusal !== undefined) {
      // A grant revoked or a password changed under a running API: the operator's to fix, told what
      // to grant in the log (once a minute); the client is told no more than that, and may retry.
      if (this.#logDue("refused")) logToStderr(`${refusal.message}; answering 503 until it is fixed`);
      return "refused";
    }
    if (isSchemaMissing(error)) {
      if (this.#logDue("missing")) {
        logToStderr(
          `The contacts tables are not in the contacts database (${(error as Error).message.split("\n")[0]}): dropped, or a restore not finished; ` +
            "restore them or run `npm run migrate`. Answering 503 until they are back",
        );
      }
      return "missing";
    }
    const failure = duckDbFailure(error);
    if (failure !== undefined) {
      // Not the request's fault: a capacity limit the client may retry, or a database that needs the
      // process restarted. The operator must see both, once a minute at most (not one stack per
      // request); the client gets a 503.
      if (this.#logDue("duckdb")) this.#logError(`${what} failed (answering 503 to such failures for a minute without logging them)`, error);
    }
    return failure;
  }

  /**
   * An error the error boundary could not turn into an answer, told by the server (api/server.ts):
   * above all a response's body that failed once its status was sent (a CSV download whose database
   * stopped answering), which the client sees cut. The database's own failures are logged as the
   * boundary logs them, once a minute; anything else as our bug, with its stack. A stack was logged
   * per cut download, as an unexpected error, while PostgreSQL was down.
   */
  answerFailed(error: unknown): void {
    if (this.#logDatabaseFailure(error, "An answer") === undefined) this.#logError("Unexpected error while answering", error);
  }

  /** The one error boundary: an HttpError is its problem document, anything else an opaque 500. */
  #errorResponse(error: unknown, { method, path }: { method: string; path: string }, requestId?: string): Response {
    if (error instanceof HttpError) return problemResponse(error, path.slice(0, 200));
    const failure = this.#logDatabaseFailure(error, `Request ${requestId ?? "(at admission)"} ${method} ${path}`);
    if (failure !== undefined) {
      const { detail, code, retryAfter } = DATABASE_FAILURE_ANSWERS[failure];
      return problemResponse(new HttpError(503, detail, { code: code ?? `database-${failure}`, headers: { "retry-after": retryAfter } }), path.slice(0, 200));
    }
    // Anything else is our bug: log everything, tell the client nothing but the request id.
    this.#logError(`Request ${requestId ?? "(at admission)"} ${method} ${path} failed`, error);
    const quote = requestId === undefined ? "" : `; quote request id ${requestId} when reporting it`;
    return problemResponse(new HttpError(500, `The server failed to answer${quote}`, { code: "internal" }), path.slice(0, 200));
  }

  /**
   * Answers a request in process, without a socket (Hono's `app.request()`): for tests of routes and
   * handlers. The adapter's own behaviour (body limits, parser errors, the log) needs a real socket,
   * and so does a body's Content-Encoding: the adapter decodes it, this hands the handler the coded
   * bytes as they are (a gzip JSON body is then a 400), and a CSV import's body is not written to
   * uploads/ (the tests of coded and spooled bodies use a server on port 0).
   *
   * @example
   * ```ts
   * const res = await app.request("/contacts?limit=2");
   * (await res.json()).items.length; // 2
   * ```
   */
  request(path: string, init?: RequestInit): Promise<Response> {
    return this.handle(new Request(new URL(path, "http://localhost"), init), { requestId: `test-${++this.#requests}` });
  }

  #requests = 0;

  /** Readiness: both databases open (or no snapshot published yet) and the last ETL runs. */
  async readiness(): Promise<{ ready: boolean; body: Infer<typeof readinessSchema> }> {
    const handle = this.snapshot.current();
    const unreadable = this.snapshot.unreadable();
    // The database answers (PostgreSQL may be down), asked with a query that reads no table: a count
    // here took 0.3-0.55 s at 803k contacts on PostgreSQL, more with each contact, past a probe's
    // usual 1 s timeout somewhere on the way to 10M; and it waited behind another process's load's
    // lock, taking every process out of service at once. The count is at /metrics.
    const contactsOpen = this.contacts.isOpen && (await this.contacts.ping().then(() => true, () => false));
    const runs = this.#runsRead();
    const lastRel = runs.find((r) => r.kind === "relationships");
    const lastContacts = runs.find((r) => r.kind === "contacts");
    const brief = (r: typeof lastRel) => (r === undefined ? null : { id: r.id, status: r.status, finished_at: r.finished_at, version_id: r.version_id ?? null });
    return {
      ready: contactsOpen,
      body: {
        status: contactsOpen ? "ready" : "not-ready",
        contacts: { open: contactsOpen, backend: this.contacts.backend },
        relationships: {
          ...(handle === undefined
            ? { open: false, version_id: null }
            : { open: true, version_id: handle.model.versionId, published_at: handle.model.publishedAt, actors: handle.model.actors.size }),
          // Also while the previous version is served: else a publication that failed to open says nothing here.
          ...(unreadable === undefined ? {} : { error: unreadable }),
        },
        last_runs: { relationships: brief(lastRel), contacts: brief(lastContacts) },
      },
    };
  }

  /** The runs as last read: what #runsRead() answers while runs.jsonl cannot be read. */
  #lastRuns: readonly RunRecord[] = [];

  /**
   * Every run, newest first, for /metrics and /readyz. The log unreadable (written by another user
   * with mode 0600, an I/O error): those of the last read, which an append-only log can only have
   * grown past, rather than fail a scrape whole (its request counters lost with them) or take a
   * process whose databases answer out of service. Logged once a minute at most.
   */
  #runsRead(): readonly RunRecord[] {
    try {
      return (this.#lastRuns = this.runs.all());
    } catch (error) {
      if (this.#logDue("runs-read")) this.#logError(`${runLogPath(this.runs.dataDir)} could not be read for /metrics and /readyz; they answer with the runs of the last read (logged once a minute at most)`, error);
      return this.#lastRuns;
    }
  }

  /** Stops the contacts imports running, and any asked for after, before their COMMIT (ContactsStore.stopImports): the first step of a close. */
  stopImports(by: string): void {
    this.contacts.stopImports(by);
  }

  /** Closes the databases once queued writes and in-flight snapshot queries finish. */
  async close(): Promise<void> {
    this.metrics.close();
    await this.snapshot.close();
    // Before the database: it may write a last export of the writes since the previous one.
    await this.contactsExport?.close();
    await this.contacts.close();
  }

  /** `what` names the request in the 401: "This write", or the read that needs the token. */
  #authorize(headers: HeaderSource, what: string): void {
    if (this.#tokenDigest === undefined) return;
    const header = headers.get("authorization") ?? "";
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    // Compare digests in constant time so the token cannot be guessed byte by byte from timings.
    if (m === null || !timingSafeEqual(digest(m[1]), this.#tokenDigest)) {
      throw new HttpError(401, m === null ? `${what} needs an \`Authorization: Bearer <API_TOKEN>\` header` : "The bearer token is not valid", {
        code: "unauthorized",
        headers: { "www-authenticate": m === null ? 'Bearer realm="relaciones"' : 'Bearer realm="relaciones", error="invalid_token"' },
      });
    }
  }

  #openApi(): Record<string, unknown> {
    return buildOpenApi(this.router, this.contacts.record, this.tables.map((t) => t.record));
  }

  #addSystemRoutes(): void {
    const r = this.router;
    // `api_id` tells a loader this process from another now at a crashed API's pid or address (api.json).
    const health = JSON.stringify({ status: "ok", api_id: API_ID });
    r.add("GET", "/healthz", async () => jsonText(health, 200, { "cache-control": "no-store" }), systemDocs.healthz);
    r.add(
      "GET",
      "/readyz",
      async () => {
        const { ready, body } = await this.readiness();
        if (ready) return json(body, 200, { "cache-control": "no-store" });
        // Not ready means the contacts database does not answer: retried as that failure's 503 is.
        return json(body, 503, { "cache-control": "no-store", "retry-after": DATABASE_FAILURE_ANSWERS.unavailable.retryAfter });
      },
      systemDocs.readyz,
    );
    r.add(
      "GET",
      "/openapi.json",
      async () => {
        this.#openapi ??= JSON.stringify(this.#openApi());
        return jsonText(this.#openapi, 200, { "cache-control": "no-cache" });
      },
      systemDocs.openapi,
    );
    r.add(
      "GET",
      "/docs",
      async () => {
        this.#docs ??= renderDocs(this.#openApi());
        return send(this.#docs, 200, {
          "content-type": "text/html; charset=utf-8",
          "cache-control": "no-cache",
          "content-security-policy": DOCS_CSP,
          // Its Try it forms send writes: never inside another site's frame (clickjacking).
          "x-frame-options": "DENY",
        });
      },
      systemDocs.docs,
    );
  }
}

/** Every method some route of `router` takes, with HEAD and OPTIONS (every path answers both), as an Allow value. */
function serverMethods(router: Router): string {
  const methods = new Set(["HEAD", "OPTIONS", ...router.routes().map((r) => r.method)]);
  return [...methods].sort().join(", ");
}

/** How long a scrape waits for the contacts database (its probe, a count due) before it answers without it. */
const METRICS_WAIT_MS = 5_000;
/**
 * How often /metrics counts the contacts, at most. A count scans the table (0.3-0.55 s of
 * PostgreSQL's time at 803k contacts, and growing with them); a gauge for trends can be a minute old.
 */
const METRICS_COUNT_EVERY_MS = 60_000;

/** A route's `bodyCut` told of a cut body with this request's headers and the time it was admitted (its run's start). */
function bodyCutOf(bodyCut: NonNullable<RouteDoc["bodyCut"]>, headers: HeaderSource): (received: number) => void {
  const admittedAt = new Date();
  return (received) => bodyCut(headers, { received, admittedAt });
}

/**
 * Writes `parts` to stderr as `console.error` would, with control characters escaped: error
 * messages quote values from requests and files, and the terminal must not obey them.
 *
 * @example
 * ```ts
 * logToStderr("Cannot open the snapshot", error);
 * ```
 */
export function logToStderr(...parts: unknown[]): void {
  process.stderr.write(`${terminalText(format(...parts))}\n`);
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
