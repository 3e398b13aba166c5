// `npm run bench -- NAME [args]` runs scripts/bench_NAME.ts; with no name, runs them all in turn.
// Settings (BENCH_DIR / --bench-dir) come from etl/settings like every command's, and reach the
// benchmark processes through their environment.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readSettings } from "../etl/settings/mod.js";

const names = ["xlsx", "etl", "api", "dashboard", "contacts"];
const argv = process.argv.slice(2);
const at = argv.indexOf("--bench-dir");
const settings = readSettings("bench", { flags: at >= 0 ? { "bench-dir": argv.splice(at, 2)[1] } : {} });
const [name, ...rest] = argv;
const chosen = name ? [name] : names;
for (const bench of chosen) {
  const file = fileURLToPath(new URL(`bench_${bench}.ts`, import.meta.url));
  if (!existsSync(file)) {
    console.error(`Unknown benchmark '${bench}'; choose one of: ${names.join(", ")}`);
    process.exit(2);
  }
  const result = spawnSync(process.execPath, [...process.execArgv, file, ...rest], { stdio: "inherit", env: { ...process.env, BENCH_DIR: settings.benchDir } });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
