/**
 * Joins the dashboard's ES modules into one script at request time, so the page costs one request
 * for its code instead of one per module (sixteen of them, each a round trip before the next import
 * is even seen). There is still no build step: the files in api/web stay the source, the tests import
 * them one by one, and the joined text is rebuilt whenever a file changes.
 *
 * Only the module forms the dashboard uses are accepted, and anything else is refused loudly:
 * `import { a, b as c } from "./x.js";`, `import * as x from "./x.js";` and `export` in front of
 * `function`, `async function`, `const` or `class`. Each module runs in its own function scope, in
 * dependency order, exactly once, as the browser would run the modules themselves.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const IMPORT = /^import\s+(?:\{([^}]*)\}|\*\s+as\s+([A-Za-z_$][\w$]*))\s+from\s+"\.\/([\w.-]+\.js)";?[ \t]*$/gm;
const EXPORT = /^export\s+(?:async\s+function\*?|function\*?|const|class)\s+([A-Za-z_$][\w$]*)/gm;

/**
 * Returns one script running `entry` (a file in `dir`) and every module it imports.
 *
 * @example
 * ```ts
 * const script = bundleModules("api/web", "app.js");
 * ```
 */
export function bundleModules(dir: string, entry: string): string {
  const order: string[] = [];
  const sources = new Map<string, string>();
  const visiting = new Set<string>();
  const visit = (file: string, from: string) => {
    if (sources.has(file)) return;
    if (visiting.has(file)) throw new SyntaxError(`Cannot join the dashboard's modules: '${file}' imports itself through '${from}'`);
    visiting.add(file);
    const text = readFileSync(join(dir, file), "utf8");
    for (const m of text.matchAll(IMPORT)) visit(m[3], file);
    visiting.delete(file);
    sources.set(file, text);
    order.push(file);
  };
  visit(entry, entry);
  const parts = ["// The dashboard's modules joined by api/http/module_bundle.ts; the sources are api/web/*.js."];
  for (const file of order) parts.push(wrap(file, sources.get(file)!));
  return parts.join("\n");
}

function wrap(file: string, text: string): string {
  const names: string[] = [];
  let body = text.replace(IMPORT, (_line, named: string | undefined, star: string | undefined, target: string) => {
    if (star !== undefined) return `const ${star} = ${moduleVar(target)};`;
    const bindings = named!
      .split(",")
      .map((b) => b.trim())
      .filter(Boolean)
      .map((b) => b.replace(/^([\w$]+)\s+as\s+([\w$]+)$/, "$1: $2"));
    return `const { ${bindings.join(", ")} } = ${moduleVar(target)};`;
  });
  body = body.replace(EXPORT, (declaration, name: string) => {
    names.push(name);
    return declaration.replace(/^export\s+/, "");
  });
  const code = body.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
  const leftover = /^[ \t]*(?:import|export)\s.*$|^.*\bimport\s*\(.*$|^.*\bimport\.meta\b.*$/m.exec(code);
  if (leftover) throw new SyntaxError(`Cannot join the dashboard's modules: '${file}' uses a form the joiner does not handle: '${leftover[0].trim().slice(0, 80)}'`);
  return `// ---- ${file}\nconst ${moduleVar(file)} = (() => {\n${body}\nreturn { ${names.join(", ")} };\n})();`;
}

function moduleVar(file: string): string {
  return `$module_${file.replace(/\.js$/, "").replace(/\W/g, "_")}`;
}

/**
 * Returns a function giving the joined script of `entry` in `dir` and its ETag, rebuilt only when
 * one of the folder's scripts changed (their names, sizes and mtimes are the fingerprint).
 *
 * @example
 * ```ts
 * const dashboard = cachedBundle("api/web", "app.js");
 * dashboard().bytes; // the script
 * ```
 */
export function cachedBundle(dir: string, entry: string): () => { bytes: Buffer; etag: string } {
  let cached: { stamp: string; bytes: Buffer; etag: string } | undefined;
  return () => {
    const stamp = readdirSync(dir)
      .filter((name) => name.endsWith(".js"))
      .sort()
      .map((name) => {
        const stat = statSync(join(dir, name));
        return `${name}:${stat.size}:${stat.mtimeMs}`;
      })
      .join("|");
    if (cached === undefined || cached.stamp !== stamp) {
      cached = { stamp, bytes: Buffer.from(bundleModules(dir, entry), "utf8"), etag: `"bundle-${hashText(stamp)}"` };
    }
    return cached;
  };
}

function hashText(text: string): string {
  // FNV-1a: a short tag for the ETag, not security-relevant.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}
