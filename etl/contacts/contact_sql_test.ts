import { test } from "node:test";
import assert from "node:assert/strict";
import { contactRecord } from "./contact_record.ts";
import { listFilterFields, listFilterNames, readSql } from "./contact_sql.ts";
import { extendRecord, type FieldDefinition } from "./record_definition.ts";

const title: FieldDefinition = { name: "test_title", type: "string", maxLength: 80, sortable: true, filter: { match: "folded" } };

test("listFilterNames() lists the definition's filters, then department and q", () => {
  assert.deepEqual(listFilterNames(contactRecord), ["state", "city", "company", "department", "q"]);
  // A field given a filter in the definition is one more, after the shipped fields' of its kind.
  assert.deepEqual(listFilterNames(extendRecord(contactRecord, title)), ["state", "city", "test_title", "company", "department", "q"]);
});

test("readSql() writes each field's filter by its rule: the shipped ones as before, an added one as its kind", async (t) => {
  await t.test("state exact and upper-cased, city folded from its sort key, company a substring of its sort key", () => {
    for (const dialect of ["duckdb", "postgres"] as const) {
      const { sql, params } = readSql(contactRecord, dialect).count({ state: "ny", city: "New York", company: "acme", q: "ann", department: "Sales" });
      assert.deepEqual(params, ["ny", "New York", "acme", "ann", "Sales"]);
      const where = sql.slice(sql.indexOf(" WHERE ") + 7);
      assert.ok(where.startsWith(`c."state" = upper($1) AND c."city" IS NOT NULL AND c."city_sort" = fold($2) AND c."company_name" IS NOT NULL AND `), where);
    }
    assert.match(readSql(contactRecord, "duckdb").count({ company: "acme" }).sql, /contains\(c\."company_name_sort", fold\(\$1\)\)/);
  });
  await t.test("an added field: folded reads its sort key, exact compares the column (upper() with the upper normaliser)", () => {
    const code: FieldDefinition = { name: "test_code", type: "string", maxLength: 2, normalise: { kind: "upper" }, filter: { match: "exact" } };
    const plain: FieldDefinition = { name: "test_ref", type: "string", maxLength: 9, filter: { match: "exact", param: "ref" } };
    const reads = readSql(extendRecord(contactRecord, title, code, plain), "postgres");
    const { sql, params } = reads.count({ test_title: "Dr", test_code: "xy", ref: "R1", test_ref: "ignored" });
    assert.deepEqual(params, ["xy", "R1", "Dr"]);
    assert.match(sql, /c\."test_code" = upper\(\$1\) AND c\."test_ref" = \$2 AND c\."test_title" IS NOT NULL AND c\."test_title_sort" = fold\(\$3\)/);
    // Empty values filter nothing.
    assert.doesNotMatch(reads.count({ test_title: "" }).sql, /WHERE/);
  });
});

test("listFilterFields() refuses a filter the SQL cannot serve, naming the field", () => {
  assert.throws(() => listFilterFields(extendRecord(contactRecord, { ...title, sortable: false })), /'test_title' filters folded, which reads its sort key: mark it sortable/);
  assert.throws(() => listFilterFields(extendRecord(contactRecord, { ...title, filter: { match: "contains" } })), /'test_title' cannot filter by contains/);
  for (const param of ["q", "sort", "department", "state"]) {
    assert.throws(() => listFilterFields(extendRecord(contactRecord, { ...title, filter: { match: "folded", param } })), new RegExp(`'${param}', a parameter lists already take`));
  }
});
