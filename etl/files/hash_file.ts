/**
 * SHA-256 of a file computed on a worker thread, so hashing a big workbook overlaps with parsing it
 * on the main thread instead of adding to it.
 */
import { Worker } from "node:worker_threads";

// Plain CommonJS for `eval: true`: the worker needs no TypeScript loader. A descriptor is the
// caller's (worker threads share the process's descriptors): read from offset 0 whatever its
// position, and left open.
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const hash = createHash("sha256");
const own = typeof workerData === "string";
const fd = own ? fs.openSync(workerData, "r") : workerData;
try {
  const buffer = Buffer.allocUnsafe(1 << 20);
  for (let n, at = 0; (n = fs.readSync(fd, buffer, 0, buffer.length, at)) > 0; at += n) hash.update(buffer.subarray(0, n));
} finally {
  if (own) fs.closeSync(fd);
}
parentPort.postMessage(hash.digest("hex"));
`;

/**
 * Returns the hex SHA-256 of the file at `file`: a path, or a descriptor open for reading (which
 * stays open: close it once the promise settles). A descriptor hashes the file it was opened on,
 * even if its name was since removed or given to another file.
 *
 * @example
 * ```ts
 * await hashFile("data/relaciones.xlsx"); // "ca79d34d..."
 * ```
 */
export function hashFile(file: string | number): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: file });
    worker.once("message", (digest: string) => resolve(digest));
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`Hashing '${file}' stopped with exit code ${code}`));
    });
  });
}
