// @ts-check
/**
 * The served version, the newest attempt, the run history and the run details. What is served
 * never disappears behind a failed load: the card shows the served version (since when, its
 * changes) and, beside it, the newest attempt when that is not the run that published it. Choosing
 * a run in the history shows its summary, its changes and its findings together; findings read as
 * rows with actors' names and a Show button wired to the matrix and the network.
 */
import * as api from "./api_client.js";
import { byId, keyboardClicks, latestOnly } from "./_dom.js";
import { attemptHtml, changesHtml, runSummaryHtml, servedVersionHtml } from "./latest_run.js";
import { runChartSvg } from "./run_chart.js";
import { findingsHtml } from "./findings_view.js";
import { escapeHtml, formatTime } from "./html.js";

/** @typedef {import("./api_client.js").RunRecord} RunRecord */
/** @typedef {import("./api_client.js").Version} Version */
/** @typedef {import("./api_client.js").Change} Change */
/** @typedef {import("./findings_view.js").FindingContext} FindingContext */

/**
 * Mounts the run sections.
 *
 * @example
 * const runs = mountRuns({ announce, context: () => matrix.context(), onShow });
 * await runs.show({ runs: list, version, changes });
 * @param {{ announce: (message: string) => void, context: () => FindingContext | null, onShow: (target: { row: number | null, col: number | null, pair: [number, number] | null }) => void }} options
 * @returns {{ show: (state: { runs: RunRecord[], version: Version | null, changes: Change[], moreChanges: boolean }) => Promise<void>, unavailable: (message: string) => void, refreshFindings: () => void }}
 */
