// Loaded with `--import` into an ETL process (after tsx), with STOP_AT set: the process stops
// itself (SIGSTOP) at that moment of a relationship load, so a test can act on a load in exactly
// that state (kill -9 it, read meanwhile) however fast or slow the machine is.
//   STOP_AT=snapshot-created  the new snapshot file exists, the lock is held, the workbook is being read
//   STOP_AT=appending-pairs   10,000 pairs have gone into the new snapshot file
//   STOP_AT=published         the new snapshot was just renamed into place, nothing after it done
//   STOP_AT=contacts-staging    a contacts load (DuckDB) has just read the CSV into its staging table;
//                               nothing is written yet, the COMMIT is several statements away
//   STOP_AT=contacts-committed  a contacts load (DuckDB) has just committed, its run not yet recorded
//   STOP_AT=contacts-pg-written a contacts load on PostgreSQL has made all its writes in its
//                               transaction (the last, its contact_loads row, just answered); the
//                               COMMIT is next. Let go, it takes one turn of the event loop first, as
//                               it would had the signal come during that statement
//   STOP_AT=etl-starting        `npm run etl` (etl/etl.js) has parsed its command line and just
//                               registered tsx; main.ts, the data dir and every load are still to come
//   STOP_AT=etl-launching       `npm run etl` (etl/etl.js) is loading etl/etl_args.js, its first module
//                               after hold_signals.js: nothing parsed, tsx not registered by it
//   STOP_AT=migration-committed a contacts.duckdb migration has just committed (in the WAL), before
//                               anything else (its checkpoint, the next migration) runs
// The load's own classes are patched: modules are instances per URL, so these are the very
// classes the load uses.
import { createRequire, syncBuiltinESMExports } from "node:module";
import { ChunkAppender, Database, PostgresDatabase } from "../../etl/db/mod.ts";

const stop = () => process.kill(process.pid, "SIGSTOP");

/** Stops at the first COMMIT after a statement starting with `insert` (the row that marks the moment). */
function stopAtCommitAfter(insert: string): void {
  const run = Database.prototype.run;
  let recorded = false;
  Database.prototype.run = async function (this: Database, ...args: Parameters<Database["run"]>) {
    const result = await run.apply(this, args);
    if (args[0].startsWith(insert)) recorded = true;
    else if (args[0] === "COMMIT" && recorded) stop();
    return result;
  };
}

if (process.env.STOP_AT === "snapshot-created") {
  const open = Database.open.bind(Database);
  Database.open = async (path, options) => {
    const db = await open(path, options);
    if (/\.relationships-[^/]*\.duckdb$/.test(path)) stop();
    return db;
  };
} else if (process.env.STOP_AT === "appending-pairs") {
  const endRow = ChunkAppender.prototype.endRow;
  let rows = 0;
  ChunkAppender.prototype.endRow = function (this: ChunkAppender) {
    endRow.call(this);
    if (++rows === 10_000) stop();
  };
} else if (process.env.STOP_AT === "contacts-staging") {
  const run = Database.prototype.run;
  let done = false;
  Database.prototype.run = async function (this: Database, ...args: Parameters<Database["run"]>) {
    const result = await run.apply(this, args);
    if (!done && /FROM read_csv\(/.test(args[0])) {
      done = true;
      stop();
    }
    return result;
  };
} else if (process.env.STOP_AT === "contacts-committed") {
  stopAtCommitAfter("INSERT INTO contact_loads");
} else if (process.env.STOP_AT === "contacts-pg-written") {
  // A session's runner is a plain object made per session: wrapped here, on its way to the load.
  const session = PostgresDatabase.prototype.session;
  PostgresDatabase.prototype.session = function (this: PostgresDatabase, fn, options) {
    return session.call(this, (s) =>
      fn({
        ...s,
        run: async (text, params) => {
          await s.run(text, params);
          if (!text.startsWith("INSERT INTO contact_loads")) return;
          stop();
          // The signal sent meanwhile is handled by the event loop, in its poll phase: without a
          // turn of it the load would go straight on to its COMMIT (continuations are microtasks)
          // and never see it. Two immediates: the first, queued from this poll phase's callback,
          // runs before the next poll; the second after it.
          await new Promise((resolve) => setImmediate(resolve));
          await new Promise((resolve) => setImmediate(resolve));
        },
      }),
      options,
    );
  } as typeof session;
} else if (process.env.STOP_AT === "etl-starting") {
  // tsx's register() calls module.register on the module object (its default export).
  const nodeModule = createRequire(import.meta.url)("node:module") as typeof import("node:module");
  const register = nodeModule.register;
  nodeModule.register = ((...args: Parameters<typeof register>) => {
    register(...args);
    stop();
  }) as typeof register;
} else if (process.env.STOP_AT === "etl-launching") {
  // A load hook (it runs on the hooks thread, for every module, before it is evaluated): SIGSTOP
  // as etl/etl_args.js, the launcher's first module after hold_signals.js, is loaded.
  const nodeModule = createRequire(import.meta.url)("node:module") as typeof import("node:module");
  const hook = `export async function load(url, context, next) { if (url.endsWith("/etl/etl_args.js")) process.kill(process.pid, "SIGSTOP"); return next(url, context); }`;
  nodeModule.register(`data:text/javascript,${encodeURIComponent(hook)}`);
} else if (process.env.STOP_AT === "migration-committed") {
  stopAtCommitAfter("INSERT INTO schema_migrations");
} else if (process.env.STOP_AT === "published") {
  // The rename is node:fs's: patched on the module object, then pushed to its ESM named exports.
  const fs = createRequire(import.meta.url)("node:fs") as typeof import("node:fs");
  const rename = fs.renameSync;
  fs.renameSync = (from, to) => {
    rename(from, to);
    if (/\.relationships-[^/]*\.duckdb$/.test(String(from)) && /relationships\.duckdb$/.test(String(to))) stop();
  };
  syncBuiltinESMExports();
}
