// PostgreSQL writes racing other processes' commits. A process runs two write transactions at
// once (a write alone, or a group of the writes queued meanwhile), and several API processes share
// one database (READ COMMITTED):
// - `now()` is the time a transaction began, so a write that began before another one committed
//   can write the row after it. Setting `updated_at = now()` then put it before the row's
//   created_at (a PUT on a contact another process had just created: the table's CHECK refused it,
//   answered 500) or before the other write's updated_at.
// - A foreign key is checked against the latest commits: the delete of a department another
//   process linked meanwhile failed on the key (answered 500) instead of seeing the link.
// - A group checks its e-mails before it inserts them: another process's insert of one of them,
//   committed in between, fails the group's INSERT on the unique key. The group is then rolled
//   back and its writes run again one at a time, each answered as if it had come alone.
// Each scenario is made certain with a lock another session holds while the request waits, then
// the other write commits. Real PostgreSQL and a real server; skipped with a message when none is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PostgresDatabase } from "../../etl/db/mod.ts";
import { WRITE_KEYS_LOCK_POSTGRES } from "../../etl/contacts/mod.ts";
import type { RunningServer } from "../server.ts";
import { postContact, raw, type RawResponse, tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { commitWhileWaiting, holdLock, waitingForLocks } from "../../scripts/testing/pg_lock.ts";
import { type TcpRelay, tcpRelay, throughRelay } from "../../scripts/testing/tcp_relay.ts";
import { until } from "../../scripts/testing/until.ts";

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
  const server = await testServer(dir, { databaseUrl: url, contacts: { pgLockTimeoutMs: 60_000, pgSlotLockWaitMs: 60_000 } });
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

/**
 * Two PUTs of a contact made for it, each waiting for its row, which another session holds (the
 * first for that session, the second for the first). `release()` lets the row go; `close()` ends the
 * sessions.
 */
async function twoPutsOnHeldRow(server: RunningServer, url: string): Promise<{ puts: Promise<RawResponse[]>; release(): Promise<void>; close(): Promise<void> }> {
  const busy = await postContact(server.url, { first_name: "Row", last_name: "Held", email: "held@example.com" });
  assert.equal(busy.status, 201, busy.text);
  const busyId = busy.json().id as number;
  const other = await PostgresDatabase.connect(url, { max: 1, applicationName: "other-writer" });
  const watcher = await PostgresDatabase.connect(url, { max: 1 });
  const close = async () => {
    await other.close();
    await watcher.close();
  };
  try {
    const row = await holdLock(other, "SELECT id FROM contacts WHERE id = $1 FOR UPDATE", { params: [busyId], releaseAfterMs: 60_000 });
    const puts = Promise.all(
      ["One", "Two"].map((name) =>
        raw(server.url, { method: "PUT", path: `/contacts/${busyId}`, headers: { "content-type": "application/json" }, body: JSON.stringify({ first_name: name, last_name: "Put", email: "held@example.com" }) }),
      ),
    );
    await until("both PUTs waiting for the held row", async () => (await waitingForLocks(watcher)) === 2);
    return { puts, release: () => row.release(), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Sends `requests()` while both write transactions of this process wait for a row another session
 * holds (twoPutsOnHeldRow), so that they queue and run as one group once the row is let go;
 * `whileRunning` runs then, before the answers are awaited. Returns the answers, after checking the
 * two PUTs'.
 */
async function asOneGroup(server: RunningServer, url: string, requests: () => Promise<RawResponse>[], whileRunning?: () => Promise<void>): Promise<RawResponse[]> {
  const held = await twoPutsOnHeldRow(server, url);
  try {
    const pending = requests();
    await until(`the ${pending.length} requests queued`, () => server.app.contacts.commitStats().queued === pending.length);
    await held.release();
    await whileRunning?.();
    const answers = await Promise.all(pending);
    assert.deepEqual((await held.puts).map((r) => r.status), [200, 200]);
    return answers;
  } finally {
    await held.close();
  }
}

/** The warnings this process emits while `fn` runs, by code. */
async function warningsDuring(fn: () => Promise<void>): Promise<Error[]> {
  const seen: Error[] = [];
  const listener = (w: Error) => void seen.push(w);
  process.on("warning", listener);
  try {
    await fn();
  } finally {
    process.off("warning", listener);
  }
  return seen.filter((w) => (w as { code?: string }).code === "RELACIONES_WRITE_GROUP_FALLBACK");
}

test("a write group whose INSERT meets an e-mail another process committed meanwhile runs again one write at a time: that POST 409, the others 201", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  await withServer(async (server, url) => {
    const other = await PostgresDatabase.connect(url, { max: 1, applicationName: "other-writer" });
    const watcher = await PostgresDatabase.connect(url, { max: 1 });
    let commitInsert = () => {};
    try {
      // Another process inserts taken@example.com and has not committed yet...
      let inserted!: (pid: number) => void;
      const insertPid = new Promise<number>((resolve) => (inserted = resolve));
      const committed = other.session(async (s) => {
        await s.run("BEGIN");
        await s.run("INSERT INTO contacts (first_name, last_name, email, email_key) VALUES ('Other', 'Process', 'taken@example.com', 'taken@example.com')");
        inserted(Number((await s.one<{ pid: number }>("SELECT pg_backend_pid() AS pid"))!.pid));
        await new Promise<void>((resolve) => (commitInsert = resolve));
        await s.run("COMMIT");
      });
      const pid = await insertPid;
      // ...while five POSTs run as one group, one of them with that e-mail.
      const emails = ["a@example.com", "b@example.com", "taken@example.com", "c@example.com", "d@example.com"];
      let answers: RawResponse[] = [];
      const warnings = await warningsDuring(async () => {
        answers = await asOneGroup(
          server,
          url,
          () => emails.map((email, i) => postContact(server.url, { first_name: `P${i}`, last_name: "Post", email, departments: ["Sales"] })),
          async () => {
            // The group (it saw no taken@example.com when it checked) waits for the other insert on the key.
            await until("the group's INSERT waiting for the other process's", async () =>
              Number((await watcher.one<{ n: number }>("SELECT count(*)::integer AS n FROM pg_stat_activity WHERE $1::integer = ANY(pg_blocking_pids(pid))", [pid]))!.n) === 1,
            );
            commitInsert();
            await committed;
          },
        );
      });
      assert.deepEqual(answers.map((a) => a.status), [201, 201, 409, 201, 201], answers.map((a) => a.text).join("\n"));
      assert.equal(answers[2].json().type, "/docs#problem-duplicate-email", answers[2].text);
      const stats = server.app.contacts.commitStats();
      assert.ok(stats.fallbacks >= 1, `the group ran again one write at a time: ${JSON.stringify(stats)}`);
      assert.deepEqual(warnings, [], "another process's commit is no fault to log");
      const stored = await watcher.all<{ email: string; departments: number }>(
        "SELECT email, (SELECT count(*)::integer FROM contact_departments l WHERE l.contact_id = c.id) AS departments FROM contacts c WHERE email <> 'held@example.com' ORDER BY email",
      );
      assert.deepEqual(stored, [
        { email: "a@example.com", departments: 1 },
        { email: "b@example.com", departments: 1 },
        { email: "c@example.com", departments: 1 },
        { email: "d@example.com", departments: 1 },
        { email: "taken@example.com", departments: 0 },
      ]);
    } finally {
      commitInsert();
      await other.close();
      await watcher.close();
    }
  });
});

test("a write group that fails in a way the batcher did not foresee runs again one write at a time, and says why once in a warning", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  await withServer(async (server, url) => {
    const pg = await PostgresDatabase.connect(url, { max: 1 });
    try {
      // A rule the API does not know (an operator's constraint): only the write that breaks it fails.
      await pg.run("ALTER TABLE contacts ADD CONSTRAINT test_not_nowhere CHECK (city IS DISTINCT FROM 'Nowhere')");
      const ids: number[] = [];
      for (const i of [0, 1, 2, 3]) ids.push((await postContact(server.url, { first_name: `P${i}`, last_name: "Patch", email: `p${i}@example.com` })).json().id as number);
      const cities = ["Troy", "Utica", "Nowhere", "Ithaca"];
      let answers: RawResponse[] = [];
      const warnings = await warningsDuring(async () => {
        answers = await asOneGroup(server, url, () =>
          ids.map((id, i) => raw(server.url, { method: "PATCH", path: `/contacts/${id}`, headers: { "content-type": "application/json" }, body: JSON.stringify({ city: cities[i] }) })),
        );
      });
      assert.deepEqual(answers.map((a) => a.status === 200), [true, true, false, true], answers.map((a) => a.text).join("\n"));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0].message, /A group of contact writes ran one write at a time instead: .*test_not_nowhere/);
      const stored = await pg.all<{ city: string | null }>("SELECT city FROM contacts WHERE id = ANY($1::integer[]) ORDER BY id", [ids]);
      assert.deepEqual(stored.map((r) => r.city), ["Troy", "Utica", null, "Ithaca"]);
      assert.ok(server.app.contacts.commitStats().fallbacks >= 1);
    } finally {
      await pg.close();
    }
  });
});

