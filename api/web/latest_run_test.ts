import { test } from "node:test";
import assert from "node:assert/strict";
import { latestRunHtml, describeChange } from "./latest_run.js";
import { runFixture as run } from "../../scripts/testing/run_fixture.ts";

test("latestRunHtml() shows status, file, counts and changes", () => {
  const html = latestRunHtml(
    run({ version_id: 3, changes: { pairs_added: 2, actors_removed: 0, actors_changed: 1 }, change_details: [{ entity: "pair", change: "added", numeric_id: null, person_a: 1, person_b: 2, field: null, old_value: null, new_value: null }] }),
    { names: new Map([[1, "Ana (A)"]]) },
  );
  assert.match(html, /data-run-status="succeeded"/);
  assert.match(html, /relaciones\.xlsx/);
  assert.match(html, /<strong>2<\/strong> pairs added/);
  assert.match(html, /<strong>1<\/strong> actor changed/);
  assert.doesNotMatch(html, /actors removed/);
  assert.match(html, /Pair Ana \(A\) – 2 added/);
  const failed = latestRunHtml(run({ status: "failed", error: { code: "bad_zip", message: "Not a workbook" }, counts: {} }));
  assert.match(failed, /data-run-status="failed"/);
  assert.match(failed, /bad_zip/);
  assert.match(latestRunHtml(run({ changes: { pairs_added: 0 } })), /First version/);
  assert.match(latestRunHtml(undefined), /No relationship load has run yet/);
  assert.equal(
    describeChange({ entity: "actor", change: "changed", numeric_id: 3, person_a: null, person_b: null, field: "actor_name", old_value: "Ana", new_value: "Ana María" }, new Map()),
    "Actor 3 actor_name changed: 'Ana' → 'Ana María'",
  );
});
