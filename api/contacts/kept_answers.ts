/**
 * Answers of read queries (a page's keys, a count, the departments' counts) kept for the next asker,
 * in an LRU bounded by bytes, so no client grows the server's memory by asking many different
 * questions. Those asked while one is being read share that reading. `clear()` (every commit of this
 * process) forgets them all, and a reading that began before it is not kept.
 *
 * Where other processes write too (PostgreSQL), their commits are not heard: there an answer is kept
 * `minAgeMs`, or 20 times as long as it took to read when that is longer, but never past `maxAgeMs`.
 * So their writes show within that, and up to `maxAgeMs` re-reading an answer takes at most a
 * twentieth of the database's time per question asked without pause, however slow it grows.
 */
import { ByteLru } from "./byte_lru.ts";

export class KeptAnswers {
  readonly #kept: ByteLru<string, { answer: unknown; until: number }>;
  readonly #asked = new Map<string, Promise<unknown>>();
  readonly #expiry: { minAgeMs: number; maxAgeMs: number } | undefined;
  readonly #reads = { asked: 0, read: 0 };
  readonly #now: () => number;
  #generation = 0;

  /** `expiry` undefined: kept until `clear()` (one writer, DuckDB). `maxBytes` 0 keeps nothing and shares no reading. */
  constructor(maxBytes: number, expiry?: { minAgeMs: number; maxAgeMs: number }, now: () => number = () => performance.now()) {
    this.#kept = new ByteLru(maxBytes);
    this.#expiry = expiry;
    this.#now = now;
  }

  /**
   * The answer for `key`: kept, or the reading under way, or read now by `read` and kept at `size`
   * bytes beyond its key unless a `clear()` came meanwhile.
   *
   * @example
   * ```ts
   * const total = await answers.get(JSON.stringify([sql, params]), () => 0, () => countNow());
   * ```
   */
  async get<T>(key: string, size: (answer: T) => number, read: () => Promise<T>): Promise<T> {
    this.#reads.asked++;
    if (this.#kept.maxBytes === 0) {
      this.#reads.read++;
      return read();
    }
    const kept = this.#kept.get(key);
    const startedAt = this.#now();
    if (kept !== undefined && startedAt < kept.until) return kept.answer as T;
    const asked = this.#asked.get(key);
    if (asked !== undefined) return asked as Promise<T>;
    const generation = this.#generation;
    this.#reads.read++;
    const reading = read();
    this.#asked.set(key, reading);
    try {
      const answer = await reading;
      if (generation === this.#generation) {
        const now = this.#now();
        const expiry = this.#expiry;
        const until = expiry === undefined ? Infinity : now + Math.min(expiry.maxAgeMs, Math.max(expiry.minAgeMs, 20 * (now - startedAt)));
        this.#kept.set(key, { answer, until }, key.length * 2 + size(answer));
      }
      return answer;
    } finally {
      if (this.#asked.get(key) === reading) this.#asked.delete(key);
    }
  }

  /** Forgets every answer (a commit): readings under way are not kept either. */
  clear(): void {
    this.#kept.clear();
    this.#asked.clear();
    this.#generation++;
  }

  /** What is kept, and how many answers were asked for and how many were read. */
  stats(): { entries: number; bytes: number; maxBytes: number; asked: number; read: number } {
    return { ...this.#kept.stats(), ...this.#reads };
  }
}
