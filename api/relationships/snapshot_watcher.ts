/**
 * Keeps the latest published relationship snapshot open READ-ONLY and swaps to a new one within
 * a poll interval of the ETL's atomic rename. The swap is a pointer change: requests already using
 * the old file finish on it (reference count: a query, or a request holding it across its queries
 * and streamed body), and it is closed when the last one releases it.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Database } from "../../etl/db/mod.ts";
import { loadRelationshipModel, type RelationshipModel } from "./relationship_model.ts";
import { SNAPSHOT_MEMORY_MB } from "./snapshot_sql.ts";

/** One opened snapshot: its model and its read-only database, shared by requests. */
export class SnapshotHandle {
  readonly model: RelationshipModel;
  readonly identity: string;
  readonly #db: Database;
  #refs = 0;
  #retired = false;
  #queue: Promise<unknown> = Promise.resolve();
  /** Called once the database is closed (removes its spill folder). */
  readonly #onClose: (() => unknown) | undefined;

  constructor(db: Database, model: RelationshipModel, identity: string, onClose?: () => unknown) {
    this.#db = db;
    this.model = model;
    this.identity = identity;
    this.#onClose = onClose;
  }

  /**
   * Runs `fn` with the database, one query at a time (a DuckDB connection runs one statement at
   * a time), keeping the file open until it finishes even if a newer snapshot replaces it meanwhile.
   */
  query<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    const release = this.hold();
    const run = this.#queue.then(() => fn(this.#db));
    this.#queue = run.catch(() => {});
    return run.finally(release);
  }

  /**
   * Keeps the file open, even if a newer snapshot replaces it, until the returned function is
   * called (the first call releases; later ones do nothing). A request that makes several queries
   * holds it throughout: holding per query alone let a publication between two of them close the
   * file under the second.
   */
  hold(): () => void {
    this.#refs++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#refs--;
      this.#maybeClose();
    };
  }

  /** Runs `fn` holding the file open (`hold()`) until it settles. */
  async during<T>(fn: () => Promise<T>): Promise<T> {
    const release = this.hold();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /**
   * Returns `rows` holding the file open from now until they end, fail or are given up
   * (`return()`, as a cancelled response body does), whether or not they were ever read: a
   * streamed answer outlives its handler.
   */
  holding<T>(rows: AsyncIterable<T>): AsyncIterableIterator<T> {
    const release = this.hold();
    const inner = rows[Symbol.asyncIterator]();
    return {
      async next() {
        try {
          const step = await inner.next();
          if (step.done === true) release();
          return step;
        } catch (error) {
          release();
          throw error;
        }
      },
      async return(value?: unknown) {
        try {
          return (await inner.return?.(value)) ?? { done: true, value: undefined };
        } finally {
          release();
        }
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** Marks the handle replaced; it closes as soon as nothing holds it. */
  retire(): void {
    this.#retired = true;
    this.#maybeClose();
  }

  #maybeClose(): void {
    if (!this.#retired || this.#refs !== 0) return;
    this.#db.close();
    this.#onClose?.();
  }
}

/**
 * Returns `read` remembered per snapshot: its answer is computed on first use and kept while the
 * snapshot is (the file never changes); a failed read is forgotten, so the next call tries again.
 *
 * @example
 * ```ts
 * const countOf = oncePerSnapshot((handle) => handle.query((db) => db.one("SELECT count(*) AS n FROM actors")));
 * await countOf(handle); // read once; the same promise afterwards
 * ```
 */
export function oncePerSnapshot<T>(read: (handle: SnapshotHandle) => Promise<T>): (handle: SnapshotHandle) => Promise<T> {
  const kept = new WeakMap<RelationshipModel, Promise<T>>();
  return (handle) => {
    let answer = kept.get(handle.model);
    if (answer === undefined) {
      answer = read(handle);
      kept.set(handle.model, answer);
      answer.catch(() => kept.delete(handle.model));
    }
    return answer;
  };
}

/** Polling interval and hooks of a SnapshotWatcher. */
export interface WatcherOptions {
  /** How often to stat the file (default 250 ms; the contract allows up to 500). */
  pollMs?: number;
  /** Told about a snapshot that could not be opened (the old one keeps serving). */
  onError?: (error: unknown) => void;
  /** Bytes of answers kept per snapshot (default `ANSWER_CACHE_BYTES`, 64 MiB). */
  cacheBytes?: number;
  /** DuckDB's memory budget for each opened snapshot, in MiB (default `SNAPSHOT_MEMORY_MB`, 512). */
  memoryMb?: number;
}

/**
 * Watches `<data-dir>/relationships.duckdb`.
 *
 * @example
 * ```ts
 * const watcher = await SnapshotWatcher.start("data/relationships.duckdb");
 * watcher.current()?.model.actors.size
 * await watcher.close();
 * ```
 */
export class SnapshotWatcher {
  readonly path: string;
  #current: SnapshotHandle | undefined;
  #timer: NodeJS.Timeout | undefined;
  #loading: Promise<void> | undefined;
  #failedIdentity: string | undefined;
  #failedAt = 0;
  /** Why the file at `path` does not open (the first line of DuckDB's error), while it does not. */
  #failure: string | undefined;
  #options: WatcherOptions;
  #closed = false;

  private constructor(path: string, options: WatcherOptions) {
    this.path = path;
    this.#options = options;
  }

  /** Opens the snapshot if it exists and starts polling for replacements. */
  static async start(path: string, options: WatcherOptions = {}): Promise<SnapshotWatcher> {
    const watcher = new SnapshotWatcher(path, options);
    await watcher.check();
    watcher.#timer = setInterval(() => void watcher.check(), options.pollMs ?? 250);
    watcher.#timer.unref();
    return watcher;
  }

  /** The snapshot being served, or undefined when none has been published yet. */
  current(): SnapshotHandle | undefined {
    return this.#current;
  }

  /**
   * Why the published file cannot be read (corrupt, not a snapshot of ours), or undefined when it
   * can, or there is none: a missing file is "not published yet", an unreadable one is not. Set
   * whether or not a previous snapshot is still served (`current()`), until a file opens. Fit for
   * clients (the 503s, /readyz): the first line of DuckDB's message, at most 300 characters, with the
   * file's path on the server replaced by its name (onError gets the whole error, path included).
   */
  unreadable(): string | undefined {
    return this.#failedIdentity === undefined ? undefined : this.#failure;
  }

  #listeners: ((handle: SnapshotHandle) => void)[] = [];

  /**
   * Calls `listener` with every snapshot that starts being served, the current one included, so
   * work that depends only on the snapshot (the packed matrix) can be done before anyone asks.
   */
  onServe(listener: (handle: SnapshotHandle) => void): void {
    this.#listeners.push(listener);
    if (this.#current !== undefined) listener(this.#current);
  }

  /** Stats the file and reloads it when its inode, mtime or size changed. Resolves when done. */
  check(): Promise<void> {
    this.#loading ??= this.#check().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #check(): Promise<void> {
    if (this.#closed) return;
    let identity: string;
    try {
      const stat = statSync(this.path, { bigint: true });
      identity = `${stat.ino}-${stat.mtimeNs}-${stat.size}`;
    } catch {
      // Not published yet (or mid-rename on an odd filesystem): keep what we have. A file that
      // failed to open and is gone is no longer "unreadable": nothing is published.
      this.#failedIdentity = undefined;
      this.#failure = undefined;
      return;
    }
    if (identity === this.#current?.identity) return;
    // A file that failed to open is retried every 2 s (a transient error must not stick), not every poll.
    if (identity === this.#failedIdentity && Date.now() - this.#failedAt < 2000) return;
    let db: Database | undefined;
    // Where DuckDB spills past its budget: a read-only file still needs a writable folder, and one
    // per opened snapshot, as a retired one may still be answering beside the new.
    let spill: string | undefined;
    const removeSpill = () => spill !== undefined && rmSync(spill, { recursive: true, force: true });
    try {
      spill = mkdtempSync(join(tmpdir(), "relationships-spill-"));
      const memoryMb = this.#options.memoryMb ?? SNAPSHOT_MEMORY_MB;
      db = await Database.open(this.path, { readOnly: true, settings: { threads: "1", memory_limit: `${memoryMb}MiB`, temp_directory: spill } });
      const tag = Number(BigInt.asUintN(48, BigInt("0x" + hash(identity)))).toString(36);
      const model = await loadRelationshipModel(db, tag, this.#options.cacheBytes);
      if (this.#closed) {
        db.close();
        removeSpill();
        return;
      }
      const previous = this.#current;
      this.#current = new SnapshotHandle(db, model, identity, removeSpill);
      this.#failedIdentity = undefined;
      this.#failure = undefined;
      previous?.retire();
      for (const listener of this.#listeners) listener(this.#current);
    } catch (error) {
      db?.close();
      removeSpill();
      if (this.#failedIdentity !== identity) this.#options.onError?.(error);
      this.#failedIdentity = identity;
      this.#failedAt = Date.now();
      this.#failure = (error instanceof Error ? error.message : String(error)).split("\n")[0].replaceAll(this.path, basename(this.path)).slice(0, 300);
    }
  }

  /** Stops polling and closes the snapshot once in-flight queries finish. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#loading;
    this.#current?.retire();
    this.#current = undefined;
  }
}

function hash(text: string): string {
  // FNV-1a 64-bit: a short, stable tag for ETags; not security-relevant.
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = BigInt.asUintN(64, h * 0x100000001b3n);
  }
  return h.toString(16);
}
