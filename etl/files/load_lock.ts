/**
 * One load of a kind at a time per data dir (`.relationships.lock`, `.contacts.lock`), and one
 * `npm run etl -- --watch` (`.watch.lock`, `acquireWatchLock()`). The
 * scheduler, a watcher and a person typing `npm run etl` may all start a load; two relationship
 * loads would race on history (both read version N and both publish N+1), and a second direct
 * contacts load would find contacts.duckdb locked and fail instead of waiting or skipping. The lock is a file naming its owner, linked into place so it is never seen
 * empty; a lock whose owner is gone (the load was killed) is taken over.
 *
 * A pid alone does not name a process: after a crash and a reboot (or just enough time) the pid is
 * reused, and a lock that only checked "is this pid alive?" would block every load for ever while
 * each run exits 0 as "skipped". So the lock holds `pid start-time boot-id` (start time in clock
 * ticks since boot from /proc/<pid>/stat, the kernel's boot id): the owner is alive only if a process
 * with that pid exists, started at that tick, in this boot. Without /proc (not Linux) only the pid
 * can be checked. Locks written by older versions hold a bare pid; those count as stale when the
 * process with that pid started after the lock file was written.
 *
 * Containers sharing the data dir on one machine (an API container, a cron container) each see
 * their own pids: a pid from another PID namespace names nothing here, or another process (its
 * pid 1 is our init), so such a lock was taken over while its owner loaded. The lock therefore
 * also names the owner's PID namespace, and the owner touches it every `LOCK_HEARTBEAT_MS`; a lock
 * from another namespace of this boot is alive while it was touched within `FOREIGN_LOCK_STALE_MS`
 * (a container that died mid-load holds up loads that long, never for ever).
 */
import { linkSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** The kinds of load that each have a lock. */
export type LoadKind = "relationships" | "contacts";

/** How often a held lock's mtime is moved on, for processes in other PID namespaces. */
export const LOCK_HEARTBEAT_MS = 30_000;
/**
 * How long a lock from another PID namespace stands without being touched: many heartbeats, so a
 * load whose event loop is busy for minutes (a huge sheet, a slow disk) keeps it.
 */
export const FOREIGN_LOCK_STALE_MS = 10 * 60_000;

/** Thrown when another live process holds the load lock. */
export class LockBusyError extends Error {
  override readonly name = "LockBusyError";
  readonly code = "busy";
  constructor(
    readonly pid: number,
    kind: LoadKind = "relationships",
    /** Why a load that waited for it gave up ("Stopped by SIGINT"), when it was told to stop. */
    stopped?: string,
  ) {
    const other = `Another ${kind === "relationships" ? "relationship" : "contacts"} load (pid ${pid})`;
    super(stopped === undefined ? `${other} is running; try again when it finishes` : `${stopped} while waiting for ${other.toLowerCase()} to finish; nothing was loaded`);
  }
}

/**
 * Takes the `kind` load lock of `dataDir` and returns its release function.
 *
 * @example
 * ```ts
 * const release = acquireLoadLock("data");
 * try { ... } finally { release(); }
 * ```
 */
export function acquireLoadLock(dataDir: string, kind: LoadKind = "relationships", heartbeatMs = LOCK_HEARTBEAT_MS): () => void {
  mkdirSync(dataDir, { recursive: true });
  const taken = takeLock(join(dataDir, `.${kind}.lock`), heartbeatMs);
  if (typeof taken === "number") throw new LockBusyError(taken, kind);
  return taken;
}

/**
 * Takes the watch lock of `dataDir` (`.watch.lock`), held while `npm run etl -- --watch` runs: two
 * watchers of one data dir loaded every change twice (the second waiting for the first's load lock,
 * then loading again), two runs and two alerts for one failed load. Returns its release function,
 * or the pid of the live watcher that holds it.
 *
 * @example
 * ```ts
 * const release = acquireWatchLock("data");
 * if (typeof release === "number") console.error(`pid ${release} already watches data`);
 * ```
 */
export function acquireWatchLock(dataDir: string): (() => void) | number {
  mkdirSync(dataDir, { recursive: true });
  return takeLock(join(dataDir, ".watch.lock"), LOCK_HEARTBEAT_MS);
}

/**
 * Takes the lock file at `path` (taking over one whose owner is gone) and returns its release
 * function, or the pid of the live process that holds it.
 */
function takeLock(path: string, heartbeatMs: number): (() => void) | number {
  const token = ownerToken(process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (linkFilled(path, token)) {
      // Never keeps the process alive; touches only a lock that is still ours.
      const heartbeat = setInterval(() => {
        if (readText(path) !== token) return;
        try {
          const now = new Date();
          utimesSync(path, now, now);
        } catch {
          // Removed meanwhile, or a read-only moment: the next beat tries again.
        }
      }, heartbeatMs).unref();
      // Release only a lock that is still ours: a takeover by someone else must not be undone.
      return () => {
        clearInterval(heartbeat);
        if (readText(path) === token) rmSync(path, { force: true });
      };
    }
    const seen = readText(path);
    const owner = Number.parseInt(seen, 10);
    // Our own pid counts like any other: after a reboot this process may have the pid of a load that died.
    if (Number.isInteger(owner) && owner > 0 && ownerAlive(seen, path)) return owner;
    takeOverStale(path, seen);
  }
  return 0;
}

/**
 * `acquireLoadLock()`, tried again while another live load holds it, for `waitMs` at most (then
 * its LockBusyError). The first try happens before the returned promise does. `signal` ends the
 * wait early with a LockBusyError that says so: a load stopped while it waited (`--wait`, up to
 * 30 min) read nothing, a skip like any other for a busy lock, not a failure.
 *
 * @example
 * ```ts
 * const release = await acquireLoadLockWaiting("data", "contacts", 30 * 60_000);
 * ```
 */
export async function acquireLoadLockWaiting(dataDir: string, kind: LoadKind, waitMs: number, signal?: AbortSignal): Promise<() => void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return acquireLoadLock(dataDir, kind);
    } catch (error) {
      if (!(error instanceof LockBusyError) || Date.now() >= deadline) throw error;
      if (signal?.aborted) throw new LockBusyError(error.pid, kind, (signal.reason as Error).message);
    }
    await sleep(200, undefined, { signal }).catch(() => undefined);
  }
}

