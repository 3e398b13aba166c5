/**
 * One relationship load at a time per data dir. The scheduler, a watcher and a person typing
 * `npm run etl` may all start a load; two loads would race on history (both read version N and
 * both publish N+1). The lock is a file holding the owner's pid, created with O_EXCL; a lock
 * whose pid is gone (the load was killed) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync, mkdirSync } from "node:fs";
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
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number.parseInt(readText(path), 10);
    if (Number.isInteger(owner) && owner > 0 && (owner === process.pid || isAlive(owner))) throw new LockBusyError(owner);
    // Dead owner (or a torn, empty lock from a crash between create and write): take it over.
    rmSync(path, { force: true });
  }
  throw new LockBusyError(0);
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
