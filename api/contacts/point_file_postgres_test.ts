// The point reads' file on PostgreSQL: each API process keeps one of its own, and since other
// processes (and loads, and analysts' SQL) write the same tables, a record is served only at the
// version the database has now. The writes here come from outside the server, as another process's
// would: a server that served its records as they were built would answer them stale. Skipped with a
// message when no PostgreSQL is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PostgresDatabase } from "../../etl/db/mod.ts";
import { testServer } from "../../scripts/testing/api_server.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { until } from "../../scripts/testing/until.ts";

type Contact = { id: number; first_name: string; departments: string[] };

const contact = (n: number) => ({ first_name: `Ana${n}`, last_name: "Ruiz", email: `ana${n}@example.org`, state: "TX", departments: ["Sales"] });

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.split(" ")[1]);
}

test("on PostgreSQL, point reads and pages from the point file answer another process's writes at once", { skip: POSTGRES_SKIP, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "points-pg-"));
  const url = await postgresDatabaseFor(dir);
  // What a crashed API process left (a pid no process has), and a folder of a process running.
  const parent = join(dir, "contacts.points.pg");
  const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString();
  mkdirSync(join(parent, `${dead}-left-behind`), { recursive: true });
  mkdirSync(join(parent, `${process.ppid}-running`), { recursive: true });
  const first = await testServer(dir, { databaseUrl: url });
  let second: Awaited<ReturnType<typeof testServer>> | undefined;
  const other = await PostgresDatabase.connect(url, { max: 1 });
  try {
    const ids: number[] = [];
    for (let n = 0; n < 6; n++) {
      const res = await fetch(`${first.url}/contacts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(contact(n)) });
      assert.equal(res.status, 201);
      ids.push(((await res.json()) as Contact).id);
    }
    // A second server on the same data dir, as two `npm start` on one machine: a file of its own.
    second = await testServer(dir, { databaseUrl: url });
    // The first built its file before the contacts were written: it keeps each one it reads.
    await until("the second's point file built", async () => (await metric(second!.url, "relaciones_contacts_point_file_contacts")) === 6);
    const folders = readdirSync(parent);
    assert.equal(folders.filter((f) => f.startsWith(`${process.pid}-`)).length, 2, `one file per server: ${folders}`);
    assert.equal(existsSync(join(parent, `${dead}-left-behind`)), false, "a dead process's folder is removed");
    assert.equal(existsSync(join(parent, `${process.ppid}-running`)), true, "a running process's folder is kept");

    const get = async (server: { url: string }, id: number) => {
      const res = await fetch(`${server.url}/contacts/${id}`);
      return { status: res.status, etag: res.headers.get("etag"), body: res.status === 200 ? ((await res.json()) as Contact) : undefined };
    };
    for (const server of [first, second]) for (const [n, id] of ids.entries()) assert.equal((await get(server, id)).body?.first_name, `Ana${n}`);

    // Another process's writes, straight in the tables: a field, the departments, a delete.
    await other.run("UPDATE contacts SET first_name = 'Bea', version = version + 1 WHERE id = $1", [ids[0]]);
    await other.run("INSERT INTO departments (name) VALUES ('Legal') ON CONFLICT DO NOTHING");
    await other.run("INSERT INTO contact_departments (contact_id, department_id) SELECT $1, id FROM departments WHERE name = 'Legal'", [ids[1]]);
    await other.run("UPDATE contacts SET version = version + 1 WHERE id = $1", [ids[1]]);
    await other.run("DELETE FROM contact_departments WHERE contact_id = $1", [ids[2]]);
    await other.run("DELETE FROM contacts WHERE id = $1", [ids[2]]);
    for (const server of [first, second]) {
      // Pages take kept records at the version their query read (first, while the records are old).
      const page = ((await (await fetch(`${server.url}/contacts?sort=id&limit=10`)).json()) as { items: Contact[] }).items;
      assert.deepEqual(page.map((c) => c.id), [ids[0], ids[1], ...ids.slice(3)]);
      assert.equal(page[0].first_name, "Bea");
      assert.deepEqual(page[1].departments, ["Legal", "Sales"]);
    }
    await other.run("UPDATE contacts SET first_name = 'Dora', version = version + 1 WHERE id = $1", [ids[0]]);
    for (const server of [first, second]) {
      const a = await get(server, ids[0]);
      assert.equal(a.body?.first_name, "Dora");
      assert.equal(a.etag, '"3"');
      assert.deepEqual((await get(server, ids[1])).body?.departments, ["Legal", "Sales"]);
      assert.equal((await get(server, ids[2])).status, 404);
    }
    // One server's write, the other's read: at once.
    const put = await fetch(`${first.url}/contacts/${ids[3]}`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...contact(3), first_name: "Cruz" }) });
    assert.equal(put.status, 200);
    assert.equal((await get(second, ids[3])).body?.first_name, "Cruz");
    // Records checked, not trusted: the unchanged ones come from the file, at their version.
    const unchanged = await get(second, ids[4]);
    assert.equal(unchanged.body?.first_name, "Ana4");
    assert.equal(unchanged.etag, '"1"');
  } finally {
    await other.close();
    await second?.close();
    await first.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("on PostgreSQL, the point file's build covers every range of ids, one with none left among them", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  // The build reads 256 ids at a time, the next range asked for while this one is written.
  const dir = mkdtempSync(join(tmpdir(), "points-pg-"));
  const url = await postgresDatabaseFor(dir);
  const first = await testServer(dir, { databaseUrl: url });
  let second: Awaited<ReturnType<typeof testServer>> | undefined;
  const other = await PostgresDatabase.connect(url, { max: 1 });
  try {
    const names = new Map<number, string>();
    for (let n = 0; n < 700; n += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, 700 - n) }, async (_, i) => {
          const res = await fetch(`${first.url}/contacts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(contact(n + i)) });
          assert.equal(res.status, 201);
          const created = (await res.json()) as Contact;
          names.set(created.id, created.first_name);
        }),
      );
    }
    const ids = [...names.keys()].sort((a, b) => a - b);
    // Every id of the second range (257-512) gone: a range with no row.
    const gone = ids.filter((id) => id >= 257 && id <= 512);
    assert.equal(gone.length, 256);
    await other.run("DELETE FROM contact_departments WHERE contact_id = ANY($1::integer[])", [gone]);
    await other.run("DELETE FROM contacts WHERE id = ANY($1::integer[])", [gone]);
    second = await testServer(dir, { databaseUrl: url });
    await until("the second's point file built", async () => (await metric(second!.url, "relaciones_contacts_point_file_contacts")) === 700 - 256);
    for (const id of ids) {
      const res = await fetch(`${second.url}/contacts/${id}`);
      if (gone.includes(id)) assert.equal(res.status, 404, `${id}`);
      else assert.equal(((await res.json()) as Contact).first_name, names.get(id), `${id}`);
    }
  } finally {
    await other.close();
    await second?.close();
    await first.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("on PostgreSQL, a process that only reads another process's changes keeps its point file's dead bodies bounded", { skip: POSTGRES_SKIP, timeout: 300_000 }, async () => {
  // A record whose JSON is past 496 bytes keeps its body in the overflow file; each read of a
  // version another process wrote appends the new body there and leaves the old one dead. Before,
  // only this process's own commits checked whether the dead bodies called for a rebuild (past 64
  // MiB and past the live ones), so a process that did not write grew the file for as long as it
  // ran: here 170 reads of a contact of ~500 KB (5,000 departments) left ~84 MB in it.
  const dir = mkdtempSync(join(tmpdir(), "points-pg-"));
  const url = await postgresDatabaseFor(dir);
  const reader = await testServer(dir, { databaseUrl: url });
  const other = await PostgresDatabase.connect(url, { max: 1 });
  try {
    const res = await fetch(`${reader.url}/contacts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(contact(0)) });
    assert.equal(res.status, 201);
    const id = ((await res.json()) as Contact).id;
    await other.run("INSERT INTO departments (name) SELECT 'D' || lpad(g::text, 95, '0') FROM generate_series(1, 5000) g");
    await other.run("INSERT INTO contact_departments (contact_id, department_id) SELECT $1, id FROM departments WHERE name LIKE 'D0%'", [id]);
    const store = reader.app.contacts;
    const overflow = () => {
      const parent = join(dir, "contacts.points.pg");
      return readdirSync(parent).reduce((n, f) => n + (existsSync(join(parent, f, "overflow")) ? statSync(join(parent, f, "overflow")).size : 0), 0);
    };
    let body = 0;
    for (let round = 0; round < 170; round++) {
      await other.run("UPDATE contacts SET version = version + 1 WHERE id = $1", [id]);
      const entry = await store.get(id);
      assert.equal(entry?.view.departments.length, 5001);
      body = entry.bytes.length;
    }
    assert.ok(body > 490_000, `a body of ${body} bytes`);
    // Dead bodies past 64 MiB (and past the live ones) empty the file for a rebuild, as a commit's do.
    assert.ok(overflow() <= 64 * 2 ** 20 + 2 * body, `the overflow file holds ${overflow()} bytes`);
  } finally {
    await other.close();
    await reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
