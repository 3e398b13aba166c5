// The API on a data dir whose disk fills up, for real: a small tmpfs (needs root and mount(8);
// skipped otherwise). A write that finds no room is the environment's failure: a 503 the client may
// retry, never a 500, and writes work again once there is room.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postContact, testServer } from "../scripts/testing/api_server.ts";
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
