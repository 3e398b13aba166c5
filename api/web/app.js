// @ts-check
/**
 * The dashboard's entry module. It first asks what exists (the runs and the served version, two
 * small requests), then loads only what the page can show: with no version yet it shows how to make
 * one instead of asking for a network and a matrix that are not there. Each section loads on its
 * own, so one failing does not blank the others.
 */
import { byId } from "./_dom.js";
import { mountRuns } from "./runs_panel.js";
import { mountNetwork } from "./network_panel.js";
import { mountMatrix } from "./matrix_panel.js";
import { mountContacts } from "./contacts_panel.js";
import { errorText, formatTime } from "./html.js";
import { couldNotLoad, statusLine } from "./status_line.js";
import { checkDelay } from "./check_delay.js";
import * as api from "./api_client.js";

const status = byId("status", HTMLElement);
const firstRun = byId("first-run", HTMLElement);

/** Puts `message` in the polite live region, read out by screen readers. @param {string} message */
function announce(message) {
  status.textContent = message;
}

const matrix = mountMatrix({ announce });
const network = mountNetwork({ announce });
const runs = mountRuns({
  announce,
  context: () => matrix.context(),
  onShow: ({ row, col, pair }) => {
    if (row !== null) matrix.showCell(row, col);
    if (pair) void network.showPair(pair[0], pair[1]);
  },
});
const contacts = mountContacts({ announce });

/** The sections a load reads, in the order the status line names those it refreshed. */
const SECTIONS = ["Runs", "Served version", "Changes", "Network", "Matrix", "Contacts", "Contact loads"];

/** Changes worth fetching in one go: the served card lists a dozen, the network marks the pairs. */
const CHANGES_PAGE = 1000;

/**
 * @param {string} section
 * @param {unknown} error
 */
function describe(section, error) {
  const message = errorText(error);
  console.error(`${section}:`, error);
  return `${section}: ${message}`;
}

/** The runs or the served version (or both) could not be read, each with its own error. */
class Unread extends Error {
  /** @param {{ section: string, error: unknown }[]} sections */
  constructor(sections) {
    super(sections.map(({ section }) => section).join(", "));
    this.sections = sections;
  }
}

/**
 * Reads the runs and the served version together. Both are waited for, so a failure is named as
 * the request that failed: with the first rejection alone, a failed /versions was reported as "the
 * runs could not be loaded" while the runs had answered.
 * @returns {Promise<[import("./api_client.js").RunRecord[], Awaited<ReturnType<typeof api.listVersions>>]>}
 */
async function readRunsAndVersion() {
  const [runList, versions] = await Promise.allSettled([api.listRuns("relationships", 60), api.listVersions(1)]);
  if (runList.status === "fulfilled" && versions.status === "fulfilled") return [runList.value, versions.value];
  /** @type {{ section: string, error: unknown }[]} */
  const sections = [];
  if (runList.status === "rejected") sections.push({ section: "Runs", error: runList.reason });
  if (versions.status === "rejected") sections.push({ section: "Served version", error: versions.reason });
  throw new Unread(sections);
}

/**
 * Loads every section and says how it went in the status line.
 * @param {boolean} retry  a check's retry of a load that failed: it says nothing unless its status
 *   line differs from the last load's, so a failure is said once, not again at each retry
 */
