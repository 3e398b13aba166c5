/**
 * When loads run (daily, at start-up when stale or a file changed meanwhile, when the workbook or the contacts CSV changes) and how `npm start`
 * runs them (a child process per load).
 *
 * @example
 * ```ts
 * import { childProcessLoad, startScheduler } from "../etl/schedule/mod.ts";
 * const runLoad = childProcessLoad({ dataDir });
 * const scheduler = startScheduler({ workbook, dataDir, runLoad, prepareLoad: runLoad.prepare });
 * ```
 */
export {
  changedSinceLastLoad,
  endsWithZipDirectory,
  isStale,
  lastGoodLoad,
  loadOnly,
  nextDailyRun,
  PREPARE_MS,
  RETRY_UNLOADED_MS,
  startScheduler,
  systemClock,
  UNLOADED_RETRIES,
  untilStill,
  watchFile,
  type Clock,
  type FileWatcher,
  type LoadReason,
  type Scheduler,
  type SchedulerOptions,
  type Stoppable,
} from "./schedule.ts";
export { childProcessLoad, type ChildLoad, type ChildLoadOptions, type ChildLoadResult } from "./child_load.ts";
