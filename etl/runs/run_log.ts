/**
 * The run record: one definition of what every ETL run (relationships or contacts) leaves behind,
 * and the append-only log `<data-dir>/runs.jsonl` that keeps them. The log lives outside the
 * published snapshot on purpose: a failed or skipped run must be recorded without touching the
 * last good version, and the API must be able to read the log while a load is running.
 */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export type RunKind = "relationships" | "contacts";
export type RunStatus = "succeeded" | "skipped" | "failed";
export type Severity = "error" | "warning" | "info";

/** A quality finding: a named check, its severity, and the cells (or CSV lines) involved. */
export interface Finding {
  check: string;
  severity: Severity;
  message: string;
  /** Cell references like `'Matriz de adyacencia'!F5`, or `contacts.csv:12` for CSV lines. Capped. */
  cells: string[];
  /** How many cells/lines in all, when `cells` was capped or the finding is a count. */
  count?: number;
}

export interface RunFile {
  name: string;
  path: string;
  size: number;
  sha256: string;
}

export interface RunRecord {
  id: string;
  kind: RunKind;
  status: RunStatus;
  started_at: string;
  finished_at: string;
  file: RunFile | null;
  /** Kind-specific counts, e.g. `{ actors: 50, pairs: 120 }` or `{ inserted: 3, rejected: 1 }`. */
  counts: Record<string, number>;
  findings: Finding[];
  /** Summary of what changed against the previous version, e.g. `{ pairs_added: 2 }`. */
  changes: Record<string, number>;
  /** Set when the status is failed (and for skips: why it was skipped). */
  error: { code: string; message: string } | null;
  /** The published version this run produced (relationships), if any. */
  version_id?: number | null;
}

/** The path of the run log inside a data directory. */
export function runLogPath(dataDir: string): string {
  return join(dataDir, "runs.jsonl");
}

/**
 * Returns a new run id that sorts by time: `20261129T095045123Z-3f9a`.
 */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, "");
  const random = crypto.getRandomValues(new Uint8Array(2));
  return `${stamp}-${Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("")}`;
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

