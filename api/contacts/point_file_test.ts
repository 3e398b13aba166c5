// The point reads' file (point_file.ts) on real files, and through ContactsStore on real
// contacts.duckdb files: what it serves is byte for byte what the database would, and never a
// version a commit has replaced, writes racing its build included.
import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, existsSync, readdirSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../scripts/testing/api_server.ts";
import { writeContactsCsv } from "../../scripts/testing/contacts_csv.ts";
import { until } from "../../scripts/testing/until.ts";
import { ContactsStore, type ContactEntry } from "./contacts_store.ts";
import { PointFile, type PointRow } from "./point_file.ts";

const row = (id: number, version: number, body: string, plain = true): PointRow => ({ id, version, body, plain });
const text = (kept: { bytes: Buffer } | null | undefined) => (kept ? kept.bytes.toString() : kept);

test("a record is unknown until set, then the body and version set, absent, or unknown again", () => {
  const { dir, cleanup } = tempDir();
  const points = PointFile.open(join(dir, "points"));
  try {
    assert.equal(points.get(7), undefined, "past the end of the file: unknown");
    points.set(7, 3, Buffer.from('{"id":7}'));
    points.set(2, 1, Buffer.from('{"id":2}'));
    assert.deepEqual(points.get(7), { bytes: Buffer.from('{"id":7}'), version: 3 });
    assert.equal(points.get(5), undefined, "a record between two set ones: unknown");
    points.set(7, 4, Buffer.from('{"id":7,"v":4}'));
    assert.equal(text(points.get(7)), '{"id":7,"v":4}');
    // Past what a record holds: kept apart, and counted dead once replaced.
    const long = Buffer.from(JSON.stringify({ id: 9, departments: Array.from({ length: 60 }, (_, i) => `Department ${i}`) }));
    points.set(9, 2, long);
    assert.deepEqual(points.get(9), { bytes: long, version: 2 });
    assert.equal(points.stats().overflowBytes, long.length);
    points.setAbsent(9);
    assert.equal(points.get(9), null);
    assert.equal(points.stats().overflowBytes, 0);
    points.forget(7);
    assert.equal(points.get(7), undefined);
    for (const id of [0x8000_0000, 2 ** 53, 0, -1, 1.5]) assert.equal(points.get(id), undefined, `id ${id}`);
    points.set(2 ** 53, 1, Buffer.from("{}"));
    assert.equal(points.stats().on, true, "odd ids do not turn the file off");
    points.clear();
    assert.equal(points.get(2), undefined);
  } finally {
    points.close();
    assert.equal(existsSync(join(dir, "points")), false, "close removes the files");
    cleanup();
  }
});

test("a build skips the contacts committed while it ran and what DuckDB writes differently; the ids of its ranges it had no row for are absent", () => {
  const { dir, cleanup } = tempDir();
  const points = PointFile.open(join(dir, "points"));
  try {
    points.set(12, 1, Buffer.from('{"id":12,"kept":true}'));
    const build = points.begin();
    points.forget(3); // committed after the snapshot began: the snapshot's row is old
    points.forget(12);
    points.set(12, 2, Buffer.from('{"id":12,"read":"after the commit"}'));
    assert.equal(points.stats().contacts, 0, "nothing counted while it runs");
    assert.ok(points.beginRange(build, 1, 8));
    assert.ok(points.fill(build, [row(1, 1, '{"id":1}'), row(3, 1, '{"id":3,"old":true}'), row(4, 1, '{"a":"\\u001F"}')]));
    assert.ok(points.fill(build, [row(6, 2, '{"a":"\uE000"}'), row(7, 1, '{"a":"😀"}'), row(8, 1, '{"id":8}', false)]));
    assert.ok(points.endRange(build));
    assert.ok(points.beginRange(build, 9, 12));
    assert.ok(points.fill(build, [row(9, 5, '{"id":9}'), row(12, 1, '{"id":12,"snapshot":true}')]));
    assert.ok(points.endRange(build));
    points.finish(build);
    assert.equal(text(points.get(1)), '{"id":1}');
    assert.equal(points.get(3), undefined, "written during the build: left to the database");
    assert.equal(text(points.get(12)), '{"id":12,"read":"after the commit"}', "what a read after the commit kept stays");
    for (const id of [4, 8]) assert.equal(points.get(id), undefined, `contact ${id}: not exactly the API's JSON`);
    assert.equal(text(points.get(6)), '{"a":"\uE000"}');
    assert.equal(text(points.get(7)), '{"a":"😀"}');
    assert.deepEqual(points.get(9), { bytes: Buffer.from('{"id":9}'), version: 5 });
    for (const id of [2, 5, 10, 11]) assert.equal(points.get(id), null, `id ${id}: no row in the snapshot`);
    assert.equal(points.get(13), undefined, "past the snapshot's largest id: unknown");
    assert.equal(points.stats().contacts, 4, "the bodies it wrote: not 3 and 12, committed while it ran");
    assert.throws(() => points.beginRange(points.begin(), 1, 40_000), RangeError);

    // A clear (an import) abandons a build running.
    const next = points.begin();
    assert.ok(points.beginRange(next, 1, 4));
    points.clear();
    assert.equal(points.fill(next, [row(1, 2, '{"id":1,"v":2}')]), false);
    assert.equal(points.endRange(next), false);
    assert.equal(points.get(1), undefined);
  } finally {
    points.close();
    cleanup();
  }
});

