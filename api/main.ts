/**
 * `npm start`: reads HOST, PORT, DATA_DIR, API_TOKEN, migrates and opens the databases, listens,
 * writes `<data-dir>/api.json` (so `npm run etl` hands CSV loads to us), runs the daily ETL
 * schedule as child processes, and shuts down gracefully on SIGTERM/SIGINT.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { childProcessLoad, startScheduler, type Scheduler } from "../etl/mod.ts";
import { startServer, type RunningServer } from "./server.ts";

/** The settings main() reads from the environment. */
export interface Settings {
  host: string;
  port: number;
  dataDir: string;
  apiToken: string | undefined;
  schedule: boolean;
  /** Inputs of the scheduled ETL child, absolute (the child must not depend on anyone's cwd). */
  workbook: string;
  contactsCsv: string;
}

/** The repo's data/ folder: the default DATA_DIR whatever the working directory. */
export const defaultDataDir = fileURLToPath(new URL("../data/", import.meta.url));

/**
 * Returns the settings from `env`, or an error message for a bad or unsafe combination. Paths
 * come back absolute: DATA_DIR, WORKBOOK and CONTACTS_CSV given as relative paths resolve against
 * `cwd` (where the user typed them); without DATA_DIR the repo's data/ folder is used, and the
 * ETL inputs default to `relaciones.xlsx` and `contacts.csv` inside the data dir.
 *
 * @example
 * ```ts
 * readSettings({ HOST: "0.0.0.0" }) // { error: "Refusing to listen on 0.0.0.0 without API_TOKEN ..." }
 * readSettings({}).workbook // "/path/to/repo/data/relaciones.xlsx", from any cwd
 * ```
 */
export function readSettings(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): Settings | { error: string } {
  const host = env.HOST?.trim() || "127.0.0.1";
  const portText = env.PORT?.trim() || "8000";
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return { error: `PORT must be a number from 0 to 65535; got '${portText}'` };
  const apiToken = env.API_TOKEN?.trim() || undefined;
  if (!isLoopback(host) && apiToken === undefined) {
    return {
      error:
        `Refusing to listen on ${host} without API_TOKEN: anyone on the network could change contacts. ` +
        `Set API_TOKEN to a long random secret (writes then need "Authorization: Bearer <token>"), or use HOST=127.0.0.1.`,
    };
  }
  if (apiToken !== undefined && apiToken.length < 16 && !isLoopback(host)) {
    return { error: "API_TOKEN is shorter than 16 characters; use a long random secret on a network address" };
  }
  const dataDirText = env.DATA_DIR?.trim();
  const dataDir = dataDirText ? resolve(cwd, dataDirText) : resolve(defaultDataDir);
  const workbookText = env.WORKBOOK?.trim();
  const contactsText = env.CONTACTS_CSV?.trim();
  return {
    host,
    port: Number(portText),
    dataDir,
    apiToken,
    schedule: env.ETL_SCHEDULE !== "off",
    workbook: workbookText ? resolve(cwd, workbookText) : join(dataDir, "relaciones.xlsx"),
    contactsCsv: contactsText ? resolve(cwd, contactsText) : join(dataDir, "contacts.csv"),
  };
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1" || host === "[::1]") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

function startSchedule(settings: Settings): Scheduler | undefined {
  if (!settings.schedule) return undefined;
  const { workbook, contactsCsv: contacts } = settings;
  return startScheduler({
    workbook,
    dataDir: settings.dataDir,
    // Each load is `etl/main.ts --json` in a child process: a huge or crashing load cannot take the
    // API down. The child hands contacts to us through POST /imports/contacts (api.json).
    runLoad: childProcessLoad({
      dataDir: settings.dataDir,
      workbook,
      contacts,
      onResult: (result) => {
        const line = { time: new Date().toISOString(), event: "etl", reason: result.reason, exit_code: result.exitCode, signal: result.signal, result: briefSummary(result.summary) };
        process.stdout.write(JSON.stringify(line) + "\n");
        if (result.exitCode !== 0 && result.stderr) process.stderr.write(result.stderr.slice(-2000));
      },
    }),
    onError: (error, reason) => console.error(`Scheduled ETL load (${reason}) failed:`, error instanceof Error ? error.message : error),
  });
}

/**
 * Returns the part of an ETL `--json` summary worth a log line (status, version, counts); the full
 * record, findings included, is in runs.jsonl and at GET /runs/{id}.
 *
 * @example
 * ```ts
 * briefSummary({ ok: true, relationships: { status: "succeeded", version_id: 2, findings: [...] } })
 * // { ok: true, relationships: { status: "succeeded", version_id: 2 } }
 * ```
 */
export function briefSummary(summary: unknown): unknown {
  if (typeof summary !== "object" || summary === null) return summary;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(summary)) {
    if (typeof value !== "object" || value === null) {
      out[key] = value;
      continue;
    }
    const v = value as Record<string, unknown>;
    const inner = (typeof v.summary === "object" && v.summary !== null ? v.summary : {}) as Record<string, unknown>;
    const brief: Record<string, unknown> = {};
    for (const k of ["id", "run_id", "status", "version_id", "counts"]) if (v[k] !== undefined) brief[k] = v[k];
    for (const k of ["inserted", "updated", "unchanged", "rejected", "via"]) if (inner[k] !== undefined) brief[k] = inner[k];
    if (v.error) brief.error = v.error;
    out[key] = brief;
  }
  return out;
}

