import { test } from "node:test";
import assert from "node:assert/strict";
import { bucketIndex, renderFamilies } from "./prometheus_text.ts";
import { validateExposition } from "../../scripts/testing/prometheus_format.ts";

test("renderFamilies() escapes label values and help text so they read back unchanged", () => {
  const tricky = 'a "quoted" \\ back\nslash';
  const text = renderFamilies([
    { name: "x_total", help: "Help with \\ and\na line feed.", type: "counter", samples: [{ labels: { route: tricky, status: "200" }, value: 2 }] },
  ]);
  const { violations, samples } = validateExposition(text);
  assert.deepEqual(violations, []);
  assert.equal(samples[0].labels.route, tricky);
  assert.ok(text.startsWith("# HELP x_total Help with \\\\ and\\na line feed.\n# TYPE x_total counter\n"));
});

test("renderFamilies() writes histograms as cumulative buckets ending in +Inf, with _sum and _count", () => {
  const text = renderFamilies([{ name: "d_seconds", help: "D.", type: "histogram", buckets: [0.1, 1], samples: [{ labels: { kind: "a" }, counts: [2, 0, 1], sum: 7.25 }] }]);
  assert.equal(
    text,
    [
      "# HELP d_seconds D.",
      "# TYPE d_seconds histogram",
      'd_seconds_bucket{kind="a",le="0.1"} 2',
      'd_seconds_bucket{kind="a",le="1"} 2',
      'd_seconds_bucket{kind="a",le="+Inf"} 3',
      'd_seconds_sum{kind="a"} 7.25',
      'd_seconds_count{kind="a"} 3',
      "",
    ].join("\n"),
  );
  assert.deepEqual(validateExposition(text).violations, []);
});

test("bucketIndex() picks the first upper bound at or above the value (le is inclusive)", () => {
  assert.deepEqual([0.05, 0.1, 0.5, 1, 2].map((v) => bucketIndex([0.1, 1], v)), [0, 0, 1, 1, 2]);
});