test("a failing file turns itself off: every record unknown, nothing thrown", () => {
  const { dir, cleanup } = tempDir();
  const folder = join(dir, "points");
  const points = PointFile.open(folder);
  try {
    points.set(1, 1, Buffer.from('{"id":1}'));
    // Its descriptors, closed under it: the next read fails as a lost disk's would.
    for (const fd of readdirSync("/proc/self/fd")) {
      let target = "";
      try {
        target = readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        continue;
      }
      if (target.startsWith(folder)) closeSync(Number(fd));
    }
    assert.equal(points.get(1), undefined);
    assert.ok(points.failure instanceof Error);
    assert.equal(points.stats().on, false);
    points.set(2, 1, Buffer.from('{"id":2}'));
    points.forget(1);
    assert.equal(points.get(2), undefined);
  } finally {
    points.close();
    cleanup();
  }
});

/** Every contact 1..maxId as `store` serves it: body and ETag, or undefined. */
async function served(store: ContactsStore, maxId: number): Promise<(string | undefined)[]> {
  const all: (string | undefined)[] = [];
  for (let id = 1; id <= maxId; id++) {
    const entry: ContactEntry | undefined = await store.get(id);
    all.push(entry && `${entry.etag} ${entry.bytes.toString()}`);
  }
  return all;
}

test("DuckDB: the point file serves every contact byte for byte as the database does, odd texts included", async () => {
  const { dir, cleanup } = tempDir();
  const csv = join(dir, "contacts.csv");
  writeContactsCsv(csv, 400, 5);
  let store = await ContactsStore.open(dir, { cacheBytes: 0, idleTrimMs: 60_000 });
  let expected: (string | undefined)[];
  let maxId = 0;
  try {
    await store.importCsv(csv, { sourceName: "contacts.csv", workDir: dir });
    const odd = [
      { first_name: "Zoë \"Q\" O'Brien", last_name: "Back\\slash/", email: "zoe@example.com", departments: ["Ábaco", "zeta", "Zeta Ops", "é"] },
      { first_name: "Tab\there", last_name: "Ctl\u0001\u001f", email: "ctl@example.com", departments: ["x"] },
      { first_name: "Emoji 😀", last_name: "Private \uE000", email: "emoji@example.com", departments: ["\uE000 team", "😀 team", "b"] },
      { first_name: "Line\u2028Sep", last_name: "Ñandú", email: "sep@example.com", departments: [] },
    ];
    for (const input of odd) maxId = Math.max(maxId, (await store.create(input)).entry!.view.id);
    await store.delete(5);
    await store.update(6, { last_name: "Updated" }, { partial: true });
    expected = await served(store, maxId + 3);
    assert.equal(store.pointFileStats(), undefined, "off without a cache");
  } finally {
    await store.close();
  }
  store = await ContactsStore.open(dir, { idleTrimMs: 60_000 });
  try {
    assert.ok(existsSync(join(dir, "contacts.points")));
    await until("the point file", () => store.pointFileStats()!.contacts > 0);
    const before = store.pointReadStats().misses;
    assert.deepEqual(await served(store, maxId + 3), expected);
    const misses = store.pointReadStats().misses - before;
    // The database answered only the contact whose JSON DuckDB writes differently (control
    // characters), and the ids past the largest (3).
    assert.equal(misses, 4, "the rest came from the file");
    // Pages take their contacts from it too.
    const page = await store.page({}, { field: "id", descending: false }, undefined, 50, false);
    assert.deepEqual(page.entries.map((e) => `${e.etag} ${e.json}`), expected.filter((e) => e !== undefined).slice(0, 50));
    assert.equal(page.entries[0].view.id, 1);
  } finally {
    await store.close();
    assert.equal(existsSync(join(dir, "contacts.points")), false);
    cleanup();
  }
});

