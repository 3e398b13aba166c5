// The API on a data dir whose disk fills up, for real: a small tmpfs (needs root and mount(8);
// skipped otherwise). A write that finds no room is the environment's failure: a 503 the client may
// retry, never a 500, and writes work again once there is room.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { postContact, raw, testServer } from "../scripts/testing/api_server.ts";
import { until } from "../scripts/testing/until.ts";
import { CAN_MOUNT, fill, mountTmpfs, unmount } from "../scripts/testing/tmpfs.ts";

test("POST /contacts on a full disk is a 503 with Retry-After, and works again once there is room", { skip: !CAN_MOUNT && "needs root and mount -t tmpfs", timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "api-full-"));
  assert.ok(mountTmpfs(dir, "20m"));
  const server = await testServer(dir, { contactsExport: undefined });
  const filler = join(dir, "filler");
  try {
    fill(dir);
    assert.equal(statfsSync(dir).bavail, 0);
    const full = await postContact(server.url, { first_name: "Ann", last_name: "Lee", email: "ann@example.com" });
    assert.equal(full.status, 503, full.text);
    assert.equal(full.json().type, "/docs#problem-database-disk-full");
    assert.ok(full.headers["retry-after"]);
    rmSync(filler);
    const later = await postContact(server.url, { first_name: "Ann", last_name: "Lee", email: "ann@example.com" });
    assert.equal(later.status, 201, later.text);
  } finally {
    await server.close();
    unmount(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

// Changing a contact that exists on a full disk took the API down: DuckDB could not write the
// COMMIT, then failed to undo the update in its primary key index ("INTERNAL Error: Failed to append
// to PRIMARY_contacts...: duplicate key") and the process aborted (SIGABRT), every client cut off. The
// API is a real child process here, so an abort is seen as one.
test("PATCH on a full disk is a 503 and the API lives on; the contact is as last acknowledged, and writes work once there is room", { skip: !CAN_MOUNT && "needs root and mount -t tmpfs", timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "api-full-patch-"));
  assert.ok(mountTmpfs(dir, "20m"));
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL("./main.ts", import.meta.url))], {
    env: { ...process.env, PORT: "0", ETL_SCHEDULE: "off", DATA_DIR: dir, API_TOKEN: "", CONTACTS_EXPORT: "off", DATABASE_URL: "" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code)));
  try {
    let url = "";
    await until("api.json is written", () => {
      try {
        url = (JSON.parse(readFileSync(join(dir, "api.json"), "utf8")) as { url: string }).url;
        return true;
      } catch {
        return false;
      }
    });
    const created = await postContact(url, { first_name: "Ann", last_name: "Lee", email: "ann@example.com", departments: ["Ops"] });
    assert.equal(created.status, 201, created.text);
    const path = created.headers.location as string;
    fill(dir);
    // The WAL's last page may still take a few: change the contact until a write finds no room.
    let acknowledged = created.json();
    let refused: Awaited<ReturnType<typeof raw>> | undefined;
    for (let i = 0; i < 500 && refused === undefined; i++) {
      const res = await raw(url, { method: "PATCH", path, headers: { "content-type": "application/json" }, body: JSON.stringify({ city: `City number ${i}`, address: `${i} ${"Long Street Name ".repeat(5)}` }) }).catch(() => undefined);
      if (res?.status === 200) acknowledged = res.json();
      else refused = res;
    }
    assert.equal(child.exitCode ?? child.signalCode, null, `the API is still running:\n${stderr.slice(0, 2000)}`);
    assert.equal(refused?.status, 503, refused?.text);
    assert.equal(refused.json().type, "/docs#problem-database-disk-full");
    const now = await raw(url, { path });
    assert.equal(now.json().city, acknowledged.city, "the refused write changed nothing");
    rmSync(join(dir, "filler"));
    const later = await raw(url, { method: "PATCH", path, headers: { "content-type": "application/json" }, body: '{"city":"Lima"}' });
    assert.equal(later.status, 200, later.text);
  } finally {
    child.kill("SIGKILL");
    await exited;
    unmount(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});
