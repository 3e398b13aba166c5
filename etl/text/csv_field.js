/**
 * What joins a list's items in one CSV field (a contact's departments: "IT; Sales"); the contacts
 * load splits such a cell at its ";" and trims each item (`LinkDefinition.csvListColumn`). A ";"
 * inside an item is written doubled ("R;; D; Sales" is "R; D" and "Sales"), as CSV doubles a quote:
 * written as is, a department "R; D" came back from the download as two departments, "R" and "D".
 */
export const CSV_LIST_SEPARATOR = "; ";

/**
 * One item of a list field as written there: its ";" doubled.
 * @param {unknown} item
 * @returns {string}
 */
export const csvListItem = (item) => String(item).replaceAll(";", ";;");

/**
 * One CSV field as every CSV writer of the project writes it (API exports, the rejects report).
 *
 * Formula neutralising follows OWASP's rule: text that starts with `=`, `+`, `-`, `@`, a tab or a
 * carriage return gets a leading `'`, so a spreadsheet shows it as text instead of running it
 * (`-2+3+cmd|' /C calc'!A0` is a formula to Excel). The one exception: values that are numbers in
 * our records (counts, ids, line numbers) are written as numbers, a negative one included; only
 * text is neutralised, so `"-5"` as text becomes `'-5`.
 *
 * @example
 * ```ts
 * csvField("=1+1");       // "'=1+1"
 * csvField("'+1 504");    // "''+1 504"
 * csvField("''+1 504");   // "'''+1 504"
 * csvField(-5);           // "-5"
 * csvField('say "hi"');   // '"say ""hi"""'
 * csvField(["a", "b"]);   // "a; b"
 * csvField(["R; D", "b"]); // "R;; D; b"
 * ```
 * @param {unknown} value
 * @returns {string}
 */
export function csvField(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  let text = Array.isArray(value) ? value.map(csvListItem).join(CSV_LIST_SEPARATOR) : value instanceof Date ? value.toISOString() : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// Also text that already starts with the guard: the contacts load takes one leading ' off a run of
// them before =, +, -, @, a tab or a carriage return (etl/contacts/_ingest_sql.ts cleanSql), so a
// stored "'+1 504" written as is came back as "+1 504". Written "''+1 504" it comes back as stored,
// and a spreadsheet shows "'+1 504" as well. Any run, not only one: "''+1" written as is came back
// as "'+1" (the load strips one off '+, ''+, '''+ alike).
const FORMULA_START = /^'*[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;
