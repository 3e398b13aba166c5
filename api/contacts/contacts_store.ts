/**
 * contacts.duckdb, owned by the API while it runs: every write goes through one queue, in one
 * DuckDB transaction (committed = durable), and then updates an in-memory read model (a Map by id
 * holding each contact's JSON and ETag), so reads never touch the database. The API is the only
 * writer of the file (CSV loads reach it through POST /imports/contacts), which keeps the model exact.
 */
import { createHash } from "node:crypto";
import { Database } from "../../etl/db/mod.ts";
import {
  CONTACT_DELETE,
  CONTACT_LINKS_ALL,
  contactRecord,
  DEPARTMENT_INSERT,
  DEPARTMENTS_ALL,
  IDEMPOTENCY_ALL,
  IDEMPOTENCY_INSERT,
  IDEMPOTENCY_PURGE,
  ingestContacts,
  LINK_INSERT,
  LINKS_DELETE,
  migrate,
  recordSql,
  type ContactInput,
  type RecordDefinition,
  type RecordSql,
} from "../../etl/contacts/mod.ts";
import { fold } from "../../etl/text/mod.js";
import { compareKeys, type Key } from "../http/keyset.ts";

/** A contact as the API shows it. */
export interface ContactView {
  id: number;
  first_name: string;
  last_name: string;
  company_name: string | null;
  address: string | null;
  city: string | null;
  state: string | null;
  zip: string | null;
  phone1: string | null;
  phone2: string | null;
  email: string;
  departments: string[];
  created_at: string;
  updated_at: string;
  [field: string]: unknown;
}

/** One contact in the read model: its view, version, ETag and serialised JSON. */
export interface ContactEntry {
  view: ContactView;
  version: number;
  etag: string;
  json: string;
  /** `json` as UTF-8 bytes, encoded once instead of per request. */
  bytes: Buffer;
  /** Folded "first last email" for `q`. */
  search: string;
}

/** A stored Idempotency-Key result. */
export interface IdempotentResult {
  fingerprint: string;
  status: number;
  location: string | null;
  body: string;
}

/** Why a write was refused; the HTTP layer maps these to 404/409/412. */
export class ContactWriteError extends Error {
  readonly code: "not-found" | "duplicate-email" | "stale";
  constructor(code: "not-found" | "duplicate-email" | "stale", message: string) {
    super(message);
    this.name = "ContactWriteError";
    this.code = code;
  }
}

/** The fields `GET /contacts?sort=` accepts (prefix `-` for descending). */
export const SORT_FIELDS = ["id", "first_name", "last_name", "company_name", "city", "state", "zip", "email", "created_at", "updated_at"] as const;
/** One of SORT_FIELDS. */
export type SortField = (typeof SORT_FIELDS)[number];

interface Sorted {
  rows: { entry: ContactEntry; key: Key }[];
}

/** How to open the store; both default to what ships (tests pass an extended record and its migrations). */
export interface ContactsStoreOptions {
  /** The record definition the API validates, stores and shows; default contactRecord. */
  record?: RecordDefinition;
  /** Folder of the migrations; default etl/contacts/migrations. */
  migrationsDir?: string;
}

/**
 * The contacts database plus its read model.
 *
 * @example
 * ```ts
 * const store = await ContactsStore.open("data/contacts.duckdb");
 * const entry = await store.create({ first_name: "Ann", last_name: "Lee", email: "a@b.co", departments: ["Sales"] });
 * store.get(entry.view.id)?.etag // '"1"'
 * store.close();
 * ```
 */
export class ContactsStore {
  readonly path: string;
  /** The record definition every write is validated against and every read shows. */
  readonly record: RecordDefinition;
  readonly #db: Database;
  readonly #sql: RecordSql;
  readonly #fields: readonly string[];
  #entries = new Map<number, ContactEntry>();
  #byEmail = new Map<string, number>();
  /** Folded name -> department, so "sales" reuses "Sales" instead of creating a near-duplicate. */
  #departments = new Map<string, { id: number; name: string }>();
  #idempotency = new Map<string, IdempotentResult>();
  #sorted = new Map<string, Sorted>();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** Bumped by every write; list ETags derive from it. */
  generation = 0;
  /** Random per process, so a list ETag from before a restart (same generation count) never matches. */
  readonly boot = Math.floor(Math.random() * 2 ** 32).toString(36);

