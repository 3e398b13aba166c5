/**
 * CSV -> contacts in PostgreSQL. The file is read and validated exactly as for DuckDB (the same
 * staging, `_stage_csv.ts`, in an in-memory DuckDB that spills to disk), so both backends accept and
 * reject the same rows with the same messages. The people and their department links then go to
 * PostgreSQL with `COPY ... FROM STDIN` (streamed from files DuckDB wrote, never through JavaScript
 * objects) into temp tables, and ONE transaction upserts them. Other API processes may write
 * meanwhile: new people are inserted with ON CONFLICT DO NOTHING and links likewise, so a
 * concurrent create never fails the load, and a deadlock with an API write that PostgreSQL breaks
 * by rolling the load back, or a key check failed by an API delete committed meanwhile, runs the
 * transaction again (LOAD_ATTEMPTS attempts in all). Loads themselves run one after another
 * (LOAD_LOCK). A lock held by another session is waited for `lockWaitMs` at most, saying meanwhile
 * who holds it (_lock_wait.ts).
 */
import { copyFileSync, createReadStream, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CLIENT_GRACE_MS, Database, isInterrupted, isTransientConflict, postgresErrorOf, quoteLiteral, type PostgresDatabase, type SqlRunner } from "../db/mod.ts";
import type { IngestSummary } from "../handover/mod.ts";
import { q } from "./_ingest_sql.ts";
import { boundLockWaits, ContactsLockTimeoutError, LOAD_IDLE_IN_TRANSACTION_MS, LOAD_LOCK_WAIT_MS, LOAD_STATEMENT_TIMEOUT_MS, type LockBoundOptions } from "./_lock_wait.ts";
import { dropStaging, STAGED_DEPARTMENT_NAMES, stageCsv, stoppable } from "./_stage_csv.ts";
import { GIN_PENDING_CLEANUP, recordSql, writeBump } from "./contact_sql.ts";
import {
  planLoad,
  fingerprintAfterLoad,
  recordLoad,
  reportRejects,
  resolveDepartments,
  stagedSummary,
  tablesFingerprint,
  unchangedSince,
  withWrites,
  type IngestOptions,
  type NewestIds,
} from "./ingest_contacts.ts";
import { keyColumnOf, linksOf, upsertKeyOf, type RecordDefinition } from "./record_definition.ts";

/** Times a load's transaction runs when it fails on another writer's commit (isTransientConflict: a deadlock, a key check). */
const LOAD_ATTEMPTS = 3;
/** A load's staging folder in its work folder: `<prefix><pid>-<random>` (recover_run.ts removes a killed load's). */
export const PG_WORK_PREFIX = ".pg-load-";

/**
 * Taken first in a load's transaction: loads into one database run one after another, whichever
 * process (API or `npm run etl`) runs them. Two at once updated and linked the same people in the
 * order of their own files and deadlocked, each attempt again: 19 of 70 small imports through two
 * API processes failed so, after their three attempts.
 */
const LOAD_LOCK = "SELECT pg_advisory_xact_lock(hashtext('relaciones.contacts.load'))";

/** Options of a PostgreSQL load: those of ingestContacts plus a folder for DuckDB's work files. */
export interface PostgresIngestOptions extends IngestOptions {
  /** Where the staging spills and the COPY files are written (default: beside the CSV). Removed after. */
  workDir?: string;
  /** How long the write transaction waits for a lock another session holds before it gives up (default LOAD_LOCK_WAIT_MS). */
  lockWaitMs?: number;
  /** How often a line says who the load is waiting for (default 10 s). */
  lockProgressMs?: number;
  /** Receives those lines (default: stderr). */
  onLockWait?: (line: string) => void;
  /** More settings for the staging's in-memory DuckDB (`npm run etl` gives CONTACTS_LOAD_DUCKDB_SETTINGS); its memory_limit, temp_directory and threads stay the staging's own. */
  duckdbSettings?: Readonly<Record<string, string>>;
  /** The longest one statement may run (default LOAD_STATEMENT_TIMEOUT_MS) and a transaction sit idle (default LOAD_IDLE_IN_TRANSACTION_MS); tests set short ones. */
  statementTimeoutMs?: number;
  idleInTransactionMs?: number;
}

