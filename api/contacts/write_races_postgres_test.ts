// PostgreSQL writes racing other processes' commits. Each contact write is a transaction of its
// own, several at once, and several API processes share one database (READ COMMITTED):
// - `now()` is the time a transaction began, so a write that began before another one committed
//   can write the row after it. Setting `updated_at = now()` then put it before the row's
//   created_at (a PUT on a contact another process had just created: the table's CHECK refused it,
//   answered 500) or before the other write's updated_at.
// - A foreign key is checked against the latest commits: the delete of a department another
//   process linked meanwhile failed on the key (answered 500) instead of seeing the link.
// Each scenario is made certain with a lock another session holds while the request waits, then
// the other write commits. Real PostgreSQL and a real server; skipped with a message when none is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PostgresDatabase } from "../../etl/db/mod.ts";
import type { RunningServer } from "../server.ts";
import { postContact, raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { commitWhileWaiting } from "../../scripts/testing/pg_lock.ts";

/**
 * Sends `PUT /contacts/{id}` while another process's transaction holds a lock on the contacts table
 * that makes the PUT wait (after its transaction began), and commits `meanwhile` then.
 */
function putBehind(server: RunningServer, url: string, id: number, meanwhile: string): Promise<{ status: number; body: any }> {
  return commitWhileWaiting(url, { hold: (s) => s.run("LOCK TABLE contacts IN EXCLUSIVE MODE"), meanwhile: (s) => s.run(meanwhile) }, () =>
    raw(server.url, {
      method: "PUT",
      path: `/contacts/${id}`,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ first_name: "Put", last_name: "Later", email: `put${id}@example.com`, departments: ["Ops"] }),
    }).then((res) => ({ status: res.status, body: res.json() })),
  );
}

async function withServer(fn: (server: RunningServer, url: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir("write-times-");
  const url = await postgresDatabaseFor(`write-times:${dir}`);
  // The PUT waits for the other session's lock far longer than the API's usual 5 s would let it on a slow machine.
  const server = await testServer(dir, { databaseUrl: url, contacts: { pgLockTimeoutMs: 60_000 } });
  try {
    await fn(server, url);
  } finally {
    await server.close();
    cleanup();
  }
}

test("a PUT that began before another process created its contact writes it, updated_at not before created_at", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  await withServer(async (server, url) => {
    // Another API process's POST of id 7, committed while this PUT (begun before it) waited.
    const put = await putBehind(server, url, 7, `INSERT INTO contacts (id, first_name, last_name, email, email_key, created_at, updated_at)
      VALUES (7, 'Other', 'Process', 'other@example.com', 'other@example.com', clock_timestamp(), clock_timestamp())`);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.ok(put.body.updated_at >= put.body.created_at, JSON.stringify(put.body));
    assert.equal((await raw(server.url, { path: "/contacts/7" })).json().last_name, "Later");
  });
});

test("a PUT that began before another process's write of the same contact leaves updated_at after that write's", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  await withServer(async (server, url) => {
    const created = await postContact(server.url, { first_name: "Ann", last_name: "Lee", email: "ann@example.com" });
    assert.equal(created.status, 201, created.text);
    const id = created.json().id as number;
    // Another API process's PATCH, begun after this PUT and committed while it waited; its time is kept aside.
    const put = await putBehind(server, url, id, `CREATE TABLE other_write AS SELECT clock_timestamp() AS at;
      UPDATE contacts SET city = 'Elsewhere', version = version + 1, updated_at = (SELECT at FROM other_write) WHERE id = ${id}`);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.city, null, "the PUT wrote after the other write");
    const pg = await PostgresDatabase.connect(url, { max: 1 });
    try {
      // The other write's time is the floor: updated_at never goes back.
      const row = await pg.one<{ ok: boolean }>("SELECT updated_at >= (SELECT at FROM other_write) AS ok FROM contacts WHERE id = $1", [id]);
      assert.equal(row!.ok, true, "updated_at went back before the other write's");
    } finally {
      await pg.close();
    }
  });
});

test("DELETE /departments/{id} while another process links a contact to it answers 409 department-in-use, not 500", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  await withServer(async (server, url) => {
    const created = await postContact(server.url, { first_name: "Ann", last_name: "Lee", email: "ann@example.com", departments: ["Legal"] });
    assert.equal(created.status, 201, created.text);
    const departments = (await raw(server.url, { path: "/departments" })).json();
    const legal = (departments.items ?? departments).find((d: { name: string }) => d.name === "Legal");
    // Another process's PUT of Ann relinks her: her link to Legal is gone, a new one is written
    // and not yet committed when the DELETE comes (it sees no link, and waits for the row).
    await raw(server.url, { method: "PATCH", path: `/contacts/${created.json().id}`, headers: { "content-type": "application/merge-patch+json" }, body: JSON.stringify({ departments: [] }) });
    const deleted = await commitWhileWaiting(
      url,
      { hold: (s) => s.run("INSERT INTO contact_departments (contact_id, department_id) VALUES ($1, $2)", [created.json().id, legal.id]) },
      () => raw(server.url, { method: "DELETE", path: `/departments/${legal.id}` }),
    );
    assert.equal(deleted.status, 409, deleted.text);
    assert.equal(deleted.json().type, "/docs#problem-department-in-use");
  });
});
