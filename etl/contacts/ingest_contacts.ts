/**
 * CSV -> contacts.duckdb, in one transaction. DuckDB's read_csv parses the file with an explicit
 * all-text schema (no type guessing that eats ZIP zeros); every row is trimmed, normalised and
 * validated with the record definition; people are upserted by e-mail (case-insensitive) and their
 * departments merged. Nothing is deleted, nothing is dropped silently: a bad row becomes a reject
 * with its physical CSV line number.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { Database } from "../db.ts";
import { quoteIdent } from "../db.ts";
import { scanCsv, type CsvScan } from "./_csv_scan.ts";
import { contactRecord } from "./contact_record.ts";
import { csvColumnOf, foldName, keyColumnOf, upsertKeyOf, type FieldDefinition, type RecordDefinition } from "./record_definition.ts";
import { validateRecord } from "./validate_contact.ts";

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

export type ContactsCsvErrorCode = "unreadable" | "empty_file" | "missing_column" | "duplicate_column";

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

export interface IngestOptions {
  /** Name used in messages and references; defaults to the file's base name. */
  sourceName?: string;
  /** The record definition to load with; defaults to contactRecord. Tests pass extended ones. */
  record?: RecordDefinition;
}

interface Accepted {
  key: string;
  line: number | null;
  value: Record<string, string | null>;
  signature: string;
  lines: Array<number | null>;
  departments: Set<string>;
  /** Repairs on every line of this person; reported only if the person is loaded. */
  fixes: RowFix[];
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
  let text: string;
  try {
    text = readFileSync(csvPath, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new ContactsCsvError("unreadable", `Cannot read contacts file '${csvPath}': ${reason}`, csvPath);
  }
  const scan = scanCsv(text);
  const layout = mapHeader(scan, record, csvPath);
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
    const { rows, lines, fileRejects } = await readRows(tx, csvPath, scan);
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
    const rejectedLines = new Set<number | string>(fileRejects.map((r) => r.line ?? "?"));
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
        rejectedLines.add(line ?? `row${index}`);
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
      const key = (value[keyField.name] as string).toLowerCase();
      const signature = JSON.stringify(value);
      const fixes = result.fixes.map((f) => ({ line, field: f.field, from: f.from, to: f.to, reason: f.message }));
      const seen = people.get(key);
      if (seen === undefined) {
        people.set(key, { key, line, value, signature, lines: [line], departments: new Set(), fixes });
      } else {
        seen.lines.push(line);
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
      for (const line of person.lines) {
        rejectedLines.add(line ?? `dup${key}`);
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
    summary.rejected = rejectedLines.size;
    summary.fixes = summary.fixed.length;
    summary.contacts = people.size;

    await write(tx, record, layout, [...people.values()], summary);
    return summary;
  });
}

interface Layout {
  /** Record restricted to the fields present in the file. */
  record: RecordDefinition;
  /** Field name -> column index in the file. */
  fields: Array<[string, number]>;
  departments: number | null;
  warnings: string[];
}

function mapHeader(scan: CsvScan, record: RecordDefinition, file: string): Layout {
  if (scan.records.length === 0 || scan.records[0].blank) {
    throw new ContactsCsvError("empty_file", `Contacts file '${file}' is empty or its first line is blank; expected a header`, file);
  }
  const names = scan.header.map((h) => h.trim().toLowerCase());
  const index = new Map<string, number>();
  names.forEach((name, i) => {
    // Unnamed columns (a trailing comma in the header) are ignored below, like unknown ones.
    if (name.length === 0) return;
    if (index.has(name)) {
      throw new ContactsCsvError("duplicate_column", `Contacts file '${file}' has the column '${name}' twice`, file);
    }
    index.set(name, i);
  });
  const warnings: string[] = [];
  const missing: string[] = [];
  const present: FieldDefinition[] = [];
  const fields: Array<[string, number]> = [];
  for (const field of record.fields) {
    const at = index.get(csvColumnOf(field).toLowerCase());
    if (at === undefined) {
      if (field.required) missing.push(csvColumnOf(field));
      else warnings.push(`Column '${csvColumnOf(field)}' is not in the file; existing values are kept`);
      continue;
    }
    present.push(field);
    fields.push([field.name, at]);
  }
  if (missing.length > 0) {
    const list = missing.map((m) => `'${m}'`).join(", ");
    throw new ContactsCsvError(
      "missing_column",
      `Contacts file '${file}' has no ${missing.length > 1 ? "columns" : "column"} ${list}; its header is: ${scan.header.join(",")}`,
      file,
    );
  }
  const departments = index.get(record.links.csvColumn.toLowerCase()) ?? null;
  if (departments === null) warnings.push(`Column '${record.links.csvColumn}' is not in the file; no departments are linked`);
  const used = new Set([...fields.map(([, at]) => at), departments]);
  scan.header.forEach((name, i) => {
    if (used.has(i)) return;
    warnings.push(
      name.trim().length === 0
        ? `Column ${i + 1} has no name; ignored`
        : `Column '${name.trim()}' is not a ${record.name} field; ignored`,
    );
  });
  return { record: { ...record, fields: present }, fields, departments, warnings };
}

/** Trims, and turns DuckDB's NULL (an empty cell) into "" so messages say "must not be empty". */
function cleanCell(cell: unknown): string | null {
  if (cell === null || cell === undefined) return "";
  // A quoted newline written on Windows arrives as CRLF; store one form.
  return String(cell).replaceAll("\r\n", "\n");
}

interface ReadResult {
  rows: Array<Record<number, string | null>>;
  /** Physical line of each row, or null when the mapping could not be trusted. */
  lines: number[] | null;
  /** Rows DuckDB could not parse (wrong number of fields, bad encoding...). */
  fileRejects: RowReject[];
}

async function readRows(tx: Database, csvPath: string, scan: CsvScan): Promise<ReadResult> {
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
        ? `Has ${record.fields} fields; the header has ${width}`
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

async function write(
  tx: Database,
  record: RecordDefinition,
  layout: Layout,
  people: Accepted[],
  summary: IngestSummary,
): Promise<void> {
  const names = layout.fields.map(([name]) => name);
  const cols = names.map(quoteIdent);
  const table = quoteIdent(record.table);
  const keyColumn = quoteIdent(keyColumnOf(upsertKeyOf(record)));
  const linkDef = record.links;
  const linkTable = quoteIdent(linkDef.linkTable);
  const nameTable = quoteIdent(linkDef.table);

  // Department names match without regard to case or accents (as the API matches them); the
  // table is small, so it is resolved here and new names are inserted first, in file order.
  const departmentIds = new Map<string, number>();
  for (const d of await tx.all<{ id: number; name: string }>(`SELECT id, name FROM ${nameTable} ORDER BY id`)) {
    if (!departmentIds.has(foldName(d.name))) departmentIds.set(foldName(d.name), d.id);
  }
  const fileDepartments = new Set<string>();
  let departmentsAdded = 0;
  for (const person of people) {
    for (const name of person.departments) {
      const folded = foldName(name);
      fileDepartments.add(folded);
      if (departmentIds.has(folded)) continue;
      const row = await tx.one<{ id: number }>(`INSERT INTO ${nameTable} (name) VALUES ($1) RETURNING id`, [name]);
      departmentIds.set(folded, row!.id);
      departmentsAdded++;
    }
  }

  await tx.run("DROP TABLE IF EXISTS temp._contacts_in; DROP TABLE IF EXISTS temp._links_in");
  await tx.run(
    `CREATE TEMP TABLE _contacts_in (key VARCHAR NOT NULL, line INTEGER, ${cols.map((c) => `${c} VARCHAR`).join(", ")})`,
  );
  await tx.run("CREATE TEMP TABLE _links_in (key VARCHAR NOT NULL, name_id INTEGER NOT NULL)");
  // Bulk rows go through the appender, not one INSERT per person.
  const contactsIn = await tx.connection.createAppender("_contacts_in", null, "temp");
  const linksIn = await tx.connection.createAppender("_links_in", null, "temp");
  let links = 0;
  try {
    for (const person of people) {
      contactsIn.appendVarchar(person.key);
      if (person.line === null) contactsIn.appendNull();
      else contactsIn.appendInteger(person.line);
      for (const name of names) {
        const v = person.value[name];
        if (v === null) contactsIn.appendNull();
        else contactsIn.appendVarchar(v);
      }
      contactsIn.endRow();
      const ids = new Set([...person.departments].map((name) => departmentIds.get(foldName(name))!));
      for (const id of ids) {
        linksIn.appendVarchar(person.key);
        linksIn.appendInteger(id);
        linksIn.endRow();
      }
      links += ids.size;
    }
  } finally {
    contactsIn.closeSync();
    linksIn.closeSync();
  }

  const differs = names.map((c) => `t.${quoteIdent(c)} IS DISTINCT FROM i.${quoteIdent(c)}`).join(" OR ");
  const inserted = await tx.all(
    `INSERT INTO ${table} (${cols.join(", ")}, ${keyColumn})
     SELECT ${cols.map((c) => `i.${c}`).join(", ")}, i.key FROM temp._contacts_in i
      WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.${keyColumn} = i.key)
      ORDER BY i.line
     RETURNING id`,
  );
  // Only columns present in the file are compared and set; the key column is never set (it is
  // what matched), which also keeps DuckDB from rewriting the UPDATE as delete + insert.
  const updated = await tx.all(
    `UPDATE ${table} AS t SET ${cols.map((c) => `${c} = i.${c}`).join(", ")},
            version = t.version + 1, updated_at = current_timestamp
       FROM temp._contacts_in i
      WHERE t.${keyColumn} = i.key AND (${differs})
     RETURNING t.id`,
  );
  const recordKey = quoteIdent(linkDef.recordKey);
  const nameKey = quoteIdent(linkDef.nameKey);
  const added = await tx.all<{ id: number }>(
    `INSERT INTO ${linkTable} (${recordKey}, ${nameKey})
     SELECT t.id, l.name_id
       FROM temp._links_in l JOIN ${table} t ON t.${keyColumn} = l.key
      WHERE NOT EXISTS (SELECT 1 FROM ${linkTable} x WHERE x.${recordKey} = t.id AND x.${nameKey} = l.name_id)
      ORDER BY t.id, l.name_id
     RETURNING ${recordKey} AS id`,
  );
  // A person who gained a department changed (the API's ETag covers departments) unless this run
  // already bumped them: rows written in this transaction carry updated_at = current_timestamp,
  // which DuckDB fixes at the transaction's start.
  const gained = [...new Set(added.map((a) => a.id))];
  let bumped = 0;
  if (gained.length > 0) {
    await tx.run("DROP TABLE IF EXISTS temp._links_gained; CREATE TEMP TABLE _links_gained (id INTEGER)");
    const appender = await tx.connection.createAppender("_links_gained", null, "temp");
    try {
      for (const id of gained) {
        appender.appendInteger(id);
        appender.endRow();
      }
    } finally {
      appender.closeSync();
    }
    const rows = await tx.all(
      `UPDATE ${table} SET version = version + 1, updated_at = current_timestamp
        WHERE id IN (SELECT id FROM temp._links_gained) AND updated_at <> current_timestamp
       RETURNING id`,
    );
    bumped = rows.length;
    await tx.run("DROP TABLE temp._links_gained");
  }
  await tx.run("DROP TABLE temp._contacts_in; DROP TABLE temp._links_in");

  summary.inserted = inserted.length;
  summary.updated = updated.length + bumped;
  summary.unchanged = people.length - summary.inserted - summary.updated;
  summary.departments = fileDepartments.size;
  summary.departments_added = departmentsAdded;
  summary.links = links;
  summary.links_added = added.length;
}
