/** The error for a contacts CSV that cannot be loaded at all. */
import { oneLine, terminalText } from "../text/mod.js";

export type ContactsCsvErrorCode = "unreadable" | "empty-file" | "missing-column" | "duplicate-column" | "not-utf8" | "not-csv";

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
