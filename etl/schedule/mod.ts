/**
 * When loads run (daily, at start-up when stale, when the workbook changes) and how `npm start`
 * runs them (a child process per load).
 *
 * @example
 * ```ts
 * import { childProcessLoad, startScheduler } from "../etl/schedule/mod.ts";
 * const scheduler = startScheduler({ workbook, dataDir, runLoad: childProcessLoad({ dataDir }) });
 * ```
 */
export {
  isStale,
  lastGoodLoad,
  nextDailyRun,
  startScheduler,
  systemClock,
  watchFile,
  type Clock,
  type LoadReason,
  type Scheduler,
  type SchedulerOptions,
  type Stoppable,
} from "./schedule.ts";
export { childProcessLoad, type ChildLoadResult } from "./child_load.ts";
