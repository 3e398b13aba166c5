/**
 * Where the users' real inputs are for the tests that read them: `SEED_DATA_DIR`, else
 * `../shared/seed-data` beside the repository (as on the development machine). They are never
 * copied into the repository; a test that needs one skips, saying where it looked, when it is absent.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const DEFAULT_DIR = fileURLToPath(new URL("../../../shared/seed-data/", import.meta.url));

/**
 * Returns the path of the users' file `name` (`relaciones.xlsx`, `sample.csv`).
 *
 * @example
 * ```ts
 * const workbook = seedFile("relaciones.xlsx");
 * test("...", { skip: seedSkip(workbook) }, ...);
 * ```
 */
export function seedFile(name: string): string {
  return join(process.env.SEED_DATA_DIR || DEFAULT_DIR, name);
}

/** `false` when `path` exists, else the skip message naming where it was looked for. */
export function seedSkip(path: string): false | string {
  return existsSync(path) ? false : `${path} is not present (the users' files; set SEED_DATA_DIR to their folder)`;
}
