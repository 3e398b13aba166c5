/** The error for a contacts CSV that cannot be loaded at all. */

export type ContactsCsvErrorCode = "unreadable" | "empty-file" | "missing-column" | "duplicate-column" | "not-utf8" | "not-csv";

/** The file cannot be loaded at all (no row-level reject would make sense). The API answers 422. */
export class ContactsCsvError extends Error {
  override readonly name = "ContactsCsvError";
  constructor(
    readonly code: ContactsCsvErrorCode,
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}
