/**
 * The append-only log `<data-dir>/runs.jsonl` of run records. It lives outside the published
 * snapshot on purpose: a failed or skipped run must be recorded without touching the last good
 * version, and the API must be able to read the log while a load is running.
 */
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { RunKind, RunRecord, RunStatus } from "./run_record.ts";

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
  mkdirSync(dataDir, { recursive: true });
  const fd = openSync(runLogPath(dataDir), "a");
  try {
    writeSync(fd, JSON.stringify(run) + "\n");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Returns every run in the log, oldest first. Lines that are not valid JSON are skipped. */
export function readRuns(dataDir: string): RunRecord[] {
  let text: string;
  try {
    text = readFileSync(runLogPath(dataDir), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const runs: RunRecord[] = [];
  for (const line of text.split("\n")) {
    if (line.length === 0) continue;
    try {
      runs.push(JSON.parse(line) as RunRecord);
    } catch {
      // A torn last line after a crash; everything before it is intact.
    }
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
