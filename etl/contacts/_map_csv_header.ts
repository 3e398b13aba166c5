/**
 * Matches a CSV header to a record definition: which column feeds which field, which required
 * columns are missing (an error naming them) and what is ignored (warnings).
 */
import type { CsvScan } from "./_csv_scan.ts";
import { trimUnseen } from "../text/mod.js";
import { ContactsCsvError } from "./contacts_csv_error.ts";
import { csvColumnOf, linksOf, type FieldDefinition, type RecordDefinition } from "./record_definition.ts";

/** How a file's columns map to a record. */
export interface Layout {
  /** Record restricted to the fields present in the file. */
  record: RecordDefinition;
  /** Field name -> column index in the file. */
  fields: Array<[string, number]>;
  /** Column index of the departments, or null when the file has none. */
  departments: number | null;
  /** True when that column is the list form (`links.csvListColumn`: every name in one cell). */
  departmentsListed: boolean;
  warnings: string[];
  /** The file as messages name it. */
  file: string;
}

/**
 * Returns the layout of `scan`'s header for `record`. Names match after trimming, without regard
 * to case, in any order. Throws ContactsCsvError (empty-file, duplicate-column, missing-column).
 *
 * @example
 * ```ts
 * mapCsvHeader({ header: ["email", "first_name", "last_name"], headerBlank: false }, contactRecord, "x.csv").fields; // [["first_name", 1], ...]
 * ```
 */
export function mapCsvHeader(scan: Pick<CsvScan, "header" | "headerBlank"> & Partial<Pick<CsvScan, "separator">>, record: RecordDefinition, file: string): Layout {
  if (scan.headerBlank) {
    throw new ContactsCsvError("empty-file", `Contacts file '${file}' is empty or its first line is blank; expected a header`, file);
  }
  // Trimmed of what is unseen too: a zero-width space pasted with `email` made a name that looks
  // exactly like it, and "no column 'email'; its header is: ...,email".
  const names = scan.header.map((h) => trimUnseen(h).toLowerCase());
  // Twice is an error only for a column that is read (which of the two would it be?); a column the
  // record does not use is ignored below however often it comes (Notes, notes).
  const links = linksOf(record);
  const perRowName = links.csvColumn.toLowerCase();
  const listName = links.csvListColumn.toLowerCase();
  // The list column is read only in a file without the per-row one.
  const read = new Set([...record.fields.map((f) => csvColumnOf(f).toLowerCase()), perRowName, ...(names.includes(perRowName) ? [] : [listName])]);
  const index = new Map<string, number>();
  names.forEach((name, i) => {
    // Unnamed columns (a trailing comma in the header) are ignored below, like unknown ones.
    if (name.length === 0) return;
    if (index.has(name)) {
      if (!read.has(name)) return;
      throw new ContactsCsvError("duplicate-column", `Contacts file '${file}' has the column '${name}' twice`, file);
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
    const header = scan.header.join(scan.separator ?? ",");
    // A spreadsheet saved with another separator (Excel in many locales uses ';') reads as one column.
    const separator = scan.header.length === 1 ? [";", "\t", "|"].find((c) => header.includes(c)) : undefined;
    // (UTF-16, whose header read as UTF-8 has a NUL beside every letter, is refused before: planLoad.)
    const hint = separator === undefined ? "" : `. It looks separated by '${separator === "\t" ? "tab" : separator}': save it as CSV with commas`;
    // Excel reads a first line `sep=;` as the separator to use, and some exports write one.
    if (/^sep=.?$/i.test(header)) {
      throw new ContactsCsvError(
        "missing-column",
        `Contacts file '${file}' has no ${missing.length > 1 ? "columns" : "column"} ${list}: its line 1 is '${header}', Excel's line naming the separator, not a header: ` +
          "delete that line (the separator is read from the header, ',', ';' or tab) and load the file again",
        file,
      );
    }
    throw new ContactsCsvError(
      "missing-column",
      `Contacts file '${file}' has no ${missing.length > 1 ? "columns" : "column"} ${list}; its header is: ${shortHeader(header)}${hint}. ${columnsRead(record)}`,
      file,
    );
  }
  // One name per row (the users' files) or all of them in one cell (the API's download).
  const perRow = index.get(perRowName);
  const listed = index.get(listName);
  const departments = perRow ?? listed ?? null;
  if (departments === null) warnings.push(`Column '${links.csvColumn}' (or '${links.csvListColumn}', every name in one cell) is not in the file; no departments are linked`);
  const used = new Set([...fields.map(([, at]) => at), departments]);
  const readOnly = new Set(record.readOnly.map((c) => c.toLowerCase()));
  // Unnamed columns are said once per run of them: Excel saves the empty columns up to the last one
  // ever formatted (to XFD, column 16384), and one warning each made 16,373 lines of a 3-row load.
  let unnamedFrom = -1;
  scan.header.forEach((name, i) => {
    if (used.has(i)) return;
    const shown = trimUnseen(name);
    if (shown.length === 0) {
      if (unnamedFrom < 0) unnamedFrom = i;
      const next = scan.header[i + 1];
      if (next !== undefined && !used.has(i + 1) && trimUnseen(next).length === 0) return;
      warnings.push(unnamedFrom === i ? `Column ${i + 1} has no name; ignored` : `Columns ${unnamedFrom + 1}-${i + 1} have no name; ignored`);
      unnamedFrom = -1;
      return;
    }
    warnings.push(
      names[i] === listName
        ? `Column '${shown}' is ignored: the file has '${links.csvColumn}', one name per row`
        : readOnly.has(shown.toLowerCase())
          ? `Column '${shown}' is set by the server, not by a file; ignored`
          : `Column '${shown}' is not a ${record.name} field; ignored`,
    );
  });
  return { record: { ...record, fields: present }, fields, departments, departmentsListed: perRow === undefined && listed !== undefined, warnings, file };
}

/**
 * The columns a file of `record` may have, in words, for a header that lacks required ones (a header
 * in Spanish, `Nombre,Apellido,Correo electrónico`, named none of them and was told only of those).
 */
function columnsRead(record: RecordDefinition): string {
  const links = linksOf(record);
  const required = record.fields.filter((f) => f.required).map(csvColumnOf);
  const optional = record.fields.filter((f) => !f.required).map(csvColumnOf);
  const listed = [`${required.join(", ")} (required)`, ...optional].join(", ");
  return `The columns read are ${listed} and ${links.csvColumn} (one name per row) or ${links.csvListColumn}; in any order, any case; name them so (no other names or languages are read)`;
}

// A binary file read as CSV has a "header" of garbage: show its start, not all of it.
function shortHeader(header: string): string {
  return header.length > 200 ? `${header.slice(0, 200)}... (${header.length} characters)` : header;
}
