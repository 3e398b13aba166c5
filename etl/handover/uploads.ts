/**
 * `<data-dir>/uploads/`: where a CSV waits for the running API to load it (see contract.ts). Files
 * here hold personal data, so every path that writes one also removes it, and the API's start-up
 * empties the folder, which covers a crash at any point; a load removes copies old enough that no
 * load can still be using them (`cleanStaleUploads`), which covers a crash where no API starts.
 */
import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, mkdirSync, openSync, read, readdirSync, rmSync, statSync } from "node:fs";
import { Socket } from "node:net";
import { isatty, ReadStream } from "node:tty";
import { join } from "node:path";
import { writeAll } from "../files/mod.ts";
import { UPLOAD_NAME, UPLOADS_DIR } from "./contract.ts";

/**
 * Returns the uploads folder of `dataDir`, created (owner-only) if missing.
 *
 * @example
 * ```ts
 * uploadsDir("data"); // "data/uploads"
 * ```
 */
export function uploadsDir(dataDir: string): string {
  const dir = join(dataDir, UPLOADS_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * Copies `csvPath` into the uploads folder as `<id>.csv` and returns its name, path, size and
 * SHA-256 (one pass reads, hashes and writes). The copy is what gets loaded: the original may change
 * or vanish meanwhile, and its name (`export*.csv`) never reaches a reader that could take it as a
 * pattern. Throws the file system's error when `csvPath` cannot be read, and `signal`'s reason when
 * it is aborted; either way no copy is left.
 *
 * Nothing here blocks the event loop, and no read or open waits in libuv's thread pool on a pipe: a
 * named pipe (or a shell's `<(...)`, `/dev/stdin` piped) is opened without waiting for a writer and
 * read as a stream, so a pipe nobody writes to is waited for, as `cat` would, while a stop (SIGTERM,
 * Ctrl-C: `signal`) still ends the load at once; a thread blocked in open() or read() would keep the
 * process alive, process.exit() included, until someone wrote to the pipe.
 *
 * @example
 * ```ts
 * const { name, path, sha256 } = await placeUpload("data", "~/Downloads/contacts.csv", "20260301-120000-ab12");
 * ```
 */
export async function placeUpload(dataDir: string, csvPath: string, id: string, signal?: AbortSignal): Promise<{ name: string; path: string; size: number; sha256: string }> {
  const name = `${id}.csv`;
  if (!UPLOAD_NAME.test(name)) throw new TypeError(`'${name}' is not a valid upload name`);
  signal?.throwIfAborted();
  const source = openSource(csvPath);
  const path = join(uploadsDir(dataDir), name);
  try {
    const target = openSync(path, "w", 0o600);
    const hash = createHash("sha256");
    let size = 0;
    try {
      for await (const chunk of chunksOf(source, signal)) {
        hash.update(chunk);
        writeAll(target, chunk);
        size += chunk.length;
      }
    } finally {
      closeSync(target);
    }
    return { name, path, size, sha256: hash.digest("hex") };
  } catch (error) {
    rmSync(path, { force: true });
    throw error;
  } finally {
    if (typeof source === "number") closeSync(source);
    else source.destroy();
  }
}

/**
 * `csvPath` opened for reading without waiting: a pipe as a stream libuv polls (a blocking open or
 * read of one would hold a thread-pool thread until a writer came), anything else as a descriptor.
 * O_NONBLOCK is what lets a named pipe's open return with no writer yet; the stream waits for one
 * (Linux reports no hang-up to a reader until a writer has come and gone). A terminal (`/dev/stdin`
 * typed in) is a stream too: a read of it waits for someone to type, and no stop ended one blocked
 * in the thread pool. Another descriptor that is not a file (`/dev/null`) is opened again without
 * O_NONBLOCK, as its reads would fail.
 */
function openSource(csvPath: string): number | Socket {
  const fd = openSync(csvPath, constants.O_RDONLY | constants.O_NONBLOCK);
  let kind: "pipe" | "terminal" | "file" | "other";
  try {
    const stat = fstatSync(fd);
    kind = stat.isFIFO() ? "pipe" : isatty(fd) ? "terminal" : stat.isFile() ? "file" : "other";
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  if (kind === "pipe") return new Socket({ fd, readable: true, writable: false });
  if (kind === "terminal") return new ReadStream(fd);
  if (kind === "file") return fd;
  closeSync(fd);
  return openSync(csvPath, "r");
}

/** The bytes of `source` (see openSource), a chunk at a time; ends with `signal`'s reason when it is aborted. */
async function* chunksOf(source: number | Socket, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
  if (typeof source !== "number") {
    // Destroyed with the signal's reason, the stream's iterator throws it, waiting for a writer or not.
    const stop = () => source.destroy(signal!.reason as Error);
    signal?.addEventListener("abort", stop, { once: true });
    try {
      for await (const chunk of source) yield chunk as Buffer;
    } finally {
      signal?.removeEventListener("abort", stop);
    }
    return;
  }
  const buffer = Buffer.allocUnsafe(4 << 20);
  for (;;) {
    signal?.throwIfAborted();
    const n = await new Promise<number>((resolve, reject) => read(source, buffer, 0, buffer.length, null, (error, bytes) => (error ? reject(error) : resolve(bytes))));
    if (n === 0) return;
    yield buffer.subarray(0, n);
  }
}

/**
 * Removes everything in the uploads folder and returns how many files it removed. The API calls it
 * at start-up once it holds contacts.duckdb, whose lock proves no other API or direct load of this
 * data dir is loading one; on PostgreSQL, where those share the folder, it calls cleanStaleUploads.
 *
 * @example
 * ```ts
 * cleanUploads("data"); // 0
 * ```
 */
export function cleanUploads(dataDir: string): number {
  const dir = uploadsDir(dataDir);
  let removed = 0;
  for (const entry of readdirSync(dir)) {
    rmSync(join(dir, entry), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/** How old a copy in uploads/ must be to be anyone's leftover: no load waits or reads for that long. */
export const STALE_UPLOAD_MS = 6 * 60 * 60_000;

/**
 * Removes the copies in the uploads folder last written more than `maxAgeMs` ago (a load killed
 * after placing its copy, with no API start since to empty the folder) and returns how many. Each
 * contacts load calls it, and so does an API on PostgreSQL at start-up, where a younger copy may be
 * another process's running load.
 *
 * @example
 * ```ts
 * cleanStaleUploads("data"); // 1
 * ```
 */
export function cleanStaleUploads(dataDir: string, maxAgeMs = STALE_UPLOAD_MS, now = Date.now()): number {
  const dir = uploadsDir(dataDir);
  let removed = 0;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    try {
      if (now - statSync(path).mtimeMs <= maxAgeMs) continue;
      rmSync(path, { recursive: true, force: true });
      removed++;
    } catch {
      // Gone meanwhile (its load finished): nothing to do.
    }
  }
  return removed;
}
