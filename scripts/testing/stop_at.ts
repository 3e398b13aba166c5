// Loaded with `--import` into an ETL process (after tsx), with STOP_AT set: the process stops
// itself (SIGSTOP) at that moment of a relationship load, so a test can act on a load in exactly
// that state (kill -9 it, read meanwhile) however fast or slow the machine is.
//   STOP_AT=snapshot-created  the new snapshot file exists, the lock is held, the workbook is being read
//   STOP_AT=appending-pairs   10,000 pairs have gone into the new snapshot file
// The load's own classes are patched: modules are instances per URL, so these are the very
// classes the load uses.
import { ChunkAppender, Database } from "../../etl/db/mod.ts";

const stop = () => process.kill(process.pid, "SIGSTOP");

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
}
