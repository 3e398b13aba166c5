// `npm start` with a DATABASE_URL whose role PostgreSQL refuses: it said "Cannot start the API:
// permission denied for schema public" (or "role ... is not permitted to log in"), naming neither
// DATABASE_URL nor what to grant. Now a message that says both, exit 1, no stack, no password. Real
// PostgreSQL; skipped with a message when none is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PostgresDatabase } from "../etl/db/mod.ts";
import { tempDir } from "../scripts/testing/api_server.ts";
import { POSTGRES_SKIP, postgresDatabaseFor, TEST_POSTGRES_URL } from "../scripts/testing/backends.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

function start(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [...process.execArgv, MAIN], { env: { ...process.env, PORT: "0", ETL_SCHEDULE: "off", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, output })));
}

test("npm start as a role PostgreSQL refuses exits 1 saying what to fix in DATABASE_URL or grant", { skip: POSTGRES_SKIP, timeout: 60_000 }, async () => {
  const { dir, cleanup } = tempDir();
  const dbUrl = await postgresDatabaseFor(`main-refused:${dir}`);
  const nocreate = `t_nocreate_${process.pid}`;
  const nologin = `t_nologin_${process.pid}`;
  const limited = `t_limited_${process.pid}`;
  const admin = await PostgresDatabase.connect(TEST_POSTGRES_URL!, { max: 1 });
  const db = await PostgresDatabase.connect(dbUrl, { max: 1 });
  try {
    for (const role of [nocreate, nologin, limited]) await admin.run(`DROP ROLE IF EXISTS ${role}`);
    await admin.run(`CREATE ROLE ${nocreate} LOGIN`);
    await admin.run(`CREATE ROLE ${nologin} NOLOGIN`);
    await admin.run(`CREATE ROLE ${limited} LOGIN CONNECTION LIMIT 0`);
    await db.run(`REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO ${nocreate}`);
    const as = (role: string) => Object.assign(new URL(dbUrl), { username: role, password: "s3cret" }).toString();

    let { code, output } = await start({ DATA_DIR: dir, DATABASE_URL: as(nocreate) });
    assert.equal(code, 1, output);
    assert.match(output, /Cannot start the API on DATABASE_URL \(postgres:\/\/t_nocreate_\d+:\*\*\*@[^)]+\)\. The role of DATABASE_URL lacks a privilege: permission denied for schema public \(.*npm run migrate/);
    assert.doesNotMatch(output, /s3cret|\n\s+at /);

    ({ code, output } = await start({ DATA_DIR: dir, DATABASE_URL: as(nologin) }));
    assert.equal(code, 1, output);
    assert.match(output, /Cannot start the API on DATABASE_URL \(postgres:\/\/t_nologin_\d+:\*\*\*@[^)]+\)\. PostgreSQL refused the role of DATABASE_URL: .*not permitted to log in/);
    assert.doesNotMatch(output, /s3cret|\n\s+at /);

    // Out of connections (here the role's own limit, as a full server's max_connections answers).
    ({ code, output } = await start({ DATA_DIR: dir, DATABASE_URL: as(limited) }));
    assert.equal(code, 1, output);
    assert.match(output, /Cannot start the API: the PostgreSQL server of DATABASE_URL \(postgres:\/\/t_limited_\d+:\*\*\*@[^)]+\) refused or did not answer: too many connections for role/);
    assert.doesNotMatch(output, /s3cret|\n\s+at /);
  } finally {
    await db.run(`DROP OWNED BY ${nocreate}`).catch(() => {});
    await db.close();
    for (const role of [nocreate, nologin, limited]) await admin.run(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await admin.close();
    cleanup();
  }
});
