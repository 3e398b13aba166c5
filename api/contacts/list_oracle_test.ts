// A model-based test of GET /contacts: seeded random contacts (accents, case variants, Greek with
// a final sigma, Hangul, Turkish dotless and dotted i, NULL optional fields, many equal sort keys),
// created through POST, then many random lists (filter combinations, every sort, limits 1..50,
// with and without count, CSV) compared page by page with an oracle written here from the docs
// (api/README.md, README.md "Departments", contacts_docs.ts): `city` exact and `department` equal
// ignoring case and accents, `company` and `q` substrings ignoring case and accents, folding as
// README says (marks dropped, NFC, lower case, final sigma as σ), sorts on the folded value in
// UTF-8 byte order (both backends alike), a missing value as the empty text, ties by id. Cursor
// walks then run with writes (POST, PUT, PATCH, DELETE) between their pages: each page must be what
// the oracle computes on the contacts as they are then, after the key of the last row shown, so a
// contact that did not change is never shown twice nor skipped. The same suite runs on PostgreSQL
// through list_oracle_postgres_test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { postContact, raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { mulberry32 } from "../../scripts/testing/random.ts";
import type { ContactView } from "./contacts_store.ts";

/** A contact as the API shows it (the store's one definition). */
type Contact = ContactView;
type Filters = Partial<Record<"state" | "city" | "company" | "department" | "q", string>>;
const TEXT_SORTS = ["first_name", "last_name", "company_name", "city", "state", "zip"] as const;
const SORTS = ["id", ...TEXT_SORTS, "email", "created_at", "updated_at"] as const;
type SortField = (typeof SORTS)[number];

/** The documented folding rule, written again here (not imported): marks dropped, NFC, lower case, ς as σ. */
function docFold(text: string | null | undefined): string {
  if (text == null) return "";
  const bare = [...text.normalize("NFD")].filter((ch) => !/\p{M}/u.test(ch)).join("");
  return bare.normalize("NFC").toLowerCase().split("ς").join("σ");
}

/** Byte order of UTF-8, as DuckDB and PostgreSQL's COLLATE "C" compare. */
function bytesCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function micros(iso: string): number {
  return Date.parse(iso);
}

/** A contact's sort key for `field`, in the oracle. */
function keyOf(c: Contact, field: SortField): string | number {
  if (field === "id") return c.id;
  if (field === "created_at" || field === "updated_at") return micros(c[field]);
  if (field === "email") return c.email.toLowerCase();
  return docFold(c[field]);
}

function compareKeys(a: string | number, b: string | number): number {
  return typeof a === "number" ? (a as number) - (b as number) : bytesCompare(a as string, b as string);
}

function matches(c: Contact, f: Filters): boolean {
  const value = (s: string | undefined) => (s === undefined ? undefined : s.trim() || undefined);
  const state = value(f.state), city = value(f.city), company = value(f.company), department = value(f.department), q = value(f.q);
  if (state !== undefined && c.state !== state.toUpperCase()) return false;
  if (city !== undefined && (c.city === null || docFold(c.city) !== docFold(city))) return false;
  if (company !== undefined && (c.company_name === null || !docFold(c.company_name).includes(docFold(company)))) return false;
  if (department !== undefined && !c.departments.some((d) => docFold(d) === docFold(department))) return false;
  if (q !== undefined) {
    // Substring of first name, last name or e-mail (search_text joins them with one space each).
    const text = [c.first_name, c.last_name, c.email].map(docFold).join(" ");
    if (!text.includes(docFold(q))) return false;
  }
  return true;
}

/** Every match in `sort` order (ties by id, all reversed for `-field`), after `after` when given. */
function oracle(model: Map<number, Contact>, f: Filters, field: SortField, desc: boolean, after?: [string | number, number]): Contact[] {
  const sign = desc ? -1 : 1;
  const cmp = (ka: string | number, ia: number, kb: string | number, ib: number) => sign * (compareKeys(ka, kb) || ia - ib);
  return [...model.values()]
    .filter((c) => matches(c, f))
    .filter((c) => after === undefined || cmp(keyOf(c, field), c.id, after[0], after[1]) > 0)
    .sort((a, b) => cmp(keyOf(a, field), a.id, keyOf(b, field), b.id));
}

