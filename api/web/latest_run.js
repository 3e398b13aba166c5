// @ts-check
/**
 * The "latest run" card: did last night's load work, on which file, when, how big, and what changed
 * since the previous version. Pure: data -> HTML string.
 */
import { escapeHtml, formatCount, formatTime } from "./html.js";

/** @typedef {import("./api_client.js").RunRecord} RunRecord */
/** @typedef {import("./api_client.js").ChangeDetail} ChangeDetail */

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
 * Returns the latest-run card body, or a friendly note when nothing has run yet.
 *
 * @example
 * element.innerHTML = latestRunHtml(run, { names: new Map([[1, "Ana (AB)"]]) });
 * @param {RunRecord | undefined} run
 * @param {{ names?: Map<number, string>, maxDetails?: number }} [options]
 * @returns {string}
 */
export function latestRunHtml(run, options = {}) {
  if (!run) return `<p class="muted">No relationship load has run yet. Run <code>npm run etl</code> to load a workbook.</p>`;
  const names = options.names ?? new Map();
  const maxDetails = options.maxDetails ?? 12;
  const status = `<span class="status status-${escapeHtml(run.status)}" data-run-status="${escapeHtml(run.status)}">${escapeHtml(run.status)}</span>`;
  const version = run.version_id != null ? ` <span class="muted">version ${escapeHtml(run.version_id)}</span>` : "";
  const file = run.file
    ? `<dd><code>${escapeHtml(run.file.name)}</code> <span class="muted">${formatCount(Math.round(run.file.size / 1024))} KiB · sha256 ${escapeHtml(run.file.sha256.slice(0, 12))}</span></dd>`
    : `<dd class="muted">none</dd>`;
  const error = run.error ? `<p class="run-error" role="note"><strong>${escapeHtml(run.error.code)}</strong>: ${escapeHtml(run.error.message)}</p>` : "";
  const counts = COUNT_LABELS.filter(([key]) => run.counts?.[key] !== undefined)
    .map(([key, label]) => `<div class="stat"><span class="stat-value">${formatCount(run.counts[key])}</span><span class="stat-label">${label}</span></div>`)
    .join("");
  const changed = CHANGE_LABELS.filter(([key]) => (run.changes?.[key] ?? 0) > 0);
  const changes = run.changes && Object.keys(run.changes).length
    ? changed.length
      ? `<ul class="change-summary">${changed.map(([key, one, many]) => `<li><strong>${formatCount(run.changes[key])}</strong> ${run.changes[key] === 1 ? one : many}</li>`).join("")}</ul>`
      : `<p class="muted">${run.version_id === 1 ? "First version: nothing to compare with yet." : "No changes since the previous version."}</p>`
    : "";
  const details = run.change_details ?? [];
  const detailList = details.length
    ? `<details class="change-details"><summary>${formatCount(details.length)} changes in detail</summary><ul>${details
        .slice(0, maxDetails)
        .map((d) => `<li>${escapeHtml(describeChange(d, names))}</li>`)
        .join("")}${details.length > maxDetails ? `<li class="muted">and ${formatCount(details.length - maxDetails)} more</li>` : ""}</ul></details>`
    : "";
  return (
    `<div class="run-head">${status}${version}</div>` +
    `<dl class="run-meta"><dt>File</dt>${file}<dt>Finished</dt><dd><time datetime="${escapeHtml(run.finished_at)}">${escapeHtml(formatTime(run.finished_at))}</time></dd></dl>` +
    error +
    (counts ? `<div class="stats">${counts}</div>` : "") +
    (changes || detailList ? `<h3>Changes since the previous version</h3>${changes}${detailList}` : "")
  );
}

/**
 * Returns one change row as a sentence: "pair 3–7 added", "actor 12 name: 'Ana' → 'Ana María'".
 *
 * @example
 * describeChange({ entity: "pair", change: "added", person_a: 3, person_b: 7 }, new Map()); // "Pair 3 – 7 added"
 * @param {ChangeDetail} d
 * @param {Map<number, string>} names
 * @returns {string}
 */
export function describeChange(d, names) {
  const who = (/** @type {number | null | undefined} */ id) => (id == null ? "?" : names.get(id) ?? String(id));
  const subject = d.entity === "pair" ? `Pair ${who(d.person_a)} – ${who(d.person_b)}` : `Actor ${who(d.numeric_id)}`;
  const field = d.field ? ` ${d.field}` : "";
  const values = d.change === "changed" && (d.old_value != null || d.new_value != null) ? `: '${d.old_value ?? ""}' → '${d.new_value ?? ""}'` : "";
  return `${subject}${field} ${d.change}${values}`;
}
