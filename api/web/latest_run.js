// @ts-check
/**
 * What is served and what happened last: the served version (which, since when, how big, what
 * changed against the one before) and, when the newest load did not publish it, that attempt (failed
 * or skipped, why, which cells). Also the summary and changes of any run chosen in the history.
 * Pure: data -> HTML string.
 */
import { escapeHtml, formatCount, formatTime } from "./html.js";

/** @typedef {import("./api_client.js").RunRecord} RunRecord */
/** @typedef {import("./api_client.js").Version} Version */
/** @typedef {import("./api_client.js").Change} Change */

const COUNT_LABELS = /** @type {const} */ ([
  ["actors", "Actors"],
  ["pairs", "Pairs"],
  ["asymmetric_pairs", "Asymmetric pairs"],
  ["unknown_cells", "Unknown cells"],
]);

/** [key, singular, plural] for the change summary. */
const CHANGE_LABELS = /** @type {const} */ ([
  ["actors_added", "actor added", "actors added"],
  ["actors_removed", "actor removed", "actors removed"],
  ["actors_changed", "actor changed", "actors changed"],
  ["pairs_added", "pair added", "pairs added"],
  ["pairs_removed", "pair removed", "pairs removed"],
  ["pairs_changed", "pair changed", "pairs changed"],
]);

/**
 * Returns the count tiles of a run (or a version's actors and pairs when its run is not known).
 *
 * @example
 * countsHtml({ actors: 50, pairs: 138 }); // two .stat tiles
 * @param {Record<string, number> | undefined} counts
 * @returns {string}
 */
export function countsHtml(counts) {
  const tiles = COUNT_LABELS.filter(([key]) => counts?.[key] !== undefined)
    .map(([key, label]) => `<div class="stat" data-count="${key}"><span class="stat-value">${formatCount(counts?.[key])}</span><span class="stat-label">${label}</span></div>`)
    .join("");
  return tiles ? `<div class="stats">${tiles}</div>` : "";
}

/**
 * Returns the served-version card body, or the first-run note when nothing is published.
 *
 * @example
 * element.innerHTML = servedVersionHtml(version, run, { changes });
 * @param {Version | null} version
 * @param {RunRecord | undefined} run  the run that published it, for its counts
 * @param {{ changes?: readonly Change[], moreChanges?: boolean }} [options]
 * @returns {string}
 */
export function servedVersionHtml(version, run, options = {}) {
  if (!version) {
    return `<p class="muted" data-served-version="none">No version is published yet, so the network and the matrix are empty.</p>`;
  }
  const counts = run?.counts && Object.keys(run.counts).length ? run.counts : { actors: version.actors, pairs: version.pairs };
  return (
    `<div class="run-head"><span class="status status-succeeded" data-served-version="${version.version_id}">Version ${formatCount(version.version_id)}</span>` +
    ` <span class="muted">served since <time datetime="${escapeHtml(version.loaded_at)}">${escapeHtml(formatTime(version.loaded_at))}</time></span>` +
    (version.restored_from == null ? "" : ` <span class="restored" data-restored-from="${version.restored_from}">restored from version ${formatCount(version.restored_from)}</span>`) +
    `</div>` +
    `<dl class="run-meta"><dt>File</dt><dd><code>${escapeHtml(version.file_name)}</code> <span class="muted">${formatCount(Math.round(version.size / 1024))} KiB · sha256 ${escapeHtml(version.sha256.slice(0, 12))}</span></dd></dl>` +
    countsHtml(counts) +
    `<h3>${changesHeading(version.version_id, run)}</h3>` +
    changesHtml(version.changes, version.version_id, options.changes ?? [], options.moreChanges)
  );
}

/**
 * What a version's changes are counted against: its run's `compared_with` (the version live before
 * it, which a live file replaced by hand makes other than the one before), else the one before.
 * @param {number} versionId
 * @param {RunRecord | undefined} run
 * @returns {string}
 */
function changesHeading(versionId, run) {
  const since = run?.version_id === versionId && run.compared_with !== undefined ? run.compared_with : versionId > 1 ? versionId - 1 : null;
  if (since !== null) return `Changes since version ${formatCount(since)}`;
  return versionId > 1 ? "Changes: not compared with an earlier version" : "Changes since the previous version";
}

