// `npm run bench -- contacts [--rows 100000,1000000] [--seconds 3] [--connections 32] [--backends duckdb,postgres] [--repeat 1]`
//
// Contacts at scale, on each backend: deterministic CSVs of the users' shape (BENCH_DIR), then per
// file size the CSV load (first, unchanged, and the next day's file with a tenth of its people
// changed) next to its floor (DuckDB: read_csv into a table;
// PostgreSQL: COPY of the raw file into an unlogged table), and on the largest file the API: time to
// ready, RSS, req/s and p99 of point reads, a 50-row page, a filter, a count, a rare `q`, a deep page,
// POST and PUT at N connections, next to a bare node:http server measured in the same run, and the
// p99 of reads while a 100k-row CSV is imported through the running API, and its RSS at rest after.
// PostgreSQL runs when DATABASE_URL names a server the bench may create databases on; each
// measurement is a child process, so peak RSS is its own.
// With `--repeat N`, each load and floor runs N times: the best is the figure, and every run is printed
// beside it (the machine is shared, so the spread is part of the result).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { numberFlag, reportFailures, runChild, usage } from "./bench_measure.ts";
import { httpRequest, load, waitForLine, type LoadResult } from "./bench_http.ts";
import { readSettings } from "../etl/settings/mod.js";

const repo = fileURLToPath(new URL("..", import.meta.url));

interface Measure {
  seconds: number;
  cpuSeconds: number;
  maxRssMb: number;
  counts?: Record<string, number>;
  status?: string;
}

/** Child modes: floor-duckdb FILE DIR | floor-postgres FILE URL | load FILE DATA_DIR [URL]. Prints one JSON line. */
async function child(mode: string, file: string, target: string, url?: string): Promise<void> {
  const { Database, PostgresDatabase } = await import("../etl/db/mod.ts");
  const { loadContacts } = await import("../etl/contacts/mod.ts");
  const started = performance.now();
  const measure: Partial<Measure> = {};
  if (mode === "floor-duckdb") {
    const db = await Database.open(join(target, "floor.duckdb"), { settings: { memory_limit: "512MB" } });
    try {
      const columns = Array.from({ length: 11 }, (_, i) => `'c${i}': 'VARCHAR'`).join(", ");
      await db.run(`CREATE OR REPLACE TABLE raw AS SELECT * FROM read_csv($1, header = true, auto_detect = false, columns = {${columns}}, ignore_errors = true)`, [file]);
    } finally {
      db.close();
    }
  } else if (mode === "floor-postgres") {
    const { createReadStream } = await import("node:fs");
    const pg = await PostgresDatabase.connect(target, { max: 1 });
    try {
      await pg.session(async (s) => {
        await s.run(`DROP TABLE IF EXISTS raw; CREATE UNLOGGED TABLE raw (${Array.from({ length: 11 }, (_, i) => `c${i} text`).join(", ")})`);
        await s.copyIn("COPY raw FROM STDIN (FORMAT csv, HEADER true)", createReadStream(file, { highWaterMark: 1 << 20 }));
      });
    } finally {
      await pg.close();
    }
  } else {
    const result = await loadContacts({ csvPath: file, dataDir: target, databaseUrl: url || undefined });
    measure.status = result.unchanged_since === undefined ? "loaded" : "unchanged";
    measure.counts = { rows: result.rows, contacts: result.contacts, inserted: result.inserted, updated: result.updated, rejected: result.rejected };
  }
  process.stdout.write(JSON.stringify({ ...measure, seconds: (performance.now() - started) / 1000, ...usage() }) + "\n");
}

/** The databases this run created, dropped when it ends (fixed names: a crashed run's are dropped by the next). */
const created = new Set<string>();

