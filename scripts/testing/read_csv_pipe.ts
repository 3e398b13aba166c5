/**
 * A contacts load held provably in the middle of its DuckDB staging, for the tests of what stops it:
 * the staging's read_csv is given a named pipe the test feeds instead of the file, so the statement
 * is running (DuckDB holds the pipe open, half the bytes read) and cannot end before the test lets
 * it, however fast or slow the machine. The load's own Database class is patched, as
 * scripts/testing/stop_at.ts does (modules are instances per URL: these are the classes it uses).
 */
import { execFileSync } from "node:child_process";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { Database } from "../../etl/db/mod.ts";

/** What readCsvThroughPipe() returns. */
export interface PipedReadCsv {
  /** "finished", or the error message the read_csv statement failed with; undefined until it has ended. */
  readonly outcome: string | undefined;
  /** Puts Database.prototype.run back (safe to call twice). */
  restore(): void;
}

/**
 * Patches Database.prototype.run until `restore()`: the next statement that reads with read_csv
 * reads `bytes` through a named pipe made in `dir`. Once DuckDB has opened it and been given the
 * first half, `midway()` is called; the second half is written once it has resolved, and the pipe
 * closed.
 *
 * @example
 * ```ts
 * const read = readCsvThroughPipe(dir, readFileSync(csv), () => controller.abort(stop));
 * try { await ingestContactsPostgres(pg, csv, { signal: controller.signal }); } finally { read.restore(); }
 * assert.match(read.outcome ?? "", /^INTERRUPT Error/);
 * ```
 */
export function readCsvThroughPipe(dir: string, bytes: Uint8Array, midway: () => void | Promise<void>): PipedReadCsv {
  const pipe = join(dir, `read-through-${process.pid}-${Date.now()}.pipe`);
  execFileSync("mkfifo", [pipe]);
  const run = Database.prototype.run;
  let outcome: string | undefined;
  let started = false;
  Database.prototype.run = async function (this: Database, sql, params) {
    if (started || !/FROM read_csv\(/.test(sql)) return run.call(this, sql, params);
    started = true;
    const statement = run.call(this, sql, [pipe]).then(
      () => undefined,
      (error: Error) => error,
    );
    const writer = await open(pipe, "w"); // opened once DuckDB opened the pipe: the statement runs
    try {
      await writer.write(bytes.subarray(0, bytes.length >> 1));
      await midway();
      await writer.write(bytes.subarray(bytes.length >> 1));
    } finally {
      await writer.close();
    }
    const error = await statement;
    outcome = error?.message ?? "finished";
    if (error !== undefined) throw error;
  } as typeof run;
  return {
    get outcome() {
      return outcome;
    },
    restore: () => {
      Database.prototype.run = run;
    },
  };
}
