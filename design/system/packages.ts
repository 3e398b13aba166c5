// The code's packages and the flows between them, drawn from the real import graph (import_graph.ts)
// plus the three run-time hand-overs that are not imports. `npm run design` writes it into
// design/system/packages.md and the root README; a test fails when either is stale.
import type { ImportGraph } from "./import_graph.ts";
import { packageDependencies } from "./import_graph.ts";

/**
 * The flows between packages that no import shows: a child process, an HTTP request and a file.
 * Each is checked against the code by packages_test.ts.
 */
export const RUNTIME_FLOWS: readonly { from: string; to: string; label: string }[] = [
  { from: "etl/schedule", to: "etl", label: "spawns etl/main.ts per scheduled load" },
  { from: "etl/handover", to: "api/contacts", label: "POST /imports/contacts (api.json says where)" },
  { from: "etl/relationships", to: "api/relationships", label: "publishes relationships.duckdb (rename)" },
];

const GROUPS: readonly { prefix: string; title: string }[] = [
  { prefix: "etl", title: "etl/: the ETL and the shared domain" },
  { prefix: "api", title: "api/: the HTTP API and the dashboard" },
];

function nodeId(pkg: string): string {
  return `p_${pkg.replace(/[^A-Za-z0-9]/g, "_")}`;
}

/**
 * Returns the Mermaid flowchart of the packages: solid arrows are imports (build-time), dotted
 * arrows the run-time flows.
 *
 * @example
 * ```ts
 * packagesMermaid(importGraph()).startsWith("```mermaid"); // true
 * ```
 */
export function packagesMermaid(graph: ImportGraph): string {
  // The product's code only: design/ is documentation with code of its own, drawn in its own READMEs.
  const product = (p: string) => GROUPS.some((g) => p === g.prefix || p.startsWith(`${g.prefix}/`));
  const deps = packageDependencies(graph).filter(([a, b]) => product(a) && product(b));
  const packages = [...new Set(deps.flat().concat(RUNTIME_FLOWS.flatMap((f) => [f.from, f.to])))].sort();
  const lines = ["```mermaid", "flowchart LR"];
  for (const group of GROUPS) {
    const members = packages.filter((p) => p === group.prefix || p.startsWith(`${group.prefix}/`));
    if (members.length === 0) continue;
    lines.push(`  subgraph ${nodeId(group.prefix)}_group["${group.title}"]`);
    for (const p of members) lines.push(`    ${nodeId(p)}["${p === group.prefix ? `${p}/*.ts` : `${p}/`}"]`);
    lines.push("  end");
  }
  for (const [a, b] of deps) lines.push(`  ${nodeId(a)} --> ${nodeId(b)}`);
  for (const f of RUNTIME_FLOWS) lines.push(`  ${nodeId(f.from)} -.->|"${f.label}"| ${nodeId(f.to)}`);
  lines.push("```");
  return lines.join("\n");
}
