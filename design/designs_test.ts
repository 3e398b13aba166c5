// The prose around the models: every ADR has the four parts and is listed in its README, every
// relative link in a design's Markdown leads to a file that exists, and so does every repository
// file it names in plain text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { designs } from "./designs.ts";

const root = fileURLToPath(new URL(".", import.meta.url));
const repo = join(root, "..");

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith(".md") ? [path] : [];
  });
}

test("every ADR states status, context, decision and consequences, and its README lists it", () => {
  for (const { dir } of designs) {
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    const adrs = readdirSync(join(dir, "adr")).filter((name) => name.endsWith(".md"));
    assert.ok(adrs.length > 0, `${relative(root, dir)} has no ADRs`);
    for (const name of adrs) {
      const text = readFileSync(join(dir, "adr", name), "utf8");
      const where = `${relative(root, dir)}/adr/${name}`;
      assert.match(text, /^- Status: (proposed|accepted|superseded|deprecated)/m, where);
      for (const part of ["Context", "Decision", "Consequences"]) assert.match(text, new RegExp(`^## ${part}$`, "m"), `${where}: ## ${part}`);
      assert.ok(readme.includes(`](adr/${name})`), `${relative(root, dir)}/README.md does not link adr/${name}`);
    }
  }
});

test("every relative link in design/ Markdown leads to an existing file", () => {
  const broken: string[] = [];
  let checked = 0;
  for (const file of markdownFiles(root)) {
    const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:|^#/.test(target)) continue;
      const path = join(dirname(file), decodeURIComponent(target.split("#")[0]));
      checked++;
      if (!existsSync(path)) broken.push(`${relative(root, file)} -> ${target}`);
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(checked > 20, `only ${checked} links found: the pattern no longer matches the Markdown`);
});

// A path written as text, not as a link (`api/x_test.ts` in a table's "measured by" column), is not
// checked by the link test: section 9.1 of design/system named api/relationships_api_test.ts after the
// file moved to api/relationships/ (92a03f9), and no test noticed.
test("every repository file design/ names in its Markdown and models exists", () => {
  const missing: string[] = [];
  let checked = 0;
  const sources = markdownFiles(root).concat(designs.map(({ dir }) => join(dir, "model.ts")));
  for (const file of sources) {
    const text = readFileSync(file, "utf8");
    const pattern = /(?<![\w./-])((?:api|etl|scripts|design|data)\/[\w./-]*\w\.(?:ts|js|mjs|md|sql|json|csv|xlsx|html|css))\b/g;
    for (const [, path] of text.matchAll(pattern)) {
      checked++;
      if (!existsSync(join(repo, path))) missing.push(`${relative(root, file)} -> ${path}`);
    }
  }
  assert.deepEqual([...new Set(missing)], []);
  assert.ok(checked > 20, `only ${checked} paths found: the pattern no longer matches the docs`);
});

// The test above reads plain paths only. A pattern (`migrations/NNN_*.sql`), a folder (`etl/handover/`)
// or a module named alone (`attach_snapshot.ts`) in a code span escaped it: section 9.2 of
// design/system put the contacts migrations in `migrations/`, a folder the repository does not have.
test("every folder, file pattern and module name in design/ Markdown's code spans exists", () => {
  const files = ["api", "etl", "scripts", "design"].flatMap((folder) => filesUnder(join(repo, folder))).map((path) => relative(repo, path));
  const names = new Set(files.map((path) => path.split("/").at(-1)));
  const missing: string[] = [];
  let checked = 0;
  for (const doc of markdownFiles(root).filter((file) => !file.endsWith("benchmarks.md"))) {
    const spans = [...readFileSync(doc, "utf8").matchAll(/`([^`\n]+)`/g)].map(([, span]) => span);
    const tokens = new Set(spans.flatMap((span) => span.split(/[\s,;()]+/)).map((token) => token.replace(/[:#].*$/, "")));
    for (const token of tokens) {
      const bare = /^[\w-]+\.(?:ts|js|sql)$/.test(token);
      if (!bare && !/^(?:api|etl|scripts|design|migrations)\/[\w.<>*\/-]*(?:\/|\.(?:ts|js|sql|md|json))$/.test(token)) continue;
      checked++;
      const found = bare ? names.has(token) : [repo, dirname(doc)].some((base) => {
        const pattern = relative(repo, join(base, token)).replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/NNN/g, "\\d{3}").replace(/\*|<[^>]+>/g, "[^/]+");
        return files.some((file) => new RegExp(`^${pattern}`).test(file));
      });
      if (!found) missing.push(`${relative(root, doc)}: ${token}`);
    }
  }
  assert.deepEqual(missing, []);
  assert.ok(checked > 20, `only ${checked} names found: the pattern no longer matches the docs`);
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}
