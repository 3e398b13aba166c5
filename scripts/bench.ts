// `npm run bench -- NAME [args]` runs scripts/bench_NAME.ts; with no name, runs them all in turn.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const names = ["xlsx", "etl", "api"];
const [name, ...rest] = process.argv.slice(2);
const chosen = name ? [name] : names;
for (const bench of chosen) {
  const file = fileURLToPath(new URL(`bench_${bench}.ts`, import.meta.url));
  if (!existsSync(file)) {
    console.error(`Unknown benchmark '${bench}'; choose one of: ${names.join(", ")}`);
    process.exit(2);
  }
  const result = spawnSync(process.execPath, [...process.execArgv, file, ...rest], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