const FIRST = ["Ann", "ann", "ÁNN", "Émile", "emile", "EMILE", "Zoë", "Zoe", "Σωκράτης", "ΣΩΚΡΑΤΗΣ", "김민수", "김민지", "이서연", "Işık", "ISIK", "ılgın", "İlker", "ilker", "Ñandú", "Дмитрий", "ДМИТРИЙ", "李", "Jean-Luc", "Łukasz", "Ørjan", "Åsa", "Çağla"];
const LAST = ["Lee", "LEE", "lée", "Παπαδόπουλος", "ΠΑΠΑΔΟΠΟΥΛΟΣ", "Οδυσσεύς", "박", "Peña", "PENA", "pena", "Müller", "Muller", "MÜLLER", "Yılmaz", "YILMAZ", "Öztürk", "de la Cruz", "O'Brien", "Straße", "Nguyễn", "Иванов", "Dvořák"];
const COMPANIES = [null, null, "Acme Corp", "ACME corp", "Ácme Çorp", "Société Générale", "societe generale", "Ελληνικά Πετρέλαια", "ΕΛΛΗΝΙΚΆ ΠΕΤΡΈΛΑΙΑ", "삼성전자", "Türk Telekom", "TÜRK TELEKOM", "Işıklar A.Ş.", "Müller & Söhne", "Inc", "inc3 holdings"];
const CITIES = [null, null, "São Paulo", "sao paulo", "SÃO PAULO", "Zürich", "Zurich", "İstanbul", "istanbul", "Istanbul", "Αθήνα", "ΑΘΗΝΑ", "서울", "New York", "new york", "Kraków"];
const STATES = [null, "CA", "ca", "NY", "TX", "tx", "LA"];
const ZIPS = [null, null, "10001", "10001", "70116", "0123", "94105-1234"];
const DEPARTMENTS = ["Sales", "sales", "Ventes", "Développement", "developpement", "IT", "Λογιστήριο", "ΛΟΓΙΣΤΉΡΙΟ", "영업"];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)]!;
}

/** A contact body (no id), `n` making the e-mail unique. */
function newContact(r: () => number, n: number): Record<string, unknown> {
  const deps = new Set<string>();
  const count = Math.floor(r() * 3);
  for (let i = 0; i < count; i++) deps.add(pick(r, DEPARTMENTS));
  const body: Record<string, unknown> = {
    first_name: pick(r, FIRST),
    last_name: pick(r, LAST),
    email: `${pick(r, ["ann", "Emile", "zoe", "SOK", "min", "isik", "pena"])}.${n}@${pick(r, ["example.com", "Example.org", "mail.tr"])}`,
    departments: [...deps],
  };
  for (const [name, list] of [["company_name", COMPANIES], ["city", CITIES], ["state", STATES], ["zip", ZIPS]] as const) {
    const v = pick(r, list as readonly (string | null)[]);
    if (v !== null) body[name] = v;
  }
  return body;
}

/** A filter value `name` might be given: from the stored values, in another case or with accents moved. */
function filterValue(r: () => number, model: Map<number, Contact>, name: keyof Filters): string {
  const all = [...model.values()];
  const c = all.length > 0 ? pick(r, all) : undefined;
  const vary = (s: string) => {
    const k = r();
    if (k < 0.25) return s.toUpperCase();
    if (k < 0.5) return s.toLowerCase();
    if (k < 0.6) return s.normalize("NFD");
    if (k < 0.7) return ` ${s} `;
    return s;
  };
  const sub = (s: string) => {
    const chars = [...s];
    const from = Math.floor(r() * chars.length);
    const len = 1 + Math.floor(r() * Math.min(6, chars.length - from));
    return chars.slice(from, from + len).join("");
  };
  // Text that folds to nothing (combining marks alone): a contact without the field must not match it.
  if ((name === "city" || name === "company") && r() < 0.08) return pick(r, ["\u0301", "\u0308\u0301"]);
  switch (name) {
    case "state":
      return vary(pick(r, ["CA", "ny", "Tx", "LA", "ZZ"]));
    case "city":
      return vary(pick(r, CITIES.filter((x) => x !== null)) as string);
    case "department":
      return vary(pick(r, [...DEPARTMENTS, "Nobody"]));
    case "company": {
      const base = c?.company_name ?? pick(r, COMPANIES.filter((x) => x !== null)) as string;
      return vary(r() < 0.8 ? sub(base) : base);
    }
    case "q": {
      if (c === undefined || r() < 0.1) return vary(pick(r, ["ann", "PENA", "σ", "ς", "기", "ı", "i", "xyz", "ample", "a.1"]));
      const field = pick(r, [c.first_name, c.last_name, c.email]);
      return vary(r() < 0.85 ? sub(field) : field);
    }
  }
}

