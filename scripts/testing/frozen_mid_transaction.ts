/**
 * A PostgreSQL server that stops answering in the middle of a transaction (frozen, or cut off by a
 * network partition), for the tests of what gives up on it: the work reaches the server through a
 * TCP relay while another session holds a lock it needs; once the work is seen waiting for that lock,
 * the relay freezes and the lock goes, so the server carries on and its answers never come back.
 */
import assert from "node:assert/strict";
import { CLIENT_GRACE_MS, isDatabaseUnavailable, PostgresDatabase } from "../../etl/db/mod.ts";
import { holdLock } from "./pg_lock.ts";
import { tcpRelay, throughRelay } from "./tcp_relay.ts";

/** The bounds the work is given: short ones, and the freeze on its first lock wait. */
export interface FreezeBounds {
  lockWaitMs: number;
  lockProgressMs: number;
  onLockWait: () => void;
  statementTimeoutMs: number;
  idleInTransactionMs: number;
}

/** The statement timeout the work gets: the client gives up CLIENT_GRACE_MS after it. */
const STATEMENT_TIMEOUT_MS = 1000;

/**
 * Connects to `url` directly (`owner`, for the checks) and through a relay (`pg`, two connections: the
 * work's transaction and the look-up of who holds the lock it waits for). `freeze(lock, work)` runs
 * `work` while a session holds `lock` and returns what it failed with (undefined if it did not).
 *
 * @example
 * ```ts
 * const frozen = await frozenMidTransaction(url, "relaciones-etl");
 * try { assertGaveUp(await frozen.freeze("LOCK TABLE contacts IN SHARE MODE", (pg, bounds) => load(pg, bounds))); } finally { await frozen.close(); }
 * ```
 */
export async function frozenMidTransaction(url: string, applicationName: string): Promise<{
  owner: PostgresDatabase;
  freeze(lock: string, work: (pg: PostgresDatabase, bounds: FreezeBounds) => Promise<unknown>): Promise<{ code?: string; message: string } | undefined>;
  close(): Promise<void>;
}> {
  const owner = await PostgresDatabase.connect(url, { max: 1 });
  const holder = await PostgresDatabase.connect(url, { max: 1 });
  const relay = await tcpRelay(new URL(url));
  const pg = await PostgresDatabase.connect(throughRelay(url, relay), { max: 2, applicationName });
  let release = () => {};
  return {
    owner,
    async freeze(lock, work) {
      release = (await holdLock(holder, lock)).release;
      const bounds: FreezeBounds = {
        lockWaitMs: 60_000,
        lockProgressMs: 50,
        onLockWait: () => {
          relay.freeze();
          release();
        },
        statementTimeoutMs: STATEMENT_TIMEOUT_MS,
        // Longer than the client's deadline: the relay passes on the server closing the connection.
        idleInTransactionMs: 8000,
      };
      return work(pg, bounds).then(
        () => undefined,
        (e: unknown) => e as { code?: string; message: string },
      );
    },
    async close() {
      release();
      await relay.close();
      await pg.close().catch(() => {});
      await holder.close();
      await owner.close();
    },
  };
}

/** That the work gave up at its statement's deadline (its statement_timeout plus the client's grace), as an unavailable database. */
export function assertGaveUp(failed: { code?: string; message: string } | undefined): void {
  assert.equal(failed?.code, "QUERY_TIMEOUT", failed?.message);
  assert.equal(failed!.message, `PostgreSQL did not answer within ${(STATEMENT_TIMEOUT_MS + CLIENT_GRACE_MS) / 1000} s`);
  assert.equal(isDatabaseUnavailable(failed), true, "reported as an unavailable database");
}
