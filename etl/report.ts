/**
 * The human report of `npm run etl`: what each load did, in lines a person reads at a glance
 * (`--json` prints the records instead). Kept apart from main.ts, which runs the loads.
 */
import type { LoadContactsResult } from "./contacts/mod.ts";
import type { FieldTally } from "./handover/mod.ts";
import type { ChangeRow, LoadResult } from "./relationships/mod.ts";
import type { Finding, RunAlert } from "./runs/mod.ts";
import { oneLine } from "./text/mod.js";

/** What the contacts step did (the contacts module records the run itself). */
export interface ContactsOutcome {
  /**
   * "skipped", as its run in runs.jsonl: the file was unchanged since the last load (`summary`
   * says since when); no contacts file at the data dir's default path, and none was asked for; or
   * another contacts load of the data dir was running (`error.code` "busy").
   */
  status: "succeeded" | "failed" | "skipped";
  summary?: LoadContactsResult;
  error?: { code: string; message: string };
}

/** The outcome of one `npm run etl`. */
export interface EtlOutcome {
  ok: boolean;
  relationships: LoadResult | null;
  contacts: ContactsOutcome | null;
  /** The alerts sent about this outcome's runs, by run id (none without a webhook). */
  alerts?: Map<string, RunAlert>;
}

/**
 * Returns the human summary of an outcome, as lines. Each is one line: a line break inside the
 * text it quotes (a cell, a file or sheet name, a message naming them) is escaped (oneLine()), so
 * text from the user's files cannot add lines that pass for the report's own.
 */
export function formatOutcome(outcome: EtlOutcome): string[] {
  return reportLines(outcome).map(oneLine);
}

function reportLines(outcome: EtlOutcome): string[] {
  const lines: string[] = [];
  const r = outcome.relationships;
  if (r) lines.push(...formatRelationships(r));
  const c = outcome.contacts;
  if (c) {
    if (c.status !== "failed" && c.summary) lines.push(...formatContacts(c.summary));
    else if (c.status === "skipped") lines.push(`Contacts: skipped: ${c.error?.message}`);
    else lines.push(`Contacts: FAILED: ${c.error?.message}`, ...(c.summary ? formatContacts(c.summary).slice(1) : []));
  }
  for (const alert of outcome.alerts?.values() ?? []) {
    const tries = `${alert.attempts} ${alert.attempts === 1 ? "attempt" : "attempts"}`;
    lines.push(alert.status === "sent" ? `Alert sent (${tries}).` : `Alert NOT sent (${tries}): ${alert.error?.message ?? "failed"}`);
  }
  return lines;
}

