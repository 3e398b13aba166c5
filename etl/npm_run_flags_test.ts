import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../", import.meta.url));

/** Runs `npm` with `args` in the repository, as a person types it, and resolves when it exits. */
function npm(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", args, { cwd: REPO, env, stdio: ["ignore", "ignore", "pipe"] });
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

test("an .npmrc setting that shares a name with an option (watch=true, port=8080) does not stop npm start or npm run etl", { timeout: 60_000 }, async () => {
  // npm exports every key of an .npmrc as npm_config_<key>, just as it does a flag typed before
  // `--`: with `watch=true` in ~/.npmrc, `npm run etl -- --help` refused "npm took --watch for its
  // own option" although nothing was typed before `--`.
  const dir = mkdtempSync(join(tmpdir(), "etl-npm-rc-"));
  try {
    const userconfig = join(dir, "npmrc");
    writeFileSync(userconfig, "watch=true\nport=8080\ndata-dir=/nowhere\n");
    const env = { ...process.env, NPM_CONFIG_USERCONFIG: userconfig };
    for (const args of [["run", "--silent", "etl", "--", "--help"], ["start", "--silent", "--", "--help"], ["run", "--silent", "migrate", "--", "--help"]]) {
      const { code, stderr } = await npm(args, env);
      assert.equal(code, 0, `npm ${args.join(" ")}: ${stderr}`);
      assert.doesNotMatch(stderr, /npm took/);
    }
    // So does one set in the shell, which npm passes on as it came.
    const shell = await npm(["start", "--silent", "--", "--help"], { ...process.env, npm_config_port: "8080" });
    assert.equal(shell.code, 0, shell.stderr);
    // Another flag typed before `--` is still refused with that .npmrc in place (one it sets too
    // cannot be told from it, and is let through).
    const typed = await npm(["run", "--silent", "etl", "--workbook=/x.xlsx", "--", "--help"], env);
    assert.equal(typed.code, 2, typed.stderr);
    assert.match(typed.stderr, /npm took --workbook for its own option, so this command never saw it; put the command's options after `--`: npm run etl -- --workbook \/x\.xlsx/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
