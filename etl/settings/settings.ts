/**
 * Every setting of every command (`npm run etl`, `npm start`, `npm run migrate`, `npm run bench`),
 * read in one place: a flag wins over the environment, which wins over the default. The same
 * DATA_DIR therefore means the same files to every command, whatever folder it runs from.
 */
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The commands that read settings. */
export type Command = "etl" | "start" | "migrate" | "bench";

/** The resolved settings. Paths are absolute. */
export interface Settings {
  dataDir: string;
  workbook: string;
  contactsCsv: string;
  dailyAt: string;
  schedule: boolean;
  host: string;
  /** Host names the API answers to besides loopback names (lower case); `["*"]`: any. */
  allowedHosts: string[];
  port: number;
  apiToken: string | undefined;
  /** `postgres://...`: contacts in PostgreSQL instead of `<data dir>/contacts.duckdb`. */
  databaseUrl: string | undefined;
  benchDir: string;
}

/** One setting: where it is read from, which commands read it, and what it means. */
export interface SettingDefinition {
  readonly key: keyof Settings;
  readonly env: string;
  /** The command-line flag (`--data-dir`); none for secrets, which must not show in `ps`. */
  readonly flag?: string;
  /** What the flag's value looks like in help text (`DIR`). */
  readonly placeholder?: string;
  readonly commands: readonly Command[];
  /** The default, as a person reads it. */
  readonly defaultText: string;
  readonly description: string;
}

/** The repository's data/ folder: the default data dir from any working directory. */
export const REPO_DATA_DIR: string = fileURLToPath(new URL("../../data/", import.meta.url));
const REPO_BENCH_DIR: string = fileURLToPath(new URL("../../.bench/", import.meta.url));

/** Every setting, in the order the README's table and the help texts list them. */
export const SETTINGS: readonly SettingDefinition[] = [
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
    key: "allowedHosts", env: "ALLOWED_HOSTS", flag: "allowed-hosts", placeholder: "NAMES", commands: ["start"],
    defaultText: "loopback names only; any name when `HOST` is not loopback",
    description:
      "Host names (comma-separated, no port; `*` for any) the API answers to besides `localhost`, `127.x.x.x` and `[::1]`: other `Host` headers get a 421, so a page using DNS rebinding cannot reach a local API. List the names clients use behind a proxy.",
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
    key: "databaseUrl", env: "DATABASE_URL", commands: ["start", "etl", "migrate", "bench"],
    defaultText: "unset: contacts in `<data dir>/contacts.duckdb`",
    description:
      "`postgres://user:password@host:5432/db`: contacts live in PostgreSQL instead (its own migrations, run once under an advisory lock), so several `npm start` processes can serve and write them; `npm run etl` then loads straight into it (`npm run bench -- contacts` creates its own databases on that server). The client library is loaded only when this is set. Environment only: it may hold a password.",
  },
  {
    key: "benchDir", env: "BENCH_DIR", flag: "bench-dir", placeholder: "DIR", commands: ["bench"],
    defaultText: "`.bench/` in the repository",
    description: "Where benchmarks keep the large workbooks they generate (minutes to write, so kept).",
  },
];

/** A setting has a value that cannot be used; the CLIs print `message` and exit 2. */
export class SettingsError extends Error {
  override readonly name = "SettingsError";
  readonly code = "bad-setting";
}

/** Where settings are read from; each defaults to this process's own. */
export interface SettingsSource {
  /** Flag values by flag name (`{ "data-dir": "/srv/data" }`), as `util.parseArgs` returns them. */
  flags?: Record<string, string | boolean | undefined>;
  env?: NodeJS.ProcessEnv;
  /** Relative paths resolve against this folder (where the user typed them). */
  cwd?: string;
}

/**
 * Returns the settings `command` reads, from flags, then the environment, then the defaults.
 * Throws SettingsError naming the flag or variable for a value that cannot be used.
 *
 * @example
 * ```ts
 * readSettings("etl", { env: { DATA_DIR: "/srv/data" } }).workbook; // "/srv/data/relaciones.xlsx"
 * readSettings("start", { env: { HOST: "0.0.0.0" } }); // throws: refusing to listen ... without API_TOKEN
 * ```
 */
export function readSettings(command: Command, source: SettingsSource = {}): Settings {
  const flags = source.flags ?? {};
  const env = source.env ?? process.env;
  const cwd = source.cwd ?? process.cwd();
  const raw = (key: keyof Settings): { text: string; from: string } | undefined => {
    const def = SETTINGS.find((d) => d.key === key)!;
    if (!def.commands.includes(command)) return undefined;
    const flag = def.flag === undefined ? undefined : flags[def.flag];
    if (typeof flag === "string") return { text: flag, from: `--${def.flag}` };
    const value = env[def.env]?.trim();
    return value ? { text: value, from: def.env } : undefined;
  };
  const path = (key: keyof Settings, fallback: string) => {
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
  const databaseUrl = raw("databaseUrl");
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl.text)) {
    throw new SettingsError(`${databaseUrl.from} must be a postgres:// or postgresql:// URL; got '${databaseUrl.text.replace(/:[^:@/]*@/, ":***@").slice(0, 80)}'`);
  }
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
  const allowedHosts = raw("allowedHosts");
  return {
    dataDir,
    workbook: path("workbook", join(dataDir, "relaciones.xlsx")),
    contactsCsv: path("contactsCsv", join(dataDir, "contacts.csv")),
    dailyAt: dailyAt?.text ?? "00:00",
    schedule: schedule?.text !== "off",
    host,
    // On a network address the token guards writes and anyone on the network reads anyway; on
    // loopback the Host check is what keeps a rebound web page out.
    allowedHosts: allowedHosts === undefined ? (isLoopback(host) ? [] : ["*"]) : parseHostList(allowedHosts.text, allowedHosts.from),
    port: port === undefined ? 8000 : Number(port.text),
    apiToken,
    databaseUrl: databaseUrl?.text,
    benchDir: path("benchDir", resolve(REPO_BENCH_DIR)),
  };
}

/** A host name, IPv4 address or bracketed IPv6 address, lower case, without a port. */
const HOST_NAME = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])$/;

function parseHostList(text: string, from: string): string[] {
  const names = text.split(",").map((name) => name.trim().toLowerCase()).filter((name) => name !== "");
  for (const name of names) {
    if (name !== "*" && !HOST_NAME.test(name)) {
      throw new SettingsError(`${from} has '${name}'; list host names without a port, separated by commas (or * for any)`);
    }
  }
  return names;
}

/**
 * Returns the `util.parseArgs` options for the flags of `command`'s settings.
 *
 * @example
 * ```ts
 * parseArgs({ args, options: { ...settingFlags("migrate"), help: { type: "boolean" } } });
 * ```
 */
export function settingFlags(command: Command): Record<string, { type: "string" }> {
  const options: Record<string, { type: "string" }> = {};
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
 */
export function settingsHelp(command: Command): string[] {
  const defs = SETTINGS.filter((d) => d.commands.includes(command));
  const left = (d: SettingDefinition) => (d.flag === undefined ? `  $${d.env}` : `  --${d.flag} ${d.placeholder ?? "VALUE"}`);
  const width = Math.max(...defs.map((d) => left(d).length)) + 2;
  const plain = (text: string) => text.replaceAll("`", "");
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
 */
export function settingsTable(): string {
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
 */
export function parseDailyAt(text: string, from = "The daily time"): { hour: number; minute: number } {
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
 */
export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1" || host === "[::1]") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}
