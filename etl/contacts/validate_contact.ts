/**
 * Validation derived from a record definition. The API validates request bodies with it and the
 * CSV ingestion validates rows with it, so a value accepted by one is accepted by the other.
 */
import { isBlank, shorten, trimBlank, trimUnseen } from "../text/mod.js";
import { hasLetter, noLetterProblem } from "./_letters.ts";
import { contactRecord } from "./contact_record.ts";
import { normaliseValue, patternProblem, type RecordDefinition } from "./record_definition.ts";

/** One invalid field. `field` is the JSON key (`departments[1]` for an element, `body` for the whole). */
export interface FieldError {
  field: string;
  message: string;
}

/** A value the normalisers repaired (reported, never silent). */
export interface FieldFix {
  field: string;
  from: string;
  to: string;
  message: string;
}

/** create: all required fields; replace: same (a full replacement); patch: only the fields given. */
export type ValidationMode = "create" | "replace" | "patch";

/**
 * A validated contact. Text fields are trimmed and normalised; absent optional fields are `null`
 * in create/replace mode and left out in patch mode. `departments` holds trimmed, distinct names.
 */
export interface ContactInput {
  first_name?: string;
  last_name?: string;
  company_name?: string | null;
  address?: string | null;
  city?: string | null;
  state?: string | null;
  zip?: string | null;
  phone1?: string | null;
  phone2?: string | null;
  email?: string;
  departments?: string[];
  /** Fields added to the record definition later. */
  [field: string]: string | string[] | null | undefined;
}

export type ValidationResult =
  | { ok: true; value: ContactInput; fixes: FieldFix[] }
  | { ok: false; errors: FieldError[] };

/**
 * Validates `input` against `record` and returns the normalised value or EVERY field error at
 * once (unknown and read-only fields included).
 *
 * @example
 * ```ts
 * const r = validateRecord(contactRecord, { first_name: "Ann", last_name: "Lee", email: "a@b.co", state: "ny" }, "create");
 * if (r.ok) r.value.state; // "NY"
 * ```
 */
