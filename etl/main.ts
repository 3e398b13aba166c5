/**
 * `npm run etl`: loads the relationship workbook and the contacts CSV into the data dir, prints a
 * summary a person reads at a glance (or JSON with --json), and exits 0 on success or skip, 1 when
 * a load failed, 2 on bad usage. `--watch` keeps running on the same schedule the API uses.
 * Errors are plain messages; a stack trace never reaches the terminal.
 */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
// Only types at the top: --help, --version and usage errors must not load DuckDB, the reader or
// the scheduler, and each load path imports what it needs when it runs (a cold import of the load
// modules is ~0.1 s of a CLI start; the DuckDB driver loads later still, on the first open).
import type { LoadResult } from "./relationships/mod.ts";
import { acquireWatchLock, makeDirs } from "./files/mod.ts";
import { collectRuns, FAILED_BEFORE, runLogPath } from "./runs/mod.ts";
import type { LoadReason } from "./schedule/mod.ts";
import { isUrl, outliveClosedOutput } from "./settings/mod.js";
import { oneLine, terminalText } from "./text/mod.js";
import { exitWith, parseEtlArgs, parseOrAnswer, UsageError, WAIT_MS, type EtlOptions } from "./etl_args.js";
import { formatOutcome, type ContactsOutcome, type EtlOutcome } from "./report.ts";
import { STOP_SIGNALS, stopOnSignals, type StopSignal } from "./stop_on_signals.ts";
import { holdStopSignals, type HeldSignals } from "./hold_signals.js";

export { formatOutcome, parseEtlArgs, UsageError, type EtlOptions, type EtlOutcome };

/**
 * Runs the loads `options` asks for and returns what happened (never throws for bad data).
 *
 * @example
 * ```ts
 * const outcome = await runEtl({ ...parseEtlArgs([]), only: "relationships" });
 * outcome.relationships?.run.status; // "succeeded"
 * ```
 */
export async function runEtl(options: EtlOptions, hooks: EtlHooks = {}): Promise<EtlOutcome> {
  // The loads record their runs themselves; alerts about them go out after, in one place, so an
  // unreachable webhook can delay the end of a run (bounded by ALERT_TIMEOUT) but never change it.
  const { value: outcome, runs } = await collectRuns(() => runLoads(options, hooks));
  if (options.alert !== null) {
    const { alertRuns } = await import("./alerts/mod.ts");
    // A workbook that changed while it was read and was then loaded again: the try that followed is
    // what happened (and alerts if it failed); the change alone is nothing to tell the channel.
    const last = runs.findLast((r) => r.kind === "relationships");
    const due = runs.filter((r) => r === last || r.kind !== "relationships" || r.error?.code !== "file-changed");
    // A stop gives up the alerts too: a webhook that hangs held a Ctrl-C for 3 × ALERT_TIMEOUT.
    outcome.alerts = await alertRuns(due, { ...options.alert, dataDir: options.dataDir, signal: hooks.signal });
  }
  return outcome;
}

/** How `runEtl()` reports progress and is stopped. */
export interface EtlHooks {
  progress?: boolean;
  /** Aborted with a LoadStopped (SIGINT, SIGTERM): the loads stop where nothing is half-written (stop_on_signals.ts). */
  signal?: AbortSignal;
  /** Called as the workbook's load enters each phase (hashing, reading, ...). */
  onPhase?: (phase: string) => void;
  /** How still the workbook must keep before a load that found it changed while read tries again (untilStill's options). */
  settle?: { stableMs?: number; pollMs?: number };
}

/** How many times a workbook that changed while it was read is loaded again. */
const CHANGED_RETRIES = 3;

