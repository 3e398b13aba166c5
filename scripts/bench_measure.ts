// What the benchmarks share: each measurement runs in a child process (so peak RSS is its own) and
// prints one JSON line, and the "floor" every read is compared with is inflating the sheet's ZIP
// entry and doing nothing else. The entry is found with a tiny central-directory scan of its own:
// locating it with the reader's ZIP code would make the floor depend on the code being measured.
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInflateRaw } from "node:zlib";
import { replaceFile } from "../etl/files/mod.ts";
import { readSettings } from "../etl/settings/mod.js";

/**
 * Makes this benchmark's failure print its message and exit 1, as the other commands do, instead of
 * Node's stack trace around it; runChild() and timeCommand() already say which run failed and why.
 * An error of another class than Error (a TypeError: a bug here) keeps its stack, for the fix; a
 * flag parseArgs refuses exits 2.
 *
 * @example
 * ```ts
 * reportFailures();
 * await main();
 * ```
 */
export function reportFailures(): void {
  process.on("uncaughtException", (error) => {
    // parseArgs' TypeErrors are the person's flags, not a bug: a usage error, as bench.ts's own.
    if (/^ERR_PARSE_ARGS_/.test(String((error as NodeJS.ErrnoException).code))) {
      console.error(`${error.message} (npm run bench -- --help)`);
      process.exit(2);
    }
    console.error(error instanceof Error && error.constructor === Error ? error.message : error);
    process.exit(1);
  });
}

/**
 * The number a flag's text gives: a finite number at least `min` (whole when `integer`), or a usage
 * error naming the flag (exit 2 under reportFailures()); before, `--repeat x` ran on into NaN figures.
 *
 * @example
 * ```ts
 * numberFlag("seconds", values.seconds!, { min: 0.1 }); // 3
 * ```
 */
export function numberFlag(name: string, text: string, options: { min: number; integer?: boolean }): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < options.min || (options.integer === true && !Number.isInteger(value))) {
    const error = new TypeError(`--${name} must be ${options.integer ? "a whole number" : "a number"} of at least ${options.min}; got '${text.slice(0, 40)}'`) as TypeError & { code: string };
    error.code = "ERR_PARSE_ARGS_INVALID_OPTION_VALUE";
    throw error;
  }
  return value;
}

/** Peak RSS and CPU time of this process so far. */
export interface Usage {
  cpuSeconds: number;
  maxRssMb: number;
}

/**
 * Returns this process's CPU seconds and peak RSS (MB), for a child's JSON line.
 *
 * @example
 * ```ts
 * process.stdout.write(JSON.stringify({ seconds, ...usage() }) + "\n");
 * ```
 */
export function usage(): Usage {
  const u = process.resourceUsage();
  return { cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6, maxRssMb: u.maxRSS / 1024 };
}

/**
 * Inflates the ZIP entry `entry` of `file` and discards it; returns the inflated byte count. This
 * is the floor: no reader can be faster than inflating what it reads.
 *
 * @example
 * ```ts
 * await inflateFloor(".bench/relaciones-3000-seed7.xlsx"); // 237_800_000
 * ```
 */
export async function inflateFloor(file: string, entry = "xl/worksheets/sheet1.xml"): Promise<number> {
  const { start, size } = await entryRange(file, entry);
  const inflate = createInflateRaw({ chunkSize: 128 * 1024 });
  createReadStream(file, { start, end: start + size - 1, highWaterMark: 256 * 1024 }).pipe(inflate);
  let bytes = 0;
  for await (const chunk of inflate as AsyncIterable<Buffer>) bytes += chunk.length;
  return bytes;
}

/**
 * Returns the data offset and compressed size of the ZIP entry `entry` (ZIP64 records included).
 *
 * @example
 * ```ts
 * await entryRange("m.xlsx", "xl/worksheets/sheet1.xml"); // { start: 1123, size: 24_000_000 }
 * ```
 */
export async function entryRange(file: string, entry: string): Promise<{ start: number; size: number }> {
  const h = await open(file, "r");
  try {
    const { size } = await h.stat();
    const tailLen = Math.min(size, 65557 + 20);
    const tail = Buffer.alloc(tailLen);
    await h.read(tail, 0, tailLen, size - tailLen);
    const e = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 5, 6]));
    if (e < 0) throw new Error(`${file} is not a ZIP archive`);
    let cdOffset = tail.readUInt32LE(e + 16);
    let cdSize = tail.readUInt32LE(e + 12);
    if (e >= 20 && tail.readUInt32LE(e - 20) === 0x07064b50) {
      // ZIP64 end of central directory: the real size and offset live there.
      const rec = Buffer.alloc(56);
      await h.read(rec, 0, 56, Number(tail.readBigUInt64LE(e - 12)));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
    const cd = Buffer.alloc(cdSize);
    await h.read(cd, 0, cdSize, cdOffset);
    for (let p = 0; p < cd.length; ) {
      let csize = cd.readUInt32LE(p + 20);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      let local = cd.readUInt32LE(p + 42);
      const name = cd.toString("utf8", p + 46, p + 46 + nameLen);
      if (csize === 0xffffffff || local === 0xffffffff) {
        let f = p + 46 + nameLen + 4; // ZIP64 extra: uncompressed, compressed, offset (those that overflowed)
        if (cd.readUInt32LE(p + 24) === 0xffffffff) f += 8;
        if (csize === 0xffffffff) (csize = Number(cd.readBigUInt64LE(f))), (f += 8);
        if (local === 0xffffffff) local = Number(cd.readBigUInt64LE(f));
      }
      if (name === entry) {
        const lh = Buffer.alloc(30);
        await h.read(lh, 0, 30, local);
        return { start: local + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28), size: csize };
      }
      p += 46 + nameLen + extraLen + cd.readUInt16LE(p + 32);
    }
    throw new Error(`No ${entry} in ${file}`);
  } finally {
    await h.close();
  }
}