/**
 * Returns the newest attempt when it is not the run that published the served version: what it
 * was, why it did not publish, and the cells its errors point at.
 *
 * @example
 * element.innerHTML = attemptHtml(runs[0], { served: true });
 * @param {RunRecord} run
 * @param {{ served?: boolean }} [options]  served: some version is still being served
 * @returns {string}
 */
export function attemptHtml(run, options = {}) {
  const errors = run.findings.filter((f) => f.severity === "error");
  const cells = errors.flatMap((f) => f.cells);
  const why = runErrorHtml(run, { note: true });
  const where = cells.length
    ? `<p class="attempt-cells">${formatCount(errors.reduce((n, f) => n + (f.count ?? f.cells.length), 0))} ${errors.length === 1 && errors[0].count === 1 ? "cell" : "cells"} to fix: ${cells
        .slice(0, 6)
        .map((c) => `<code>${escapeHtml(c)}</code>`)
        .join(" ")}${cells.length > 6 ? " …" : ""}</p>`
    : "";
  const kept = options.served === false ? "nothing is published yet" : "the version above is still served";
  const what = run.status === "failed" ? `did not load; ${kept}` : run.status === "skipped" ? "was skipped" : "ran";
  return (
    `<div class="attempt attempt-${escapeHtml(run.status)}" data-attempt="${escapeHtml(run.id)}">` +
    `<h3>Newest attempt ${runStatusHtml(run)}</h3>` +
    `<p><time datetime="${escapeHtml(run.finished_at)}">${escapeHtml(formatTime(run.finished_at))}</time>${run.file ? `, <code>${escapeHtml(run.file.name)}</code>` : ""} ${what}.</p>` +
    why +
    where +
    `<button type="button" class="small" data-select-run="${escapeHtml(run.id)}">Show this run</button></div>`
  );
}

/**
 * Returns a run's status badge (`data-run-status` is what the browser tests read).
 *
 * @example
 * runStatusHtml(run); // '<span class="status status-failed" data-run-status="failed">failed</span>'
 * @param {Pick<RunRecord, "status">} run
 * @returns {string}
 */
export function runStatusHtml(run) {
  return `<span class="status status-${escapeHtml(run.status)}" data-run-status="${escapeHtml(run.status)}">${escapeHtml(run.status)}</span>`;
}

/**
 * Returns why a run failed (its error's code and message), or "" when it has no error.
 *
 * @example
 * runErrorHtml(run, { note: true }); // '<p class="run-error" role="note"><strong>locked</strong>: ...</p>'
 * @param {Pick<RunRecord, "error">} run
 * @param {{ note?: boolean }} [options]  note: mark it role="note" (the newest attempt's)
 * @returns {string}
 */
export function runErrorHtml(run, options = {}) {
  if (!run.error) return "";
  return `<p class="run-error"${options.note ? ' role="note"' : ""}><strong>${escapeHtml(run.error.code)}</strong>: ${escapeHtml(run.error.message)}</p>`;
}

/**
 * Returns the summary of any run: status, when, file, version and counts, and why it failed.
 *
 * @example
 * element.innerHTML = runSummaryHtml(run, { served: true });
 * @param {RunRecord} run
 * @param {{ served?: boolean }} [options]
 * @returns {string}
 */
export function runSummaryHtml(run, options = {}) {
  const restore = run.restored_from != null ? `, restoring version ${formatCount(run.restored_from)}` : "";
  const version = run.version_id != null && run.status === "succeeded" ? ` <span class="muted">published version ${formatCount(run.version_id)}${restore}${options.served ? " (served)" : ""}</span>` : "";
  const skippedOf = run.status === "skipped" && run.version_id != null ? ` <span class="muted">(same file as version ${formatCount(run.version_id)})</span>` : "";
  const error = runErrorHtml(run);
  return (
    `<div class="run-head">${runStatusHtml(run)}${version}${skippedOf}</div>` +
    `<dl class="run-meta"><dt>Finished</dt><dd><time datetime="${escapeHtml(run.finished_at)}">${escapeHtml(formatTime(run.finished_at))}</time></dd>` +
    `<dt>File</dt>${run.file ? `<dd><code>${escapeHtml(run.file.name)}</code> <span class="muted">${formatCount(Math.round(run.file.size / 1024))} KiB</span></dd>` : `<dd class="muted">none</dd>`}</dl>` +
    error +
    countsHtml(run.counts)
  );
}

