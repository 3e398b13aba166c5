/**
 * The run record of a contacts import whose CSV came as the request body. The loader
 * (`npm run etl`) records the runs of the uploads it names; a body's import has no loader behind
 * it, so the API records it: its rejects report is then served at `/runs/{id}/rejects.csv`, the
 * one place every reject can be read past the answer's first 100, and the import is in the history
 * of loads beside the others.
 */
import { addLoadWarnings, findingsOf, loadFailure, runChanges, runCounts } from "../../etl/contacts/mod.ts";
import type { IngestSummary } from "../../etl/handover/mod.ts";
import { appendRun, type RunFile } from "../../etl/runs/mod.ts";

/** The import's run: its id, when it started, and the body it read (null: the body never came whole). */
export interface ImportRun {
  id: string;
  started_at: string;
  file: RunFile | null;
}

/**
 * Appends the run of a body's import to `dataDir`'s runs.jsonl: succeeded (skipped when the file
 * was the one last loaded), failed when every row was rejected or there was none (`loadFailure`), as
 * a direct load's would be, or
 * failed with `error` when the file could not be loaded. Adds the load's warnings to the summary,
 * as the loader adds them to its own.
 */
export function recordImportRun(dataDir: string, run: ImportRun, outcome: { summary: IngestSummary } | { error: { code: string; message: string } }): void {
  const source = run.file?.name ?? "";
  const finished = { ...run, kind: "contacts" as const, finished_at: new Date().toISOString() };
  if ("error" in outcome) {
    appendRun(dataDir, { ...finished, status: "failed", counts: {}, findings: [], changes: {}, error: outcome.error });
    return;
  }
  const { summary } = outcome;
  const report = summary.rejects_file;
  const failure = loadFailure(summary, source, report);
  if (failure === null) addLoadWarnings(summary, report);
  appendRun(dataDir, {
    ...finished,
    status: failure !== null ? "failed" : summary.unchanged_since === undefined ? "succeeded" : "skipped",
    counts: runCounts(summary),
    findings: findingsOf(summary, source, report),
    changes: runChanges(summary),
    error: failure,
  });
}