/** A fresh PostgreSQL database on the server of `url` (dropped first if a previous run left it). */
async function freshDatabase(url: string, name: string): Promise<string> {
  const { PostgresDatabase } = await import("../etl/db/mod.ts");
  const admin = await PostgresDatabase.connect(url, { max: 1 });
  try {
    await admin.run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.run(`CREATE DATABASE ${name}`);
    created.add(name);
  } finally {
    await admin.close();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drops the databases freshDatabase() created on the server of `url`: a bench leaves no 1M-row copy behind. */
async function dropCreated(url: string): Promise<void> {
  if (created.size === 0) return;
  const { PostgresDatabase } = await import("../etl/db/mod.ts");
  const admin = await PostgresDatabase.connect(url, { max: 1 });
  try {
    for (const name of created) await admin.run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.close();
  }
}

/** VmRSS and VmHWM (peak) of a process, in MB. */
function rssOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

async function getJson(port: number, path: string): Promise<any> {
  return (await fetch(`http://127.0.0.1:${port}${path}`)).json();
}

/** The value of `sample` (a name with its labels, as /metrics writes it) in the API's /metrics; NaN when absent. */
async function metric(port: number, sample: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line === undefined ? NaN : Number(line.slice(sample.length + 1));
}

/** Waits while `read()` gives 0 (something the API builds in the background), at most 120 s from `since`. */
async function whileZero(read: () => Promise<number>, since: number, stepMs: number): Promise<void> {
  while ((await read()) === 0 && performance.now() - since < 120_000) await new Promise((r) => setTimeout(r, stepMs));
}

const STATES = ["CA", "NY", "TX", "NJ", "MA", "FL", "WA", "IL", "CO", "OH", "AZ", "LA", "CT", "RI"];

/**
 * The `k`th request of the case "count, a different filter each time": a state and a company
 * word with `k` after it (no company name has a digit, so each matches none and costs the same).
 * A random digit there gave 700 filters in all, and the API keeps counts' answers (DuckDB until
 * the next write), so most of the case's thousands of requests a second measured that cache.
 */
export function countPath(k: number): string {
  return `/contacts?count=true&limit=1&state=${STATES[k % STATES.length]}&company=${["inc", "llc", "esq", "group", "co"][k % 5]}${k}`;
}

interface ApiFigures {
  readyMs: number;
  /** From start until DuckDB's search filters were in use (built in the background); undefined on PostgreSQL. */
  filtersMs?: number;
  /** From start until DuckDB's point reads' file was built (in the background); undefined on PostgreSQL. */
  pointFileMs?: number;
  /**
   * RSS after the request cases, after the import that follows them, at rest (once the API has been
   * idle long enough to trim, IDLE_TRIM_MS), and the peak (VmHWM).
   */
  rss: { rss: number; afterImport: number; atRest: number; restSeconds: number; trimmed: boolean | undefined; peak: number };
  cases: (LoadResult & { ratio: number })[];
  duringImport?: LoadResult & { importSeconds: number };
}

/** A promise that rejects with `message` after `ms` (unref'd: it keeps no process alive). */
function deadline(ms: number, message: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(message)), ms).unref());
}

/** How long the bench waits for a started API's /readyz to be 200 (it is ready in about 1 s at 1M contacts). */
const READY_DEADLINE_MS = 120_000;

