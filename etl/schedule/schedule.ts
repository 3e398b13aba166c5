/**
 * When loads run: daily at a UTC time, at start-up when the last good load is older than 24 h or
 * a file is not the one the last load read, and when the workbook or the contacts CSV changes
 * (once it has stopped changing, so a half-copied file is never read; start-up and daily loads
 * wait for that too), and again, a few times, after a load that ended without recording the file it
 * was to read (its child crashed). Time is injected (`Clock`) so tests drive the schedule without waiting; the file watcher
 * polls `stat` because fs.watch misses renames and network drives, and polling is what "wait
 * until the size stops changing" needs anyway.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { downloadedCopy } from "../fetch/mod.ts";
import { hashFile } from "../files/mod.ts";
import { findRun, leftDataCurrent, lockedOut, stoppedBySignal, type RunKind, type RunRecord } from "../runs/mod.ts";
import { isUrl, parseDailyAt } from "../settings/mod.js";
import { zipEndIn } from "../xlsx/mod.ts";

/** The timer functions the scheduler uses; `systemClock` in production, a fake in tests. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock (its timers keep the process alive, which `--watch` relies on). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * How far past a day away the daily run must be before the schedule takes the clock for set back
 * and re-arms by it: a step back of less (an ordinary NTP step, a zone file fixed) keeps the run
 * due, at most this much later than a day.
 */
const CLOCK_BACK_MARGIN_MS = 12 * 60 * 60 * 1000;

/**
 * Returns the first daily run strictly after `now` at `at` UTC.
 *
 * @example
 * ```ts
 * nextDailyRun(Date.parse("2026-03-03T10:00:00Z"), "00:00"); // 2026-03-04T00:00:00.000Z
 * ```
 */
export function nextDailyRun(now: number, at = "00:00"): Date {
  const { hour, minute } = parseDailyAt(at);
  const d = new Date(now);
  const today = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hour, minute);
  return new Date(today > now ? today : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1, hour, minute));
}

/**
 * Returns true when a load is due at start-up: no good load yet, or the last one is older than `maxAgeMs`.
 *
 * @example
 * ```ts
 * isStale(new Date("2026-03-01T00:00:00Z"), Date.parse("2026-03-02T01:00:00Z")); // true
 * ```
 */
export function isStale(lastSuccess: Date | null, now: number, maxAgeMs = DAY_MS): boolean {
  return lastSuccess === null || now - lastSuccess.getTime() > maxAgeMs;
}

/**
 * Returns when the last good load of `kind` finished, from runs.jsonl; null when there is none. A
 * load is good when it verified its file: succeeded, or skipped it as unchanged (a contacts CSV
 * too: its skip was once not counted, so every start-up after a day without a new CSV loaded it
 * again, to be skipped again).
 *
 * @example
 * ```ts
 * lastGoodLoad("data"); // 2026-03-03T00:00:04.120Z
 * lastGoodLoad("data", "contacts"); // null: no contacts load has succeeded yet
 * ```
 */
export function lastGoodLoad(dataDir: string, kind: RunKind = "relationships"): Date | null {
  const run = findRun(dataDir, (r) => r.kind === kind && leftDataCurrent(r));
  return run === undefined ? null : new Date(run.finished_at);
}

/**
 * Resolves true when the file at `path` is not the one the last load of `kind` read (another size
 * or SHA-256 than runs.jsonl records), false when it is, when it is missing, or when no load of
 * `kind` read a file yet (the start-up rules cover that). A load that failed counts as having read
 * its file: a broken file is not loaded again at every start, only once it changes (a daily load
 * of a workbook or contacts CSV within the hour skips it too: `failed-before`).
 * Not one that could not read it (`unreadable`: no permission): what is there now nobody judged,
 * so it is due once it can be read, and not before (each try would only fail the same way). A
 * file that cannot be hashed now is due too: its load records why.
 *
 * @example
 * ```ts
 * await changedSinceLastLoad("data", "relationships", "data/relaciones.xlsx"); // true: replaced while the API was down
 * ```
 */
