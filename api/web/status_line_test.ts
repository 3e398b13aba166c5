import { test } from "node:test";
import assert from "node:assert/strict";
import { statusLine } from "./status_line.js";

test("statusLine() names the newest load, or why there is none, and the sections not loaded", () => {
  const latest = { status: "succeeded", finished_at: "2026-03-03T00:00:02.000Z" };
  assert.match(statusLine({ latest, problems: [], unreachable: null, refreshed: [] }), /^Latest load succeeded, /);
  assert.match(statusLine({ latest, problems: ["Changes: 503"], unreachable: null, refreshed: [] }), /^Latest load succeeded, .*\. Not loaded: Changes$/);
  assert.equal(statusLine({ latest: undefined, problems: [], unreachable: null, refreshed: [] }), "No relationship load yet: run npm run etl");
  assert.equal(statusLine({ latest: undefined, problems: ["Runs: 503 swapping"], unreachable: null, refreshed: [] }), "The runs could not be loaded. Not loaded: Runs");
});

test("statusLine() says first that the API cannot be reached, when that is why sections failed", () => {
  const down = "Cannot reach the API at http://127.0.0.1:8000";
  assert.equal(
    statusLine({ latest: undefined, problems: [`Runs: ${down}`, `Contacts: ${down}`], unreachable: down, refreshed: [] }),
    `${down}: nothing was refreshed; press Refresh to try again. Not loaded: Runs, Contacts`,
  );
});

test("statusLine() names the sections refreshed when the API was reached for some of them", () => {
  // Before, one section the API did not answer made it "nothing was refreshed", though the others were.
  const down = "Cannot reach the API at http://127.0.0.1:8000";
  assert.equal(
    statusLine({ latest: undefined, problems: [`Runs: ${down}`], unreachable: down, refreshed: ["Contacts", "Contact loads"] }),
    `${down}: only Contacts and Contact loads were refreshed; press Refresh to try again. Not loaded: Runs`,
  );
  assert.equal(
    statusLine({ latest: undefined, problems: [`Contacts: ${down}`, `Contact loads: ${down}`], unreachable: down, refreshed: ["Runs", "Served version", "Network", "Matrix"] }),
    `${down}: only Runs, Served version, Network and Matrix were refreshed; press Refresh to try again. Not loaded: Contacts, Contact loads`,
  );
  assert.equal(
    statusLine({ latest: undefined, problems: [`Matrix: ${down}`], unreachable: down, refreshed: ["Contacts"] }),
    `${down}: only Contacts was refreshed; press Refresh to try again. Not loaded: Matrix`,
  );
});

test("statusLine() names the served version when it is what could not be read, and both when both failed", () => {
  // Before, any failure of the first two requests was "The runs could not be loaded. Not loaded: Runs",
  // also when the runs had answered and /versions had not.
  assert.equal(statusLine({ latest: undefined, problems: ["Served version: 500"], unreachable: null, refreshed: [] }), "The served version could not be loaded. Not loaded: Served version");
  assert.equal(
    statusLine({ latest: undefined, problems: ["Runs: 503", "Served version: 500", "Contacts: 503"], unreachable: null, refreshed: [] }),
    "The runs and the served version could not be loaded. Not loaded: Runs, Served version, Contacts",
  );
});
