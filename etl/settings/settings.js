/**
 * Every setting of every command (`npm run etl`, `npm start`, `npm run migrate`, `npm run bench`),
 * read in one place: a flag wins over the environment, which wins over the default. The same
 * DATA_DIR therefore means the same files to every command, whatever folder it runs from.
 *
 * Plain JavaScript with JSDoc types (checked by `npm run check` like the TypeScript): `npm run etl`
 * answers `--help`, `--version` and usage errors with bare Node, before any TypeScript loader
 * starts (etl/etl.js), and those answers are built from this module.
 */
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** @typedef {"etl" | "start" | "migrate" | "bench"} Command The commands that read settings. */

/**
 * The resolved settings. Paths are absolute.
 * @typedef {object} Settings
 * @property {string} dataDir
 * @property {string} workbook
 * @property {string} contactsCsv
 * @property {string} dailyAt
 * @property {boolean} schedule
 * @property {string} host
 * @property {number} port
 * @property {string | undefined} apiToken
 * @property {string} benchDir
 */

/**
 * One setting: where it is read from, which commands read it, and what it means.
 * @typedef {object} SettingDefinition
 * @property {keyof Settings} key
 * @property {string} env
 * @property {string} [flag] The command-line flag (`--data-dir`); none for secrets, which must not show in `ps`.
 * @property {string} [placeholder] What the flag's value looks like in help text (`DIR`).
 * @property {readonly Command[]} commands
 * @property {string} defaultText The default, as a person reads it.
 * @property {string} description
 */

/** The repository's data/ folder: the default data dir from any working directory. */
export const REPO_DATA_DIR = fileURLToPath(new URL("../../data/", import.meta.url));
const REPO_BENCH_DIR = fileURLToPath(new URL("../../.bench/", import.meta.url));

/**
 * Every setting, in the order the README's table and the help texts list them.
 * @type {readonly SettingDefinition[]}
 */
export const SETTINGS = [
  {
    key: "dataDir", env: "DATA_DIR", flag: "data-dir", placeholder: "DIR", commands: ["etl", "start", "migrate"],
    defaultText: "`data/` in the repository",
    description: "Where the DuckDB files, `runs.jsonl`, `api.json` and the reject reports live; the inputs default to files inside it.",
  },
  {
    key: "workbook", env: "WORKBOOK", flag: "workbook", placeholder: "PATH", commands: ["etl", "start"],
    defaultText: "`<data dir>/relaciones.xlsx`",
    description: "The relationship workbook to load (and, for `--watch` and `npm start`, to watch).",
  },
  {
    key: "contactsCsv", env: "CONTACTS_CSV", flag: "contacts", placeholder: "PATH", commands: ["etl", "start"],
    defaultText: "`<data dir>/contacts.csv`",
    description: "The contacts CSV to load.",
  },
  {
    key: "dailyAt", env: "ETL_DAILY_AT", flag: "daily-at", placeholder: "HH:MM", commands: ["etl", "start"],
    defaultText: "`00:00`",
    description: "Time of the daily load, UTC (`--watch` and `npm start`).",
  },
  {
    key: "schedule", env: "ETL_SCHEDULE", flag: "schedule", placeholder: "on|off", commands: ["start"],
    defaultText: "`on`",
    description: "`off`: `npm start` runs no loads of its own (use cron or `npm run etl -- --watch`).",
  },
  {
    key: "host", env: "HOST", flag: "host", placeholder: "ADDRESS", commands: ["start"],
    defaultText: "`127.0.0.1`",
    description: "Address to listen on; a non-loopback address is refused without `API_TOKEN`.",
  },
  {
    key: "port", env: "PORT", flag: "port", placeholder: "N", commands: ["start"],
    defaultText: "`8000`",
    description: "Port to listen on; `0` picks a free one.",
  },
  {
    key: "apiToken", env: "API_TOKEN", commands: ["start", "etl"],
    defaultText: "unset",
    description: "When set, every write needs `Authorization: Bearer <token>`; `npm run etl` sends it when it hands contacts to the API. Environment only, so it never shows in `ps`.",
  },
  {
    key: "benchDir", env: "BENCH_DIR", flag: "bench-dir", placeholder: "DIR", commands: ["bench"],
    defaultText: "`.bench/` in the repository",
    description: "Where benchmarks keep the large workbooks they generate (minutes to write, so kept).",
  },
];

