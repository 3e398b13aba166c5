/**
 * What code that runs SQL on either backend needs: `run`, `all`, `one` with positional parameters
 * (`$1`, `$2`...). DuckDB's `Database` (and each of its connections) and PostgreSQL's pool,
 * transactions and sessions all have this shape, so statements written once run on both.
 */

/** A plain row: column name to JS value. */
export type Row = Record<string, unknown>;

/** Runs SQL with bound positional parameters. */
export interface SqlRunner {
  run(sql: string, params?: readonly unknown[]): Promise<void>;
  all<T = Row>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<T[]>;
  one<T = Row>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<T | undefined>;
}

/** How to run one query. */
export interface QueryOptions {
  /**
   * `custom`: plan it for these very values, every time (PostgreSQL: an unnamed statement). For
   * filters whose selectivity depends on the value (a state, a rare `q`): a cached generic plan
   * would pick one path for all of them. DuckDB plans every query anyway and ignores it.
   */
  plan?: "custom";
}

/** A unique constraint refused a row: PostgreSQL's SQLSTATE 23505, DuckDB's "Duplicate key". */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return e?.code === "23505" || (typeof e?.message === "string" && /Duplicate key|violates unique constraint/i.test(e.message));
}
