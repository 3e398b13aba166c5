import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";

/**
 * `mkdir -p` that says why it failed. Node's recursive mkdirSync (20.x) reports any failure to
 * create a folder under an existing one as ENOENT "no such file or directory", a read-only file
 * system (EROFS) included, which sends whoever reads the run record looking for a missing folder.
 * On ENOENT the first missing folder is made once more without `recursive`, which throws the
 * error the system gave (EROFS, EACCES, ENOSPC); a folder that really cannot exist (a file in the
 * path: ENOTDIR) throws that.
 *
 * @example
 * ```ts
 * makeDirs("/mnt/readonly/lake"); // throws "EROFS: read-only file system, mkdir '/mnt/readonly/lake'"
 * ```
 */
export function makeDirs(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    let missing = resolve(path);
    while (dirname(missing) !== missing && !existsSync(dirname(missing))) missing = dirname(missing);
    mkdirSync(missing);
    // Made after all (another process was making it too): the rest of the path may follow now.
    mkdirSync(path, { recursive: true });
  }
}
