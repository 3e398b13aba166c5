/** The error for a contacts CSV that cannot be loaded at all. */
import { firstLine, oneLine, terminalText } from "../text/mod.js";

export type ContactsCsvErrorCode = "unreadable" | "empty-file" | "missing-column" | "duplicate-column" | "not-utf8" | "not-csv" | "header-repeated";

/**
 * What `unreadable` covers, in words (the API's `bad-upload` entry on /docs says it): the file not
 * opened or read (unreadableCsv), or not parsed as CSV rows (ingestContacts' checks of its scan).
 */
export const UNREADABLE_CSV_CAUSES =
  "the file cannot be opened or read (no such file, a folder, no permission), or a quote is never closed (in the header, or on a data line, so the rest of the file reads as one value), or its lines end in two ways (CRLF and LF)";

/**
 * The file cannot be loaded at all (no row-level reject would make sense). The API answers 422.
 * The message quotes the file (its header, its name), so its control characters and line breaks are
 * escaped here, once (`\u0000`), for every edge that shows it: the CLI, the run record, a problem's detail.
 */
export class ContactsCsvError extends Error {
  override readonly name = "ContactsCsvError";
  constructor(
    readonly code: ContactsCsvErrorCode,
    message: string,
    readonly file: string,
  ) {
    super(oneLine(terminalText(message)));
  }
}

/**
 * The error for a contacts CSV at `shown` that the system would not open or read (`error`, from
 * node:fs): its reason in words, as the workbook's (no permission: "the file cannot be opened
 * (EACCES): no permission to read it"), not Node's "EACCES: permission denied, open '...'".
 *
 * @example
 * ```ts
 * unreadableCsv("data/contacts.csv", Object.assign(new Error("EACCES: ..."), { code: "EACCES" })).message;
 * // "Cannot read contacts file 'data/contacts.csv': the file cannot be opened (EACCES): no permission to read it; ..."
 * ```
 */
export function unreadableCsv(shown: string, error: unknown): ContactsCsvError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === "ENOENT"
      ? "no such file"
      : code === "EISDIR"
        ? "it is a folder"
        : code === "EACCES" || code === "EPERM"
          ? `the file cannot be opened (${code}): no permission to read it; let the user running the load read it (and search its folders), then load again. Nothing was loaded`
          : firstLine(error);
  return new ContactsCsvError("unreadable", `Cannot read contacts file '${shown}': ${reason}`, shown);
}