async function runLoads(options: EtlOptions, hooks: EtlHooks): Promise<EtlOutcome> {
  let relationships: LoadResult | null = null;
  let contacts: ContactsOutcome | null = null;
  // What a restore and a load of the workbook both publish by.
  const publication = { dataDir: options.dataDir, parquetDir: options.parquetDir, keepVersions: options.keepVersions, lockWaitMs: options.wait ? WAIT_MS : 0 };
  if (options.restore !== null) {
    // A restore publishes a kept version again and loads nothing (etl_args.js refuses --only contacts).
    const { restoreVersion } = await import("./relationships/mod.ts");
    relationships = await restoreVersion({ ...publication, version: options.restore });
    return { ok: relationships.run.status !== "failed", relationships, contacts: null };
  }
  if (options.only !== "contacts") {
    const bar = hooks.progress ? progressBar(options.workbook) : null;
    try {
      // loadWorkbook() downloads a URL workbook first, then runs the relationship load.
      const { loadWorkbook } = await import("./fetch/mod.ts");
      const load = () => loadWorkbook({
        ...publication,
        download: options.download,
        workbook: options.workbook,
        force: options.force,
        onProgress: bar?.update,
        onPhase: (phase) => {
          bar?.phase(phase);
          hooks.onPhase?.(phase);
        },
        signal: hooks.signal,
      });
      relationships = await load();
      // Replaced or written over while it was read (a save, a sync client's rename, a copy that went
      // on): the file there now is loaded once it keeps still, a few times at most.
      for (let retry = 0; retry < CHANGED_RETRIES && relationships.run.error?.code === "file-changed" && !hooks.signal?.aborted; retry++) {
        const { untilStill } = await import("./schedule/mod.ts");
        await untilStill(options.workbook, { ...hooks.settle, signal: hooks.signal });
        if (!hooks.signal?.aborted) relationships = await load();
      }
    } finally {
      bar?.done();
    }
  }
  if (options.only !== "relationships" && relationships !== null && hooks.signal?.aborted) {
    // Stopped during the workbook's load: the contacts load is not started (no run: it never ran).
    // Stopped before any load (the command still starting), the contacts load records its stop.
    contacts = { status: "skipped", error: { code: "stopped", message: `${(hooks.signal.reason as Error).message} before the contacts load started; contacts not loaded` } };
  } else if (options.only === null && !options.contactsGiven && !existsSync(options.contacts)) {
    // A team that only sends workbooks has no contacts file: not a failure (nor an alert) every day.
    // Asked for by --only contacts, --contacts or CONTACTS_CSV, a missing file still fails.
    contacts = { status: "skipped", error: { code: "no-file", message: `No contacts file at ${options.contacts}; contacts not loaded (set CONTACTS_CSV or --contacts to load one)` } };
  } else if (options.only !== "relationships") contacts = await runContacts(options, hooks.signal);
  const ok = (relationships === null || relationships.run.status !== "failed") && (contacts === null || contacts.status !== "failed");
  return { ok, relationships, contacts };
}

async function runContacts(options: EtlOptions, signal: AbortSignal | undefined): Promise<ContactsOutcome> {
  try {
    const { loadContacts } = await import("./contacts/mod.ts");
    const summary = await loadContacts({
      csvPath: options.contacts,
      dataDir: options.dataDir,
      apiToken: options.apiToken,
      databaseUrl: options.databaseUrl,
      exportContacts: options.contactsExport,
      ...(options.wait ? { lockWaitMs: WAIT_MS } : {}),
      force: options.force,
      signal,
    });
    // An unchanged file is a skip in runs.jsonl; --json and npm start's log say the same.
    return { status: summary.unchanged_since === undefined ? "succeeded" : "skipped", summary };
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown; result?: ContactsOutcome["summary"] };
    const message = typeof e?.message === "string" ? e.message.split("\n")[0] : String(error);
    const code = typeof e?.code === "string" ? e.code : "failed";
    // Another contacts load of this data dir is running: it does the work (exit 0, as for relationships);
    // or a load failed on these bytes within the hour: it alerted (exit 0, as for a workbook).
    if (code === "busy" || code === FAILED_BEFORE) return { status: "skipped", error: { code, message } };
    // Every row rejected: the report still says which rows and why, under the failure.
    return { status: "failed", error: { code, message }, summary: e?.result };
  }
}