async function loadAll(retry) {
  if (!retry) announce("Loading…");
  /** @type {string[]} */
  const problems = [];
  /** The API not answering at all (api_client's status 0), if a section failed for that. */
  let unreachable = /** @type {string | null} */ (null);
  /** @param {string} section @param {unknown} error */
  const failed = (section, error) => {
    if (error instanceof api.ApiError && error.status === 0) unreachable ??= error.message;
    return describe(section, error);
  };
  /** The sections this load read and redrew: with the API reached by some requests only, the status line names them. */
  const refreshed = new Set();
  const contactsLoaded = contacts.load().then((unread) => {
    for (const { section, error } of unread) problems.push(failed(section, error));
    for (const section of ["Contacts", "Contact loads"]) if (!unread.some((u) => u.section === section)) refreshed.add(section);
  });
  let latest;
  runsFailed = false;
  try {
    const [runList, versions] = await readRunsAndVersion();
    latest = runList[0];
    shownRunId = latest?.id ?? null;
    const version = versions.items[0] ?? null;
    firstRun.hidden = version !== null;
    byId("first-run-runs", HTMLElement).textContent = latest
      ? `The newest load ${latest.status === "failed" ? "failed" : latest.status} (${formatTime(latest.finished_at)}); see the run history below for why.`
      : "No load has run yet.";
    const changed = version ? Object.values(version.changes).reduce((n, v) => n + v, 0) : 0;
    const none = { items: [], next_cursor: null };
    // Without its changes the version, its run and the network are still shown, only unmarked.
    const changes = version && changed > 0
      ? api.listChanges({ version: version.version_id, limit: CHANGES_PAGE }).then((page) => (refreshed.add("Changes"), page), (e) => {
          problems.push(failed("Changes", e));
          return none;
        })
      : Promise.resolve(none);
    if (!version) {
      network.empty("The network appears after the first successful load.");
      matrix.empty("The matrix appears after the first successful load.");
      await runs.show({ runs: runList, version, changes: [], moreChanges: false });
      refreshed.add("Runs").add("Served version");
    } else {
      // The matrix's two requests go out first and together: the heat map is the heaviest answer,
      // so it should not wait behind the network's layout or the other sections' drawing.
      const matrixInfo = api.matrixInfo();
      const wholeMatrix = new AbortController();
      const matrixCells = api.matrixCells({ signal: wholeMatrix.signal });
      matrixCells.catch(() => {}); // reported through matrix.load()
      await Promise.all([
        changes
          .then((page) => runs.show({ runs: runList, version, changes: page.items, moreChanges: page.next_cursor !== null }))
          .then(() => refreshed.add("Runs").add("Served version"))
          .catch((e) => void problems.push(failed("Runs", e))),
        changes
          .then((page) => network.load({ versionId: version.version_id, changes: page.items, complete: page.next_cursor === null }))
          .then(() => refreshed.add("Network"))
          .catch((e) => {
            network.empty("The network could not be loaded.");
            problems.push(failed("Network", e));
          }),
        matrixInfo
          .then((info) => matrix.load(info, matrixCells, () => wholeMatrix.abort()))
          .then(() => refreshed.add("Matrix"))
          .catch((e) => {
            // The section failed: the whole matrix asked for beside it (up to 67 MB) is not wanted.
            wholeMatrix.abort();
            // Said in the section, as the network's failure is: an empty white box under "Hover a cell
            // to read it" read as a matrix still loading, or with no cells.
            matrix.empty("The matrix could not be loaded. Press Refresh to try again.");
            problems.push(failed("Matrix", e));
          }),
      ]);
      // Findings name actors and cell values from the matrix, which may have arrived last.
      runs.refreshFindings();
    }
  } catch (e) {
    runsFailed = true;
    const unread = e instanceof Unread ? e.sections : [{ section: "Runs", error: e }];
    for (const { section, error } of unread) problems.push(failed(section, error));
    // Nothing was drawn yet: each section says so instead of "Loading…" for good. A later
    // refresh that fails keeps what is on screen (the status line names what was not loaded).
    if (shownRunId === undefined) {
      const why = unread.map(({ error }) => errorText(error)).join("; ");
      runs.unavailable(`${couldNotLoad(unread.map(({ section }) => section))} (${why}). Press Refresh to try again.`);
      network.empty("The network could not be loaded.");
      matrix.empty("The matrix could not be loaded.");
    }
  }
  await contactsLoaded;
  const line = statusLine({ latest, problems, unreachable, refreshed: SECTIONS.filter((section) => refreshed.has(section)) });
  if (!retry || line !== loadStatus) announce(line);
  loadStatus = line;
}

/** The load in progress, and whether another was asked for while it ran (by a person or a new run: not a retry). */
let loading = /** @type {Promise<void> | null} */ (null);
let askedAgain = false;
let askedAgainAloud = false;

/**
 * Loads everything, one load at a time: asked during a load, it runs once more after that one.
 * Two loads side by side could finish in either order, and the older one's answers, arriving last,
 * would overwrite the newer ones (a version published between two clicks of Refresh, shown and then
 * replaced by the one before). The page always ends on answers asked for after the last request.
 * @param {{ retry?: boolean }} [how]  retry: a check retrying a failed load (see loadAll)
 */
