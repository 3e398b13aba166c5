// The README's metrics table (README.md, "Metrics") against what a real server exposes: every
// family a scrape's `# TYPE` lines name is in the table with that type, and the table names no
// other. A family with no samples yet (no snapshot, no export) still has its `# TYPE` line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";

/** Metric name -> type, from the rows of the README's table under `### Metrics`. */
function documentedMetrics(): Map<string, string> {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const start = readme.indexOf("\n### Metrics");
  assert.ok(start >= 0, "README.md has a '### Metrics' section");
  const section = readme.slice(start, readme.indexOf("\n### ", start + 1));
  const documented = new Map<string, string>();
  for (const line of section.split("\n").filter((l) => l.startsWith("| `"))) {
    const [names, type] = line.split("|").slice(1, 3);
    for (const m of names.matchAll(/`([a-z_]+)`/g)) documented.set(m[1], type.trim());
  }
  return documented;
}

test("README.md's metrics table lists every family GET /metrics exposes, with its type, and no other", async () => {
  const { dir, cleanup } = tempDir("metrics-docs-test-");
  const server = await testServer(dir);
  try {
    const res = await raw(server.url, { path: "/metrics" });
    assert.equal(res.status, 200);
    const exposed = new Map([...res.text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    assert.ok(exposed.size > 0);
    const documented = documentedMetrics();
    assert.deepEqual([...exposed].filter(([name, type]) => documented.get(name) !== type), [], "families the README's table lacks or gives another type");
    assert.deepEqual([...documented.keys()].filter((name) => !exposed.has(name)), [], "metrics the README's table lists that /metrics does not expose");
  } finally {
    await server.close();
    cleanup();
  }
});
