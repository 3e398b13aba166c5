import { test } from "node:test";
import assert from "node:assert/strict";
import { statusLine } from "./status_line.js";

test("statusLine() names the newest load, or why there is none, and the sections not loaded", () => {
  const latest = { status: "succeeded", finished_at: "2026-03-03T00:00:02.000Z" };
  assert.match(statusLine({ latest, problems: [], unreachable: null }), /^Latest load succeeded, /);
  assert.match(statusLine({ latest, problems: ["Changes: 503"], unreachable: null }), /^Latest load succeeded, .*\. Not loaded: Changes$/);
  assert.equal(statusLine({ latest: undefined, problems: [], unreachable: null }), "No relationship load yet: run npm run etl");
  assert.equal(statusLine({ latest: undefined, problems: ["Runs: 503 swapping"], unreachable: null }), "The runs could not be loaded. Not loaded: Runs");
});

test("statusLine() says first that the API cannot be reached, when that is why sections failed", () => {
  const down = "Cannot reach the API at http://127.0.0.1:8000";
  assert.equal(
    statusLine({ latest: undefined, problems: [`Runs: ${down}`, `Contacts: ${down}`], unreachable: down }),
    `${down}: nothing was refreshed; press Refresh to try again. Not loaded: Runs, Contacts`,
  );
});

test("statusLine() names the served version when it is what could not be read, and both when both failed", () => {
  // Before, any failure of the first two requests was "The runs could not be loaded. Not loaded: Runs",
  // also when the runs had answered and /versions had not.
  assert.equal(statusLine({ latest: undefined, problems: ["Served version: 500"], unreachable: null }), "The served version could not be loaded. Not loaded: Served version");
  assert.equal(
    statusLine({ latest: undefined, problems: ["Runs: 503", "Served version: 500", "Contacts: 503"], unreachable: null }),
    "The runs and the served version could not be loaded. Not loaded: Runs, Served version, Contacts",
  );
});
