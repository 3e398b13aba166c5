// Runs every `*_test.ts` beside the code with node:test. Node 20's `--test` cannot glob `.ts` files,
// so this script finds them and hands them to the runner; children inherit the tsx loader.
import { run } from "node:test";
import { spec } from "node:test/reporters";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { availableParallelism } from "node:os";

const root = fileURLToPath(new URL("..", import.meta.url));
const folders = ["etl", "api", "design", "scripts"];

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTests(path));
    else if (entry.name.endsWith("_test.ts")) found.push(path);
  }
  return found;
}

const filter = process.argv.slice(2);
const files = folders
  .flatMap((folder) => findTests(join(root, folder)))
  .filter((file) => filter.length === 0 || filter.some((f) => relative(root, file).includes(f)))
  .sort();

if (files.length === 0) {
  console.error(`No test files match ${filter.join(", ") || "*_test.ts"}`);
  process.exit(1);
}

const stream = run({ files, concurrency: Math.max(2, availableParallelism()) });
stream.on("test:fail", () => {
  process.exitCode = 1;
});
stream.compose(new spec()).pipe(process.stdout);
