import { test } from "node:test";
import assert from "node:assert/strict";
import { conflictFields, contactInput, contactsQuery, contactsView, departmentOptionsHtml, contactRejectsHtml, contactRowsHtml, contactRunsHtml, fieldErrors, contactFieldsHtml, CONTACT_FIELDS, formFields, formText, keptValues } from "./contacts_view.js";
import * as api from "./api_client.js";
import { contactRecord, extendRecord, recordJsonSchema } from "../../etl/contacts/mod.ts";
import { runFixture } from "../../scripts/testing/run_fixture.ts";
import { tempDir, testServer } from "../../scripts/testing/api_server.ts";

test("contacts_view: form fields, input, errors and rows", () => {
  const fields = contactFieldsHtml();
  for (const f of CONTACT_FIELDS) {
    assert.match(fields, new RegExp(`<label for="contact-${f.name}">`));
    assert.match(fields, new RegExp(`data-error-for="${f.name}"`));
  }
  assert.deepEqual(contactInput({ first_name: " Ana ", last_name: "Ruiz", email: "", departments: "Sales\n IT \r\n\n" }), {
    first_name: "Ana",
    last_name: "Ruiz",
    email: "",
    company_name: null,
    address: null,
    city: null,
    state: null,
    zip: null,
    phone1: null,
    phone2: null,
    departments: ["Sales", "IT"],
  });
  const errors = fieldErrors({
    status: 422,
    errors: [
      { field: "email", message: "must be an email address" },
      { field: "/state", message: "must be two letters" },
      { field: "departments[0]", message: "is too long" },
      { field: "nickname", message: "is not a known field" },
    ],
  });
  assert.deepEqual([...errors.keys()], ["email", "state", "departments", ""]);
  assert.deepEqual(errors.get(""), ["nickname: is not a known field"]);
  assert.deepEqual([...fieldErrors({ status: 500, title: "Internal error" })], [["", ["Internal error"]]]);
  const rows = contactRowsHtml([
    { id: 7, first_name: "Ana", last_name: "<Ruiz>", company_name: null, address: null, city: "Lima", state: "LA", zip: null, phone1: null, phone2: null, email: "a@b.co", departments: ["Sales"], created_at: "2026-11-20T00:00:00.000Z", updated_at: "2026-11-20T00:00:00.000Z" },
  ]);
  assert.match(rows, /data-contact-id="7"/);
  assert.match(rows, /Ana &lt;Ruiz&gt;/);
  assert.match(rows, /data-edit-contact="7"/);
  assert.match(rows, /data-delete-contact="7" aria-label="Delete Ana &lt;Ruiz&gt;"/);
  assert.match(contactRowsHtml([]), /No contacts match/);
});

test("contacts_view: the form marks exactly the fields the contact definition requires", () => {
  const required = contactRecord.fields.filter((f) => f.required).map((f) => f.name);
  assert.deepEqual(CONTACT_FIELDS.filter((f) => f.required).map((f) => f.name), required);
  assert.ok(required.includes("email"));
  const html = contactFieldsHtml();
  for (const name of required) assert.match(html, new RegExp(`<label for="contact-${name}">[^<]+ <span class="required" aria-hidden="true">\\*</span>`));
});

test("contacts_view: a field that may span lines is a textarea, so an edit keeps its line breaks", () => {
  const multiline = contactRecord.fields.filter((f) => f.multiline).map((f) => f.name);
  assert.deepEqual(CONTACT_FIELDS.filter((f) => f.multiline).map((f) => f.name), multiline);
  assert.ok(multiline.includes("address"));
  const html = contactFieldsHtml(formFields(recordJsonSchema(contactRecord, "create") as never));
  for (const name of multiline) assert.match(html, new RegExp(`<textarea id="contact-${name}" name="${name}"`), `an <input> for ${name} drops its line breaks`);
  assert.deepEqual(contactInput({ first_name: "Ana", address: " 12 Main St\nApt 4 " }).address, "12 Main St\nApt 4");
});