/**
 * A server whose connections to PostgreSQL go through a relay, set by `arm`, then three writes sent
 * as one group: a PATCH, a PUT with its If-Match, a POST. Returns their answers, the three contacts
 * as stored, and the groups run again one write at a time.
 */
async function groupThroughRelay(arm: (relay: TcpRelay) => void): Promise<{ answers: RawResponse[]; stored: unknown[]; fallbacks: number }> {
  const { dir, cleanup } = tempDir("write-times-");
  const url = await postgresDatabaseFor(`write-times:${dir}`);
  const relay = await tcpRelay(new URL(url));
  const server = await testServer(dir, { databaseUrl: throughRelay(url, relay), contacts: { pgLockTimeoutMs: 60_000, pgSlotLockWaitMs: 60_000 } });
  const pg = await PostgresDatabase.connect(url, { max: 1 });
  try {
    const patched = await postContact(server.url, { first_name: "Pat", last_name: "Ched", email: "patched@example.com" });
    const put = await postContact(server.url, { first_name: "Put", last_name: "Tee", email: "put@example.com" });
    assert.deepEqual([patched.status, put.status], [201, 201]);
    const [patchedId, putId] = [patched.json().id as number, put.json().id as number];
    arm(relay);
    const answers = await asOneGroup(server, url, () => [
      raw(server.url, { method: "PATCH", path: `/contacts/${patchedId}`, headers: { "content-type": "application/json" }, body: JSON.stringify({ city: "Troy" }) }),
      raw(server.url, {
        method: "PUT",
        path: `/contacts/${putId}`,
        headers: { "content-type": "application/json", "if-match": String(put.headers.etag) },
        body: JSON.stringify({ first_name: "Put", last_name: "Again", email: "put@example.com" }),
      }),
      postContact(server.url, { first_name: "New", last_name: "Comer", email: "new@example.com" }),
    ]);
    const stored = await pg.all("SELECT email, version, city, last_name FROM contacts WHERE email IN ('patched@example.com', 'put@example.com', 'new@example.com') ORDER BY email");
    const fallbacks = server.app.contacts.commitStats().fallbacks;
    // The API goes on: the pool opens another connection.
    assert.equal((await raw(server.url, { method: "PATCH", path: `/contacts/${patchedId}`, headers: { "content-type": "application/json" }, body: JSON.stringify({ city: "Utica" }) })).status, 200);
    return { answers, stored, fallbacks };
  } finally {
    await pg.close();
    await server.close();
    await relay.close();
    cleanup();
  }
}

