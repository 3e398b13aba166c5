import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
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
  const temp = tempBeside(path);
  try {
    writeFileSync(temp, data, { flag: "wx" });
    replaceFile(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** A new temp file's name beside `path` (same folder, so the rename that replaces `path` is atomic). */
function tempBeside(path: string): string {
  return `${path}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
}

/** Writes `bytes` to the file `fd` at its position, to the last byte (writeSync may write less than asked). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

/**
 * Writes what `chunks` yields to `path` as `writeFileAtomic()` does, each chunk written as it comes:
 * memory holds one chunk, not the file, however large the file grows. A throw (of `chunks`, or of a
 * write: a full disk) removes the temp file and leaves the old file, if any, in place. `write` is
 * how each chunk reaches the file (tests observe the writes through it).
 *
 * @example
 * ```ts
 * await writeFileAtomicFrom("data/rejects/contacts-1.csv", lines());
 * ```
 */
export async function writeFileAtomicFrom(
  path: string,
  chunks: AsyncIterable<string | Uint8Array>,
  write: (fd: number, bytes: Uint8Array) => void = writeAll,
): Promise<void> {
  const temp = tempBeside(path);
  let fd: number | undefined;
  try {
    fd = openSync(temp, "wx");
    for await (const chunk of chunks) write(fd, typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk);
    closeSync(fd);
    fd = undefined;
    replaceFile(temp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
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
