/**
 * The hand-over contract between `npm run etl` and a running API, defined once for both sides.
 *
 * DuckDB lets one process write a file. While the API runs it holds `contacts.duckdb`, so the ETL
 * does not open it: it finds the API through `<data-dir>/api.json` (written by `npm start`,
 * removed when it stops), copies the CSV into `<data-dir>/uploads/` (the API runs on the same
 * machine and reads that folder; no body to send, so no size limit) and names the copy in
 * `POST /imports/contacts` (JSON `ImportRequest`). The API runs the same ingestion between its other
 * writes, deletes the copy, and answers with the same `IngestSummary` a direct load returns. The
 * ETL then records the run either way. A crash at any point leaves at most a copy in uploads/,
 * which the API's start-up removes. (Clients elsewhere may still POST the CSV as a `text/csv` body.)
 *
 *     npm run etl ──copies──▶ uploads/<run>.csv
 *                 ──reads──▶ api.json ──url──▶ POST /imports/contacts {"upload": "<run>.csv", "source_name": ...}
 *                 ◀──────────── 200 IngestSummary | 4xx problem+json ─────────────┘
 *
 * With PostgreSQL (DATABASE_URL) there is no hand-over: every process may write, and the loader
 * loads directly.
 */
import { join } from "node:path";

/** The file a listening API announces itself in, inside the data dir. */
export const API_INFO_FILE = "api.json";

/** What `api.json` holds while the API listens. */
export interface ApiInfo {
  /** The API's process id: a file whose pid is gone was left by a crash. */
  pid: number;
  /** Where the API answers, reachable from this machine (`http://127.0.0.1:8000`). */
  url: string;
  started_at: string;
  /**
   * A random id of the API process that wrote the file, which its `GET /healthz` answers (as
   * `api_id`): a crashed API's file whose pid another process took, and whose address another API
   * (of another data dir) or another service now answers, is not taken for this data dir's API.
   * Absent in a file an API from before it wrote: then a 200 from `/healthz` is enough, as it was.
   */
  api_id?: string;
}

/** The route the ETL posts a contacts CSV to. */
export const IMPORT_CONTACTS_PATH = "/imports/contacts";

/** Content types the import route accepts: the ETL sends JSON naming an upload; others may send the CSV. */
export const IMPORT_CONTENT_TYPES = ["application/json", "text/csv", "application/csv"] as const;

/** The folder of the data dir where CSV files wait for the API to load them; emptied at API start-up. */
export const UPLOADS_DIR = "uploads";

/** What the ETL posts: the name of its copy in `<data-dir>/uploads/`, and the file's own name. */
export interface ImportRequest {
  /** A file name in the uploads folder (letters, digits, `.`, `_`, `-`; ends in `.csv`). */
  upload: string;
  /** The CSV's own file name, for the summary and messages; the upload's name when left out. */
  source_name?: string;
  /** The loader's run id: the API writes the rejects report as `<data-dir>/rejects/contacts-<run_id>.csv`. */
  run_id?: string;
}

/**
 * The rejects report of contacts run `runId` in `dataDir`: where the loader, or the API for the runs
 * it is given or records, writes it, and where `GET /runs/{id}/rejects.csv` reads it.
 */
export function rejectsReportPath(dataDir: string, runId: string): string {
  return join(dataDir, "rejects", `contacts-${runId}.csv`);
}

/** What an import's `run_id` may be, since it names a file (`rejects/contacts-<run_id>.csv`): no path. */
export const RUN_ID_NAME = /^[\w.-]{1,80}$/;

/** The names an upload may have: no path, nothing hidden. */
export const UPLOAD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.csv$/;

/** Header naming the file in the summary and in messages (the body is only bytes). */
export const SOURCE_NAME_HEADER = "x-source-name";

/**
 * The largest CSV body the running API accepts (decoded; a named upload has no limit): written to
 * the uploads folder as it arrives, never held in memory, so the disk bounds it, not the memory. 4
 * GiB: a 10M-row contacts CSV is 1.3 GB.
 */
export const IMPORT_MAX_BYTES = 4 * 1024 * 1024 * 1024;

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

/** Rejects or repairs of one field, counted in the database however many there are. */
export interface FieldTally {
  /** The field (`*` for a row that could not be parsed). */
  field: string;
  /** Lines concerned. */
  count: number;
  /** The first 50 of those lines, in order. */
  lines: Array<number | null>;
  /** The first line's reason. */
  first_reason: string;
}

/**
 * What an ingestion did: the answer of `POST /imports/contacts`, and what a direct load returns.
 * Counts are of people (contacts) unless said otherwise. `rejects` and `fixed` hold the first 100
 * (a million-row file may have a hundred thousand): every reject is in the rejects report, and the
 * per-field tallies count them all.
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
  /** The first 100 rejects, by line (a skip's: as the report of the load it repeats holds them). */
  rejects: RowReject[];
  /** The first 100 repairs, by line. */
  fixed: RowFix[];
  rejects_by_field: FieldTally[];
  fixes_by_field: FieldTally[];
  /**
   * The rejects report the ingestion wrote (every reject), or null when there were none or none was
   * asked for. A skip (`unchanged_since`) has the report of the load it repeats, hard-linked under
   * the name asked for; null when that report is gone (a warning says so).
   */
  rejects_file: string | null;
  /** File-level remarks: ignored columns, optional columns absent (their values are kept). */
  warnings: string[];
  /**
   * Set when the file is byte for byte the one last loaded, with the same record definition, and
   * the tables are as that load left them: nothing was read or written (counts are that load's).
   */
  unchanged_since?: string;
  /**
   * The run this import is recorded as (`GET /runs/{id}`, every reject at `/runs/{id}/rejects.csv`):
   * the API's own for a CSV sent as the body, the loader's for an upload it named with a run id.
   */
  run_id?: string;
}