function randomFilters(r: () => number, model: Map<number, Contact>): Filters {
  const f: Filters = {};
  for (const name of ["state", "city", "company", "department", "q"] as const) if (r() < (name === "q" ? 0.4 : 0.2)) f[name] = filterValue(r, model, name);
  return f;
}

function query(f: Filters, sort: string, limit: number, count: boolean, cursor?: string): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) p.set(k, v);
  p.set("sort", sort);
  p.set("limit", String(limit));
  if (count) p.set("count", "true");
  if (cursor) p.set("cursor", cursor);
  return `/contacts?${p}`;
}

/** What to show of a failing case: its filters, sort and the ids expected and got. */
function describe(label: string, f: Filters, sort: string, limit: number, expected: Contact[], got: Contact[]): string {
  const show = (cs: Contact[]) => cs.map((c) => `${c.id}:${JSON.stringify([c.first_name, c.last_name, c.company_name, c.city])}`).join(", ");
  return `${label} ${JSON.stringify(f)} sort=${sort} limit=${limit}\n expected [${show(expected)}]\n got      [${show(got)}]`;
}

async function list(url: string, path: string): Promise<{ items: Contact[]; next_cursor: string | null; total?: number }> {
  const res = await raw(url, { path });
  assert.equal(res.status, 200, `${path}: ${res.text.slice(0, 300)}`);
  return res.json();
}

/** A random write (POST, PUT, PATCH or DELETE), applied to the model from its answer; the id it touched. */
async function randomWrite(r: () => number, url: string, model: Map<number, Contact>, serial: { n: number }): Promise<number> {
  const ids = [...model.keys()];
  const kind = ids.length === 0 ? 0 : Math.floor(r() * 4);
  const json = { "content-type": "application/json" };
  if (kind === 0) {
    const res = await postContact(url, newContact(r, serial.n++));
    assert.equal(res.status, 201, res.text);
    const c = stripWarnings(res.json());
    model.set(c.id, c);
    return c.id;
  }
  const id = pick(r, ids);
  if (kind === 3) {
    const res = await raw(url, { method: "DELETE", path: `/contacts/${id}` });
    assert.equal(res.status, 204, res.text);
    model.delete(id);
    return id;
  }
  let res;
  if (kind === 1) {
    const body = newContact(r, serial.n++);
    res = await raw(url, { method: "PUT", path: `/contacts/${id}`, headers: json, body: JSON.stringify(body) });
  } else {
    const fresh = newContact(r, serial.n++);
    const patch: Record<string, unknown> = {};
    for (const name of ["first_name", "last_name", "company_name", "city", "state", "zip", "departments"]) {
      if (r() < 0.35) patch[name] = name in fresh ? fresh[name] : name === "first_name" || name === "last_name" ? fresh[name] : null;
    }
    res = await raw(url, { method: "PATCH", path: `/contacts/${id}`, headers: { "content-type": "application/merge-patch+json" }, body: JSON.stringify(patch) });
  }
  assert.equal(res.status, 200, res.text);
  const c = stripWarnings(res.json());
  model.set(c.id, c);
  return id;
}

function stripWarnings(c: Contact): Contact {
  const { warnings: _w, ...rest } = c as Contact & { warnings?: unknown };
  return rest as Contact;
}

/**
 * Follows a list to its end (writes between pages when `write` is given), checking each page
 * against the oracle on the contacts as they are when the page is asked for.
 */
