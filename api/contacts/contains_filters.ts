/**
 * The trigram filters (trigram_blocks.ts) of every column a `contains()` filter reads, as the
 * DuckDB engine keeps them: the ones in use, and the next ones while a build reads the table.
 *
 * They must hold every value a reader can see. So a write records its rows before its COMMIT, in
 * both; a build starts its read snapshot while the writer is held (between two commits), so every
 * write is either in that snapshot or recorded in the build; and an import, which rewrites rows
 * wholesale, puts the filters out of use before it writes, until the build after it is done.
 */
import type { IdRanges } from "../../etl/contacts/mod.ts";
import type { Row } from "../../etl/db/mod.ts";
import { TrigramBlocks } from "./trigram_blocks.ts";

/**
 * Memory for one column's filters at most. Measured at 1M contacts (728k, blocks of 128 ids) with
 * the bench's rare `q` (random text of 7 characters, 5 trigrams): 99.5% of them narrowed to no
 * contact at 8 MiB, 99.1-99.7% at 16-32 MiB; company texts like `inc3`, 90% at any size.
 */
export const FILTER_BYTES = 8 * 2 ** 20;

/** One build's filters, one per column. */
export type Build = Map<string, TrigramBlocks>;

export class ContainsFilters {
  readonly columns: readonly string[];
  readonly #maxBytes: number;
  #live: Build | undefined;
  #next: Build | undefined;

  constructor(columns: readonly string[], maxBytes = FILTER_BYTES) {
    this.columns = columns;
    this.#maxBytes = maxBytes;
  }

  /** In use (a build has finished since the last import). */
  get ready(): boolean {
    return this.#live !== undefined;
  }

  /** Bytes of the filters in use (0 while there are none; a build holds as much again while it runs). */
  get bytes(): number {
    let n = 0;
    for (const f of this.#live?.values() ?? []) n += f.bytes;
    return n;
  }

  /** Whether writes must be recorded (filters in use, or a build). */
  get recording(): boolean {
    return this.#live !== undefined || this.#next !== undefined;
  }

  /**
   * Moves on whenever the filters in use are replaced (an import, a build done): ranges taken before
   * and after do not compare, as new filters need not hold what the old ones did.
   */
  epoch = 0;

  /** Out of use, and any build abandoned: rows are about to change without being recorded. */
  invalidate(): void {
    this.epoch++;
    this.#live = undefined;
    this.#next = undefined;
  }

  /** A new build, ids up to `maxId` reserved; writes from now on are recorded in it too. */
  begin(maxId: number): Build {
    const build: Build = new Map(this.columns.map((c) => [c, new TrigramBlocks(this.#maxBytes)]));
    for (const f of build.values()) f.reserve(maxId);
    this.#next = build;
    return build;
  }

  /** Whether `build` is still the one wanted (no import or newer build came since it began). */
  current(build: Build): boolean {
    return this.#next === build;
  }

  /** Puts `build` in use once it has read every row, unless it was abandoned meanwhile. */
  finish(build: Build): boolean {
    if (this.#next !== build) return false;
    this.epoch++;
    this.#live = build;
    this.#next = undefined;
    return true;
  }

  /** Drops `build` after it failed: writes stop recording in it (the filters in use, if any, stay). */
  abandon(build: Build | undefined): void {
    if (build !== undefined && this.#next === build) this.#next = undefined;
  }

  /** Rows (id and the columns) read by a build into `build`. */
  fill(build: Build, rows: readonly Row[]): void {
    for (const [column, f] of build) for (const row of rows) f.add(Number(row.id), String(row[column] ?? ""));
  }

  /** Rows just written (before their commit), into the filters in use and a build. */
  record(rows: readonly Row[]): void {
    if (this.#live !== undefined) this.fill(this.#live, rows);
    if (this.#next !== undefined) this.fill(this.#next, rows);
  }

  /** Times narrow() gave ranges (tests see the filters used). */
  narrowed = 0;

  /** The ids whose `column` may contain `text`; undefined when the filters cannot say (not built, or too wide). */
  narrow(column: string, text: string): IdRanges | undefined {
    const ranges = this.#live?.get(column)?.narrow(text);
    if (ranges !== undefined) this.narrowed++;
    return ranges;
  }
}
