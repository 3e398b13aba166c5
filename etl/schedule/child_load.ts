/**
 * Loads run by the schedule inside `npm start`: each one is `etl/main.ts --json` in a child
 * process, so a huge or crashing load never takes the API down.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LoadReason } from "./schedule.ts";

/** What a load run in a child process reported. */
export interface ChildLoadResult {
  reason: LoadReason;
  /** 0 loaded or skipped, 1 a load failed (recorded in runs.jsonl), other: crashed or killed. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The `--json` summary printed by `etl/main.ts`, when it got that far. */
  summary: unknown;
  /** The child's stderr (capped), for logs. */
  stderr: string;
}

/**
 * Returns a `runLoad` for `startScheduler()` that runs each load as `etl/main.ts --json` in a child
 * process, so a huge or crashing load never takes the caller (the API) down. A workbook change
 * reloads relationships only; daily and start-up runs load everything. It resolves (never rejects)
 * once the child exits; the child itself records the run in runs.jsonl.
 *
 * @example
 * ```ts
 * startScheduler({ workbook, dataDir, runLoad: childProcessLoad({ dataDir, workbook, onResult: (r) => log(r) }) });
 * ```
 */
export function childProcessLoad(options: {
  dataDir: string;
  workbook?: string;
  contacts?: string;
  env?: NodeJS.ProcessEnv;
  onResult?: (result: ChildLoadResult) => void;
}): (reason: LoadReason) => Promise<ChildLoadResult> {
  const mainPath = fileURLToPath(new URL("../main.ts", import.meta.url));
  return (reason) =>
    new Promise((resolveResult, reject) => {
      const args = [...process.execArgv, mainPath, "--json", "--data-dir", options.dataDir];
      if (options.workbook) args.push("--workbook", options.workbook);
      if (options.contacts) args.push("--contacts", options.contacts);
      if (reason === "file-changed") args.push("--only", "relationships");
      const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: options.env ?? process.env });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        if (stdout.length < 16 * 1024 * 1024) stdout += chunk;
      });
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        if (stderr.length < 64 * 1024) stderr += chunk;
      });
      child.on("error", reject);
      child.on("close", (exitCode, signal) => {
        let summary: unknown = null;
        const last = stdout.trim().split("\n").at(-1);
        try {
          summary = last ? JSON.parse(last) : null;
        } catch {
          // A child killed mid-write leaves no summary; its exit code says enough.
        }
        const result: ChildLoadResult = { reason, exitCode, signal, summary, stderr };
        options.onResult?.(result);
        resolveResult(result);
      });
    });
}
