/**
 * Publishing files atomically: a reader sees the old file or the new one, never half of one.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "../files/mod.ts";
 * writeFileAtomic("data/api.json", "{}\n");
 * ```
 */
export { replaceFile, writeFileAtomic } from "./replace_file.ts";
