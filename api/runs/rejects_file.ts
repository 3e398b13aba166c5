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
import { join } from "node:path";
import type { RowReject } from "../../etl/handover/mod.ts";
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
  const path = join(dataDir, "rejects", `contacts-${id}.csv`);
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
 * the writer put before it, so a spreadsheet would not run it).
 *
 * @example
 * ```ts
 * const { items, total } = await readRejects(handle, 20);
 * items[0]; // { line: 3, field: "email", reason: "must be an e-mail address ...", value: "not-an-email" }
 * ```
 */
export async function readRejects(handle: fsPromises.FileHandle, limit: number): Promise<{ items: RowReject[]; total: number }> {
  const items: RowReject[] = [];
  let total = -1; // the header row is not a reject
  const records = new CsvRecords();
  const take = (fields: string[]) => {
    total++;
    if (total === 0 || items.length >= limit) return;
    const [line = "", field = "", reason = "", value = ""] = fields;
    items.push({ line: /^\d+$/.test(line) ? Number(line) : null, field, reason, value: value === "" ? null : value });
  };
  for await (const chunk of handle.createReadStream({ encoding: "utf8", autoClose: false })) records.push(chunk as string, take);
  records.end(take);
  return { items, total: Math.max(0, total) };
}

/**
 * An RFC 4180 reader fed in chunks (a quote inside a quoted field is doubled; records end at CRLF
 * or LF): the rejects file can be large, so it is never held whole.
 */
class CsvRecords {
  #fields: string[] = [];
  #field = "";
  #quoted = false;
  /** The previous chunk ended on a quote inside a quoted field: an escape or the closing quote. */
  #quotePending = false;
  #any = false;

  push(text: string, onRecord: (fields: string[]) => void): void {
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (this.#quotePending) {
        this.#quotePending = false;
        if (c === '"') {
          this.#field += '"';
          continue;
        }
        this.#quoted = false;
      }
      if (this.#quoted) {
        if (c === '"') this.#quotePending = true;
        else this.#field += c;
        continue;
      }
      if (c === '"') {
        this.#quoted = true;
        this.#any = true;
      } else if (c === ",") {
        this.#fields.push(this.#field);
        this.#field = "";
        this.#any = true;
      } else if (c === "\n") this.#flush(onRecord);
      else if (c !== "\r") {
        this.#field += c;
        this.#any = true;
      }
    }
  }

  end(onRecord: (fields: string[]) => void): void {
    this.#quotePending = false;
    this.#quoted = false;
    this.#flush(onRecord);
  }

  #flush(onRecord: (fields: string[]) => void): void {
    if (this.#any) onRecord([...this.#fields, this.#field]);
    this.#fields = [];
    this.#field = "";
    this.#any = false;
  }
}
