/**
 * Collects quality findings while rows stream by. A check may fire millions of times on a big
 * matrix (every blank cell, every asymmetric pair), so each finding keeps a capped list of cells
 * and a full count instead of growing with the data.
 */
import type { Finding } from "../runs/mod.ts";
import { CHECKS, type CheckName } from "./checks.ts";

/** How many cell references a finding keeps; `count` still says how many there were. */
export const MAX_FINDING_CELLS = 50;

/**
 * A bag of named findings. `add()` the same check many times; `list()` returns one Finding each.
 *
 * @example
 * ```ts
 * const f = new Findings();
 * f.add("invalid_value", "'Matriz'!D7", "x");
 * f.list()[0].count; // 1
 * ```
 */
export class Findings {
  #byCheck = new Map<CheckName, { cells: string[]; count: number; examples: string[] }>();

  /** Records `weight` occurrences; `cells` are refs (capped), `example` is quoted in the message. */
  add(check: CheckName, cells: string | readonly string[] = [], example?: string, weight = 1): void {
    let entry = this.#byCheck.get(check);
    if (!entry) {
      entry = { cells: [], count: 0, examples: [] };
      this.#byCheck.set(check, entry);
    }
    entry.count += weight;
    for (const cell of typeof cells === "string" ? [cells] : cells) {
      if (entry.cells.length < MAX_FINDING_CELLS) entry.cells.push(cell);
    }
    if (example !== undefined && entry.examples.length < 5) entry.examples.push(example);
  }

  /** True when an occurrence of `check` was recorded. */
  has(check: CheckName): boolean {
    return this.#byCheck.has(check);
  }

  /** True when any error-severity finding was recorded (errors stop the load). */
  get hasErrors(): boolean {
    for (const check of this.#byCheck.keys()) if (CHECKS[check].severity === "error") return true;
    return false;
  }

  /** Returns the findings, errors first, then warnings, then info. */
  list(): Finding[] {
    const order = { error: 0, warning: 1, info: 2 };
    return [...this.#byCheck.entries()]
      .map(([check, e]): Finding => ({
        check,
        severity: CHECKS[check].severity,
        message: CHECKS[check].message(e.count, e.examples),
        cells: e.cells,
        count: e.count,
      }))
      .sort((a, b) => order[a.severity] - order[b.severity]);
  }
}