/** What the lock says about its owner: `pid start-ticks boot-id pid-namespace` ("-" where /proc has no answer). */
function ownerToken(pid: number): string {
  return `${pid} ${startTicks(pid) ?? "-"} ${bootId() ?? "-"} ${pidNamespace() ?? "-"}`;
}

/**
 * True when the process that wrote lock `text` (at `path`) still runs: its pid is alive and, where
 * the lock and /proc say, it is the same process (same start tick, same boot).
 */
function ownerAlive(text: string, path: string): boolean {
  const [pidText, start, boot, namespace] = text.trim().split(/\s+/);
  const otherBoot = boot !== undefined && boot !== "-" && bootId() !== null && boot !== bootId();
  if (namespace !== undefined && namespace !== "-" && pidNamespace() !== null && namespace !== pidNamespace()) {
    // Another container on this machine: its pid cannot be looked up here; its heartbeat can.
    return !otherBoot && touchedWithin(path, FOREIGN_LOCK_STALE_MS);
  }
  const pid = Number(pidText);
  if (!isAlive(pid)) return false;
  const nowStart = startTicks(pid);
  if (start === undefined) {
    // A bare pid (older versions): a process that started after the lock was written is not its owner.
    return nowStart === null || !startedAfter(nowStart, path);
  }
  if (otherBoot) return false;
  return start === "-" || nowStart === null || start === nowStart;
}

/** True when the file at `path` was written or touched less than `ms` ago. */
function touchedWithin(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < ms;
  } catch {
    return false;
  }
}

/** The inode of this process's PID namespace (`pid:[4026531836]`), or null without /proc. */
function pidNamespace(): string | null {
  try {
    return /^pid:\[(\d+)\]$/.exec(readlinkSync("/proc/self/ns/pid"))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat (start time, clock ticks since boot), or null without /proc. */
function startTicks(pid: number): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields.length > 19 && /^\d+$/.test(fields[19]) ? fields[19] : null;
}

function bootId(): string | null {
  return readText("/proc/sys/kernel/random/boot_id").trim() || null;
}

/** True when a process that started `ticks` after boot started after the file at `path` was last written. */
function startedAfter(ticks: string, path: string): boolean {
  const btime = /^btime (\d+)$/m.exec(readText("/proc/stat"));
  if (!btime) return false;
  // USER_HZ is 100 on every Linux that Node supports; the 1 s margin covers its rounding.
  const startedMs = (Number(btime[1]) + Number(ticks) / 100) * 1000;
  try {
    return startedMs > statSync(path).mtimeMs + 1000;
  } catch {
    return false;
  }
}

/**
 * Creates `path` holding `content`, or returns false when it exists. The content is written to a
 * private file first and hard-linked into place, so the lock is never visible empty (an empty lock
 * would look like a crash leftover to another process and be taken over while its owner lives).
 */
function linkFilled(path: string, content: string): boolean {
  const temp = `${path}.${process.pid}.${randomUUID()}`;
  try {
    // Inside the try: on a full disk the file is created and its write fails, and the empty file
    // would stay behind, one per failed load.
    writeFileSync(temp, content, { flag: "wx" });
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return false;
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * Removes a dead owner's lock. Two processes may both see the same dead owner; renaming is atomic,
 * so only one of them moves the stale file away. If what was moved is not the stale lock that was
 * seen (someone took over in between), it is linked back so the new owner keeps its lock.
 */
function takeOverStale(path: string, seen: string): void {
  const moved = `${path}.stale.${process.pid}.${randomUUID()}`;
  try {
    renameSync(path, moved);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    if (readText(moved) !== seen) {
      try {
        linkSync(moved, path);
      } catch {
        // Another process created a lock meanwhile; that one stands.
      }
    }
  } finally {
    rmSync(moved, { force: true });
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Whether process `pid` runs on this machine (one we may not signal runs too). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