async function walk(url: string, model: Map<number, Contact>, f: Filters, sortName: string, limit: number, count: boolean, between?: () => Promise<void>): Promise<void> {
  const desc = sortName.startsWith("-");
  const field = (desc ? sortName.slice(1) : sortName) as SortField;
  // The API shows timestamps in milliseconds and orders them by microseconds: for those sorts the
  // oracle checks the walk as a whole (every match once, in order of the milliseconds shown).
  const timestamps = field === "created_at" || field === "updated_at";
  const seen: Contact[] = [];
  let cursor: string | undefined;
  let after: [string | number, number] | undefined;
  for (let pageNo = 0; ; pageNo++) {
    assert.ok(pageNo < 1000, "too many pages");
    const page = await list(url, query(f, sortName, limit, count, cursor));
    const all = timestamps ? oracle(model, f, field, desc).slice(seen.length) : oracle(model, f, field, desc, after);
    const expected = all.slice(0, limit);
    const label = `page ${pageNo}${between ? " (writes between pages)" : ""}`;
    seen.push(...page.items);
    if (timestamps) assert.equal(page.items.length, expected.length, describe(label, f, sortName, limit, expected, page.items));
    else assert.deepEqual(page.items.map((c) => c.id), expected.map((c) => c.id), describe(label, f, sortName, limit, expected, page.items));
    for (const item of page.items) assert.deepEqual(item, model.get(item.id), `${label}: contact ${item.id} as shown is not as stored`);
    if (count) assert.equal(page.total, oracle(model, f, field, desc).length, `${label}: total of ${JSON.stringify(f)}`);
    else assert.equal(page.total, undefined);
    assert.equal(page.next_cursor === null, all.length <= limit, `${label}: next_cursor ${page.next_cursor} with ${all.length} left, limit ${limit}, ${JSON.stringify(f)} sort=${sortName}`);
    if (page.next_cursor === null) break;
    const last = page.items.at(-1)!;
    after = [keyOf(model.get(last.id) ?? last, field), last.id];
    cursor = page.next_cursor;
    if (between) await between();
  }
  if (timestamps) {
    const expected = oracle(model, f, field, desc);
    assert.deepEqual(seen.map((c) => c.id).sort((a, b) => a - b), expected.map((c) => c.id).sort((a, b) => a - b), `walk ${JSON.stringify(f)} sort=${sortName}`);
    for (let i = 1; i < seen.length; i++) assert.ok((desc ? -1 : 1) * (micros(seen[i]![field]) - micros(seen[i - 1]![field])) >= 0, `walk sort=${sortName}: out of order at ${i}`);
  }
}

async function csvIds(url: string, f: Filters, sortName: string): Promise<number[]> {
  const p = new URLSearchParams({ ...f, sort: sortName, format: "csv" } as Record<string, string>);
  const res = await raw(url, { path: `/contacts?${p}` });
  assert.equal(res.status, 200, res.text.slice(0, 300));
  return res.text
    .split("\r\n")
    .slice(1)
    .filter((line) => /^\d+,/.test(line))
    .map((line) => Number(line.slice(0, line.indexOf(","))));
}

const SEEDS = (process.env.ORACLE_SEEDS ?? "1,2").split(",").map(Number);
const CONTACTS = 260;
const QUERIES = 70;
const WALKS = 12;

for (const seed of SEEDS) {
  test(`GET /contacts agrees with the oracle on filters, sorts, counts, cursors and CSV (seed ${seed})`, async () => {
    const r = mulberry32(seed);
    const { dir, cleanup } = tempDir();
    let server = await testServer(dir);
    const model = new Map<number, Contact>();
    const serial = { n: 0 };
    try {
      // Created in batches of concurrent POSTs (DuckDB commits them in groups).
      for (let i = 0; i < CONTACTS; i += 20) {
        const bodies = Array.from({ length: Math.min(20, CONTACTS - i) }, () => newContact(r, serial.n++));
        for (const res of await Promise.all(bodies.map((b) => postContact(server.url, b)))) {
          assert.equal(res.status, 201, res.text);
          const c = stripWarnings(res.json());
          model.set(c.id, c);
        }
      }
      // A restart: the DuckDB trigram filters are then built from the table, not from the writes.
      await server.close();
      server = await testServer(dir);
      await new Promise((resolve) => setTimeout(resolve, 300));

      for (let i = 0; i < QUERIES; i++) {
        const f = randomFilters(r, model);
        const sort = `${r() < 0.3 ? "-" : ""}${pick(r, SORTS)}`;
        const limit = 1 + Math.floor(r() * 50);
        await walk(server.url, model, f, sort, limit, r() < 0.5);
        if (i % 7 === 0) {
          const desc = sort.startsWith("-");
          const field = (desc ? sort.slice(1) : sort) as SortField;
          const expected = oracle(model, f, field, desc);
          const got = await csvIds(server.url, f, sort);
          if (field === "created_at" || field === "updated_at") assert.deepEqual([...got].sort((a, b) => a - b), expected.map((c) => c.id).sort((a, b) => a - b));
          else assert.deepEqual(got, expected.map((c) => c.id), `CSV ${JSON.stringify(f)} sort=${sort}`);
        }
      }

      for (let i = 0; i < WALKS; i++) {
        const f = r() < 0.5 ? {} : randomFilters(r, model);
        const sort = `${r() < 0.3 ? "-" : ""}${pick(r, SORTS.filter((s) => s !== "updated_at" && s !== "created_at"))}`;
        const limit = 5 + Math.floor(r() * 30);
        await walk(server.url, model, f, sort, limit, r() < 0.5, async () => {
          const writes = 1 + Math.floor(r() * 3);
          for (let w = 0; w < writes; w++) await randomWrite(r, server.url, model, serial);
        });
      }
    } finally {
      await server.close();
      cleanup();
    }
  });
}
