/**
 * Reading the rejects report of a contacts run (`rejectsReportPath`), as the contacts load writes
 * it (etl/contacts ingest_contacts.ts `writeRejectsReport`: `line,field,reason,value`, CRLF, every
 * field through etl/text `csvField`): the API lists a run's first rejects from it, and a load that
 * skips an unchanged file answers with the first rejects of the load it repeats.
 */
import type { promises as fsPromises } from "node:fs";
import type { RowReject } from "./contract.ts";

/**
 * Reads the first `limit` rejects of the report open on `handle`, from its start (the handle's own
 * position is not used, nor moved), parsing no more of the file than they take (a million-reject
 * file is 130 MB). Values are as the file holds them: a text that started with `=`, `+`, `-` or `@`
 * keeps the `'` the writer put before it, and an empty value reads as null. `bytesRead` is how much
 * of the file was read, so a test can see it stopped early.
 *
 * @example
 * ```ts
 * const { items } = await firstRejects(handle, 20);
 * items[0]; // { line: 3, field: "email", reason: "must be an e-mail address ...", value: "not-an-email" }
 * ```
 */
export async function firstRejects(handle: fsPromises.FileHandle, limit: number): Promise<{ items: RowReject[]; bytesRead: number }> {
  const items: RowReject[] = [];
  let seen = -1; // the header row is not a reject
  const records = new CsvRecords();
  const take = (fields: string[]) => {
    seen++;
    if (seen === 0 || items.length >= limit) return;
    const [line = "", field = "", reason = "", value = ""] = fields;
    items.push({ line: /^\d+$/.test(line) ? Number(line) : null, field, reason, value: value === "" ? null : value });
  };
  const stream = handle.createReadStream({ encoding: "utf8", autoClose: false, start: 0, highWaterMark: 16 * 1024 });
  let done = false;
  for await (const chunk of stream) {
    records.push(chunk as string, take);
    if (items.length >= limit) {
      done = true;
      break;
    }
  }
  if (!done) records.end(take);
  return { items, bytesRead: stream.bytesRead };
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
