/**
 * Every setting of every command (`npm run etl`, `npm start`, `npm run migrate`, `npm run bench`),
 * read in one place: a flag wins over the environment, which wins over the default. The same
 * DATA_DIR therefore means the same files to every command, whatever folder it runs from.
 *
 * Plain JavaScript with JSDoc types (checked by `npm run check` like the TypeScript): `npm run etl`
 * answers `--help`, `--version` and usage errors with bare Node, before any TypeScript loader
 * starts (etl/etl.js), and those answers are built from this module.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** @typedef {"etl" | "start" | "migrate" | "bench"} Command The commands that read settings. */

/**
 * The resolved settings. Paths are absolute.
 * @typedef {object} Settings
 * @property {string} dataDir
 * @property {string} workbook
 * @property {string} contactsCsv
 * @property {boolean} contactsGiven Whether `--contacts` or CONTACTS_CSV named the file (else it is `<data dir>/contacts.csv`, whose absence is no failure).
 * @property {string} dailyAt
 * @property {boolean} schedule
 * @property {string} host
 * @property {string[]} allowedHosts Host names the API answers to besides loopback names (lower case); `["*"]`: any.
 * @property {number} port
 * @property {string | undefined} apiToken
 * @property {string | undefined} databaseUrl `postgres://...`: contacts in PostgreSQL instead of `<data dir>/contacts.duckdb`.
 * @property {number} pgLockTimeoutMs How long an API request waits for a PostgreSQL lock before its 503.
 * @property {number} pgStatementTimeoutMs How long an API request's PostgreSQL statement may run before its 503.
 * @property {number} pgPoolSize PostgreSQL connections one API process may open at once.
 * @property {string} benchDir
 * @property {string | undefined} chromiumPath The browser binary the dashboard benchmark drives (scripts/testing/cdp.ts reads it from the environment).
 * @property {string | undefined} alertWebhook Where alerts are POSTed; undefined: no alerts.
 * @property {AlertSeverity} alertMinSeverity
 * @property {number} alertTimeoutMs Time allowed for one alert POST.
 * @property {string | undefined} publicUrl The dashboard's address for links (no trailing slash); undefined: the running API's.
 * @property {boolean} metricsPublic GET /metrics without the token even when API_TOKEN is set.
 * @property {{ name: string, value: string } | undefined} workbookAuthHeader The header sent with every request for a URL workbook.
 * @property {number | null} workbookPollMs How often a URL workbook is polled; null: only at the daily time.
 * @property {number} workbookMaxBytes Largest workbook download accepted, in bytes.
 * @property {string | null} parquetDir Where published versions are also written as Parquet; null: not written.
 * @property {KeepVersions} keepVersions Which published snapshots are kept for `--restore`.
 * @property {number | null} contactsExportMs How old the Parquet copy of the contacts tables may get after a write before it is written again; null: no copy.
 */

/**
 * Which published snapshots are kept: the newest `newest`, and every one published in the last
 * `days` days (0: none by age).
 * @typedef {{ newest: number, days: number }} KeepVersions
 */

/** @typedef {"error" | "warning" | "info"} AlertSeverity The severities an alert can be set to start at (the run record's `Severity`). */

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

/** @typedef {{ text: string, from: string } | undefined} RawSetting */

/** The repository's data/ folder: the default data dir from any working directory. */
export const REPO_DATA_DIR = fileURLToPath(new URL("../../data/", import.meta.url));
const REPO_BENCH_DIR = fileURLToPath(new URL("../../.bench/", import.meta.url));
const REPO_ROOT = resolve(fileURLToPath(new URL("../../", import.meta.url)));

/**
 * Returns the folder the user typed the command in. `npm run` starts scripts in the package's
 * folder and says where it was invoked in INIT_CWD; a process started anywhere else (a test's
 * child, `node etl/etl.js` from another folder) is where it says it is.
 *
 * @example
 * ```js
 * // cd ~/work/reports && npm --prefix ~/relaciones run etl -- --data-dir out
 * invokedFrom(); // "~/work/reports", so the data dir is ~/work/reports/out
 * ```
 * @param {NodeJS.ProcessEnv} [env]
 * @param {string} [cwd]
 * @returns {string}
 */
