import { test } from "node:test";
import assert from "node:assert/strict";
import { runChartSvg, niceCeiling } from "./run_chart.js";
import { runFixture as run } from "../../scripts/testing/run_fixture.ts";

test("runChartSvg() draws a focusable marker per run and marks failures", () => {
  const runs = [
    run({ id: "a", started_at: "2026-11-20T02:00:00Z", counts: { actors: 48, pairs: 110 } }),
    run({ id: "b", started_at: "2026-11-21T02:00:00Z", status: "failed", counts: {}, error: { code: "missing-sheet", message: "Cannot find sheet" } }),
    run({ id: "c", started_at: "2026-11-22T02:00:00Z", status: "skipped" }),
    run({ id: "d", started_at: "2026-11-23T02:00:00Z", counts: { actors: 50, pairs: 120 } }),
  ];
  const svg = runChartSvg([...runs].reverse(), { selectedId: "d" });
  assert.equal(svg.match(/data-run-id=/g)?.length, 4);
  assert.equal(svg.match(/tabindex="0"/g)?.length, 1);
  assert.match(svg, /data-run-id="d" tabindex="0"/);
  assert.match(runChartSvg(runs), /data-run-id="d" tabindex="0"/); // nothing selected: the newest
  assert.equal(svg.match(/class="fail-mark"/g)?.length, 1);
  assert.match(svg, /status-failed[^>]*aria-label="[^"]*failed \(Cannot find sheet\)/);
  assert.match(svg, /class="run-point status-succeeded selected" data-run-id="d"/);
  // Oldest first, whatever order the API sent: "a" is drawn before "d".
  assert.ok(svg.indexOf('data-run-id="a"') < svg.indexOf('data-run-id="d"'));
  // The failed run is not drawn as a zero: the line joins the three runs with counts.
  assert.equal(svg.match(/class="line line-actors" d="([^"]*)"/)?.[1].match(/[ML]/g)?.length, 3);
  assert.match(runChartSvg([]), /No runs yet/);
  assert.equal(niceCeiling(137), 200);
  assert.equal(niceCeiling(50), 50);
  assert.equal(niceCeiling(0), 1);
});

test("runChartSvg() rings the served run; failed runs alone read 0 and 1 on the axis, not 1, 1, 0", () => {
  const svg = runChartSvg([run({ id: "a", counts: { actors: 50, pairs: 120 } })], { servedRunId: "a" });
  assert.match(svg, /class="run-point status-succeeded served"/);
  assert.match(svg, /class="served-ring"/);
  const failedOnly = runChartSvg([run({ id: "f", status: "failed", counts: {}, error: { code: "truncated", message: "cut off" } })]);
  const ticks = [...failedOnly.matchAll(/<text class="axis"[^>]*text-anchor="end">([^<]*)<\/text>/g)].map((m) => m[1]);
  assert.deepEqual(ticks, ["0", "1"]);
});
