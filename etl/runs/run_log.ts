/**
 * The append-only log `<data-dir>/runs.jsonl` of run records. It lives outside the published
 * snapshot on purpose: a failed or skipped run must be recorded without touching the last good
 * version, and the API must be able to read the log while a load is running.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, statSync, writeSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { RunAmendment, RunKind, RunRecord, RunStatus } from "./run_record.ts";

/** The path of the run log inside a data directory. */
export function runLogPath(dataDir: string): string {
  return join(dataDir, "runs.jsonl");
}

/**
 * Appends one run to the log and fsyncs it, so an acknowledged run survives a crash. A line is
 * written with a single `write`, so a reader never sees half a record except after a crash, which
 * `readRuns()` tolerates by skipping an unterminated last line.
 */
export function appendRun(dataDir: string, run: RunRecord): void {
  appendLine(dataDir, JSON.stringify(run));
  collector.getStore()?.push(run);
}

/**
 * Appends an amendment to an earlier run (its alert's outcome), merged into that run by
 * `readRuns()`: the log stays append-only and the run itself was durable before the amendment.
 *
 * @example
 * ```ts
 * amendRun("data", { amends: run.id, alert: { status: "sent", attempts: 1, at: new Date().toISOString() } });
 * ```
 */
export function amendRun(dataDir: string, amendment: RunAmendment): void {
  appendLine(dataDir, JSON.stringify(amendment));
}

function appendLine(dataDir: string, line: string): void {
  mkdirSync(dataDir, { recursive: true });
  const fd = openSync(runLogPath(dataDir), "a+");
  try {
    const size = fstatSync(fd).size;
    // A torn last line (a crash, a full disk) must not swallow this record: start on a new line.
    const last = Buffer.alloc(1);
    const torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
    const bytes = Buffer.from(`${torn ? "\n" : ""}${line}\n`);
    // writeSync may write less than asked (ENOSPC part-way): loop until all is written or it
    // throws; a record left partial then is healed by the next append's check above.
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

// Async context rather than a global listener list: two loads in one process (tests, a watcher)
// each see only the runs their own call chain appended.
const collector = new AsyncLocalStorage<RunRecord[]>();

/**
 * Runs `fn` and returns its value with every run appended (by `appendRun()`) inside its async call
 * chain: how `npm run etl` learns which runs its loads recorded without the loads knowing.
 *
 * @example
 * ```ts
 * const { value, runs } = await collectRuns(() => loadRelationships({ workbook, dataDir }));
 * runs.map((r) => r.status); // ["succeeded"]
 * ```
 */
export async function collectRuns<T>(fn: () => Promise<T>): Promise<{ value: T; runs: RunRecord[] }> {
  const runs: RunRecord[] = [];
  const value = await collector.run(runs, fn);
  return { value, runs };
}

/**
 * Returns every run in the log, oldest first, with its amendments merged in. Lines that are not
 * valid JSON are skipped.
 */
export function readRuns(dataDir: string): RunRecord[] {
  let text: string;
  try {
    text = readFileSync(runLogPath(dataDir), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const runs: RunRecord[] = [];
  const byId = new Map<string, RunRecord>();
  for (const line of text.split("\n")) {
    if (line.length === 0) continue;
    let entry: RunRecord | RunAmendment;
    try {
      entry = JSON.parse(line) as RunRecord | RunAmendment;
    } catch {
      // A torn last line after a crash; everything before it is intact.
      continue;
    }
    if (typeof entry !== "object" || entry === null) continue;
    if ("amends" in entry) {
      const run = byId.get(entry.amends);
      if (run !== undefined) run.alert = entry.alert;
      continue;
    }
    runs.push(entry);
    byId.set(entry.id, entry);
  }
  return runs;
}

/** Returns the newest run of `kind` with `status`, if any. */
export function lastRun(dataDir: string, kind: RunKind, status?: RunStatus): RunRecord | undefined {
  const runs = readRuns(dataDir);
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i];
    if (run.kind === kind && (status === undefined || run.status === status)) return run;
  }
  return undefined;
}

/**
 * Reads runs.jsonl through a cache keyed by the file's size and mtime: a reader polled per request
 * (the API's /runs, /readyz) re-reads the log only when a run was appended.
 *
 * @example
 * ```ts
 * const log = new RunLog("data");
 * log.last("relationships")?.status; // "succeeded"
 * ```
 */
export class RunLog {
  readonly dataDir: string;
  #stamp = "";
  #newestFirst: RunRecord[] = [];

  constructor(dataDir: string) {
    this.dataDir = dataDir;
  }

  /** Every run, newest first. */
  all(): RunRecord[] {
    let stamp = "none";
    try {
      const stat = statSync(runLogPath(this.dataDir));
      stamp = `${stat.size}-${stat.mtimeMs}`;
    } catch {
      // No log yet: no runs.
    }
    if (stamp !== this.#stamp) {
      this.#newestFirst = stamp === "none" ? [] : readRuns(this.dataDir).reverse();
      this.#stamp = stamp;
    }
    return this.#newestFirst;
  }

  /** The newest run of `kind`, if any. */
  last(kind: string): RunRecord | undefined {
    return this.all().find((r) => r.kind === kind);
  }
}