export function invokedFrom(env = process.env, cwd = process.cwd()) {
  return env.INIT_CWD !== undefined && env.INIT_CWD !== "" && resolve(cwd) === REPO_ROOT ? env.INIT_CWD : cwd;
}

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
    description:
      "The relationship workbook to load (and, for `--watch` and `npm start`, to watch): a path, or an `https://` URL (`http://` only for hosts on the local network) fetched with a conditional GET into `<data dir>/fetched/`.",
  },
  {
    key: "workbookAuthHeader", env: "WORKBOOK_AUTH_HEADER", commands: ["etl", "start"],
    defaultText: "unset",
    description: "A header sent with every request for a URL workbook, as `Name: value` (e.g. `Authorization: Bearer <token>`), in characters a header can carry (ASCII, Latin-1, tab: another is refused at start-up); not sent on a redirect to another host. Environment only; never logged, never in run records.",
  },
  {
    key: "workbookPollMs", env: "WORKBOOK_POLL", flag: "workbook-poll", placeholder: "DURATION|off", commands: ["etl", "start"],
    defaultText: "`10m`",
    description: "How often `--watch` and `npm start` ask a URL workbook whether it changed (an unchanged file costs one 304), besides the daily load; `30s`, `10m`, `1h` (at least `10s`), or `off`.",
  },
  {
    key: "workbookMaxBytes", env: "WORKBOOK_MAX_MB", flag: "workbook-max-mb", placeholder: "N", commands: ["etl", "start"],
    defaultText: "`1024`",
    description: "Largest workbook download accepted, in MiB: a larger one is stopped, the load fails and the previous version stays published.",
  },
  {
    key: "contactsCsv", env: "CONTACTS_CSV", flag: "contacts", placeholder: "PATH", commands: ["etl", "start"],
    defaultText: "`<data dir>/contacts.csv`",
    description: "The contacts CSV to load.",
  },
  {
    key: "parquetDir", env: "PARQUET_DIR", flag: "parquet", placeholder: "DIR|off", commands: ["etl", "start"],
    defaultText: "`<data dir>/parquet`",
    description:
      "Where every published relationship version is also written as Parquet (zstd) in Hive-style folders, `table=<name>/version=<N>/data.parquet`, with the `changes` history, so Spark, Trino, pandas or DuckDB read each version without the API; `off` writes none. A failed export is recorded in the run; the load still succeeds.",
  },
  {
    key: "keepVersions", env: "KEEP_VERSIONS", flag: "keep-versions", placeholder: "N|Nd", commands: ["etl", "start"],
    defaultText: "`7d`",
    description:
      "Which published snapshots stay in `<data dir>/snapshots/` for `npm run etl -- --restore VERSION`: `Nd` keeps every version published in the last N days and never fewer than the newest N (a week of daily loads even when loads were rare); `N` keeps the newest N.",
  },
  {
    key: "contactsExportMs", env: "CONTACTS_EXPORT", flag: "contacts-export", placeholder: "DURATION|off", commands: ["etl", "start"],
    defaultText: "`60s`",
    description:
      "The contacts tables (`contacts`, `departments`, `contact_departments`) as Parquet (zstd) in `<data dir>/exports/contacts/`, for analysts while the API holds `contacts.duckdb`: written from one consistent snapshot after writes, at most once per this interval (`30s`, `5m`), at the API's start-up when out of date, and at the end of a direct `npm run etl` load; so the files lag a write by at most this plus one export. `off` writes none. Not with `DATABASE_URL`: query PostgreSQL itself. A failed export is logged; writes go on.",
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
      "`postgres://user:password@host:5432/db` (in the user name and password `/ ? # %` percent-encoded, `%2F %3F %23 %25`: a value with one of them raw is refused, unshown; `@`, `:` and spaces may be encoded too, `%40 %3A %20`, or left as they are, but for a raw `@` with a `,` after it, refused too: the client then reads a list of hosts from the password), or for a server on the same machine its Unix socket as libpq spells it, `postgres://user@localhost/db?host=/run/postgresql` (`&port=` when not 5432; Debian's package listens there and lets a local user in by name; cheaper for the API than loopback TCP): contacts live in PostgreSQL instead (its own migrations, run once under an advisory lock), so several `npm start` processes can serve and write them; `npm run etl` then loads straight into it (`npm run bench -- contacts` creates its own databases on that server). TLS: `?sslmode=require` (encrypted, unverified) or `verify-full` (a private authority's certificate in `NODE_EXTRA_CA_CERTS`, or `&sslrootcert=system`); libpq's certificate files (`sslrootcert=<file>`, `sslcert`, `sslkey`) are refused, the client cannot read them. `lock_timeout` and `statement_timeout` in its query (or its `options`) are refused: `PG_LOCK_TIMEOUT` and `PG_STATEMENT_TIMEOUT` set them. The client library is loaded only when this is set. Environment only: it may hold a password.",
  },
  {
    key: "pgLockTimeoutMs", env: "PG_LOCK_TIMEOUT", flag: "pg-lock-timeout", placeholder: "DURATION", commands: ["start"],
    defaultText: "`5s`",
    description:
      "With `DATABASE_URL`: how long a request waits for a row or table lock another session holds (an analyst's open transaction, a load rebuilding the indexes) before it answers 503 with `Retry-After` and gives its pooled connection back (PostgreSQL's `lock_timeout`; loads and migrations wait as long as they need).",
  },
  {
    key: "pgStatementTimeoutMs", env: "PG_STATEMENT_TIMEOUT", flag: "pg-statement-timeout", placeholder: "DURATION", commands: ["start"],
    defaultText: "`30s`",
    description: "With `DATABASE_URL`: how long one statement of a request may run before it is cancelled and answered 503 (PostgreSQL's `statement_timeout`; not for loads or migrations, whose statements may run 30 min). The API itself waits this plus 5 s at most, for a server that stopped answering without closing its connections (frozen, or cut off by a network partition), then answers 503 too.",
  },
  {
    key: "pgPoolSize", env: "PG_POOL_SIZE", flag: "pg-pool-size", placeholder: "N", commands: ["start"],
    defaultText: "`16`",
    description:
      "With `DATABASE_URL`: connections one API process may open to PostgreSQL at once (2 to 1000; one idle 10 s is closed). Keep the sum over every API process, plus 2 per `npm run etl` and the analysts' sessions, under the server's `max_connections` (100 by default, often less on a provider's plan): past it the server refuses connections and requests answer 503.",
  },
  {
    key: "alertWebhook", env: "ALERT_WEBHOOK_URL", flag: "alert-webhook", placeholder: "URL", commands: ["etl", "start"],
    defaultText: "unset (no alerts)",
    description:
      "Where to POST an alert when a load fails or finds problems at or above `ALERT_MIN_SEVERITY`: JSON with a `text` line for Slack, Mattermost and Teams incoming webhooks and the run for machines. Prefer the variable: a webhook URL is a secret, and flags show in `ps`.",
  },
  {
    key: "alertMinSeverity", env: "ALERT_MIN_SEVERITY", flag: "alert-min-severity", placeholder: "error|warning|info", commands: ["etl", "start"],
    defaultText: "`error`",
    description: "The least severe finding that makes a load that did not fail send an alert (a failed load always does).",
  },
  {
    key: "alertTimeoutMs", env: "ALERT_TIMEOUT", flag: "alert-timeout", placeholder: "DURATION", commands: ["etl", "start"],
    defaultText: "`5s`",
    description: "Time allowed for each alert POST; 3 attempts at most (backoff 0.25 s, 0.5 s), so a webhook that is down delays the end of a load by at most 3× this plus 0.75 s and never fails it.",
  },
  {
    key: "publicUrl", env: "PUBLIC_URL", flag: "public-url", placeholder: "URL", commands: ["etl", "start"],
    defaultText: "the running API's address (`api.json`), else `http://127.0.0.1:8000`",
    description: "The address people open the dashboard at, for the links in alerts.",
  },
  {
    key: "metricsPublic", env: "METRICS_PUBLIC", flag: "metrics-public", placeholder: "on|off", commands: ["start"],
    defaultText: "`off`",
    description: "`on`: `GET /metrics` answers without the bearer token even when `API_TOKEN` is set (a Prometheus on a trusted network); `off`: it needs the token, like writes.",
  },
  {
    key: "benchDir", env: "BENCH_DIR", flag: "bench-dir", placeholder: "DIR", commands: ["bench"],
    defaultText: "`.bench/` in the repository",
    description: "Where benchmarks keep the large workbooks they generate (minutes to write, so kept).",
  },
  {
    key: "chromiumPath", env: "CHROMIUM_PATH", commands: ["bench"],
    defaultText: "the first of `chromium`, `chromium-browser`, `google-chrome` on `PATH`",
    description: "The Chromium (or Chrome) binary `npm run bench -- dashboard` drives headless (and the dashboard's browser tests); a path that does not exist is passed over for those on `PATH`. Environment only.",
  },
];

