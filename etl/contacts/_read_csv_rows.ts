/**
 * Reads a CSV's data rows with DuckDB's read_csv (explicit all-VARCHAR schema by position) and
 * gives each row its physical line number; rows DuckDB cannot parse become rejects.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "../db/mod.ts";
import type { CsvScan } from "./_csv_scan.ts";
import type { RowReject } from "../handover/mod.ts";

/** The rows read, their lines, and the rows that could not be parsed. */
export interface ReadResult {
  rows: Array<Record<number, string | null>>;
  /** Physical line of each row, or null when the mapping could not be trusted. */
  lines: number[] | null;
  /** Rows DuckDB could not parse (wrong number of fields, bad encoding...). */
  fileRejects: RowReject[];
}

/**
 * Returns the data rows of `csvPath` (cells by column index) with their physical lines.
 *
 * @example
 * ```ts
 * const { rows, lines } = await readCsvRows(tx, bytes, scanCsv(text)); // rows[0][2] is row 1, column 3
 * ```
 */
export async function readCsvRows(tx: Database, bytes: Uint8Array, scan: CsvScan): Promise<ReadResult> {
  // DuckDB reads a private copy of the very bytes the scanner saw: the line mapping cannot be
  // broken by the file changing in between, and a name with glob characters ('export*.csv')
  // cannot make read_csv pick up other files.
  const dir = mkdtempSync(join(tmpdir(), "contacts-csv-"));
  try {
    const copy = join(dir, "contacts.csv");
    writeFileSync(copy, bytes);
    return await readCopy(tx, copy, scan);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function readCopy(tx: Database, csvPath: string, scan: CsvScan): Promise<ReadResult> {
  const width = scan.records[0].fields;
  const columns = Array.from({ length: width }, (_, i) => `'c${i}': 'VARCHAR'`).join(", ");
  // Column names are positional (c0, c1...): the header was read by scanCsv, and no name taken
  // from the file ever reaches the SQL text.
  await tx.run("DROP TABLE IF EXISTS temp._contacts_csv_rejects; DROP TABLE IF EXISTS temp._contacts_csv_scans");
  const raw = await tx.all<Record<string, string | null>>(
    `SELECT * FROM read_csv($1, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
       encoding = 'utf-8', columns = {${columns}}, store_rejects = true,
       rejects_table = '_contacts_csv_rejects', rejects_scan = '_contacts_csv_scans')`,
    [csvPath],
  );
  const bad = await tx.all<{ line: number; error_type: string; error_message: string }>(
    `SELECT line::INTEGER AS line, first(error_type) AS error_type, first(error_message) AS error_message
       FROM temp._contacts_csv_rejects GROUP BY line ORDER BY line`,
  );
  await tx.run("DROP TABLE temp._contacts_csv_rejects; DROP TABLE temp._contacts_csv_scans");

  // DuckDB numbers lines as records, counting blank lines but not quoted newlines: its line L is
  // our record L-1, whose physical line the scanner knows.
  const badLines = new Set(bad.map((b) => b.line));
  const physical = (duckLine: number) => scan.records[duckLine - 1]?.line ?? null;
  const fileRejects: RowReject[] = bad.map((b) => {
    const record = scan.records[b.line - 1];
    const reason =
      record !== undefined && (b.error_type === "MISSING COLUMNS" || b.error_type === "TOO MANY COLUMNS")
        ? `Has ${record.fields} ${record.fields === 1 ? "field" : "fields"}; the header has ${width}`
        : b.error_message;
    return { line: physical(b.line), field: "*", reason, value: null };
  });
  const lines: number[] = [];
  for (let i = 1; i < scan.records.length; i++) {
    if (!scan.records[i].blank && !badLines.has(i + 1)) lines.push(scan.records[i].line);
  }
  const rows = raw.map((r) => {
    const row: Record<number, string | null> = {};
    for (let i = 0; i < width; i++) row[i] = r[`c${i}`] ?? null;
    return row;
  });
  return { rows, lines: lines.length === rows.length ? lines : null, fileRejects };
}

/**
 * Returns a cell as text: DuckDB's NULL (an empty cell) becomes "" so messages say "must not be
 * empty", and a quoted CRLF becomes LF.
 *
 * @example
 * ```ts
 * cleanCell(null); // ""
 * ```
 */
export function cleanCell(cell: unknown): string | null {
  if (cell === null || cell === undefined) return "";
  // A quoted newline written on Windows arrives as CRLF; store one form.
  return String(cell).replaceAll("\r\n", "\n");
}