function formatRelationships(result: LoadResult): string[] {
  const { run } = result;
  const seconds = `${(result.durationMs / 1000).toFixed(1)} s`;
  const file = run.file?.name ?? "the workbook";
  const lines: string[] = [];
  // Busy (another load runs) and withdrawn (a restore set this file aside) say why themselves.
  if (run.status === "skipped" && run.error && run.error.code !== "unchanged") {
    // A restore reads no workbook: what it skipped is the restore.
    const what = run.restored_from === undefined ? file : `the restore of version ${run.restored_from}`;
    lines.push(`Relationships: skipped ${what}: ${run.error.message}`);
    return lines;
  }
  if (run.status === "skipped") {
    lines.push(`Relationships: ${file} is unchanged since version ${run.version_id}; skipped (${seconds}). Use --force to reload.`);
    return lines;
  }
  if (run.status === "failed" && run.restored_from !== undefined) {
    lines.push(`Relationships: FAILED: ${run.error?.message}`);
    return lines;
  }
  if (run.status === "failed") {
    lines.push(`Relationships: FAILED to load ${file}: ${run.error?.message}`);
    lines.push(...formatFindings(run.findings.filter((f) => f.severity === "error")));
    return lines;
  }
  const c = run.counts;
  const fmt = (n: number | undefined) => (n ?? 0).toLocaleString("en-US");
  lines.push(
    run.restored_from === undefined
      ? `Relationships: published version ${run.version_id} from ${file} in ${seconds}`
      : `Relationships: restored version ${run.restored_from} (from ${file}), published as version ${run.version_id} in ${seconds}`,
  );
  lines.push(
    `  ${fmt(c.actors)} actors (${fmt(c.matrix_actors)} in the matrix, ${fmt(c.list_actors)} in the list), ` +
      `${fmt(c.pairs)} related pairs (${fmt(c.asymmetric_pairs)} asymmetric), ${fmt(c.unknown_cells)} blank cells`,
  );
  const ch = run.changes;
  const parts = [
    ["actors_added", "actor added", "actors added"], ["actors_removed", "actor removed", "actors removed"],
    ["actors_changed", "actor changed", "actors changed"], ["pairs_added", "pair added", "pairs added"],
    ["pairs_removed", "pair removed", "pairs removed"], ["pairs_changed", "pair changed", "pairs changed"],
  ]
    .filter(([k]) => (ch[k] ?? 0) > 0)
    .map(([k, one, many]) => `${fmt(ch[k])} ${ch[k] === 1 ? one : many}`);
  // What the changes were counted against: not always the number before (a live file replaced by
  // an older version by hand is compared with that one); runs recorded before compared_with was say nothing.
  const previous = run.compared_with ?? (run.version_id ?? 1) - 1;
  if (run.version_id === 1) lines.push("  First version: nothing to compare with.");
  else if (run.findings.some((f) => f.check === "history_unavailable")) lines.push(`  Not compared with version ${(run.version_id ?? 1) - 1}: its snapshot could not be read, so the history starts again here.`);
  // Not "only the file bytes differ": --force publishes the very same file again, too.
  else if (parts.length === 0) lines.push(`  No changes since version ${previous}: the same actors and pairs.`);
  else {
    lines.push(`  Since version ${previous}: ${parts.join(", ")}`);
    for (const change of result.changePreview.slice(0, 10)) lines.push(`    ${formatChange(change)}`);
    const total = Object.values(ch).reduce((a, b) => a + b, 0);
    if (total > 10) lines.push(`    ... (all of them: SELECT * FROM changes WHERE version_id = ${run.version_id})`);
  }
  lines.push(...formatFindings(run.findings));
  lines.push(...formatPublication(run));
  return lines;
}

/** What the publication left besides the snapshot: the Parquet copy and the kept versions. */
function formatPublication(run: LoadResult["run"]): string[] {
  const lines: string[] = [];
  const p = run.parquet;
  const list = (versions: readonly number[]) => `${versions.length === 1 ? "version" : "versions"} ${versions.join(", ")}`;
  if (p?.status === "written") lines.push(p.files === 0 ? `  Parquet: already in ${p.dir}` : `  Parquet: ${list(p.versions)} written to ${p.dir} (${p.files} files)`);
  else if (p?.status === "failed") lines.push(`  Parquet NOT written: ${p.error?.message}`);
  const k = run.kept;
  if (k !== undefined) {
    const pruned = k.pruned.length > 0 ? `; deleted ${list(k.pruned)} (KEEP_VERSIONS)` : "";
    lines.push(`  Kept for --restore: ${k.versions.length > 0 ? list(k.versions) : "none"}${pruned}`);
    if (k.error) lines.push(`  ${k.error.message}`);
  }
  return lines;
}

function formatChange(c: ChangeRow): string {
  const sign = c.change === "added" ? "+" : c.change === "removed" ? "-" : "~";
  if (c.entity === "actor") {
    if (c.change === "changed") return `${sign} actor ${c.numeric_id} ${c.field}: ${show(c.old_value)} -> ${show(c.new_value)}`;
    return `${sign} actor ${c.numeric_id} ${show(c.change === "added" ? c.new_value : c.old_value)}`;
  }
  if (c.change === "changed") return `${sign} pair ${c.person_a}-${c.person_b} ${c.field}: ${show(c.old_value)} -> ${show(c.new_value)}`;
  return `${sign} pair ${c.person_a}-${c.person_b}`;
}

