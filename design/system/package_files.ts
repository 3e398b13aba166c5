// Where the package diagram goes: design/system/packages.md and the root README's "Layout" section.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { replaceSections } from "../render/mod.ts";
import { importGraph, REPO_ROOT } from "./import_graph.ts";
import { packagesMermaid } from "./packages.ts";

/** The files that hold the package diagram. */
export const PACKAGE_DIAGRAM_FILES: readonly string[] = [join(REPO_ROOT, "design/system/packages.md"), join(REPO_ROOT, "README.md")];

/**
 * Returns each file that holds the package diagram with its section freshly generated (path -> text).
 *
 * @example
 * ```ts
 * for (const [path, text] of packageDiagramFiles()) writeFileSync(path, text);
 * ```
 */
export function packageDiagramFiles(): Map<string, string> {
  const diagram = packagesMermaid(importGraph());
  const out = new Map<string, string>();
  for (const path of PACKAGE_DIAGRAM_FILES) out.set(path, replaceSections(readFileSync(path, "utf8"), { packages: diagram }, path));
  return out;
}