/** The three contacts once each write of groupThroughRelay() was applied once. */
const WRITTEN_ONCE = [
  { email: "new@example.com", version: 1, city: null, last_name: "Comer" },
  { email: "patched@example.com", version: 2, city: "Troy", last_name: "Ched" },
  { email: "put@example.com", version: 2, city: null, last_name: "Again" },
];

test("a write group whose COMMIT's answer is lost is not run again: each write answers 503, and each was written once", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  // The group committed; only its answer went with the connection. Run again one write at a time, its
  // PATCH was applied twice, its PUT answered 412 (its If-Match was the version before) and its POST
  // 409 (its own e-mail). The group's UPDATE is the first statement through the relay that picks
  // values by their id's position.
  const { answers, stored, fallbacks } = await groupThroughRelay((relay) => relay.resetWhenCommitted("array_position"));
  assert.deepEqual(answers.map((a) => a.status), [503, 503, 503], answers.map((a) => a.text).join("\n"));
  assert.deepEqual(stored, WRITTEN_ONCE);
  assert.equal(fallbacks, 0, "not run again");
});

test("a write group whose connection is lost before its COMMIT runs again one write at a time: each written once", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  // Nothing was committed, so running the writes again is safe, and answers them.
  const { answers, stored, fallbacks } = await groupThroughRelay((relay) => relay.resetWhenSent("array_position"));
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 201], answers.map((a) => a.text).join("\n"));
  assert.deepEqual(stored, WRITTEN_ONCE);
  assert.equal(fallbacks, 1);
});

