/**
 * How long a group (of writes to commit, or of point reads) waits for the members it expects before
 * it starts: group commit's patience.
 *
 * A queue served one group at a time splits its clients into cohorts that take turns: the clients
 * one group answered send their next requests while the other group runs, so with 32 clients the
 * groups hold ~16 each, and a group costs nearly as much for 16 as for 32 (its statements and
 * COMMIT, not its rows, cost most). A Cohort remembers how many were in flight (queued plus the
 * running group) while the last group ran, and lets the next group wait, at most `maxWaitMs`, until
 * that many are queued. A client alone is never kept waiting (the peak it leaves is 1), and when
 * clients stop coming the expectation falls to those that came. A group that left members queued
 * (more in flight than a group takes) lets the next start at once: those it waits for would be
 * the answered clients of groups still ahead of it.
 *
 * Members are requests, not what they ask for: 32 reads of one contact are 32 (a group reads the
 * contact once).
 *
 * The price is paid at light load: a few clients with pauses between requests sometimes leave a
 * group waiting for one that does not come (a median point read 1.5-2 ms slower, measured with two
 * such readers), bounded by `maxWaitMs`.
 */
export class Cohort {
  readonly #maxWaitMs: number;
  readonly #max: number;
  /** Members in the running groups. */
  #running = 0;
  /** Most members in flight (queued and running) since the last group started. */
  #peak = 0;
  /** How many the next group waits for. */
  #expected = 1;
  /** The last group left members queued (more were in flight than a group takes): no wait then. */
  #backlog = false;
  /** Set while a group waits: ends the wait. */
  #wake: (() => void) | undefined;

  /** `max`: the largest group there can be (the expectation never exceeds it). */
  constructor(maxWaitMs: number, max: number) {
    this.#maxWaitMs = maxWaitMs;
    this.#max = max;
  }

  /** A member was queued; `queued` wait now in all. */
  arrived(queued: number): void {
    this.#peak = Math.max(this.#peak, queued + this.#running);
    if (this.#wake !== undefined && queued >= this.#expected) this.#wake();
  }

  /** Resolves when `queued()` reaches the expected size, or after maxWaitMs. */
  async gather(queued: () => number): Promise<void> {
    // Behind a backlog the clients of the groups ahead are not coming back before this one runs.
    if (this.#backlog || queued() >= this.#expected) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      timer = setTimeout(resolve, this.#maxWaitMs);
    });
    clearTimeout(timer);
    this.#wake = undefined;
    this.#expected = Math.max(1, Math.min(this.#expected, queued()));
  }

  /** A group of `size` starts, `queued` left waiting. */
  started(size: number, queued: number): void {
    this.#backlog = queued > 0;
    this.#running += size;
    this.#peak = queued + this.#running;
  }

  /** A group of `size` ended. */
  finished(size: number): void {
    this.#running -= size;
    this.#expected = Math.max(1, Math.min(this.#max, this.#peak));
  }

  /** How many the next group waits for (tests read it). */
  get expected(): number {
    return this.#expected;
  }
}
