/**
 * `npm run etl`: loads the relationship workbook and the contacts CSV into the data dir, prints a
 * summary a person reads at a glance (or JSON with --json), and exits 0 on success or skip, 1 when
 * a load failed, 2 on bad usage. `--watch` keeps running on the same schedule the API uses.
 * Errors are plain messages; a stack trace never reaches the terminal.
 */
import { mkdirSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
// Only types at the top: --help, --version and usage errors must not load DuckDB, the reader or
// the scheduler, and each load path imports what it needs when it runs (a cold import of the load
// modules is ~0.1 s of a CLI start; the DuckDB driver loads later still, on the first open).
import type { LoadContactsResult } from "./contacts/mod.ts";
import type { ChangeRow, LoadResult } from "./relationships/mod.ts";
import { collectRuns, type Finding, type RunAlert } from "./runs/mod.ts";
import type { LoadReason } from "./schedule/mod.ts";
import { isUrl } from "./settings/mod.js";
import { terminalText } from "./text/mod.js";
import { ETL_HELP, exitWith, parseEtlArgs, parseOrAnswer, UsageError, type EtlOptions } from "./etl_args.js";

export { ETL_HELP, parseEtlArgs, UsageError, type EtlOptions };

/** What the contacts step did (the contacts module records the run itself). */
interface ContactsOutcome {
  status: "succeeded" | "failed";
  summary?: LoadContactsResult;
  error?: { code: string; message: string };
}

/** The outcome of one `npm run etl`. */
export interface EtlOutcome {
  ok: boolean;
  relationships: LoadResult | null;
  contacts: ContactsOutcome | null;
  /** The alerts sent about this outcome's runs, by run id (none without a webhook). */
  alerts?: Map<string, RunAlert>;
}

/**
 * Runs the loads `options` asks for and returns what happened (never throws for bad data).
 *
 * @example
 * ```ts
 * const outcome = await runEtl({ ...parseEtlArgs([]), only: "relationships" });
 * outcome.relationships?.run.status; // "succeeded"
 * ```
 */
export async function runEtl(options: EtlOptions, hooks: { progress?: boolean } = {}): Promise<EtlOutcome> {
  // The loads record their runs themselves; alerts about them go out after, in one place, so an
  // unreachable webhook can delay the end of a run (bounded by ALERT_TIMEOUT) but never change it.
  const { value: outcome, runs } = await collectRuns(() => runLoads(options, hooks));
  if (options.alert !== null) {
    const { alertRuns } = await import("./alerts/mod.ts");
    outcome.alerts = await alertRuns(runs, { ...options.alert, dataDir: options.dataDir });
  }
  return outcome;
}

async function runLoads(options: EtlOptions, hooks: { progress?: boolean }): Promise<EtlOutcome> {
  let relationships: LoadResult | null = null;
  let contacts: ContactsOutcome | null = null;
  if (options.only !== "contacts") {
    const bar = hooks.progress ? progressBar(options.workbook) : null;
    try {
      // loadWorkbook() downloads a URL workbook first, then runs the relationship load.
      const { loadWorkbook } = await import("./fetch/mod.ts");
      relationships = await loadWorkbook({
        download: options.download,
        workbook: options.workbook,
        dataDir: options.dataDir,
        force: options.force,
        onProgress: bar?.update,
        onPhase: bar?.phase,
      });
    } finally {
      bar?.done();
    }
  }
  if (options.only !== "relationships") contacts = await runContacts(options);
  const ok = (relationships === null || relationships.run.status !== "failed") && (contacts === null || contacts.status === "succeeded");
  return { ok, relationships, contacts };
}

async function runContacts(options: EtlOptions): Promise<ContactsOutcome> {
  try {
    const { loadContacts } = await import("./contacts/mod.ts");
    const summary = await loadContacts({ csvPath: options.contacts, dataDir: options.dataDir, apiToken: options.apiToken });
    return { status: "succeeded", summary };
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown };
    const message = typeof e?.message === "string" ? e.message.split("\n")[0] : String(error);
    return { status: "failed", error: { code: typeof e?.code === "string" ? e.code : "failed", message } };
  }
}

