// @ts-check
/**
 * The contacts browser's markup: the result table and the form's fields, plus turning an API
 * problem document into per-field messages. Pure: data -> HTML string; the page wires events.
 */
import { query, rejectsCsvUrl } from "./api_client.js";
import { escapeHtml, formatCount, formatTime } from "./html.js";
import { fold } from "./fold.js";
import { findingsHtml } from "./findings_view.js";
import { runErrorHtml, runStatusHtml } from "./latest_run.js";

/** @typedef {import("./api_client.js").Contact} Contact */
/** @typedef {{ cursor: string | null, page: number }} ContactsPage  a page of the table: its cursor (null: the first) and number */
/** @typedef {{ q: string, state: string, department: string, sort: string, cursor: string | null, page: number, earlier: ContactsPage[] }} ContactsView  the filter, sort and page the table shows, and the pages Previous goes back through */
/** @typedef {{ name: string, label: string, type?: string, required?: boolean, autocomplete?: string, hint?: string, wide?: boolean, list?: boolean, multiline?: boolean }} FieldSpec  list: a list of names, one per line in a textarea; multiline: text that may span lines, in a textarea (an input drops its line breaks) */

/**
 * The form's fields in display order, as the page shows them before it has read the API's schema
 * (and their labels, types and hints after); names are the API's JSON field names. `required`
 * and `multiline` follow the contact definition (etl/contacts/contact_record.ts); contacts_view_test.ts
 * checks they agree. A field the definition gains is added by formFields() from the API's schema: it
 * needs no line here unless it wants a better label than its name, or spans lines (the schema does
 * not say so).
 */
export const CONTACT_FIELDS = /** @type {readonly FieldSpec[]} */ ([
  { name: "first_name", label: "First name", required: true, autocomplete: "given-name" },
  { name: "last_name", label: "Last name", required: true, autocomplete: "family-name" },
  { name: "email", label: "Email", type: "email", required: true, autocomplete: "email" },
  { name: "company_name", label: "Company", autocomplete: "organization" },
  // May span lines (the definition's `multiline`): a textarea, since an <input> removes the line
  // breaks of the value it is given, and Save wrote "12 Main St\nApt 4" back as "12 Main StApt 4".
  { name: "address", label: "Address", autocomplete: "street-address", wide: true, multiline: true },
  { name: "city", label: "City", autocomplete: "address-level2" },
  { name: "state", label: "State", hint: "Two letters, e.g. LA", autocomplete: "address-level1" },
  { name: "zip", label: "ZIP", autocomplete: "postal-code" },
  { name: "phone1", label: "Phone", type: "tel", autocomplete: "tel" },
  { name: "phone2", label: "Other phone", type: "tel" },
  // One name a line: a name may hold a comma (the API allows any character but control characters,
  // so never a line break), and a comma-separated field split "Research, Development" in two.
  { name: "departments", label: "Departments", hint: "One name per line; new ones are created", wide: true, list: true },
]);

/** What the API adds to a contact, never part of a body the form sends. */
const READ_ONLY = ["id", "created_at", "updated_at", "version"];

/**
 * Returns the form's fields for the API's contact input schema (`ContactCreate` of /openapi.json,
 * derived from the contact definition): CONTACT_FIELDS that the schema has, in their order and with
 * `required` as the schema says, then each other field of the schema in its order (labelled from its
 * name, its description as the hint), departments last. CONTACT_FIELDS when there is no schema.
 *
 * @example
 * formFields({ properties: { first_name: {}, title: { description: "Job title." } }, required: ["first_name"] });
 * // [{ name: "first_name", label: "First name", required: true, ... }, { name: "title", label: "Title", hint: "Job title." }]
 * @param {{ properties?: Record<string, { description?: string, format?: string }>, required?: string[] } | null | undefined} schema
 * @returns {readonly FieldSpec[]}
 */
export function formFields(schema) {
  const properties = schema?.properties;
  if (!properties) return CONTACT_FIELDS;
  const required = new Set(schema?.required ?? []);
  const known = new Set(CONTACT_FIELDS.map((f) => f.name));
  /** @type {FieldSpec[]} */
  const fields = [];
  for (const f of CONTACT_FIELDS) {
    if (f.name === "departments" || !Object.hasOwn(properties, f.name)) continue;
    /** @type {FieldSpec} */
    const field = { ...f };
    delete field.required;
    if (required.has(f.name)) field.required = true;
    fields.push(field);
  }
  for (const [name, property] of Object.entries(properties)) {
    if (known.has(name) || READ_ONLY.includes(name)) continue;
    const label = name.charAt(0).toUpperCase() + name.slice(1).replaceAll("_", " ");
    /** @type {FieldSpec} */
    const field = { name, label };
    if (property.format === "email") field.type = "email";
    if (required.has(name)) field.required = true;
    if (property.description) field.hint = property.description;
    fields.push(field);
  }
  const departments = CONTACT_FIELDS.find((f) => f.name === "departments");
  if (departments && Object.hasOwn(properties, "departments")) fields.push(departments);
  return fields;
}