export async function changedSinceLastLoad(dataDir: string, kind: RunKind, path: string): Promise<boolean> {
  // A skip for a busy lock read nothing; a run without a hash (it failed before reading) neither;
  // a run stopped by a signal judged nothing of its file.
  const last = findRun(dataDir, (r) => r.kind === kind && (!!r.file?.sha256 || couldNotRead(r)) && !lockedOut(r) && !stoppedBySignal(r));
  if (last === undefined) return false;
  try {
    statSync(path);
  } catch {
    return false;
  }
  if (couldNotRead(last)) return readable(path);
  if (!last.file) return false;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    // Gone since the stat: nothing to load, as when the stat found nothing.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    // Taken for "not changed" before: a file that could not be read went unrecorded and unloaded.
    return true;
  }
  try {
    // The size and the hash of one file, even if the name is removed or given to another meanwhile.
    if (fstatSync(fd).size !== last.file.size) return true;
    return (await hashFile(fd)) !== last.file.sha256;
  } catch {
    return true;
  } finally {
    closeSync(fd);
  }
}

/**
 * True for a load that failed because its file could not be read (no permission): `unreadable`
 * with no SHA-256. A contacts CSV's `unreadable` also names content (a quote never closed); that
 * run hashed the file it judged, and is a failure like any other.
 */
function couldNotRead(run: RunRecord): boolean {
  return run.status === "failed" && run.error?.code === "unreadable" && !run.file?.sha256;
}

