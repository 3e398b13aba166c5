/**
 * Loads run by the schedule inside `npm start`: each one is `etl/main.ts --json` in a child
 * process, so a huge or crashing load never takes the API down, and the memory of a big load is
 * returned to the system when the child exits.
 *
 * When a load is coming (the workbook started changing and the scheduler waits for it to settle;
 * the daily time is near), the scheduler calls `prepare()` and the child for it is started ahead
 * (`--standby`): it loads tsx, the load modules and the DuckDB driver (~0.5 s of CPU, more on a
 * busy machine), says "ready" on the IPC channel and waits, so the load itself pays no start-up.
 * Still a fresh process per load, not one process reused for every load: a reused one would keep
 * the heap and DuckDB's allocations of the largest load so far (hundreds of MB after a big one)
 * between loads, and one load's leftovers (timers, handles, module state after an error) could
 * reach the next. And not a child kept waiting all the time: it holds ~100 MB (Node, tsx's hooks
 * thread, the driver) for nothing between loads; started on demand it costs nothing then.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { RunKind, RunRecord } from "../runs/mod.ts";
import { recordCrashedRun } from "./crashed_run.ts";
import { loadOnly, type LoadReason } from "./schedule.ts";

/** What a load run in a child process reported. */
export interface ChildLoadResult {
  reason: LoadReason;
  /** 0 loaded or skipped, 1 a load failed (recorded in runs.jsonl), 130/143 stopped by SIGINT/SIGTERM (recorded), other: crashed or killed (see `crashed`). */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The `--json` summary printed by `etl/main.ts`, when it got that far. */
  summary: unknown;
  /** The child's stderr (capped), for logs. */
  stderr: string;
  /** True when the load ran in a child started ahead of time (it paid no start-up). */
  standby: boolean;
  /**
   * The failed run (`crashed`) recorded here for a child that ended without recording the run of
   * the load it was running (killed, crashed), and alerted; null when the child recorded its runs.
   */
  crashed: RunRecord | null;
}

/** Options of `childProcessLoad()`. */
export interface ChildLoadOptions {
  dataDir: string;
  workbook?: string;
  /**
   * The contacts CSV named by CONTACTS_CSV or `--contacts`, which a load fails without. Unset: the
   * child reads `<data dir>/contacts.csv`, and skips contacts when there is none.
   */
  contacts?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with the child's pid when a load is handed to it. */
  onStart?: (pid: number, reason: LoadReason) => void;
  onResult?: (result: ChildLoadResult) => void;
  /** How long a child started by `prepare()` waits for its load before it is ended; default 10 min. */
  standbyMs?: number;
}

/** A `runLoad` for `startScheduler()`, with `prepare()` for its `prepareLoad`. */
export interface ChildLoad {
  (reason: LoadReason): Promise<ChildLoadResult>;
  /** Starts the child for the next load now, unless one is waiting; it waits `standbyMs` at most. */
  prepare(): void;
  /**
   * Ends the child waiting for the next load and the one running a load, and resolves once that one
   * has exited. For shutting down: a load child outlived `npm start` (the kernel does not end
   * children with their parent), went on writing after the API had closed, and failed its contacts
   * hand-over to the API that was gone, a failed run and an alert for a plain restart. A load is
   * made to survive being killed (the lock is taken over, the next load finishes what it left).
   */
  close(): Promise<void>;
  /** The pid of the child waiting for the next load, if one is. */
  waitingPid(): number | null;
}

/**
 * Returns a `runLoad` for `startScheduler()` that runs each load as `etl/main.ts --json` in a child
 * process, so a huge or crashing load never takes the caller (the API) down. A workbook change
 * reloads relationships only, a contacts CSV change contacts only (`loadOnly()`); daily and
 * start-up runs load everything. It resolves (never rejects)
 * once the child exits; the child itself records the run in runs.jsonl, and one that ends without
 * having recorded it (killed, crashed) gets a failed run `crashed` recorded and alerted here. After `prepare()` the child
 * for the next load is started ahead and waits (`--standby`), so that load does not pay Node's,
 * tsx's and DuckDB's start-up.
 *
 * @example
 * ```ts
 * const runLoad = childProcessLoad({ dataDir, workbook, onResult: (r) => log(r) });
 * startScheduler({ workbook, dataDir, runLoad, prepareLoad: runLoad.prepare });
 * ```
 */