export function validateRecord(record: RecordDefinition, input: unknown, mode: ValidationMode): ValidationResult {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: "body", message: `must be a JSON object describing a ${record.name}` }] };
  }
  const body = input as Record<string, unknown>;
  const errors: FieldError[] = [];
  const fixes: FieldFix[] = [];
  const value: ContactInput = {};
  const known = new Set([...record.fields.map((f) => f.name), ...(record.links === undefined ? [] : [record.links.name])]);

  for (const key of Object.keys(body)) {
    if (record.readOnly.includes(key)) errors.push({ field: key, message: "is read-only; the server sets it" });
    // Cut as a value is: a name of 900 kB was echoed whole.
    else if (!known.has(key)) errors.push({ field: shorten(key, 60), message: `is not a field of ${record.name}` });
  }

  for (const field of record.fields) {
    const sent = body[field.name];
    // A line break is a line feed, CRLF or a lone CR (old Macs') alike, as the CSV load reads a quoted
    // one (_ingest_sql.ts cleanSql): stored as sent, an address the API took with a CRLF or a CR loaded
    // back from an export as a change, and a single-line field's CRLF was named U+000D here and U+000A by the load.
    const raw = typeof sent === "string" && sent.includes("\r") ? sent.replace(/\r\n?/g, "\n") : sent;
    const given = Object.hasOwn(body, field.name) && sent !== undefined;
    if (!given) {
      if (mode === "patch") continue;
      if (field.required) errors.push({ field: field.name, message: "is required" });
      else value[field.name] = null;
      continue;
    }
    if (raw === null) {
      if (field.required) errors.push({ field: field.name, message: "is required and cannot be null" });
      else value[field.name] = null;
      continue;
    }
    if (typeof raw !== "string") {
      errors.push({ field: field.name, message: `must be a string, not ${Array.isArray(raw) ? "an array" : typeof raw}` });
      continue;
    }
    const control = controlCharacterProblem(raw, field.multiline === true);
    if (control !== null) {
      errors.push({ field: field.name, message: control });
      continue;
    }
    // A person's name loses the characters that show as nothing at its ends too ('Ann\u3164').
    let text = field.personName === true ? trimBlank(raw) : raw.trim();
    if (text.length === 0) {
      if (field.required) errors.push({ field: field.name, message: "must not be empty" });
      else value[field.name] = null;
      continue;
    }
    // A person's name is checked as trimmed (positions as given), before spaces are collapsed.
    let problem: string | null = null;
    if (field.personName === true) {
      // The invisible character is named as the control characters are (it cannot be seen in a 'got').
      const format = formatCharacterProblem(text);
      if (format !== null) {
        errors.push({ field: field.name, message: format });
        continue;
      }
      if (!hasLetter(text)) problem = noLetterProblem(text);
    }
    if (field.normalise) {
      const normalised = normaliseValue(field.normalise, text);
      if (normalised.fix !== undefined) {
        fixes.push({ field: field.name, from: text, to: normalised.value, message: normalised.fix });
      }
      text = normalised.value;
    }
    // A pattern says more than a length ("two letters A-Z" vs "at most 2 characters"): one message.
    if (problem !== null) {
      // A person's name without a letter (above): that one message.
    } else if (field.pattern && !field.pattern.test(text)) problem = patternProblem(field, text);
    else if (characters(text) > field.maxLength) problem = `must be at most ${field.maxLength} characters (has ${characters(text)})`;
    if (problem !== null) {
      errors.push({ field: field.name, message: `${problem}; got '${shorten(raw, 60)}'` });
      continue;
    }
    value[field.name] = text;
  }

  const links = record.links;
  const rawLinks = links === undefined ? undefined : body[links.name];
  if (links === undefined) {
    // A plain table: no list of names to read.
  } else if (rawLinks === undefined) {
    if (mode !== "patch") value[links.name] = [];
  } else if (rawLinks === null && mode === "patch") {
    // A merge patch's null clears the list (RFC 7396); a whole body says [] instead, as its schema does.
    value[links.name] = [];
  } else if (!Array.isArray(rawLinks)) {
    errors.push({ field: links.name, message: `must be an array of ${links.csvColumn} names` });
  } else if (rawLinks.length > links.maxItems) {
    // Refused whole, before a name is looked at.
    errors.push({ field: links.name, message: `must hold at most ${links.maxItems} names; got ${rawLinks.length}` });
  } else {
    // A Set, in the order given: an array's includes() made thousands of names quadratic.
    const names = new Set<string>();
    rawLinks.forEach((item: unknown, index: number) => {
      const where = `${links.name}[${index}]`;
      const control = typeof item === "string" ? controlCharacterProblem(item, false) : null;
      // Whitespace, invisible formatting and blank-looking characters at either end go (a zero-width space pasted
      // with 'Sales' made a department that looks the same), in linear time, before the length
      // check. The CSV load's SQL trims alike (_ingest_sql.ts trimmedOrNullSql).
      const trimmed = typeof item === "string" ? trimUnseen(item) : "";
      const format = control === null ? formatCharacterProblem(trimmed) : null;
      if (typeof item !== "string") errors.push({ field: where, message: "must be a string" });
      else if (control !== null) errors.push({ field: where, message: control });
      // Nothing but characters that show as nothing (U+3164 HANGUL FILLER, U+2800...) is empty too.
      else if (isBlank(trimmed)) errors.push({ field: where, message: "must not be empty" });
      else if (format !== null) errors.push({ field: where, message: format });
      else if (characters(trimmed) > links.maxLength) {
        errors.push({ field: where, message: `must be at most ${links.maxLength} characters (has ${characters(trimmed)}); got '${shorten(trimmed, 60)}'` });
      } else {
        const normalised = links.normalise === undefined ? { value: trimmed } : normaliseValue(links.normalise, trimmed);
        if (normalised.fix !== undefined) fixes.push({ field: where, from: trimmed, to: normalised.value, message: normalised.fix });
        names.add(normalised.value);
      }
    });
    value[links.name] = [...names];
  }

  return errors.length > 0 ? { ok: false, errors } : { ok: true, value, fixes };
}