/** A setting has a value that cannot be used; the CLIs print `message` and exit 2. */
export class SettingsError extends Error {
  /** @override @readonly */
  name = "SettingsError";
  /** @readonly */
  code = "bad-setting";
}

/**
 * Where settings are read from; each defaults to this process's own.
 * @typedef {object} SettingsSource
 * @property {Record<string, string | boolean | undefined>} [flags] Flag values by flag name (`{ "data-dir": "/srv/data" }`), as `util.parseArgs` returns them.
 * @property {NodeJS.ProcessEnv} [env]
 * @property {string} [cwd] Relative paths resolve against this folder (where the user typed them).
 */

/**
 * Returns the settings `command` reads, from flags, then the environment, then the defaults.
 * Throws SettingsError naming the flag or variable for a value that cannot be used.
 *
 * @example
 * ```ts
 * readSettings("etl", { env: { DATA_DIR: "/srv/data" } }).workbook; // "/srv/data/relaciones.xlsx"
 * readSettings("start", { env: { HOST: "0.0.0.0" } }); // throws: refusing to listen ... without API_TOKEN
 * ```
 * @param {Command} command
 * @param {SettingsSource} [source]
 * @returns {Settings}
 */
export function readSettings(command, source = {}) {
  const flags = source.flags ?? {};
  const env = source.env ?? process.env;
  const cwd = source.cwd ?? process.cwd();
  /** @type {(key: keyof Settings) => { text: string, from: string } | undefined} */
  const raw = (key) => {
    const def = /** @type {SettingDefinition} */ (SETTINGS.find((d) => d.key === key));
    if (!def.commands.includes(command)) return undefined;
    const flag = def.flag === undefined ? undefined : flags[def.flag];
    if (typeof flag === "string") return { text: flag, from: `--${def.flag}` };
    const value = env[def.env]?.trim();
    return value ? { text: value, from: def.env } : undefined;
  };
  /** @type {(key: keyof Settings, fallback: string) => string} */
  const path = (key, fallback) => {
    const value = raw(key);
    return value === undefined ? fallback : resolve(cwd, value.text);
  };

  const dataDir = path("dataDir", resolve(REPO_DATA_DIR));
  const dailyAt = raw("dailyAt");
  if (dailyAt !== undefined) parseDailyAt(dailyAt.text, dailyAt.from);
  const schedule = raw("schedule");
  if (schedule !== undefined && schedule.text !== "on" && schedule.text !== "off") {
    throw new SettingsError(`${schedule.from} must be 'on' or 'off'; got '${schedule.text}'`);
  }
  const port = raw("port");
  if (port !== undefined && (!/^\d{1,5}$/.test(port.text) || Number(port.text) > 65535)) {
    throw new SettingsError(`${port.from} must be a number from 0 to 65535; got '${port.text}'`);
  }
  const host = raw("host")?.text ?? "127.0.0.1";
  const apiToken = raw("apiToken")?.text;
  if (command === "start" && !isLoopback(host)) {
    if (apiToken === undefined) {
      throw new SettingsError(
        `Refusing to listen on ${host} without API_TOKEN: anyone on the network could change contacts. ` +
          `Set API_TOKEN to a long random secret (writes then need "Authorization: Bearer <token>"), or use HOST=127.0.0.1.`,
      );
    }
    if (apiToken.length < 16) throw new SettingsError("API_TOKEN is shorter than 16 characters; use a long random secret on a network address");
  }
  return {
    dataDir,
    workbook: path("workbook", join(dataDir, "relaciones.xlsx")),
    contactsCsv: path("contactsCsv", join(dataDir, "contacts.csv")),
    dailyAt: dailyAt?.text ?? "00:00",
    schedule: schedule?.text !== "off",
    host,
    port: port === undefined ? 8000 : Number(port.text),
    apiToken,
    benchDir: path("benchDir", resolve(REPO_BENCH_DIR)),
  };
}