function refresh({ retry = false } = {}) {
  if (loading) {
    askedAgain = true;
    if (!retry) askedAgainAloud = true;
    return loading;
  }
  document.body.dataset.loaded = "false";
  loading = (async () => {
    try {
      let quiet = retry;
      do {
        askedAgain = false;
        askedAgainAloud = false;
        await loadAll(quiet);
        quiet = !askedAgainAloud;
      } while (askedAgain);
    } finally {
      loading = null;
      // A hook for the browser tests and the screenshot script: everything has settled.
      document.body.dataset.loaded = "true";
    }
  })();
  return loading;
}

byId("refresh", HTMLButtonElement).addEventListener("click", () => {
  void refresh().then(() => {
    // A Refresh that read the runs is a success: the checks, backed off meanwhile, are every 30 s again.
    if (!runsFailed && failedChecks > 0) {
      failedChecks = 0;
      checkLater();
    }
  });
});

/** The newest run id the page shows; a different one on the server means a load has finished. */
let shownRunId = /** @type {string | null | undefined} */ (undefined);
/** The last load could not read the runs (and the version): what it shows is missing or old. */
let runsFailed = false;

/** Checks in a row that failed (the API not answering, or the runs or the version not read). */
let failedChecks = 0;
/** The status line of the last load, put back when the checks answer again after failing. */
let loadStatus = "";

/**
 * A page left open (a wall screen, a tab from yesterday) follows new loads on its own. Runs are
 * one small request; everything is reloaded only when a new run has been recorded, or when the
 * last load could not read the runs or the version (the API was restarting) and now both answer:
 * a page whose first load failed would otherwise say "could not be loaded" until someone pressed
 * Refresh. Asking for both first matters: with /runs answering and /versions failing, a check of
 * the runs alone reloaded the whole page every 30 s, announcing the same failure each time.
 * While checks fail they back off (checkDelay) and the failure is said once; the load's own status
 * line already says it when the load failed, and a retry whose load fails the same way again
 * says nothing (each retry re-announcing it was the page repeating itself every few minutes).
 */
async function check() {
  if (document.hidden || document.body.dataset.loaded !== "true") return;
  const failing = failedChecks > 0;
  try {
    if (runsFailed) {
      await Promise.all([api.listRuns("relationships", 1), api.listVersions(1)]);
      await refresh({ retry: true });
    } else {
      const [newest] = await api.listRuns("relationships", 1);
      if ((newest?.id ?? null) !== shownRunId) await refresh();
      else if (failing) announce(loadStatus);
    }
    // A load that failed again (answers changing under it) counts as a failed check: no reload loop.
    failedChecks = runsFailed ? failedChecks + 1 : 0;
  } catch (e) {
    failedChecks += 1;
    if (!failing && !runsFailed) {
      announce(`Could not check for a new load (${e instanceof Error ? e.message : String(e)}); the page shows what it had and checks again, less often while this lasts.`);
    }
  }
}

/** The next check's timer: one at a time, so Refresh can bring it forward. */
let checkTimer = /** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined);

/** Sets the next check, after the wait the failures so far call for. */
function checkLater() {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(() => void check().finally(checkLater), checkDelay(failedChecks));
}

checkLater();

/** A key, wheel, touch or click before the first load settles: the person has moved on from where a link put them. */
let movedOn = false;
for (const type of ["keydown", "wheel", "touchstart", "pointerdown"]) addEventListener(type, () => (movedOn = true), { once: true, capture: true, passive: true });

/**
 * The browser scrolls to a link's section (`/#contacts`) before the sections above it are filled,
 * and their content, arriving after, pushed it about 200 px down: once they are drawn, the section
 * the address names is scrolled to again, unless the person scrolled or pressed something meanwhile,
 * or this is a reload or Back, where the browser puts back the place they left instead.
 */
function landOnHash() {
  const navigation = performance.getEntriesByType("navigation")[0];
  if (movedOn || !location.hash || (navigation instanceof PerformanceNavigationTiming && navigation.type !== "navigate")) return;
  document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

void refresh().then(landOnHash);
