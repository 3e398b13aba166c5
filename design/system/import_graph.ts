// The import graph of the repository's own TypeScript and JavaScript, read from the files: the
// package diagram in design/system/packages.md is drawn from it, and scripts/architecture_test.ts
// checks the layout's rules on it. Reading the real imports is what keeps the drawing true.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO_ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** One import: `to` is a repository-relative path for a relative import, else the bare specifier. */
export interface ImportEdge {
  from: string;
  to: string;
}

/** Every source file below the top-level folders and every import between them. */
export interface ImportGraph {
  files: string[];
  edges: ImportEdge[];
}

function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(root, path));
    else if (/\.(ts|js)$/.test(entry.name)) out.push(path);
  }
  return out;
}

/**
 * Returns the module specifiers `text` imports, static and dynamic. Comments are dropped first, so
 * JSDoc type imports (types only, nothing loaded at run time) do not count.
 *
 * @example
 * ```ts
 * importsIn('import { a } from "./a.ts";\nconst b = await import("./b.ts");'); // ["./a.ts", "./b.ts"]
 * ```
 */
export function importsIn(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const specs: string[] = [];
  for (const m of code.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*["']([^"']+)["']/g)) specs.push(m[1]);
  for (const m of code.matchAll(/(?:^|\n)\s*import\s*["']([^"']+)["']/g)) specs.push(m[1]);
  for (const m of code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) specs.push(m[1]);
  return specs;
}

/**
 * Returns the import graph of `folders` under `root`.
 *
 * @example
 * ```ts
 * importGraph().edges.find((e) => e.from === "api/app.ts")?.to; // e.g. "etl/runs/mod.ts"
 * ```
 */
export function importGraph(root: string = REPO_ROOT, folders: readonly string[] = ["etl", "api", "design", "scripts"]): ImportGraph {
  const files = folders.flatMap((folder) => sourceFiles(root, folder));
  const edges = files.flatMap((from) =>
    importsIn(readFileSync(join(root, from), "utf8")).map((spec) => ({ from, to: spec.startsWith(".") ? normalize(join(dirname(from), spec)) : spec })),
  );
  return { files, edges };
}

/**
 * Returns the package a product file belongs to: its folder two levels down (`etl/xlsx`,
 * `api/http`), or the top folder for files directly in it (`etl`, `api`). Tests and scripts/ are
 * not product code: null.
 *
 * @example
 * ```ts
 * packageOf("etl/xlsx/_zip.ts"); // "etl/xlsx"
 * packageOf("api/app.ts"); // "api"
 * ```
 */
export function packageOf(file: string): string | null {
  if (file.endsWith("_test.ts") || file.startsWith("scripts/") || !/\.(ts|js)$/.test(file)) return null;
  const parts = file.split("/");
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0];
}

/**
 * Returns the dependencies between product packages (sorted, without self-edges).
 *
 * @example
 * ```ts
 * packageDependencies(importGraph()).some(([a, b]) => a === "api/contacts" && b === "etl/contacts"); // true
 * ```
 */
export function packageDependencies(graph: ImportGraph): [string, string][] {
  const pairs = new Set<string>();
  for (const e of graph.edges) {
    const a = packageOf(e.from);
    const b = graph.files.includes(e.to) ? packageOf(e.to) : null;
    if (a !== null && b !== null && a !== b) pairs.add(`${a}\u0000${b}`);
  }
  return [...pairs].sort().map((p) => p.split("\u0000") as [string, string]);
}
