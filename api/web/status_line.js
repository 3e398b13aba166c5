// @ts-check
/**
 * The dashboard's status line once a load of the page's data has ended (a polite live region:
 * screen readers read it out).
 */
import { formatTime } from "./html.js";

/**
 * Returns the status line: the newest relationship load, or why there is none, and the sections
 * that could not be loaded. When the API could not be reached at all, that is what it says first:
 * every section failed for that one reason, and "The runs could not be loaded. Not loaded: Runs"
 * left the person guessing. Otherwise, with no run to name, it says which of the two first requests
 * failed, the runs or the served version: either one leaves the page without a run to show, and
 * naming the runs for a failed /versions sent the person after the wrong failure. An API reached
 * by some requests and not others (a proxy or a restart dropping some) names the sections that were
 * refreshed: "nothing was refreshed" said it of a Refresh that had redrawn all but the contacts.
 *
 * @example
 * statusLine({ latest: undefined, problems: ["Runs: Cannot reach the API at http://127.0.0.1:8000"], unreachable: "Cannot reach the API at http://127.0.0.1:8000", refreshed: [] });
 * // "Cannot reach the API at http://127.0.0.1:8000: nothing was refreshed; press Refresh to try again. Not loaded: Runs"
 * statusLine({ latest: undefined, problems: ["Runs: Cannot reach …"], unreachable: "Cannot reach …", refreshed: ["Contacts", "Contact loads"] });
 * // "Cannot reach …: only Contacts and Contact loads were refreshed; press Refresh to try again. Not loaded: Runs"
 * @param {{ latest: { status: string, finished_at: string } | undefined, problems: string[], unreachable: string | null, refreshed: string[] }} state
 *   `problems`: "Section: message" for each section that failed; `unreachable`: the message of a
 *   failure to reach the API, if one was among them; `refreshed`: the sections this load did read
 *   and redraw.
 * @returns {string}
 */
export function statusLine({ latest, problems, unreachable, refreshed }) {
  const summary = unreachable !== null
    ? `${unreachable}: ${refreshed.length ? `only ${joinAnd(refreshed)} ${refreshed.length === 1 ? "was" : "were"} refreshed` : "nothing was refreshed"}; press Refresh to try again`
    : latest
      ? `Latest load ${latest.status}, ${formatTime(latest.finished_at)}`
      : unreadSummary(problems) ?? "No relationship load yet: run npm run etl";
  return problems.length ? `${summary}. Not loaded: ${problems.map((p) => p.split(":")[0]).join(", ")}` : summary;
}

/** "A", "A and B", "A, B and C". @param {string[]} names */
function joinAnd(names) {
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/**
 * "The runs …", "The served version …" or both "… could not be loaded", from the sections that
 * failed; null when neither did.
 * @param {string[]} problems
 * @returns {string | null}
 */
function unreadSummary(problems) {
  const unread = ["Runs", "Served version"].filter((section) => problems.some((p) => p.startsWith(`${section}:`)));
  return unread.length ? couldNotLoad(unread) : null;
}

/**
 * "The runs could not be loaded", "The served version could not be loaded", or both joined, for
 * the sections named (in that order): the status line and the runs section say it alike.
 * @param {string[]} sections "Runs" and/or "Served version"
 * @returns {string}
 */
export function couldNotLoad(sections) {
  const what = sections.map((section) => (section === "Runs" ? "the runs" : "the served version")).join(" and ");
  return `${what[0].toUpperCase()}${what.slice(1)} could not be loaded`;
}
