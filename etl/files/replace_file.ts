import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";

/**
 * Makes the finished file `tempPath` the file at `path`, durably and atomically: fsync the file
 * (its bytes are on disk before the name points at them), rename it over `path` (same directory,
 * so readers see the old file or the new one, never half of one), fsync the directory (the rename
 * itself survives a power cut). Snapshots, api.json and reject reports all publish this way.
 *
 * @example
 * ```ts
 * replaceFile("data/.relationships-run1.duckdb", "data/relationships.duckdb");
 * ```
 */
export function replaceFile(tempPath: string, path: string): void {
  fsyncPath(tempPath, "r+");
  renameSync(tempPath, path);
  try {
    fsyncPath(dirname(path), "r");
  } catch {
    // Some filesystems cannot fsync a directory; the rename has still happened.
  }
}

/**
 * Writes `data` to `path` through a temp file beside it and `replaceFile()`, so no reader ever
 * opens a half-written file, and a crash leaves the old file or the new one.
 *
 * @example
 * ```ts
 * writeFileAtomic("data/api.json", JSON.stringify(info) + "\n");
 * ```
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const temp = `${path}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    writeFileSync(temp, data, { flag: "wx" });
    replaceFile(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

function fsyncPath(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
