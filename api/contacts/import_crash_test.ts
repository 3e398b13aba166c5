// Issue 11 #9: a crash during POST /imports/contacts must not leave the uploaded CSV (names,
// e-mails) behind. The API is a real child process; it is SIGKILLed while the upload is on disk,
// started again, and then no copy of the CSV may remain, in the temp folder or in the data dir.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "../../scripts/testing/api_server.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

function startApi(dataDir: string, tmp: string): { child: ChildProcess; exited: Promise<unknown> } {
  const child = spawn(process.execPath, [...process.execArgv, MAIN], {
    env: { ...process.env, PORT: "0", ETL_SCHEDULE: "off", DATA_DIR: dataDir, TMPDIR: tmp, API_TOKEN: "" },
    stdio: ["ignore", "ignore", "ignore"],
  });
  return { child, exited: new Promise((resolve) => child.once("exit", resolve)) };
}

async function apiUrl(dataDir: string, pid: number): Promise<string> {
  for (let i = 0; i < 600; i++) {
    try {
      const info = JSON.parse(readFileSync(join(dataDir, "api.json"), "utf8")) as { pid: number; url: string };
      if (info.pid === pid) return info.url;
    } catch {
      // Not written yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("api.json did not appear");
}

/** Every file below `dir` whose content could be the upload (any file holding our marker e-mail domain). */
function csvCopies(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (/\.(duckdb|wal|json|jsonl)$/.test(entry.name)) continue;
    try {
      if (readFileSync(path).includes("@crash-marker.example")) found.push(path);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

test("a crash during a CSV import leaves no copy of the CSV once the API has started again", { timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir("import-crash-");
  const dataDir = join(dir, "data");
  const tmp = join(dir, "tmp");
  mkdirSync(dataDir);
  mkdirSync(tmp);
  const lines = ["first_name,last_name,company_name,address,city,state,zip,phone1,phone2,email,department"];
  for (let i = 0; i < 200_000; i++) lines.push(`F${i},L${i},Acme,${i} Main St,Austin,TX,78701,555-0100,,p${i}@crash-marker.example,Sales`);
  const body = Buffer.from(lines.join("\n") + "\n");
  let api = startApi(dataDir, tmp);
  try {
    const url = new URL(await apiUrl(dataDir, api.child.pid!));
    const upload = request({ host: url.hostname, port: url.port, method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv", "content-length": body.length } });
    upload.on("error", () => {});
    upload.end(body);
    // Kill as soon as a copy of the upload is on disk, wherever the server put it.
    let seen: string[] = [];
    for (let i = 0; i < 4000 && seen.length === 0; i++) {
      seen = [...csvCopies(tmp), ...csvCopies(dataDir)];
      if (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(seen.length > 0, "the upload was seen on disk before the kill");
    api.child.kill("SIGKILL");
    await api.exited;
    api = startApi(dataDir, tmp);
    await apiUrl(dataDir, api.child.pid!);
    assert.deepEqual([...csvCopies(tmp), ...csvCopies(dataDir)], [], "no copy of the uploaded CSV survives a restart");
  } finally {
    api.child.kill("SIGKILL");
    await api.exited;
    cleanup();
  }
});