/** A progress bar on stderr, only for a terminal and a file big enough to wait for. */
function progressBar(workbook: string): { update: (done: number, total: number) => void; phase: (p: string) => void; done: () => void } | null {
  let size = 0;
  try {
    size = statSync(workbook).size;
  } catch {
    return null;
  }
  if (!process.stderr.isTTY || size < 2 * 1024 * 1024) return null;
  let last = 0;
  let label = "reading";
  const draw = (fraction: number) => {
    const width = 30;
    const filled = Math.round(fraction * width);
    process.stderr.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}% ${label.padEnd(12)}`);
  };
  return {
    update(done, total) {
      const now = performance.now();
      if (now - last < 100 || total <= 0) return;
      last = now;
      draw(Math.min(1, done / total));
    },
    phase(p) {
      label = p;
      if (p !== "hashing" && p !== "reading") draw(1);
    },
    done() {
      process.stderr.write("\r\x1b[2K");
    },
  };
}

/**
 * Where a permission `error` of the data dir's making or checking was missing: for a folder it
 * could not create (mkdir), the existing folder it was to be created in (whose permission is what
 * to fix), not the folder that is not there.
 *
 * @example
 * ```ts
 * deniedFor({ code: "EACCES", syscall: "mkdir", path: "/srv/ro/sub" } as NodeJS.ErrnoException); // "no permission to create folders in /srv/ro"
 * ```
 */
function deniedFor(error: NodeJS.ErrnoException): string {
  if (error.syscall !== "mkdir" || error.path === undefined) return `no permission for ${error.path ?? "it"}`;
  let parent = dirname(resolve(error.path));
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  return `no permission to create folders in ${parent}`;
}

/**
 * The CLI: returns the exit code instead of exiting, so tests can call it.
 *
 * @example
 * ```ts
 * process.exitCode = await main(["--only", "relationships", "--json"]);
 * ```
 */
export async function main(argv: string[], held?: HeldSignals): Promise<number> {
  const parsed = parseOrAnswer(argv);
  if ("exitCode" in parsed) {
    held?.release();
    return parsed.exitCode;
  }
  return runCli(parsed.options, held);
}

/**
 * Runs what parsed `options` ask for (one load, `--watch`, or `--standby`) and returns the exit
 * code. The launcher (etl.js) calls this once it has parsed the command line itself, with the
 * signals it has `held` since its start: one that came stops the load as soon as it begins.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(parseEtlArgs(["--json"]) as EtlOptions);
 * ```
 */
export async function runCli(options: EtlOptions, held?: HeldSignals): Promise<number> {
  try {
    return await runHeld(options, held);
  } finally {
    // Released once the loads listen (stopOnSignals); here for every way out before that.
    held?.release();
  }
}

async function runHeld(options: EtlOptions, held: HeldSignals | undefined): Promise<number> {
  try {
    // Every load records its run in the data dir: a dir that cannot be created is one plain
    // message up front, not an errno from deep inside the first load. makeDirs(), not a recursive
    // mkdirSync, which says "no such file or directory" for a read-only file system.
    makeDirs(options.dataDir);
    // And one it may not write (read-only, another owner) likewise: the first load failed, then
    // failing to record that failure ended the command as "The ETL stopped unexpectedly".
    accessSync(options.dataDir, constants.W_OK);
    if (existsSync(runLogPath(options.dataDir))) accessSync(runLogPath(options.dataDir), constants.W_OK);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const why = e.code === "EACCES" || e.code === "EPERM" || e.code === "EROFS" ? `it cannot be written (${e.code === "EROFS" ? "a read-only file system" : deniedFor(e)}); every load records its run there, so nothing was loaded` : e.message.split("\n")[0];
    say(process.stderr, `${oneLine(`Cannot use the data directory '${options.dataDir}': ${why}`)}\n`);
    return 1;
  }
  if (options.watch) return watch(options, held);
  if (options.standby && !process.send) {
    say(process.stderr, "--standby waits for the scheduler's go-ahead on an IPC channel; this process has none (it is for npm start's schedule)\n");
    return 2;
  }
  if (options.standby) {
    // Waiting, it has nothing to stop: a signal ends it as before (the scheduler dismisses it so).
    held?.release();
    const early = held?.received() ?? null;
    if (early !== null) return STOP_SIGNALS[early];
    const go = await standby(options);
    if (go === null) return 0; // the scheduler went away or stopped before asking for a load
    options = { ...options, only: go.only };
  }
  // SIGINT/SIGTERM stop the loads through their signal, so each records its run and leaves no temp
  // file; killed outright, a load left neither a run nor a clean data dir. Only around the loads:
  // a --standby child waiting for its go-ahead has nothing to stop and is ended as before.
  const stop = stopOnSignals(held);
  let outcome: EtlOutcome;
  try {
    outcome = await runEtl(options, { progress: !options.json, signal: stop.signal });
  } finally {
    stop.dispose();
  }
  const signal = stop.received();
  if (options.json) say(process.stdout, `${JSON.stringify(toJson(outcome))}\n`);
  if (signal !== null) {
    // One line, not the report: what each load did is in it, the rest in runs.jsonl.
    say(process.stderr, `${oneLine(stoppedLine(signal, outcome, options.dataDir))}\n`);
    // Non-zero even when the loads had gone past stopping and finished: the person (or the
    // supervisor) asked for the command to stop, and a script's next step must not run on.
    return STOP_SIGNALS[signal];
  }
  // A failed load's report goes to stderr, so `npm run etl > report.txt` still shows the failure.
  if (!options.json) say(outcome.ok ? process.stdout : process.stderr, `${formatOutcome(outcome).join("\n")}\n`);
  return outcome.ok ? 0 : 1;
}

/**
 * The one line a signal's stop prints: each load's outcome (a stopped one's message says what
 * became of its data) and where the runs are. When no load was stopped (each had begun its COMMIT
 * or publication, or ended, before the signal came), it says they finished.
 */
function stoppedLine(signal: StopSignal, outcome: EtlOutcome, dataDir: string): string {
  const loads = [
    // Named by its workbook, as the report names it (a URL's download stopped before any file is not).
    outcome.relationships && { kind: fileKind("relationships", outcome.relationships.run.file?.name), status: outcome.relationships.run.status, error: outcome.relationships.run.error },
    outcome.contacts && { kind: "contacts", status: outcome.contacts.status, error: outcome.contacts.error ?? null },
  ].filter((l) => l !== null);
  const parts = loads.map((l) => `${l.kind} ${l.status}${l.error ? ` (${l.error.message})` : ""}`);
  const wasStopped = loads.some((l) => l.error?.message.startsWith(`Stopped by ${signal}`));
  const unsent = [...(outcome.alerts?.values() ?? [])].filter((a) => a.error?.code === "stopped");
  const alerts = unsent.length === 0 ? "" : `; ${unsent.length === 1 ? "the alert was" : `${unsent.length} alerts were`} not sent: ${unsent[0].error!.message}`;
  const tail = `${alerts}; see ${runLogPath(dataDir)}`;
  if (!wasStopped) return `${signal} came after the loads could be stopped; they finished: ${parts.join(", ") || "nothing to load"}${tail}`;
  return `${signal}: ${parts.join(", ")}${tail}`;
}

function fileKind(kind: string, file: string | undefined): string {
  return file === undefined ? kind : `${kind} of ${file}`;
}

/**
 * `--standby`: loads what a load needs (the load modules and the DuckDB driver), tells the parent
 * "ready" over the IPC channel, and waits for its go-ahead, which says what to load. Resolves null
 * if the channel closes first. This is how `npm start` keeps its next scheduled load started
 * ahead of time (etl/schedule/child_load.ts) while each load still runs in a fresh process.
 */
async function standby(options: EtlOptions): Promise<{ only: EtlOptions["only"] } | null> {
  const [, , { Database }] = await Promise.all([
    // What the load itself imports: the workbook load (fetch/mod.ts, which brings relationships/).
    options.only !== "contacts" ? import("./fetch/mod.ts") : null,
    options.only !== "relationships" ? import("./contacts/mod.ts") : null,
    import("./db/mod.ts"),
  ]);
  Database.loadDriver();
  return new Promise((resolveGo) => {
    const onMessage = (message: unknown) => {
      const m = message as { go?: boolean; only?: EtlOptions["only"] };
      if (!m?.go) return;
      process.off("disconnect", onDisconnect);
      process.off("message", onMessage);
      // The channel must not keep this process alive once the load is done.
      process.channel?.unref();
      resolveGo({ only: m.only === undefined ? options.only : m.only });
    };
    const onDisconnect = () => {
      process.off("message", onMessage);
      resolveGo(null);
    };
    process.on("message", onMessage);
    process.once("disconnect", onDisconnect);
    process.send!({ ready: true });
  });
}

function toJson(outcome: EtlOutcome): unknown {
  const r = outcome.relationships;
  return {
    ok: outcome.ok,
    relationships: r && { ...r.run, change_preview: r.changePreview, duration_ms: Math.round(r.durationMs) },
    contacts: outcome.contacts,
    alerts: outcome.alerts && Object.fromEntries(outcome.alerts),
  };
}

/**
 * Writes `text` to the terminal (or wherever the stream goes) with control characters escaped:
 * reports, messages and logs quote headers, cells, sheet and file names from the user's files.
 */
function say(stream: NodeJS.WriteStream, text: string): void {
  stream.write(terminalText(text));
}

/**
 * `--watch`: the schedule in this process, each load a `runEtl()` here (not a child, as under
 * `npm start`). SIGINT or SIGTERM stops the schedule and the load running, as they stop a one-shot
 * load, and returns 130/143 when a load was running then (the one-shot's status: it was asked to
 * stop mid-load), 0 when the schedule was only waiting (the normal end of a service).
 */
async function watch(options: EtlOptions, held: HeldSignals | undefined): Promise<number> {
  // One line each: the messages quote file names and workbook text (see formatOutcome()).
  const log = (line: string) => say(process.stderr, `${new Date().toISOString()} ${oneLine(line)}\n`);
  // One watcher per data dir: a second one loaded every change again (two runs, two alerts).
  const release = acquireWatchLock(options.dataDir);
  if (typeof release === "number") {
    say(process.stderr, `${oneLine(`Another npm run etl -- --watch (pid ${release}) already watches ${options.dataDir}: two would load every change twice. Stop that one first, or give this one another --data-dir`)}\n`);
    return 1;
  }
  try {
    return await watchHeld(options, log, held);
  } finally {
    release();
  }
}

/** `watch()` once it holds the data dir's watch lock. */
async function watchHeld(options: EtlOptions, log: (line: string) => void, held: HeldSignals | undefined): Promise<number> {
  const [{ loadOnly, startScheduler }, { shownUrl, urlWorkbookWatcher }] = await Promise.all([import("./schedule/mod.ts"), import("./fetch/mod.ts")]);
  // Before the schedule starts, whose start-up load may begin at once. Ctrl-C and SIGTERM used to
  // stop only the schedule and then wait for the running load to end (15 s and more for a
  // million-row CSV, with Ctrl-C seemingly ignored): now they abort it as they do a one-shot load.
  // Repeats are ignored until the load has stopped (stopOnSignals()).
  const stop = stopOnSignals(held);
  // The signal that came while a load was running, if one did.
  let interrupted: StopSignal | null = null;
  let scheduler;
  try {
    scheduler = startScheduler({
      workbook: options.workbook,
      // With --only the other input is not this process's to load: its changes start nothing.
      contacts: options.only === "relationships" ? undefined : options.contacts,
      dataDir: options.dataDir,
      dailyAt: options.dailyAt,
      watch: options.only !== "contacts",
      watchWorkbook: urlWorkbookWatcher({
        ...options.download,
        workbook: options.workbook,
        dataDir: options.dataDir,
        onError: (error) => log(`cannot poll the workbook: ${(error as Error).message}`),
      }),
      onError: (error) => log(`load failed: ${(error as Error).message}`),
      runLoad: async (reason: LoadReason) => {
        // Stopped just as the schedule handed this load over: it is not started (a run would say "stopped").
        if (stop.signal.aborted) return;
        log(`loading (${reason})`);
        // A changed file reloads its own input only; the daily run refreshes everything asked for.
        const only = loadOnly(reason) ?? options.only;
        // Waiting for a load already running, not skipping: see --wait.
        const outcome = await runEtl({ ...options, only, wait: true }, { signal: stop.signal });
        const signal = stop.received();
        if (options.json) say(process.stdout, `${JSON.stringify(toJson(outcome))}\n`);
        if (signal !== null) {
          interrupted = signal;
          // As the one-shot: one line instead of the report.
          log(stoppedLine(signal, outcome, options.dataDir));
        } else if (!options.json) say(process.stdout, `${formatOutcome(outcome).join("\n")}\n`);
      },
    });
  } catch (error) {
    stop.dispose();
    say(process.stderr, `${(error as Error).message}\n`);
    return 2;
  }
  const watched = [
    options.only !== "contacts" ? (isUrl(options.workbook) ? shownUrl(options.workbook) : resolve(options.workbook)) : null,
    options.only !== "relationships" ? resolve(options.contacts) : null,
  ].filter((w) => w !== null);
  log(`watching ${watched.join(" and ")}; next daily load at ${scheduler.nextDailyRun().toISOString()}`);
  try {
    if (!stop.signal.aborted) await new Promise((stopped) => stop.signal.addEventListener("abort", stopped, { once: true }));
    scheduler.stop();
    // The load running, if any, has been told to stop too: this waits for it to record its run.
    await scheduler.idle();
  } finally {
    stop.dispose();
  }
  return interrupted === null ? 0 : STOP_SIGNALS[interrupted];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  outliveClosedOutput();
  // As etl.js does: a signal while the rest starts stops the load instead of killing it unrecorded.
  const held = holdStopSignals();
  void exitWith(main(process.argv.slice(2), held));
}
