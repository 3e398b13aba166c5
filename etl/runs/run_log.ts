/**
 * The append-only log `<data-dir>/runs.jsonl` of run records. It lives outside the published
 * snapshot on purpose: a failed or skipped run must be recorded without touching the last good
 * version, and the API must be able to read the log while a load is running.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { closeSync, fstatSync, fsyncSync, openSync, readSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeAll } from "../files/mod.ts";
import { hasRequiredMembers } from "../json_schema/mod.ts";
import { runSchema } from "./run_schema.ts";
import { type RunAmendment, type RunKind, type RunRecord, type RunStatus } from "./run_record.ts";

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
    // All of it, or a throw (ENOSPC part-way): a record left partial then is healed by the next
    // append's check above.
    writeAll(fd, bytes);
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

/** How many bytes the log is read at a time: memory holds a block and the line being read, not the log. */
export const RUN_LOG_BLOCK_BYTES = 64 * 1024;

/**
 * The longest line read as a run. A record is a few KB (its findings' cells are capped); a longer
 * line is not one (a region of zeros a crash or a full disk left) and is skipped without being held.
 */
export const MAX_RUN_LINE_BYTES = 16 * 1024 * 1024;

/** How the log is read; tests set a small block and count the reads. */
export interface RunLogReading {
  /** Bytes read at a time (RUN_LOG_BLOCK_BYTES). */
  blockBytes?: number;
  /** Reads `length` bytes at `position` into `buffer` (readSync): how tests see which blocks are read. */
  read?: (fd: number, buffer: Buffer, length: number, position: number) => number;
}

const readBlock = (fd: number, buffer: Buffer, length: number, position: number): number => readSync(fd, buffer, 0, length, position);

type Entry = RunRecord | RunAmendment;

/**
 * The entry a line holds, or undefined for a line that is not one: a torn line after a crash, or
 * valid JSON that is no run nor amendment (`[]`, `{}`, `{"id": 7}` written by hand or another
 * program), which /runs served as a run against its own schema.
 */
function entryOf(line: Buffer): Entry | undefined {
  if (line.length === 0 || line.length > MAX_RUN_LINE_BYTES) return undefined;
  let entry: unknown;
  try {
    entry = JSON.parse(line.toString("utf8"));
  } catch {
    return undefined;
  }
  return isRun(entry) || isAmendment(entry) ? entry : undefined;
}

type Fields = Record<string, unknown>;
const isObject = (value: unknown): value is Fields => typeof value === "object" && value !== null && !Array.isArray(value);

/** The members every run has, of the types they have (run_schema.ts: what they hold is not looked into). */
function isRun(value: unknown): value is RunRecord {
  return isObject(value) && !("amends" in value) && hasRequiredMembers(runSchema, value);
}

function isAmendment(value: unknown): value is RunAmendment {
  return isObject(value) && typeof value.amends === "string" && isObject(value.alert);
}

