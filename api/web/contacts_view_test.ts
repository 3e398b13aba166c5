import { test } from "node:test";
import assert from "node:assert/strict";
import { contactInput, contactRowsHtml, fieldErrors, contactFieldsHtml, CONTACT_FIELDS } from "./contacts_view.js";

test("contacts_view: form fields, input, errors and rows", () => {
  const fields = contactFieldsHtml();
  for (const f of CONTACT_FIELDS) {
    assert.match(fields, new RegExp(`<label for="contact-${f.name}">`));
    assert.match(fields, new RegExp(`data-error-for="${f.name}"`));
  }
  assert.deepEqual(contactInput({ first_name: " Ana ", last_name: "Ruiz", email: "", departments: "Sales, IT ,," }), {
    first_name: "Ana",
    last_name: "Ruiz",
    email: null,
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
  assert.match(contactRowsHtml([]), /No contacts match/);
});
