// DuckDB's trigram filters for `q` and `company` (contains_filters.ts) on real contacts.duckdb files:
// a write is searchable as soon as it is acknowledged, an import puts the filters out of use until
// they are built again, and the SQL reads only the id ranges they leave.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { contactRecord, readSql } from "../../etl/contacts/mod.ts";
import { Database, type Params } from "../../etl/db/mod.ts";
import { tempDir } from "../../scripts/testing/api_server.ts";
import { writeContactsCsv } from "../../scripts/testing/contacts_csv.ts";
import { until } from "../../scripts/testing/until.ts";
import { openEngine } from "./contacts_engines.ts";
import { ContactsStore } from "./contacts_store.ts";

const BY_ID = { field: "id", descending: false };

/** How many contacts match `filters` (and the ids on the first page). */
async function matches(store: ContactsStore, filters: Record<string, string>): Promise<{ total: number; ids: number[] }> {
  const page = await store.page(filters, BY_ID, undefined, 50, true);
  return { total: page.total!, ids: page.entries.map((e) => e.view.id as number) };
}

test("DuckDB: every write is searchable by q and company the moment it is acknowledged, through the filters", async () => {
  const { dir, cleanup } = tempDir();
  const store = await ContactsStore.open(dir, { idleTrimMs: 60_000 });
  try {
    await until("the search filters", () => store.searchFilters()!.bytes > 0);
    const before = store.searchFilters()!.narrowed;
    // Many at once: groups go the set-based way, and some alone; each searched right after its answer.
    await Promise.all(
      Array.from({ length: 64 }, async (_, i) => {
        const { entry } = await store.create({ first_name: "Ann", last_name: `Quorv${i}x`, email: `ann${i}@example.com`, company_name: `Zylbex ${i}x Inc` });
        const id = entry!.view.id as number;
        assert.deepEqual(await matches(store, { q: `QUORV${i}X` }), { total: 1, ids: [id] }, `q for contact ${i}`);
        assert.deepEqual(await matches(store, { company: `zylbex ${i}x` }), { total: 1, ids: [id] }, `company for contact ${i}`);
        // A PATCH of the last name alone: the search text keeps the first name and e-mail.
        await store.update(id, { last_name: `Plimt${i}y` }, { partial: true });
        assert.deepEqual(await matches(store, { q: `ann plimt${i}y ann${i}@` }), { total: 1, ids: [id] }, `new name of contact ${i}`);
        assert.equal((await matches(store, { q: `quorv${i}x` })).total, 0, `old name of contact ${i}`);
      }),
    );
    assert.equal((await matches(store, { q: "plimt" })).total, 64);
    assert.equal((await matches(store, { q: "nowhere-to-be-found" })).total, 0);
    // Outside ASCII the filters cannot say, and the scan answers (as folded text, both ways).
    const { entry } = await store.create({ first_name: "Zoë", last_name: "Núñez", email: "zoe@example.com" });
    assert.deepEqual((await matches(store, { q: "ÑÚÑEZ" })).ids, [entry!.view.id]);
    assert.deepEqual((await matches(store, { q: "nunez" })).ids, [entry!.view.id]);
    assert.ok(store.searchFilters()!.narrowed - before >= 64 * 4, "the lists went through the filters");
  } finally {
    await store.close();
    cleanup();
  }
});

test("DuckDB: an import puts the filters out of use until they are built again, writes racing the build included", async () => {
  const { dir, cleanup } = tempDir();
  const csv = join(dir, "contacts.csv");
  writeContactsCsv(csv, 3000, 9);
  const store = await ContactsStore.open(dir, { idleTrimMs: 60_000 });
  try {
    await until("the search filters", () => store.searchFilters()!.bytes > 0);
    await store.create({ first_name: "Before", last_name: "Importx", email: "before@example.com" });
    const importing = store.importCsv(csv, { sourceName: "contacts.csv", workDir: dir });
    // Queued behind the import, so they race the build it starts.
    const racing = Array.from({ length: 40 }, (_, i) => store.create({ first_name: "Race", last_name: `Vortk${i}q`, email: `race${i}@example.com` }));
    await importing;
    assert.equal(store.searchFilters()!.bytes, 0, "out of use right after the import");
    const ids = await Promise.all(racing.map(async (p) => (await p).entry!.view.id as number));
    await until("the filters built again", () => store.searchFilters()!.bytes > 0);
    for (const [i, id] of ids.entries()) assert.deepEqual((await matches(store, { q: `vortk${i}q` })).ids, [id]);
    assert.equal((await matches(store, { q: "importx" })).total, 1);
    // Every imported contact is found by its e-mail.
    const all = await store.page({}, BY_ID, undefined, 5000, true);
    assert.ok(all.total! > 1000);
    const before = store.searchFilters()!.narrowed;
    for (const e of all.entries.filter((_, i) => i % 50 === 0)) {
      const email = String(e.view.email);
      assert.ok((await matches(store, { q: email })).ids.includes(e.view.id as number), email);
    }
    assert.ok(store.searchFilters()!.narrowed > before);
    // A failed import changes nothing, and the filters come back too.
    await assert.rejects(store.importCsv(join(dir, "missing.csv"), { sourceName: "missing.csv", workDir: dir }));
    await until("the filters after a failed import", () => store.searchFilters()!.bytes > 0);
    assert.equal((await matches(store, { q: "vortk1q" })).total, 1);
  } finally {
    await store.close();
    cleanup();
  }
});

