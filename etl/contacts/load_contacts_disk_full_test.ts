// A contacts load into a data dir on a full disk, for real: a small tmpfs (needs root and mount(8);
// skipped otherwise). The message must say the disk is full, and name it, never blame the CSV or
// hide the cause behind DuckDB's "database has been invalidated".
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeContactsCsv } from "../../scripts/testing/contacts_csv.ts";
import { CAN_MOUNT, fill, mountTmpfs, unmount } from "../../scripts/testing/tmpfs.ts";
import { readRuns } from "../runs/mod.ts";
import { loadContacts } from "./load_contacts.ts";

test("a contacts load on a full disk says so", { skip: !CAN_MOUNT && "needs root and mount -t tmpfs", timeout: 120_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), "contacts-full-"));
  const csv = join(work, "contacts.csv");
  writeContactsCsv(csv, 100_000); // 12.6 MB
  const dataDir = join(work, "data");
  mkdirSync(dataDir);
  try {
    await t.test("no room for the load's copy of the CSV: the data dir is named, not the CSV as unreadable", async () => {
      assert.ok(mountTmpfs(dataDir, "4m"));
      try {
        await assert.rejects(loadContacts({ csvPath: csv, dataDir }), (error: Error) => {
          assert.doesNotMatch(error.message, /Cannot read contacts file/);
          assert.match(error.message, /the disk is full/);
          assert.ok(error.message.includes(join(dataDir, "uploads")), error.message);
          return true;
        });
        assert.match(readRuns(dataDir).at(-1)?.error?.message ?? "", /the disk is full/);
      } finally {
        unmount(dataDir);
      }
    });
    await t.test("room for the copy, not for the database: DuckDB's own error, not 'database has been invalidated'", async () => {
      assert.ok(mountTmpfs(dataDir, "40m"));
      try {
        fill(dataDir, 16 << 20);
        await assert.rejects(loadContacts({ csvPath: csv, dataDir }), (error: Error) => {
          assert.doesNotMatch(error.message, /invalidated/);
          assert.match(error.message, /No space left on device/);
          return true;
        });
      } finally {
        unmount(dataDir);
      }
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
