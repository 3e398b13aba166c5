// A CSV body POSTed to /imports/contacts on a data dir whose disk is full, for real: a small tmpfs
// (needs root and mount(8); skipped otherwise). The copy the API writes into uploads/ holds
// personal data: one cut short by the full disk must not stay there, and the client is told to
// retry (a 503), not given an opaque 500.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { raw, testServer } from "../../scripts/testing/api_server.ts";
import { CAN_MOUNT, fill, mountTmpfs, unmount } from "../../scripts/testing/tmpfs.ts";

test("POST /imports/contacts with a CSV body on a full disk leaves no part of it in uploads/ and answers 503", { skip: !CAN_MOUNT && "needs root and mount -t tmpfs", timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "import-full-"));
  assert.ok(mountTmpfs(dir, "20m"));
  const server = await testServer(dir, { contactsExport: undefined });
  try {
    // Room for part of the body only: the copy is cut short part-way, as on a disk filling up.
    fill(dir, 256 * 1024);
    const rows = Array.from({ length: 40_000 }, (_, i) => `Ann${i},Lee,ann${i}@example.com\n`).join("");
    const body = `first_name,last_name,email\n${rows}`;
    assert.ok(body.length > 1024 * 1024);
    const res = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv", "x-source-name": "contacts.csv" }, body });
    assert.deepEqual(readdirSync(join(dir, "uploads")), [], "no cut copy of the CSV left in uploads/");
    assert.equal(res.status, 503, res.text);
    assert.ok(res.headers["retry-after"], "Retry-After");
    assert.match(res.json().detail, /disk|space/i);
    // Its problem type has its entry on /docs, as every other one.
    const docs = (await raw(server.url, { path: "/docs" })).text;
    assert.ok(docs.includes(`id="${res.json().type.replace("/docs#", "")}"`), res.json().type);
  } finally {
    await server.close();
    unmount(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});