export function mountRuns({ announce, context, onShow }) {
  const latestBody = byId("latest-body", HTMLElement);
  const chart = byId("history-chart", HTMLElement);
  const detailsBody = byId("findings-body", HTMLElement);
  const servedButton = byId("findings-published", HTMLButtonElement);
  /** @type {RunRecord[]} */
  let runs = [];
  /** @type {Version | null} */
  let version = null;
  /** @type {Change[]} */
  let servedChanges = [];
  let moreServedChanges = false;
  /** @type {string | null} */
  let selectedId = null;
  /** Each choice of a run to show (or of the served version): only the latest is drawn. */
  const choices = latestOnly();
  /** The run whose details are shown, and its changes, so findings can be redrawn. @type {{ run: RunRecord, changes: Change[], more: boolean } | null} */
  let shown = null;

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
    if (id) void selectRun(id, { focusChart: true });
  });
  latestBody.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-select-run]") : null;
    const id = button?.getAttribute("data-select-run");
    if (id) void selectRun(id).then(() => detailsBody.scrollIntoView({ block: "nearest" }));
  });
  detailsBody.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-show-row], [data-show-pair]") : null;
    if (!button) return;
    const num = (/** @type {string} */ name) => {
      const value = button.getAttribute(name);
      return value === null || value === "" ? null : Number(value);
    };
    const pairText = button.getAttribute("data-show-pair") ?? "";
    const pair = /^\d+-\d+$/.test(pairText) ? /** @type {[number, number]} */ (pairText.split("-").map(Number)) : null;
    onShow({ row: num("data-show-row"), col: num("data-show-col"), pair });
  });
  servedButton.addEventListener("click", () => {
    selectedId = null;
    drawChart();
    void showServed();
  });

  /** The run that published the served version (undefined before the first version). */
  const servedRun = () => (version ? runs.find((r) => r.id === version?.run_id) : undefined);

  function drawChart() {
    const width = Math.max(300, Math.min(640, chart.clientWidth || 560));
    chart.innerHTML = runChartSvg(runs, { width, height: 190, selectedId, servedRunId: version?.run_id ?? null });
  }

  function drawLatest() {
    const newest = runs[0];
    const attempt = newest && newest.id !== version?.run_id ? attemptHtml(newest, { served: version !== null }) : "";
    const served = servedVersionHtml(version, servedRun(), { changes: servedChanges, moreChanges: moreServedChanges });
    latestBody.innerHTML = `<div class="served">${served}</div>${attempt}`;
  }

  async function showServed() {
    // A run still loading must not replace the served version's details.
    choices();
    servedButton.hidden = true;
    const run = servedRun();
    if (!version || !run) {
      shown = null;
      detailsBody.innerHTML = runs.length
        ? `<p class="muted">No version is served yet; choose a run in the history to see what went wrong.</p>`
        : `<p class="muted empty-state">No runs yet. Findings appear here after the first load.</p>`;
      return;
    }
    shown = { run, changes: servedChanges, more: moreServedChanges };
    drawDetails();
  }

  /**
   * Shows a run's summary, changes and findings together.
   * @param {string} id
   * @param {{ focusChart?: boolean }} [options]
   */
  async function selectRun(id, options = {}) {
    selectedId = id;
    drawChart();
    if (options.focusChart) {
      const point = chart.querySelector(`[data-run-id="${CSS.escape(id)}"]`);
      if (point instanceof SVGElement) point.focus();
    }
    const isLatest = choices();
    const run = runs.find((r) => r.id === id) ?? (await api.getRun(id));
    /** @type {Change[]} */
    let changes = [];
    let more = false;
    if (run.status === "succeeded" && run.version_id != null) {
      if (run.version_id === version?.version_id) {
        changes = servedChanges;
        more = moreServedChanges;
      } else {
        const page = await api.listChanges({ version: run.version_id, limit: 200 }).catch(() => ({ items: [], next_cursor: null }));
        changes = page.items;
        more = page.next_cursor !== null;
      }
    }
    // Another run (or the served version) chosen while this one's changes loaded.
    if (!isLatest()) return;
    shown = { run, changes, more };
    drawDetails();
    servedButton.hidden = run.id === version?.run_id;
    announce(`Showing the ${run.status} run of ${formatTime(run.finished_at)}`);
  }

  function drawDetails() {
    if (!shown) return;
    const { run, changes, more } = shown;
    const served = run.id === version?.run_id;
    const caption = `${served ? "Served version: " : ""}run of ${formatTime(run.finished_at)}`;
    const changeBlock =
      run.status === "succeeded" && run.version_id != null ? `<h3>Changes in version ${escapeHtml(run.version_id)}</h3>${changesHtml(run.changes, run.version_id, changes, more)}` : "";
    // Cell references are turned into actors with the served version's matrix; an older or failed
    // file may have had other rows, so say so.
    const note = served || !context() ? undefined : "Actors are named as in the served version; this run's file may have differed.";
    detailsBody.innerHTML =
      `<p class="caption">${escapeHtml(caption)}</p>` +
      runSummaryHtml(run, { served }) +
      changeBlock +
      `<h3>Findings</h3>` +
      findingsHtml(run.findings ?? [], { context: context(), note });
    detailsBody.dataset.runId = run.id;
  }

  /**
   * @param {{ runs: RunRecord[], version: Version | null, changes: Change[], moreChanges: boolean }} state
   */
  async function show(state) {
    runs = state.runs;
    version = state.version;
    servedChanges = state.changes;
    moreServedChanges = state.moreChanges;
    if (version && !servedRun()) {
      // The publishing run is older than the history we fetched: ask for it alone.
      const run = await api.getRun(version.run_id).catch(() => undefined);
      if (run) runs = [...runs, run];
    }
    drawLatest();
    drawChart();
    if (selectedId && runs.some((r) => r.id === selectedId)) await selectRun(selectedId);
    else await showServed();
  }

  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(drawChart, 150);
  });

  /**
   * Says why there is nothing to show, in place of the served version and the run details, when
   * the runs could not be read before anything was drawn.
   * @param {string} message
   */
  function unavailable(message) {
    const html = `<p class="muted">${escapeHtml(message)}</p>`;
    latestBody.innerHTML = html;
    detailsBody.innerHTML = html;
  }

  return { show, unavailable, refreshFindings: drawDetails };
}