/** A setting has a value that cannot be used: `npm run etl` and `npm run migrate` print `message` and exit 2 (bad usage), `npm start` exits 1 (a refusal to start). */
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
 * @property {string} [cwd] Relative paths resolve against this folder; default where the user typed the command (`invokedFrom()`).
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
  const cwd = source.cwd ?? invokedFrom(env);
  /** @type {(key: keyof Settings) => RawSetting} */
  const raw = (key) => {
    const def = /** @type {SettingDefinition} */ (SETTINGS.find((d) => d.key === key));
    if (!def.commands.includes(command)) return undefined;
    const flag = def.flag === undefined ? undefined : flags[def.flag];
    // An empty flag is a mistake (`--data-dir "$DATA"` with DATA unset), not a value: as a path it
    // would be the working directory, where loads would then write. Empty variables mean unset.
    if (typeof flag === "string" && flag.trim() === "") throw new SettingsError(`--${def.flag} needs a value; got an empty one (leave the flag out for the default)`);
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
  const schedule = onOff(raw("schedule"));
  const port = raw("port");
  if (port !== undefined && (!/^\d{1,5}$/.test(port.text) || Number(port.text) > 65535)) {
    throw new SettingsError(`${port.from} must be a number from 0 to 65535; got '${port.text}'`);
  }
  // An IPv6 address as a URL writes it ([::1]) is the address itself to listen(): passed on with
  // its brackets it failed as a host name that does not resolve (ENOTFOUND [::1]).
  const hostText = raw("host")?.text ?? "127.0.0.1";
  const bracketed = /^\[(.+)\]$/.exec(hostText);
  const host = bracketed !== null && isIP(bracketed[1]) === 6 ? bracketed[1] : hostText;
  const databaseUrl = raw("databaseUrl");
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl.text)) {
    throw new SettingsError(`${databaseUrl.from} must be a postgres:// or postgresql:// URL; got '${withoutAnyPassword(databaseUrl.text).slice(0, 80)}'`);
  }
  if (databaseUrl !== undefined) {
    checkUrlEncoding(databaseUrl.text, databaseUrl.from);
    checkUrlReadable(databaseUrl.text, databaseUrl.from);
    checkUrlTimeouts(databaseUrl.text, databaseUrl.from);
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
  const workbook = raw("workbook");
  return {
    dataDir,
    workbook: workbook !== undefined && isUrl(workbook.text) ? checkedUrl(workbook, { localHttpOnly: true }) : path("workbook", join(dataDir, "relaciones.xlsx")),
    contactsCsv: path("contactsCsv", join(dataDir, "contacts.csv")),
    contactsGiven: raw("contactsCsv") !== undefined,
    dailyAt: dailyAt?.text ?? "00:00",
    schedule: schedule ?? true,
    host,
    // On a network address the token guards writes and anyone on the network reads anyway; on
    // loopback the Host check is what keeps a rebound web page out.
    allowedHosts: allowedHosts === undefined ? (isLoopback(host) ? [] : ["*"]) : parseHostList(allowedHosts.text, allowedHosts.from),
    port: port === undefined ? 8000 : Number(port.text),
    apiToken,
    databaseUrl: databaseUrl?.text,
    pgLockTimeoutMs: durationOr(raw("pgLockTimeoutMs"), PG_LOCK_TIMEOUT_MS),
    pgStatementTimeoutMs: durationOr(raw("pgStatementTimeoutMs"), PG_STATEMENT_TIMEOUT_MS),
    pgPoolSize: poolSize(raw("pgPoolSize")),
    benchDir: path("benchDir", resolve(REPO_BENCH_DIR)),
    chromiumPath: raw("chromiumPath")?.text,
    ...alertAndFetchSettings(raw),
    ...publicationSettings(raw, dataDir, cwd),
  };
}

