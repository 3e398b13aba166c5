/**
 * The `npm run etl` command line: its help, its version, its options and their parser. Plain
 * JavaScript with JSDoc types, so the launcher (etl.js) answers `--help`, `--version` and usage
 * errors with bare Node (~0.1 s) before any TypeScript loader, DuckDB or the reader is loaded;
 * main.ts runs the loads and re-exports what tests use from here.
 */
import { readFileSync } from "node:fs";
import { parseCommandArgs, readSettings, settingsHelp } from "./settings/mod.js";
import { terminalText } from "./text/mod.js";

/** The text of `npm run etl -- --help`. */
export const ETL_HELP = `Usage: npm run etl -- [options]

Loads the relationship workbook and the contacts CSV into the data directory.

Settings (each also read from the environment variable named; a flag wins):
${settingsHelp("etl").join("\n")}

Options:
  --only NAME           load only 'relationships' or only 'contacts'
  --force               load the workbook even if it is identical to the published version,
                        and a workbook or contacts CSV a load failed on within the hour
  --json                print a machine-readable summary on stdout
  --watch               keep running: daily at --daily-at, at start-up when the last load is
                        older than 24 h or a file is not the one it read, and whenever the
                        workbook or the contacts CSV changes; one per data dir (a second
                        is refused, exit 1)
  --restore VERSION     publish a kept earlier relationship version again, as a new version
                        (see --keep-versions); the workbook is not read
  --standby             start, then wait for the go-ahead on the IPC channel before loading
                        (how npm start keeps its next scheduled load ready; see etl/schedule)
  --wait                when another load is running, wait for it to end (30 min at most)
                        and then load, instead of skipping; the schedule's loads do (the
                        other load may be reading an older file)
  --version             print the version
  --help                show this help

Exit status: 0 loaded, or skipped (unchanged, or another load was running), 1 a load failed (the previous data stays published), 2 bad usage, 130/143 stopped by SIGINT (Ctrl-C)/SIGTERM (the load stops before it writes and records its run; --watch stopped with no load running exits 0).`;

/** How long `--wait` waits for a load already running to end: 30 min (a 16,384-actor load takes under one). */
export const WAIT_MS = 30 * 60_000;

/**
 * Parsed command-line options: the settings the ETL reads plus what this run should do.
 * @typedef {object} EtlOptions
 * @property {string} workbook
 * @property {string} contacts
 * @property {boolean} contactsGiven Whether `--contacts` or CONTACTS_CSV named the file (else it is the data dir's default).
 * @property {string} dataDir
 * @property {string} dailyAt
 * @property {string | undefined} apiToken
 * @property {string | undefined} databaseUrl `postgres://...` (DATABASE_URL): contacts load straight into PostgreSQL.
 * @property {"relationships" | "contacts" | null} only
 * @property {boolean} force
 * @property {boolean} json
 * @property {boolean} watch
 * @property {boolean} standby
 * @property {boolean} wait Wait for a load already running instead of skipping (`--wait`; the schedule's loads).
 * @property {number | null} restore The relationship version `--restore` publishes again; null: a load.
 * @property {string | null} parquetDir Where published versions are also written as Parquet (PARQUET_DIR); null: not written.
 * @property {import("./settings/mod.js").KeepVersions} keepVersions Which published snapshots are kept (KEEP_VERSIONS).
 * @property {boolean} contactsExport A direct contacts load refreshes `<data dir>/exports/contacts/` at its end (CONTACTS_EXPORT not `off`).
 * @property {{ webhook: string, minSeverity: import("./settings/mod.js").AlertSeverity, timeoutMs: number, publicUrl: string | undefined } | null} alert
 *   Where and when alerts go (ALERT_*, PUBLIC_URL); null: no webhook set.
 * @property {{ authHeader: { name: string, value: string } | undefined, maxBytes: number, pollMs: number | null }} download
 *   How a URL workbook is downloaded and how often `--watch` polls it (WORKBOOK_*).
 */

/** Thrown for bad command-line usage (exit 2). */
export class UsageError extends Error {
  /** @override @readonly */
  name = "UsageError";
  /** @readonly */
  code = "usage";
}

/**
 * Returns the version line of `npm run etl -- --version`: the workspace's name and version.
 *
 * @example
 * ```js
 * etlVersion(); // "relaciones-workspace 0.1.0"
 * ```
 * @returns {string}
 */
function etlVersion() {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  return `${pkg.name} ${pkg.version}`;
}