/**
 * Validates a contact (request body or CSV row) and returns the normalised value or every field
 * error at once. Unknown and read-only fields (`id`, `created_at`, ...) are errors.
 *
 * @example
 * ```ts
 * const r = validateContact({ first_name: "", email: "nope", state: "Texas" }, "create");
 * // r.ok === false; r.errors: first_name must not be empty, last_name is required, state..., email...
 * ```
 */
export function validateContact(input: unknown, mode: ValidationMode): ValidationResult {
  return validateRecord(contactRecord, input, mode);
}

// C0 controls, DEL and C1 controls (Unicode category Cc). NUL breaks C strings and some exports;
// ESC and CSI (U+009B) drive terminals; none belongs in a name, a phone number or an e-mail.
// The line and paragraph separators (U+2028, U+2029) break a line as a line feed does (editors,
// word processors, a page's text): a single-line field refuses them too, and trim() would take
// them off its ends unsaid. The CSV load's SQL says the same (_ingest_sql.ts CONTROL).
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// A multi-line field keeps its line breaks (LF, CR) and tabs, as typed in a text area or a CSV cell.
const CONTROL_EXCEPT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
// With the u flag, \p{Cs} matches only a surrogate without its partner.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Returns why `text` cannot be stored (the first control character, by code point and position,
 * or half of a surrogate pair), or null. A multi-line field may hold line feeds, carriage returns
 * and tabs.
 *
 * @example
 * ```ts
 * controlCharacterProblem("Ann\u0000", false); // "must not contain the control character U+0000 (at character 4)"
 * controlCharacterProblem("Flat 2\n1 Main St", true); // null
 * ```
 */
function controlCharacterProblem(text: string, multiline: boolean): string | null {
  // JSON may escape half of a surrogate pair ("\ud800"): not a character, and stored as U+FFFD.
  const lone = LONE_SURROGATE.exec(text);
  if (lone !== null) {
    const code = lone[0].charCodeAt(0).toString(16);
    return `must not contain half of a surrogate pair (\\u${code} at character ${characters(text.slice(0, lone.index)) + 1}): it is not a character and would be stored as U+FFFD`;
  }
  const match = (multiline ? CONTROL_EXCEPT_LINES : CONTROL).exec(text);
  if (match === null) return null;
  const code = match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
  const what = code === "2028" ? "line separator" : code === "2029" ? "paragraph separator" : "control character";
  return `must not contain the ${what} U+${code} (at character ${characters(text.slice(0, match.index)) + 1})`;
}

// Unicode category Cf (invisible formatting: U+00AD soft hyphen, U+200B zero-width space, U+202E
// right-to-left override, U+FEFF...), except the zero-width non-joiner and joiner, which Persian
// (می‌خواهم) and Indic spellings need inside a name. The CSV load's SQL says the same
// (_ingest_sql.ts fieldSql).
const FORMAT = /(?![\u200c\u200d])\p{Cf}/u;

/**
 * The first invisible formatting character of `text` (a trimmed person's or department's name), by code point and
 * position in characters (code points, as the SQL's instr() counts), or null.
 *
 * @example
 * ```ts
 * formatCharacterProblem("\u200bAnn"); // "must not contain the invisible formatting character U+200B (at character 1)"
 * formatCharacterProblem("O'Brien"); // null
 * ```
 */
function formatCharacterProblem(text: string): string | null {
  const format = FORMAT.exec(text);
  if (format === null) return null;
  const code = format[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
  return `must not contain the invisible formatting character U+${code} (at character ${characters(text.slice(0, format.index)) + 1})`;
}

// Characters are code points, as the databases count them (length() in DuckDB and PostgreSQL, and
// the CSV load's SQL): an emoji is one character, not two UTF-16 units.
function characters(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
