/**
 * A clock for the scheduler's tests (etl/schedule: `Clock`), whose time moves only when the test
 * says so.
 */
import type { Clock } from "../../etl/schedule/mod.ts";

/** A clock whose time moves only when the test says so; timers fire in time order. */
export class FakeClock implements Clock {
  #now: number;
  #timers: { id: number; at: number; fn: () => void }[] = [];
  #nextId = 1;
  constructor(start: string) {
    this.#now = Date.parse(start);
  }
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.push({ id, at: this.#now + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }
  /** Moves time forward by `ms`, firing due timers (and timers they set) in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const due = this.#timers[0];
      if (!due || due.at > end) break;
      this.#timers.shift();
      this.#now = due.at;
      due.fn();
    }
    this.#now = end;
  }
  /**
   * The machine sleeps for `ms`: the wall clock moves on, and Node's timers, which count only time
   * awake, come due that much later.
   */
  sleep(ms: number): void {
    this.#now += ms;
    for (const timer of this.#timers) timer.at += ms;
  }
  /**
   * The wall clock is set back by `ms` (NTP correcting a clock that ran ahead): timers, which
   * count elapsed time, still fire after the time they were set for.
   */
  setBack(ms: number): void {
    // The same shift of the wall clock and the timers' due times as a sleep, backwards.
    this.sleep(-ms);
  }
}