/**
 * Parses `argv` (without node and script) into options, the settings through etl/settings (so
 * `npm start` and `npm run etl` read DATA_DIR and the inputs alike). Returns "help" or "version"
 * for those requests. Throws UsageError with a plain message.
 *
 * @example
 * ```js
 * parseEtlArgs(["--only", "relationships", "--force"]).only; // "relationships"
 * ```
 * @param {string[]} argv
 * @param {NodeJS.ProcessEnv} [env]
 * @param {string} [cwd]
 * @returns {EtlOptions | "help" | "version"}
 */
export function parseEtlArgs(argv, env = process.env, cwd = undefined) {
  let values;
  try {
    values = parseCommandArgs("etl", argv, {
      only: { type: "string" },
      force: { type: "boolean" },
      json: { type: "boolean" },
      watch: { type: "boolean" },
      standby: { type: "boolean" },
      wait: { type: "boolean" },
      restore: { type: "string" },
      version: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    }, env);
  } catch (error) {
    throw new UsageError(`${/** @type {Error} */ (error).message.split("\n")[0]}. Run with --help to see the options`);
  }
  if (values.help) return "help";
  if (values.version) return "version";
  const only = values.only ?? null;
  if (only !== null && only !== "relationships" && only !== "contacts") {
    throw new UsageError(`Cannot use --only '${only}'; choose 'relationships' or 'contacts'`);
  }
  if (values.standby && values.watch) throw new UsageError("Cannot use --standby with --watch; --standby runs one load");
  const restore = values.restore === undefined ? null : parseVersion(values.restore);
  if (restore !== null) {
    const clash = values.watch ? "--watch" : values.standby ? "--standby" : only === "contacts" ? "--only contacts" : values.force ? "--force" : null;
    if (clash !== null) throw new UsageError(`Cannot use --restore with ${clash}; --restore publishes one kept relationship version and loads nothing`);
  }
  let settings;
  try {
    settings = readSettings("etl", { flags: values, env, cwd });
  } catch (error) {
    throw new UsageError(/** @type {Error} */ (error).message);
  }
  return {
    workbook: settings.workbook,
    contacts: settings.contactsCsv,
    contactsGiven: settings.contactsGiven,
    dataDir: settings.dataDir,
    dailyAt: settings.dailyAt,
    apiToken: settings.apiToken,
    databaseUrl: settings.databaseUrl,
    only,
    force: values.force ?? false,
    json: values.json ?? false,
    watch: values.watch ?? false,
    standby: values.standby ?? false,
    wait: values.wait ?? false,
    restore,
    parquetDir: settings.parquetDir,
    keepVersions: settings.keepVersions,
    contactsExport: settings.contactsExportMs !== null,
    alert:
      settings.alertWebhook === undefined
        ? null
        : { webhook: settings.alertWebhook, minSeverity: settings.alertMinSeverity, timeoutMs: settings.alertTimeoutMs, publicUrl: settings.publicUrl },
    download: { authHeader: settings.workbookAuthHeader, maxBytes: settings.workbookMaxBytes, pollMs: settings.workbookPollMs },
  };
}

/**
 * @param {string} text
 * @returns {number}
 */
function parseVersion(text) {
  if (!/^[1-9]\d{0,8}$/.test(text.trim())) throw new UsageError(`Cannot use --restore '${text}'; give the number of a published version, e.g. --restore 3`);
  return Number(text);
}

/**
 * Parses `argv` and answers what needs no load (help, version, a usage error) on `out`/`err`.
 * Returns the exit code for those, or the options of the load to run.
 *
 * @example
 * ```js
 * const parsed = parseOrAnswer(process.argv.slice(2));
 * if ("exitCode" in parsed) process.exitCode = parsed.exitCode; // --help answered: 0
 * ```
 * @param {string[]} argv
 * @param {{ write(text: string): unknown }} [out]
 * @param {{ write(text: string): unknown }} [err]
 * @returns {{ exitCode: number } | { options: EtlOptions }}
 */
export function parseOrAnswer(argv, out = process.stdout, err = process.stderr) {
  let options;
  try {
    options = parseEtlArgs(argv);
  } catch (error) {
    // A usage error quotes what was typed, which may hold control characters.
    err.write(`${terminalText(/** @type {Error} */ (error).message)}\n`);
    return { exitCode: 2 };
  }
  if (options === "help" || options === "version") {
    out.write(`${options === "help" ? ETL_HELP : etlVersion()}\n`);
    return { exitCode: 0 };
  }
  return { options };
}

/**
 * Sets the exit code from a CLI's promised code; the last-resort boundary for anything thrown is
 * one plain line, never a stack trace.
 *
 * @example
 * ```js
 * exitWith(main(process.argv.slice(2)));
 * ```
 * @param {Promise<number>} run
 * @returns {Promise<void>}
 */
export function exitWith(run) {
  return run.then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(terminalText(`The ETL stopped unexpectedly: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`));
      process.exitCode = 1;
    },
  );
}