/** True when `path` is a file this process may open for reading now. */
function readable(path: string): boolean {
  let fd: number | undefined;
  try {
    // Non-blocking: a FIFO put in its place would hold the open (and the API's event loop) until a writer came.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    return fstatSync(fd).isFile();
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A running watcher or scheduler. */
export interface Stoppable {
  stop(): void;
}

/** A running `watchFile()`. */
export interface FileWatcher extends Stoppable {
  /**
   * True when the file has kept still by the settle rule since it was last seen changing, or is
   * missing (nothing to read half-way). A file is not settled until it has been watched that long:
   * one being copied when the watch started looks the same as one that changed since.
   */
  settled(): boolean;
}

/**
 * Polls `path` every `pollMs` and calls `onStable()` once the file has changed and then kept the
 * same size, mtime, ctime and inode for `stableMs`. A missing file is never "stable". `settled()` says
 * whether the file is still now, for loads the change did not start (start-up, daily).
 *
 * @example
 * ```ts
 * const w = watchFile("data/relaciones.xlsx", { onStable: () => load(), stableMs: 2000 });
 * w.stop();
 * ```
 */
export function watchFile(
  path: string,
  options: {
    onStable: () => void;
    /** Called when a change is first seen, before the file has settled (a load is coming). */
    onChange?: () => void;
    clock?: Clock;
    pollMs?: number;
    stableMs?: number;
    /**
     * Whether the settled file looks whole (`endsWithLineEnd` for a CSV). One that does not gets
     * `wholeMs` to settle instead of `stableMs` (a copy stalled mid-line over a slow network),
     * then fires all the same (a file saved without a last line end).
     */
    looksWhole?: (path: string) => boolean;
    wholeMs?: number;
  },
): FileWatcher {
  const clock = options.clock ?? systemClock;
  const pollMs = options.pollMs ?? 1000;
  const stableMs = options.stableMs ?? 3000;
  const wholeMs = options.wholeMs ?? 60_000;
  const first = statOf(path);
  let baseline = first === null ? null : signatureOf(first);
  let seen = baseline;
  // Watching starts the settle time: the file may be mid-copy right now.
  let changedAt = clock.now();
  let pending = false;
  let settled = baseline === null;
  // A file its mtime says was last written a whole `wholeMs` ago is no copy in progress: it needs
  // the settle time of watching, not the minute a cut-looking file waits (the sample contacts.csv,
  // as many users' files, has no final line break: every start-up load waited 60 s for it). Wall
  // clock against mtime, a minute apart at least, so a network drive's clock skew does not count.
  let wholeAtStart = first !== null && wholeMs > 0 && Date.now() - first.mtimeMs >= wholeMs;
  let timer: unknown = null;
  let stopped = false;

  const poll = () => {
    if (stopped) return;
    const now = clock.now();
    // The wall clock set back (by hand, NTP) since the change: the settle time counts from now, not
    // from a time the clock has yet to reach again (a workbook saved just before a step back of an
    // hour waited that hour to load).
    if (now < changedAt) changedAt = now;
    const current = signature(path);
    if (current !== seen) {
      seen = current;
      changedAt = now;
      settled = current === null;
      wholeAtStart = false;
      const was = pending;
      pending = current !== baseline;
      if (pending && !was) options.onChange?.();
    } else if ((pending || !settled) && current !== null && now - changedAt >= stableMs && (now - changedAt >= wholeMs || wholeAtStart || options.looksWhole?.(path) !== false)) {
      settled = true;
      if (pending) {
        pending = false;
        baseline = current;
        options.onStable();
      }
    }
    if (!stopped) timer = clock.setTimeout(poll, pollMs);
  };
  timer = clock.setTimeout(poll, pollMs);
  return {
    stop() {
      stopped = true;
      clock.clearTimeout(timer);
    },
    settled: () => settled,
  };
}

/**
 * Resolves once the file at `path` has kept still by watchFile()'s rule (an .xlsx that does not end
 * with its ZIP directory waits longer), or is missing, or after `maxMs`, or when `signal` aborts.
 *
 * @example
 * ```ts
 * await untilStill("data/relaciones.xlsx"); // 3 s after its last change
 * ```
 */
export function untilStill(path: string, options: { stableMs?: number; pollMs?: number; maxMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const pollMs = options.pollMs ?? 500;
  const until = Date.now() + (options.maxMs ?? 60_000);
  const watcher = watchFile(path, { onStable: () => {}, pollMs, stableMs: options.stableMs, looksWhole: endsWithZipDirectory });
  return new Promise((resolve) => {
    const check = () => {
      if (!watcher.settled() && !options.signal?.aborted && Date.now() < until) return void setTimeout(check, pollMs);
      watcher.stop();
      resolve();
    };
    check();
  });
}

/**
 * True when the file's last byte is a line end (or it is empty): a CSV cut off by a copy that
 * stalled ends mid-line, and loading it would store the cut value (`Human` for `Human Resources`)
 * for good, as loads never delete departments or contacts.
 *
 * @example
 * ```ts
 * endsWithLineEnd("data/contacts.csv"); // true
 * ```
 */
export function endsWithLineEnd(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const size = fstatSync(fd).size;
    const last = Buffer.alloc(1);
    return size === 0 || (readSync(fd, last, 0, 1, size - 1) === 1 && (last[0] === 0x0a || last[0] === 0x0d));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * False when the file is empty, or starts like a ZIP archive (an .xlsx) but does not end with the
 * ZIP end-of-central-directory record, which a writer puts last: a copy or download still under way,
 * or stalled. Anything else (another kind of file) is as whole as it will get: its load says what it is.
 *
 * @example
 * ```ts
 * endsWithZipDirectory("data/relaciones.xlsx"); // true
 * ```
 */
export function endsWithZipDirectory(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const head = Buffer.alloc(2);
    if (readSync(fd, head, 0, 2, 0) < 2 || head[0] !== 0x50 || head[1] !== 0x4b) return true;
    // The record is 22 bytes plus a comment of up to 65,535 that ends the file.
    const tail = Buffer.alloc(Math.min(size, 22 + 65_535));
    const got = readSync(fd, tail, 0, tail.length, size - tail.length);
    return zipEndIn(tail.subarray(0, got)) >= 0;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function exists(path: string): boolean {
  return signature(path) !== null;
}

function statOf(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

// ctime too: a chmod (a file made readable again after a failed load) changes nothing else.
function signatureOf(s: Stats): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

function signature(path: string): string | null {
  const s = statOf(path);
  return s === null ? null : signatureOf(s);
}

/**
 * Why a scheduled load started: `startup` and `daily` load both inputs; `file-changed` is the
 * workbook settling after a change; `contacts-changed` the contacts CSV settling after a change,
 * and `contacts-startup` a start-up whose relationship data is fresh but whose contacts are not.
 */
export type LoadReason = "startup" | "daily" | "file-changed" | "contacts-changed" | "contacts-startup";

/**
 * Returns what a load started for `reason` loads: one input (`--only`), or null for both.
 *
 * @example
 * ```ts
 * loadOnly("contacts-changed"); // "contacts"
 * loadOnly("daily"); // null
 * ```
 */
export function loadOnly(reason: LoadReason): RunKind | null {
  if (reason === "file-changed") return "relationships";
  if (reason === "contacts-changed" || reason === "contacts-startup") return "contacts";
  return null;
}

/** Options of `startScheduler()`. */
export interface SchedulerOptions {
  /** The workbook to watch. */
  workbook: string;
  /**
   * The contacts CSV to watch, with the workbook's settle rule; a change loads contacts only.
   * Unset: contacts load only with the daily and start-up loads (`--only relationships`).
   */
  contacts?: string;
  /** The data dir whose runs.jsonl tells when the last good load was. */
  dataDir: string;
  /** Runs one load; the scheduler never runs two at once (a trigger during a load queues one more). */
  runLoad: (reason: LoadReason) => Promise<unknown>;
  /** Daily time, "HH:MM" UTC (the `dailyAt` setting). Default "00:00". */
  dailyAt?: string;
  /** Watch the workbook for changes. Default true. */
  watch?: boolean;
  /**
   * How to notice the workbook changed, when it is not a file to poll with `watchFile()` (a URL:
   * etl/fetch's `watchUrl()`); it calls `onChanged` once per change.
   */
  watchWorkbook?: (onChanged: () => void) => Stoppable;
  clock?: Clock;
  pollMs?: number;
  stableMs?: number;
  /** When the last good load finished; default reads runs.jsonl. */
  lastSuccess?: () => Date | null;
  /** When the last good contacts load finished; default reads runs.jsonl. */
  lastContactsSuccess?: () => Date | null;
  /** Called when a load rejects (the scheduler keeps going). */
  onError?: (error: unknown, reason: LoadReason) => void;
  /**
   * Called when a load is likely soon, so `runLoad` can get ready for it (childProcessLoad's
   * `prepare`): when the workbook starts changing (the load waits for it to settle) and
   * `PREPARE_MS` before the daily run.
   */
  prepareLoad?: () => void;
}

/** How long before the daily run `prepareLoad` is called. */
export const PREPARE_MS = 60_000;

/** The wait before a file a load left unrecorded is loaded again; doubled for each further try. */
export const RETRY_UNLOADED_MS = 60_000;

/** How many times such a file is tried again before it waits for the next trigger (daily, a change). */
export const UNLOADED_RETRIES = 3;

/** The longest the schedule waits before it looks at the clock again (see stepDaily). */
export const DAILY_STEP_MS = 60_000;

/** A running scheduler. */
export interface Scheduler extends Stoppable {
  /** The next daily run. */
  nextDailyRun(): Date;
  /** Resolves when no load is running or queued. */
  idle(): Promise<void>;
  /** Starts a load now (or queues it behind the running one). */
  trigger(reason: LoadReason): void;
}

/**
 * Starts the schedule: a start-up load when the last good one is older than 24 h (of contacts
 * only, when only they are stale and their CSV exists), else one of each file that is not the one
 * its last load read (changedSinceLastLoad), a load every day at `dailyAt` UTC, and one whenever
 * the workbook or the contacts CSV changes and then settles. Every load waits for its files to
 * keep still first.
 *
 * @example
 * ```ts
 * const scheduler = startScheduler({ workbook: "data/relaciones.xlsx", dataDir: "data", runLoad: childProcessLoad({ dataDir: "data" }) });
 * process.on("SIGTERM", () => scheduler.stop());
 * ```
 */
export function startScheduler(options: SchedulerOptions): Scheduler {
  const clock = options.clock ?? systemClock;
  const at = options.dailyAt ?? "00:00";
  parseDailyAt(at); // fail at start-up on a bad setting, not at midnight
  const lastSuccess = options.lastSuccess ?? (() => lastGoodLoad(options.dataDir));
  const lastContactsSuccess = options.lastContactsSuccess ?? (() => lastGoodLoad(options.dataDir, "contacts"));
  let stopped = false;
  let running: Promise<void> | null = null;
  // Loads waiting for the running one, at most one per input: a load of both inputs covers any
  // single-input load, so it replaces them (it reads both files when it starts).
  let queued: LoadReason[] = [];
  const enqueue = (reason: LoadReason) => {
    const only = loadOnly(reason);
    if (queued.some((q) => loadOnly(q) === null || loadOnly(q) === only)) return;
    queued = only === null ? [reason] : [...queued, reason];
  };
  let dailyTimer: unknown = null;
  let next = nextDailyRun(clock.now(), at);
  let watcher: (Stoppable & Partial<FileWatcher>) | null = null;
  let contactsWatcher: FileWatcher | null = null;
  // The watched inputs a load of `reason` reads; a URL workbook's watcher has no settle rule (the
  // child downloads it whole).
  const inputs = (reason: LoadReason) => {
    const only = loadOnly(reason);
    return [only !== "contacts" ? watcher : null, only !== "relationships" ? contactsWatcher : null].filter((w) => w !== null);
  };
  const settled = (reason: LoadReason) => inputs(reason).every((w) => w.settled?.() !== false);
  const untilSettled = (reason: LoadReason) =>
    new Promise<void>((resolve) => {
      const check = () => (stopped || settled(reason) ? resolve() : clock.setTimeout(check, options.pollMs ?? 1000));
      check();
    });

  // The file a load of `kind` reads now, when the schedule watches that input: a URL workbook's is
  // its last download (fetched/), which a load child writes before it loads it.
  const inputFile = (kind: RunKind): string | null => {
    if (kind === "contacts") return contactsWatcher === null ? null : options.contacts!;
    if (watcher === null) return null;
    return isUrl(options.workbook) ? downloadedCopy(options.dataDir, options.workbook) : options.watchWorkbook === undefined ? options.workbook : null;
  };
  const unrecorded = async (kind: RunKind): Promise<string | null> => {
    const file = inputFile(kind);
    try {
      return file !== null && (await changedSinceLastLoad(options.dataDir, kind, file)) ? file : null;
    } catch {
      return null;
    }
  };
  // A load that ended without recording the file it was to read (its child crashed or was killed:
  // an OOM, a kill -9) left that file to the daily run: the watchers had seen it settle, a URL's
  // polls answer 304 for a download already made. After each load the schedule checks, and tries
  // again after RETRY_UNLOADED_MS, doubled each time, UNLOADED_RETRIES times at most; a trigger from
  // outside (a change, the daily run) starts the count again.
  // `due`: the retry fell due while a load ran; that load's end makes it (see checkRecorded).
  const retries = new Map<RunKind, { tries: number; timer: unknown; due: boolean }>();
  const checks = new Set<Promise<void>>();
  const track = (check: Promise<void>) => {
    checks.add(check);
    void check.finally(() => checks.delete(check));
  };
  const kindsOf = (reason: LoadReason): RunKind[] => {
    const only = loadOnly(reason);
    return only === null ? ["relationships", "contacts"] : [only];
  };
  const retryReason = (kind: RunKind): LoadReason => (kind === "relationships" ? "file-changed" : "contacts-changed");
  const checkRecorded = async (reason: LoadReason) => {
    const loaded = kindsOf(reason);
    // A retry that fell due during a load of the other input is checked too: that load read only its own.
    const due = [...retries].filter(([kind, retry]) => retry.due && !loaded.includes(kind)).map(([kind]) => kind);
    for (const kind of [...loaded, ...due]) {
      const file = await unrecorded(kind);
      const retry = retries.get(kind) ?? { tries: 0, timer: null, due: false };
      retries.set(kind, retry);
      const wasDue = retry.due;
      retry.due = false;
      if (file === null) {
        clock.clearTimeout(retry.timer);
        retries.delete(kind);
        continue;
      }
      if (retry.timer !== null || stopped) continue;
      if (wasDue && !loaded.includes(kind)) {
        // Its wait is over and counted: queued behind the load running now.
        start(retryReason(kind));
        continue;
      }
      if (retry.tries >= UNLOADED_RETRIES) {
        if (retry.tries === UNLOADED_RETRIES) {
          retry.tries++;
          options.onError?.(
            new Error(`${file} was not recorded by its load (the load process crashed or was killed) nor by ${UNLOADED_RETRIES} more; it waits for the next daily run or change`),
            retryReason(kind),
          );
        }
        continue;
      }
      const delay = RETRY_UNLOADED_MS * 2 ** retry.tries;
      retry.tries++;
      retry.timer = clock.setTimeout(() => {
        retry.timer = null;
        if (stopped) return;
        // A load running now checks again when it ends (starting one behind it could load the file
        // twice), whichever input it reads: `due` has it check this one too.
        if (running) {
          retry.due = true;
          return;
        }
        track(unrecorded(kind).then((still) => void (still !== null && start(retryReason(kind)))));
      }, delay);
    }
  };

  const trigger = (reason: LoadReason) => {
    for (const kind of kindsOf(reason)) {
      const retry = retries.get(kind);
      if (retry !== undefined) retry.tries = 0;
    }
    start(reason);
  };
  const start = (reason: LoadReason) => {
    if (stopped) return;
    if (running) {
      enqueue(reason);
      return;
    }
    running = (async () => {
      let current: LoadReason | undefined = reason;
      while (current && !stopped) {
        // A start-up or daily load reads whatever is there: one that starts mid-copy would load a
        // half-written file (a CSV cut mid-row stores "Human" for "Human Resources" for good), so
        // it waits for its inputs to keep still by the watcher's rule first.
        if (!settled(current)) await untilSettled(current);
        if (stopped) break;
        // Loads queued by files that settled before this one starts are covered by it: it reads them.
        const covering: LoadReason = current;
        queued = queued.filter((q) => !(loadOnly(covering) === null || loadOnly(covering) === loadOnly(q)));
        try {
          await options.runLoad(current);
        } catch (error) {
          options.onError?.(error, current);
        }
        if (stopped) break;
        await checkRecorded(current);
        current = queued.shift();
      }
      running = null;
    })();
  };

  let prepared = false;
  // The wait for the daily run goes in steps of at most DAILY_STEP_MS, each comparing the clock with
  // the time due: a timer counts only time the process was awake, so one timer for the whole wait
  // ran late by as long as the machine slept (and missed a clock set forward or back).
  const stepDaily = () => {
    if (stopped) return;
    const now = clock.now();
    // A daily run is never more than a day away: a longer wait means the clock was set back (NTP
    // correcting a clock that ran ahead), and the run due by the clock before would come days late.
    // Not for a step of minutes or hours: right after a daily run the next is a day away already, and
    // re-arming then ran the daily load again at the time just passed.
    if (next.getTime() - now > DAY_MS + CLOCK_BACK_MARGIN_MS) {
      next = nextDailyRun(now, at);
      prepared = false;
    }
    const wait = next.getTime() - now;
    if (wait <= 0) {
      trigger("daily");
      armDaily();
      return;
    }
    if (options.prepareLoad && !prepared && wait <= PREPARE_MS) {
      prepared = true;
      options.prepareLoad();
    }
    const untilPrepare = options.prepareLoad && !prepared ? wait - PREPARE_MS : wait;
    dailyTimer = clock.setTimeout(stepDaily, Math.min(untilPrepare, DAILY_STEP_MS));
  };
  const armDaily = () => {
    next = nextDailyRun(clock.now(), at);
    prepared = false;
    stepDaily();
  };
  armDaily();
  // A changing file gets a load child started ahead; once it has settled, its load runs.
  const watch = (path: string, reason: "file-changed" | "contacts-changed") =>
    watchFile(path, {
      clock,
      pollMs: options.pollMs,
      stableMs: options.stableMs,
      // A cut CSV reads as rows; a cut .xlsx fails to open (its ZIP directory is written last), a
      // failed run and an alert for a copy that only stalled (scp, a network share).
      looksWhole: reason === "contacts-changed" ? endsWithLineEnd : endsWithZipDirectory,
      onChange: () => options.prepareLoad?.(),
      onStable: () => trigger(reason),
    });
  watcher = options.watch === false ? null : (options.watchWorkbook?.(() => trigger("file-changed")) ?? watch(options.workbook, "file-changed"));
  contactsWatcher = options.contacts === undefined ? null : watch(options.contacts, "contacts-changed");
  let startupCheck: Promise<void> = Promise.resolve();
  if (isStale(lastSuccess(), clock.now())) trigger("startup");
  else {
    // Fresh relationships say nothing about contacts: a CSV put in place after the last load, or a
    // data dir whose loads so far were `--only relationships`, would otherwise wait for the daily run.
    const contactsStale = options.contacts !== undefined && exists(options.contacts) && isStale(lastContactsSuccess(), clock.now());
    if (contactsStale) trigger("contacts-startup");
    // A file replaced while nothing watched it (the API was stopped, the machine restarting) is a
    // new version all the same: the watchers only compare with what they saw at start, so it waited
    // for the daily run, up to 24 h of the tables showing the version before.
    // A URL workbook's file is its last download: a load killed (npm start restarted, the child
    // crashed) after downloading a new version but before publishing it left that version in
    // fetched/ with its validators, so the polls answer 304 and only this check loads it.
    const kinds: RunKind[] = contactsStale ? ["relationships"] : ["relationships", "contacts"];
    startupCheck = Promise.all(kinds.map((kind) => unrecorded(kind).then((file) => void (file !== null && trigger(retryReason(kind)))))).then(() => {});
  }

  return {
    stop() {
      stopped = true;
      clock.clearTimeout(dailyTimer);
      for (const retry of retries.values()) clock.clearTimeout(retry.timer);
      watcher?.stop();
      contactsWatcher?.stop();
    },
    nextDailyRun: () => next,
    idle: async () => {
      await startupCheck;
      while (running || checks.size > 0) await (running ?? Promise.all(checks));
    },
    trigger,
  };
}