/** Returns the human summary of an outcome, as lines. */
export function formatOutcome(outcome: EtlOutcome): string[] {
  const lines: string[] = [];
  const r = outcome.relationships;
  if (r) lines.push(...formatRelationships(r));
  const c = outcome.contacts;
  if (c) {
    if (c.status === "succeeded" && c.summary) {
      const s = c.summary;
      const via = s.via === "api" ? " (handed to the running API)" : "";
      lines.push(`Contacts: ${s.inserted} inserted, ${s.updated} updated, ${s.unchanged} unchanged, ${s.rejected} rejected${via}`);
      for (const reject of s.rejects.slice(0, 10)) {
        lines.push(`  rejected ${s.source}:${reject.line ?? "?"} ${reject.field}: ${reject.reason}`);
      }
      if (s.rejects.length > 10) lines.push(`  ... and ${s.rejects.length - 10} more${s.rejects_file ? ` in ${s.rejects_file}` : ""}`);
    } else {
      lines.push(`Contacts: FAILED: ${c.error?.message}`);
    }
  }
  for (const alert of outcome.alerts?.values() ?? []) {
    const tries = `${alert.attempts} ${alert.attempts === 1 ? "attempt" : "attempts"}`;
    lines.push(alert.status === "sent" ? `Alert sent (${tries}).` : `Alert NOT sent (${tries}): ${alert.error?.message ?? "failed"}`);
  }
  return lines;
}

function formatRelationships(result: LoadResult): string[] {
  const { run } = result;
  const seconds = `${(result.durationMs / 1000).toFixed(1)} s`;
  const file = run.file?.name ?? "the workbook";
  const lines: string[] = [];
  if (run.status === "skipped" && run.error?.code === "busy") {
    lines.push(`Relationships: skipped ${file}: ${run.error.message}`);
    return lines;
  }
  if (run.status === "skipped") {
    lines.push(`Relationships: ${file} is unchanged since version ${run.version_id}; skipped (${seconds}). Use --force to reload.`);
    return lines;
  }
  if (run.status === "failed") {
    lines.push(`Relationships: FAILED to load ${file}: ${run.error?.message}`);
    lines.push(...formatFindings(run.findings.filter((f) => f.severity === "error")));
    return lines;
  }
  const c = run.counts;
  const fmt = (n: number | undefined) => (n ?? 0).toLocaleString("en-US");
  lines.push(`Relationships: published version ${run.version_id} from ${file} in ${seconds}`);
  lines.push(
    `  ${fmt(c.actors)} actors (${fmt(c.matrix_actors)} in the matrix, ${fmt(c.list_actors)} in the list), ` +
      `${fmt(c.pairs)} related pairs (${fmt(c.asymmetric_pairs)} asymmetric), ${fmt(c.unknown_cells)} blank cells`,
  );
  const ch = run.changes;
  const parts = [
    ["actors_added", "actor added", "actors added"], ["actors_removed", "actor removed", "actors removed"],
    ["actors_changed", "actor changed", "actors changed"], ["pairs_added", "pair added", "pairs added"],
    ["pairs_removed", "pair removed", "pairs removed"], ["pairs_changed", "pair changed", "pairs changed"],
  ]
    .filter(([k]) => (ch[k] ?? 0) > 0)
    .map(([k, one, many]) => `${fmt(ch[k])} ${ch[k] === 1 ? one : many}`);
  if (run.version_id === 1) lines.push("  First version: nothing to compare with.");
  else if (parts.length === 0) lines.push(`  No changes since version ${(run.version_id ?? 1) - 1} (only the file bytes differ).`);
  else {
    lines.push(`  Since version ${(run.version_id ?? 1) - 1}: ${parts.join(", ")}`);
    for (const change of result.changePreview.slice(0, 10)) lines.push(`    ${formatChange(change)}`);
    const total = Object.values(ch).reduce((a, b) => a + b, 0);
    if (total > 10) lines.push(`    ... (all of them: SELECT * FROM changes WHERE version_id = ${run.version_id})`);
  }
  lines.push(...formatFindings(run.findings));
  return lines;
}

function formatChange(c: ChangeRow): string {
  const sign = c.change === "added" ? "+" : c.change === "removed" ? "-" : "~";
  if (c.entity === "actor") {
    if (c.change === "changed") return `${sign} actor ${c.numeric_id} ${c.field}: ${show(c.old_value)} -> ${show(c.new_value)}`;
    return `${sign} actor ${c.numeric_id} ${show(c.change === "added" ? c.new_value : c.old_value)}`;
  }
  if (c.change === "changed") return `${sign} pair ${c.person_a}-${c.person_b} ${c.field}: ${show(c.old_value)} -> ${show(c.new_value)}`;
  return `${sign} pair ${c.person_a}-${c.person_b}`;
}