function show(value: string | null): string {
  return value === null ? "(none)" : `'${value}'`;
}

function formatFindings(findings: Finding[]): string[] {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`  ${f.severity}: ${f.message} [${f.check}]`);
    if (f.cells.length > 0 && f.check !== "unknown_cells") {
      const shown = f.cells.slice(0, 6).join(", ");
      const more = (f.count ?? f.cells.length) > 6 ? ", ..." : "";
      lines.push(`      ${shown}${more}`);
    }
  }
  return lines;
}

/**
 * Returns the contacts part of the report: the counts, the rejected rows grouped by field and kind
 * of reason (each with its first lines), the repairs grouped the same way, and where the rejects
 * file went. Every reject, with its value, is in that file; the report says how many of what.
 *
 * @example
 * ```ts
 * formatContacts(summary);
 * // ["Contacts: 58 inserted, 0 updated, 0 unchanged, 2 rejected",
 * //  "  Rejected 2 rows:", "    2 rows: 'email' must be an e-mail address like name@example.com (lines 3, 7)",
 * //  "  Repaired 12 values:", "    12 'zip' values: Restored the leading zero of ZIP code (lines 2, 4, 5, 9, 11, 12, ...)",
 * //  "  Rejects file: data/rejects/contacts-20261130T061820102Z-3f9a.csv (line, field, reason and value of each)"]
 * ```
 */
export function formatContacts(s: LoadContactsResult): string[] {
  const via = s.via === "api" ? " (handed to the running API)" : s.via === "postgres" ? " (into PostgreSQL)" : "";
  if (s.unchanged_since !== undefined) return formatUnchanged(s, via);
  const lines = [`Contacts: ${s.inserted} inserted, ${s.updated} updated, ${s.unchanged} unchanged, ${s.rejected} rejected${via}`];
  // The summary lists the first 100 rejects and repairs; past that, the counts come from the
  // per-field tallies the ingestion made over all of them (grouped by field, first reason shown).
  const rejects = complete(s.rejects, s.rejects_by_field)
    ? groupByKind(s.rejects)
    : groupByField(s.rejects_by_field, s.rejects_file === null ? "" : " (the first row's reason; each row's is in the rejects file)");
  if (rejects.length > 0) {
    lines.push(`  Rejected ${plural(s.rejected, "row")}:`);
    for (const g of rejects) {
      const what = g.field === "*" ? "could not be read:" : `'${g.field}'`;
      lines.push(`    ${plural(g.count, "row")}: ${what} ${g.kind}${linesText(g.lines, g.count)}`);
    }
  }
  const fixes = complete(s.fixed, s.fixes_by_field) ? groupByKind(s.fixed) : groupByField(s.fixes_by_field, "");
  if (fixes.length > 0) {
    lines.push(`  Repaired ${plural(s.fixes, "value")}:`);
    for (const g of fixes) lines.push(`    ${plural(g.count, `'${g.field}' value`)}: ${g.kind}${linesText(g.lines, g.count)}`);
  }
  if (s.rejects_file !== null) lines.push(`  Rejects file: ${s.rejects_file} (line, field, reason and value of each)`);
  return [...lines, ...exportAndWarnings(s, s.warnings)];
}

// A file loaded before, byte for byte, into tables as that load left them: nothing was read, so
// nothing was rejected or repaired now; say so, and how that load went.
function formatUnchanged(s: LoadContactsResult, via: string): string[] {
  const lines = [`Contacts: ${s.source} is unchanged since the load of ${s.unchanged_since}; nothing was read or written${via}`];
  if (s.rejected > 0) lines.push(`  That load rejected ${plural(s.rejected, "row")} of it and repaired ${plural(s.fixes, "value")}; its run in runs.jsonl has them`);
  else if (s.fixes > 0) lines.push(`  That load repaired ${plural(s.fixes, "value")} of it`);
  return [...lines, ...exportAndWarnings(s, s.warnings.filter((w) => !w.startsWith("Unchanged since")))];
}

