/**
 * THE definition of a contact. Validation (validate_contact.ts), SQL column lists (contact_sql.ts),
 * the CSV mapping (ingest_contacts.ts) and the API's JSON Schema (contact_json_schema.ts) are all
 * derived from this list. Adding a field = one migration adding the column + one line here.
 */
import type { FieldDefinition, LinkDefinition, NormaliseSpec, RecordDefinition } from "./record_definition.ts";

// The WHATWG (HTML) e-mail grammar, with at least one dot in the domain: what browsers accept in
// <input type=email>, minus intranet hosts, which a contact list exported from a server never has.
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+\/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

const upperCase: NormaliseSpec = { kind: "upper" };

// Spreadsheets that treated the ZIP column as a number turned 08014 into 8014, and Puerto Rico's
// 00901 into 901. No US ZIP has 3 or 4 digits, so the leading zeros are restored, and reported,
// rather than rejecting the row.
const restoreZip: NormaliseSpec = { kind: "padStart", when: /^([0-9]{3,4})(-[0-9]{4})?$/, width: 5, fill: "0", fix: "Restored the leading zero of ZIP code '{value}'" };

// A spreadsheet that took a phone column for numbers writes 5040000000 as 5.04E+09 in its CSV: the
// digits are gone, and stored they would look like a phone number nobody can call. Any text without
// "E+" (e+) passes, as written (extensions, letters, +34 prefixes); written as a pattern that both
// JavaScript and DuckDB's RE2 (no look-ahead) read the same.
const notScientific = {
  pattern: /^(?:[^Ee]|[Ee][^+])*[Ee]?$/,
  patternMessage: "looks like a number a spreadsheet wrote in scientific notation, its digits lost; format the column as Text, type the numbers again and export",
} as const;

// Names as people write them: O'Brien, Jean-Luc, de la Cruz, J, 李, محمد, Дмитрий, with combining
// marks and even an emoji beside a letter. Refused: a name without any letter (😀, 123, '-'), and
// invisible formatting characters (a zero-width space makes 'Ann' and 'Ann\u200b' two people that
// look the same; a right-to-left override turns what a list shows around). 'Mary  Ann' is a typing
// slip stored, searched and sorted as 'Mary Ann', and said so.
const personName = {
  required: true,
  sortable: true,
  searchable: true,
  personName: true,
  normalise: { kind: "collapseSpaces", fix: "Collapsed the repeated spaces in '{value}'" },
} as const;

function text(name: string, maxLength: number, description: string, example: string): FieldDefinition {
  return { name, type: "string", maxLength, description, example };
}

/**
 * The contact record: fields in column order, what the server manages, and the department links.
 *
 * @example
 * ```ts
 * contactRecord.fields.map((f) => f.name); // ["first_name", "last_name", ..., "email"]
 * ```
 */
export const contactRecord: RecordDefinition & { readonly links: LinkDefinition } = {
  name: "contact",
  table: "contacts",
  fields: [
    { ...text("first_name", 100, "Given name: at least one letter (any script), no invisible formatting characters; repeated spaces become one (reported in `warnings`).", "James"), ...personName },
    { ...text("last_name", 100, "Family name: at least one letter (any script), no invisible formatting characters; repeated spaces become one (reported in `warnings`).", "Butt"), ...personName },
    {
      ...text("company_name", 200, "Company the person works for.", "Benton, John B Jr"),
      sortable: true,
      filter: { match: "contains", param: "company", description: "Substring of the company name, ignoring case and accents (a contact without a company never matches)." },
    },
    { ...text("address", 200, "Street address; may span lines.", "6649 N Blue Gum St"), multiline: true },
    {
      ...text("city", 100, "City.", "New Orleans"),
      sortable: true,
      filter: { match: "folded", description: "City, exact match ignoring case and accents (a contact without a city never matches)." },
    },
    {
      ...text("state", 2, "US state or territory code, upper-cased on input.", "LA"),
      sortable: true,
      filter: { match: "exact", description: "Two-letter state, any case." },
      pattern: /^[A-Z]{2}$/,
      patternMessage: "must be two letters A-Z",
      normalise: upperCase,
    },
    {
      ...text("zip", 10, "US ZIP code as text (leading zeros kept; a 3- or 4-digit code gets its zeros back, reported in `warnings`).", "70116"),
      sortable: true,
      pattern: /^[0-9]{5}(-[0-9]{4})?$/,
      patternMessage: "must be a US ZIP code: 5 digits, optionally -4 more",
      normalise: restoreZip,
    },
    { ...text("phone1", 30, "Main phone number, as written.", "504-621-8927"), ...notScientific },
    { ...text("phone2", 30, "Second phone number, as written.", "504-845-1427"), ...notScientific },
    {
      ...text("email", 254, "E-mail address; unique without regard to case.", "jbutt@gmail.com"),
      required: true,
      pattern: EMAIL,
      patternMessage: "must be an e-mail address like name@example.com",
      // An address that looks right but is not ASCII (bob@bücher.de, jö@example.com) is told why.
      patternHints: [
        { when: /^[^@]*[^\x00-\x7F][^@]*@[^@]*$/, hint: "the part before @ must be ASCII" },
        // The example is fixed: the CSV load's SQL cannot compute a domain's xn-- (punycode) form.
        { when: /^[^@]*@[^@]*[^\x00-\x7F][^@]*$/, hint: "write a domain with non-ASCII letters in its xn-- form (bücher.de is xn--bcher-kva.de)" },
      ],
      format: "email",
      uniqueIgnoringCase: true,
      searchable: true,
    },
  ],
  readOnly: ["id", "created_at", "updated_at", "version"],
  // Lists are filtered by state most (the dashboard's state picker, counts per state).
  clusterBy: ["state", "city"],
  links: {
    name: "departments",
    table: "departments",
    linkTable: "contact_departments",
    recordKey: "contact_id",
    nameKey: "department_id",
    csvColumn: "department",
    csvListColumn: "departments",
    maxLength: 100,
    // "Human  Resources" and "Human\u00a0Resources" were departments of their own beside "Human Resources".
    normalise: { kind: "collapseWhitespace", fix: "Made the repeated or no-break spaces in '{value}' one space" },
    maxItems: 10_000,
    maxNew: 100,
    description: "Names of the departments the person belongs to (created on first use); invisible formatting characters (zero-width space...) at a name's ends are taken off as spaces are, and refused inside; repeated or no-break spaces in a name become one space (reported in `warnings`).",
  },
};
