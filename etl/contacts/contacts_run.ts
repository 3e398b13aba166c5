/**
 * What a contacts load's run record says, from its summary: counts, changes, the warnings a data
 * team wants and the findings. One definition for the load that records its own run and for the
 * next load recording one that was killed before it could (recover_run.ts).
 */
import type { IngestSummary } from "../handover/mod.ts";
import type { Finding } from "../runs/mod.ts";

/** The run's counts. */
export function runCounts(summary: IngestSummary): Record<string, number> {
  return {
    rows: summary.rows,
    contacts: summary.contacts,
    inserted: summary.inserted,
    updated: summary.updated,
    unchanged: summary.unchanged,
    rejected: summary.rejected,
    fixes: summary.fixes,
    departments: summary.departments,
    links: summary.links,
  };
}

/** What the load changed. */
export function runChanges(summary: IngestSummary): Record<string, number> {
  return {
    inserted: summary.inserted,
    updated: summary.updated,
    departments_added: summary.departments_added,
    links_added: summary.links_added,
  };
}

/** Why a load that read its file loaded none of it: every data row rejected, or no data rows at all. */
export type LoadFailureCode = "all-rejected" | "no-rows";

/**
 * The failure of a load that read its file and could load none of it, or null: every data row
 * rejected ("all-rejected"), or a header and no data rows ("no-rows": most often an export that went
 * wrong, which a schedule must hear of as it hears of the rows it rejected). An unchanged file is
 * neither: nothing was read.
 *
 * @example
 * ```ts
 * loadFailure({ ...summary, rows: 0 }, "contacts.csv", null); // { code: "no-rows", message: "contacts.csv has a header and no data rows; nothing was loaded" }
 * ```
 */
export function loadFailure(summary: IngestSummary, source: string, report: string | null): { code: LoadFailureCode; message: string } | null {
  if (summary.unchanged_since !== undefined) return null;
  if (summary.rows === 0) return { code: "no-rows", message: `${source} has a header and no data rows; nothing was loaded` };
  if (summary.rejected === summary.rows) {
    return {
      code: "all-rejected",
      message: `${source}: all ${summary.rows} ${summary.rows === 1 ? "row was" : "rows were"} rejected; nothing was loaded (every reason is in ${report ?? "the run's findings"})`,
    };
  }
  return null;
}

/** Adds to `summary.warnings` what a data team wants said of a load that read its file and loaded some of it: the rows rejected. */
export function addLoadWarnings(summary: IngestSummary, report: string | null): void {
  if (summary.unchanged_since !== undefined) return;
  if (summary.rejected > 0) {
    summary.warnings.push(`${summary.rejected} of ${summary.rows} rows ${summary.rejected === 1 ? "was" : "were"} rejected; see ${report ?? "the run's findings"}`);
  }
}

/** Findings from the per-field tallies the ingestion counted in the database (linear, however many). */
export function findingsOf(summary: IngestSummary, source: string, rejectsFile: string | null): Finding[] {
  const findings: Finding[] = [];
  const ref = (line: number | null) => (line === null ? source : `${source}:${line}`);
  for (const t of summary.rejects_by_field ?? []) {
    const what = t.field === "*" ? "could not be parsed" : `${t.count === 1 ? "has" : "have"} an invalid '${t.field}'`;
    findings.push({
      check: t.field === "*" ? "contacts.unparsable_row" : `contacts.invalid_${t.field}`,
      severity: "error",
      message:
        `${t.count} ${t.count === 1 ? "line" : "lines"} ${what} and ${t.count === 1 ? "was" : "were"} not loaded; ` +
        `first: ${ref(t.lines[0] ?? null)}: ${t.first_reason}` +
        (rejectsFile === null ? "" : ` (all rejects: ${rejectsFile})`),
      cells: t.lines.map(ref),
      count: t.count,
    });
  }
  for (const t of summary.fixes_by_field ?? []) {
    findings.push({
      check: `contacts.fixed_${t.field}`,
      severity: "info",
      message: `${t.count} '${t.field}' ${t.count === 1 ? "value was" : "values were"} repaired; first: ${t.first_reason}`,
      cells: t.lines.map(ref),
      count: t.count,
    });
  }
  for (const warning of summary.warnings) {
    findings.push({ check: "contacts.file", severity: "warning", message: warning, cells: [], count: 1 });
  }
  return findings;
}

