/**
 * The public entry of the ETL: loading relationships, and the schedule the API (or `npm run etl --
 * --watch`) runs loads on. Other folders import from here, never from the ETL's internals.
 *
 * @example
 * ```ts
 * import { childProcessLoad, startScheduler } from "./mod.ts";
 * const scheduler = startScheduler({ workbook: "data/relaciones.xlsx", dataDir: "data", runLoad: childProcessLoad({ dataDir: "data" }) });
 * ```
 */
export * from "./relationships/mod.ts";
export {
  childProcessLoad,
  isStale,
  lastGoodLoad,
  nextDailyRun,
  parseDailyAt,
  startScheduler,
  systemClock,
  watchFile,
  type ChildLoadResult,
  type Clock,
  type LoadReason,
  type Scheduler,
  type SchedulerOptions,
} from "./schedule/schedule.ts";