/**
 * Returns the `util.parseArgs` options for the flags of `command`'s settings.
 *
 * @example
 * ```ts
 * parseArgs({ args, options: { ...settingFlags("migrate"), help: { type: "boolean" } } });
 * ```
 * @param {Command} command
 * @returns {Record<string, { type: "string" }>}
 */
export function settingFlags(command) {
  /** @type {Record<string, { type: "string" }>} */
  const options = {};
  for (const def of SETTINGS) if (def.flag !== undefined && def.commands.includes(command)) options[def.flag] = { type: "string" };
  return options;
}

/**
 * Returns the help lines for `command`'s settings: flag, meaning, variable and default.
 *
 * @example
 * ```ts
 * settingsHelp("migrate"); // ["  --data-dir DIR  Where the DuckDB files ... ($DATA_DIR; default: data/ in the repository)"]
 * ```
 * @param {Command} command
 * @returns {string[]}
 */
export function settingsHelp(command) {
  const defs = SETTINGS.filter((d) => d.commands.includes(command));
  /** @type {(d: SettingDefinition) => string} */
  const left = (d) => (d.flag === undefined ? `  $${d.env}` : `  --${d.flag} ${d.placeholder ?? "VALUE"}`);
  const width = Math.max(...defs.map((d) => left(d).length)) + 2;
  /** @type {(text: string) => string} */
  const plain = (text) => text.replaceAll("`", "");
  return defs.map((d) => {
    const where = d.flag === undefined ? "" : `$${d.env}; `;
    return `${left(d).padEnd(width)}${plain(d.description)} (${where}default: ${plain(d.defaultText)})`;
  });
}

/**
 * Returns the README's settings table (Markdown), generated from SETTINGS so it cannot drift.
 *
 * @example
 * ```ts
 * settingsTable().split("\n")[0]; // "| variable | flag | commands | default | meaning |"
 * ```
 * @returns {string}
 */
export function settingsTable() {
  const rows = SETTINGS.map((d) =>
    `| \`${d.env}\` | ${d.flag === undefined ? "—" : `\`--${d.flag}\``} | ${d.commands.map((c) => `\`${c}\``).join(", ")} | ${d.defaultText} | ${d.description} |`,
  );
  return ["| variable | flag | commands | default | meaning |", "|---|---|---|---|---|", ...rows].join("\n");
}

/**
 * Parses a daily time "HH:MM" (UTC). Throws SettingsError naming `from` for anything else.
 *
 * @example
 * ```ts
 * parseDailyAt("06:30"); // { hour: 6, minute: 30 }
 * ```
 * @param {string} text
 * @param {string} [from]
 * @returns {{ hour: number, minute: number }}
 */
export function parseDailyAt(text, from = "The daily time") {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  const hour = match ? Number(match[1]) : NaN;
  const minute = match ? Number(match[2]) : NaN;
  if (!(hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59)) {
    throw new SettingsError(`${from} must be HH:MM in UTC, e.g. 00:00 or 06:30; got '${text}'`);
  }
  return { hour, minute };
}

/**
 * True for 127.0.0.0/8, ::1 and localhost.
 *
 * @example
 * ```ts
 * isLoopback("127.0.0.1"); // true
 * ```
 * @param {string} host
 * @returns {boolean}
 */
export function isLoopback(host) {
  if (host === "localhost" || host === "::1" || host === "[::1]") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}
