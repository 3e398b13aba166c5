/**
 * Calls the function `name` exported by the module at `url` with `args` on a worker thread and
 * resolves to what it returns; `within(ms, ...)` bounds it. For the tests of work that must take
 * linear time: a quadratic regular expression blocks the thread it runs on, so on the test's own
 * thread no deadline could fire, while a worker is stopped when the deadline passes. Arguments and
 * the result are copied (structured clone).
 *
 * @example
 * ```ts
 * const trimmed = await inWorker(60_000, new URL("./trim_unseen.js", import.meta.url), "trimUnseen", [" a "]);
 * ```
 */
import { Worker } from "node:worker_threads";
import { within } from "./within.ts";

export async function inWorker(ms: number, url: URL, name: string, args: unknown[]): Promise<unknown> {
  const worker = new Worker(CALL, { eval: true, workerData: { tsx: import.meta.resolve("tsx/esm/api"), url: url.href, name, args } });
  const done = new Promise<unknown>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the worker calling ${name}() exited with code ${code} before answering`)));
  });
  try {
    return await within(ms, `${name}() on a worker thread`, done);
  } finally {
    await worker.terminate();
  }
}

const CALL = `
const { parentPort, workerData } = require("node:worker_threads");
// The worker starts without the loader of TypeScript the test runs under.
import(workerData.tsx).then((tsx) => tsx.tsImport(workerData.url, workerData.url)).then((m) => parentPort.postMessage(m[workerData.name](...workerData.args)));
`;