/**
 * The defaults of PG_LOCK_TIMEOUT and PG_STATEMENT_TIMEOUT: how long an API request on PostgreSQL
 * waits for a lock and runs at most before its 503 (the contacts engine's defaults too).
 */
export const PG_LOCK_TIMEOUT_MS = 5_000;
export const PG_STATEMENT_TIMEOUT_MS = 30_000;

/**
 * A duration setting (`parseDuration`: never 0, which PostgreSQL would take for "no limit"), or
 * `fallback` when unset.
 * @param {RawSetting} setting
 * @param {number} fallback
 * @returns {number}
 */
function durationOr(setting, fallback) {
  return setting === undefined ? fallback : parseDuration(setting.text, setting.from);
}

/** The default of PG_POOL_SIZE: connections one API process may open to PostgreSQL. */
export const PG_POOL_SIZE = 16;

/**
 * PG_POOL_SIZE: a whole number from 2 (one point-read group and one other statement) to 1000.
 * @param {RawSetting} setting
 * @returns {number}
 */
function poolSize(setting) {
  if (setting === undefined) return PG_POOL_SIZE;
  const n = /^\d{1,4}$/.test(setting.text) ? Number(setting.text) : NaN;
  if (!(n >= 2 && n <= 1000)) throw new SettingsError(`${setting.from} must be a whole number from 2 to 1000; got '${setting.text.slice(0, 40)}'`);
  return n;
}

/**
 * The settings of what a load leaves besides its database: Parquet files, kept versions, the
 * contacts export.
 * @param {(key: keyof Settings) => RawSetting} raw
 * @param {string} dataDir
 * @param {string} cwd
 * @returns {Pick<Settings, "parquetDir" | "keepVersions" | "contactsExportMs">}
 */
function publicationSettings(raw, dataDir, cwd) {
  const parquet = raw("parquetDir");
  const keep = raw("keepVersions");
  const contactsExport = raw("contactsExportMs");
  return {
    parquetDir: parquet === undefined ? join(dataDir, "parquet") : parquet.text === "off" ? null : resolve(cwd, parquet.text),
    keepVersions: keep === undefined ? { newest: 7, days: 7 } : parseKeepVersions(keep.text, keep.from),
    contactsExportMs: durationOrOff(contactsExport, 60_000),
  };
}

/**
 * Parses KEEP_VERSIONS: `N` (the newest N) or `Nd` (the last N days, at least the newest N).
 * Throws SettingsError naming `from` otherwise.
 *
 * @example
 * ```ts
 * parseKeepVersions("7d"); // { newest: 7, days: 7 }
 * parseKeepVersions("30"); // { newest: 30, days: 0 }
 * ```
 * @param {string} text
 * @param {string} [from]
 * @returns {KeepVersions}
 */
function parseKeepVersions(text, from = "KEEP_VERSIONS") {
  const match = /^(\d+)(d?)$/.exec(text.trim());
  const n = match === null ? NaN : Number(match[1]);
  if (!(n >= 1 && n <= 9999)) throw new SettingsError(`${from} must be a number of versions (7) or of days (7d), from 1 to 9999; got '${text}'`);
  return { newest: n, days: match?.[2] === "d" ? n : 0 };
}

/**
 * Returns KEEP_VERSIONS as text, the inverse of `parseKeepVersions()`.
 *
 * @example
 * ```ts
 * keepVersionsText({ newest: 7, days: 7 }); // "7d"
 * ```
 * @param {KeepVersions} keep
 * @returns {string}
 */
function keepVersionsText(keep) {
  return keep.days > 0 ? `${keep.days}d` : String(keep.newest);
}

/**
 * The settings of alerts, metrics and URL workbooks, parsed and checked.
 * @param {(key: keyof Settings) => RawSetting} raw
 * @returns {Pick<Settings, "alertWebhook" | "alertMinSeverity" | "alertTimeoutMs" | "publicUrl" | "metricsPublic" | "workbookAuthHeader" | "workbookPollMs" | "workbookMaxBytes">}
 */
function alertAndFetchSettings(raw) {
  const webhook = raw("alertWebhook");
  const severity = raw("alertMinSeverity");
  if (severity !== undefined && !["error", "warning", "info"].includes(severity.text)) {
    throw new SettingsError(`${severity.from} must be 'error', 'warning' or 'info'; got '${severity.text}'`);
  }
  const timeout = raw("alertTimeoutMs");
  const publicUrl = raw("publicUrl");
  const maxMb = raw("workbookMaxBytes");
  if (maxMb !== undefined && !/^[1-9]\d{0,6}$/.test(maxMb.text)) throw new SettingsError(`${maxMb.from} must be a whole number of MiB from 1 to 9999999; got '${maxMb.text}'`);
  return {
    alertWebhook: webhook === undefined ? undefined : checkedUrl(webhook, { localHttpOnly: true }),
    alertMinSeverity: /** @type {AlertSeverity | undefined} */ (severity?.text) ?? "error",
    alertTimeoutMs: timeout === undefined ? 5000 : parseDuration(timeout.text, timeout.from),
    publicUrl: publicUrl === undefined ? undefined : checkedUrl(publicUrl, { localHttpOnly: false }).replace(/\/+$/, ""),
    metricsPublic: onOff(raw("metricsPublic")) ?? false,
    workbookAuthHeader: parseHeaderLine(raw("workbookAuthHeader")),
    workbookPollMs: durationOrOff(raw("workbookPollMs"), 10 * 60_000, 10_000),
    workbookMaxBytes: (maxMb === undefined ? 1024 : Number(maxMb.text)) * 1024 * 1024,
  };
}

