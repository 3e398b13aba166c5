import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEtlArgs, runEtl } from "./main.ts";
import { readRuns } from "./runs/mod.ts";
import { localServer } from "../scripts/testing/local_http.ts";
import { cells, writeVersion } from "../scripts/testing/workbooks.ts";

const version = (seed: number) => ({ ids: [1, 2, 3, 4], cell: cells(seed), code: (id: number) => `S${id}`, name: (id: number) => `N${seed}-${id}` });

// A workbook replaced (a sync client's rename, a save) while a load read it failed `file-changed`
// and alerted the channel: nothing was wrong with either version, and the new one was there to load.
// The load now waits for the file to keep still and loads what is there; only a file that keeps
// changing through every try fails (and alerts).
test("a workbook replaced while its load reads it is loaded again once still, and the change alone alerts nobody", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "changed-during-load-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const hook = await localServer((_req, res) => res.end("ok"));
  try {
    await writeVersion(workbook, version(1));
    await writeVersion(join(dir, "v2.xlsx"), version(2));
    await writeVersion(join(dir, "v3.xlsx"), version(3));
    const options = parseEtlArgs(["--only", "relationships"], {
      DATA_DIR: dataDir, WORKBOOK: workbook, ALERT_WEBHOOK_URL: hook.url, PARQUET_DIR: "off", CONTACTS_EXPORT: "off",
    });
    assert.ok(options !== "help" && options !== "version");
    // The file is still once the rename is done: how long "still" is does not change the outcome.
    const still = { stableMs: 20, pollMs: 5 };
    assert.equal((await runEtl(options, { settle: still })).relationships?.run.status, "succeeded");
    const before = readRuns(dataDir).length;

    await t.test("replaced once, by a rename, while the load reads it", async () => {
      renameSync(join(dir, "v2.xlsx"), workbook);
      let renamed = false;
      const outcome = await runEtl(options, {
        settle: still,
        onPhase: (phase) => {
          if (phase !== "reading" || renamed) return;
          renamed = true;
          renameSync(join(dir, "v3.xlsx"), workbook);
        },
      });
      assert.equal(renamed, true);
      const runs = readRuns(dataDir).slice(before);
      assert.deepEqual(runs.map((r) => `${r.status} ${r.error?.code ?? ""}`), ["failed file-changed", "succeeded "]);
      assert.equal(outcome.ok, true);
      assert.equal(outcome.relationships?.run.status, "succeeded");
      assert.equal(outcome.relationships?.run.file?.sha256, createHash("sha256").update(readFileSync(workbook)).digest("hex"), "the version there now is the one loaded");
      assert.equal(hook.requests.length, 0, "no alert: nothing failed but a read that began before the last change");
    });
    await t.test("a file that changes under every try fails, and alerts once", async () => {
      await writeVersion(join(dir, "v4.xlsx"), version(4));
      const bytes = readFileSync(join(dir, "v4.xlsx"));
      renameSync(join(dir, "v4.xlsx"), workbook);
      let n = 0;
      const outcome = await runEtl(options, {
        settle: still,
        onPhase: (phase) => {
          if (phase !== "reading") return;
          const next = join(dir, `next-${n++}.xlsx`);
          writeFileSync(next, bytes);
          renameSync(next, workbook);
        },
      });
      assert.equal(n, 4, "the first try and three more");
      assert.equal(outcome.relationships?.run.error?.code, "file-changed");
      assert.equal(outcome.ok, false);
      assert.equal(hook.requests.length, 1, hook.requests.map((r) => r.body.toString()).join("\n"));
    });
  } finally {
    await hook.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
