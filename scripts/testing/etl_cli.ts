/**
 * `npm run etl` as a user runs it: etl/main.ts in a child process under the same loader as the
 * test, with its exit code and both output streams.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../etl/main.ts", import.meta.url));

/**
 * Runs the ETL CLI with `args` and resolves when it exits.
 *
 * @example
 * ```ts
 * const { code, stdout } = await etlCli(["--json"], { env: { ...process.env, DATA_DIR: dir } });
 * ```
 */
export function etlCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, MAIN, ...args], { env: options.env ?? process.env, cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
