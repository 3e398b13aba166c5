import { test } from "node:test";
import assert from "node:assert/strict";
import { contactRecord } from "./contact_record.ts";
import { extraTables } from "./extra_tables.ts";
import { checkTableDefinition, tableFilterNames, tableSql } from "./table_sql.ts";
import type { FieldDefinition, RecordDefinition } from "./record_definition.ts";

const notes: RecordDefinition = {
  name: "note",
  table: "notes",
  fields: [
    { name: "title", type: "string", maxLength: 100, required: true, sortable: true, searchable: true, filter: { match: "contains", param: "title_has" } },
    { name: "topic", type: "string", maxLength: 20, normalise: { kind: "upper" }, filter: { match: "exact" } },
  ],
  readOnly: ["id", "created_at", "updated_at", "version"],
};

const withField = (field: Partial<FieldDefinition> & { name: string }): RecordDefinition => ({ ...notes, fields: [...notes.fields, { type: "string", maxLength: 10, ...field }] });

test("the product registers no plain table (the mechanism ships, no table does)", () => {
  assert.deepEqual(extraTables, []);
});

test("checkTableDefinition() refuses a definition whose identifiers could not be SQL, or that the generic routes cannot serve", () => {
  checkTableDefinition(notes);
  const refused: [RecordDefinition, RegExp][] = [
    [{ ...notes, table: 'notes"; DROP TABLE contacts; --' }, /table .* must be snake_case/],
    [{ ...notes, table: "Notes" }, /must be snake_case/],
    [{ ...notes, name: "Note" }, /its name must be snake_case/],
    [{ ...notes, table: "contacts" }, /one of the contacts database's own/],
    [{ ...notes, table: "api_idempotency_keys" }, /one of the contacts database's own/],
    [withField({ name: "Body" }), /field 'Body' must be snake_case/],
    [withField({ name: "x y" }), /field 'x y' must be snake_case/],
    [withField({ name: "version" }), /field 'version' is given twice or is a server column/],
    [withField({ name: "topic" }), /field 'topic' is given twice/],
    [withField({ name: "title_sort" }), /the sort key of 'title' would be 'title_sort'/],
    [withField({ name: "search_text" }), /'search_text' is the search column/],
    [withField({ name: "code", uniqueIgnoringCase: true }), /field 'code' is unique/],
    [withField({ name: "city", filter: { match: "folded" } }), /'city' filters folded, which reads its sort key/],
    [withField({ name: "sort", filter: { match: "exact" } }), /a parameter lists already take/],
    [{ ...notes, readOnly: ["id"] }, /readOnly must be exactly/],
    [{ ...notes, links: contactRecord.links }, /a plain table has no links/],
    [{ ...notes, fields: [] }, /it has no fields/],
  ];
  for (const [record, message] of refused) assert.throws(() => checkTableDefinition(record), message, JSON.stringify(record.table));
  // tableSql() checks before it writes any SQL.
  assert.throws(() => tableSql({ ...notes, table: "no-tes" }, "duckdb"), /must be snake_case/);
});

test("tableSql(): identifiers quoted from the definition, values bound, the filters' and sorts' rules", () => {
  assert.deepEqual(tableFilterNames(notes), ["topic", "title_has", "q"]);
  for (const dialect of ["duckdb", "postgres"] as const) {
    const sql = tableSql(notes, dialect);
    assert.match(sql.insert, /^INSERT INTO "notes" \("title", "topic", "title_sort", "search_text"\) VALUES \(\$1, \$2, fold\(\$1\), fold\(\$1\)\) RETURNING /);
    assert.match(sql.update(["topic"]), /^UPDATE "notes" SET "topic" = \$1, version = version \+ 1, updated_at = greatest\(current_timestamp, updated_at\) WHERE id = \$2 AND version = \$3 RETURNING /);
    assert.match(sql.versionForWrite, dialect === "postgres" ? /FOR UPDATE$/ : /WHERE c\.id = \$1$/);
    const page = sql.page({ topic: "ops", title_has: "50%", q: "x'y", department: "ignored" }, { field: "title", descending: true }, ["b", 3], 11);
    assert.deepEqual(page.params, ["ops", "50%", "x'y", "b", 3]);
    assert.match(page.sql, /WHERE c\."topic" = upper\(\$1\) AND c\."title" IS NOT NULL AND .*fold\(\$2\).* AND .*"search_text".*fold\(\$3\).* AND \(c\."title_sort", c\.id\) < \(\$4, \$5::INTEGER\) ORDER BY c\."title_sort" DESC, c\.id DESC LIMIT 11$/);
    assert.throws(() => sql.page({}, { field: "topic", descending: false }, undefined, 1), /'topic' is not a sortable field of notes/);
    assert.throws(() => sql.update(["nope"]), /'nope' is not a column of notes/);
  }
});
