// DATABASE_URL's password must never reach the log, whatever characters it holds: `npm start` (the
// real api/main.ts in a child process) with a PostgreSQL server that does not answer, and with a
// value that is not a URL at all, prints the setting without its password.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { tempDir } from "../scripts/testing/api_server.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

/** Runs `npm start`'s entry point until it exits (it cannot start: the database does not answer) and returns all it printed. */
function startOutput(databaseUrl: string, dataDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, MAIN], {
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ETL_SCHEDULE: "off", DATA_DIR: dataDir, DATABASE_URL: databaseUrl },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

// Port 1 on loopback refuses at once: the start-up fails and says which server it could not reach.
const CASES: { url: string; secrets: string[] }[] = [
  { url: "postgres://app:Kestrel:Fjord9@127.0.0.1:1/relaciones", secrets: ["Kestrel", "Fjord9"] },
  { url: "postgresql://app:Quokka@Marmot7@127.0.0.1:1/relaciones", secrets: ["Quokka", "Marmot7"] },
  { url: "host=127.0.0.1 port=1 dbname=relaciones password=Narwhal5", secrets: ["Narwhal5"] },
];

for (const { url, secrets } of CASES) {
  test(`npm start never prints the password of DATABASE_URL (${url.replace(/[A-Z]\w+/g, "…")})`, { timeout: 90_000 }, async () => {
    const { dir, cleanup } = tempDir();
    try {
      const { code, output } = await startOutput(url, dir);
      assert.notEqual(code, 0, output);
      assert.match(output, /DATABASE_URL/, "the message names the setting");
      for (const secret of secrets) assert.ok(!output.includes(secret), `the log shows '${secret}' of the password:\n${output}`);
    } finally {
      cleanup();
    }
  });
}