/** Writes api.json atomically (temp file + rename) so a reader never sees half of it. */
function writeApiJson(dataDir: string, url: string): string {
  const path = join(dataDir, "api.json");
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ pid: process.pid, url, started_at: new Date().toISOString() }) + "\n");
  renameSync(temp, path);
  return path;
}

function removeApiJson(path: string): void {
  try {
    // Only our own: a second API on another port must not lose its file because we stopped.
    const current = JSON.parse(readFileSync(path, "utf8")) as { pid?: number };
    if (current.pid === process.pid) rmSync(path, { force: true });
  } catch {
    // Already gone.
  }
}

/** Starts the API from the environment; returns the exit code when it stops (or fails to start). */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const settings = readSettings(env);
  if ("error" in settings) {
    console.error(settings.error);
    return 1;
  }
  mkdirSync(settings.dataDir, { recursive: true });
  let server: RunningServer;
  try {
    server = await startServer({ host: settings.host, port: settings.port, dataDir: settings.dataDir, apiToken: settings.apiToken });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") console.error(`Port ${settings.port} on ${settings.host} is already in use; set PORT to another one`);
    else if (code === "EACCES") console.error(`Not allowed to listen on ${settings.host}:${settings.port}; use a port above 1023`);
    else console.error(`Cannot start the API: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const localUrl = isLoopback(settings.host) || settings.host === "0.0.0.0" || settings.host === "::" ? server.url.replace(/\/\/[^/]+:/, "//127.0.0.1:") : server.url;
  const apiJson = writeApiJson(settings.dataDir, localUrl);
  let scheduler: Scheduler | undefined;
  try {
    scheduler = startSchedule(settings);
  } catch (error) {
    // A bad ETL_DAILY_AT must not keep contacts offline: serve, and say why loads will not run.
    console.error("Cannot start the ETL schedule:", error instanceof Error ? error.message : error);
  }
  console.error(`API listening on ${server.url} (data: ${settings.dataDir}${settings.apiToken ? ", writes need the bearer token" : ""}); docs at ${localUrl}/docs`);

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.error(`${signal}: finishing in-flight requests, then closing the databases`);
      scheduler?.stop();
      server.close().then(
        () => {
          removeApiJson(apiJson);
          resolveExit(0);
        },
        (error) => {
          console.error("Shutdown failed:", error);
          removeApiJson(apiJson);
          resolveExit(1);
        },
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then((code) => process.exit(code));
}
