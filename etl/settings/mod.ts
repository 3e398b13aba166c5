/**
 * The settings of every command, read from flags, the environment and defaults in one place.
 *
 * @example
 * ```ts
 * import { readSettings } from "../settings/mod.ts";
 * const { dataDir, workbook } = readSettings("etl", { flags: values });
 * ```
 */
export {
  etlChildEnv,
  isLocalNetworkHost,
  isLoopback,
  isUrl,
  parseDailyAt,
  parseDuration,
  readSettings,
  REPO_DATA_DIR,
  SETTINGS,
  settingFlags,
  SettingsError,
  settingsHelp,
  settingsTable,
  type AlertSeverity,
  type Command,
  type SettingDefinition,
  type Settings,
  type SettingsSource,
} from "./settings.ts";
