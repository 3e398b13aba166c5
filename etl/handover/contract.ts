/**
 * The hand-over contract between `npm run etl` and a running API, defined once for both sides.
 *
 * DuckDB lets one process write a file. While the API runs it holds `contacts.duckdb`, so the ETL
 * does not open it: it finds the API through `<data-dir>/api.json` (written by `npm start`,
 * removed when it stops) and sends the CSV to `POST /imports/contacts`. The API runs the same
 * ingestion on its own connection, between its other writes, and answers with the same
 * `IngestSummary` a direct load returns. The ETL then records the run either way.
 *
 *     npm run etl ──reads──▶ api.json ──url──▶ POST /imports/contacts (text/csv, X-Source-Name)
 *                 ◀──────────── 200 IngestSummary | 4xx problem+json ─────────────┘
 */

/** The file a listening API announces itself in, inside the data dir. */
export const API_INFO_FILE = "api.json";

/** What `api.json` holds while the API listens. */
export interface ApiInfo {
  /** The API's process id: a file whose pid is gone was left by a crash. */
  pid: number;
  /** Where the API answers, reachable from this machine (`http://127.0.0.1:8000`). */
  url: string;
  started_at: string;
}

/** The route the ETL posts a contacts CSV to. */
export const IMPORT_CONTACTS_PATH = "/imports/contacts";

/** Content types the import route accepts; the first is what the ETL sends. */
export const IMPORT_CONTENT_TYPES = ["text/csv", "application/csv"] as const;

/** Header naming the file in the summary and in messages (the body is only bytes). */
export const SOURCE_NAME_HEADER = "x-source-name";

/** The largest CSV the running API accepts in one import. */
export const IMPORT_MAX_BYTES = 64 * 1024 * 1024;

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

/**
 * What an ingestion did: the answer of `POST /imports/contacts`, and what a direct load returns.
 * Counts are of people (contacts) unless said otherwise.
 */
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
