/**
 * What a contacts ingestion reports: counts, the rejected rows and the repaired values. The API
 * returns it as JSON from POST /imports/contacts; loadContacts turns it into a run record.
 */

/** A rejected CSV row (one entry per invalid field). `line` is the physical line, 1-based. */
export interface RowReject {
  line: number | null;
  field: string;
  reason: string;
  /** The raw value, when one field is to blame. */
  value: string | null;
}

/** A value repaired while loading (e.g. a ZIP code given its leading zero back). */
export interface RowFix {
  line: number | null;
  field: string;
  from: string;
  to: string;
  reason: string;
}

/** What an ingestion did. Counts are of people (contacts) unless said otherwise. */
export interface IngestSummary {
  /** File name used in messages and line references (`contacts.csv`). */
  source: string;
  /** Data rows in the file (blank lines excluded). */
  rows: number;
  /** Distinct people among the accepted rows. */
  contacts: number;
  inserted: number;
  /** Changed fields, or new departments linked: version + 1 and updated_at set. */
  updated: number;
  unchanged: number;
  /** Rejected ROWS (a row with three bad fields counts once; `rejects` lists all three). */
  rejected: number;
  /** Repaired values (one per field per row). */
  fixes: number;
  /** Distinct department names in the accepted rows, and how many were new to the database. */
  departments: number;
  departments_added: number;
  /** Distinct (person, department) links in the accepted rows, and how many were new. */
  links: number;
  links_added: number;
  rejects: RowReject[];
  fixed: RowFix[];
  /** File-level remarks: ignored columns, optional columns absent (their values are kept). */
  warnings: string[];
}