test("writes waiting for a row another session holds do not hold up the process's other writes", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  // Each waited in one of the process's two write transactions: two PUTs of a row an analyst's open
  // transaction held took both, and every other write waited behind them, up to the lock timeout.
  const { dir, cleanup } = tempDir("write-times-");
  const url = await postgresDatabaseFor(`write-times:${dir}`);
  const server = await testServer(dir, { databaseUrl: url, contacts: { pgLockTimeoutMs: 60_000 } });
  try {
    const held = await twoPutsOnHeldRow(server, url);
    try {
      let putsDone = false;
      const puts = held.puts.finally(() => void (putsDone = true));
      let posts: RawResponse[] | undefined;
      void Promise.all(["a", "b", "c"].map((n) => postContact(server.url, { first_name: n, last_name: "Post", email: `${n}@example.com` }))).then((answers) => (posts = answers));
      await until("the POSTs answered while the row is held", () => posts !== undefined, 30_000);
      assert.deepEqual(posts!.map((p) => p.status), [201, 201, 201]);
      assert.equal(putsDone, false, "the PUTs still wait for the row");
      await held.release();
      assert.deepEqual((await puts).map((p) => p.status), [200, 200]);
    } finally {
      await held.close();
    }
  } finally {
    await server.close();
    cleanup();
  }
});

/**
 * Runs two groups of this process at once: each queues its writes one after another, in the order
 * given, while the process's write transactions wait for rows other sessions hold (twoPutsOnHeldRow,
 * then a third session's row), so it runs as one group. Another session holds a key both groups
 * write (`hold`: its uncommitted row, `insert`, and its advisory lock, taken by the groups' own
 * statement for `keys`), so the first group stops partway, holding what it took before that key, and
 * the second comes to wait too; then that session rolls back. Returns both groups' answers and how
 * many groups ran again one write at a time.
 */
async function twoGroupsAtOnce(
  server: RunningServer,
  url: string,
  steps: { hold: { insert: string; keys: [emails: string[], idempotencyKeys: string[]] }; first: (() => Promise<RawResponse>)[]; second: (() => Promise<RawResponse>)[] },
): Promise<{ first: RawResponse[]; second: RawResponse[]; fallbacks: number }> {
  const keyHolder = await PostgresDatabase.connect(url, { max: 1, applicationName: "other-writer" });
  const rowHolder = await PostgresDatabase.connect(url, { max: 1, applicationName: "other-writer" });
  const watcher = await PostgresDatabase.connect(url, { max: 1 });
  // Each write queued before the next is sent, so the group holds them in this order; resolves once
  // all are queued, with their answers to come.
  const queueInOrder = async (writes: (() => Promise<RawResponse>)[]) => {
    const sent: Promise<RawResponse>[] = [];
    for (const write of writes) {
      sent.push(write());
      await until(`${sent.length} writes queued`, () => server.app.contacts.commitStats().queued === sent.length);
    }
    return { answers: Promise.all(sent) };
  };
  try {
    const row = await postContact(server.url, { first_name: "Row", last_name: "Second", email: "second@example.com" });
    assert.equal(row.status, 201, row.text);
    const key = await holdLock(keyHolder, `WITH held AS (${steps.hold.insert}) ${WRITE_KEYS_LOCK_POSTGRES}`, { params: steps.hold.keys, releaseAfterMs: 60_000 });
    const fallbacks = server.app.contacts.commitStats().fallbacks;
    const held = await twoPutsOnHeldRow(server, url);
    let first: { answers: Promise<RawResponse[]> };
    try {
      first = await queueInOrder(steps.first);
      await held.release();
      assert.deepEqual((await held.puts).map((p) => p.status), [200, 200]);
    } finally {
      await held.close();
    }
    await until("the first group waiting for the held key", async () => (await waitingForLocks(watcher)) === 1);
    const rowLock = await holdLock(rowHolder, "SELECT id FROM contacts WHERE id = $1 FOR UPDATE", { params: [row.json().id], releaseAfterMs: 60_000 });
    const put = raw(server.url, { method: "PUT", path: `/contacts/${row.json().id}`, headers: { "content-type": "application/json" }, body: JSON.stringify({ first_name: "Row", last_name: "Put", email: "second@example.com" }) });
    await until("the PUT waiting for its row", async () => (await waitingForLocks(watcher)) === 2);
    const second = await queueInOrder(steps.second);
    await rowLock.release();
    assert.equal((await put).status, 200);
    await until("the second group waiting too", async () => (await waitingForLocks(watcher)) === 2);
    await key.release();
    return { first: await first.answers, second: await second.answers, fallbacks: server.app.contacts.commitStats().fallbacks - fallbacks };
  } finally {
    await keyHolder.close();
    await rowHolder.close();
    await watcher.close();
  }
}

