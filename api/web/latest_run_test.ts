import { test } from "node:test";
import assert from "node:assert/strict";
import { attemptHtml, changesHtml, describeChange, runSummaryHtml, servedVersionHtml } from "./latest_run.js";
import { runFixture as run } from "../../scripts/testing/run_fixture.ts";
import type { Change, Version } from "../relationships/relationship_schemas.ts";

const version: Version = {
  version_id: 3,
  run_id: "r1",
  loaded_at: "2026-11-20T02:00:03.000Z",
  file_name: "relaciones.xlsx",
  sha256: "ab".repeat(32),
  size: 21831,
  actors: 50,
  pairs: 120,
  restored_from: null,
  changes: { actors_added: 0, actors_removed: 0, actors_changed: 1, pairs_added: 2, pairs_removed: 0, pairs_changed: 0 },
  current: true,
};

function change(overrides: Partial<Change>): Change {
  return {
    version_id: 3, run_id: "r1", loaded_at: "2026-11-20T02:00:03.000Z", entity: "pair", change: "added", numeric_id: null, person_a: 1, person_b: 2,
    field: null, old_value: null, new_value: null, actor_letter: null, actor_name: null, person_a_letter: "A", person_a_name: "Ana", person_b_letter: "B", person_b_name: "Bruno",
    ...overrides,
  };
}

test("servedVersionHtml() says which version is served, since when, its counts and changes with names", () => {
  const html = servedVersionHtml(version, run({ counts: { actors: 50, pairs: 120, unknown_cells: 12345 } }), { changes: [change({})] });
  assert.match(html, /data-served-version="3"/);
  assert.match(html, /served since <time datetime="2026-11-20T02:00:03.000Z">2026-11-20 02:00 UTC/);
  assert.match(html, /relaciones\.xlsx/);
  assert.match(html, /<strong>2<\/strong> pairs added/);
  assert.match(html, /<strong>1<\/strong> actor changed/);
  assert.doesNotMatch(html, /actors removed/);
  assert.match(html, /Ana \(A\) – Bruno \(B\): pair added/);
  assert.match(html, /12,345/);
  assert.match(servedVersionHtml(null, undefined), /No version is published yet/);
  // Without its run (older than the history fetched), the version's own counts stand in.
  assert.match(servedVersionHtml(version, undefined), /data-count="pairs"><span class="stat-value">120/);
  assert.doesNotMatch(html, /restored/);
});

test("servedVersionHtml() names the version the changes were counted against, from the run's compared_with", () => {
  // A live file replaced by hand with a kept copy of version 1, then version 3 loaded: its changes
  // are against version 1, and the card said "since version 2".
  assert.match(servedVersionHtml(version, run({ version_id: 3, compared_with: 1 })), /<h3>Changes since version 1<\/h3>/);
  // Nothing could be compared with (history_unavailable): not "since version 2".
  assert.match(servedVersionHtml(version, run({ version_id: 3, compared_with: null })), /<h3>Changes: not compared with an earlier version<\/h3>/);
  // Runs recorded before compared_with was: the version before, as always.
  assert.match(servedVersionHtml(version, run({ version_id: 3 })), /<h3>Changes since version 2<\/h3>/);
  assert.match(servedVersionHtml({ ...version, version_id: 1 }, run({ version_id: 1, compared_with: null })), /<h3>Changes since the previous version<\/h3>/);
});

test("a restored version says so: the served card and its run's summary name the version restored", () => {
  assert.match(servedVersionHtml({ ...version, restored_from: 1 }, undefined), /<span class="restored" data-restored-from="1">restored from version 1<\/span>/);
  assert.match(runSummaryHtml(run({ version_id: 3, restored_from: 1 })), /published version 3, restoring version 1/);
});

test("attemptHtml() shows a failed newest attempt: why, and which cells", () => {
  const failed = run({
    id: "r2",
    status: "failed",
    version_id: null,
    counts: {},
    error: { code: "invalid-value", message: "2 matrix cells hold values other than 0 or 1" },
    findings: [{ check: "invalid_value", severity: "error", message: "2 cells", cells: ["'Matriz de adyacencia'!D7", "'Matriz de adyacencia'!E9"], count: 2 }],
  });
  const html = attemptHtml(failed);
  assert.match(html, /data-run-status="failed"/);
  assert.match(html, /invalid-value/);
  assert.match(html, /the version above is still served/);
  assert.match(html, /2 cells to fix: <code>&#39;Matriz de adyacencia&#39;!D7<\/code>/);
  assert.match(html, /data-select-run="r2"/);
  assert.match(attemptHtml(failed, { served: false }), /did not load; nothing is published yet/);
});

test("runSummaryHtml() and changesHtml() describe any run", () => {
  assert.match(runSummaryHtml(run({ version_id: 3 }), { served: true }), /published version 3 \(served\)/);
  assert.match(runSummaryHtml(run({ status: "skipped", version_id: 3, error: { code: "unchanged", message: "identical" } })), /same file as version 3/);
  assert.match(changesHtml({ pairs_added: 0 }, 1, []), /First version/);
  assert.match(changesHtml({}, 4, []), /No changes since the previous version/);
  const many = Array.from({ length: 20 }, (_, i) => change({ person_b: i + 2 }));
  assert.match(changesHtml({ pairs_added: 30 }, 3, many, true), /and 18 more \(<a href="\/changes\?version=3&amp;format=csv">all as CSV/);
});

test("describeChange() names actors and says what changed in words", () => {
  assert.equal(describeChange(change({})), "Ana (A) – Bruno (B): pair added");
  assert.equal(describeChange(change({ change: "changed", field: "b_to_a", old_value: "false", new_value: "true" })), "Ana (A) – Bruno (B): Bruno's mark for Ana changed from 0 to 1");
  assert.equal(describeChange(change({ change: "changed", field: "a_to_b", old_value: "true", new_value: null })), "Ana (A) – Bruno (B): Ana's mark for Bruno changed from 1 to blank");
  assert.equal(
    describeChange(change({ entity: "actor", change: "changed", numeric_id: 3, actor_name: "Ana María", actor_letter: "C", field: "actor_name", old_value: "Ana", new_value: "Ana María" })),
    "Ana María (C): name changed from 'Ana' to 'Ana María'",
  );
  // A removed actor is not in the served version: its name comes from the change itself.
  assert.equal(describeChange(change({ entity: "actor", change: "removed", numeric_id: 9, field: "actor_name", old_value: "Old Name", new_value: null })), "Old Name: actor removed");
  // Removed and named by the API from the last version that had them; the one nobody named is said so, not a bare id.
  assert.equal(describeChange(change({ change: "removed", person_b: 9, person_b_name: "Eva", person_b_letter: null })), "Ana (A) – Eva: pair removed");
  assert.equal(describeChange(change({ change: "removed", person_b: 9, person_b_name: null, person_b_letter: null })), "Ana (A) – Actor 9 (no name on record): pair removed");
  assert.equal(
    describeChange(change({ change: "changed", field: "b_to_a", old_value: "true", new_value: "false", person_b: 9, person_b_name: null, person_b_letter: null })),
    "Ana (A) – Actor 9 (no name on record): actor 9's mark for Ana changed from 1 to 0",
  );
});