/**
 * Returns the change summary of a version (counts) and its changes as sentences with names.
 *
 * @example
 * changesHtml({ pairs_added: 2 }, 3, changes);
 * @param {Record<string, number> | undefined} counts
 * @param {number | null | undefined} versionId
 * @param {readonly Change[]} details
 * @param {boolean} [more]  true when `details` is only the first page
 * @param {number} [maxDetails]
 * @returns {string}
 */
export function changesHtml(counts, versionId, details, more = false, maxDetails = 12) {
  const changed = CHANGE_LABELS.filter(([key]) => (counts?.[key] ?? 0) > 0);
  const summary = changed.length
    ? `<ul class="change-summary">${changed.map(([key, one, many]) => `<li data-change="${key}"><strong>${formatCount(counts?.[key])}</strong> ${counts?.[key] === 1 ? one : many}</li>`).join("")}</ul>`
    : `<p class="muted">${versionId === 1 ? "First version: nothing to compare with yet." : "No changes since the previous version."}</p>`;
  if (details.length === 0) return summary;
  const total = changed.reduce((n, [key]) => n + (counts?.[key] ?? 0), 0);
  const rest = Math.max(details.length - maxDetails, more ? total - maxDetails : 0);
  return (
    summary +
    `<details class="change-details"><summary>The changes in detail</summary><ul>${details
      .slice(0, maxDetails)
      .map((d) => `<li class="change change-${escapeHtml(d.change)}">${escapeHtml(describeChange(d))}</li>`)
      .join("")}${rest > 0 ? `<li class="muted">and ${formatCount(rest)} more (<a href="/changes?version=${versionId}&amp;format=csv">all as CSV</a>)</li>` : ""}</ul></details>`
  );
}

/**
 * Returns one change as a sentence with the actors' names: "Ana (A) – Bruno (B): pair added".
 *
 * @example
 * describeChange({ entity: "actor", change: "changed", numeric_id: 3, actor_name: "Ana", actor_letter: "A", field: "actor_name", old_value: "Ana", new_value: "Ana María", ... });
 * // "Ana (A): name changed from 'Ana' to 'Ana María'"
 * @param {Change} d
 * @returns {string}
 */
export function describeChange(d) {
  // With neither a name nor a code the history does not know who it was: said, not left as a bare id.
  const label = (/** @type {number | null} */ id, /** @type {string | null} */ name, /** @type {string | null} */ code) =>
    name ?? code ? `${name ?? `Actor ${id ?? "?"}`}${code ? ` (${code})` : ""}` : `Actor ${id ?? "?"} (no name on record)`;
  const short = (/** @type {number | null} */ id, /** @type {string | null} */ name) => name ?? `actor ${id ?? "?"}`;
  if (d.entity === "pair") {
    const who = `${label(d.person_a, d.person_a_name, d.person_a_letter)} – ${label(d.person_b, d.person_b_name, d.person_b_letter)}`;
    if (d.change !== "changed") return `${who}: pair ${d.change}`;
    const direction = d.field === "a_to_b" ? `${short(d.person_a, d.person_a_name)}'s mark for ${short(d.person_b, d.person_b_name)}` : `${short(d.person_b, d.person_b_name)}'s mark for ${short(d.person_a, d.person_a_name)}`;
    return `${who}: ${direction} changed from ${cellWord(d.old_value)} to ${cellWord(d.new_value)}`;
  }
  // The API names a removed actor as the last version that had it; an older server did not, and
  // the removal's old value is that name.
  const name = d.actor_name ?? (d.change === "removed" && d.field === "actor_name" ? d.old_value : null);
  const who = label(d.numeric_id, name, d.actor_letter);
  if (d.change !== "changed") return `${who}: actor ${d.change}`;
  const field = d.field === "actor_name" ? "name" : (d.field ?? "").replaceAll("_", " ");
  return `${who}: ${field} changed from '${d.old_value ?? ""}' to '${d.new_value ?? ""}'`;
}

/** @param {string | null} value  a direction as stored: "true", "false" or null (blank) */
function cellWord(value) {
  return value === "true" ? "1" : value === "false" ? "0" : "blank";
}
