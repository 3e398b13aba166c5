// The system design must describe what is built: every repository path its documents name in
// backticks has to exist, so a moved or renamed module cannot leave the docs pointing at nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..", "..");
const codeFolders = ["etl", "api", "design", "scripts"];
// benchmarks.md is a dated log: a path it names may be gone since, as the figures beside it are.
const documents = [
  ...["README.md", "packages.md", "publication.md"].map((name) => join(here, name)),
  ...readdirSync(join(here, "adr")).filter((name) => name.endsWith(".md")).map((name) => join(here, "adr", name)),
  join(root, "design", "README.md"),
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

const repoFiles = codeFolders.flatMap((folder) => filesUnder(join(root, folder))).map((path) => relative(root, path));
const fileNames = new Set(repoFiles.map((path) => basename(path)));

/** A pattern such as `etl/contacts/migrations/NNN_*.sql` as a regular expression over repository paths. */
function pathPattern(path: string): RegExp {
  const source = path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/NNN/g, "\\d{3}").replace(/\*/g, "[^/]*").replace(/<[^>]+>/g, "[^/]+");
  return new RegExp(`^${source}`);
}

/** Whether `path`, as a document in `docDir` names it, is a file or folder of the repository. */
function exists(path: string, docDir: string): boolean {
  const bases = [root, docDir].map((dir) => relative(root, dir));
  return bases.some((base) => {
    const full = join(base, path);
    return /[*<]|NNN/.test(path) ? repoFiles.some((file) => pathPattern(full).test(file)) : existsSync(join(root, full));
  });
}

/** The paths named in a document's code spans: `a/b.ts`, `a/b/`, and bare file names such as `c.ts`. */
function namedPaths(text: string): string[] {
  const spans = [...text.matchAll(/`([^`\n]+)`/g)].map((match) => match[1]);
  const tokens = spans.flatMap((span) => span.split(/[\s,;()]+/)).map((token) => token.replace(/[:#].*$/, ""));
  return [...new Set(tokens)].filter((token) =>
    /^[A-Za-z0-9_.<>*-]+(\/[A-Za-z0-9_.<>*-]+)+\/?$/.test(token) && /\.(ts|js|sql|md|json)$|\/$/.test(token) && codeFolders.concat("migrations").some((folder) => token.startsWith(`${folder}/`))
      || /^[A-Za-z0-9_-]+\.(ts|js|sql)$/.test(token));
}

test("design/system's documents name only repository paths that exist", () => {
  const missing = documents.flatMap((doc) => {
    const docDir = dirname(doc);
    return namedPaths(readFileSync(doc, "utf8"))
      .filter((path) => (path.includes("/") ? !exists(path, docDir) : !fileNames.has(path)))
      .map((path) => `${relative(root, doc)}: ${path}`);
  });
  assert.deepEqual(missing, []);
});