/**
 * Returns `env` plus the variables that give a child `npm run etl` (the loads `npm start`
 * schedules) the alert, download and publication settings this process read, flags included: the
 * child gets its inputs and data dir as flags and everything else from its environment.
 *
 * @example
 * ```ts
 * spawn(process.execPath, [etlMain, "--json"], { env: etlChildEnv(readSettings("start")) });
 * ```
 * @param {Settings} settings
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {NodeJS.ProcessEnv}
 */
export function etlChildEnv(settings, env = process.env) {
  /** @type {NodeJS.ProcessEnv} */
  const out = { ...env };
  if (settings.alertWebhook !== undefined) out.ALERT_WEBHOOK_URL = settings.alertWebhook;
  if (settings.publicUrl !== undefined) out.PUBLIC_URL = settings.publicUrl;
  out.ALERT_MIN_SEVERITY = settings.alertMinSeverity;
  out.ALERT_TIMEOUT = `${settings.alertTimeoutMs}ms`;
  out.WORKBOOK_MAX_MB = String(Math.floor(settings.workbookMaxBytes / (1024 * 1024)));
  out.PARQUET_DIR = settings.parquetDir ?? "off";
  out.KEEP_VERSIONS = keepVersionsText(settings.keepVersions);
  out.CONTACTS_EXPORT = settings.contactsExportMs === null ? "off" : `${settings.contactsExportMs}ms`;
  return out;
}

/**
 * @param {RawSetting} value
 * @returns {boolean | undefined}
 */
function onOff(value) {
  if (value === undefined) return undefined;
  if (value.text !== "on" && value.text !== "off") throw new SettingsError(`${value.from} must be 'on' or 'off'; got '${value.text}'`);
  return value.text === "on";
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration, in whole milliseconds: `250ms`, `5s`, `10m`, `1h`. Throws SettingsError naming
 * `from` otherwise, and for one that rounds to 0 (under half a millisecond: PostgreSQL would take
 * 0 for "no limit") or is over 7 days.
 *
 * @example
 * ```ts
 * parseDuration("10m"); // 600000
 * ```
 * @param {string} text
 * @param {string} [from]
 * @returns {number}
 */
function parseDuration(text, from = "The duration") {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(text.trim());
  // Rounded first: under half a millisecond would be 0, which PostgreSQL takes for "no limit".
  const ms = match === null ? NaN : Math.round(Number(match[1]) * UNIT_MS[/** @type {keyof typeof UNIT_MS} */ (match[2])]);
  if (!(ms > 0)) throw new SettingsError(`${from} must be a duration such as 500ms, 5s, 10m or 1h; got '${text}'`);
  if (ms > 7 * 86_400_000) throw new SettingsError(`${from} must be at most 7 days (168h); got '${text}'`);
  return ms;
}

/**
 * A `DURATION|off` setting: its milliseconds, null for `off`, `fallback` when it is not set. Throws
 * SettingsError naming the setting for anything else, or for less than `minMs`.
 *
 * @example
 * ```ts
 * durationOrOff({ text: "off", from: "WORKBOOK_POLL" }, 600_000); // null
 * ```
 * @param {RawSetting} setting
 * @param {number} fallback
 * @param {number} [minMs]
 * @returns {number | null}
 */
function durationOrOff(setting, fallback, minMs = 0) {
  if (setting === undefined) return fallback;
  if (setting.text === "off") return null;
  const ms = parseDuration(setting.text, setting.from);
  if (ms < minMs) throw new SettingsError(`${setting.from} must be at least ${minMs / 1000}s (or 'off'); got '${setting.text}'`);
  return ms;
}

/**
 * Returns `url` with the password of its `user:password@` part replaced by `***` (everything from
 * the first ':' after the user name to the last '@', as a password may hold both), and that of a
 * libpq `password=` given by mistake, for messages and logs (DATABASE_URL may hold one). Text, not
 * URL parsing: it must also work on a value refused as unparsable.
 *
 * @example
 * ```ts
 * withoutPassword("postgres://app:s3cret@db:5432/contacts"); // "postgres://app:***@db:5432/contacts"
 * ```
 * @param {string} url
 * @returns {string}
 */
export function withoutPassword(url) {
  // The password runs from the first ':' after the user name to the LAST '@': a password may hold
  // ':' (RFC 3986 allows it in userinfo) and, written raw, '@' or '/', and postgres.js takes it so.
  // Masking too much (an '@' in the query) is harmless; showing part of a password is not. A libpq
  // `key=value` string given by mistake names it as `password=`.
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*):.*@/is, "$1:***@").replace(/(password\s*=\s*)('[^']*'|[^&\s]*)/gi, "$1***");
}

/**
 * `withoutPassword` for text that may not even be a URL (a mistyped scheme, "postgres//..."): the
 * pattern above needs "scheme://" to find the password, and without it the text was shown whole.
 * Everything before the last '@' is masked but what looks like a scheme (or, with no scheme, the user name).
 *
 * @param {string} text
 */