/**
 * Returns what an edit must send back unchanged: the contact's values of the fields the form does
 * not show (not the server's read-only ones). A PUT replaces the whole contact, so without them a
 * save from a form that lacks a field (its schema not read) would clear it.
 *
 * @example
 * keptValues({ id: 3, first_name: "Ana", title: "Dr" }, CONTACT_FIELDS); // { title: "Dr" }
 * @param {Record<string, unknown>} contact  the contact as the API answered it
 * @param {readonly FieldSpec[]} [fields]
 * @returns {Record<string, unknown>}
 */
export function keptValues(contact, fields = CONTACT_FIELDS) {
  const shown = new Set(fields.map((f) => f.name));
  return Object.fromEntries(Object.entries(contact).filter(([name]) => !shown.has(name) && !READ_ONLY.includes(name)));
}

/**
 * Returns the form's field markup: label, input (a textarea for a list), hint and an (empty) error
 * slot per field, wired with aria-describedby so a screen reader reads the error with the field.
 *
 * @example
 * form.querySelector(".fields").innerHTML = contactFieldsHtml();
 * @param {readonly FieldSpec[]} [fields]
 * @returns {string}
 */
export function contactFieldsHtml(fields = CONTACT_FIELDS) {
  return fields.map((f) => {
    const id = `contact-${f.name}`;
    const hint = f.hint ? `<span class="hint" id="${id}-hint">${escapeHtml(f.hint)}</span>` : "";
    const described = [f.hint ? `${id}-hint` : "", `${id}-error`].filter(Boolean).join(" ");
    return (
      `<div class="field${f.wide ? " wide" : ""}" data-field="${f.name}">` +
      `<label for="${id}">${escapeHtml(f.label)}${f.required ? ' <span class="required" aria-hidden="true">*</span><span class="sr-only"> (required)</span>' : ""}</label>` +
      (f.list || f.multiline
        ? `<textarea id="${id}" name="${f.name}" rows="${f.list ? 3 : 2}"${f.required ? " required" : ""}${f.autocomplete ? ` autocomplete="${f.autocomplete}"` : ""} aria-describedby="${described}"></textarea>`
        : `<input id="${id}" name="${f.name}" type="${f.type ?? "text"}"${f.required ? " required" : ""}${f.autocomplete ? ` autocomplete="${f.autocomplete}"` : ""} aria-describedby="${described}">`) +
      hint +
      `<span class="field-error" id="${id}-error" data-error-for="${f.name}"></span>` +
      `</div>`
    );
  }).join("");
}

/**
 * Returns what the form's fields show for a contact, by field name: a list one name per line (the
 * inverse of contactInput, so an edit that leaves a field alone sends its value back unchanged).
 *
 * @example
 * formText({ first_name: "Ana", city: null, departments: ["Research, Development", "IT"] });
 * // { first_name: "Ana", ..., city: "", departments: "Research, Development\nIT" }
 * @param {Record<string, unknown>} contact  the contact as the API answered it
 * @param {readonly FieldSpec[]} [fields]
 * @returns {Record<string, string>}
 */
export function formText(contact, fields = CONTACT_FIELDS) {
  return Object.fromEntries(fields.map((f) => [f.name, fieldText(contact[f.name])]));
}

/**
 * Returns one value as its field shows it: a list one item per line, null as empty.
 *
 * @example
 * fieldText(["Sales", "IT"]); // "Sales\nIT"
 * @param {unknown} value
 * @returns {string}
 */
export function fieldText(value) {
  return Array.isArray(value) ? value.join("\n") : value == null ? "" : String(value);
}

/**
 * Returns the JSON body for the API from the form's raw string values: trims, turns empty optional
 * fields into null and splits departments, one per line. Validation is the API's job; it answers
 * 422 per field.
 *
 * @example
 * contactInput({ first_name: " Ana ", email: "", departments: "Sales\nResearch, Development" });
 * // { first_name: "Ana", email: null, departments: ["Sales", "Research, Development"] }
 * @param {Record<string, string>} values
 * @param {readonly FieldSpec[]} [fields]
 * @returns {Record<string, unknown>}
 */
