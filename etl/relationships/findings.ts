/**
 * Collects quality findings while rows stream by. A check may fire millions of times on a big
 * matrix (every blank cell, every asymmetric pair), so each finding keeps a capped list of cells
 * and a full count instead of growing with the data.
 */
import type { Finding } from "../runs/mod.ts";
import { shorten } from "../text/mod.js";
import { CHECKS, type CheckName } from "./checks.ts";

/** How many cell references a finding keeps; `count` still says how many there were. */
export const MAX_FINDING_CELLS = 50;

/**
 * How many characters of an offending value a finding quotes. A cell may hold a million (the
 * reader's cap), and five such examples made a run record of 19 MB, past the longest line the run
 * log reads as a run: the load's run vanished from /runs and from the next load's comparison.
 */
export const MAX_EXAMPLE_CHARS = 200;

/** How many examples a finding quotes. */
const MAX_EXAMPLES = 5;

/**
 * The example of a disagreement, `<id>: <first> vs <second>`, within MAX_EXAMPLE_CHARS: each side
 * is cut to its share, so a long first value cannot push out the second, which a cut of the whole
 * did (the reader saw what one sheet said and never what the other said back).
 *
 * @example
 * ```ts
 * disagreement(2, "B", "x".repeat(300)); // "2: B vs xxx...x..." (200 characters)
 * ```
 */
export function disagreement(id: number, first: string, second: string): string {
  const prefix = `${id}: `;
  const side = Math.max(3, Math.floor((MAX_EXAMPLE_CHARS - prefix.length - " vs ".length) / 2));
  return `${prefix}${shorten(first, side)} vs ${shorten(second, side)}`;
}

/**
 * The example of a code held by several ids, `<code>: <id>, <id>...`, within MAX_EXAMPLE_CHARS: the
 * code gets at most half, so a long code cannot push out the ids, which are what the finding names.
 *
 * @example
 * ```ts
 * sharedCode("x".repeat(300), [5, 6]); // "xxx...x...: 5, 6"
 * ```
 */
export function sharedCode(code: string, ids: readonly number[]): string {
  return `${shorten(code, MAX_EXAMPLE_CHARS / 2)}: ${ids.join(", ")}`;
}

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
  #byCheck = new Map<CheckName, { cells: string[]; values: (string | null)[]; count: number; examples: string[] }>();
  /** For checks counted by `addOnce()`: the keys counted so far. */
  #keys = new Map<CheckName, Set<string>>();

  /** Records `weight` occurrences; `cells` are refs (capped), `value` is quoted in the message (its first MAX_EXAMPLE_CHARS characters). */
  add(check: CheckName, cells: string | readonly string[] = [], value?: string, weight = 1): void {
    this.#record(check, weight, typeof cells === "string" ? [cells] : cells, value === undefined ? [] : [shorten(value, MAX_EXAMPLE_CHARS)]);
  }

  /**
   * Records `cells` for the thing `key` names, counted and quoted once however often it is added: an
   * id given three times is one duplicate id (it read "3 actor ids appear more than once ('3', '3', '3')").
   */
  addOnce(check: CheckName, cells: readonly string[], key: string): void {
    const fresh = this.#fresh(check, [key]);
    this.#record(check, fresh.length, cells, fresh.map((k) => shorten(k, MAX_EXAMPLE_CHARS)));
  }

  /** The keys not yet counted for `check`, now counted. */
  #fresh(check: CheckName, keys: Iterable<string>): string[] {
    let seen = this.#keys.get(check);
    if (!seen) {
      seen = new Set();
      this.#keys.set(check, seen);
    }
    const fresh: string[] = [];
    for (const key of keys) {
      if (seen.has(key)) continue;
      seen.add(key);
      fresh.push(key);
    }
    return fresh;
  }

  /**
   * Records one disagreement between two cells, `first` read at `cells[0]` and `second` at
   * `cells[1]` (actor `id`'s letter codes): quoted in the message among its first examples, and kept
   * as the two cells' `values` for as many as the cells cap keeps, so a reader shows the codes of
   * every disagreement listed, not of the first five the message quotes.
   *
   * @example
   * ```ts
   * const f = new Findings();
   * f.addDisagreement("code_mismatch_matrix", { cells: ["'M'!C2", "'M'!A4"], id: 7, first: "B", second: "BX" });
   * f.list()[0].values; // ["B", "BX"]
   * ```
   */
  addDisagreement(check: CheckName, d: { cells: readonly [string, string]; id: number; first: string; second: string }): void {
    const values = [shorten(d.first, MAX_EXAMPLE_CHARS / 2), shorten(d.second, MAX_EXAMPLE_CHARS / 2)];
    this.#record(check, 1, d.cells, [disagreement(d.id, d.first, d.second)], values);
  }

  /**
   * Adds what `other` recorded after what this one holds, as if each occurrence had been added here
   * (cells and examples still capped). The matrix reader keeps a tentative header's rows apart until
   * it knows they are the matrix's. `only`: just these checks of `other`.
   */
  absorb(other: Findings, only?: readonly CheckName[]): void {
    for (const [check, e] of other.#byCheck) {
      if (only !== undefined && !only.includes(check)) continue;
      const keys = other.#keys.get(check);
      if (keys === undefined) this.#record(check, e.count, e.cells, e.examples, e.values);
      else {
        const fresh = this.#fresh(check, keys);
        this.#record(check, fresh.length, e.cells, fresh.map((k) => shorten(k, MAX_EXAMPLE_CHARS)), e.values);
      }
    }
  }

  /** Counts `count` occurrences of `check` and keeps its cells (with their `values`, when given) and examples up to their caps. */
  #record(check: CheckName, count: number, cells: readonly string[], examples: readonly string[], values: readonly (string | null)[] = []): void {
    let entry = this.#byCheck.get(check);
    if (!entry) {
      entry = { cells: [], values: [], count: 0, examples: [] };
      this.#byCheck.set(check, entry);
    }
    entry.count += count;
    // Kept in step with the cells, null where none was given, so values[i] is what cells[i] holds.
    for (const [i, cell] of cells.entries()) {
      if (entry.cells.length >= MAX_FINDING_CELLS) break;
      entry.cells.push(cell);
      entry.values.push(values[i] ?? null);
    }
    for (const example of examples) if (entry.examples.length < MAX_EXAMPLES) entry.examples.push(example);
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
        ...(e.values.some((v) => v !== null) ? { values: e.values } : {}),
      }))
      .sort((a, b) => order[a.severity] - order[b.severity]);
  }
}
