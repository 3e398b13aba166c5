// @ts-check
/**
 * Latest run, run history and findings: loads runs, draws the card and the chart, and switches the
 * findings list between the published version and a run chosen in the chart.
 */
import * as api from "./api_client.js";
import { byId, keyboardClicks } from "./_dom.js";
import { latestRunHtml } from "./latest_run.js";
import { runChartSvg } from "./run_chart.js";
import { findingsHtml } from "./findings_view.js";
import { escapeHtml, formatTime } from "./html.js";

/** @typedef {import("./api_client.js").RunRecord} RunRecord */

/**
 * Mounts the three run sections and returns a `load()` that (re)fetches them, resolving to the
 * latest relationships run (undefined when none).
 *
 * @example
 * const runs = mountRuns({ announce });
 * const latest = await runs.load();
 * @param {{ announce: (message: string) => void }} options
 * @returns {{ load: () => Promise<RunRecord | undefined>, setNames: (names: Map<number, string>) => void }}
 */
export function mountRuns({ announce }) {
  const latestBody = byId("latest-body", HTMLElement);
  const chart = byId("history-chart", HTMLElement);
  const findingsBody = byId("findings-body", HTMLElement);
  const publishedButton = byId("findings-published", HTMLButtonElement);
  /** @type {RunRecord[]} */
  let runs = [];
  /** @type {RunRecord | undefined} */
  let latest;
  /** @type {string | null} */
  let selectedId = null;
  /** @type {Map<number, string>} */
  let names = new Map();

  keyboardClicks(chart);
  chart.addEventListener("keydown", (event) => {
    const point = event.target instanceof Element ? event.target.closest("[data-run-id]") : null;
    if (!point || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
    event.preventDefault();
    const points = [...chart.querySelectorAll("[data-run-id]")];
    const next = points[points.indexOf(point) + (event.key === "ArrowRight" ? 1 : -1)];
    if (!(next instanceof SVGElement)) return;
    point.setAttribute("tabindex", "-1");
    next.setAttribute("tabindex", "0");
    next.focus();
  });
  chart.addEventListener("click", (event) => {
    const point = event.target instanceof Element ? event.target.closest("[data-run-id]") : null;
    const id = point?.getAttribute("data-run-id");
    if (id) void selectRun(id);
  });
  publishedButton.addEventListener("click", () => {
    selectedId = null;
    drawChart();
    void showPublishedFindings();
  });

  function drawChart() {
    const width = Math.max(320, Math.min(640, chart.clientWidth || 560));
    chart.innerHTML = runChartSvg(runs, { width, height: 190, selectedId });
  }

  function drawLatest() {
    latestBody.innerHTML = latestRunHtml(latest, { names });
  }

  async function showPublishedFindings() {
    publishedButton.hidden = true;
    try {
      const findings = await api.listFindings();
      findingsBody.innerHTML = findingsHtml(findings, { caption: "Published version" });
    } catch (error) {
      findingsBody.innerHTML = `<p class="muted">${error instanceof api.ApiError && error.status === 404 ? "No published version yet." : "Findings are not available."}</p>`;
    }
  }

  /** @param {string} id */
  async function selectRun(id) {
    selectedId = id;
    drawChart();
    const point = chart.querySelector(`[data-run-id="${CSS.escape(id)}"]`);
    if (point instanceof SVGElement) point.focus();
    const run = runs.find((r) => r.id === id) ?? (await api.getRun(id));
    const caption = `Run of ${formatTime(run.finished_at)} (${run.status}${run.file ? `, ${run.file.name}` : ""})`;
    const error = run.error ? `<p class="run-error"><strong>${escapeHtml(run.error.code)}</strong>: ${escapeHtml(run.error.message)}</p>` : "";
    findingsBody.innerHTML = error + findingsHtml(run.findings ?? [], { caption });
    publishedButton.hidden = false;
    announce(`Showing findings of the ${run.status} run of ${formatTime(run.finished_at)}`);
  }

  async function load() {
    runs = await api.listRuns("relationships", 60);
    latest = runs[0];
    if (latest) {
      try {
        latest = { ...latest, ...(await api.getRun(latest.id)) };
      } catch {
        // The details are a bonus; the summary record is enough to show the card.
      }
    }
    drawLatest();
    drawChart();
    if (selectedId && runs.some((r) => r.id === selectedId)) await selectRun(selectedId);
    else await showPublishedFindings();
    return latest;
  }

  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(drawChart, 150);
  });

  return {
    load,
    setNames(next) {
      names = next;
      drawLatest();
    },
  };
}
