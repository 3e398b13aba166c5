/**
 * When the API refreshes the analysts' Parquet copy of the contacts tables
 * (`<data dir>/exports/contacts/`, written by etl/contacts `exportContacts`): throttled, not per
 * write. After a commit, an export starts once the previous one STARTED at least `intervalMs` ago
 * (CONTACTS_EXPORT), so a write is in the files at most `intervalMs` plus one export's time after it
 * was acknowledged (two exports' time when one export takes longer than the interval). One export at
 * a time; it runs on a connection of its own, so writes never wait for it. At start-up the files are
 * written once if they are missing or hold other data than the database; at close, once more if
 * writes came after the last export, so a stopped API leaves current files.
 *
 * A failed export (folder not writable, disk full) fails nothing else: it is logged once per streak
 * of failures, the next commit tries again (or, with no writes, RETRY_MS later), and the files
 * already there stay as they were.
 */
import { contactsExportDir, readContactsExport, type ContactsExportResult } from "../../etl/contacts/mod.ts";
import type { ContactsStore } from "./contacts_store.ts";

/** After a failure with no write since, the next try (a disk that was full may have room again). */
const RETRY_MS = 60_000;

export interface ContactsExporterOptions {
  /** The data dir: the files go to `<dataDir>/exports/contacts/`. */
  dataDir: string;
  /** Least time between the starts of two exports (CONTACTS_EXPORT, above 0); 0 (tests only): after every commit. */
  intervalMs: number;
  /** Where a failure (once per streak) and the recovery after it are said. */
  log: (message: string) => void;
}

/** What the exporter did so far, for /metrics and tests. */
export interface ContactsExportStats {
  written: number;
  failed: number;
  /** The last export's outcome, if any ran. */
  last: ContactsExportResult | undefined;
}

/**
 * Keeps `<data dir>/exports/contacts/` within `intervalMs` (plus one export) of the committed data.
 *
 * @example
 * ```ts
 * const exporter = ContactsExporter.start(store, { dataDir: "data", intervalMs: 60_000, log: console.error });
 * // ... writes ...
 * await exporter.close(); // before store.close()
 * ```
 */
export class ContactsExporter {
  readonly dir: string;
  readonly stats: ContactsExportStats = { written: 0, failed: 0, last: undefined };
  readonly #store: ContactsStore;
  readonly #intervalMs: number;
  readonly #log: (message: string) => void;
  readonly #unsubscribe: () => void;
  /** The store's generation the files hold (-1: unknown, so the first check decides). */
  #exported = -1;
  /** The generation of the last failed attempt (a failure streak), or undefined. */
  #failedAt: number | undefined;
  /** performance.now() when the last export started. */
  #lastStart = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  /** performance.now() the timer fires at. */
  #timerDue = Infinity;
  #running: Promise<void> | undefined;
  #closed = false;
  #exportedAt: string | undefined;

  private constructor(store: ContactsStore, options: ContactsExporterOptions) {
    this.#store = store;
    this.dir = contactsExportDir(options.dataDir);
    this.#intervalMs = options.intervalMs;
    this.#log = options.log;
    this.#unsubscribe = store.onCommit(() => this.#schedule());
  }

  /** Starts watching `store`'s commits; checks the files at once, in the background. */
  static start(store: ContactsStore, options: ContactsExporterOptions): ContactsExporter {
    const exporter = new ContactsExporter(store, options);
    exporter.#track(exporter.#checkAtStart());
    return exporter;
  }

  /** When the snapshot in the files was taken (ISO 8601), found at start-up or written since; undefined when there is none. */
  get exportedAt(): string | undefined {
    return this.#exportedAt;
  }

  /** Stops scheduling, waits for a running export, and writes a last one if writes came after it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#running !== undefined) await this.#running;
    // Not during a streak of failures: a folder that refuses files must not slow the stop down.
    if (this.#store.generation !== this.#exported && this.#failedAt === undefined) await this.#export();
  }

  async #checkAtStart(): Promise<void> {
    const generation = this.#store.generation;
    // The files' age whether or not they are current: out of date, they are what analysts read
    // until an export succeeds, and a gauge absent while exports fail would hide that they age.
    // Not a set left incomplete: it may mix two exports, and holds neither as a whole.
    const found = readContactsExport(this.dir);
    if (found?.complete !== false) this.#exportedAt = found?.exported_at;
    try {
      if (await this.#store.exportIsCurrent(this.dir)) this.#exported = generation;
    } catch {
      // Unreadable: export, and let that say what is wrong.
    }
  }

  /** Starts the next export when one is due, or sets the timer for when it will be. */
  #schedule(): void {
    if (this.#closed || this.#running !== undefined) return;
    const generation = this.#store.generation;
    if (generation === this.#exported) return;
    let due = this.#lastStart + this.#intervalMs;
    // A failure and no write since: no tight loop of failing exports, whatever the interval. A
    // write since is the next trigger: it brings the attempt forward.
    if (this.#failedAt === generation) due = Math.max(due, this.#lastStart + RETRY_MS);
    if (this.#timer !== undefined) {
      if (due >= this.#timerDue) return;
      clearTimeout(this.#timer);
    }
    this.#timerDue = due;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed) this.#track(this.#export());
    }, Math.max(0, due - performance.now()));
    // A pending export never keeps the process alive; close() writes the last one.
    this.#timer.unref();
  }

  #track(work: Promise<void>): void {
    this.#running = work.finally(() => {
      this.#running = undefined;
      this.#schedule();
    });
  }

  async #export(): Promise<void> {
    this.#lastStart = performance.now();
    const generation = this.#store.generation;
    const result = await this.#store.exportTables(this.dir);
    this.stats.last = result;
    if (result.status === "written") {
      this.stats.written++;
      this.#exported = generation;
      this.#exportedAt = result.info.exported_at;
      if (this.#failedAt !== undefined) this.#log(`The contacts export in '${this.dir}' is written again (${result.info.rows.contacts ?? 0} contacts)`);
      this.#failedAt = undefined;
      return;
    }
    this.stats.failed++;
    // Once per streak: a full disk must not print a line per write.
    if (this.#failedAt === undefined) {
      this.#log(`${result.error.message}; the API and its writes go on, the files there stay as they were, and the next write tries again`);
    }
    this.#failedAt = generation;
  }
}