/**
 * Runs `script --child ...args` in a fresh Node process and returns the JSON of its last stdout
 * line. A failing child throws with the tail of its stderr (no stack frames).
 *
 * @example
 * ```ts
 * const floor = runChild<{ seconds: number }>(import.meta.url, ["floor", file]);
 * ```
 */
export function runChild<T>(script: string | URL, args: string[]): T {
  const path = fileURLToPath(script);
  const r = spawnSync(process.execPath, [...process.execArgv, path, "--child", ...args], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) {
    const why = r.stderr.split("\n").filter((line) => line.trim() && !/^\s+at |^Node\.js v/.test(line)).slice(-5).join("\n");
    throw new Error(`The ${args[0]} run failed (exit ${r.status ?? r.signal}):\n${why}`);
  }
  return JSON.parse(r.stdout.trim().split("\n").pop() as string) as T;
}

/**
 * Runs `measureOnce` `repeats` times for each of the named modes, alternating between them so disk
 * cache and CPU load treat them alike, and returns the fastest result of each mode.
 *
 * @example
 * ```ts
 * const { floor, read } = bestOf(3, ["floor", "read"], (mode) => runChild(import.meta.url, [mode, file]));
 * ```
 */
export function bestOf<M extends string, T extends { seconds: number }>(repeats: number, modes: readonly M[], measureOnce: (mode: M) => T): Record<M, T> {
  const best = {} as Record<M, T>;
  for (let k = 0; k < repeats; k++) {
    for (const mode of modes) {
      const m = measureOnce(mode);
      if (!best[mode] || m.seconds < best[mode].seconds) best[mode] = m;
    }
  }
  return best;
}

/** bestOf() for measurements that are promises; the best seconds of each mode. */
export async function bestOfAsync<M extends string, T extends { seconds: number }>(repeats: number, modes: readonly M[], measureOnce: (mode: M) => Promise<T>): Promise<Record<M, number>> {
  const best = {} as Record<M, number>;
  for (let k = 0; k < repeats; k++) {
    for (const mode of modes) {
      const { seconds } = await measureOnce(mode);
      if (best[mode] === undefined || seconds < best[mode]) best[mode] = seconds;
    }
  }
  return best;
}

/** The middle value of `values` (the upper one of the two middles for an even count). */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1];
}

/**
 * The generated `actors`-actor workbook the etl and dashboard benches share, kept in BENCH_DIR
 * (minutes to write at 16,384 actors): its path, and how long writing it took (null: it was there).
 */
export async function benchWorkbook(actors: number): Promise<{ file: string; generatedSeconds: number | null }> {
  const cache = readSettings("bench").benchDir;
  mkdirSync(cache, { recursive: true });
  const file = join(cache, `relaciones-${actors}-seed7.xlsx`);
  if (existsSync(file)) return { file, generatedSeconds: null };
  const { writeXlsxFile } = await import("./testing/xlsx_writer.ts");
  const { matrixWorkbook } = await import("./testing/matrix_workbook.ts");
  const t0 = performance.now();
  await writeXlsxFile(`${file}.partial`, matrixWorkbook({ actors, seed: 7 }));
  replaceFile(`${file}.partial`, file);
  return { file, generatedSeconds: (performance.now() - t0) / 1000 };
}

/** What `timeCommand()` measured. */
export interface CommandMeasure {
  seconds: number;
  /** Peak RSS of the largest process of the command (via GNU time), null where that is not installed. */
  maxRssMb: number | null;
  status: number | null;
}

const GNU_TIME = "/usr/bin/time";

/**
 * Runs `command args` to completion with its output discarded and returns its wall time and, when
 * GNU time is installed, the peak RSS of the largest process it ran (for `npm run etl` that is the
 * ETL's Node, not npm). A command that fails, or cannot be run, throws naming it: the time of a
 * failure is not a figure (a broken `--help` would print as a fast start-up).
 *
 * @example
 * ```ts
 * timeCommand("unzip", ["-p", "m.xlsx", "xl/worksheets/sheet1.xml"]); // { seconds: 1.04, maxRssMb: 3, status: 0 }
 * ```
 */
export function timeCommand(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CommandMeasure {
  const timed = existsSync(GNU_TIME);
  const dir = timed ? mkdtempSync(join(tmpdir(), "bench-time-")) : null;
  try {
    const out = dir ? join(dir, "time.txt") : "";
    const [file, argv] = dir ? [GNU_TIME, ["-f", "%M", "-o", out, command, ...args]] : [command, args];
    const started = performance.now();
    const r = spawnSync(file, argv, { cwd: options.cwd, env: options.env, stdio: "ignore" });
    const seconds = (performance.now() - started) / 1000;
    const what = [command, ...args].join(" ");
    if (r.error) throw new Error(`${what} could not be run: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`${what} exited ${r.status ?? r.signal}`);
    const kb = dir ? Number(readFileSync(out, "utf8").trim().split("\n").at(-1)) : NaN;
    return { seconds, maxRssMb: Number.isFinite(kb) ? kb / 1024 : null, status: r.status };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * True when `command` can be run (found on PATH).
 *
 * @example
 * ```ts
 * hasCommand("unzip"); // true on most Linux machines
 * ```
 */
export function hasCommand(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}
