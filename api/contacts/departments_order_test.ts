// GET /departments lists departments "by name" in one order on every backend: the order each
// contact's `departments` list has. It was SQL's ORDER BY name, which on a PostgreSQL database
// created with a linguistic collation (en_US, the usual default) put "alpha" first and "Zeta" before
// "émigré", while DuckDB (and a "C" database) put "B team" first and "alpha" after "Zeta".
// The PostgreSQL half runs with TEST_POSTGRES_URL on a server with ICU (PostgreSQL 15+).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { PostgresDatabase } from "../../etl/db/mod.ts";
import { POSTGRES_SKIP, TEST_POSTGRES_URL } from "../../scripts/testing/backends.ts";
import { postContact, raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";

const NAMES = ["alpha", "Beta", "Zeta", "émigré", "B team", "b-team", "Ölfeld"];
const BY_CODE_UNIT = ["B team", "Beta", "Zeta", "alpha", "b-team", "Ölfeld", "émigré"];

async function listed(databaseUrl: string | undefined): Promise<{ departments: string[]; contact: string[] }> {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir, { databaseUrl });
  try {
    const created = await postContact(server.url, { first_name: "Ann", last_name: "Lee", email: "ann@example.com", departments: NAMES });
    assert.equal(created.status, 201, created.text);
    const departments = (await raw(server.url, { path: "/departments" })).json().items.map((d: { name: string }) => d.name);
    const contact = (await raw(server.url, { path: `/contacts/${created.json().id}` })).json().departments;
    return { departments, contact };
  } finally {
    await server.close();
    cleanup();
  }
}

test("DuckDB: /departments in the order of a contact's departments", async () => {
  const { departments, contact } = await listed(undefined);
  assert.deepEqual(contact, BY_CODE_UNIT);
  assert.deepEqual(departments, BY_CODE_UNIT);
});

const ICU_DB = `t_icu_${process.pid}`;
let admin: PostgresDatabase | undefined;
after(async () => {
  await admin?.run(`DROP DATABASE IF EXISTS ${ICU_DB} WITH (FORCE)`).catch(() => {});
  await admin?.close();
});

test("PostgreSQL with an en-US collation: /departments in the same order as on DuckDB", { skip: POSTGRES_SKIP }, async () => {
  admin = await PostgresDatabase.connect(TEST_POSTGRES_URL!, { max: 1 });
  await admin.run(`CREATE DATABASE ${ICU_DB} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`);
  const url = new URL(TEST_POSTGRES_URL!);
  url.pathname = `/${ICU_DB}`;
  const { departments, contact } = await listed(url.toString());
  assert.deepEqual(contact, BY_CODE_UNIT);
  assert.deepEqual(departments, BY_CODE_UNIT);
});