function withoutAnyPassword(text) {
  const masked = withoutPassword(text);
  return masked !== text ? masked : text.replace(/^((?:[a-z][a-z0-9+.-]*:)?\/*).*@/is, "$1***@");
}

/**
 * Refuses a DATABASE_URL the client cannot parse, as the client parses it (the first of a list of
 * hosts; an empty host before the path is what connectionOf() fills in). A port past 65535 or an
 * unclosed '[' reached the client, which said only "Invalid URL" and named neither the setting nor
 * the part.
 *
 * @param {string} url
 * @param {string} from
 */
function checkUrlReadable(url, from) {
  const authority = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").split(/[/?#]/)[0];
  const hosts = authority.slice(authority.lastIndexOf("@") + 1);
  const first = url.replace(hosts, hosts.split(",")[0]).replace(/^(postgres(?:ql)?:\/\/[^/?#@]*@)(?=[/?])/, "$1localhost");
  try {
    new URL(first);
  } catch {
    throw new SettingsError(
      `${from} cannot be read as a URL (its port must be a number up to 65535, an IPv6 address written in brackets, [::1]); got '${withoutPassword(url).slice(0, 80)}'`,
    );
  }
}

/**
 * Refuses a DATABASE_URL whose user name or password is not percent-encoded. Written raw, '/', '?'
 * and '#' end the host part for the client, which then took the rest of the password for the host
 * and put it in every error ("getaddrinfo ENOTFOUND t"), so in logs and run records; a stray '%'
 * made it fail with "URI malformed". The message never shows the value. A raw '@' or ':' the client
 * reads as libpq does (the last '@' ends the password), so those pass, unless a ',' follows the
 * raw '@' (see below).
 *
 * @param {string} url
 * @param {string} from
 */
function checkUrlEncoding(url, from) {
  const rest = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const authority = rest.split(/[/?#]/)[0];
  // postgres.js looks for a list of hosts after the FIRST '@' (where URL takes the last): a raw '@'
  // in the password with a ',' after it made the rest of the password host names, and with every
  // "host" failing its reconnect loop never ended (npm start and npm run migrate hung, silent).
  const firstAt = authority.indexOf("@");
  const hostList = firstAt !== authority.lastIndexOf("@") && authority.slice(firstAt + 1).includes(",");
  if (hostList || rest.slice(authority.length).includes("@") || /%(?![0-9a-f]{2})/i.test(authority)) {
    throw new SettingsError(
      `${from} cannot be read: its user name or password must be percent-encoded ` +
        "('@' as %40, ':' as %3A, '/' as %2F, '?' as %3F, '#' as %23, '%' as %25, a space as %20); not shown, as it may hold a password",
    );
  }
}

/**
 * Throws when DATABASE_URL's query sets a timeout the settings own: the client sends query
 * parameters to the server after the pool's own settings, so `?lock_timeout=0` silently replaced
 * PG_LOCK_TIMEOUT (and requests waited on locks with no end).
 *
 * @param {string} url
 * @param {string} from
 */
function checkUrlTimeouts(url, from) {
  const query = url.match(/\?([^#]*)/)?.[1];
  if (query === undefined) return;
  const owned = { lock_timeout: "PG_LOCK_TIMEOUT", statement_timeout: "PG_STATEMENT_TIMEOUT" };
  for (const [name, value] of new URLSearchParams(query)) {
    const set = name === "options" ? Object.keys(owned).find((key) => new RegExp(`\\b${key}\\s*=`).test(value)) : Object.hasOwn(owned, name) ? name : undefined;
    if (set === undefined) continue;
    const setting = owned[/** @type {keyof typeof owned} */ (set)];
    throw new SettingsError(`${from} sets ${set} in its query; set ${setting} (or its flag) instead, which the API applies to its requests and lifts for loads and migrations`);
  }
}

/**
 * True for text that is an http:// or https:// URL rather than a path.
 *
 * @example
 * ```ts
 * isUrl("https://example.org/relaciones.xlsx"); // true
 * isUrl("data/relaciones.xlsx"); // false
 * ```
 * @param {string} text
 * @returns {boolean}
 */
export function isUrl(text) {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
}

/**
 * Returns the URL in `value` when it is usable: http(s), no user:password (a URL is printed and
 * shown in `ps`; credentials go in a header), and, with `localHttpOnly`, plain http only to hosts
 * on the local network (what travels in clear text must stay there).
 * @param {{ text: string, from: string }} value
 * @param {{ localHttpOnly: boolean }} options
 * @returns {string}
 */
function checkedUrl(value, options) {
  let url;
  try {
    url = new URL(value.text);
  } catch {
    throw new SettingsError(`${value.from} is not a valid URL such as https://host.example.org/path (not shown: it may hold a secret)`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new SettingsError(`${value.from} must be an https:// or http:// URL; got '${url.protocol}'`);
  // Not quoted back: the URL may hold the very credentials we refuse to show.
  if (url.username !== "" || url.password !== "") throw new SettingsError(`${value.from} must not hold a user name or password; send credentials in a header instead`);
  if (options.localHttpOnly && url.protocol === "http:" && !isLocalNetworkHost(url.hostname)) {
    throw new SettingsError(`${value.from} uses plain http:// to '${url.hostname}', which is not on the local network; use https://`);
  }
  return url.href;
}

/**
 * True for hosts on this machine or the local network: loopback, private and link-local
 * addresses (10/8, 172.16/12, 192.168/16, 169.254/16, fc00::/7, fe80::/10), `localhost`, names
 * without a dot and names under `.local`, `.lan`, `.internal`, `.home.arpa`.
 *
 * @example
 * ```ts
 * isLocalNetworkHost("192.168.1.20"); // true
 * isLocalNetworkHost("example.org"); // false
 * ```
 * @param {string} hostname
 * @returns {boolean}
 */
export function isLocalNetworkHost(hostname) {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (isIP(host) === 4) {
    const [a, b] = host.split(".").map(Number);
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  if (isIP(host) === 6) return host === "::1" || /^f[cd][0-9a-f]{0,2}:/.test(host) || /^fe[89ab][0-9a-f]?:/.test(host);
  return host === "localhost" || !host.includes(".") || /\.(local|lan|internal|home\.arpa|localhost)$/.test(host);
}

/**
 * Parses `Name: value`; the value is never quoted back, it is a secret.
 * @param {RawSetting} value
 * @returns {{ name: string, value: string } | undefined}
 */
function parseHeaderLine(value) {
  if (value === undefined) return undefined;
  const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\r\n]*?)[ \t]*$/.exec(value.text);
  if (match === null || match[2] === "") {
    throw new SettingsError(`${value.from} must be one header as 'Name: value', e.g. 'Authorization: Bearer <token>'`);
  }
  // What HTTP/1.1 lets a header value hold (tab, visible ASCII, Latin-1): anything else makes every
  // request fail before it is sent, which looked like a server that cannot be reached. Only the
  // character is named: the value is a secret.
  const bad = /[^\t\x20-\x7e\x80-\xff]/u.exec(match[2]);
  if (bad !== null) {
    const code = /** @type {number} */ (bad[0].codePointAt(0)).toString(16).toUpperCase().padStart(4, "0");
    throw new SettingsError(`${value.from} has a character no HTTP header can carry (U+${code}, character ${[...match[2].slice(0, bad.index)].length + 1} of the value); retype it in plain ASCII`);
  }
  return { name: match[1], value: match[2] };
}

/** A host name, IPv4 address or bracketed IPv6 address, lower case, without a port. */
const HOST_NAME = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])$/;

/**
 * @param {string} text
 * @param {string} from
 * @returns {string[]}
 */
function parseHostList(text, from) {
  const names = text.split(",").map((name) => name.trim().toLowerCase()).filter((name) => name !== "");
  for (const name of names) {
    if (name !== "*" && !HOST_NAME.test(name)) {
      throw new SettingsError(`${from} has '${name}'; list host names without a port, separated by commas (or * for any)`);
    }
  }
  return names;
}

/**
 * Parses a command line: `command`'s setting flags and its `own` options, strictly (an unknown flag
 * or a stray argument throws util.parseArgs' error), and a flag with a value given twice throws
 * too: util.parseArgs keeps the last silently, so `--only relationships --only contacts` loaded
 * contacts alone, where the API answers 400 for a parameter given twice.
 *
 * @example
 * ```ts
 * parseCommandArgs("migrate", ["--data-dir", "out"], { help: { type: "boolean", short: "h" } }); // { "data-dir": "out" }
 * parseCommandArgs("etl", ["--only", "a", "--only", "b"], { only: { type: "string" } }); // throws "--only is given more than once"
 * ```
 * @template {Record<string, { type: "string" | "boolean", short?: string }>} T
 * @param {Command} command
 * @param {string[]} args
 * @param {T} own
 * @param {NodeJS.ProcessEnv} [env] Where npm leaves the options it kept for itself (`npm_config_*`).
 * @param {Set<string> | null} [npmConfigured] The `npm_config_*` names that the npm which started
 *   this command set from its starting environment or its .npmrc files, not from its command line;
 *   null when npm did not start it. Read from /proc when a name is found in `env` (readNpmConfigured).
 */
export function parseCommandArgs(command, args, own, env = process.env, npmConfigured = undefined) {
  const options = { ...settingFlags(command), ...own };
  checkNpmKept(command, options, env, npmConfigured);
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, tokens: true });
  } catch (error) {
    throw missingValue(/** @type {Error & { code?: string }} */ (error), args, options) ?? error;
  }
  const { values, tokens } = parsed;
  const seen = new Set();
  for (const token of tokens) {
    if (token.kind !== "option" || token.value === undefined) continue;
    if (seen.has(token.name)) throw new Error(`--${token.name} is given more than once; give it once`);
    seen.add(token.name);
  }
  return values;
}

/** How each command is typed, for the command line a refusal suggests. */
const TYPED = { etl: "npm run etl", start: "npm start", migrate: "npm run migrate", bench: "npm run bench" };

/** Options of npm itself that share a name with ours: npm acts on them (and an .npmrc may set them). */
const NPM_OWN = new Set(["force", "json", "only", "version", "help"]);

/**
 * Throws for an option of `command` that npm kept for itself: typed before `--` (`npm run etl
 * --watch`, `npm start --port=0`), npm takes it for one of its own settings, warns "Unknown cli
 * config", and starts the command without it, leaving it only as `npm_config_<name>` in the
 * environment. The command then ran as if it had not been typed: one load instead of `--watch`,
 * the repository's data/ instead of `--data-dir`, port 8000 instead of `--port`. npm exports a key
 * of an .npmrc (`watch=true`) the same way and passes on an `npm_config_*` of its own environment:
 * those are not refused (`npmConfigured`), nor is anything when npm did not start the command.
 * @param {Command} command
 * @param {Record<string, { type: string }>} options
 * @param {NodeJS.ProcessEnv} env
 * @param {Set<string> | null | undefined} npmConfigured undefined: read it when needed.
 */
function checkNpmKept(command, options, env, npmConfigured) {
  for (const [name, option] of Object.entries(options)) {
    const key = npmEnvName(name);
    const value = NPM_OWN.has(name) ? undefined : env[key];
    if (value === undefined) continue;
    if (npmConfigured === undefined) npmConfigured = readNpmConfigured(env);
    if (npmConfigured === null || npmConfigured.has(key)) continue;
    // `--port 0` reaches npm as a switch (`true`) and its value as an argument of the command.
    const shown = option.type === "boolean" ? "" : ` ${value === "true" || value === "" ? (SETTINGS.find((d) => d.flag === name)?.placeholder ?? "VALUE") : value}`;
    throw new Error(`npm took --${name} for its own option, so this command never saw it; put the command's options after \`--\`: ${TYPED[command]} -- --${name}${shown}`);
  }
}

/**
 * The variable npm exports a config key as: `data-dir` and `data_dir` as `npm_config_data_dir`.
 * @param {string} key
 * @returns {string}
 */
function npmEnvName(key) {
  return `npm_config_${key.replaceAll("-", "_").toLowerCase()}`;
}

/**
 * Reads, on Linux, what the npm that started this process configured besides its command line:
 * the `npm_config_*` names of the environment it started with (/proc/<ppid>/environ: a script run
 * as `exec node ...` has npm for its parent) and the keys of the .npmrc files it reads (project,
 * user, global, built-in). Its command line cannot tell: npm overwrites it with its title, `npm run
 * etl`, without the options. Returns null when the parent is not npm or cannot be read.
 *
 * @example
 * ```js
 * readNpmConfigured(); // Set { "npm_config_watch" } under `npm run etl` with watch=true in ~/.npmrc
 * ```
 * @param {NodeJS.ProcessEnv} [env]
 * @param {number} [ppid]
 * @returns {Set<string> | null}
 */
function readNpmConfigured(env = process.env, ppid = process.ppid) {
  let argv;
  let startEnv;
  try {
    argv = readFileSync(`/proc/${ppid}/cmdline`, "utf8").split("\0");
    startEnv = readFileSync(`/proc/${ppid}/environ`, "utf8").split("\0");
  } catch {
    return null;
  }
  // npm's title (`npm run etl`), or its command line before it sets one (node .../npm-cli.js run etl).
  const isNpm = /^npm(?: |$)/.test(argv[0]) || argv.slice(0, 2).some((arg) => /(?:^|\/)(?:npm|npm-cli\.js)$/.test(arg));
  if (!isNpm) return null;
  const configured = new Set(startEnv.map((entry) => entry.slice(0, entry.indexOf("=")).toLowerCase()).filter((name) => name.startsWith("npm_config_")));
  // npm exports a setting it did not take from its environment as npm_config_<key>, and leaves one
  // it did as it came, in any case (NPM_CONFIG_USERCONFIG).
  // Every value a setting has in the environment, in any case: npm under `npm test` passes on its own
  // npm_config_userconfig beside an NPM_CONFIG_USERCONFIG set for the npm it starts, and either may be
  // the file that npm read. Reading one more .npmrc only lets more names through, never refuses one.
  /** @param {string} key */
  const settings = (key) => Object.entries(env).flatMap(([name, value]) => (name.toLowerCase() === npmEnvName(key) && value ? [value] : []));
  const [local, user, global, prefix] = ["local-prefix", "userconfig", "globalconfig", "global-prefix"].map(settings);
  const files = [
    ...local.map((dir) => join(dir, ".npmrc")),
    ...(user.length > 0 ? user : env.HOME === undefined ? [] : [join(env.HOME, ".npmrc")]),
    ...(global.length > 0 ? global : prefix.map((dir) => join(dir, "etc", "npmrc"))),
    env.npm_execpath === undefined ? undefined : join(dirname(dirname(env.npm_execpath)), "npmrc"),
  ];
  for (const file of files) {
    let text;
    try {
      text = file === undefined ? "" : readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (line === "" || /^[;#[]/.test(line)) continue;
      configured.add(npmEnvName(line.split("=")[0].trim().replace(/^["']|["']$/g, "").replace(/\[\]$/, "")));
    }
  }
  return configured;
}

/**
 * The error for a flag that takes a value followed by another flag (`--only --json`), which
 * parseArgs calls "argument is ambiguous." and explains on lines the commands cut off (their
 * messages are one line); null for any other error.
 * @param {Error & { code?: string }} error
 * @param {string[]} args
 * @param {Record<string, { type: string, short?: string }>} options
 * @returns {Error | null}
 */
function missingValue(error, args, options) {
  if (error.code !== "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") return null;
  const flag = /^Option '([^']+)' argument is ambiguous/.exec(error.message)?.[1];
  if (flag === undefined) return null;
  const name = flag.startsWith("--") ? flag.slice(2) : Object.keys(options).find((key) => options[key].short === flag.slice(1));
  const next = args[args.indexOf(flag) + 1];
  if (name === undefined || next === undefined) return null;
  return new Error(`${flag} needs a value, but '${next}' follows it; a value starting with '-' is written --${name}=-VALUE`);
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
function settingFlags(command) {
  /** @type {Record<string, { type: "string" }>} */
  const options = {};
  for (const def of SETTINGS) if (def.flag !== undefined && def.commands.includes(command)) options[def.flag] = { type: "string" };
  return options;
}

/**
 * Returns the help lines for `command`'s settings: flag, meaning, variable and default, followed
 * by the command's own `extra` options ([flag, meaning]), all in one column.
 *
 * @example
 * ```ts
 * settingsHelp("migrate", [["--help", "show this help"]]);
 * // ["  --data-dir DIR  Where the DuckDB files ... ($DATA_DIR; default: data/ in the repository)", ..., "  --help          show this help"]
 * ```
 * @param {Command} command
 * @param {readonly [string, string][]} [extra]
 * @returns {string[]}
 */
export function settingsHelp(command, extra = []) {
  const defs = SETTINGS.filter((d) => d.commands.includes(command));
  /** @type {(d: SettingDefinition) => string} */
  const left = (d) => (d.flag === undefined ? `  $${d.env}` : `  --${d.flag} ${d.placeholder ?? "VALUE"}`);
  const width = Math.max(...defs.map((d) => left(d).length), ...extra.map(([flag]) => flag.length + 2)) + 2;
  /** @type {(text: string) => string} */
  const plain = (text) => text.replaceAll("`", "");
  return [
    ...defs.map((d) => {
      const where = d.flag === undefined ? "" : `$${d.env}; `;
      return `${left(d).padEnd(width)}${plain(d.description)} (${where}default: ${plain(d.defaultText)})`;
    }),
    ...extra.map(([flag, meaning]) => `${`  ${flag}`.padEnd(width)}${meaning}`),
  ];
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