// Before, each group took its keys in its own order (its INSERTs' rows in queue order). Each
// inserted its first key, then waited for the held one; once that was rolled back, each went on to
// a key the other had inserted, and PostgreSQL broke the cycle after its deadlock_timeout (1 s),
// rolling one group back to run again one write at a time (a fallback), the winner either group.
// Advisory locks taken in queue order would deadlock the same way: each group holds its first key's.
test("two write groups of one process that create the same e-mails in opposite orders do not deadlock: the first creates them, the other answers 409", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  await withServer(async (server, url) => {
    const posts = (emails: string[]) => emails.map((email) => () => postContact(server.url, { first_name: "Two", last_name: "Groups", email: `${email}@example.com` }));
    const { first, second, fallbacks } = await twoGroupsAtOnce(server, url, {
      hold: { insert: "INSERT INTO contacts (first_name, last_name, email, email_key) VALUES ('Other', 'Session', 's@example.com', 's@example.com')", keys: [["s@example.com"], []] },
      first: posts(["x", "s", "y"]),
      second: posts(["y", "s", "x"]),
    });
    assert.deepEqual(first.map((p) => p.status), [201, 201, 201], "the first group creates them");
    assert.deepEqual(second.map((p) => p.status), [409, 409, 409], "the second finds them taken");
    assert.equal(fallbacks, 0, "no group rolled back and ran again");
  });
});

test("two write groups of one process with the same Idempotency-Keys in opposite orders do not deadlock: the second's bodies answer 422", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  await withServer(async (server, url) => {
    const posts = (keys: string[], who: string) =>
      keys.map((key) => () => postContact(server.url, { first_name: who, last_name: "Keyed", email: `${who}-${key}@example.com` }, { "idempotency-key": key }));
    const { first, second, fallbacks } = await twoGroupsAtOnce(server, url, {
      hold: { insert: "INSERT INTO api_idempotency_keys (key, fingerprint, status, body) VALUES ('key-s', 'other', 201, '{}')", keys: [[], ["key-s"]] },
      first: posts(["key-x", "key-s", "key-y"], "first"),
      second: posts(["key-y", "key-s", "key-x"], "second"),
    });
    assert.deepEqual(first.map((p) => p.status), [201, 201, 201], "the first group creates its contacts");
    assert.deepEqual(second.map((p) => p.status), [422, 422, 422], "the second reused the keys with other bodies");
    assert.equal(fallbacks, 0, "no group rolled back and ran again");
  });
});

test("a PostgreSQL write group holds 64 writes at most, so its advisory locks stay within the server's shared lock table", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  // 256 writes a group, as on DuckDB, took up to 512 advisory locks, two groups a process 1,024, of a
  // table of about 3,000 entries on a server with max_connections = 25.
  await withServer(async (server, url) => {
    const before = server.app.contacts.commitStats();
    const answers = await asOneGroup(server, url, () => Array.from({ length: 100 }, (_, i) => postContact(server.url, { first_name: "Many", last_name: `Post${i}`, email: `many${i}@example.com` })));
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([201]));
    const after = server.app.contacts.commitStats();
    assert.equal(after.batched - before.batched, 2, "100 queued writes ran as two groups (64 and 36)");
    assert.equal(after.writes - before.writes, 103, "besides the held contact's POST and the two PUTs, each alone");
  });
});
