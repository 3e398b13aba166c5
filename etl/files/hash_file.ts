/**
 * SHA-256 of a file computed on a worker thread, so hashing a big workbook overlaps with parsing it
 * on the main thread instead of adding to it.
 */
import { Worker } from "node:worker_threads";

// Plain CommonJS for `eval: true`: the worker needs no TypeScript loader.
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const hash = createHash("sha256");
const fd = fs.openSync(workerData, "r");
try {
  const buffer = Buffer.allocUnsafe(1 << 20);
  for (let n; (n = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, n));
} finally {
  fs.closeSync(fd);
}
parentPort.postMessage(hash.digest("hex"));
`;

/**
 * Returns the hex SHA-256 of the file at `path`.
 *
 * @example
 * ```ts
 * await hashFile("data/relaciones.xlsx"); // "ca79d34d..."
 * ```
 */
export function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: path });
    worker.once("message", (digest: string) => resolve(digest));
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`Hashing '${path}' stopped with exit code ${code}`));
    });
  });
}
