/**
 * CSV -> contacts.duckdb, in one transaction. DuckDB's read_csv parses the file with an explicit
 * all-text schema (no type guessing that eats ZIP zeros); every row is trimmed, normalised and
 * validated with the record definition; people are upserted by e-mail (case-insensitive) and their
 * departments merged. Nothing is deleted, nothing is dropped silently: a bad row becomes a reject
 * with its physical CSV line number.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { Database } from "../db/mod.ts";
import { scanCsv } from "./_csv_scan.ts";
import { mapCsvHeader } from "./_map_csv_header.ts";
import { cleanCell, readCsvRows } from "./_read_csv_rows.ts";
import { upsertContacts, type Accepted } from "./_upsert_contacts.ts";
import { contactRecord } from "./contact_record.ts";
import { ContactsCsvError } from "./contacts_csv_error.ts";
import type { IngestSummary, RowFix } from "../handover/mod.ts";
import { upsertKeyOf, type RecordDefinition } from "./record_definition.ts";
import { validateRecord } from "./validate_contact.ts";

export { ContactsCsvError, type ContactsCsvErrorCode } from "./contacts_csv_error.ts";

export interface IngestOptions {
  /** Name used in messages and references; defaults to the file's base name. */
  sourceName?: string;
  /** The record definition to load with; defaults to contactRecord. Tests pass extended ones. */
  record?: RecordDefinition;
}

/**
 * Loads the CSV at `csvPath` into `db` (already migrated) in ONE transaction and returns what it
 * did. Throws ContactsCsvError when the file is unusable (unreadable, empty, a required column
 * missing); any other failure rolls everything back and rethrows.
 *
 * @example
 * ```ts
 * const summary = await ingestContacts(db, "data/contacts.csv");
 * console.log(summary.inserted, summary.updated, summary.rejected);
 * ```
 */
export async function ingestContacts(db: Database, csvPath: string, options: IngestOptions = {}): Promise<IngestSummary> {
  const record = options.record ?? contactRecord;
  const source = options.sourceName ?? basename(csvPath);
  let bytes: Buffer;
  try {
    bytes = readFileSync(csvPath);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new ContactsCsvError("unreadable", `Cannot read contacts file '${csvPath}': ${reason}`, csvPath);
  }
  const scan = scanCsv(bytes.toString("utf8"));
  const layout = mapCsvHeader(scan, record, csvPath);
  const summary: IngestSummary = {
    source,
    rows: 0,
    contacts: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    fixes: 0,
    departments: 0,
    departments_added: 0,
    links: 0,
    links_added: 0,
    rejects: [],
    fixed: [],
    warnings: layout.warnings,
  };

  return db.transaction(async (tx) => {
    const { rows, lines, fileRejects } = await readCsvRows(tx, bytes, scan);
    summary.rows = rows.length + fileRejects.length;
    summary.rejects.push(...fileRejects);
    if (scan.unterminatedQuoteLine !== null) {
      summary.warnings.push(
        `A quoted field opened on line ${scan.unterminatedQuoteLine} is never closed; the rest of the file was read as part of it`,
      );
    }
    if (lines === null) {
      summary.warnings.push("Could not map rows to physical line numbers; rejects name data rows instead");
    }
    // Rejected data rows by index (lines may be unknown); DuckDB's rejects are one per line already.
    const rejectedRows = new Set<number>();
    const people = new Map<string, Accepted>();
    const keyField = upsertKeyOf(record);
    const conflicts = new Map<string, Set<string>>();

    rows.forEach((row, index) => {
      const line = lines === null ? null : lines[index];
      const input: Record<string, unknown> = {};
      for (const [name, column] of layout.fields) input[name] = cleanCell(row[column]);
      const department = layout.departments === null ? "" : (cleanCell(row[layout.departments]) ?? "").trim();
      if (department.length > 0) input[record.links.name] = [department];
      const result = validateRecord(layout.record, input, "create");
      if (!result.ok) {
        rejectedRows.add(index);
        for (const error of result.errors) {
          const name = error.field.startsWith(record.links.name) ? record.links.csvColumn : error.field;
          const raw = error.field.startsWith(record.links.name) ? department : input[error.field];
          summary.rejects.push({
            line,
            field: name,
            reason: lines === null ? `Data row ${index + 1}: ${error.message}` : error.message,
            value: typeof raw === "string" ? raw : null,
          });
        }
        return;
      }
      const value: Record<string, string | null> = {};
      for (const [name] of layout.fields) value[name] = (result.value[name] as string | null | undefined) ?? null;
      // The e-mail pattern is ASCII, so JS and DuckDB lower-case it alike (the key column is lower(email)).
      const key = (value[keyField.name] as string).toLowerCase();
      const signature = JSON.stringify(value);
      const fixes = result.fixes.map((f) => ({ line, field: f.field, from: f.from, to: f.to, reason: f.message }));
      const seen = people.get(key);
      if (seen === undefined) {
        people.set(key, { key, line, value, signature, lines: [line], rows: [index], departments: new Set(), fixes });
      } else {
        seen.lines.push(line);
        seen.rows.push(index);
        seen.fixes.push(...fixes);
        if (seen.signature !== signature) {
          const fields = conflicts.get(key) ?? new Set<string>();
          for (const [name] of layout.fields) if (seen.value[name] !== value[name]) fields.add(name);
          conflicts.set(key, fields);
        }
      }
      if (department.length > 0) people.get(key)!.departments.add(department);
    });

    // The same e-mail with different data: nobody can tell which line is right, so none is loaded.
    for (const [key, fields] of conflicts) {
      const person = people.get(key)!;
      people.delete(key);
      const where = person.lines.map((l) => l ?? "?").join(", ");
      for (const index of person.rows) rejectedRows.add(index);
      for (const line of person.lines) {
        summary.rejects.push({
          line,
          field: keyField.name,
          reason:
            `The ${keyField.name} '${person.value[keyField.name]}' appears on lines ${where} with different ` +
            `${[...fields].join(", ")}; none of these lines was loaded`,
          value: person.value[keyField.name],
        });
      }
    }
    for (const person of people.values()) {
      summary.fixed.push(...person.fixes);
    }
    summary.rejects.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    summary.fixed.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    summary.rejected = fileRejects.length + rejectedRows.size;
    summary.fixes = summary.fixed.length;
    summary.contacts = people.size;

    await upsertContacts(tx, record, layout, [...people.values()], summary);
    return summary;
  });
}