test("DuckDB: writes committed while the point file is built are never served in their old version", async () => {
  const { dir, cleanup } = tempDir();
  const csv = join(dir, "contacts.csv");
  writeContactsCsv(csv, 300, 3);
  let store = await ContactsStore.open(dir, { pointFile: false, idleTrimMs: 60_000 });
  await store.importCsv(csv, { sourceName: "contacts.csv", workDir: dir });
  await store.close();
  let raced: Promise<unknown> | undefined;
  let created = 0;
  store = await ContactsStore.open(dir, {
    idleTrimMs: 60_000,
    // After the build's snapshot began, before it writes a row: these commits are not in it.
    beforePointFill: async () => {
      raced ??= (async () => {
        await store.update(10, { last_name: "Raced" }, { partial: true });
        await store.delete(11);
        created = (await store.create({ first_name: "New", last_name: "Raced", email: "new@example.com" })).entry!.view.id;
      })();
      await raced;
    },
  });
  try {
    await until("the point file", () => (store.pointFileStats()?.contacts ?? 0) > 0);
    await raced;
    const misses = store.pointReadStats().misses;
    assert.equal(JSON.parse((await store.get(10))!.json).last_name, "Raced");
    assert.equal(await store.get(11), undefined);
    assert.equal(JSON.parse((await store.get(created))!.json).last_name, "Raced");
    assert.equal(store.pointReadStats().misses - misses, 3, "all three asked the database");
    assert.equal(JSON.parse((await store.get(12))!.json).id, 12);
    // Asked once, each is kept again: now from the file.
    assert.equal(JSON.parse((await store.get(10))!.json).last_name, "Raced");
    assert.equal(store.pointReadStats().misses - misses, 3);

    // After the build, a commit empties what it touched; an import empties all and builds again.
    await store.update(12, { last_name: "Later" }, { partial: true });
    assert.equal(JSON.parse((await store.get(12))!.json).last_name, "Later");
    writeContactsCsv(csv, 50, 4);
    await store.importCsv(csv, { sourceName: "contacts.csv", workDir: dir });
    await until("the point file built again", () => store.pointFileStats()!.contacts > 0);
    assert.equal(store.pointFileStats()!.contacts, await store.count(), "every contact of the import");
  } finally {
    await store.close();
    cleanup();
  }
});

test("DuckDB: asking for ids no contact has past the file's end records nothing there: the file does not grow to the id's record", async () => {
  const { dir, cleanup } = tempDir();
  const csv = join(dir, "contacts.csv");
  writeContactsCsv(csv, 20, 6);
  const store = await ContactsStore.open(dir, { idleTrimMs: 60_000 });
  try {
    await store.importCsv(csv, { sourceName: "contacts.csv", workDir: dir });
    await until("the point file", () => store.pointFileStats()!.contacts > 0);
    const records = join(dir, "contacts.points", "records");
    const built = statSync(records).size;
    // The largest id a route accepts: its record alone would make the file 1 TiB long (sparse).
    for (const id of [2_147_483_647, 1_000_000, 21 + 2048]) assert.equal(await store.get(id), undefined);
    const page = await store.page({}, { field: "id", descending: false }, undefined, 50, false);
    assert.equal(page.entries.length, await store.count());
    assert.equal(statSync(records).size, built, "no record past the contacts there are");
    // An id past the end is asked again each time: unknown, not absent.
    const misses = store.pointReadStats().misses;
    assert.equal(await store.get(1_000_000), undefined);
    assert.equal(store.pointReadStats().misses - misses, 1);
    // Absences inside the file are kept: a deleted contact is not asked again.
    await store.delete(3);
    assert.equal(await store.get(3), undefined);
    const after = store.pointReadStats().misses;
    assert.equal(await store.get(3), undefined);
    assert.equal(store.pointReadStats().misses, after);
  } finally {
    await store.close();
    cleanup();
  }
});