/**
 * Loads the CSV at `csvPath` into PostgreSQL (already migrated) and returns what it did, as
 * `ingestContacts` does for DuckDB (same rules, same summary, same errors).
 *
 * @example
 * ```ts
 * const summary = await ingestContactsPostgres(pg, "data/uploads/run-1.csv", { sourceName: "contacts.csv" });
 * ```
 */
export async function ingestContactsPostgres(pg: PostgresDatabase, csvPath: string, options: PostgresIngestOptions = {}): Promise<IngestSummary> {
  const plan = planLoad(csvPath, options);
  const bound: SessionBounds = {
    waitMs: Math.max(1, Math.round(options.lockWaitMs ?? LOAD_LOCK_WAIT_MS)),
    progressMs: options.lockProgressMs,
    onLine: options.onLockWait,
    subject: "The contacts load",
    outcome: "nothing was loaded",
    retry: "load again",
    statementMs: Math.max(1, Math.round(options.statementTimeoutMs ?? LOAD_STATEMENT_TIMEOUT_MS)),
    idleMs: Math.max(1, Math.round(options.idleInTransactionMs ?? LOAD_IDLE_IN_TRANSACTION_MS)),
  };
  // The fingerprint reads the tables: behind an ACCESS EXCLUSIVE lock (a DDL, a LOCK TABLE left
  // open) even that waits, so it is bounded as the write is.
  // Stopped (options.signal) as the write is: a fingerprint waiting behind such a lock is cancelled.
  options.signal?.throwIfAborted();
  const stopped = (error: unknown): never => {
    if (options.signal?.aborted && postgresErrorOf(error)?.code === "57014") options.signal.throwIfAborted();
    throw error;
  };
  const unchanged = await boundedSession(pg, bound, async (session, pid) => {
    const stop = cancelOnStop(pg, pid, options.signal);
    const checked = stop.guard(session);
    try {
      return await unchangedSince(checked, plan, () => tablesFingerprint(checked, plan.record));
    } finally {
      stop.dispose();
      await stop.settled();
    }
  }).catch(stopped);
  if (unchanged !== undefined) return unchanged;
  // A folder of its own, however many loads start in the same millisecond (imports through one API:
  // named by pid and time, two shared one, and the first to end removed the other's files).
  const parent = options.workDir ?? join(csvPath, "..");
  mkdirSync(parent, { recursive: true });
  const work = mkdtempSync(join(parent, `${PG_WORK_PREFIX}${process.pid}-`));
  // Bounded memory whatever the file's size: DuckDB spills to the work folder past 512 MB.
  const duck = await Database.open(":memory:", { settings: { ...options.duckdbSettings, memory_limit: "512MB", temp_directory: join(work, "spill"), threads: "2" } });
  try {
    const people = join(work, "people.csv");
    const links = join(work, "links.csv");
    // Told to stop (options.signal) while DuckDB stages the file (seconds at a million rows), the
    // statement it runs is interrupted and stageCsv runs no further one, as a DuckDB load stops.
    const interrupt = () => duck.interrupt();
    options.signal?.addEventListener("abort", interrupt, { once: true });
    const { staged, departmentNames } = await (async () => {
      // read_csv takes `*?[]{}` as a pattern: such a name is read from a plain-named copy.
      let readPath = csvPath;
      if (/[*?[\]{}]/.test(csvPath)) copyFileSync(csvPath, (readPath = join(work, "input.csv")));
      const staged = await stageCsv(duck, readPath, plan.scan, plan.layout, plan.record, options.signal);
      // The statements after it stop as stageCsv's do.
      const db = options.signal === undefined ? duck : stoppable(duck, options.signal);
      // Paths are ours (the work folder), quoted as literals: COPY ... TO takes no parameter.
      await db.run(`COPY (SELECT first_ord, key, ${staged.fields.map(q).join(", ")} FROM _people ORDER BY first_ord) TO ${quoteLiteral(people)} (FORMAT csv, HEADER false)`);
      await db.run(`COPY (SELECT DISTINCT key, dept FROM _okrows WHERE dept <> '') TO ${quoteLiteral(links)} (FORMAT csv, HEADER false)`);
      return { staged, departmentNames: (await db.all<{ name: string }>(STAGED_DEPARTMENT_NAMES)).map((d) => d.name) };
    })()
      .catch((error: unknown) => {
        // Interrupted by the stop: the caller hears the stop.
        if (options.signal?.aborted && isInterrupted(error)) options.signal.throwIfAborted();
        throw error;
      })
      .finally(() => options.signal?.removeEventListener("abort", interrupt));
    // From here on, between steps up to the COMMIT, and on PostgreSQL the statement running cancelled (cancelOnStop).
    options.signal?.throwIfAborted();
    const summary = stagedSummary(plan, staged);
    const names = staged.fields;
    // A statement cancelled by a stop before the transaction (the COPY of a million rows) fails
    // with 57014: nothing is written yet, and the caller hears the stop.
    const written = await boundedSession(pg, bound, async (session, pid) => {
      const stop = cancelOnStop(pg, pid, options.signal);
      // The load's statements through `checked`: each looks at the signal first. ROLLBACK and the
      // clean-up go on `session`, so that a stop never keeps them from running.
      const checked = stop.guard(session);
      await checked.run(
        `CREATE TEMP TABLE _p (first_ord integer, key text, ${names.map((n) => `${q(`v_${n}`)} text`).join(", ")}) ON COMMIT PRESERVE ROWS;
         CREATE TEMP TABLE _l (key text, dept text)`,
      );
      try {
        await checked.copyIn("COPY _p FROM STDIN (FORMAT csv)", createReadStream(people, { highWaterMark: 1 << 20 }));
        await checked.copyIn("COPY _l FROM STDIN (FORMAT csv)", createReadStream(links, { highWaterMark: 1 << 20 }));
        await checked.run("ANALYZE _p; ANALYZE _l");
        for (let attempt = 1; ; attempt++) {
          await checked.run("BEGIN");
          try {
            await checked.run(LOAD_LOCK);
            // Before and after the writes: under READ COMMITTED each statement sees other
            // processes' commits, and one between the load's writes and its fingerprint (an API's
            // PATCH of a contact the file has as it is) would be in the fingerprint as if the load
            // had left it, and the same file skipped next time as unchanged.
            const before = staged.contacts > 0 ? await tablesFingerprint(checked, plan.record) : "";
            const { written: result, newest } = await writePostgres(checked, plan.record, names, departmentNames, summary);
            if (staged.contacts > 0) {
              const after = await tablesFingerprint(checked, plan.record);
              await recordLoad(checked, plan, result, after === fingerprintAfterLoad(before, result, newest) ? after : `${after}:with-others`);
            }
            // The last moment to stop; the ROLLBACK below undoes the writes.
            options.signal?.throwIfAborted();
            stop.committing();
            await session.run("COMMIT");
            return result;
          } catch (error) {
            // A cancel on its way must land before the ROLLBACK, not on it.
            await stop.settled();
            await session.run("ROLLBACK").catch(() => {});
            // Stopped before the COMMIT (the statement cancelled failed with 57014): rolled back,
            // and the caller hears the stop. A COMMIT that failed says so itself.
            if (!stop.began()) options.signal?.throwIfAborted();
            // An API write creating a department the load creates too, while holding a contact the
            // load updates, is a deadlock PostgreSQL may break by rolling the load back; a person or
            // department the load links, deleted by the API meanwhile, fails its key check
            // (isTransientConflict). Everything it did is undone and the staged rows are still
            // there, so it runs again and meets that write as done (the API's writes do the same).
            // Twice more at most: a third is not chance.
            if (attempt < LOAD_ATTEMPTS && isTransientConflict(error)) {
              stop.resume();
              continue;
            }
            throw error;
          }
        }
      } finally {
        stop.dispose();
        await stop.settled();
        await session.run("DROP TABLE IF EXISTS _p; DROP TABLE IF EXISTS _l").catch(() => {});
      }
    }).catch(stopped);
    const changed = written.inserted + written.updated;
    // The trigram (GIN) indexes take a load's rows into their pending list, which every `q` and
    // `company` search reads through until autovacuum or 4 MB of further writes merge it: after the
    // next day's file (73k rows changed), a count with a company filter took 5.0 ms instead of 0.08,
    // and the bench's counts fell from 4,411 to 734/s (p99 72 ms). Merged now: 0.65 s for that file.
    // After the COMMIT: a failure here leaves the load done, said in its warnings. The merge and the
    // ANALYZE below wait for locks too (ANALYZE behind a VACUUM or a SHARE UPDATE EXCLUSIVE lock left
    // open, both behind DDL): bounded as the write is, and giving up is one more warning.
    // Plans follow statistics: after a load that changed a twentieth of the table, gather them now
    // rather than when autovacuum gets round to it (at a tenth, which the next day's file, 10.0%
    // changed, just missed; a state+city filter planned on stale counts walks the table).
    const analyze = changed > 1000 && changed * 20 > written.contacts;
    if (changed > 0) {
      const cleanUp = { ...bound, subject: "The contacts load's clean-up (merging the trigram indexes' pending lists, gathering statistics)", outcome: "the load itself is committed, and autovacuum does the clean-up later", retry: undefined };
      await boundedSession(pg, cleanUp, async (session) => {
        await session.all(GIN_PENDING_CLEANUP, [plan.record.table]).catch((error: Error) => {
          if (postgresErrorOf(error)?.code === "55P03") throw error;
          written.warnings.push(`The trigram indexes' pending lists were not merged (searches read through them until autovacuum does): ${error.message}`);
        });
        if (analyze) await session.run(`ANALYZE ${q(plan.record.table)}, ${q(linksOf(plan.record).linkTable)}`);
      }).catch((error: unknown) => {
        // Committed: a clean-up that failed (a lock not granted in time, the connection lost) is
        // a warning, not a failed load.
        written.warnings.push(error instanceof ContactsLockTimeoutError ? error.message : `${cleanUp.subject} failed: ${(error as Error).message.split("\n")[0]}; ${cleanUp.outcome}`);
      });
    }
    await reportRejects(duck, written, options.rejectsFile);
    return written;
  } finally {
    await dropStaging(duck).catch(() => {});
    duck.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Cancels, on the server, the statement the session of backend `pid` is running when `signal` aborts, unless the load
 * has said its COMMIT is under way (`committing()`): a load checks its signal only between its
 * steps, and one waiting for another session's lock (a `LOCK TABLE` left open in psql) or in a long
 * write saw a stop only when that statement ended, minutes later (lock_timeout is 5 min). The
 * statement fails (57014, query_canceled), the transaction is rolled back, nothing is written.
 * `guard(session)` gives the runner the load's statements go through: each first looks at the
 * signal, and while one runs after a stop, the cancel is sent again every CANCEL_AGAIN_MS: a
 * cancel that reaches the server between two statements is dropped (nothing runs to cancel), and
 * the statement sent next then waited out its lock. `settled()` resolves once the cancels sent have
 * been answered, and none is sent after `settled()` was asked for (until `resume()`, for another
 * attempt), so the ROLLBACK or clean-up that follows is not what it cancels; `began()` says whether
 * the COMMIT was under way.
 */
function cancelOnStop(
  pg: PostgresDatabase,
  pid: number,
  signal: AbortSignal | undefined,
): { guard(session: LoadSession): LoadSession; committing(): void; began(): boolean; settled(): Promise<void>; resume(): void; dispose(): void } {
  let committing = false;
  if (signal === undefined) return { guard: (s) => s, committing: () => void (committing = true), began: () => committing, settled: async () => {}, resume: () => {}, dispose: () => {} };
  let sent: Promise<void> = Promise.resolve();
  // Statements of the guarded runner in flight, and whether cancels may still go (not once
  // settled() or committing() was asked for).
  let running = 0;
  let quiet = false;
  let again: NodeJS.Timeout | undefined;
  // On the pool's other connection (the load's pool has two; the lock watch shares it briefly).
  const cancel = () => {
    if (committing || quiet) return;
    sent = Promise.all([sent, pg.run("SELECT pg_cancel_backend($1)", [pid]).catch(() => {})]).then(() => {});
    again ??= setInterval(() => {
      if (running > 0) cancel();
    }, CANCEL_AGAIN_MS);
  };
  const hush = () => {
    quiet = true;
    clearInterval(again);
  };
  const checked = async <T>(statement: () => Promise<T>): Promise<T> => {
    signal.throwIfAborted();
    running++;
    try {
      return await statement();
    } finally {
      running--;
    }
  };
  if (signal.aborted) cancel();
  else signal.addEventListener("abort", cancel, { once: true });
  return {
    guard: (s) => ({
      run: (sql, params) => checked(() => s.run(sql, params)),
      all: (sql, params, options) => checked(() => s.all(sql, params, options)),
      one: (sql, params, options) => checked(() => s.one(sql, params, options)),
      copyIn: (sql, source) => checked(() => s.copyIn(sql, source)),
    }),
    committing: () => {
      committing = true;
      hush();
    },
    began: () => committing,
    settled: () => {
      hush();
      return sent;
    },
    // After the ROLLBACK, for another attempt: a stop during it cancels its statements again.
    resume: () => {
      if (!committing) quiet = false;
    },
    dispose: () => {
      hush();
      signal.removeEventListener("abort", cancel);
    },
  };
}

/** How often a stopped load sends its cancel again while one of its statements still runs (see cancelOnStop). */
const CANCEL_AGAIN_MS = 200;

/** A load's session: its statements, and `COPY ... FROM STDIN`. */
type LoadSession = Parameters<Parameters<PostgresDatabase["session"]>[0]>[0];

/** A load's bounds on one session: its lock waits (LockBoundOptions), its statements and its idle transactions, in ms. */
type SessionBounds = LockBoundOptions & { statementMs: number; idleMs: number };

/**
 * Runs `fn` on one pooled connection whose waits for other sessions' locks are bounded and watched
 * (`boundLockWaits`), and whose statements may run up to `bound.statementMs`, whatever the pool's
 * timeouts for requests (reset on release); a statement the server has not answered by then is
 * given up on, on the client too (a frozen or cut-off server).
 */
function boundedSession<T>(pg: PostgresDatabase, bound: SessionBounds, fn: (session: LoadSession, pid: number) => Promise<T>): Promise<T> {
  return pg.session(
    async (session) => {
      await session.run(`SET lock_timeout = ${bound.waitMs}; SET statement_timeout = ${bound.statementMs}; SET idle_in_transaction_session_timeout = ${bound.idleMs}`);
      try {
        return await boundLockWaits(pg, session, bound, (pid) => fn(session, pid));
      } finally {
        await session.run("RESET lock_timeout; RESET statement_timeout; RESET idle_in_transaction_session_timeout").catch(() => {});
      }
    },
    { deadlineMs: bound.statementMs + CLIENT_GRACE_MS },
  );
}

/** The upsert, in PostgreSQL, inside the caller's transaction, from the temp tables `_p` and `_l`. */
async function writePostgres(tx: SqlRunner, record: RecordDefinition, names: string[], departmentNames: string[], summary: IngestSummary): Promise<{ written: IngestSummary; newest: NewestIds }> {
  const sql = recordSql(record);
  const table = q(record.table);
  const keyColumn = q(keyColumnOf(upsertKeyOf(record)));
  const links = linksOf(record);
  const value = (n: string) => `p.${q(`v_${n}`)}`;
  const newest: NewestIds = { contact: 0, department: 0 };

  const departments = await resolveDepartments(
    departmentNames,
    await tx.all<{ id: number; name: string }>(`SELECT id, name FROM ${q(links.table)} ORDER BY id`),
    async (chunk) => {
      const ids = new Map<string, number>();
      // WITH ORDINALITY: the ids in file order.
      const created = await tx.all<{ id: number; name: string }>(
        `INSERT INTO ${q(links.table)} (name) SELECT n FROM unnest($1::text[]) WITH ORDINALITY AS u(n, i) ORDER BY i ON CONFLICT DO NOTHING RETURNING id, name`,
        [chunk],
      );
      for (const row of created) {
        ids.set(row.name, Number(row.id));
        newest.department = Math.max(newest.department, Number(row.id));
      }
      // Another process created some meanwhile (in another spelling, maybe): take theirs.
      const taken = chunk.filter((name) => !ids.has(name));
      if (taken.length > 0) {
        const rows = await tx.all<{ given: string; id: number }>(`SELECT u.n AS given, d.id FROM unnest($1::text[]) AS u(n) JOIN ${q(links.table)} d ON fold(d.name) = fold(u.n)`, [taken]);
        for (const row of rows) ids.set(row.given, Number(row.id));
      }
      return ids;
    },
  );
  await tx.run("CREATE TEMP TABLE _dept_map (name text, id integer) ON COMMIT DROP");
  if (departments.ids.size > 0) {
    await tx.run("INSERT INTO _dept_map SELECT unnest($1::text[]), unnest($2::integer[])", [[...departments.ids.keys()], [...departments.ids.values()]]);
  }

  const derivedInsert = sql.derivedSets(sql.columns, (f) => (names.includes(f) ? value(f) : "NULL")).map((set) => [set.slice(0, set.indexOf(" = ")), set.slice(set.indexOf(" = ") + 3)]);
  // A load that at least doubles the table (the first load, above all) builds its secondary indexes
  // once at the end: maintaining ten B-trees and two trigram indexes row by row for a million rows
  // costs minutes, building them costs seconds. Their DDL takes the table's lock until COMMIT, so
  // readers wait for such a load; a load into a populated table keeps the indexes (and readers).
  const sizes = await tx.one<{ stored: number; incoming: number }>(
    `SELECT (SELECT count(*) FROM ${table})::integer AS stored, (SELECT count(*) FROM _p)::integer AS incoming`,
  );
  const rebuild = Number(sizes!.incoming) >= 10_000 && Number(sizes!.incoming) > Number(sizes!.stored);
  // The links' table likewise, and its foreign keys: checked row by row they took 7.1 s of the 12.4 s
  // that inserting the 1M-row file's 994,525 links took; added back at the end, each is checked by
  // one join. Dropping a key also holds off other sessions' writes to the departments until COMMIT
  // (their reads go on), as the indexes' DDL holds off everything on the contacts.
  const secondary = rebuild
    ? await tx.all<{ name: string; definition: string }>(
        `SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
          WHERE i.schemaname = current_schema() AND i.tablename IN ($1, $2)
            -- Only the owner may drop and build an index: a role granted only reads and writes keeps them.
            AND pg_has_role((SELECT c.relowner FROM pg_class c WHERE c.oid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass), 'USAGE')
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`,
        [record.table, links.linkTable],
      )
    : [];
  const foreignKeys = rebuild
    ? await tx.all<{ name: string; definition: string }>(
        `SELECT c.conname AS name, pg_get_constraintdef(c.oid) AS definition FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
          WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = $1 AND c.contype = 'f' AND pg_has_role(t.relowner, 'USAGE')
          ORDER BY c.conname`,
        [links.linkTable],
      )
    : [];
  for (const index of secondary) await tx.run(`DROP INDEX ${q(index.name)}`);
  for (const key of foreignKeys) await tx.run(`ALTER TABLE ${q(links.linkTable)} DROP CONSTRAINT ${q(key.name)}`);
  const inserted = await tx.one<{ n: number; newest: number }>(
    `WITH ins AS (
       INSERT INTO ${table} (${[...names.map(q), ...derivedInsert.map(([c]) => c)].join(", ")})
       SELECT ${[...names.map(value), ...derivedInsert.map(([, v]) => v)].join(", ")}
       FROM _p p WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.${keyColumn} = p.key) ORDER BY p.first_ord
       ON CONFLICT (${keyColumn}) DO NOTHING RETURNING id)
     SELECT count(*)::integer AS n, coalesce(max(id), 0)::integer AS newest FROM ins`,
  );
  const others = names.filter((n) => n !== sql.keyField);
  const sets = [
    ...names.map((n) => `${q(n)} = ${value(n)}`),
    ...sql.derivedSets(others, value),
  ];
  await tx.run("CREATE TEMP TABLE _updated (id integer) ON COMMIT DROP");
  await tx.run(
    `WITH upd AS (
       UPDATE ${table} t SET ${sets.join(", ")}, ${writeBump("t.")}
       FROM _p p WHERE t.${keyColumn} = p.key AND (${names.map((n) => `t.${q(n)}`).join(", ")}) IS DISTINCT FROM (${names.map(value).join(", ")})
       RETURNING t.id)
     INSERT INTO _updated SELECT id FROM upd`,
  );
  const updated = Number((await tx.one<{ n: number }>("SELECT count(*)::integer AS n FROM _updated"))!.n);
  const linkCounts = await tx.one<{ links: number; added: number }>(
    `WITH wanted AS (
       SELECT DISTINCT t.id AS cid, m.id AS did FROM _l l JOIN _dept_map m ON m.name = l.dept JOIN ${table} t ON t.${keyColumn} = l.key),
     added AS (
       INSERT INTO ${q(links.linkTable)} (${q(links.recordKey)}, ${q(links.nameKey)}) SELECT cid, did FROM wanted ORDER BY cid, did
       ON CONFLICT DO NOTHING RETURNING ${q(links.recordKey)} AS cid),
     bumped AS (
       -- A person who gained a department changed (the ETag covers departments) unless this load
       -- already wrote the row: updated it (_updated), or inserted it (created_at is then now(), the
       -- transaction's start; a row another session created meanwhile has a later one). Not
       -- "updated_at <> now()": an update here never moves updated_at back, so a row written by a
       -- write that began after this load would have been bumped twice.
       UPDATE ${table} c SET ${writeBump("c.")}
       WHERE c.id IN (SELECT cid FROM added) AND c.created_at <> now() AND NOT EXISTS (SELECT 1 FROM _updated u WHERE u.id = c.id) RETURNING c.id)
     SELECT (SELECT count(*) FROM wanted)::integer AS links, (SELECT count(*) FROM added)::integer AS added, (SELECT count(*) FROM bumped)::integer AS bumped`,
  );
  const bumped = Number((linkCounts as unknown as { bumped: number }).bumped);
  // Definitions as pg_indexes and pg_get_constraintdef() printed them (catalog text, not data).
  for (const index of secondary) await tx.run(index.definition);
  for (const key of foreignKeys) await tx.run(`ALTER TABLE ${q(links.linkTable)} ADD CONSTRAINT ${q(key.name)} ${key.definition}`);
  newest.contact = Number(inserted!.newest);
  return { written: withWrites(summary, { inserted: Number(inserted!.n), updated: updated + bumped, departments, links: Number(linkCounts!.links), linksAdded: Number(linkCounts!.added) }), newest };
}