test("contacts_view: the form follows the API's schema, so a field added to the definition is in it", () => {
  // The shipped definition: the built-in fields as they are, in their order (for the definition as
  // CONTACT_FIELDS was written, exactly those: the page does not rebuild its form).
  const shipped = formFields(recordJsonSchema(contactRecord, "create") as never);
  assert.deepEqual(shipped.filter((f) => CONTACT_FIELDS.some((c) => c.name === f.name)), CONTACT_FIELDS);
  assert.deepEqual(shipped.map((f) => f.name).sort(), [...contactRecord.fields.map((f) => f.name), "departments"].sort(), "every field of the definition, once");
  assert.equal(formFields(undefined), CONTACT_FIELDS);
  // A definition with one more field (and one less required), as the API's ContactCreate shows it.
  const record = extendRecord(
    { ...contactRecord, fields: contactRecord.fields.map((f) => (f.name === "last_name" ? { ...f, required: false } : f)) },
    { name: "test_title", type: "string", maxLength: 100, description: "Job title.", required: true },
  );
  const fields = formFields(recordJsonSchema(record, "create") as never);
  // The built-in fields as they are, then the ones they lack (the new one last), then departments.
  assert.deepEqual(fields.filter((f) => CONTACT_FIELDS.some((c) => c.name === f.name)).map((f) => f.name), CONTACT_FIELDS.map((f) => f.name));
  assert.deepEqual(fields.slice(-2).map((f) => f.name), ["test_title", "departments"]);
  const required = fields.filter((f) => f.required).map((f) => f.name);
  assert.ok(required.includes("test_title") && required.includes("first_name") && !required.includes("last_name"), required.join());
  assert.deepEqual(fields.find((f) => f.name === "test_title"), { name: "test_title", label: "Test title", hint: "Job title.", required: true });
  const html = contactFieldsHtml(fields);
  assert.match(html, /<label for="contact-test_title">Test title <span class="required"/);
  assert.match(html, /<input id="contact-test_title" name="test_title" type="text" required aria-describedby="contact-test_title-hint contact-test_title-error">/);
  assert.equal(contactInput({ first_name: "Ana", test_title: " Dr " }, fields).test_title, "Dr");
  assert.equal(contactInput({ first_name: "Ana" }, fields).last_name, null, "no longer required: empty is null");
  assert.deepEqual([...fieldErrors({ status: 422, errors: [{ field: "test_title", message: "is too long" }] }, fields).keys()], ["test_title"]);
  assert.deepEqual(conflictFields({ test_title: "Dr" }, { test_title: "Prof" }, fields), [{ name: "test_title", label: "Test title", theirs: '"Prof"', yours: '"Dr"' }]);
});

test("contacts_view: an edit sends back the fields the form does not show, so a PUT never clears them", () => {
  const contact = { id: 3, first_name: "Ana", last_name: "Ruiz", email: "a@b.co", test_title: "Dr", departments: ["Sales"], created_at: "x", updated_at: "y" };
  assert.deepEqual(keptValues(contact, CONTACT_FIELDS), { test_title: "Dr" });
  assert.deepEqual(keptValues(contact, [...CONTACT_FIELDS, { name: "test_title", label: "Test title" }]), {});
});

test("contactRunsHtml() lists contact loads with their counts and rejected lines", () => {
  const html = contactRunsHtml([
    runFixture({
      id: "c2",
      kind: "contacts",
      counts: { inserted: 1, updated: 2, unchanged: 57, rejected: 1, fixes: 0 },
      findings: [{ check: "contacts.invalid_email", severity: "error", message: "1 line has an invalid 'email' and was not loaded; first: contacts.csv:3: must be an e-mail address", cells: ["contacts.csv:3"], count: 1 }],
    }),
    runFixture({ id: "c1", kind: "contacts", counts: { inserted: 60, rejected: 0 } }),
  ]);
  assert.match(html, /data-contact-run="c2" open/);
  assert.match(html, /data-count="rejected"><strong>1<\/strong> rejected/);
  assert.match(html, /Rows rejected: invalid email/);
  assert.match(html, /contacts\.csv:3: must be an e-mail address/);
  assert.match(html, /Line 3/);
  assert.match(html, /data-contact-run="c1">/);
  assert.match(html, /<div class="rejects" data-rejects-for="c2">/, "a slot for the rejected rows of the run that refused some");
  assert.match(html, /<p data-rejects-offer hidden><a class="button-link" href="\/runs\/c2\/rejects\.csv" download data-rejects-download>Download the rejected rows \(CSV\)/);
  assert.equal(html.match(/data-rejects-for/g)?.length, 1, "a run that refused nothing has neither");
  assert.match(contactRunsHtml([]), /No contacts load has run yet/);
});

