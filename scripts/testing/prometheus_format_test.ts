import { test } from "node:test";
import assert from "node:assert/strict";
import { validateExposition } from "./prometheus_format.ts";

const GOOD = `# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{method="GET",route="/a \\"b\\" \\\\ c\\nd"} 3
http_requests_total{method="POST",route="/a"} 0
# A free comment.
# HELP latency_seconds Latency.
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.1"} 1
latency_seconds_bucket{le="1"} 2
latency_seconds_bucket{le="+Inf"} 3
latency_seconds_sum 4.5
latency_seconds_count 3
# TYPE temperature gauge
temperature -1.5e3 1700000000000
temperature{room="x"} NaN
`;

test("validateExposition() accepts valid text and parses escaped label values", () => {
  const { violations, samples } = validateExposition(GOOD);
  assert.deepEqual(violations, []);
  assert.equal(samples[0].labels.route, '/a "b" \\ c\nd');
  assert.equal(samples.find((s) => s.name === "temperature")?.value, -1500);
});

test("validateExposition() finds each kind of violation", () => {
  const cases: [string, string, RegExp][] = [
    ["bad metric name", "# TYPE 1x gauge\n1x 1\n", /'1x' is not a valid metric name/],
    ["bad label name", 'up{__x="1"} 1\n', /'__x' is not a valid label name/],
    ["bad escape", 'up{a="\\t"} 1\n', /invalid escape/],
    ["unterminated label", 'up{a="x} 1\n', /unterminated label value/],
    ["bad value", "up one\n", /is not a value/],
    ["no final line feed", "up 1", /does not end with a line feed/],
    ["second TYPE", "# TYPE up gauge\n# TYPE up gauge\nup 1\n", /a second TYPE/],
    ["second HELP", "# HELP up a\n# HELP up b\nup 1\n", /a second HELP/],
    ["TYPE after samples", "up 1\n# TYPE up gauge\n", /TYPE for 'up' after its samples/],
    ["unknown type", "# TYPE up meter\nup 1\n", /'meter' is not a metric type/],
    ["family split", "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x=\"1\"} 2\n", /'a' appears again/],
    ["duplicate series", 'up{a="1"} 1\nup{a="1"} 2\n', /duplicate series/],
    ["negative counter", "# TYPE c_total counter\nc_total -1\n", /counter 'c_total' is -1/],
    ["label twice", 'up{a="1",a="2"} 1\n', /label 'a' twice/],
    ["no +Inf", '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', /no le="\+Inf" bucket/],
    ["not cumulative", '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', /not cumulative/],
    ["le not increasing", '# TYPE h histogram\nh_bucket{le="2"} 1\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', /not increasing/],
    ["+Inf differs from count", '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n', /differs from _count/],
    ["no sum", '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count 1\n', /no _sum/],
  ];
  for (const [name, text, expected] of cases) {
    const { violations } = validateExposition(text);
    assert.ok(violations.some((v) => expected.test(v)), `${name}: ${JSON.stringify(violations)}`);
  }
});

test("validateExposition() reads HELP escapes pairwise", () => {
  assert.deepEqual(validateExposition("# HELP up a \\\\ b \\n c\n# TYPE up gauge\nup 1\n").violations, []);
  assert.ok(validateExposition("# HELP up a \\t\nup 1\n").violations.some((v) => /HELP text has an escape/.test(v)));
});
