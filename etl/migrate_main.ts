/**
 * `npm run migrate [-- --data-dir DIR]`: brings `<data-dir>/contacts.duckdb` to the latest schema
 * and prints the migrations it applied. Exit 0 when done (or nothing to do), 1 with a plain
 * message on a migration problem, 2 on a usage error. Never a stack trace.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CONTACTS_STORAGE_SETTINGS, ContactsLockTimeoutError, migrate, migratePostgres, MigrationError, unopenableContactsDb } from "./contacts/mod.ts";
import { Database, isDuckDbLocked, PostgresDatabase } from "./db/mod.ts";
import { outliveClosedOutput, parseCommandArgs, readSettings, settingsHelp, withoutPassword } from "./settings/mod.js";

const USAGE = `Usage: npm run migrate -- [options]

Brings <data dir>/contacts.duckdb to the latest schema (npm run etl and npm start do it on their own).

Options (each also read from the environment variable named; a flag wins):
${settingsHelp("migrate", [["--help", "show this help"]]).join("\n")}`;

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
  let databaseUrl: string | undefined;
  let values;
  try {
    values = parseCommandArgs("migrate", argv, { help: { type: "boolean", short: "h" } }, env);
  } catch (error) {
    // A flag we do not know: the options are the answer.
    err(`${(error as Error).message.split("\n")[0]}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  try {
    ({ dataDir, databaseUrl } = readSettings("migrate", { flags: values, env }));
  } catch (error) {
    // A setting with an unusable value: its message names it; the whole usage would bury it.
    err((error as Error).message);
    return 2;
  }
  if (databaseUrl !== undefined) return migrateOnPostgres(databaseUrl, out, err);
  const path = join(dataDir, "contacts.duckdb");
  let db: Database;
  try {
    mkdirSync(dataDir, { recursive: true });
    // A file this creates is in the format the API and the loads create theirs in.
    db = await Database.open(path, { settings: { ...CONTACTS_STORAGE_SETTINGS } });
  } catch (error) {
    const unopenable = unopenableContactsDb(error, dataDir);
    if (unopenable !== undefined) {
      err(`Cannot open ${path}: ${unopenable.message}`);
      return 1;
    }
    const message = (error as Error).message.split("\n")[0];
    const hint = isDuckDbLocked(error) ? " (is the API running? it migrates the file itself at start-up)" : "";
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

/** DATABASE_URL set: the PostgreSQL set, under its advisory lock (safe while APIs run). */
async function migrateOnPostgres(url: string, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const shown = withoutPassword(url);
  let pg: PostgresDatabase;
  try {
    // Two: while the migrations wait for another session's lock, the second looks up who holds it.
    pg = await PostgresDatabase.connect(url, { max: 2, applicationName: "relaciones-migrate" });
  } catch (error) {
    err(`Cannot connect to ${shown}: ${(error as Error).message.split("\n")[0]}`);
    return 1;
  }
  try {
    const applied = await migratePostgres(pg);
    if (applied.length === 0) out(`${shown} is up to date`);
    for (const name of applied) out(`Applied ${name}`);
    return 0;
  } catch (error) {
    err(error instanceof MigrationError || error instanceof ContactsLockTimeoutError ? error.message : `Migrating ${shown} failed: ${(error as Error).message.split("\n")[0]}`);
    return 1;
  } finally {
    await pg.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  outliveClosedOutput();
  process.exitCode = await migrateMain(process.argv.slice(2));
}
