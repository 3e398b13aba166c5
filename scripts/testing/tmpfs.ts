/**
 * A small disk that fills up, for real: a tmpfs mounted for a test (needs root and mount(8); tests
 * skip with CAN_MOUNT false), and a filler that leaves it as much room as a test wants.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Mounts a tmpfs of `size` (`20m`) on `dir`; false when this process may not. */
export function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Unmounts what mountTmpfs mounted on `dir`. */
export function unmount(dir: string): void {
  execFileSync("umount", [dir]);
}

/** Whether this process can mount a tmpfs (root, and a container that lets it). */
export const CAN_MOUNT: boolean = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), "tmpfs-probe-"));
  const ok = mountTmpfs(probe, "1m");
  if (ok) unmount(probe);
  rmSync(probe, { recursive: true, force: true });
  return ok;
})();

/** Fills `dir`'s file system with a file `filler` until `leaveBytes` are free (0: full). */
export function fill(dir: string, leaveBytes = 0): void {
  const { bavail, bsize } = statfsSync(dir);
  const fd = openSync(join(dir, "filler"), "w");
  const chunk = Buffer.alloc(1 << 20);
  let left = Math.max(0, bavail * bsize - leaveBytes);
  try {
    while (left > 0) left -= writeSync(fd, chunk, 0, Math.min(chunk.length, left));
  } catch (error) {
    // tmpfs counts in pages: the last page may not fit.
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
}
