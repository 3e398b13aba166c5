// @ts-check
/**
 * The dashboard's entry module: mounts each section and loads them independently, so a section
 * whose data is missing (no version published yet, API still starting) does not blank the others.
 */
import { byId } from "./_dom.js";
import { mountRuns } from "./runs_panel.js";
import { mountNetwork } from "./network_panel.js";
import { mountMatrix } from "./matrix_panel.js";
import { mountContacts } from "./contacts_panel.js";
import { formatTime } from "./html.js";
import { listRuns } from "./api_client.js";

const status = byId("status", HTMLElement);

/** Puts `message` in the polite live region, read out by screen readers. @param {string} message */
function announce(message) {
  status.textContent = message;
}

const runs = mountRuns({ announce });
const network = mountNetwork({ announce });
const matrix = mountMatrix({ announce });
const contacts = mountContacts({ announce });

/**
 * @param {string} section
 * @param {unknown} error
 */
function failed(section, error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`${section}:`, error);
  return `${section}: ${message}`;
}

async function loadAll() {
  announce("Loading…");
  document.body.dataset.loaded = "false";
  /** @type {string[]} */
  const problems = [];
  const [latest] = await Promise.all([
    runs.load().catch((e) => void problems.push(failed("Runs", e))),
    network
      .load()
      .then((actors) => runs.setNames(new Map(actors.map((a) => [a.id, `${a.name ?? a.id}${a.letter_code ? ` (${a.letter_code})` : ""}`]))))
      .catch((e) => {
        byId("network-graph", HTMLElement).innerHTML = `<p class="muted">No relationship version is published yet.</p>`;
        problems.push(failed("Network", e));
      }),
    matrix.load().catch((e) => void problems.push(failed("Matrix", e))),
    contacts.load().catch((e) => void problems.push(failed("Contacts", e))),
  ]);
  shownRunId = latest?.id ?? null;
  const summary = latest ? `Latest load ${latest.status}, ${formatTime(latest.finished_at)}` : "No relationship load yet";
  announce(problems.length ? `${summary}. Not loaded: ${problems.map((p) => p.split(":")[0]).join(", ")}` : summary);
  // A hook for the browser tests and the screenshot script: everything has settled.
  document.body.dataset.loaded = "true";
}

byId("refresh", HTMLButtonElement).addEventListener("click", () => void loadAll());

/** The newest run id the page shows; a different one on the server means a load has finished. */
let shownRunId = /** @type {string | null | undefined} */ (undefined);

// A page left open (a wall screen, a tab from yesterday) follows new loads on its own. Runs are
// one small request; everything is reloaded only when a new run has been recorded.
setInterval(async () => {
  if (document.hidden || document.body.dataset.loaded !== "true") return;
  try {
    const [newest] = await listRuns("relationships", 1);
    const id = newest?.id ?? null;
    if (shownRunId !== undefined && id !== shownRunId) await loadAll();
  } catch {
    // The API may be restarting; try again next time.
  }
}, 30_000);

void loadAll();
