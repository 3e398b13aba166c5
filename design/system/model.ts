// This product's own architecture, defined once: workbook and CSV -> ETL -> DuckDB files -> API ->
// clients. Rendered by `npm run design` into design/system/README.md and design/system/svg/.
import { call, connection as c, failureMode as f, note, reply } from "../model/mod.ts";
import type { Boundary, Component, FailureMode, Connection, Model, StoreSpec } from "../model/mod.ts";

const HOST = ["host"];

const components: Component[] = [
  { id: "browser", name: "Dashboard (browser)", kind: "client", zone: "clients", regions: ["local"], tech: "api/web static page", description: "Analysts browsing actors, relationships, runs and findings." },
  { id: "http-client", name: "Scripts and tools", kind: "client", zone: "clients", regions: ["local"], tech: "curl, notebooks, other services", description: "Contacts CRUD and reads; writes carry the API token." },
  { id: "operator", name: "Operator shell", kind: "client", zone: "clients", regions: ["local"], tech: "npm run etl, npm run etl -- --only contacts", description: "Runs a load by hand." },
  { id: "workbook", name: "relaciones.xlsx", kind: "file", zone: "inputs", regions: HOST, tech: "Excel workbook (adjacency matrix + actor list)", description: "The users' source of truth for relationships." },
  { id: "contacts-csv", name: "contacts.csv", kind: "file", zone: "inputs", regions: HOST, tech: "CSV, UTF-8", description: "Contacts exported from the users' address book." },
  { id: "api", name: "API", kind: "service", zone: "process", regions: HOST, tech: "node:http, no framework", description: "Serves JSON, OpenAPI, the dashboard; owns contacts.duckdb while it runs." },
  { id: "scheduler", name: "Daily scheduler", kind: "job", service: "api", zone: "process", regions: HOST, tech: "timer inside the API process", description: "Starts the daily relationships load as a child process." },
  { id: "etl", name: "Relationships ETL", kind: "service", zone: "process", regions: HOST, tech: "child process: tsx etl/main.ts", description: "Reads the workbook with our .xlsx reader, checks it, builds and publishes a snapshot." },
  { id: "loader", name: "Contacts loader", kind: "job", service: "etl", zone: "process", regions: HOST, tech: "loadContacts()", description: "Hands a CSV to the running API, or ingests directly when no API runs." },
  { id: "staging", name: ".relationships-<run>.duckdb", kind: "file", zone: "data", regions: HOST, tech: "DuckDB file (private to one run)", description: "The snapshot being built; nobody else opens it." },
  { id: "relationships-db", name: "relationships.duckdb", kind: "datastore", zone: "data", regions: HOST, tech: "DuckDB, immutable snapshot", description: "Published actors, relationships, matrix, versions, changes, findings." },
  { id: "contacts-db", name: "contacts.duckdb", kind: "datastore", zone: "data", regions: HOST, tech: "DuckDB, read-write", description: "Contacts and departments; migrations in schema_migrations." },
  { id: "runs-log", name: "runs.jsonl", kind: "file", zone: "data", regions: HOST, tech: "append-only JSON lines, fsync", description: "One record per run: succeeded, skipped or failed." },
  { id: "load-lock", name: ".relationships.lock", kind: "file", zone: "data", regions: HOST, tech: "O_EXCL file holding the owner's pid, start time and boot id", description: "One relationship load at a time per data dir; a dead owner's lock (or one whose pid now names another process) is taken over." },
  { id: "api-json", name: "api.json", kind: "file", zone: "data", regions: HOST, tech: "JSON: pid, url, started_at", description: "Tells loaders where the running API listens." },
  { id: "kept-snapshots", name: "snapshots/relationships-v<N>.duckdb", kind: "file", zone: "data", regions: HOST, tech: "hard links to published snapshots", description: "The published versions kept for `npm run etl -- --restore N` (KEEP_VERSIONS)." },
  { id: "parquet", name: "parquet/table=<t>/version=<N>/", kind: "datastore", zone: "data", regions: HOST, tech: "Parquet (zstd), Hive-style partitions", description: "Every published version and its changes, for Spark, Trino, pandas and BI tools." },
];

