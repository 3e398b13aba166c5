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
import { formatTime } from "./_html.js";

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
  const summary = latest ? `Latest load ${latest.status}, ${formatTime(latest.finished_at)}` : "No relationship load yet";
  announce(problems.length ? `${summary}. Not loaded: ${problems.map((p) => p.split(":")[0]).join(", ")}` : summary);
  // A hook for the browser tests and the screenshot script: everything has settled.
  document.body.dataset.loaded = "true";
}

byId("refresh", HTMLButtonElement).addEventListener("click", () => void loadAll());
void loadAll();
