/**
 * `npm run migrate [-- --data-dir DIR]`: brings `<data-dir>/contacts.duckdb` to the latest schema
 * and prints the migrations it applied. Exit 0 when done (or nothing to do), 1 with a plain
 * message on a migration problem, 2 on a usage error. Never a stack trace.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { migrate, MigrationError } from "./contacts/mod.ts";
import { Database } from "./db/mod.ts";
import { readSettings, settingFlags, settingsHelp } from "./settings/mod.js";

const USAGE = `Usage: npm run migrate -- [options]

Brings <data dir>/contacts.duckdb to the latest schema (npm run etl and npm start do it on their own).

Options (each also read from the environment variable named; a flag wins):
${settingsHelp("migrate").join("\n")}
  --help            show this help`;

/**
 * Runs the CLI with `argv` and returns the exit code; output goes to `out`/`err`.
 *
 * @example
 * ```ts
 * const code = await migrateMain(["--data-dir", "/tmp/d"]); // prints "Applied 001_contacts.sql" ..., returns 0
 * ```
 */
export async function migrateMain(
  argv: string[],
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let dataDir: string;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { ...settingFlags("migrate"), help: { type: "boolean", short: "h" } },
      strict: true,
    });
    if (values.help) {
      out(USAGE);
      return 0;
    }
    dataDir = readSettings("migrate", { flags: values, env }).dataDir;
  } catch (error) {
    err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const path = join(dataDir, "contacts.duckdb");
  let db: Database;
  try {
    mkdirSync(dataDir, { recursive: true });
    db = await Database.open(path);
  } catch (error) {
    const message = (error as Error).message.split("\n")[0];
    const hint = /lock/i.test(message) ? " (is the API running? it migrates the file itself at start-up)" : "";
    err(`Cannot open ${path}: ${message}${hint}`);
    return 1;
  }
  try {
    const applied = await migrate(db);
    if (applied.length === 0) out(`${path} is up to date`);
    for (const name of applied) out(`Applied ${name}`);
    return 0;
  } catch (error) {
    if (error instanceof MigrationError) {
      err(error.message);
      return 1;
    }
    err(`Migrating ${path} failed: ${(error as Error).message.split("\n")[0]}`);
    return 1;
  } finally {
    db.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await migrateMain(process.argv.slice(2));
}