/** Starts the API on `dataDir` (and `url`), measures it, stops it. */
async function benchApi(dataDir: string, url: string | undefined, options: { seconds: number; connections: number; barePort: number; importFile: string }): Promise<ApiFigures> {
  const started = performance.now();
  const api = spawn(process.execPath, [...process.execArgv, join(repo, "api", "main.ts")], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", ETL_SCHEDULE: "off", CONTACTS_EXPORT: "off", API_TOKEN: "", DATABASE_URL: url ?? "" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  try {
    const listening = waitForLine(api, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    const port = Number((await Promise.race([listening, deadline(READY_DEADLINE_MS, `The API on ${dataDir} did not listen ${READY_DEADLINE_MS / 1000} s after it started`)]))[1]);
    // An API that never gets ready fails the run instead of hanging it.
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      await res?.body?.cancel();
      if (res?.status === 200) break;
      if (performance.now() - started > READY_DEADLINE_MS) throw new Error(`The API on ${dataDir} was not ready ${READY_DEADLINE_MS / 1000} s after it started (/readyz: ${res?.status ?? "no answer"})`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const readyMs = performance.now() - started;
    // DuckDB builds the filters that narrow q and company in the background after it is ready; the
    // cases start once they are in use (until then those filters scan), and the wait is printed.
    const filterBytes = () => metric(port, "relaciones_contacts_search_filters_bytes");
    let filtersMs: number | undefined;
    if (Number.isFinite(await filterBytes())) {
      await whileZero(filterBytes, started, 50);
      filtersMs = performance.now() - started;
    }
    // The point reads' file too: until it is built, point reads and pages ask DuckDB.
    const pointContacts = () => metric(port, "relaciones_contacts_point_file_contacts");
    let pointFileMs: number | undefined;
    if (Number.isFinite(await pointContacts())) {
      await whileZero(pointContacts, started, 50);
      pointFileMs = performance.now() - started;
    }
    const total = (await getJson(port, "/contacts?count=true&limit=1")).total as number;
    const maxId = (await getJson(port, "/contacts?sort=-id&limit=1")).items[0].id as number;
    // Deep pages: the cursors of pages 100..110 of a last-name sort, walked once here.
    const deep: string[] = [];
    let path = "/contacts?sort=last_name&limit=50";
    for (let page = 1; page <= 110 && path; page++) {
      const body = await getJson(port, path);
      if (page >= 100) deep.push(path);
      path = body.next_cursor === null ? "" : `/contacts?sort=last_name&limit=50&cursor=${body.next_cursor}`;
    }
    const states = STATES;
    const cities = ["Newark", "Boston", "Austin", "Denver", "Seattle", "Tampa", "San José", "Albany", "Buffalo", "Phoenix", "Chicago"];
    let n = 0;
    const rnd = () => Math.floor(Math.random() * 1e9);
    const cases: [string, number, () => Buffer][] = [
      ["bare node:http (floor)", options.barePort, () => httpRequest("GET", "/")],
      ["GET /contacts/{id}", port, () => httpRequest("GET", `/contacts/${1 + (rnd() % maxId)}`)],
      ["50-row page (sort varies)", port, () => httpRequest("GET", `/contacts?limit=50&sort=${["id", "last_name", "-created_at", "city"][n++ % 4]}`)],
      ["filter state+city, 50 rows", port, () => httpRequest("GET", `/contacts?limit=50&state=${states[n % states.length]}&city=${encodeURIComponent(cities[n++ % cities.length])}`)],
      ["count, a different filter each time", port, () => httpRequest("GET", countPath(n++))],
      ["rare q", port, () => httpRequest("GET", `/contacts?q=${rnd().toString(36)}x`)],
      ["page 100-110, sort=last_name", port, () => httpRequest("GET", deep[n++ % deep.length])],
      ["first page with its total (dashboard)", port, () => httpRequest("GET", "/contacts?count=true&limit=50")],
      ["departments, with counts", port, () => httpRequest("GET", "/departments")],
      ["POST /contacts", port, () => httpRequest("POST", "/contacts", JSON.stringify({ first_name: "Bench", last_name: `P${n++}`, email: `bench-${process.pid}-${n}-${rnd()}@example.com`, departments: ["Sales"] }))],
      ["PUT /contacts/{id}", port, () => httpRequest("PUT", `/contacts/${1 + (rnd() % maxId)}`, JSON.stringify({ first_name: "Put", last_name: `P${n++}`, email: `put-${process.pid}-${n}-${rnd()}@example.com`, city: "Austin", state: "TX", departments: ["Sales"] }))],
    ];
    const results: (LoadResult & { ratio: number })[] = [];
    let floor = 0;
    for (const [name, target, next] of cases) {
      const r = await load({ name, port: target, connections: options.connections, seconds: options.seconds, next });
      if (target === options.barePort) floor = r.rps;
      results.push({ ...r, ratio: r.rps / floor });
    }
    const rss = rssOf(api.pid!);
    // Reads at 8 connections while a CSV is imported through this API (the hand-over of npm run etl).
    const importer = spawn(process.execPath, [...process.execArgv, join(repo, "etl", "main.ts"), "--only", "contacts", "--json", "--contacts", options.importFile, "--data-dir", dataDir], {
      env: { ...process.env, API_TOKEN: "", DATABASE_URL: url ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const importStart = performance.now();
    let importOut = "";
    importer.stdout!.on("data", (d) => (importOut += d));
    const importDone = new Promise<number>((resolve, reject) =>
      importer.once("exit", (code) => (code === 0 ? resolve((performance.now() - importStart) / 1000) : reject(new Error(`The import failed (exit ${code}): ${importOut.slice(0, 300)}`)))),
    );
    const reads = [
      () => httpRequest("GET", `/contacts/${1 + (rnd() % maxId)}`),
      () => httpRequest("GET", `/contacts?limit=50&state=${states[n++ % states.length]}`),
    ];
    const during = await load({ name: "reads during an import", port, connections: 8, seconds: Math.max(2, options.seconds), warmupMs: 300, next: () => reads[n++ % 2]() });
    const importSeconds = await importDone;
    const end = rssOf(api.pid!);
    // At rest: what the API holds once nothing has come for a while: after its collection of V8's
    // garbage, and on DuckDB once its trim after the writes is done (its counter in /metrics).
    const { IDLE_TRIM_MS } = await import("../api/contacts/contacts_engines.ts");
    const { IDLE_COLLECT_MS } = await import("../api/collect_garbage.ts");
    const trimsDone = () => metric(port, 'relaciones_contacts_memory_trims_total{outcome="done"}');
    // The import emptied the point file, which is built again in the background: not rest yet.
    if (pointFileMs !== undefined) await whileZero(pointContacts, performance.now(), 200);
    const restStart = performance.now();
    const before = await trimsDone();
    await new Promise((r) => setTimeout(r, Math.max(IDLE_TRIM_MS, IDLE_COLLECT_MS) + 1000));
    const trimmed = async () => (Number.isFinite(before) ? (await trimsDone()) > before : undefined);
    while ((await trimmed()) === false && performance.now() - restStart < IDLE_TRIM_MS + 60_000) await new Promise((r) => setTimeout(r, 500));
    const rest = rssOf(api.pid!);
    const rssFigures = { rss: rss.rss, afterImport: end.rss, atRest: rest.rss, restSeconds: (performance.now() - restStart) / 1000, trimmed: await trimmed(), peak: rest.peak };
    return { readyMs, filtersMs, pointFileMs, rss: rssFigures, cases: results, duringImport: { ...during, importSeconds } };
  } finally {
    api.kill("SIGTERM");
    await new Promise((r) => api.once("exit", r));
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--child") return child(argv[1], argv[2], argv[3], argv[4]);
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: "string", default: "100000,1000000" },
      seconds: { type: "string", default: "3" },
      connections: { type: "string", default: "32" },
      backends: { type: "string", default: "duckdb,postgres" },
      repeat: { type: "string", default: "1" },
    },
  });
  const sizes = values.rows!.split(",").map((rows) => numberFlag("rows", rows, { min: 1, integer: true }));
  const seconds = numberFlag("seconds", values.seconds!, { min: 0.1 });
  const connections = numberFlag("connections", values.connections!, { min: 1, integer: true });
  const repeat = numberFlag("repeat", values.repeat!, { min: 1, integer: true });
  const postgresUrl = process.env.DATABASE_URL || undefined;
  const backends = values.backends!.split(",").filter((b) => b === "duckdb" || (b === "postgres" && postgresUrl !== undefined));
  if (values.backends!.includes("postgres") && postgresUrl === undefined) console.log("PostgreSQL skipped: set DATABASE_URL to a server the bench may create databases on");
  const cache = readSettings("bench").benchDir;
  mkdirSync(cache, { recursive: true });
  const { writeContactsCsv } = await import("./testing/contacts_csv.ts");
  const files = sizes.map((rows) => {
    const file = join(cache, `contacts-${rows}-seed7.csv`);
    if (!existsSync(file)) writeContactsCsv(file, rows, 7);
    // The next day's file: every tenth person with another phone, the rest the same.
    const changed = join(cache, `contacts-${rows}-seed7-changed10.csv`);
    if (!existsSync(changed)) writeContactsCsv(changed, rows, 7, { changeEvery: 10 });
    return { rows, file, changed, mb: statSync(file).size / 1e6 };
  });
  const importFile = join(cache, "contacts-import-100000-seed11.csv");
  if (!existsSync(importFile)) writeContactsCsv(importFile, 100_000, 11);

  const bare = spawn(process.execPath, ["-e", `
    const body = Buffer.from(JSON.stringify({ id: 1, first_name: "James", last_name: "Butt", company_name: "Benton, John B Jr", address: "6649 N Blue Gum St", city: "New Orleans", state: "LA", zip: "70116", phone1: "504-621-8927", phone2: "504-845-1427", email: "jbutt@gmail.com", departments: ["Sales"], created_at: "2026-01-01T00:00:00.000Z", updated_at: "2026-01-01T00:00:00.000Z" }));
    const s = require("node:http").createServer((q, r) => { r.writeHead(200, { "content-type": "application/json", "content-length": body.length }); r.end(body); });
    s.keepAliveTimeout = 5000;
    s.listen(0, "127.0.0.1", () => console.error("port " + s.address().port));
  `], { stdio: ["ignore", "ignore", "pipe"] });
  const barePort = Number((await waitForLine(bare, /port (\d+)/))[1]);
  const work = mkdtempSync(join(tmpdir(), "bench-contacts-"));
  let cleaned: Promise<void> | undefined;
  cleanUp = () =>
    (cleaned ??= (async () => {
      bare.kill("SIGTERM");
      rmSync(work, { recursive: true, force: true });
      // A clean-up that fails (the server gone, maybe why the run failed) must not hide the run's own error.
      if (postgresUrl !== undefined) await dropCreated(postgresUrl).catch((error) => console.error(`Could not drop the bench's databases: ${(error as Error).message}`));
    })());
  console.log(`Contacts bench: ${files.map((f) => `${f.rows.toLocaleString("en-US")} rows (${f.mb.toFixed(0)} MB)`).join(", ")}; ${connections} connections, ${seconds} s per case; best of ${repeat} for loads; node ${process.version}`);
  try {
    for (const backend of backends) {
      for (const { rows, file, changed } of files) {
        // The best of `repeat` runs, and every run's time: on a shared machine the spread is part of the figure.
        const best = async (mode: string, args: () => string[], before?: () => Promise<void>) => {
          let kept: Measure | undefined;
          const all: number[] = [];
          for (let k = 0; k < repeat; k++) {
            await before?.();
            const m = runChild<Measure>(import.meta.url, [mode, ...args()]);
            all.push(m.seconds);
            if (kept === undefined || m.seconds < kept.seconds) kept = m;
          }
          return { ...kept!, all };
        };
        const runs = (m: { all: number[] }, digits: number) => (repeat > 1 ? ` (runs ${m.all.map((s) => s.toFixed(digits)).join(", ")} s)` : "");
        const dataDir = join(work, `${backend}-${rows}`);
        let url: string | undefined;
        const fresh = async () => {
          rmSync(dataDir, { recursive: true, force: true });
          mkdirSync(dataDir, { recursive: true });
          if (backend === "postgres") url = await freshDatabase(postgresUrl!, `bench_contacts_${rows}`);
        };
        const floorDir = join(work, "floor");
        mkdirSync(floorDir, { recursive: true });
        const floor =
          backend === "duckdb"
            ? await best("floor-duckdb", () => [file, floorDir])
            : await freshDatabase(postgresUrl!, "bench_contacts_floor").then((floorUrl) => best("floor-postgres", () => [file, floorUrl]));
        const first = await best("load", () => [file, dataDir, url ?? ""], fresh);
        const again = await best("load", () => [file, dataDir, url ?? ""]);
        // Once: loaded again, the changed file is unchanged. The API cases then run on its tables.
        const next = runChild<Measure>(import.meta.url, ["load", changed, dataDir, url ?? ""]);
        console.log(
          `${backend.padEnd(9)} ${String(rows).padStart(8)} rows  load ${first.seconds.toFixed(1)} s${runs(first, 1)}, ${first.maxRssMb.toFixed(0)} MB peak (${first.counts?.contacts} contacts, ${first.counts?.rejected} rejected)` +
            ` | unchanged ${again.seconds.toFixed(2)} s${runs(again, 2)} (${again.status}) | floor ${floor.seconds.toFixed(1)} s${runs(floor, 1)}, ${floor.maxRssMb.toFixed(0)} MB: ${(first.seconds / floor.seconds).toFixed(1)}x` +
            ` | every 10th person changed ${next.seconds.toFixed(1)} s, ${next.maxRssMb.toFixed(0)} MB (${next.counts?.updated} updated)`,
        );
        if (rows !== Math.max(...sizes)) continue;
        const api = await benchApi(dataDir, url, { seconds, connections, barePort, importFile });
        console.log(`${backend.padEnd(9)} API ready in ${(api.readyMs / 1000).toFixed(2)} s${api.filtersMs === undefined ? "" : `, search filters in use at ${(api.filtersMs / 1000).toFixed(2)} s`}${api.pointFileMs === undefined ? "" : `, point file built at ${(api.pointFileMs / 1000).toFixed(2)} s`}; RSS ${api.rss.rss.toFixed(0)} MB after the request cases, ${api.rss.afterImport.toFixed(0)} MB after the import, ${api.rss.atRest.toFixed(0)} MB at rest (${api.rss.restSeconds.toFixed(0)} s later${api.rss.trimmed === false ? ", no trim seen" : ""}; peak ${api.rss.peak.toFixed(0)} MB)`);
        console.log(`  ${"case".padEnd(38)}${"req/s".padStart(9)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${"vs floor".padStart(10)}${"errors".padStart(8)}`);
        for (const r of api.cases) {
          console.log(`  ${r.name.padEnd(38)}${Math.round(r.rps).toString().padStart(9)}${r.p50.toFixed(2).padStart(9)}${r.p99.toFixed(2).padStart(9)}${`${(100 * r.ratio).toFixed(0)}%`.padStart(10)}${String(r.errors).padStart(8)}`);
        }
        const d = api.duringImport!;
        console.log(`  ${`reads at 8 conns during a 100k import (${d.importSeconds.toFixed(1)} s)`.padEnd(38)}${Math.round(d.rps).toString().padStart(9)}${d.p50.toFixed(2).padStart(9)}${d.p99.toFixed(2).padStart(9)}${"".padStart(10)}${String(d.errors).padStart(8)}`);
      }
    }
  } finally {
    await cleanUp();
  }
}

/** What main() leaves to remove (its servers, folders, databases); run once, at its end or on a signal. */
let cleanUp: () => Promise<void> = async () => {};

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(resolve(process.argv[1]))).href) {
  reportFailures();
  // A signal (npm run bench passes its own on) ends the run through its clean-up, which drops the
  // PostgreSQL databases it made: the default action ended the process before any finally ran.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, () => void cleanUp().finally(() => process.exit(1)));
  await main();
}