test("DuckDB: a list narrowed to id ranges reads only those ids", async () => {
  const { dir, cleanup } = tempDir();
  const engine = await openEngine(dir, { record: contactRecord });
  try {
    await engine.write((tx) => tx.run("INSERT INTO contacts (first_name, last_name, email, email_key, search_text) SELECT 'Same', 'Name', 's' || i || '@x.co', 's' || i || '@x.co', 'same name' FROM range(1, 31) t(i)"), () => {});
    const reads = readSql(contactRecord, "duckdb");
    const ids = async (within?: readonly (readonly [number, number])[]) => {
      const { sql, params } = reads.page({ q: "same" }, BY_ID, undefined, 100, within);
      return (await engine.read.all<{ id: number }>(sql, params)).map((r) => Number(r.id));
    };
    const count = async (within?: readonly (readonly [number, number])[]) => {
      const { sql, params } = reads.count({ q: "same" }, within);
      return Number((await engine.read.one<{ n: number }>(sql, params))!.n);
    };
    assert.equal((await ids()).length, 30);
    assert.deepEqual(await ids([]), []);
    assert.equal(await count([]), 0);
    assert.deepEqual(await ids([[3, 5], [20, 21]]), [3, 4, 5, 20, 21]);
    assert.equal(await count([[3, 5], [20, 21]]), 5);
  } finally {
    await engine.close();
    cleanup();
  }
});

/** Runs `fn` on a store right after an import of 60,000 CSV rows (its filters' build just started). */
async function afterImport(fn: (store: ContactsStore) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir();
  const csv = join(dir, "contacts.csv");
  writeContactsCsv(csv, 60_000, 9);
  const store = await ContactsStore.open(dir, { idleTrimMs: 60_000 });
  try {
    await store.importCsv(csv, { sourceName: "contacts.csv", workDir: dir });
    await fn(store);
  } finally {
    await store.close();
    cleanup();
  }
}

test("DuckDB: writes committed while a build reads the table are in it", async () => {
  // The build after the import is held once its snapshot has begun, before it reads a row, until
  // three writes have committed: each commits after that snapshot began, so the build has them
  // only as recorded writes. (Writing until the build ended made how many came during it a matter
  // of the machine's speed: a slow commit let the build finish before a second one.)
  const containsAll = readSql(contactRecord, "duckdb").containsAll;
  const stream = Database.prototype.stream;
  let reached!: () => void;
  const reading = new Promise<void>((resolve) => (reached = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  try {
    await afterImport(async (store) => {
      // The import's build connects before it reads: this is in place before its read starts.
      Database.prototype.stream = async function* (this: Database, sql: string, params?: Params) {
        if (sql === containsAll) {
          reached();
          await released;
        }
        yield* stream.call(this, sql, params);
      } as typeof Database.prototype.stream;
      await reading;
      const made: [number, string][] = [];
      for (let i = 0; i < 3; i++) {
        const text = `Wqzk${i}v`;
        const { entry } = await store.create({ first_name: "R", last_name: text, email: `r${i}@example.com` });
        made.push([entry!.view.id as number, text]);
      }
      assert.equal(store.searchFilters()!.bytes, 0, "the build has not finished before the writes");
      release();
      await until("the filters built after the import", () => store.searchFilters()!.bytes > 0);
      for (const [id, text] of made) assert.deepEqual((await matches(store, { q: text })).ids, [id], text);
    });
  } finally {
    Database.prototype.stream = stream;
    release();
  }
});

test("DuckDB: a list whose ranges were taken before a commit its query sees asks again", () =>
  // The list's ranges are taken when it is asked for; its query waits for a reader and sees the
  // commits made meanwhile. A contact given the text in another block, and the only earlier match
  // losing it, must not make the list come back empty: at every instant one contact matched.
  afterImport(async (store) => {
    let holder = (await store.create({ first_name: "Old", last_name: "Zqxvab", email: "old@example.com" })).entry!.view.id as number;
    await until("the search filters", () => store.searchFilters()!.bytes > 0);
    for (let round = 0; round < 4; round++) {
      // Every reader busy with scans the filters cannot narrow (under three characters).
      const busy = Array.from({ length: 24 }, (_, i) => store.page({ q: "a" }, { field: "email", descending: round % 2 === 1 }, undefined, 500 + i + 30 * round, true));
      const listing = store.page({ q: "zqxv" }, BY_ID, undefined, 10, true);
      const next = 1000 + round * 12_000;
      await store.update(next, { last_name: `Zqxvcd${round}` }, { partial: true });
      await store.update(holder, { last_name: "Gone" }, { partial: true });
      holder = next;
      const got = await listing;
      await Promise.all(busy);
      assert.equal(got.total, 1, `round ${round}: ${JSON.stringify(got.entries.map((e) => e.view.id))}`);
    }
  }));