const connections: Connection[] = [
  c("s-browser-api", "browser", "api", "dashboard, JSON reads", "HTTP/1.1 on 127.0.0.1", { data: ["internal", "personal"] }),
  c("s-client-api", "http-client", "api", "contacts CRUD, reads", "HTTP/1.1 + Bearer API_TOKEN for writes", { data: ["personal", "credentials"] }),
  c("s-operator-etl", "operator", "etl", "run a load now", "CLI (npm run etl)"),
  c("s-operator-loader", "operator", "loader", "load contacts.csv", "CLI (npm run etl -- contacts)"),
  c("s-scheduler-etl", "scheduler", "etl", "daily load", "child_process.spawn + --json on stdout", { mode: "async" }),
  c("s-etl-workbook", "etl", "workbook", "stream rows", "our .xlsx reader (zip + inflate, streaming XML)", { access: "read" }),
  c("s-etl-lock", "etl", "load-lock", "take the load lock (O_EXCL), release in finally", "open(O_CREAT|O_EXCL) + owner check (pid, start time, boot id)", { access: "write" }),
  c("s-etl-staging", "etl", "staging", "build snapshot (appender), checkpoint, fsync", "DuckDB (read-write, private file)", { access: "write" }),
  c("s-etl-publish", "etl", "relationships-db", "publish: rename() over, fsync dir", "rename(2), atomic on one filesystem", { access: "write" }),
  c("s-etl-runs", "etl", "runs-log", "append run record", "O_APPEND write + fsync", { access: "write" }),
  c("s-etl-keep", "etl", "kept-snapshots", "keep the published file (hard link), prune by KEEP_VERSIONS; --restore reads one", "link(2); DuckDB ATTACH (READ_ONLY)", { access: "read-write" }),
  c("s-etl-parquet", "etl", "parquet", "write the published version after publication (temp name, rename)", "DuckDB COPY ... (FORMAT parquet, COMPRESSION zstd)", { access: "write" }),
  c("s-api-rel", "api", "relationships-db", "read-only queries; reopen on inode/mtime change", "DuckDB (READ_ONLY)", { access: "read" }),
  c("s-api-contacts", "api", "contacts-db", "contacts CRUD, imports (one writer)", "DuckDB (read-write, bound parameters)", { access: "read-write", data: ["personal"] }),
  c("s-api-runs", "api", "runs-log", "GET /runs", "read + parse JSON lines", { access: "read" }),
  c("s-api-json", "api", "api-json", "announce pid and url; delete on shutdown", "file write (rename)", { access: "write" }),
  c("s-loader-csv", "loader", "contacts-csv", "read CSV bytes", "file read", { access: "read", data: ["personal"] }),
  c("s-loader-json", "loader", "api-json", "is an API running?", "file read + GET /healthz", { access: "read" }),
  c("s-loader-api", "loader", "api", "POST /imports/contacts (CSV body)", "HTTP/1.1 + Bearer API_TOKEN", { data: ["personal", "credentials"] }),
  c("s-loader-db", "loader", "contacts-db", "direct ingest when no API runs", "DuckDB (read-write, file lock)", { access: "read-write", data: ["personal"] }),
  c("s-loader-runs", "loader", "runs-log", "append contacts run record", "O_APPEND write + fsync", { access: "write" }),
];

