import { test } from "node:test";
import assert from "node:assert/strict";
import { contactJsonSchema } from "./contact_json_schema.ts";
import { contactRecord } from "./contact_record.ts";

type Schema = { title: string; required?: string[]; additionalProperties: boolean; properties: Record<string, Record<string, unknown>> };

test("contactJsonSchema() describes the resource", () => {
  const schema = contactJsonSchema() as Schema;
  assert.equal(schema.title, "Contact");
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(schema.required, ["id", "first_name", "last_name", "email", "departments", "created_at", "updated_at"]);
  assert.deepEqual(Object.keys(schema.properties), [
    "id",
    ...contactRecord.fields.map((f) => f.name),
    "departments",
    "created_at",
    "updated_at",
  ]);
  assert.deepEqual(schema.properties.state, {
    type: ["string", "null"],
    maxLength: 2,
    pattern: "^[A-Z]{2}$",
    description: "US state or territory code, upper-cased on input.",
    examples: ["LA"],
  });
  assert.equal(schema.properties.email.format, "email");
  assert.equal(schema.properties.email.type, "string");
  assert.equal(schema.properties.id.readOnly, true);
  // Every pattern must compile as an ECMA-262 regex without flags, as JSON Schema requires.
  for (const property of Object.values(schema.properties)) {
    if (typeof property.pattern === "string") assert.doesNotThrow(() => new RegExp(property.pattern as string, "u"));
  }
});

test("contactJsonSchema() request bodies", async (t) => {
  await t.test("create and replace require the names and the e-mail; replace and patch take the server fields back, read-only", () => {
    for (const mode of ["create", "replace"] as const) {
      const schema = contactJsonSchema(mode) as Schema;
      assert.deepEqual(schema.required, ["first_name", "last_name", "email"]);
      if (mode === "create") {
        assert.equal(schema.properties.id, undefined);
        assert.equal(schema.properties.created_at, undefined);
      }
      // Inputs are normalised first ("ny" is accepted), so no pattern is promised for them.
      assert.equal(schema.properties.state.pattern, undefined);
    }
  });
  await t.test("patch requires nothing and lets departments be null", () => {
    const schema = contactJsonSchema("patch") as Schema;
    assert.equal(schema.title, "ContactPatch");
    assert.equal(schema.required, undefined);
    assert.deepEqual(schema.properties.departments.type, ["array", "null"]);
  });
  await t.test("a PUT or PATCH body may echo id, created_at and updated_at as GET returned them (never required)", () => {
    for (const mode of ["replace", "patch"] as const) {
      const schema = contactJsonSchema(mode) as Schema;
      for (const name of ["id", "created_at", "updated_at"]) {
        assert.equal(schema.properties[name].readOnly, true, `${mode} ${name}`);
        assert.ok(!(schema.required ?? []).includes(name));
      }
      assert.equal(schema.properties.id.type, "integer");
    }
  });
});
