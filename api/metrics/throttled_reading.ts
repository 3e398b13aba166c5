/**
 * A figure too costly to read on every scrape: the contacts count scans the table (0.3-0.55 s of
 * PostgreSQL's time at 803k contacts, growing with them), and with a scrape every 15 s from each
 * of several Prometheus servers it would cost the database a share of a core that grows with the
 * data. It is read again only once the last try is `everyMs` old, one reading at a time, whether
 * that try answered or not: a count that fails at the statement timeout is not started again on the
 * next scrape. A value that no reading has confirmed for three intervals is no longer given.
 */
export class ThrottledReading<T> {
  readonly #read: () => Promise<T | undefined>;
  readonly #everyMs: number;
  readonly #now: () => number;
  #value: T | undefined;
  #valueAt = -Infinity;
  #triedAt = -Infinity;
  #reading: Promise<T | undefined> | undefined;

  /**
   * `read` resolves undefined for a failure that says nothing new (the database does not answer):
   * the last value is kept, and the next reading is `everyMs` after this one began.
   */
  constructor(read: () => Promise<T | undefined>, everyMs: number, now: () => number = () => performance.now()) {
    this.#read = read;
    this.#everyMs = everyMs;
    this.#now = now;
  }

  /**
   * The newest value read, unless it is three intervals old. When the last reading began `everyMs`
   * ago or more (or none did) a reading starts, and this waits for it up to `waitMs`; past that it
   * answers the value it has, and the reading goes on for a later call. A reading that rejects
   * rejects the calls waiting for it.
   *
   * @example
   * ```ts
   * const count = new ThrottledReading(() => store.count(), 60_000);
   * const contacts = await count.get(5_000);
   * ```
   */
  get(waitMs: number): Promise<T | undefined> {
    if (this.#reading === undefined && this.#now() - this.#triedAt >= this.#everyMs) {
      const startedAt = this.#now();
      this.#triedAt = startedAt;
      const reading = this.#read().then((value) => {
        if (value !== undefined) {
          this.#value = value;
          this.#valueAt = startedAt;
        }
        return this.#current();
      });
      this.#reading = reading;
      // Nobody may be waiting any more (the calls gave up at `waitMs`): its failure is theirs or no one's.
      reading.catch(() => undefined).finally(() => (this.#reading = undefined));
    }
    const reading = this.#reading;
    if (reading === undefined) return Promise.resolve(this.#current());
    return answerWithin(waitMs, reading).then((value) => value ?? this.#current());
  }

  #current(): T | undefined {
    return this.#everyMs === 0 || this.#now() - this.#valueAt < 3 * this.#everyMs ? this.#value : undefined;
  }
}

/**
 * `work`'s value, or undefined when it has not settled within `ms` (it keeps running; a later
 * rejection is handled by the race). What a scrape waits for the database at most.
 *
 * @example
 * ```ts
 * const up = (await answerWithin(5_000, store.probe().then(() => true))) === true;
 * ```
 */
export function answerWithin<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