test("contactRejectsHtml() lists the rejected values with line, field, reason and value, escaped, and how many more the file has", () => {
  const html = contactRejectsHtml({
    run_id: "c2",
    total: 5,
    download: "/runs/c2/rejects.csv",
    items: [
      { line: 3, field: "email", reason: "must be an e-mail address like name@example.com; got 'nope'", value: "nope" },
      { line: null, field: "*", reason: "Has 3 fields; the header has 5", value: null },
      { line: 7, field: "state", reason: "must be two letters A-Z", value: "<b>TX</b>" },
    ],
  });
  assert.match(html, /<caption>Rejected values \(5\)<\/caption>/);
  assert.match(html, /<tr><td class="num">3<\/td><td><code>email<\/code><\/td><td>must be an e-mail address like name@example\.com; got &#39;nope&#39;<\/td><td><code>nope<\/code><\/td><\/tr>/);
  assert.match(html, /<td class="num">\?<\/td><td><code>\(row\)<\/code><\/td>/);
  assert.match(html, /&lt;b&gt;TX&lt;\/b&gt;/);
  assert.match(html, /2 more in the download\./);
});

test("contacts_view: conflictFields names the fields someone else changed, with both values", () => {
  const mine = contactInput({ first_name: "Ana", last_name: "Peña", email: "ana@example.com", city: "Lima", departments: "Sales\nIT" });
  const theirs = { id: 3, first_name: "Ana", last_name: "Peña", email: "ana@example.com", company_name: null, address: null, city: "Cusco", state: null, zip: null, phone1: null, phone2: "555", departments: ["Sales", "IT"] };
  assert.deepEqual(conflictFields(mine, theirs), [
    { name: "city", label: "City", theirs: '"Cusco"', yours: '"Lima"' },
    { name: "phone2", label: "Other phone", theirs: '"555"', yours: "empty" },
  ]);
  assert.deepEqual(conflictFields(mine, { ...theirs, city: "Lima", phone2: null }), []);
});

test("contacts_view: a 412 shows a single value in double quotes, escaped, as it shows departments, so a value holding a quote reads whole", () => {
  // Before, a single value was wrapped in single quotes as it was: O'Brien-Smith read
  // 'O'Brien-Smith', where the value seems to end after the O, and a value holding "'; yours: '"
  // could not be told from the note's own words; departments were already in double quotes, escaped.
  assert.deepEqual(conflictFields({ last_name: "O'Brien" }, { last_name: "O'Brien-Smith" }, [{ name: "last_name", label: "Last name" }]), [
    { name: "last_name", label: "Last name", theirs: '"O\'Brien-Smith"', yours: '"O\'Brien"' },
  ]);
  const [d] = conflictFields({ city: "x'; yours: 'y" }, { city: 'Say "hi"' }, [{ name: "city", label: "City" }]);
  assert.equal(d.yours, '"x\'; yours: \'y"');
  assert.equal(d.theirs, '"Say \\"hi\\""');
  // No value is still said as empty, unquoted: a value spelled "empty" is quoted.
  assert.deepEqual(conflictFields({ city: "empty" }, { city: null }, [{ name: "city", label: "City" }])[0], { name: "city", label: "City", theirs: "empty", yours: '"empty"' });
});

test("contacts_view: a 412 compares departments as the API keeps them, a set of names ignoring case and accents, and shows each name whole", () => {
  // Before, departments were compared as an ordered list and shown joined with ", ": the same
  // departments in another order (the API answers them sorted by name) were marked "changed
  // meanwhile", and ["Research, Development"] read exactly like ["Research", "Development"].
  const theirs = { first_name: "Ana", departments: ["IT", "Sales"] };
  assert.deepEqual(conflictFields(contactInput({ first_name: "Ana", departments: "Sales\nIT" }), theirs), [], "the same set in another order");
  // The API reuses an existing department for a name differing in case or accents, and keeps a name once.
  assert.deepEqual(conflictFields(contactInput({ first_name: "Ana", departments: "sales\nit\nSALES" }), theirs), []);
  assert.deepEqual(conflictFields(contactInput({ first_name: "Ana", departments: "Sáles\nIT" }), theirs), []);
  assert.deepEqual(conflictFields({ departments: ["Research", "Development"] }, { departments: ["Research, Development"] }), [
    { name: "departments", label: "Departments", theirs: '"Research, Development"', yours: '"Development", "Research"' },
  ]);
  assert.deepEqual(conflictFields(contactInput({ first_name: "Ana", departments: "" }), theirs), [
    { name: "departments", label: "Departments", theirs: '"IT", "Sales"', yours: "none" },
  ]);
  // A name holding the quote is still read whole.
  assert.deepEqual(conflictFields({ departments: ['Say "hi", then'] }, { departments: [] })[0], { name: "departments", label: "Departments", theirs: "none", yours: '"Say \\"hi\\", then"' });
});

test("contacts_view: departments are one per line, so an edit keeps a department whose name holds a comma", async () => {
  // Before, the form showed the departments comma-separated and split them on ",": saving an edit
  // of the city turned "Research, Development" into two departments, "Research" and "Development".
  const html = contactFieldsHtml();
  assert.match(html, /<textarea id="contact-departments" name="departments" rows="3" aria-describedby="contact-departments-hint contact-departments-error"><\/textarea>/);
  assert.match(html, /<label for="contact-departments">Departments<\/label>/);
  const departments = ["Research, Development", "Sales; Marketing", "IT"];
  assert.equal(formText({ departments }).departments, "Research, Development\nSales; Marketing\nIT");
  assert.deepEqual(contactInput(formText({ departments })).departments, departments, "the form's text gives the names back unchanged");
  assert.deepEqual(conflictFields({ departments: ["Research", "Development"] }, { departments: ["Research, Development"] }).map((d) => d.name), ["departments"]);

  const { dir, cleanup } = tempDir("contacts-view-");
  const server = await testServer(dir);
  try {
    api.configure({ baseUrl: server.url, token: "" });
    // A department name with a comma is valid: the API takes it, and the CSV (one department per line) too.
    const created = await api.saveContact({ first_name: "Luis", last_name: "Paz", email: "luis@example.com", departments: ["Research, Development"] });
    assert.deepEqual(created.departments, ["Research, Development"]);
    // Edit as contacts_panel.js edit() fills the form and save() sends it: only the city is changed.
    const { contact, etag } = await api.getContact(created.id);
    const values = formText(contact as unknown as Record<string, unknown>);
    values.city = "Lima";
    const saved = await api.saveContact(contactInput(values), { id: created.id, etag });
    assert.equal(saved.city, "Lima");
    assert.deepEqual(saved.departments, ["Research, Development"], "an edit of the city changed the departments");
  } finally {
    await server.close();
    cleanup();
  }
});

test("departmentOptionsHtml() counts each department's contacts as the rest of the page does, with separators", () => {
  assert.equal(
    departmentOptionsHtml([{ name: "Sales", contacts: 141938 }, { name: 'R&D "Norte"', contacts: 3 }]),
    `<option value="">Any</option><option value="Sales">Sales (141,938)</option><option value="R&amp;D &quot;Norte&quot;">R&amp;D &quot;Norte&quot; (3)</option>`,
  );
});

test("contactsView() reads the filter, sort and page of an address, leaving out what the table cannot show; contactsQuery() writes it back", () => {
  const sorts = ["first_name", "city"];
  const view = contactsView("?q=%20ana%20&state=la&department=R%26D&sort=-city&cursor=WyJ&page=3", { contactsEarlier: [{ cursor: null, page: 1 }, { cursor: "Wy1", page: 2 }] }, sorts);
  assert.deepEqual(view, { q: "ana", state: "LA", department: "R&D", sort: "-city", cursor: "WyJ", page: 3, earlier: [{ cursor: null, page: 1 }, { cursor: "Wy1", page: 2 }] });
  assert.equal(contactsQuery(view), "?q=ana&state=LA&department=R%26D&sort=-city&cursor=WyJ&page=3");
  assert.deepEqual(contactsView(contactsQuery(view), null, sorts), { ...view, earlier: [{ cursor: null, page: 1 }] }, "a link opened elsewhere knows only the first page before it");
  const first = { q: "", state: "", department: "", sort: "", cursor: null, page: 1, earlier: [] };
  assert.deepEqual(contactsView("", null, sorts), first);
  assert.equal(contactsQuery(first), "");
  for (const [search, entry] of [
    ["?state=Louisiana&sort=phone1&page=2&limit=5", null],
    ["?state=1A&sort=--city&page=-1", { contactsEarlier: "x" }],
    ["?sort=-&cursor=&page=7", 42],
  ] as const) {
    assert.deepEqual(contactsView(search, entry, sorts), first, search);
  }
  assert.deepEqual(contactsView("?cursor=WyJ&page=x", { contactsEarlier: [{ cursor: 5, page: 1 }] }, sorts), { ...first, cursor: "WyJ", page: 2, earlier: [{ cursor: null, page: 1 }] });
});
