/**
 * One relationship load at a time per data dir. The scheduler, a watcher and a person typing
 * `npm run etl` may all start a load; two loads would race on history (both read version N and
 * both publish N+1). The lock is a file holding the owner's pid, linked into place so it is never
 * seen empty; a lock whose pid is gone (the load was killed) is taken over.
 */
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { join } from "node:path";

/** Thrown when another live process holds the load lock. */
export class LockBusyError extends Error {
  override readonly name = "LockBusyError";
  readonly code = "busy";
  constructor(readonly pid: number) {
    super(`Another relationship load (pid ${pid}) is running; try again when it finishes`);
  }
}

/**
 * Takes the load lock of `dataDir` and returns its release function.
 *
 * @example
 * ```ts
 * const release = acquireLoadLock("data");
 * try { ... } finally { release(); }
 * ```
 */
export function acquireLoadLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, ".relationships.lock");
  const token = `${process.pid}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (linkFilled(path, token)) {
      // Release only a lock that is still ours: a takeover by someone else must not be undone.
      return () => {
        if (readText(path) === token) rmSync(path, { force: true });
      };
    }
    const seen = readText(path);
    const owner = Number.parseInt(seen, 10);
    if (Number.isInteger(owner) && owner > 0 && (owner === process.pid || isAlive(owner))) throw new LockBusyError(owner);
    takeOverStale(path, seen);
  }
  throw new LockBusyError(0);
}

/**
 * Creates `path` holding `content`, or returns false when it exists. The content is written to a
 * private file first and hard-linked into place, so the lock is never visible empty (an empty lock
 * would look like a crash leftover to another process and be taken over while its owner lives).
 */
function linkFilled(path: string, content: string): boolean {
  const temp = `${path}.${process.pid}.${randomUUID()}`;
  writeFileSync(temp, content, { flag: "wx" });
  try {
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