const stores: StoreSpec[] = [
  { component: "workbook", owner: "etl", holds: "The adjacency matrix and the actor list, as the users edit them", data: ["internal"], sourceOfTruth: true, replication: "None here: the users' shared drive", backup: "The users' own; every loaded version's sha256 and counts are kept in `versions`", rpo: "The users' backup policy", rto: "As soon as the file is back", why: "It is where the users work; we read it, never write it." },
  { component: "contacts-csv", owner: "etl", holds: "Contacts export", data: ["personal"], sourceOfTruth: true, replication: "None here: exported by the users", backup: "The users' own", rpo: "The users' export", rto: "Re-export and reload", why: "The interchange format the users already produce." },
  { component: "staging", owner: "etl", holds: "One run's snapshot before publication", data: ["internal"], replication: "None", backup: "None: a failed run deletes it and the next run rebuilds it", rpo: "n/a (rebuilt from the workbook)", rto: "One ETL run (seconds)", why: "Building in a private file means readers never see a half-written snapshot." },
  { component: "relationships-db", owner: "etl", holds: "Published actors, relationships, matrix rows, versions, changes, findings", data: ["internal"], replication: "None on one machine; copies are cheap (one immutable file) for read replicas", backup: "Rebuilt from the workbook; copy the file for point-in-time history", rpo: "0 for the published version (immutable); history lives in `versions`/`changes`", rto: "One ETL run", why: "Embedded columnar SQL, one file, read-only readers need no server and no locks.", sharedWith: [{ component: "api", access: "read", why: "the published snapshot is immutable; the API opens it READ_ONLY" }] },
  { component: "contacts-db", owner: "api", holds: "Contacts, departments, schema_migrations", data: ["personal"], sourceOfTruth: true, replication: "None on one machine (PostgreSQL path below)", backup: "Copy the file while the API is stopped, or EXPORT DATABASE nightly", rpo: "Since the last copy (24 h with a nightly copy)", rto: "Minutes: restore the file, restart", why: "One writer at a time fits DuckDB's model; the API serialises writes.", sharedWith: [{ component: "loader", access: "read-write", why: "only when no API is running; DuckDB's file lock guarantees one writer" }] },
  { component: "runs-log", owner: "etl", holds: "One JSON record per run", data: ["internal"], replication: "None", backup: "Append-only: copy any time", rpo: "Last fsync'd line; a torn last line is skipped on read", rto: "0", why: "Survives a crashed load (the DuckDB file may not); readable with any tool.", sharedWith: [{ component: "api", access: "read", why: "GET /runs" }] },
  { component: "load-lock", owner: "etl", holds: "pid, start time and boot id of the process running a relationship load", data: ["internal"], replication: "None", backup: "None: a lock whose owner is gone (or whose pid was reused) is taken over", rpo: "n/a", rto: "0 (stale lock taken over on the next run)", why: "Two loads would both read version N and publish N+1; the file lock serialises the scheduler, a person and any watcher." },
  { component: "kept-snapshots", owner: "etl", holds: "The last published snapshot files (a week by default)", data: ["internal"], replication: "None", backup: "They are the short-term backup: `--restore N` publishes one again", rpo: "The previous version (each publication keeps itself)", rto: "One restore (seconds)", why: "A bad day is undone by one command instead of hunting for yesterday's workbook; hard links cost no copy." },
  { component: "parquet", owner: "etl", holds: "Every published version's actors, pairs, pair view, findings, changes and versions rows", data: ["internal"], replication: "None; plain files any tool can copy or sync", backup: "Never rewritten: copy or sync the folder", rpo: "The newest version (written right after publication; a failed export is filled in by the next)", rto: "0 for readers; the next load rewrites what is missing", why: "Other engines (Spark, Trino, pandas, BI tools) read a version from the files, without the API or DuckDB's file format; zstd Parquet is about half a snapshot's size." },
  { component: "api-json", owner: "api", holds: "pid, url and start time of the running API", data: ["internal"], replication: "None", backup: "None: rewritten at start", rpo: "n/a", rto: "0", why: "Lets a loader find a running API without configuration.", sharedWith: [{ component: "loader", access: "read", why: "to hand rows to the running API" }] },
];

const boundaries: Boundary[] = [
  {
    id: "clients-process",
    name: "Clients → API and CLI",
    crossings: [["clients", "process"]],
    stride: {
      spoofing: "Writes need the bearer API_TOKEN (constant-time compare); the API refuses a non-loopback address without one.",
      tampering: "Bodies validated against the one contact definition; unknown fields rejected; If-Match for safe updates.",
      repudiation: "Loads are recorded in runs.jsonl; contact edits are not attributed to people (single-user tool on loopback).",
      informationDisclosure: "Loopback by default; problem documents never include internals; no stack traces to users.",
      denialOfService: "Body limits (1 MiB, 64 MiB for CSV imports), header and request timeouts, paged lists.",
      elevationOfPrivilege: "No accounts or roles: one token for all writes; put a proxy with real authentication in front beyond one machine.",
    },
  },
  {
    id: "process-data",
    name: "Processes → data directory",
    crossings: [["process", "data"]],
    stride: {
      spoofing: "Whoever can write the data directory can change the data: run as an unprivileged user, restrict the directory.",
      tampering: "Snapshots are immutable once published; bound parameters only; migrations checksummed.",
      repudiation: "runs.jsonl is append-only with fsync; each snapshot keeps versions and per-field changes.",
      informationDisclosure: "File permissions of the data directory; contacts hold personal data.",
      denialOfService: "A load lock prevents concurrent loads; a failed load leaves the previous snapshot served.",
      elevationOfPrivilege: "The API opens the snapshot READ_ONLY; only the ETL publishes, only by rename.",
    },
  },
  {
    id: "process-inputs",
    name: "ETL → input files",
    crossings: [["process", "inputs"]],
    stride: {
      spoofing: "Inputs are whatever file the operator points at; the run record keeps its sha256 and size.",
      tampering: "Checks report suspicious cells with references; nothing is published silently.",
      repudiation: "The versions table records file name, sha256, size and counts of every load.",
      informationDisclosure: "Inputs are read, never copied elsewhere; the rejects report holds only the rejected fields' values, in the data directory.",
      denialOfService: "Zip-bomb limits (inflated size, compression ratio); streaming reader with bounded memory.",
      elevationOfPrivilege: "The reader interprets no formulas, macros or external links.",
    },
  },
];

