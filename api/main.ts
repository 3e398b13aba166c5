/**
 * `npm start`: reads its settings (etl/settings), migrates and opens the databases, listens,
 * writes `<data-dir>/api.json` (so `npm run etl` hands CSV loads to us, etl/handover), runs the
 * daily ETL schedule as child processes, and shuts down gracefully on SIGTERM/SIGINT.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { contactsExportDir, EXPORT_INFO_FILE, unopenableContactsDb } from "../etl/contacts/mod.ts";
import { isDatabaseBusy, isDatabaseUnavailable, postgresRefusal } from "../etl/db/mod.ts";
import { pathToFileURL } from "node:url";
import { urlWorkbookWatcher } from "../etl/fetch/mod.ts";
import { removeApiInfo, writeApiInfo } from "../etl/handover/mod.ts";
import { childProcessLoad, startScheduler, type ChildLoad, type Scheduler } from "../etl/schedule/mod.ts";
import { etlChildEnv, outliveClosedOutput, parseCommandArgs, readSettings, SettingsError, settingsHelp, withoutPassword, type Settings } from "../etl/settings/mod.js";
import { terminalText } from "../etl/text/mod.js";
import { logToStderr } from "./app.ts";
import { startServer, type RunningServer } from "./server.ts";

const HELP = `Usage: npm start [-- options]

Serves the contacts API, the relationship endpoints and the dashboard, and runs the ETL schedule.

Options (each also read from the environment variable named; a flag wins):
${settingsHelp("start").join("\n")}
  --help                show this help`;

function startSchedule(settings: Settings): { scheduler: Scheduler; loads: ChildLoad } | undefined {
  if (!settings.schedule) return undefined;
  const { workbook, contactsCsv: contacts } = settings;
  // Each load is `etl/main.ts --json` in a child process: a huge or crashing load cannot take the
  // API down. The child hands contacts to us through POST /imports/contacts (api.json). When a
  // load is coming the child is started ahead (prepareLoad), so the load pays no start-up.
  const runLoad = childProcessLoad({
    dataDir: settings.dataDir,
    workbook,
    // Only a file the user named: the child then fails when it is missing. The default path is
    // the child's own default, whose absence skips contacts (no failed run, no alert, each day).
    contacts: settings.contactsGiven ? contacts : undefined,
    // Alert and download settings given to us as flags reach the child through its environment.
    env: etlChildEnv(settings),
    onResult: (result) => {
      const line = {
        time: new Date().toISOString(), event: "etl", reason: result.reason, exit_code: result.exitCode, signal: result.signal, result: briefSummary(result.summary),
        // The failed run recorded (and alerted) for a child that died before recording its own.
        ...(result.crashed ? { crashed_run: result.crashed.id } : {}),
      };
      process.stdout.write(terminalText(JSON.stringify(line)) + "\n");
      if (result.exitCode !== 0 && result.stderr) process.stderr.write(terminalText(result.stderr.slice(-2000)));
    },
  });
  const scheduler = startScheduler({
    workbook,
    contacts,
    dataDir: settings.dataDir,
    dailyAt: settings.dailyAt,
    // A URL workbook is polled here (a 304 is cheap); the download and the load run in the child.
    watchWorkbook: urlWorkbookWatcher({
      workbook,
      dataDir: settings.dataDir,
      pollMs: settings.workbookPollMs,
      authHeader: settings.workbookAuthHeader,
      maxBytes: settings.workbookMaxBytes,
      onError: (error) => logToStderr("Cannot poll the workbook:", error instanceof Error ? error.message : error),
    }),
    runLoad,
    prepareLoad: runLoad.prepare,
    onError: (error, reason) => logToStderr(`Scheduled ETL load (${reason}) failed:`, error instanceof Error ? error.message : error),
  });
  return { scheduler, loads: runLoad };
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

/**
 * Starts the API from flags and the environment; returns the exit code when it stops (or fails to
 * start: 1, or 2 for bad usage).
 *
 * @example
 * ```ts
 * process.exitCode = await main(["--port", "0"], { DATA_DIR: "/srv/data" });
 * ```
 */
