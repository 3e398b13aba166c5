import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../", import.meta.url));

/** Runs `npm` with `args` in the repository, as a person types it, and resolves when it exits. */
function npm(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", args, { cwd: REPO, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

test("npm run etl --watch (no `--`): refused as bad usage naming the command to type, not a one-shot load", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "etl-npm-flags-"));
  try {
    // npm keeps --watch for itself ("Unknown cli config"); the ETL used to run one load and exit.
    const { code, stderr } = await npm(["run", "--silent", "etl", "--watch", "--", "--data-dir", dir, "--only", "relationships", "--workbook", join(dir, "missing.xlsx")]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /npm took --watch for its own option, so this command never saw it; put the command's options after `--`: npm run etl -- --watch/);
    assert.equal(existsSync(join(dir, "runs.jsonl")), false, "nothing was loaded");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