const failureModes: FailureMode[] = [
  f(["workbook"], "missing, locked by Excel, or not an .xlsx", "`npm run etl` exits non-zero with one sentence naming the file and the problem; the dashboard keeps the previous version; `/runs` lists a failed run", "nothing published; failed run recorded", "fix or close the file, run again"),
  f(["workbook"], "a sheet is missing or renamed", "\"Cannot find sheet 'Lista de actores'; the workbook has …\"", "failed run recorded", "rename the sheet, run again"),
  f(["workbook"], "bad cells: text in the matrix, asymmetric pairs, unknown actors", "the load succeeds; findings on the dashboard with cell references ('Matriz de adyacencia'!F5)", "published with findings", "users correct the workbook"),
  f(["workbook"], "zip bomb or corrupt archive", "failed run: inflated size over the limit, or a corrupt entry", "the reader stops at the limit", "obtain a clean file"),
  f(["etl", "staging"], "the load crashes or is killed mid-way", "nothing changes for readers", "the next load removes the temp file", "run again"),
  f(["load-lock"], "two loads at once (scheduler and a person), or a stale lock after kill -9", "the second load says another load (pid N) is running and records a skipped run; a dead owner's lock is taken over", "O_EXCL lock file with owner check (pid, start time, boot id)", "wait, or nothing to do"),
  f(["staging"], "disk full during a load", "failed run; the previous snapshot is still served", "temp file removed", "free space, run again"),
  f(["relationships-db"], "no snapshot yet (first start)", "relationship endpoints answer 503 problem documents; contacts and /readyz keep working", "the API keeps polling for the file", "run `npm run etl`"),
  f(["scheduler"], "the API is not running at the scheduled time", "no daily load; `/runs` shows the date of the last run", "run history makes the gap visible", "run `npm run etl` by hand"),
  f(["contacts-csv", "loader"], "rows with invalid fields", "valid rows load; each rejected row is listed with line, field and reason in <data-dir>/rejects/contacts-<run>.csv and counted in the run record", "per-row validation against the one contact definition", "fix the rows, load again (loads upsert)"),
  f(["contacts-csv", "loader"], "unreadable file (missing, wrong header, not CSV)", "the loader exits non-zero with one sentence; through the API a 422 problem+json; nothing written", "one transaction, rolled back", "fix the file, load again"),
  f(["loader", "api-json"], "the API is down, or api.json is stale after a crash", "nothing visible: the loader ingests directly", "pid check and GET /healthz", "none needed"),
  f(["contacts-db"], "two editors change the same contact", "412 Precondition Failed when If-Match carries an old ETag", "version column as ETag", "reload and retry"),
  f(["api"], "request body too large or a slow client", "413 Content Too Large or 408 Request Timeout", "reading stops at the first byte over the limit; timeouts", "none needed"),
  f(["api"], "unexpected error in a handler", "500 problem document with no internal detail", "stack logged on the server only", "fix the bug"),
  f(["parquet"], "the Parquet folder is full or not writable", "the load still publishes; its run says `parquet: failed` with the reason", "temp files removed; the next publication writes the versions that are missing", "free space or fix the folder; the next load fills in"),
  f(["kept-snapshots"], "a version to restore is no longer kept", "`--restore N` fails naming the kept versions and the KEEP_VERSIONS rule; nothing changes", "failed run recorded", "restore a kept version, or load that day's workbook"),
  f(["runs-log"], "crash in the middle of appending a line", "the torn line is skipped; earlier runs are intact", "fsync after each append", "none needed"),
];