export async function main(argv: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let settings: Settings;
  try {
    const values = parseCommandArgs("start", argv, { help: { type: "boolean", short: "h" } }, env);
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    settings = readSettings("start", { flags: values, env });
  } catch (error) {
    // A setting with an unusable value is a refusal to start (1); an unknown flag is bad usage (2).
    if (error instanceof SettingsError) {
      logToStderr(error.message);
      return 1;
    }
    logToStderr(`${(error as Error).message.split("\n")[0]}. Run with --help to see the options`);
    return 2;
  }
  try {
    mkdirSync(settings.dataDir, { recursive: true });
  } catch (error) {
    logToStderr(`Cannot use the data directory '${settings.dataDir}': ${(error as Error).message.split("\n")[0]}`);
    return 1;
  }
  // The analysts' Parquet copy: every CONTACTS_EXPORT, unless off; none on PostgreSQL, where
  // analysts query the database itself (the setting's description says so).
  const exportMs = settings.databaseUrl === undefined ? settings.contactsExportMs : null;
  let server: RunningServer;
  try {
    server = await startServer({
      host: settings.host,
      port: settings.port,
      dataDir: settings.dataDir,
      apiToken: settings.apiToken,
      allowedHosts: settings.allowedHosts,
      databaseUrl: settings.databaseUrl,
      contacts: { pgLockTimeoutMs: settings.pgLockTimeoutMs, pgStatementTimeoutMs: settings.pgStatementTimeoutMs, pgPoolSize: settings.pgPoolSize },
      metricsPublic: settings.metricsPublic,
      contactsExport: exportMs === null ? undefined : { intervalMs: exportMs },
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") logToStderr(`Port ${settings.port} on ${settings.host} is already in use; set PORT to another one`);
    else if (code === "EACCES") logToStderr(`Not allowed to listen on ${settings.host}:${settings.port}; use a port above 1023`);
    // A HOST that is not one of this machine's addresses, or a name that does not resolve: name HOST.
    else if (code === "EADDRNOTAVAIL") logToStderr(`Cannot listen on HOST ${settings.host}: it is not an address of this machine; set HOST to one of its addresses, 127.0.0.1, or 0.0.0.0 for all`);
    else if ((code === "ENOTFOUND" || code === "EAI_AGAIN") && (error as { hostname?: string }).hostname === settings.host) {
      logToStderr(`Cannot listen on HOST ${settings.host}: the name does not resolve (${code}); set HOST to an address of this machine, 127.0.0.1, or 0.0.0.0 for all`);
    }
    else if (settings.databaseUrl !== undefined && postgresRefusal(error) !== undefined) {
      // A role refused (class 28) or lacking a privilege (42501): what to fix, without the password.
      logToStderr(`Cannot start the API on DATABASE_URL (${withoutPassword(settings.databaseUrl)}). ${postgresRefusal(error)!.message}`);
    } else if (settings.databaseUrl !== undefined && (isDatabaseUnavailable(error) || isDatabaseBusy(error))) {
      // Unreachable or out of connections: name DATABASE_URL, without the password.
      logToStderr(`Cannot start the API: the PostgreSQL server of DATABASE_URL (${withoutPassword(settings.databaseUrl)}) refused or did not answer: ${(error as Error).message}`);
    } else if (settings.databaseUrl === undefined && unopenableContactsDb(error, settings.dataDir) !== undefined) {
      logToStderr(`Cannot start the API: ${unopenableContactsDb(error, settings.dataDir)!.message}`);
    } else logToStderr(`Cannot start the API: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  // Where local tools (npm run etl's hand-over, alert links) reach us: the address we listen on, which
  // for a loopback HOST (127.0.0.1, localhost, ::1) is one they can reach; a wildcard is reached on 127.0.0.1.
  const localUrl = settings.host === "0.0.0.0" || settings.host === "::" ? server.url.replace(/\/\/[^/]+:/, "//127.0.0.1:") : server.url;
  // The signal listeners first: until one is registered a SIGTERM ends the process outright (no
  // graceful stop, api.json left behind), and api.json is what tells tools they may send one.
  let schedule: { scheduler: Scheduler; loads: ChildLoad } | undefined;
  let apiJson: string | undefined;
  const finished = new Promise<number>((resolveExitNow) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logToStderr(`${signal}: finishing in-flight requests, then closing the databases`);
      schedule?.scheduler.stop();
      // The load child first: left running it outlived us, writing after the API closed (see close()).
      (schedule?.loads.close() ?? Promise.resolve())
        .then(() => server.close(undefined, `${signal} to the API`))
        .then(
          () => {
            if (apiJson !== undefined) removeApiInfo(apiJson);
            resolveExit(0);
          },
          (error) => {
            logToStderr("Shutdown failed:", error);
            if (apiJson !== undefined) removeApiInfo(apiJson);
            resolveExit(1);
          },
        );
    };
    // `on`, not `once`: under `npm start` a Ctrl-C reaches node twice (the terminal's process group,
    // and npm passing its own on), and once a `once` listener had gone the second signal killed the
    // process mid-stop, api.json left behind. Repeats are ignored; the listeners go once stopped.
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    const resolveExit = (code: number) => {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      resolveExitNow(code);
    };
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
  });
  apiJson = writeApiInfo(settings.dataDir, localUrl);
  if (exportMs === null) warnStaleExport(settings);
  try {
    schedule = startSchedule(settings);
  } catch (error) {
    // A bad ETL_DAILY_AT must not keep contacts offline: serve, and say why loads will not run.
    logToStderr("Cannot start the ETL schedule:", error instanceof Error ? error.message : error);
  }
  logToStderr(
    `API listening on ${server.url} (data: ${settings.dataDir}; contacts: ${server.app.contacts.location}${settings.apiToken ? "; writes need the bearer token" : ""}); docs at ${localUrl}/docs`,
  );
  return finished;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  // A closed stdout (a log pipe gone) ends the request log, not the API: said once, serving goes on.
  outliveClosedOutput((error) =>
    logToStderr(`The standard output was closed (${error.code ?? error.message}); the request log and the scheduled loads' results are no longer written, serving goes on`),
  );
  main(process.argv.slice(2)).then((code) => process.exit(code));
}

// An export left by an earlier run goes on being read by analysts: when this run will not refresh
// it, say so once (it is theirs to delete; we never remove files people may be using).
function warnStaleExport(settings: Settings): void {
  const dir = contactsExportDir(settings.dataDir);
  if (!existsSync(join(dir, EXPORT_INFO_FILE))) return;
  const why = settings.databaseUrl !== undefined ? "contacts live in PostgreSQL (DATABASE_URL)" : "CONTACTS_EXPORT=off";
  logToStderr(`${dir} holds an earlier export of the contacts that is no longer refreshed (${why}); delete it if analysts should not read it`);
}