function show(value: string | null): string {
  return value === null ? "(none)" : `'${value}'`;
}

function formatFindings(findings: Finding[]): string[] {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`  ${f.severity}: ${f.message} [${f.check}]`);
    if (f.cells.length > 0 && f.check !== "unknown_cells") {
      const shown = f.cells.slice(0, 6).join(", ");
      const more = (f.count ?? f.cells.length) > 6 ? ", ..." : "";
      lines.push(`      ${shown}${more}`);
    }
  }
  return lines;
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
 * The CLI: returns the exit code instead of exiting, so tests can call it.
 *
 * @example
 * ```ts
 * process.exitCode = await main(["--only", "relationships", "--json"]);
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  const parsed = parseOrAnswer(argv);
  return "exitCode" in parsed ? parsed.exitCode : runCli(parsed.options);
}

/**
 * Runs what parsed `options` ask for (one load, `--watch`, or `--standby`) and returns the exit
 * code. The launcher (etl.js) calls this once it has parsed the command line itself.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(parseEtlArgs(["--json"]) as EtlOptions);
 * ```
 */
export async function runCli(options: EtlOptions): Promise<number> {
  try {
    // Every load records its run in the data dir: a dir that cannot be created is one plain
    // message up front, not an errno from deep inside the first load.
    mkdirSync(options.dataDir, { recursive: true });
  } catch (error) {
    say(process.stderr, `Cannot use the data directory '${options.dataDir}': ${(error as Error).message.split("\n")[0]}\n`);
    return 1;
  }
  if (options.watch) return watch(options);
  if (options.standby && !process.send) {
    say(process.stderr, "--standby waits for the scheduler's go-ahead on an IPC channel; this process has none (it is for npm start's schedule)\n");
    return 2;
  }
  if (options.standby) {
    const go = await standby(options);
    if (go === null) return 0; // the scheduler went away or stopped before asking for a load
    options = { ...options, only: go.only };
  }
  const outcome = await runEtl(options, { progress: !options.json });
  if (options.json) say(process.stdout, `${JSON.stringify(toJson(outcome))}\n`);
  // A failed load's report goes to stderr, so `npm run etl > report.txt` still shows the failure.
  else say(outcome.ok ? process.stdout : process.stderr, `${formatOutcome(outcome).join("\n")}\n`);
  return outcome.ok ? 0 : 1;
}

/**
 * `--standby`: loads what a load needs (the load modules and the DuckDB driver), tells the parent
 * "ready" over the IPC channel, and waits for its go-ahead, which says what to load. Resolves null
 * if the channel closes first. This is how `npm start` keeps its next scheduled load started
 * ahead of time (etl/schedule/child_load.ts) while each load still runs in a fresh process.
 */
async function standby(options: EtlOptions): Promise<{ only: EtlOptions["only"] } | null> {
  const [, , { Database }] = await Promise.all([
    options.only !== "contacts" ? import("./relationships/mod.ts") : null,
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

async function watch(options: EtlOptions): Promise<number> {
  const log = (line: string) => say(process.stderr, `${new Date().toISOString()} ${line}\n`);
  const [{ loadOnly, startScheduler }, { shownUrl, urlWorkbookWatcher }] = await Promise.all([import("./schedule/mod.ts"), import("./fetch/mod.ts")]);
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
        log(`loading (${reason})`);
        // A changed file reloads its own input only; the daily run refreshes everything asked for.
        const only = loadOnly(reason) ?? options.only;
        const outcome = await runEtl({ ...options, only });
        if (options.json) say(process.stdout, `${JSON.stringify(toJson(outcome))}\n`);
        else say(process.stdout, `${formatOutcome(outcome).join("\n")}\n`);
      },
    });
  } catch (error) {
    say(process.stderr, `${(error as Error).message}\n`);
    return 2;
  }
  const watched = [
    options.only !== "contacts" ? (isUrl(options.workbook) ? shownUrl(options.workbook) : resolve(options.workbook)) : null,
    options.only !== "relationships" ? resolve(options.contacts) : null,
  ].filter((w) => w !== null);
  log(`watching ${watched.join(" and ")}; next daily load at ${scheduler.nextDailyRun().toISOString()}`);
  await new Promise<void>((done) => {
    const stop = () => {
      scheduler.stop();
      done();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await scheduler.idle();
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) void exitWith(main(process.argv.slice(2)));