/** This product's architecture: inputs, ETL, DuckDB files, API and clients on one machine. */
export const systemModel: Model = {
  id: "system",
  title: "Relaciones workspace",
  zones: [
    { id: "clients", name: "Clients", trust: "untrusted", description: "Anything that can reach the port." },
    { id: "process", name: "Processes", trust: "trusted", description: "The API process and the ETL child processes." },
    { id: "data", name: "Data directory", trust: "restricted", description: "DuckDB files, the run log and api.json." },
    { id: "inputs", name: "Input files", trust: "third-party", description: "Files the users produce." },
  ],
  regions: [
    { id: "local", name: "Users' machines / loopback", role: "external" },
    { id: "host", name: "One machine", role: "single" },
  ],
  components,
  connections,
  stores,
  views: [
    {
      id: "context",
      title: "System context",
      level: "context",
      description: "The workspace from outside: files in, HTTP out.",
      elements: ["browser", "http-client", "operator", "workbook", "contacts-csv"],
      collapse: { id: "workspace", name: "Relaciones workspace", description: "ETL + DuckDB + API on one machine", zone: "process", members: ["api", "scheduler", "etl", "loader", "staging", "relationships-db", "contacts-db", "runs-log", "load-lock", "api-json"] },
    },
    { id: "containers", title: "Containers and data flow", level: "container", description: "Files -> ETL -> DuckDB files -> API -> clients; arrows point from the side that starts.", elements: components.map((x) => x.id) },
  ],
  sequences: [
    {
      id: "seq-publish",
      title: "Publish a snapshot while the API serves",
      description: "The ETL never writes the file the API reads; the rename is the only moment of change.",
      steps: [
        call("s-scheduler-etl", "spawn etl/main.ts --json"),
        call("s-etl-lock", "take the load lock (busy: record a skipped run)"),
        call("s-etl-workbook", "stream rows of both sheets"),
        call("s-etl-staging", "CREATE tables, append rows, CHECKPOINT, fsync"),
        call("s-etl-publish", "rename .relationships-<run>.duckdb -> relationships.duckdb; fsync data dir"),
        call("s-etl-runs", "append {kind: relationships, status: succeeded}"),
        note(["api"], "poll (<= 500 ms): inode changed"),
        call("s-api-rel", "open new snapshot READ_ONLY; swap; close old after in-flight queries"),
        call("s-browser-api", "GET /runs?kind=relationships"),
        call("s-api-runs", "read runs.jsonl"),
        reply("s-browser-api", "newest run first"),
      ],
    },
    {
      id: "seq-contacts",
      title: "Load contacts while the API runs",
      description: "One writer: the loader hands the rows to the API instead of opening the file the API owns.",
      steps: [
        call("s-operator-loader", "npm run etl -- contacts data/contacts.csv"),
        call("s-loader-json", "read api.json; GET /healthz"),
        call("s-loader-csv", "read bytes"),
        call("s-loader-api", "POST /imports/contacts (text/csv, X-Source-Name)"),
        call("s-api-contacts", "ingestContacts() in one transaction, serialised with other writes"),
        reply("s-loader-api", "200 IngestSummary (422 problem+json for a bad CSV)"),
        call("s-loader-runs", "append {kind: contacts}"),
        note(["loader", "contacts-db"], "no API running: loader opens contacts.duckdb itself (s-loader-db)"),
      ],
    },
  ],
  boundaries,
  failureModes,
  requirements: [
    { id: "S1", text: "Load the relationship workbook daily and on demand; never show a half-loaded state", components: ["scheduler", "etl", "workbook", "staging", "relationships-db", "load-lock"], connections: ["s-scheduler-etl", "s-etl-lock", "s-etl-workbook", "s-etl-staging", "s-etl-publish"] },
    { id: "S2", text: "Serve relationships, runs and findings to the dashboard", components: ["api", "browser", "relationships-db", "runs-log"], connections: ["s-browser-api", "s-api-rel", "s-api-runs"] },
    { id: "S3", text: "Contacts CRUD with validation; CSV imports while the API runs", components: ["api", "loader", "contacts-db", "contacts-csv", "api-json"], connections: ["s-client-api", "s-api-contacts", "s-loader-api", "s-loader-json"] },
    { id: "S4", text: "Every run leaves a record, even when it fails", components: ["etl", "loader", "runs-log"], connections: ["s-etl-runs", "s-loader-runs"] },
  ],
};
