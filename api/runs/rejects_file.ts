/**
 * The rejects report of a contacts run, `<data dir>/rejects/contacts-<run id>.csv`, as the contacts
 * load writes it (etl/contacts load_contacts.ts: `line,field,reason,value`, CRLF, every field
 * through etl/text `csvField`). The API serves it whole for download and reads its first rows for
 * the dashboard. The file is found from a run id only: the id must have the run id's exact shape
 * and be a contacts run in the log, and the file is opened without following a symlink, so no
 * request can name any other file (`..`, `%2F`, a link planted in the folder).
 */
import { constants, type promises as fsPromises } from "node:fs";
import { open } from "node:fs/promises";
import { firstRejects, rejectsReportPath, type RowReject } from "../../etl/handover/mod.ts";
import type { RunRecord } from "../../etl/runs/mod.ts";
import { HttpError } from "../http/http_error.ts";

/** A run id as `newRunId()` makes them: `20261129T095045123Z-3f9a`. */
const RUN_ID = /^\d{8}T\d{9}Z-[0-9a-f]{4}$/;

/**
 * Opens the rejects file of run `id`, or throws HttpError(404) saying why there is none: no such
 * run, not a contacts run, or a run that rejected nothing. The caller closes the handle.
 *
 * @example
 * ```ts
 * const file = await openRejects("data", runs.all(), "20261129T095045123Z-3f9a");
 * try { ... } finally { await file.close(); }
 * ```
 */
export async function openRejects(dataDir: string, runs: readonly RunRecord[], id: string): Promise<fsPromises.FileHandle> {
  const run = RUN_ID.test(id) ? runs.find((r) => r.id === id) : undefined;
  if (run === undefined) throw new HttpError(404, `No run has id '${id.slice(0, 80)}'`, { code: "not-found" });
  if (run.kind !== "contacts") throw new HttpError(404, `Run '${id}' is a ${run.kind} load; only contacts loads have rejected rows`, { code: "no-rejects" });
  const path = rejectsReportPath(dataDir, id);
  const none = () => new HttpError(404, `Run '${id}' has no rejects file (it rejected ${run.counts.rejected ?? 0} rows)`, { code: "no-rejects" });
  let handle: fsPromises.FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    throw none();
  }
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw none();
  }
  return handle;
}

/**
 * Reads the rejects CSV from `handle`: the first `limit` rejects and how many there are in all.
 * Values are as the file holds them (a text that started with `=`, `+`, `-` or `@` keeps the `'`
 * the writer put before it, so a spreadsheet would not run it). Only the start of the file is
 * parsed (the dashboard asks on every refresh, and a million-reject file is 130 MB); the total
 * comes from `totals`, which counts a file once per identity. `bytesRead` is how much of the file
 * the parse read, so a test can see it stopped early.
 *
 * @example
 * ```ts
 * const { items, total } = await readRejects(handle, 20, totals);
 * items[0]; // { line: 3, field: "email", reason: "must be an e-mail address ...", value: "not-an-email" }
 * ```
 */
export async function readRejects(
  handle: fsPromises.FileHandle,
  limit: number,
  totals: RejectTotals = new RejectTotals(),
): Promise<{ items: RowReject[]; total: number; bytesRead: number }> {
  const total = await totals.of(handle);
  // From byte 0 (the count read with positions, so it moved nothing).
  return { ...(await firstRejects(handle, limit)), total };
}

/**
 * How many rejects each rejects file holds, counted once per file identity (device, inode, size,
 * mtime: a run's file never changes once written, and a rewritten one is a new identity) by a byte
 * scan that honours quoted fields, so the total stays exact without parsing the file per request.
 * `scans` counts the files actually read, for tests.
 *
 * @example
 * ```ts
 * const totals = new RejectTotals();
 * await totals.of(handle); // 1000000 (reads the file once); again: from memory
 * ```
 */
export class RejectTotals {
  #known = new Map<string, Promise<number>>();
  #max: number;
  scans = 0;

  constructor(max = 256) {
    this.#max = max;
  }

  /** The number of reject records in the file open on `handle` (its header row not counted). */
  async of(handle: fsPromises.FileHandle): Promise<number> {
    const st = await handle.stat();
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
    let count = this.#known.get(key);
    if (count === undefined) {
      this.scans++;
      count = countRecords(handle, st.size).then((records) => Math.max(0, records - 1));
      // A failed count is not remembered: the next request tries again.
      count.catch(() => this.#known.delete(key));
      if (this.#known.size >= this.#max) this.#known.delete(this.#known.keys().next().value as string);
      this.#known.set(key, count);
    }
    return count;
  }
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Counts the CSV records in the first `size` bytes of `handle` as `CsvRecords` would: a record
 * ends at a line feed outside quotes (a doubled quote toggles twice, so parity is enough), and a
 * record with nothing but carriage returns is no record. UTF-8 never puts these three bytes inside
 * a multi-byte character, so bytes are as good as characters here, and `indexOf` does the scanning.
 */
async function countRecords(handle: fsPromises.FileHandle, size: number): Promise<number> {
  const buffer = Buffer.allocUnsafe(1 << 20);
  let records = 0;
  let quoted = false;
  let content = false; // the record so far has something besides CR
  let position = 0;
  while (position < size) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - position), position);
    if (bytesRead === 0) break;
    position += bytesRead;
    const chunk = bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    const n = chunk.length;
    // True when chunk[from, to) holds a byte other than CR (nearly always the first one looked at).
    const anyContent = (from: number, to: number) => {
      for (let k = from; k < to; k++) if (chunk[k] !== CR) return true;
      return false;
    };
    let i = 0;
    let nextQuote = -2; // not looked for yet
    while (i < n) {
      if (quoted) {
        const q = chunk.indexOf(QUOTE, i);
        if (q < 0) break;
        quoted = false;
        i = q + 1;
        continue;
      }
      if (nextQuote !== -1 && nextQuote < i) nextQuote = chunk.indexOf(QUOTE, i);
      const lf = chunk.indexOf(LF, i);
      if (lf >= 0 && (nextQuote < 0 || lf < nextQuote)) {
        if (content || anyContent(i, lf)) records++;
        content = false;
        i = lf + 1;
      } else if (nextQuote >= 0) {
        content = true;
        quoted = true;
        i = nextQuote + 1;
      } else {
        if (!content && anyContent(i, n)) content = true;
        break;
      }
    }
  }
  if (content) records++;
  return records;
}
