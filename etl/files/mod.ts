/**
 * Files shared between processes: publishing them atomically (a reader sees the old file or the
 * new one, never half of one), the lock files that let one load of a kind run at a time, and a
 * file's SHA-256 (what run records identify inputs by), hashed off the main thread. Beside them,
 * one AbortSignal for several (AbortSignal.any() is newer, Node 20.3, than the engines field).
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "../files/mod.ts";
 * writeFileAtomic("data/api.json", "{}\n");
 * ```
 */
export { replaceFile, writeAll, writeFileAtomic, writeFileAtomicFrom } from "./replace_file.ts";
export { makeDirs } from "./make_dirs.ts";
export { hashFile } from "./hash_file.ts";
export { acquireLoadLock, acquireLoadLockWaiting, acquireWatchLock, isAlive, LockBusyError, type LoadKind } from "./load_lock.ts";
export { combineSignals, type CombinedSignal } from "./combine_signals.ts";