function exportAndWarnings(s: LoadContactsResult, warnings: readonly string[]): string[] {
  const lines: string[] = [];
  const e = s.export;
  if (e?.status === "written") lines.push(`  Parquet for analysts: ${plural(e.info.rows.contacts ?? 0, "contact")} written to ${e.dir} in ${(e.info.duration_ms / 1000).toFixed(1)} s`);
  else if (e?.status === "current") lines.push(`  Parquet for analysts: already current in ${e.dir}`);
  else if (e?.status === "failed") lines.push(`  Parquet for analysts NOT written: ${e.error.message}; the load succeeded`);
  // File-level remarks (absent or unknown columns) and "N of M rows were rejected; see <report>".
  for (const warning of warnings) lines.push(`  warning: ${warning}`);
  return lines;
}

/** Rejects or repairs of one field and one kind of reason, with the lines they are on. */
interface KindGroup {
  field: string;
  kind: string;
  /** Distinct lines, in file order (a row with two bad values in one field counts once); the first 50 at most. */
  lines: (number | null)[];
  /** Rows (rejects) or values (repairs) in all. */
  count: number;
  /** The first entry's whole reason: shown instead of the kind when the group holds one row. */
  first: string;
}

/** Whether `listed` holds every entry the tallies counted (a small file), not just the first 100. */
function complete(listed: readonly unknown[], tallies: readonly FieldTally[] | undefined): boolean {
  return tallies === undefined || listed.length >= tallies.reduce((n, t) => n + t.count, 0);
}

function groupByField(tallies: readonly FieldTally[], more: string): KindGroup[] {
  return tallies
    .map((t) => ({ field: t.field, kind: t.count > 1 ? `${reasonKind(t.first_reason)}${more}` : t.first_reason, lines: t.lines, count: t.count, first: t.first_reason }))
    .sort((a, b) => b.count - a.count || a.field.localeCompare(b.field));
}

function groupByKind(entries: readonly { line: number | null; field: string; reason: string }[]): KindGroup[] {
  const groups = new Map<string, KindGroup>();
  for (const e of entries) {
    const kind = reasonKind(e.reason);
    const key = `${e.field}\u0000${kind}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { field: e.field, kind, lines: [], count: 0, first: e.reason.replace(/^Data row \d+: /, "") }));
    if (e.line === null || !g.lines.includes(e.line)) {
      g.lines.push(e.line);
      g.count++;
    }
  }
  // A kind met on one row is shown in full: the value and the lines it names are then the point
  // (which earlier line a conflicting one differs from, and in what).
  return [...groups.values()]
    .map((g) => (g.count === 1 ? { ...g, kind: g.first } : g))
    .sort((a, b) => b.lines.length - a.lines.length || a.field.localeCompare(b.field));
}

/**
 * Returns the kind of a reject or repair reason: the reason without what differs from row to row
 * (the value quoted back, line numbers), so rows refused for the same rule count together.
 *
 * @example
 * ```ts
 * reasonKind("must be two letters A-Z; got 'Texas'"); // "must be two letters A-Z"
 * reasonKind("Restored the leading zero of ZIP code '8014'"); // "Restored the leading zero of ZIP code"
 * ```
 */
export function reasonKind(reason: string): string {
  return reason
    .replace(/^Data row \d+: /, "")
    .replace(/;\s*got '[\s\S]*'$/, "")
    .replace(/\s*'[^']*'$/, "")
    .replace(/'[^']*'/g, "'…'")
    .replace(/\b(lines?) [\d?]+(?:, [\d?]+)*/g, "$1 …");
}

function linesText(lines: readonly (number | null)[], count: number): string {
  const known = lines.filter((l) => l !== null);
  if (known.length === 0) return "";
  const shown = known.slice(0, 6).join(", ");
  return ` (${count === 1 ? "line" : "lines"} ${shown}${Math.max(known.length, count) > 6 ? ", ..." : ""})`;
}

function plural(n: number, noun: string): string {
  return `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
}