/** Opens the log for reading, or undefined when there is none yet. */
function openLog(dataDir: string): number | undefined {
  try {
    return openSync(runLogPath(dataDir), "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * The pieces of one line read across blocks, for both readers: copies (the block is reused), and
 * none kept once the line is longer than a run can be (MAX_RUN_LINE_BYTES). Reading backwards, a
 * line's later pieces come first, so each piece goes `before` the ones kept.
 */
class LineParts {
  #parts: Buffer[] = [];
  #bytes = 0;
  #tooLong = false;

  /** Keeps a copy of `piece`, after the pieces kept or `before` them. */
  keep(piece: Buffer, before = false): void {
    if (this.#tooLong) return;
    this.#bytes += piece.length;
    if (this.#bytes > MAX_RUN_LINE_BYTES) {
      this.#tooLong = true;
      this.#parts = [];
    } else if (before) this.#parts.unshift(Buffer.from(piece));
    else this.#parts.push(Buffer.from(piece));
  }

  /** The entry of the line the pieces kept and `last` make (`last` after them, or `before` them), if any; starts the next line. */
  end(last: Buffer, before = false): Entry | undefined {
    const fits = !this.#tooLong && this.#bytes + last.length <= MAX_RUN_LINE_BYTES;
    const entry = !fits ? undefined : entryOf(this.#parts.length === 0 ? last : Buffer.concat(before ? [last, ...this.#parts] : [...this.#parts, last]));
    this.#parts = [];
    this.#bytes = 0;
    this.#tooLong = false;
    return entry;
  }
}

/**
 * Calls `onEntry` with each entry of the log from byte `from` (a line start) on, oldest first, a
 * block at a time, and returns where the next read starts: after the last line that ended in
 * "\n", or at the end when the unterminated last line was a whole entry (its "\n" still to come:
 * a reader resuming there then sees an empty line, never the entry twice).
 */
function readEntries(fd: number, from: number, onEntry: (entry: Entry) => void, reading: RunLogReading = {}): number {
  const blockBytes = reading.blockBytes ?? RUN_LOG_BLOCK_BYTES;
  const read = reading.read ?? readBlock;
  const block = Buffer.alloc(blockBytes);
  const line = new LineParts();
  let position = from;
  let next = from;
  for (;;) {
    const n = read(fd, block, blockBytes, position);
    if (n === 0) break;
    const data = block.subarray(0, n);
    let start = 0;
    for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, start)) {
      const entry = line.end(data.subarray(start, nl));
      if (entry !== undefined) onEntry(entry);
      start = nl + 1;
      next = position + start;
    }
    if (start < n) line.keep(data.subarray(start));
    position += n;
  }
  // An unterminated last line that is a whole entry (its "\n" still to come).
  const entry = line.end(Buffer.alloc(0));
  if (entry !== undefined) {
    onEntry(entry);
    next = position;
  }
  return next;
}

/**
 * Yields the log's entries newest first, reading blocks backwards from the end: a search for a
 * recent run reads the end of the log only, however long the log is.
 */
function* entriesNewestFirst(fd: number, reading: RunLogReading = {}): Generator<Entry> {
  const blockBytes = reading.blockBytes ?? RUN_LOG_BLOCK_BYTES;
  const read = reading.read ?? readBlock;
  const block = Buffer.alloc(blockBytes);
  const line = new LineParts();
  let position = fstatSync(fd).size;
  while (position > 0) {
    const length = Math.min(blockBytes, position);
    position -= length;
    const n = readFull(fd, block, length, position, read);
    const data = block.subarray(0, n);
    let end = n;
    for (let nl = data.lastIndexOf(0x0a, end - 1); nl !== -1; nl = end > 0 ? data.lastIndexOf(0x0a, end - 1) : -1) {
      const entry = line.end(data.subarray(nl + 1, end), true);
      if (entry !== undefined) yield entry;
      end = nl;
    }
    if (end > 0) line.keep(data.subarray(0, end), true);
  }
  const entry = line.end(Buffer.alloc(0), true);
  if (entry !== undefined) yield entry;
}

/**
 * Returns every run in the log, oldest first, with its amendments merged in. Lines that are not
 * valid JSON, or valid JSON but no run (`[]`, `{}`), are skipped. The log is read a block at a time (never whole: it only grows), but every
 * run is returned: callers after a recent run use `findRun()` or `lastRun()`, which read the end only.
 */
export function readRuns(dataDir: string, reading?: RunLogReading): RunRecord[] {
  const fd = openLog(dataDir);
  if (fd === undefined) return [];
  const runs: RunRecord[] = [];
  try {
    readEntries(fd, 0, merger(runs, new Map()), reading);
  } finally {
    closeSync(fd);
  }
  return runs;
}

/** Adds each run to `runs` (and `byId`), and each amendment to the newest earlier run of its id. */
function merger(runs: RunRecord[], byId: Map<string, RunRecord>): (entry: Entry) => void {
  return (entry) => {
    if ("amends" in entry) {
      const run = byId.get(entry.amends);
      if (run !== undefined) run.alert = entry.alert;
      return;
    }
    runs.push(entry);
    byId.set(entry.id, entry);
  };
}

/**
 * Returns the newest run for which `matches` is true, amendments merged, reading the log backwards
 * from its end a block at a time and stopping there: memory and time follow how far back the run
 * is, not the log's size.
 *
 * @example
 * ```ts
 * findRun("data", (r) => r.id === "20261129T095045123Z-3f9a")?.status; // "succeeded"
 * ```
 */
export function findRun(dataDir: string, matches: (run: RunRecord) => boolean, reading?: RunLogReading): RunRecord | undefined {
  const fd = openLog(dataDir);
  if (fd === undefined) return undefined;
  try {
    // Read backwards, a run's amendments come before it; the first seen of an id is its newest.
    const alerts = new Map<string, RunRecord["alert"]>();
    for (const entry of entriesNewestFirst(fd, reading)) {
      if ("amends" in entry) {
        if (!alerts.has(entry.amends)) alerts.set(entry.amends, entry.alert);
        continue;
      }
      if (alerts.has(entry.id)) {
        entry.alert = alerts.get(entry.id);
        alerts.delete(entry.id);
      }
      if (matches(entry)) return entry;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Returns the newest run of `kind` with `status`, if any (reading the log's end only: `findRun()`). */
export function lastRun(dataDir: string, kind: RunKind, status?: RunStatus, reading?: RunLogReading): RunRecord | undefined {
  return findRun(dataDir, (run) => run.kind === kind && (status === undefined || run.status === status), reading);
}

/**
 * How many bytes before its read position RunLog keeps and compares before each read: the end of
 * the last run it read, which holds that run's id and times, so a log emptied in place (`: >`, a
 * backup copied over it) and grown past that position again is told from the same log grown.
 */
const RUN_LOG_TAIL_BYTES = 4096;

/** `length` bytes of `fd` from `position` (fewer at its end). */
function bytesAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  return buffer.subarray(0, readFull(fd, buffer, length, position));
}

/** Reads `length` bytes at `position` into `buffer` through `read`, as many reads as it takes; returns how many there were (fewer at the file's end). */
function readFull(fd: number, buffer: Buffer, length: number, position: number, read = readBlock): number {
  let n = 0;
  while (n < length) {
    const got = read(fd, buffer.subarray(n), length - n, position + n);
    if (got === 0) break;
    n += got;
  }
  return n;
}

/**
 * Reads runs.jsonl for a reader polled per request (the API's /runs, /readyz, /metrics): the log is
 * read again only when it changed, and then only from where the last read stopped (it is
 * append-only; a log replaced or cut shorter is read again whole). Every run is kept (a few KB
 * each): /runs in CSV, /runs/{id} and the metrics' counters cover every run.
 *
 * @example
 * ```ts
 * const log = new RunLog("data");
 * log.last("relationships")?.status; // "succeeded"
 * ```
 */
export class RunLog {
  readonly dataDir: string;
  readonly #reading: RunLogReading;
  #stamp = "";
  #file = "";
  #next = 0;
  /** The log's bytes just before `#next`, as last read: a log emptied in place and grown again past `#next` has others there. */
  #tail: Buffer = Buffer.alloc(0);
  #byId = new Map<string, RunRecord>();
  #newestFirst: RunRecord[] = [];

  constructor(dataDir: string, reading: RunLogReading = {}) {
    this.dataDir = dataDir;
    this.#reading = reading;
  }

  /** Every run, newest first: the same array until the log changes. */
  all(): RunRecord[] {
    const fd = openLog(this.dataDir);
    if (fd === undefined) {
      if (this.#stamp !== "none") this.#forget("none");
      return this.#newestFirst;
    }
    try {
      const stat = fstatSync(fd);
      const file = `${stat.dev}-${stat.ino}`;
      const stamp = `${file}-${stat.size}-${stat.mtimeMs}`;
      if (stamp === this.#stamp) return this.#newestFirst;
      if (file !== this.#file || stat.size < this.#next || !bytesAt(fd, this.#next - this.#tail.length, this.#tail.length).equals(this.#tail)) {
        this.#forget(stamp);
        this.#file = file;
      }
      const added: RunRecord[] = [];
      let amended = false;
      const merge = merger(added, this.#byId);
      try {
        this.#next = readEntries(fd, this.#next, (entry) => {
          amended ||= "amends" in entry;
          merge(entry);
        }, this.#reading);
        this.#tail = bytesAt(fd, Math.max(0, this.#next - RUN_LOG_TAIL_BYTES), Math.min(this.#next, RUN_LOG_TAIL_BYTES));
      } catch (error) {
        // The stamp is kept only for a read that succeeded: kept before, a failed read was answered
        // by an empty log ever after. What a part-way read merged is dropped: the next reads it whole.
        this.#forget("");
        throw error;
      }
      this.#stamp = stamp;
      if (added.length > 0 || amended) this.#newestFirst = [...added.reverse(), ...this.#newestFirst];
      return this.#newestFirst;
    } finally {
      closeSync(fd);
    }
  }

  /** The newest run of `kind`, if any. */
  last(kind: string): RunRecord | undefined {
    return this.all().find((r) => r.kind === kind);
  }

  #forget(stamp: string): void {
    this.#stamp = stamp;
    this.#file = "";
    this.#next = 0;
    this.#tail = Buffer.alloc(0);
    this.#byId = new Map();
    this.#newestFirst = [];
  }
}