export function contactInput(values, fields = CONTACT_FIELDS) {
  /** @type {Record<string, unknown>} */
  const input = {};
  for (const f of fields) {
    const raw = (values[f.name] ?? "").trim();
    if (f.list) input[f.name] = raw ? raw.split(/\r\n|\r|\n/).map((d) => d.trim()).filter(Boolean) : [];
    else if (f.required) input[f.name] = raw;
    else input[f.name] = raw === "" ? null : raw;
  }
  return input;
}

/**
 * Returns the API's field errors by form field. Errors on unknown fields (or none given) go under
 * "" so the form can show them at the top. `departments[0]` maps to `departments`.
 *
 * @example
 * fieldErrors({ status: 422, errors: [{ field: "email", message: "must be an email address" }] });
 * // Map { "email" => ["must be an email address"] }
 * @param {import("./api_client.js").Problem} problem
 * @param {readonly FieldSpec[]} [fields]
 * @returns {Map<string, string[]>}
 */
export function fieldErrors(problem, fields = CONTACT_FIELDS) {
  const known = new Set(fields.map((f) => f.name));
  /** @type {Map<string, string[]>} */
  const byField = new Map();
  for (const error of problem.errors ?? []) {
    const base = String(error.field ?? "").replace(/^\/+/, "").split(/[.[/]/)[0];
    const field = known.has(base) ? base : "";
    const message = field ? error.message : `${error.field ? `${error.field}: ` : ""}${error.message}`;
    byField.set(field, [...(byField.get(field) ?? []), message]);
  }
  if (byField.size === 0) byField.set("", [problem.detail || problem.title || `Request failed (${problem.status})`]);
  return byField;
}

/**
 * Returns the fields where the contact as saved now (someone else's edit) differs from what the
 * form is about to save, in form order, with both values as the note shows them: a value in double
 * quotes, JSON-escaped (or "empty"), a list each name so, in the API's order (or "none"); escaped,
 * a quote inside a value (O'Brien, Say "hi") cannot be read as its end, and "Research, Development"
 * never reads like "Research" and "Development". What a 412 shows next to each field, so the
 * person sees what changed without losing what they typed.
 *
 * A list (departments) is compared as the API keeps it: a set of names, one per fold (an existing
 * name given in another case or with other accents is that department), sorted by name; so the
 * same departments typed in another order, or as "sales" for "Sales", are no difference.
 *
 * @example
 * conflictFields(contactInput({ first_name: "Ana", city: "Lima" }), { first_name: "Ana", city: "Cusco" });
 * // [{ name: "city", label: "City", theirs: '"Cusco"', yours: '"Lima"' }]
 * conflictFields({ departments: ["Sales", "IT"] }, { departments: ["IT", "Sales"] }); // []
 * @param {Record<string, unknown>} mine  contactInput() of the form
 * @param {Record<string, unknown>} theirs  the contact as the API answers it now
 * @param {readonly FieldSpec[]} [fields]
 * @returns {{ name: string, label: string, theirs: string, yours: string }[]}
 */
export function conflictFields(mine, theirs, fields = CONTACT_FIELDS) {
  /** @type {{ name: string, label: string, theirs: string, yours: string }[]} */
  const differ = [];
  for (const f of fields) {
    const [a, b] = [mine[f.name], theirs[f.name]];
    if (f.list || Array.isArray(a) || Array.isArray(b)) {
      const [ours, stored] = [nameSet(a), nameSet(b)];
      if (ours.size === stored.size && [...ours.keys()].every((k) => stored.has(k))) continue;
      differ.push({ name: f.name, label: f.label, theirs: namesText(stored), yours: namesText(ours) });
    } else if (fieldText(a) !== fieldText(b)) {
      const shown = (/** @type {unknown} */ v) => (fieldText(v) === "" ? "empty" : JSON.stringify(fieldText(v)));
      differ.push({ name: f.name, label: f.label, theirs: shown(b), yours: shown(a) });
    }
  }
  return differ;
}

/**
 * A list of names as the API keeps it: by fold, the first spelling of each.
 * @param {unknown} list
 * @returns {Map<string, string>}
 */
function nameSet(list) {
  const names = new Map();
  for (const name of Array.isArray(list) ? list : []) {
    const key = fold(String(name));
    if (!names.has(key)) names.set(key, String(name));
  }
  return names;
}

/**
 * Names each in double quotes (JSON-escaped, so a quote or comma in a name cannot end it), sorted
 * as the API sorts a contact's departments (by UTF-16 code units); "none" for no name.
 * @param {Map<string, string>} names
 */
function namesText(names) {
  const sorted = [...names.values()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return sorted.length ? sorted.map((n) => JSON.stringify(n)).join(", ") : "none";
}

/**
 * Returns the department filter's options: Any, then each department with its contacts counted as
 * the page counts everything else (141,938, not 141938).
 *
 * @example
 * select.innerHTML = departmentOptionsHtml([{ id: 1, name: "Sales", contacts: 141938 }]);
 * // '<option value="">Any</option><option value="Sales">Sales (141,938)</option>'
 * @param {readonly { name: string, contacts: number }[]} departments
 * @returns {string}
 */
export function departmentOptionsHtml(departments) {
  return `<option value="">Any</option>` + departments.map((d) => `<option value="${escapeHtml(d.name)}">${escapeHtml(d.name)} (${formatCount(d.contacts)})</option>`).join("");
}

/**
 * Returns the table rows for a page of contacts; each row has an Edit button carrying the id.
 *
 * @example
 * tbody.innerHTML = contactRowsHtml(page.items);
 * @param {readonly Contact[]} items
 * @returns {string}
 */
export function contactRowsHtml(items) {
  if (items.length === 0) return `<tr><td colspan="6" class="muted">No contacts match.</td></tr>`;
  return items
    .map(
      (c) =>
        `<tr data-contact-id="${c.id}">` +
        `<th scope="row">${escapeHtml(`${c.first_name} ${c.last_name}`)}</th>` +
        `<td>${c.email ? `<a href="mailto:${escapeHtml(c.email)}">${escapeHtml(c.email)}</a>` : ""}</td>` +
        `<td>${escapeHtml(c.company_name ?? "")}</td>` +
        `<td>${escapeHtml([c.city, c.state].filter(Boolean).join(", "))}</td>` +
        `<td>${(c.departments ?? []).map((d) => `<span class="tag">${escapeHtml(d)}</span>`).join(" ")}</td>` +
        `<td class="row-actions"><button type="button" class="small" data-edit-contact="${c.id}" aria-label="Edit ${escapeHtml(`${c.first_name} ${c.last_name}`)}">Edit</button> ` +
        `<button type="button" class="small danger" data-delete-contact="${c.id}" aria-label="Delete ${escapeHtml(`${c.first_name} ${c.last_name}`)}">Delete</button></td>` +
        `</tr>`,
    )
    .join("");
}

/**
 * Returns the contact loads: per run its status, time, file and counts; the newest open with its
 * findings (rejected lines by rule, repairs) and, when it refused rows, a slot for its rejects
 * table (`contactRejectsHtml`, filled by the panel) and the link that downloads them all, hidden
 * (`[data-rejects-offer]`) until the panel has read the rows from the file; the older ones folded.
 *
 * @example
 * element.innerHTML = contactRunsHtml(await listRuns("contacts", 10));
 * @param {readonly import("./api_client.js").RunRecord[]} runs  newest first
 * @returns {string}
 */
export function contactRunsHtml(runs) {
  if (runs.length === 0) return `<p class="muted">No contacts load has run yet: <code>npm run etl</code> loads <code>contacts.csv</code> from the data folder.</p>`;
  const keys = /** @type {const} */ ([["inserted", "new"], ["updated", "updated"], ["unchanged", "unchanged"], ["rejected", "rejected"], ["fixes", "repaired"]]);
  return runs
    .map((run, i) => {
      const counts = keys
        .filter(([k]) => run.counts?.[k] !== undefined)
        .map(([k, label]) => `<span class="count${k === "rejected" && run.counts[k] > 0 ? " bad" : ""}" data-count="${k}"><strong>${formatCount(run.counts[k])}</strong> ${label}</span>`)
        .join(" ");
      const head =
        `${runStatusHtml(run)} ` +
        `<time datetime="${escapeHtml(run.finished_at)}">${escapeHtml(formatTime(run.finished_at))}</time>` +
        (run.file ? ` <code>${escapeHtml(run.file.name)}</code>` : "") +
        (counts ? ` <span class="counts">${counts}</span>` : "");
      const error = runErrorHtml(run);
      const rejected = run.counts?.rejected ?? 0;
      const rejects =
        rejected > 0
          ? `<div class="rejects" data-rejects-for="${escapeHtml(run.id)}"><p class="muted">Loading the rejected rows…</p></div>` +
            // Offered once the rows are shown: a run's file may be gone (deleted by hand), and a
            // download that answers 404 is a dead end.
            `<p data-rejects-offer hidden><a class="button-link" href="${escapeHtml(rejectsCsvUrl(run.id))}" download data-rejects-download>Download the rejected rows (CSV)</a></p>`
          : "";
      const body = error + (run.findings.length ? findingsHtml(run.findings, { maxRows: 20 }) : `<p class="ok-note">Every row was loaded.</p>`) + rejects;
      return `<details class="contact-run" data-contact-run="${escapeHtml(run.id)}"${i === 0 ? " open" : ""}><summary>${head}</summary>${body}</details>`;
    })
    .join("");
}

/**
 * Returns the rejects of one contacts run as a table: the CSV line, the field, the reason and the
 * value, and how many more the download holds.
 *
 * @example
 * slot.innerHTML = contactRejectsHtml(await listRejects(run.id, 20));
 * @param {import("./api_client.js").Rejects} rejects
 * @returns {string}
 */
export function contactRejectsHtml(rejects) {
  if (rejects.items.length === 0) return `<p class="muted">The rejects file is empty.</p>`;
  const rows = rejects.items
    .map(
      (r) =>
        `<tr><td class="num">${r.line === null ? "?" : escapeHtml(r.line)}</td><td><code>${escapeHtml(r.field === "*" ? "(row)" : r.field)}</code></td>` +
        `<td>${escapeHtml(r.reason)}</td><td>${r.value === null ? "" : `<code>${escapeHtml(r.value)}</code>`}</td></tr>`,
    )
    .join("");
  const more = rejects.total - rejects.items.length;
  return (
    `<div class="table-wrap"><table class="rejects-table"><caption>Rejected values (${formatCount(rejects.total)})</caption>` +
    `<thead><tr><th scope="col">Line</th><th scope="col">Field</th><th scope="col">Reason</th><th scope="col">Value</th></tr></thead>` +
    `<tbody>${rows}</tbody></table></div>` +
    (more > 0 ? `<p class="muted">${formatCount(more)} more in the download.</p>` : "")
  );
}

/**
 * Returns the contacts view an address asks for: the filter, sort and page of its query string
 * (the names and values `GET /contacts` takes, and `page`, the number the pager shows), and the
 * pages before it from the history entry's state (`contactsEarlier`). What the table cannot show
 * is left out, not an error: a state that is not two letters, a sort by a field no column header
 * sorts by, a page number below 2 or not a number (2 then), a page without a cursor; names it does
 * not know are ignored. A cursor is the API's to judge (a bad one, or one of another sort, answers
 * 400 and the panel shows the first page). An entry without the pages before (a link opened in
 * another tab) knows only the first.
 *
 * @example
 * contactsView("?q=ana&sort=-city&cursor=WyJ&page=3", null, ["city"]);
 * // { q: "ana", state: "", department: "", sort: "-city", cursor: "WyJ", page: 3, earlier: [{ cursor: null, page: 1 }] }
 * @param {string} search  location.search
 * @param {unknown} entry  history.state
 * @param {readonly string[]} sorts  the fields the table's headers sort by
 * @returns {ContactsView}
 */
export function contactsView(search, entry, sorts) {
  const params = new URLSearchParams(search);
  const get = (/** @type {string} */ name) => (params.get(name) ?? "").trim();
  const state = get("state").toUpperCase();
  const sort = get("sort");
  const cursor = get("cursor") || null;
  const page = Number(get("page"));
  const kept = entry && typeof entry === "object" && "contactsEarlier" in entry ? entry.contactsEarlier : null;
  const isPage = (/** @type {any} */ p) => p && (p.cursor === null || typeof p.cursor === "string") && Number.isInteger(p.page) && p.page >= 1;
  return {
    q: get("q"),
    state: /^[A-Z]{2}$/.test(state) ? state : "",
    department: get("department"),
    sort: sorts.includes(sort.replace(/^-/, "")) ? sort : "",
    cursor,
    page: cursor === null ? 1 : Number.isInteger(page) && page >= 2 ? page : 2,
    earlier: cursor === null ? [] : Array.isArray(kept) && kept.length > 0 && kept.every(isPage) ? kept : [{ cursor: null, page: 1 }],
  };
}

/**
 * Returns the query string of a contacts view, as contactsView reads it: "" for the first page of
 * every contact in the API's order.
 *
 * @example
 * contactsQuery({ q: "ana", state: "", department: "", sort: "-city", cursor: "WyJ", page: 2 }); // "?q=ana&sort=-city&cursor=WyJ&page=2"
 * @param {Omit<ContactsView, "earlier">} view
 * @returns {string}
 */
export function contactsQuery(view) {
  const { q, state, department, sort, cursor, page } = view;
  return query({ q, state, department, sort, cursor, page: cursor === null ? null : page });
}
