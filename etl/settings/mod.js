/**
 * The settings of every command, read from flags, the environment and defaults in one place.
 * Plain JavaScript (JSDoc types), so `npm run etl --help` can read it without a TypeScript loader;
 * hence `mod.js`, the package entry, where the TypeScript packages have `mod.ts`.
 *
 * @example
 * ```ts
 * import { readSettings } from "../settings/mod.js";
 * const { dataDir, workbook } = readSettings("etl", { flags: values });
 * ```
 */
export {
  etlChildEnv,
  invokedFrom,
  isLocalNetworkHost,
  isLoopback,
  isUrl,
  parseCommandArgs,
  parseDailyAt,
  PG_LOCK_TIMEOUT_MS,
  PG_POOL_SIZE,
  PG_STATEMENT_TIMEOUT_MS,
  readSettings,
  REPO_DATA_DIR,
  SETTINGS,
  SettingsError,
  settingsHelp,
  settingsTable,
  withoutPassword,
} from "./settings.js";
export { outliveClosedOutput } from "./closed_output.js";
/** @typedef {import("./settings.js").AlertSeverity} AlertSeverity */
/** @typedef {import("./settings.js").Command} Command */
/** @typedef {import("./settings.js").KeepVersions} KeepVersions */
/** @typedef {import("./settings.js").SettingDefinition} SettingDefinition */
/** @typedef {import("./settings.js").Settings} Settings */
/** @typedef {import("./settings.js").SettingsSource} SettingsSource */