export function childProcessLoad(options: ChildLoadOptions): ChildLoad {
  const mainPath = fileURLToPath(new URL("../main.ts", import.meta.url));
  // --wait: a load the schedule starts waits for one already running (a person's npm run etl, which
  // may be reading an older file) instead of skipping, and so loads the change that started it.
  const args = [...loaderArgs(process.execArgv), mainPath, "--json", "--wait", "--data-dir", options.dataDir];
  if (options.workbook) args.push("--workbook", options.workbook);
  if (options.contacts) args.push("--contacts", options.contacts);
  const env = options.env ?? process.env;
  let closed = false;
  let waiting: Standby | null = null;
  let working: Run | null = null;
  let expiry: NodeJS.Timeout | null = null;
  const dismiss = () => {
    if (expiry) clearTimeout(expiry);
    expiry = null;
    waiting?.close();
    waiting = null;
  };
  const prepare = () => {
    if (closed || waiting) return;
    waiting = new Standby(spawn(process.execPath, [...args, "--standby"], { stdio: ["ignore", "pipe", "pipe", "ipc"], env }));
    // A load that was expected but never came (the new file vanished) must not leave it for ever.
    expiry = setTimeout(dismiss, options.standbyMs ?? 10 * 60_000).unref();
  };

  const runLoad = async (reason: LoadReason): Promise<ChildLoadResult> => {
    // Closed while the scheduler was between loads: start none (a plain error, as for a failed spawn).
    if (closed) throw new Error("The load was not started: the scheduled loads were closed");
    const only = loadOnly(reason);
    const ahead = waiting;
    waiting = null;
    if (expiry) clearTimeout(expiry);
    expiry = null;
    let run: Run;
    // Before the child can start a run: every run it records starts after this.
    const since = Date.now();
    if (ahead && (await ahead.take())) run = ahead.go(only);
    else {
      ahead?.close();
      const extra = only ? ["--only", only] : [];
      run = new Run(spawn(process.execPath, [...args, ...extra], { stdio: ["ignore", "pipe", "pipe"], env }), false);
    }
    if (closed) run.end();
    working = run;
    if (run.child.pid !== undefined) options.onStart?.(run.child.pid, reason);
    const result = await run.finished(reason).finally(() => {
      if (working === run) working = null;
    });
    // No summary: the child did not get to its end. Unless we ended it (shutting down: a restart
    // is no failure to alert), the run it was loading may be unrecorded; record it as crashed.
    if (result.summary === null && !run.endedHere) {
      const kinds: RunKind[] = only === null ? ["relationships", "contacts"] : [only];
      const inputs = { dataDir: options.dataDir, workbook: options.workbook, contacts: options.contacts, env };
      result.crashed = await recordCrashedRun(inputs, { kinds, since, exitCode: result.exitCode, signal: result.signal, stderr: result.stderr }).catch(() => null);
    }
    options.onResult?.(result);
    return result;
  };
  return Object.assign(runLoad, {
    prepare,
    async close() {
      closed = true;
      dismiss();
      const run = working;
      if (!run) return;
      run.end();
      await run.exited();
    },
    waitingPid: () => waiting?.pid ?? null,
  });
}

/** One child's output and exit, as a ChildLoadResult. */
class Run {
  readonly child: ChildProcess;
  readonly standby: boolean;
  #stdout = "";
  #stderr = "";
  readonly #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>;
  /** True once this process ended the child (close()): its end is no crash. */
  endedHere = false;

  constructor(child: ChildProcess, standby: boolean) {
    this.child = child;
    this.standby = standby;
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      if (this.#stdout.length < 16 * 1024 * 1024) this.#stdout += chunk;
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      if (this.#stderr.length < 64 * 1024) this.#stderr += chunk;
    });
    this.#exit = new Promise((resolve) => {
      child.once("error", (error) => resolve({ code: null, signal: null, error }));
      child.once("close", (code, signal) => resolve({ code, signal }));
    });
  }

  /** Ends the child (SIGTERM: it stops its load and records it as stopped). */
  end(): void {
    this.endedHere = true;
    this.child.kill();
  }

  /** Resolves once the child has exited (or could not start). */
  async exited(): Promise<void> {
    await this.#exit;
  }

  /** Resolves once the child has exited: a plain error if it could not start at all. */
  async finished(reason: LoadReason): Promise<ChildLoadResult> {
    const { code, signal, error } = await this.#exit;
    if (error) throw error;
    let summary: unknown = null;
    const last = this.#stdout.trim().split("\n").at(-1);
    try {
      summary = last ? JSON.parse(last) : null;
    } catch {
      // A child killed mid-write leaves no summary; its exit code says enough.
    }
    return { reason, exitCode: code, signal, summary, stderr: this.#stderr, standby: this.standby, crashed: null };
  }
}

/** A child started with `--standby`: resolves `ready` once it has loaded everything a load needs. */
class Standby {
  readonly #run: Run;
  readonly ready: Promise<boolean>;

  constructor(child: ChildProcess) {
    this.#run = new Run(child, true);
    this.ready = new Promise((resolve) => {
      child.once("message", (m) => resolve((m as { ready?: boolean })?.ready === true));
      child.once("exit", () => resolve(false));
      child.once("error", () => resolve(false));
    });
    this.#idle(true);
  }

  get pid(): number | null {
    return this.#run.child.pid ?? null;
  }

  /** Claims the child for a load (it keeps this process alive from now on); resolves whether it got ready. */
  take(): Promise<boolean> {
    this.#idle(false);
    return this.ready;
  }

  /** Hands the load over; the child runs it and exits. */
  go(only: RunKind | null): Run {
    this.#run.child.send({ go: true, only });
    return this.#run;
  }

  close(): void {
    this.#run.child.kill();
  }

  /** A waiting child must not keep this process alive (nor its pipes); a working one must. */
  #idle(idle: boolean): void {
    const child = this.#run.child;
    const handles = [child, child.stdout, child.stderr, child.channel] as ({ ref(): void; unref(): void } | null | undefined)[];
    for (const h of handles) {
      if (idle) h?.unref();
      else h?.ref();
    }
  }
}

/**
 * `process.execArgv` for a child, with a bare `--import tsx` made absolute: Node resolves it
 * against the working directory, which need not be the repository's.
 */
function loaderArgs(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i];
    if (arg === "--import" && execArgv[i + 1] === "tsx") {
      out.push(`--import=${import.meta.resolve("tsx")}`);
      i++;
    } else if (arg === "--import=tsx") out.push(`--import=${import.meta.resolve("tsx")}`);
    else out.push(arg);
  }
  return out;
}
