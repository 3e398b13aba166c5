/** The error for a contacts CSV that cannot be loaded at all. */

export type ContactsCsvErrorCode = "unreadable" | "empty-file" | "missing-column" | "duplicate-column";

/** The file cannot be loaded at all (no row-level reject would make sense). The API answers 422. */
export class ContactsCsvError extends Error {
  readonly code: ContactsCsvErrorCode;
  readonly file: string;
  constructor(code: ContactsCsvErrorCode, message: string, file: string) {
    super(message);
    this.name = "ContactsCsvError";
    this.code = code;
    this.file = file;
  }
}
