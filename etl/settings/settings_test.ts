import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isLoopback, readSettings, REPO_DATA_DIR, SETTINGS, SettingsError, settingsHelp, settingsTable, type Command } from "./mod.js";

const COMMANDS: Command[] = ["etl", "start", "migrate"];

test("readSettings(): the same DATA_DIR gives every command the same data dir and inputs", () => {
  for (const env of [{ DATA_DIR: "/srv/data" }, { DATA_DIR: "rel/dir" }, {}]) {
    const seen = COMMANDS.map((command) => readSettings(command, { env, cwd: "/home/u" }));
    for (const s of seen) assert.equal(s.dataDir, seen[0].dataDir, JSON.stringify(env));
    // migrate reads no inputs; the two that do agree on them.
    assert.equal(seen[0].workbook, seen[1].workbook);
    assert.equal(seen[0].contactsCsv, seen[1].contactsCsv);
  }
  const srv = readSettings("etl", { env: { DATA_DIR: "/srv/data" } });
  assert.deepEqual([srv.workbook, srv.contactsCsv], ["/srv/data/relaciones.xlsx", "/srv/data/contacts.csv"]);
});

test("readSettings(): a flag wins over the environment, which wins over the default", () => {
  const env = { DATA_DIR: "/env/data", WORKBOOK: "/env/w.xlsx" };
  assert.equal(readSettings("etl", { env }).workbook, "/env/w.xlsx");
  assert.equal(readSettings("etl", { env, flags: { workbook: "/flag/w.xlsx" } }).workbook, "/flag/w.xlsx");
  assert.equal(readSettings("etl", { env, flags: { "data-dir": "/flag/d" } }).contactsCsv, "/flag/d/contacts.csv");
  assert.equal(readSettings("start", { env: { PORT: "9000" }, flags: { port: "0" } }).port, 0);
});

test("readSettings() resolves relative paths against the cwd and defaults to the repo's data/ from anywhere", () => {
  const repoData = fileURLToPath(new URL("../../data/", import.meta.url)).replace(/\/$/, "");
  const fromTmp = readSettings("start", { env: {}, cwd: "/tmp" });
  assert.equal(fromTmp.dataDir, repoData, "without DATA_DIR: the repo's data/, not <cwd>/data");
  assert.equal(REPO_DATA_DIR.replace(/\/$/, ""), repoData);
  assert.equal(fromTmp.workbook, join(repoData, "relaciones.xlsx"));
  const relative = readSettings("etl", { env: { DATA_DIR: "d", WORKBOOK: "in/w.xlsx", CONTACTS_CSV: "in/c.csv" }, cwd: "/srv/x" });
  assert.deepEqual([relative.dataDir, relative.workbook, relative.contactsCsv], ["/srv/x/d", "/srv/x/in/w.xlsx", "/srv/x/in/c.csv"]);
});

test("readSettings() refuses unusable values, naming the flag or variable", () => {
  assert.throws(() => readSettings("start", { env: { HOST: "0.0.0.0" } }), /Refusing to listen on 0\.0\.0\.0 without API_TOKEN/);
  assert.throws(() => readSettings("start", { env: { HOST: "0.0.0.0", API_TOKEN: "short" } }), /shorter than 16/);
  assert.equal(readSettings("start", { env: { HOST: "0.0.0.0", API_TOKEN: "a-long-enough-secret-token" } }).host, "0.0.0.0");
  assert.throws(() => readSettings("start", { env: { PORT: "99999" } }), (e: Error) => e instanceof SettingsError && /^PORT/.test(e.message));
  assert.throws(() => readSettings("start", { flags: { port: "x" } }), /^SettingsError: --port/);
  assert.throws(() => readSettings("etl", { env: { ETL_DAILY_AT: "noon" } }), /ETL_DAILY_AT must be HH:MM/);
  assert.throws(() => readSettings("start", { env: { ETL_SCHEDULE: "maybe" } }), /ETL_SCHEDULE must be 'on' or 'off'/);
  assert.equal(readSettings("start", { env: { ETL_SCHEDULE: "off" } }).schedule, false);
  // A command ignores settings it does not read: HOST means nothing to the ETL.
  assert.equal(readSettings("etl", { env: { HOST: "0.0.0.0" } }).host, "127.0.0.1");
});

test("isLoopback() knows 127/8, ::1 and localhost", () => {
  assert.ok(isLoopback("127.0.0.1") && isLoopback("127.1.2.3") && isLoopback("::1") && isLoopback("localhost"));
  assert.ok(!isLoopback("10.0.0.1") && !isLoopback("0.0.0.0") && !isLoopback("example.com"));
});

test("settingsHelp() lists each flag a command takes, with its variable and default", () => {
  const help = settingsHelp("etl").join("\n");
  for (const def of SETTINGS.filter((d) => d.commands.includes("etl"))) {
    assert.ok(help.includes(def.flag === undefined ? `$${def.env}` : `--${def.flag}`), def.env);
  }
  assert.ok(!help.includes("--port"));
});

test("the README's settings table is the one generated from SETTINGS", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const start = readme.indexOf("<!-- settings:start -->");
  const end = readme.indexOf("<!-- settings:end -->");
  assert.ok(start >= 0 && end > start, "README.md has the settings markers");
  assert.equal(readme.slice(start + "<!-- settings:start -->".length, end).trim(), settingsTable());
});
