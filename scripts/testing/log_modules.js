// `node --import ./scripts/testing/log_modules.js ...` appends every module the process loads (ESM
// resolutions through a loader hook, CommonJS `require` through Module._load) to the file named
// by LOG_MODULES, one URL or specifier a line. Tests use it to check what a command did NOT load
// (the DuckDB driver, the reader) without timing anything.
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";
import { isMainThread } from "node:worker_threads";

const log = process.env.LOG_MODULES;

/**
 * The loader hook (runs on Node's hooks thread): logs each resolved URL.
 * @param {string} specifier
 * @param {unknown} context
 * @param {(specifier: string, context: unknown) => Promise<{ url: string }>} next
 */
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (log) appendFileSync(log, `${result.url}\n`);
  return result;
}

if (isMainThread && log) {
  register(import.meta.url);
  const Module = /** @type {{ _load: (request: string, ...rest: unknown[]) => unknown }} */ (createRequire(import.meta.url)("node:module"));
  const load = Module._load;
  Module._load = function (request, ...rest) {
    appendFileSync(log, `require:${request}\n`);
    return load.call(this, request, ...rest);
  };
}
