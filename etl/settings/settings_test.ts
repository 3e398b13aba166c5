import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { etlChildEnv, invokedFrom, isLocalNetworkHost, isLoopback, parseCommandArgs, readSettings, REPO_DATA_DIR, SETTINGS, SettingsError, settingsHelp, settingsTable, type Command } from "./mod.js";
import { fetchWorkbook } from "../fetch/mod.ts";
import { localServer } from "../../scripts/testing/local_http.ts";

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
  // An empty flag was a value: as a path, the working directory.
  assert.throws(() => readSettings("start", { env: { DATA_DIR: "/env/data" }, flags: { "data-dir": "" } }), (e: Error) => e instanceof SettingsError && /^--data-dir needs a value/.test(e.message));
});

test("readSettings(): contactsGiven says whether the contacts CSV was named, not defaulted", () => {
  assert.equal(readSettings("start", { env: { DATA_DIR: "/srv/data" } }).contactsGiven, false);
  assert.equal(readSettings("start", { env: { CONTACTS_CSV: "  " } }).contactsGiven, false, "a blank variable names nothing");
  assert.equal(readSettings("start", { env: { CONTACTS_CSV: "/srv/c.csv" } }).contactsGiven, true);
  assert.equal(readSettings("etl", { env: {}, flags: { contacts: "c.csv" } }).contactsGiven, true);
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

test("invokedFrom(): under npm run (started in the repository) the folder npm was typed in; elsewhere the cwd", () => {
  const repo = fileURLToPath(new URL("../../", import.meta.url));
  assert.equal(invokedFrom({ INIT_CWD: "/home/u/reports" }, repo), "/home/u/reports");
  assert.equal(invokedFrom({ INIT_CWD: "/home/u/reports" }, "/tmp/child"), "/tmp/child", "a process started elsewhere is where it is");
  assert.equal(invokedFrom({}, repo), repo);
  assert.equal(readSettings("etl", { env: { INIT_CWD: "/home/u/reports" }, flags: { "data-dir": "out" }, cwd: invokedFrom({ INIT_CWD: "/home/u/reports" }, repo) }).dataDir, "/home/u/reports/out");
});

test("readSettings() refuses unusable values, naming the flag or variable", () => {
  assert.throws(() => readSettings("start", { env: { HOST: "0.0.0.0" } }), /Refusing to listen on 0\.0\.0\.0 without API_TOKEN/);
  assert.throws(() => readSettings("start", { env: { HOST: "0.0.0.0", API_TOKEN: "short" } }), /shorter than 16/);
  assert.equal(readSettings("start", { env: { HOST: "0.0.0.0", API_TOKEN: "a-long-enough-secret-token" } }).host, "0.0.0.0");
  // The bracketed form a URL writes is the address listen() takes: before, "[::1]" was passed on as it was (ENOTFOUND).
  assert.equal(readSettings("start", { env: { HOST: "[::1]" } }).host, "::1");
  assert.throws(() => readSettings("start", { env: { HOST: "[::]" } }), /Refusing to listen on :: without API_TOKEN/);
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

// CHROMIUM_PATH, which `npm run bench -- dashboard` reads, was in neither the README's table nor
// bench's --help: every variable the benchmarks read is a bench setting now.
test("every environment variable npm run bench reads (its scripts and the browser driver) is a bench setting, in its --help", () => {
  const scripts = new URL("../../scripts/", import.meta.url);
  const files = readdirSync(scripts).filter((n) => /^bench(_\w+)?\.ts$/.test(n) && !n.endsWith("_test.ts")).map((n) => new URL(n, scripts));
  const read = new Set<string>();
  for (const file of [...files, new URL("testing/cdp.ts", scripts)]) {
    for (const [, name] of readFileSync(file, "utf8").matchAll(/process\.env\.([A-Z_]+)/g)) if (name !== "PATH") read.add(name);
  }
  assert.ok(read.has("CHROMIUM_PATH"));
  const help = settingsHelp("bench").join("\n");
  for (const name of read) {
    assert.ok(SETTINGS.some((d) => d.env === name && d.commands.includes("bench")), `${name} is a bench setting`);
    assert.ok(help.includes(`$${name}`), `${name} in bench's --help`);
  }
});

test("the README's settings table is the one generated from SETTINGS", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const start = readme.indexOf("<!-- settings:start -->");
  const end = readme.indexOf("<!-- settings:end -->");
  assert.ok(start >= 0 && end > start, "README.md has the settings markers");
  assert.equal(readme.slice(start + "<!-- settings:start -->".length, end).trim(), settingsTable());
});

test("readSettings() reads ALLOWED_HOSTS: loopback names only by default on loopback, any name on a network address", () => {
  assert.deepEqual(readSettings("start", { env: {} }).allowedHosts, []);
  assert.deepEqual(readSettings("start", { env: { ALLOWED_HOSTS: " Contacts.Example.org, 10.0.0.5 ,[fd00::1]" } }).allowedHosts, ["contacts.example.org", "10.0.0.5", "[fd00::1]"]);
  assert.deepEqual(readSettings("start", { flags: { "allowed-hosts": "a.example" }, env: { ALLOWED_HOSTS: "b.example" } }).allowedHosts, ["a.example"]);
  assert.deepEqual(readSettings("start", { env: { HOST: "0.0.0.0", API_TOKEN: "a-long-enough-secret-token" } }).allowedHosts, ["*"]);
  assert.deepEqual(readSettings("start", { env: { HOST: "0.0.0.0", API_TOKEN: "a-long-enough-secret-token", ALLOWED_HOSTS: "api.example" } }).allowedHosts, ["api.example"]);
  assert.throws(() => readSettings("start", { env: { ALLOWED_HOSTS: "api.example:8000" } }), /ALLOWED_HOSTS .*'api\.example:8000'.*without a port/);
  assert.throws(() => readSettings("start", { flags: { "allowed-hosts": "a b" } }), /--allowed-hosts/);
});

test("readSettings() reads the alert, metrics and URL-workbook settings (issue 12)", async (t) => {
  await t.test("defaults: no alerts, errors only, 5 s; metrics need the token; a URL workbook is polled every 10 minutes", () => {
    const s = readSettings("start", { env: {} });
    assert.deepEqual(
      [s.alertWebhook, s.alertMinSeverity, s.alertTimeoutMs, s.publicUrl, s.metricsPublic, s.workbookAuthHeader, s.workbookPollMs, s.workbookMaxBytes],
      [undefined, "error", 5000, undefined, false, undefined, 600_000, 1024 * 1024 * 1024],
    );
  });
  await t.test("a URL workbook stays a URL; a path is still resolved", () => {
    assert.equal(readSettings("etl", { env: { WORKBOOK: "https://files.example.org/r/relaciones.xlsx" }, cwd: "/x" }).workbook, "https://files.example.org/r/relaciones.xlsx");
    assert.equal(readSettings("etl", { flags: { workbook: "http://192.168.1.20:8080/relaciones.xlsx" } }).workbook, "http://192.168.1.20:8080/relaciones.xlsx");
    assert.equal(readSettings("etl", { env: { WORKBOOK: "in/w.xlsx" }, cwd: "/x" }).workbook, "/x/in/w.xlsx");
  });
  await t.test("plain http only on the local network, no credentials in URLs, no other schemes", () => {
    assert.throws(() => readSettings("etl", { env: { WORKBOOK: "http://files.example.org/w.xlsx" } }), /^SettingsError: WORKBOOK uses plain http:\/\/ to 'files\.example\.org'.*use https/);
    assert.throws(() => readSettings("etl", { env: { ALERT_WEBHOOK_URL: "http://hooks.example.com/x" } }), /ALERT_WEBHOOK_URL uses plain http/);
    const secret = "s3cret-in-url";
    assert.throws(
      () => readSettings("etl", { env: { WORKBOOK: `https://u:${secret}@files.example.org/w.xlsx` } }),
      (e: Error) => /must not hold a user name or password/.test(e.message) && !e.message.includes(secret),
    );
    assert.throws(() => readSettings("etl", { env: { WORKBOOK: "ftp://files.example.org/w.xlsx" } }), /https:\/\/ or http:\/\//);
    assert.equal(readSettings("etl", { env: { PUBLIC_URL: "http://relaciones.example.org/" } }).publicUrl, "http://relaciones.example.org", "a link may be plain http");
  });
  await t.test("severities, durations, on/off and sizes are checked, naming the setting", () => {
    assert.equal(readSettings("etl", { flags: { "alert-min-severity": "warning" } }).alertMinSeverity, "warning");
    assert.throws(() => readSettings("etl", { env: { ALERT_MIN_SEVERITY: "fatal" } }), /ALERT_MIN_SEVERITY must be 'error', 'warning' or 'info'/);
    assert.equal(readSettings("etl", { env: { ALERT_TIMEOUT: "200ms" } }).alertTimeoutMs, 200);
    assert.throws(() => readSettings("etl", { env: { ALERT_TIMEOUT: "soon" } }), /ALERT_TIMEOUT must be a duration/);
    assert.equal(readSettings("etl", { env: { WORKBOOK_POLL: "1h" } }).workbookPollMs, 3_600_000);
    assert.equal(readSettings("etl", { env: { WORKBOOK_POLL: "off" } }).workbookPollMs, null);
    assert.throws(() => readSettings("etl", { env: { WORKBOOK_POLL: "1s" } }), /WORKBOOK_POLL must be at least 10s/);
    assert.equal(readSettings("etl", { env: { WORKBOOK_MAX_MB: "5" } }).workbookMaxBytes, 5 * 1024 * 1024);
    assert.throws(() => readSettings("etl", { env: { WORKBOOK_MAX_MB: "0" } }), /WORKBOOK_MAX_MB must be a whole number/);
    assert.equal(readSettings("start", { env: { METRICS_PUBLIC: "on" } }).metricsPublic, true);
    assert.throws(() => readSettings("start", { env: { METRICS_PUBLIC: "yes" } }), /METRICS_PUBLIC must be 'on' or 'off'/);
  });
  await t.test("the auth header is 'Name: value' and its value is never quoted in an error", () => {
    assert.deepEqual(readSettings("etl", { env: { WORKBOOK_AUTH_HEADER: "Authorization: Bearer abc123 " } }).workbookAuthHeader, { name: "Authorization", value: "Bearer abc123" });
    assert.throws(() => readSettings("etl", { env: { WORKBOOK_AUTH_HEADER: "Bearer abc123" } }), (e: Error) => /'Name: value'/.test(e.message) && !e.message.includes("abc123"));
  });
  await t.test("etlChildEnv() hands npm start's alert and download settings, flags included, to its child loads", () => {
    const s = readSettings("start", { flags: { "alert-webhook": "https://hooks.example.com/T/B/x", "alert-timeout": "2s", "workbook-max-mb": "7" }, env: {} });
    const env = etlChildEnv(s, { PATH: "/bin" });
    const child = readSettings("etl", { env });
    assert.deepEqual([child.alertWebhook, child.alertTimeoutMs, child.workbookMaxBytes, env.PATH], ["https://hooks.example.com/T/B/x", 2000, 7 * 1024 * 1024, "/bin"]);
  });
});

// Only CR and LF were refused: a value fetch cannot send (a typographic hyphen pasted into a token,
// a control character) passed, and every download then failed as "Cannot reach <url>" (a
// ByteString TypeError), retried, while the server was never asked.
test("WORKBOOK_AUTH_HEADER: a value no HTTP header can carry is refused naming the setting; what it accepts, a request carries", async () => {
  for (const [value, char] of [["Bearer abc\u2011def", "U+2011, character 11"], ["Bearer abc\u0001def", "U+0001, character 11"], ["Bearer abc\u007fdef", "U+007F"]]) {
    assert.throws(
      () => readSettings("etl", { env: { WORKBOOK_AUTH_HEADER: `Authorization: ${value}` } }),
      (e: Error) => e instanceof SettingsError && e.message.startsWith("WORKBOOK_AUTH_HEADER has a character no HTTP header can carry") && e.message.includes(char) && !e.message.includes("abc"),
    );
  }
  const accepted = readSettings("etl", { env: { WORKBOOK_AUTH_HEADER: "X-Token: caf\u00e9\tnoir" } }).workbookAuthHeader!;
  const dir = mkdtempSync(join(tmpdir(), "settings-header-"));
  const server = await localServer((_req, res) => res.end("x"));
  try {
    await fetchWorkbook(`${server.url}/r.xlsx`, { dataDir: dir, authHeader: accepted });
    assert.equal(server.requests[0].headers["x-token"], "caf\u00e9\tnoir");
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("isLocalNetworkHost() accepts loopback, private and link-local addresses and local names only", () => {
  for (const host of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.1", "192.168.0.9", "169.254.1.1", "[::1]", "[fd12::1]", "[fe80::1]", "localhost", "fileserver", "nas.local", "x.home.arpa"]) {
    assert.ok(isLocalNetworkHost(host), host);
  }
  for (const host of ["172.32.0.1", "8.8.8.8", "[2001:db8::1]", "example.org", "localhost.example.org"]) assert.ok(!isLocalNetworkHost(host), host);
});

test("readSettings() reads PARQUET_DIR and KEEP_VERSIONS: Parquet inside the data dir and a week of versions by default (issue 12, part 4)", () => {
  const s = readSettings("etl", { env: { DATA_DIR: "/srv/data" } });
  assert.equal(s.parquetDir, "/srv/data/parquet");
  assert.deepEqual(s.keepVersions, { newest: 7, days: 7 });
  assert.equal(readSettings("etl", { env: { PARQUET_DIR: "off" } }).parquetDir, null);
  assert.equal(readSettings("etl", { flags: { parquet: "lake" }, env: { PARQUET_DIR: "off" }, cwd: "/x" }).parquetDir, "/x/lake");
  assert.deepEqual(readSettings("etl", { env: { KEEP_VERSIONS: "30" } }).keepVersions, { newest: 30, days: 0 });
  assert.deepEqual(readSettings("start", { flags: { "keep-versions": "14d" } }).keepVersions, { newest: 14, days: 14 });
  for (const bad of ["0", "-1", "7w", "d", "1.5"]) {
    assert.throws(() => readSettings("etl", { env: { KEEP_VERSIONS: bad } }), /KEEP_VERSIONS must be a number of versions \(7\) or of days \(7d\)/, bad);
  }
  const child = readSettings("etl", { env: etlChildEnv(readSettings("start", { flags: { parquet: "off", "keep-versions": "3" }, env: {} }), {}) });
  assert.deepEqual([child.parquetDir, child.keepVersions], [null, { newest: 3, days: 0 }], "npm start's settings reach its child loads");
});

test("readSettings() reads CONTACTS_EXPORT: a duration, 60s by default, or off (issue 12, part 4)", () => {
  assert.equal(readSettings("start", { env: {} }).contactsExportMs, 60_000);
  assert.equal(readSettings("etl", { env: { CONTACTS_EXPORT: "5m" } }).contactsExportMs, 300_000);
  assert.equal(readSettings("start", { flags: { "contacts-export": "off" }, env: { CONTACTS_EXPORT: "5m" } }).contactsExportMs, null);
  for (const bad of ["0", "soon", "-5s", "on"]) {
    assert.throws(() => readSettings("start", { env: { CONTACTS_EXPORT: bad } }), /CONTACTS_EXPORT must be a duration such as 500ms, 5s, 10m or 1h/, bad);
  }
  for (const value of ["off", "90s"]) {
    const child = readSettings("etl", { env: etlChildEnv(readSettings("start", { env: { CONTACTS_EXPORT: value } }), {}) });
    assert.equal(child.contactsExportMs, value === "off" ? null : 90_000, "npm start's setting reaches its child loads");
  }
});

test("readSettings() reads PG_LOCK_TIMEOUT and PG_STATEMENT_TIMEOUT for npm start: durations, 5 s and 30 s by default, never 0", () => {
  const defaults = readSettings("start", { env: {} });
  assert.deepEqual([defaults.pgLockTimeoutMs, defaults.pgStatementTimeoutMs], [5_000, 30_000]);
  const set = readSettings("start", { env: { PG_LOCK_TIMEOUT: "2s", PG_STATEMENT_TIMEOUT: "2m" } });
  assert.deepEqual([set.pgLockTimeoutMs, set.pgStatementTimeoutMs], [2_000, 120_000]);
  assert.equal(readSettings("start", { flags: { "pg-lock-timeout": "750ms" }, env: { PG_LOCK_TIMEOUT: "2s" } }).pgLockTimeoutMs, 750);
  // 0 is "no limit" to PostgreSQL: the wait these settings bound.
  assert.throws(() => readSettings("start", { env: { PG_LOCK_TIMEOUT: "0s" } }), /PG_LOCK_TIMEOUT must be a duration such as 500ms, 5s, 10m or 1h; got '0s'/);
  // Nor a value that rounds to 0 ms.
  assert.throws(() => readSettings("start", { env: { PG_LOCK_TIMEOUT: "0.4ms" } }), /PG_LOCK_TIMEOUT must be a duration .*got '0\.4ms'/);
  assert.throws(() => readSettings("start", { env: { PG_STATEMENT_TIMEOUT: "0.0001s" } }), /PG_STATEMENT_TIMEOUT must be a duration/);
  assert.throws(() => readSettings("etl", { env: { ALERT_TIMEOUT: "0.2ms" } }), /ALERT_TIMEOUT must be a duration/);
});

test("readSettings() refuses timeouts set in DATABASE_URL's query, naming the setting to use", () => {
  // postgres.js sends query parameters to the server as settings, after the pool's own: a
  // `?lock_timeout=0` silently replaced PG_LOCK_TIMEOUT, and requests waited on locks with no end.
  for (const [param, setting] of [["lock_timeout", "PG_LOCK_TIMEOUT"], ["statement_timeout", "PG_STATEMENT_TIMEOUT"], ["options", "PG_LOCK_TIMEOUT"]] as const) {
    const value = param === "options" ? "-c%20lock_timeout%3D0" : "0";
    assert.throws(
      () => readSettings("start", { env: { DATABASE_URL: `postgres://app:s3cret@db/contacts?sslmode=require&${param}=${value}` } }),
      (error: unknown) => error instanceof SettingsError && error.message.includes(setting) && !error.message.includes("s3cret"),
      param,
    );
  }
  // Other parameters, and options that set no timeout (a schema's search_path), still pass.
  assert.equal(readSettings("start", { env: { DATABASE_URL: "postgres://app@db/contacts?sslmode=require&application_name=crm&options=-c%20search_path%3Dcrm,public" } }).databaseUrl?.includes("application_name"), true);
});

test("readSettings() refuses a DATABASE_URL whose password is not percent-encoded, without showing it", () => {
  // Written raw, '/', '?' and '#' end the host part for the client: it then took a piece of the
  // password for the host and said so in every log line and run record ("getaddrinfo ENOTFOUND t").
  // A raw '@' with a ',' after it (in the password or a list of hosts): postgres.js took the text
  // after the first '@' for hosts, and with every "host" failing npm start and migrate hung (review).
  for (const url of ["postgres://app:S3cr@t:/x@db:5432/contacts", "postgres://app:pa?ss@db/contacts", "postgres://app:pa#ss@db/contacts", "postgres://app:50%off@db/contacts", "postgres://app:Tr0ub4dor@3,horse@db/contacts", "postgres://app:pa@ss@db1,db2/contacts"]) {
    for (const command of COMMANDS) {
      assert.throws(
        () => readSettings(command, { env: { DATABASE_URL: url } }),
        (error: unknown) => {
          assert.ok(error instanceof SettingsError);
          assert.match(error.message, /DATABASE_URL.*percent-encoded.*%40.*%2F.*%3F.*%23.*%25/);
          for (const secret of ["S3cr", "t:/x", "pa?ss", "pa#ss", "50%off", "ss@db", "horse", "4dor"]) assert.ok(!error.message.includes(secret), error.message);
          return true;
        },
        url,
      );
    }
  }
  // Encoded, a raw '@' or ':' (the client takes those as libpq does), the socket form and options pass.
  for (const url of [
    "postgres://app:S3cr%40t%3A%2F%25%23%3Fx@db:5432/contacts",
    "postgres://app:pa@ss:w@db/contacts",
    "postgres://app:pa%40ss@db1,db2/contacts",
    "postgres://app:pa,ss@db/contacts",
    "postgres://app@localhost/contacts?host=/run/postgresql&port=5433",
    "postgres://app:pw@db/contacts?options=-c%20search_path%3Dcrm&sslmode=require",
  ]) {
    assert.equal(readSettings("start", { env: { DATABASE_URL: url } }).databaseUrl, url);
  }
});

test("readSettings() refuses a DATABASE_URL that is no URL the client reads, naming it and never its password", () => {
  // A scheme mistyped ("postgres//", "postgres:/") was quoted back whole, password and all, since
  // the masking looked for "scheme://"; a port past 65535 or an unclosed IPv6 '[' got as far as the
  // client, whose error said only "Cannot start the API: Invalid URL".
  const cases: [string, RegExp][] = [
    ["postgres//app:S3cretPw@db/contacts", /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL; got '\*\*\*@db\/contacts'/],
    ["postgres:/app:S3cretPw@db/contacts", /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL; got 'postgres:\/\*\*\*@db\/contacts'/],
    ["app:S3cretPw@db/contacts", /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL; got 'app:\*\*\*@db\/contacts'/],
    ["postgresql://app:S3cretPw@db:99999/contacts", /DATABASE_URL cannot be read as a URL.*port.*65535.*got 'postgresql:\/\/app:\*\*\*@db:99999\/contacts'/],
    ["postgres://app:S3cretPw@[::1/contacts", /DATABASE_URL cannot be read as a URL.*IPv6.*got 'postgres:\/\/app:\*\*\*@\[::1\/contacts'/],
  ];
  for (const [url, message] of cases) {
    for (const command of COMMANDS) {
      assert.throws(
        () => readSettings(command, { env: { DATABASE_URL: url } }),
        (error: unknown) => {
          assert.ok(error instanceof SettingsError, String(error));
          assert.match(error.message, message);
          assert.ok(!error.message.includes("S3cretPw"), error.message);
          return true;
        },
        url,
      );
    }
  }
  // What the client reads stays accepted: a list of hosts with ports, the socket form without a host.
  for (const url of ["postgres://app:pw@db1:5432,db2:5433/contacts", "postgres://app@/contacts?host=/run/postgresql", "postgres:///contacts?host=/run/postgresql", "postgresql://[::1]:5432/contacts"]) {
    assert.equal(readSettings("start", { env: { DATABASE_URL: url } }).databaseUrl, url);
  }
});

test("PG_POOL_SIZE: 16 by default, a whole number from 2 to 1000", () => {
  assert.equal(readSettings("start", { env: {} }).pgPoolSize, 16);
  assert.equal(readSettings("start", { env: { PG_POOL_SIZE: "4" } }).pgPoolSize, 4);
  assert.equal(readSettings("start", { env: {}, flags: { "pg-pool-size": "2" } }).pgPoolSize, 2);
  for (const bad of ["0", "1", "1001", "4.5", "-3", "many"]) {
    assert.throws(() => readSettings("start", { env: { PG_POOL_SIZE: bad } }), new RegExp(`PG_POOL_SIZE must be a whole number from 2 to 1000; got '${bad.replace(".", "\\.")}'`));
  }
});

// The settings table says which characters of a DATABASE_URL password must be percent-encoded, and
// that a value with one of them raw is refused: the list it gives is what readSettings() refuses.
// Before, it listed '@', ':' and spaces as refused too, which pass (the client reads them as libpq does).
test("the DATABASE_URL description names exactly the raw characters readSettings() refuses", () => {
  const description = SETTINGS.find((s) => s.env === "DATABASE_URL")!.description;
  const listed = description.match(/in the user name and password `([^`]+)`[^,(`]*percent-encoded/)?.[1].split(" ");
  assert.ok(listed, description);
  for (const c of ["@", ":", "/", "?", "#", "%", " "]) {
    const refused = (() => {
      try {
        readSettings("start", { env: { DATABASE_URL: `postgres://app:pa${c}ss@db/contacts` } });
        return false;
      } catch {
        return true;
      }
    })();
    assert.equal(listed.includes(c), refused, `'${c}': ${refused ? "refused" : "accepted"} raw, ${listed.includes(c) ? "" : "not "}listed as refused`);
  }
});

test("parseCommandArgs() refuses a command's flag that npm kept for itself (typed before `--`), naming the command line to type", () => {
  // `npm run etl --watch` and `npm start --port=0` give npm the flag: it warns "Unknown cli config",
  // sets npm_config_watch / npm_config_port and starts the command without it. The ETL then ran one
  // load instead of watching, `--data-dir=/srv/x` loaded the repository's data/, and the API
  // listened on 8000.
  const own = { watch: { type: "boolean" as const }, force: { type: "boolean" as const }, json: { type: "boolean" as const }, only: { type: "string" as const } };
  // Started by npm, which set nothing from an .npmrc or its own environment.
  const byNpm = new Set<string>();
  assert.throws(() => parseCommandArgs("etl", [], own, { npm_config_watch: "true" }, byNpm), { message: "npm took --watch for its own option, so this command never saw it; put the command's options after `--`: npm run etl -- --watch" });
  assert.throws(() => parseCommandArgs("etl", ["--force"], own, { npm_config_data_dir: "/srv/x" }, byNpm), { message: "npm took --data-dir for its own option, so this command never saw it; put the command's options after `--`: npm run etl -- --data-dir /srv/x" });
  // `npm start --port 0`: npm reads the flag as a switch and passes `0` on as an argument.
  assert.throws(() => parseCommandArgs("start", ["0"], {}, { npm_config_port: "true" }, byNpm), { message: "npm took --port for its own option, so this command never saw it; put the command's options after `--`: npm start -- --port N" });
  assert.throws(() => parseCommandArgs("migrate", [], {}, { npm_config_data_dir: "out" }, byNpm), /: npm run migrate -- --data-dir out$/);
  // npm's own options (--force, --json) are npm's, and may come from an .npmrc: not refused.
  assert.equal(parseCommandArgs("etl", ["--watch"], own, { npm_config_force: "true", npm_config_json: "true", npm_config_only: "prod" }, byNpm).watch, true);
  // A flag not of this command is npm's business too.
  assert.deepEqual(Object.keys(parseCommandArgs("migrate", [], {}, { npm_config_port: "8000" }, byNpm)), []);
  // npm exports a key of an .npmrc (`watch=true`, `data_dir=...`) and passes on an npm_config_* of
  // its environment just the same: not typed before `--`, so not refused (they were, so that with
  // `port=8080` in ~/.npmrc even `npm start -- --port 9000` would not start).
  assert.equal(parseCommandArgs("etl", ["--watch"], own, { npm_config_watch: "true", npm_config_data_dir: "/srv" }, new Set(["npm_config_watch", "npm_config_data_dir"])).watch, true);
  assert.equal(parseCommandArgs("start", ["--port", "9000"], {}, { npm_config_port: "8080" }, new Set(["npm_config_port"])).port, "9000");
  // Not started by npm (`node api/main.ts` from a shell that has npm_config_port): nothing refused.
  assert.deepEqual(Object.keys(parseCommandArgs("start", [], {}, { npm_config_port: "8080" }, null)), []);
});

test("readSettings() names the upper limit of a number or duration over it, instead of asking for what was given", () => {
  // `--alert-timeout 200h` was told it "must be a duration such as 500ms, 5s, 10m or 1h", and
  // `--keep-versions 10000` that it "must be a number of versions (7) ... from 1": both are.
  assert.throws(() => readSettings("etl", { flags: { "alert-timeout": "200h" } }), { message: "--alert-timeout must be at most 7 days (168h); got '200h'" });
  assert.throws(() => readSettings("start", { env: { PG_STATEMENT_TIMEOUT: "10081m" } }), { message: "PG_STATEMENT_TIMEOUT must be at most 7 days (168h); got '10081m'" });
  assert.equal(readSettings("etl", { env: { WORKBOOK_POLL: "168h" } }).workbookPollMs, 7 * 86_400_000);
  assert.throws(() => readSettings("etl", { flags: { "keep-versions": "10000" } }), { message: "--keep-versions must be a number of versions (7) or of days (7d), from 1 to 9999; got '10000'" });
  assert.throws(() => readSettings("etl", { env: { KEEP_VERSIONS: "10000d" } }), { message: "KEEP_VERSIONS must be a number of versions (7) or of days (7d), from 1 to 9999; got '10000d'" });
  assert.deepEqual(readSettings("etl", { env: { KEEP_VERSIONS: "9999d" } }).keepVersions, { newest: 9999, days: 9999 });
  assert.throws(() => readSettings("etl", { flags: { "workbook-max-mb": "99999999" } }), { message: "--workbook-max-mb must be a whole number of MiB from 1 to 9999999; got '99999999'" });
});
