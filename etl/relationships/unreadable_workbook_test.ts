import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readRuns } from "../runs/mod.ts";
import { cells, writeVersion } from "../../scripts/testing/workbooks.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
// Root reads a file whatever its mode: the load then runs as nobody, for whom chmod 000 bites.
const AS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

/** `etl/main.ts args` in a child, as nobody when we are root; resolves its exit code and stdout, or the spawn error. */
function etlAsUser(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string } | Error> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"], ...(AS_ROOT ? { uid: NOBODY, gid: NOBODY } : {}) });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", resolve);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("a workbook the load may not read is a failed run coded 'unreadable', not 'not-found'", { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "unreadable-workbook-"));
  // The load (nobody, when we are root) creates the data dir and writes its runs here.
  chmodSync(dir, 0o777);
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  try {
    await writeVersion(workbook, { ids: [1, 2, 3], cell: cells(1), code: (id) => `S${id}`, name: (id) => `N${id}` });
    chmodSync(workbook, 0o000);
    const result = await etlAsUser(["--json", "--only", "relationships", "--data-dir", dataDir, "--workbook", workbook]);
    if (result instanceof Error) {
      // A root without CAP_SETUID (some rootless containers) cannot become nobody; chmod does not stop root's reads.
      t.skip(`cannot run the load as an unprivileged user: ${result.message}`);
      return;
    }
    assert.equal(result.code, 1, result.stderr);
    const run = readRuns(dataDir).at(-1)!;
    assert.equal(run.status, "failed");
    assert.equal(run.error?.code, "unreadable", run.error?.message);
    assert.match(run.error!.message, /EACCES/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
