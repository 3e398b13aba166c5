// @ts-check
/**
 * The run-history chart: actors and pairs per run as two lines in a small SVG, failed runs marked
 * with a red cross on the baseline, skipped runs as hollow dots. Pure (data -> SVG string). Every
 * run is a focusable button (data-run-id) so the page can open its findings by click or keyboard.
 */
import { escapeHtml, formatCount, formatTime } from "./html.js";

/** @typedef {import("./api_client.js").RunRecord} RunRecord */

/**
 * Returns the SVG markup of the history chart for `runs` (any order; drawn oldest to newest).
 *
 * @example
 * element.innerHTML = runChartSvg(runs, { width: 560, height: 180, selectedId: runs[0].id });
 * @param {readonly RunRecord[]} runs
 * @param {{ width?: number, height?: number, selectedId?: string | null, servedRunId?: string | null }} [options]  servedRunId: the run whose version is served, ringed
 * @returns {string}
 */
export function runChartSvg(runs, options = {}) {
  const width = options.width ?? 560;
  const height = options.height ?? 180;
  const pad = { left: 44, right: 16, top: 16, bottom: 28 };
  const sorted = [...runs].sort((a, b) => String(a.started_at).localeCompare(String(b.started_at)));
  const label = `Run history: ${sorted.length} runs, actors and pairs per run`;
  if (sorted.length === 0) {
    return `<svg class="run-chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="No runs yet"><text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="axis">No runs yet</text></svg>`;
  }
  const max = Math.max(1, ...sorted.flatMap((r) => [r.counts?.actors ?? 0, r.counts?.pairs ?? 0]));
  const niceMax = niceCeiling(max);
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const step = sorted.length > 1 ? plotW / (sorted.length - 1) : 0;
  /** @param {number} i */
  const x = (i) => (sorted.length > 1 ? pad.left + i * step : pad.left + plotW / 2);
  /** @param {number} v */
  const y = (v) => pad.top + plotH - (v / niceMax) * plotH;
  const baseline = pad.top + plotH;

  const parts = [];
  parts.push(`<svg class="run-chart" viewBox="0 0 ${width} ${height}" role="group" aria-label="${escapeHtml(label)}">`);
  // Grid and axis labels; the middle tick only when it is a whole number (counts are), so a chart of
  // failed runs with no counts does not read "1, 1, 0".
  for (const tick of Number.isInteger(niceMax / 2) ? [0, niceMax / 2, niceMax] : [0, niceMax]) {
    parts.push(`<line class="grid" x1="${pad.left}" x2="${width - pad.right}" y1="${y(tick)}" y2="${y(tick)}"/>`);
    parts.push(`<text class="axis" x="${pad.left - 6}" y="${y(tick) + 4}" text-anchor="end">${formatCount(tick)}</text>`);
  }
  // Lines join the runs that produced counts: a failed run is marked on the baseline, not drawn
  // as a fake zero, and the published data it left in place carries on.
  for (const series of /** @type {const} */ (["actors", "pairs"])) {
    let d = "";
    sorted.forEach((run, i) => {
      const value = run.status === "failed" ? undefined : run.counts?.[series];
      if (value === undefined) return;
      d += `${d ? "L" : "M"}${x(i).toFixed(1)},${y(value).toFixed(1)}`;
    });
    if (d) parts.push(`<path class="line line-${series}" d="${d}"/>`);
  }
  // One marker per run; only one is in the Tab order (the selected run, else the newest) and the
  // left/right arrow keys move between them, so sixty runs are not sixty Tab presses.
  const tabId = sorted.some((r) => r.id === options.selectedId) ? options.selectedId : sorted[sorted.length - 1].id;
  sorted.forEach((run, i) => {
    const selected = run.id === options.selectedId;
    const served = run.id === options.servedRunId;
    const when = formatTime(run.finished_at || run.started_at);
    const counts = `${formatCount(run.counts?.actors)} actors, ${formatCount(run.counts?.pairs)} pairs`;
    const text = run.status === "failed" ? `${when}: failed${run.error ? ` (${run.error.message})` : ""}` : `${when}: ${run.status}, ${counts}${served ? " (served)" : ""}`;
    parts.push(
      `<g class="run-point status-${escapeHtml(run.status)}${selected ? " selected" : ""}${served ? " served" : ""}" data-run-id="${escapeHtml(run.id)}" tabindex="${run.id === tabId ? 0 : -1}" role="button" aria-pressed="${selected}" aria-label="${escapeHtml(text)}"><title>${escapeHtml(text)}</title>`,
    );
    const hit = Math.max(8, Math.min(step / 2, 14));
    parts.push(`<rect class="hit" x="${(x(i) - hit).toFixed(1)}" y="${pad.top}" width="${(2 * hit).toFixed(1)}" height="${plotH + 10}"/>`);
    if (run.status === "failed") {
      const cx = x(i);
      const cy = baseline;
      parts.push(`<path class="fail-mark" d="M${cx - 5},${cy - 5}L${cx + 5},${cy + 5}M${cx - 5},${cy + 5}L${cx + 5},${cy - 5}"/>`);
    } else {
      if (served && run.counts?.pairs !== undefined) parts.push(`<circle class="served-ring" cx="${x(i).toFixed(1)}" cy="${y(run.counts.pairs).toFixed(1)}" r="8"/>`);
      for (const series of /** @type {const} */ (["actors", "pairs"])) {
        const value = run.counts?.[series];
        if (value === undefined) continue;
        parts.push(`<circle class="dot dot-${series}" cx="${x(i).toFixed(1)}" cy="${y(value).toFixed(1)}" r="${selected ? 5 : 3.5}"/>`);
      }
    }
    parts.push(`</g>`);
  });
  // Time labels for the first and last run only: the chart is small.
  const first = formatTime(sorted[0].started_at);
  const last = formatTime(sorted[sorted.length - 1].started_at);
  // Runs on one day are told apart by the time; runs over weeks by the date.
  const sameDay = first.slice(0, 10) === last.slice(0, 10);
  const short = (/** @type {string} */ t) => (sameDay ? t.slice(11, 16) : t.slice(0, 10));
  if (sorted.length === 1) {
    parts.push(`<text class="axis" x="${x(0)}" y="${height - 6}" text-anchor="middle">${escapeHtml(first)}</text>`);
  } else {
    parts.push(`<text class="axis" x="${x(0)}" y="${height - 6}" text-anchor="start">${escapeHtml(short(first))}</text>`);
    parts.push(`<text class="axis" x="${x(sorted.length - 1)}" y="${height - 6}" text-anchor="end">${escapeHtml(short(last))}</text>`);
    if (sameDay) parts.push(`<text class="axis" x="${pad.left + plotW / 2}" y="${height - 6}" text-anchor="middle">${escapeHtml(first.slice(0, 10))} (UTC)</text>`);
  }
  parts.push(`</svg>`);
  return parts.join("");
}

/**
 * Returns a round axis maximum at or above `value` (1, 2, 5 times a power of ten).
 *
 * @example
 * niceCeiling(137); // 200
 * @param {number} value
 * @returns {number}
 */
export function niceCeiling(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}