  private constructor(path: string, db: Database, record: RecordDefinition) {
    this.path = path;
    this.#db = db;
    this.record = record;
    this.#sql = recordSql(record);
    this.#fields = record.fields.map((f) => f.name);
  }

  /** Opens (creating if needed) and migrates the file, then loads the read model. */
  static async open(path: string, options: ContactsStoreOptions = {}): Promise<ContactsStore> {
    const db = await Database.open(path);
    try {
      await migrate(db, { dir: options.migrationsDir });
      await db.run(IDEMPOTENCY_PURGE);
      const store = new ContactsStore(path, db, options.record ?? contactRecord);
      await store.#reload();
      return store;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  get isOpen(): boolean {
    return !this.#closed;
  }

  /** How many contacts there are. */
  get size(): number {
    return this.#entries.size;
  }

  /** How many contacts there are, for GET /metrics (a promise, so a store backed by SQL answers alike). */
  async count(): Promise<number> {
    return this.#entries.size;
  }

  /** One contact, or undefined. */
  get(id: number): ContactEntry | undefined {
    return this.#entries.get(id);
  }

  /** A stored POST result for an Idempotency-Key, if any. */
  idempotent(key: string): IdempotentResult | undefined {
    return this.#idempotency.get(key);
  }

  /** Every contact sorted by `field` (`direction` -1: descending), with the keys used. Cached until the next write. */
  sorted(field: SortField, direction: 1 | -1): Sorted {
    const name = `${field}:${direction}`;
    let sorted = this.#sorted.get(name);
    if (sorted === undefined) {
      const rows = [...this.#entries.values()].map((entry) => ({ entry, key: keyFor(entry.view, field) }));
      rows.sort((a, b) => compareKeys(a.key, b.key, direction));
      sorted = { rows };
      this.#sorted.set(name, sorted);
    }
    return sorted;
  }

  /** Every department with how many contacts it has, by name. */
  departments(): { id: number; name: string; contacts: number }[] {
    const counts = new Map<string, number>();
    for (const entry of this.#entries.values()) {
      for (const d of entry.view.departments) counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    return [...this.#departments.values()]
      .map((d) => ({ id: d.id, name: d.name, contacts: counts.get(d.name) ?? 0 }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id));
  }

  /** The canonical stored name of a department given in any case, or undefined. */
  departmentName(name: string): string | undefined {
    return this.#departments.get(fold(name.trim()))?.name;
  }

  /**
   * Creates a contact. With `idempotency`, the key and the response are stored in the same
   * transaction; `respond` builds that response from the new entry.
   */
  create(
    input: ContactInput,
    idempotency?: { key: string; fingerprint: string; respond: (entry: ContactEntry) => { status: number; location: string; body: string } },
  ): Promise<{ entry: ContactEntry; replay?: IdempotentResult }> {
    return this.#exclusive(async () => {
      if (idempotency !== undefined) {
        const previous = this.#idempotency.get(idempotency.key);
        if (previous !== undefined) return { entry: undefined as unknown as ContactEntry, replay: previous };
      }
      this.#assertEmailFree(input.email!, undefined);
      let stored: IdempotentResult | undefined;
      const entry = await this.#write(async (db) => {
        const row = await db.one<{ id: number }>(this.#sql.insert, this.#fields.map((f) => (input[f] as string | null | undefined) ?? null));
        const id = Number(row!.id);
        await this.#link(db, id, input.departments ?? []);
        const entry = await this.#readEntry(db, id);
        if (idempotency !== undefined) {
          const response = idempotency.respond(entry);
          stored = { fingerprint: idempotency.fingerprint, status: response.status, location: response.location, body: response.body };
          await db.run(IDEMPOTENCY_INSERT, [idempotency.key, stored.fingerprint, stored.status, stored.location, stored.body]);
        }
        return entry;
      });
      this.#put(entry);
      if (idempotency !== undefined && stored !== undefined) this.#idempotency.set(idempotency.key, stored);
      return { entry };
    });
  }

  /**
   * Writes `input` over contact `id`: every field for a replace, only the given ones for a patch.
   * `ifMatch` (the versions an If-Match header named) makes it conditional: "stale" when the
   * stored version is not among them. The check runs inside the write queue, so it cannot race.
   */
  update(id: number, input: ContactInput, options: { ifMatch?: readonly number[]; partial: boolean }): Promise<ContactEntry> {
    return this.#exclusive(async () => {
      const current = this.#entries.get(id);
      if (current === undefined) throw new ContactWriteError("not-found", `No contact has id ${id}`);
      assertMatch(current, options.ifMatch);
      if (input.email !== undefined) this.#assertEmailFree(input.email, id);
      const fields = options.partial ? this.#fields.filter((f) => Object.hasOwn(input, f)) : this.#fields;
      const entry = await this.#write(async (db) => {
        const sql = this.#sql.update(fields, { ifVersion: true });
        const row = await db.one(sql, [...fields.map((f) => (input[f] as string | null | undefined) ?? null), id, current.version]);
        if (row === undefined) throw new ContactWriteError("stale", `Contact ${id} changed while being written; retry`);
        if (!options.partial || input.departments !== undefined) {
          await db.run(LINKS_DELETE, [id]);
          await this.#link(db, id, input.departments ?? []);
        }
        return this.#readEntry(db, id);
      });
      this.#remove(current);
      this.#put(entry);
      return entry;
    });
  }

  /** Deletes contact `id` (conditionally on `ifMatch`, as in update). */
  delete(id: number, ifMatch?: readonly number[]): Promise<void> {
    return this.#exclusive(async () => {
      const current = this.#entries.get(id);
      if (current === undefined) throw new ContactWriteError("not-found", `No contact has id ${id}`);
      assertMatch(current, ifMatch);
      await this.#write(async (db) => {
        await db.run(LINKS_DELETE, [id]);
        const gone = await db.all(CONTACT_DELETE, [id, current.version]);
        if (gone.length === 0) throw new ContactWriteError("stale", `Contact ${id} changed while being deleted; retry`);
      });
      this.#remove(current);
      this.generation++;
    });
  }

  /** Runs the CSV ingestion on this connection, between other writes, then reloads the model. */
  importCsv(csvPath: string, sourceName: string): Promise<unknown> {
    return this.#exclusive(async () => {
      try {
        return await ingestContacts(this.#db, csvPath, { sourceName, record: this.record });
      } finally {
        await this.#reload();
      }
    });
  }

  /** Waits for queued writes, then closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#exclusive(async () => {
      this.#closed = true;
      this.#db.close();
    });
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => {
      if (this.#closed) throw new Error("The contacts database is closed");
      return fn();
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  #assertEmailFree(email: string, self: number | undefined): void {
    const owner = this.#byEmail.get(email.toLowerCase());
    if (owner !== undefined && owner !== self) {
      throw new ContactWriteError("duplicate-email", `Contact ${owner} already has the e-mail address '${email}' (compared without regard to case)`);
    }
  }

  async #link(db: Database, id: number, names: readonly string[]): Promise<void> {
    const done = new Set<number>();
    for (const raw of names) {
      const folded = fold(raw);
      let dept = this.#departments.get(folded);
      if (dept === undefined) {
        const row = await db.one<{ id: number; name: string }>(DEPARTMENT_INSERT, [raw]);
        dept = { id: Number(row!.id), name: row!.name };
        // Known at once so a repeated name in the same body reuses it; #write forgets it on rollback.
        this.#departments.set(folded, dept);
        this.#pendingDepartments.push(folded);
      }
      if (done.has(dept.id)) continue;
      done.add(dept.id);
      await db.run(LINK_INSERT, [id, dept.id]);
    }
  }

  #pendingDepartments: string[] = [];

  async #readEntry(db: Database, id: number): Promise<ContactEntry> {
    const row = await db.one<Record<string, unknown>>(`SELECT ${this.#sql.selectList} FROM ${this.#sql.table} WHERE id = $1`, [id]);
    const links = await db.all<{ name: string }>(
      `SELECT d.name FROM contact_departments cd JOIN departments d ON d.id = cd.department_id WHERE cd.contact_id = $1 ORDER BY d.name`,
      [id],
    );
    return toEntry(this.#fields, row!, links.map((l) => l.name));
  }

  #put(entry: ContactEntry): void {
    this.#entries.set(entry.view.id, entry);
    this.#byEmail.set(entry.view.email.toLowerCase(), entry.view.id);
    this.#sorted.clear();
    this.generation++;
  }

  #remove(entry: ContactEntry): void {
    this.#entries.delete(entry.view.id);
    if (this.#byEmail.get(entry.view.email.toLowerCase()) === entry.view.id) this.#byEmail.delete(entry.view.email.toLowerCase());
    this.#sorted.clear();
  }

  async #reload(): Promise<void> {
    const rows = await this.#db.all<Record<string, unknown>>(`SELECT ${this.#sql.selectList} FROM ${this.#sql.table} ORDER BY id`);
    const links = await this.#db.all<{ contact_id: number; name: string }>(CONTACT_LINKS_ALL);
    const departments = await this.#db.all<{ id: number; name: string }>(DEPARTMENTS_ALL);
    const keys = await this.#db.all<{ key: string; fingerprint: string; status: number; location: string | null; body: string }>(IDEMPOTENCY_ALL);
    const byContact = new Map<number, string[]>();
    for (const link of links) {
      let list = byContact.get(link.contact_id);
      if (list === undefined) byContact.set(link.contact_id, (list = []));
      list.push(link.name);
    }
    this.#entries = new Map();
    this.#byEmail = new Map();
    for (const row of rows) {
      const entry = toEntry(this.#fields, row, byContact.get(Number(row.id)) ?? []);
      this.#entries.set(entry.view.id, entry);
      this.#byEmail.set(entry.view.email.toLowerCase(), entry.view.id);
    }
    this.#departments = new Map(departments.map((d) => [fold(d.name), { id: d.id, name: d.name }]));
    this.#idempotency = new Map(keys.map((k) => [k.key, { fingerprint: k.fingerprint, status: k.status, location: k.location, body: k.body }]));
    this.#sorted.clear();
    this.generation++;
  }

  /** One transaction; on rollback, departments created inside it are forgotten again. */
  async #write<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    this.#pendingDepartments = [];
    try {
      return await this.#db.transaction(fn);
    } catch (error) {
      for (const folded of this.#pendingDepartments) this.#departments.delete(folded);
      return mapConstraint(error);
    } finally {
      this.#pendingDepartments = [];
    }
  }
}

