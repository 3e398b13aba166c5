/**
 * A real API on a temporary data directory, loaded through the real ETL CLI: what the dashboard's
 * browser tests and scripts/screenshot.ts look at. Nothing is faked: the workbook goes through
 * `etl/main.ts` in a child process (as the scheduler runs it) and the API is `startServer()`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, type RunningServer } from "../../api/server.ts";

/** The repository root (the ETL CLI is run from there). */
export const repoRoot: string = fileURLToPath(new URL("../../", import.meta.url));

/** The sample files the repository ships. */
export const sampleWorkbook: string = join(repoRoot, "data", "relaciones.xlsx");
export const sampleContacts: string = join(repoRoot, "data", "contacts.csv");

/** What one ETL CLI invocation printed and how it ended. */
export interface EtlOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running API over a temporary data directory. */
export interface Demo {
  url: string;
  dataDir: string;
  server: RunningServer;
  /**
   * Runs `etl/main.ts --data-dir <dataDir> ...args` and resolves with its outcome (a failed load
   * is exit code 1 and is not an exception: tests make failed runs on purpose).
   */
  etl(args: string[]): Promise<EtlOutcome>;
  /** Stops the API and removes the data directory. */
  close(): Promise<void>;
}

/**
 * Starts the API on port 0 over a fresh temp data dir, after loading `workbook` (default: the
 * sample) and `contacts` (default: the sample CSV; `null` to start with no contacts).
 *
 * @example
 * const demo = await startDemo();
 * await fetch(`${demo.url}/actors`);
 * await demo.close();
 */
export async function startDemo(options: { workbook?: string | null; contacts?: string | null; apiToken?: string } = {}): Promise<Demo> {
  const dataDir = mkdtempSync(join(tmpdir(), "dashboard-demo-"));
  const etl = (args: string[]) => runEtl(["--data-dir", dataDir, ...args]);
  try {
    const workbook = options.workbook === undefined ? sampleWorkbook : options.workbook;
    const contacts = options.contacts === undefined ? sampleContacts : options.contacts;
    // Both files in one ETL process when both are wanted: one tsx start-up instead of two.
    const args = [
      ...(workbook ? ["--workbook", workbook] : []),
      ...(contacts ? ["--contacts", contacts] : []),
      ...(workbook && !contacts ? ["--only", "relationships"] : []),
      ...(contacts && !workbook ? ["--only", "contacts"] : []),
    ];
    if (workbook || contacts) {
      const outcome = await etl(args);
      const files = [workbook, contacts].filter(Boolean).join(" and ");
      if (outcome.code !== 0) throw new Error(`Loading ${files} failed: ${outcome.stderr || outcome.stdout}`);
    }
    const server = await startServer({ dataDir, port: 0, log: false, apiToken: options.apiToken });
    return {
      url: server.url,
      dataDir,
      server,
      etl,
      async close() {
        await server.close(2000);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** Runs the ETL CLI in a child process under tsx, from the repository root. */
function runEtl(args: string[]): Promise<EtlOutcome> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", join(repoRoot, "etl", "main.ts"), "--json", ...args],
      { cwd: repoRoot, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, NODE_OPTIONS: "" } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        if (code === -1) reject(error);
        else resolve({ code, stdout, stderr });
      },
    );
  });
}