test("a build keeps no body apart for a contact committed while it ran: the bytes counted as kept are those records point to", () => {
  const { dir, cleanup } = tempDir();
  const points = PointFile.open(join(dir, "points"));
  try {
    const long = (id: number) => JSON.stringify({ id, departments: Array.from({ length: 60 }, (_, i) => `Department ${i}`) });
    const build = points.begin();
    points.forget(2);
    assert.ok(points.beginRange(build, 1, 4));
    assert.ok(points.fill(build, [row(1, 1, long(1)), row(2, 1, long(2))]));
    assert.ok(points.endRange(build));
    points.finish(build);
    assert.equal(text(points.get(1)), long(1));
    assert.equal(points.get(2), undefined);
    assert.equal(points.stats().overflowBytes, Buffer.byteLength(long(1)), "contact 2's snapshot body is in no record");
  } finally {
    points.close();
    cleanup();
  }
});

test("DuckDB: once an import has committed, nothing kept from before it is served: a contact it changed is never older than one it created", async () => {
  const { dir, cleanup } = tempDir();
  const csv = join(dir, "contacts.csv");
  const header = "first_name,last_name,company_name,address,city,state,zip,phone1,phone2,email,department\n";
  const ana = (phone: string) => `Ana,Ruiz,,,,TX,,${phone},,ana@example.com,Sales\n`;
  writeFileSync(csv, header + ana("512-111-1111") + "Bea,Lo,,,,TX,,,,bea@example.com,Sales\n");
  let created = 0;
  let seen: { created: boolean; phone: unknown } | undefined;
  const store: ContactsStore = await ContactsStore.open(dir, {
    idleTrimMs: 60_000,
    // The second import has committed; the store has not heard of it yet.
    afterImportCommit: async () => {
      if (created === 0) return;
      const fresh = await store.get(created);
      const changed = await store.get(1);
      seen = { created: fresh !== undefined, phone: changed && JSON.parse(changed.json).phone1 };
    },
  });
  try {
    await store.importCsv(csv, { sourceName: "contacts.csv", workDir: dir });
    await until("the point file", () => (store.pointFileStats()?.contacts ?? 0) > 0);
    assert.equal(JSON.parse((await store.get(1))!.json).phone1, "512-111-1111");
    const misses = store.pointReadStats().misses;
    await store.get(1);
    assert.equal(store.pointReadStats().misses, misses, "kept: served without the database");
    created = 3;
    writeFileSync(csv, header + ana("512-333-3333") + "Bea,Lo,,,,TX,,,,bea@example.com,Sales\nCy,Ng,,,,TX,,,,cy@example.com,Sales\n");
    await store.importCsv(csv, { sourceName: "contacts.csv", workDir: dir });
    assert.deepEqual(seen, { created: true, phone: "512-333-3333" }, "the changed contact as new as the created one");
    assert.equal(JSON.parse((await store.get(1))!.json).phone1, "512-333-3333");
  } finally {
    await store.close();
    cleanup();
  }
});

test("the bytes counted as kept apart stay those records point to: a commit between a range's rows and its end, a record a build writes over, a build abandoned mid-range", () => {
  const { dir, cleanup } = tempDir();
  const points = PointFile.open(join(dir, "points"));
  try {
    const long = (id: number, v = 1) => JSON.stringify({ id, v, departments: Array.from({ length: 60 }, (_, i) => `Department ${i}`) });
    const bytes = (id: number, v = 1) => Buffer.byteLength(long(id, v));
    // Contact 5 read (not written) while the build runs, before its range is built: the build's
    // record replaces that one, whose body is then in no record.
    const build = points.begin();
    points.set(5, 1, Buffer.from(long(5)));
    assert.ok(points.beginRange(build, 1, 8));
    assert.ok(points.fill(build, [row(1, 1, long(1)), row(2, 1, long(2)), row(5, 1, long(5))]));
    // Contact 2 committed after its row was given, before the range is written (DuckDB streams a
    // range in chunks, with awaits between): its record stays unknown, its body in none.
    points.forget(2);
    assert.ok(points.endRange(build));
    points.finish(build);
    assert.equal(text(points.get(1)), long(1));
    assert.equal(points.get(2), undefined);
    assert.equal(text(points.get(5)), long(5));
    assert.equal(points.stats().overflowBytes, bytes(1) + bytes(5), "contacts 1 and 5: one body each");

    // A build abandoned mid-range (its stream failed): the bodies it kept apart are in no record.
    points.clear();
    const failed = points.begin();
    assert.ok(points.beginRange(failed, 1, 4));
    assert.ok(points.fill(failed, [row(3, 1, long(3))]));
    points.abandon(failed);
    assert.equal(points.get(3), undefined);
    assert.equal(points.stats().overflowBytes, 0, "nothing kept apart is pointed to");
  } finally {
    points.close();
    cleanup();
  }
});