function assertMatch(current: ContactEntry, ifMatch: readonly number[] | undefined): void {
  if (ifMatch !== undefined && !ifMatch.includes(current.version)) {
    throw new ContactWriteError(
      "stale",
      `Contact ${current.view.id} changed since you read it (its ETag is now ${current.etag}); GET it again and retry`,
    );
  }
}

function mapConstraint(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  if (/duplicate key|unique constraint/i.test(message) && /email/i.test(message)) {
    throw new ContactWriteError("duplicate-email", "Another contact already has this e-mail address (compared without regard to case)");
  }
  throw error;
}

function iso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string") return new Date(value).toISOString();
  return String(value);
}

function toEntry(fields: readonly string[], row: Record<string, unknown>, departments: string[]): ContactEntry {
  const view = { id: Number(row.id) } as ContactView;
  for (const f of fields) view[f] = (row[f] as string | null | undefined) ?? null;
  view.departments = departments;
  view.created_at = iso(row.created_at);
  view.updated_at = iso(row.updated_at);
  const version = Number(row.version);
  const json = JSON.stringify(view);
  return {
    view,
    version,
    etag: `"${version}"`,
    json,
    bytes: Buffer.from(json, "utf8"),
    search: `${fold(view.first_name)} ${fold(view.last_name)} ${fold(view.email)}`,
  };
}

function keyFor(view: ContactView, field: SortField): Key {
  if (field === "id") return [view.id, view.id];
  const value = view[field];
  return [field === "created_at" || field === "updated_at" ? String(value) : fold(value as string | null), view.id];
}

/** A stable fingerprint of a request body, to refuse an Idempotency-Key reused for a different body. */
export function fingerprint(text: string): string {
  return createHash("sha256").update(text).digest("base64url");
}
