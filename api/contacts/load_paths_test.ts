// One contacts CSV, every way it can reach the tables: `npm run etl` loading contacts.duckdb
// directly, the same load handed over to a running API (POST /imports/contacts naming an upload),
// and, in load_paths_postgres_test.ts, straight into PostgreSQL. The product promises the same
// record, validation and results everywhere (README "Contacts", etl/contacts/README.md), so each
// sequence of seeded, messy files (the first, the next day's, the first again) is loaded by each path
// and everything a user sees is compared exactly: the contacts as GET /contacts shows them (every
// field, version, departments, when each was created and last changed), GET /departments, the run
// records (status, counts, changes, findings, error) and the rejects reports line by line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { startServer, type RunningServer } from "../server.ts";
import { removeApiInfo, writeApiInfo, type RowFix } from "../../etl/handover/mod.ts";
import { readRuns, type RunRecord } from "../../etl/runs/mod.ts";
import { onPostgres, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { mulberry32 } from "../../scripts/testing/random.ts";
import { contactRecord, loadContacts, validateRecord } from "../../etl/contacts/mod.ts";

export const COLUMNS = ["first_name", "last_name", "company_name", "address", "city", "state", "zip", "phone1", "phone2", "email", "department"];

/** How a file is written: what spreadsheets and exports of the users' shape do to it. */
export interface CsvStyle {
  separator: "," | ";" | "\t";
  lineEnd: "\n" | "\r\n";
  bom: boolean;
  /** The file's name (in the run's findings and messages). */
  name?: string;
  /** The header in capitals, columns in reverse order and one column the load does not read. */
  shuffled?: boolean;
  /** Columns left out of the next day's file (optional ones: their stored values are kept). */
  dropNextDay?: string[];
}

/** A line of a file: cells, or bytes written as they are (a broken row, an empty one). */
type Line = string[] | { raw: string } | { bytes: number[] };

const SYLLABLES = ["an", "bel", "cor", "da", "el", "fin", "gar", "ho", "is", "ja", "lo", "mar", "ñe", "lú", "é", "zoë"];
const DEPARTMENT_SPELLINGS = [
  ["Ventas", "ventas", "VENTAS", " Ventas "],
  ["Diseño", "diseno", "DISEÑO", "Diséño"],
  ["Human Resources", "human resources", "HUMAN RESOURCES"],
  ["R&D", "r&d"],
  ["Compras"],
];
const PLACES: [string, string, string][] = [
  ["Newark", "NJ", "07102"], ["Boston", "ma", "02110"], ["San José", "CA", "95113"], ["Hartford", "CT", "06103"], ["Austin", "tx", "78701"],
];

/**
 * Two days of a seeded messy contacts CSV: the first file and the next day's (some people changed,
 * some new, some departments gained, some rows fixed or broken). Each row list holds the header.
 */
export function messyDays(seed: number, people = 36): [Line[], Line[]] {
  const rnd = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  const name = () => {
    let text = "";
    for (let i = 0, n = 2 + Math.floor(rnd() * 2); i < n; i++) text += pick(SYLLABLES);
    return text.charAt(0).toUpperCase() + text.slice(1);
  };
  const digits = (n: number) => String(Math.floor(rnd() * 10 ** n)).padStart(n, "0");
  const day1: Line[] = [COLUMNS];
  const day2: Line[] = [COLUMNS];
  for (let p = 0; p < people; p++) {
    const [city, state, zip5] = PLACES[p % PLACES.length];
    const first = name();
    const last = name();
    const email = `${first.normalize("NFD").replace(/[^a-z]/gi, "").toLowerCase()}.${p}@example.com`;
    const row = [
      p % 7 === 3 ? `  ${first}  ${name()} ` : first,
      last,
      p % 4 === 1 ? `${name()}, ${name()}; Esq` : `${name()} Inc`,
      p % 5 === 2 ? `${digits(3)} Main St\nSuite ${digits(2)}` : `${digits(4)} Elm St`,
      city,
      state,
      zip5.startsWith("0") && rnd() < 0.6 ? zip5.slice(1) : zip5,
      p % 6 === 4 ? `'+1 ${digits(3)} ${digits(4)}` : `${digits(3)}-${digits(4)}`,
      rnd() < 0.5 ? "" : `${digits(3)}-${digits(4)}`,
      email,
      pick(pick(DEPARTMENT_SPELLINGS)),
    ];
    // Invalid rows of every kind (each person's first row, so nobody else's line numbers change).
    const broken = p % 3 === 2 ? (Math.floor(p / 3) + seed) % 12 : -1;
    const bad = [...row];
    if (broken === 0) bad[5] = "Texas";
    else if (broken === 1) bad[9] = bad[9].replace(".com", "");
    else if (broken === 2) bad[0] = " ";
    else if (broken === 3) bad[1] = "123";
    else if (broken === 4) bad[6] = "021341234";
    else if (broken === 5) bad[7] = "5.04E+09";
    else if (broken === 6) bad[4] = "Bad\u0001City";
    else if (broken === 7) bad[4] = "x".repeat(101);
    else if (broken === 8) bad[10] = "d".repeat(101);
    else if (broken === 9) bad[0] = "Zero\u200bWidth";
    else if (broken === 10) bad[9] = `"quoted"@example.com`;
    else if (broken === 11) bad[5] = "ıl";
    day1.push(broken >= 0 ? bad : row);
    // The same person again: another department (another spelling of one, or the e-mail in
    // capitals), sometimes a line that disagrees with the first.
    if (p % 3 === 0 || p % 9 === 2) {
      const again = [...row];
      again[10] = pick(pick(DEPARTMENT_SPELLINGS));
      if (p % 2 === 0) again[9] = again[9].toUpperCase();
      if (p % 12 === 6) again[4] = "Elsewhere";
      day1.push(again);
    }
    if (p === 5) day1.push(COLUMNS.map(() => ""), { raw: "" });
    if (p === 10) day1.push({ raw: "only,three,fields" });
    if (p === 11) day1.push({ bytes: [0x4a, 0x6f, 0x73, 0xe9, 0x2c, 0x50, 0x65, 0xf1, 0x61, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x6a, 0x40, 0x78, 0x2e, 0x63, 0x6f, 0x2c] });

    // The next day: the fixed row, and changes.
    const next = [...row];
    if (p % 4 === 0) next[7] = `555-${String(p).padStart(4, "0")}`;
    if (p % 5 === 1) next[10] = pick(pick(DEPARTMENT_SPELLINGS));
    if (p % 6 === 5) next[9] = next[9].toUpperCase();
    if (p % 8 === 7) next[5] = "Texas";
    if (p % 10 === 3) next[8] = "";
    day2.push(next);
    if (p % 3 === 0) day2.push([...next.slice(0, 10), pick(pick(DEPARTMENT_SPELLINGS))]);
  }
  for (let p = people; p < people + 3; p++) {
    const first = name();
    day2.push([first, name(), "", "", "Albany", "ny", "2207", "", "", `new.${p}@example.com`, pick(pick(DEPARTMENT_SPELLINGS))]);
  }
  return [day1, day2];
}

/** The bytes of a file of `lines` in `style`, leaving out the columns `drop` names. */
export function csvBytes(lines: Line[], style: CsvStyle, drop: string[] = []): Buffer {
  const keep = COLUMNS.map((c, i) => (drop.includes(c) ? -1 : i)).filter((i) => i >= 0);
  if (style.shuffled) keep.reverse();
  const cell = (v: string) => (v.includes(style.separator) || /["\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const parts: Buffer[] = [Buffer.from(style.bom ? "\ufeff" : "")];
  for (const [n, line] of lines.entries()) {
    if ("raw" in line) parts.push(Buffer.from(line.raw.replaceAll(",", style.separator)));
    else if ("bytes" in line) parts.push(Buffer.from(line.bytes.map((b) => (b === 0x2c ? style.separator.charCodeAt(0) : b))));
    else {
      const cells = keep.map((i) => (n === 0 && style.shuffled ? line[i].toUpperCase() : line[i]));
      if (style.shuffled) cells.splice(2, 0, n === 0 ? "Notes" : `note ${n}`);
      parts.push(Buffer.from(cells.map(cell).join(style.separator)));
    }
    parts.push(Buffer.from(style.lineEnd));
  }
  return Buffer.concat(parts);
}

/** The physical line of each row of cells (1-based, the header is line 1), as a file of `lines` has it. */
function cellLines(lines: Line[]): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let line = 1;
  for (const [n, l] of lines.entries()) {
    if (n > 0 && Array.isArray(l)) rows.push({ line, cells: l });
    line += Array.isArray(l) ? l.join("").split("\n").length : 1;
  }
  return rows;
}

/** The rows of a rejects report (CSV: quoted fields, "" for a quote, CRLF between rows). */
function parseReport(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  for (let i = 0, quoted = false; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(cell), (cell = "");
    else if (c === "\r" && text[i + 1] === "\n") row.push(cell), rows.push(row), (row = []), (cell = ""), i++;
    else cell += c;
  }
  return rows.slice(1);
}

/**
 * The fourth way: the API's own validation (validateRecord, what POST /contacts runs) on every row
 * of `lines` must refuse what the load rejected, field by field in the same words, and accept the
 * rest (a line rejected only for disagreeing with the same person's earlier line is valid alone).
 */
export function assertSameValidation(lines: Line[], dropped: string[], load: { rejects: string | null; fixed: RowFix[] | null }, label: string): void {
  const byLine = new Map<number, [string, string][]>();
  const conflicts = new Set<number>();
  for (const [line, field, reason] of parseReport(load.rejects ?? "line,field,reason,value\r\n")) {
    if (/ is also on line \d+; this line differs/.test(reason)) conflicts.add(Number(line));
    else byLine.set(Number(line), [...(byLine.get(Number(line)) ?? []), [field === contactRecord.links.csvColumn ? contactRecord.links.name : field, reason]]);
  }
  const fixesByLine = new Map<number, [string, string, string, string][]>();
  for (const f of load.fixed ?? []) fixesByLine.set(f.line!, [...(fixesByLine.get(f.line!) ?? []), [f.field, f.from, f.to, f.reason]]);
  for (const { line, cells } of cellLines(lines)) {
    // What a load takes off every cell: the spreadsheet guard before = + - @, a tab or a CR.
    const cell = (i: number) => cells[i].replace(/^'(?=[=+\-@\t\r])/, "");
    if (cells.every((c) => c.trim() === "")) continue;
    // A field added to the definition is not among COLUMNS: absent from the file and the body alike.
    const read = contactRecord.fields.filter((f) => COLUMNS.includes(f.name) && !dropped.includes(f.name));
    const body: Record<string, unknown> = Object.fromEntries(read.map((f) => [f.name, cell(COLUMNS.indexOf(f.name))]));
    const department = dropped.includes(contactRecord.links.csvColumn) ? "" : cell(COLUMNS.indexOf(contactRecord.links.csvColumn)).trim();
    body[contactRecord.links.name] = department === "" ? [] : [department];
    const js = validateRecord(contactRecord, body, "create");
    const api = js.ok ? [] : js.errors.map((e) => [e.field.replace(/\[\d+\]$/, ""), e.message]);
    assert.deepEqual(byLine.get(line) ?? [], api, `${label}: line ${line} ${JSON.stringify(cells)}: the load's rejects and the API's errors differ`);
    // The repairs of a loaded line, in the same words as the API's warnings.
    if (js.ok && !conflicts.has(line)) {
      assert.deepEqual(fixesByLine.get(line) ?? [], js.fixes.map((f) => [f.field, f.from, f.to, f.message]), `${label}: line ${line} ${JSON.stringify(cells)}: the load's repairs and the API's differ`);
    }
  }
}

/** A way of loading: its name and how it loads the file at `csvPath` into the data dir `dataDir`. */
interface LoadPath {
  name: string;
  /** Starts what the path needs (the API for the hand-over), once per data dir. */
  open(dataDir: string): Promise<{ databaseUrl?: string; close(): Promise<void> }>;
}

async function server(dataDir: string, databaseUrl: string | undefined, announce: boolean): Promise<RunningServer & { stop(): Promise<void> }> {
  const s = await startServer({ dataDir, port: 0, host: "127.0.0.1", log: false, pollMs: 100, logError: () => {}, databaseUrl });
  const info = announce ? writeApiInfo(dataDir, s.url) : undefined;
  return Object.assign(s, {
    stop: async () => {
      if (info !== undefined) removeApiInfo(info);
      await s.close();
    },
  });
}

export const DIRECT: LoadPath = { name: "direct", open: async () => ({ close: async () => {} }) };
export const API: LoadPath = {
  name: "api",
  open: async (dataDir) => {
    const s = await server(dataDir, undefined, true);
    return { close: () => s.stop() };
  },
};
export const POSTGRES: LoadPath = {
  name: "postgres",
  open: async (dataDir) => ({ databaseUrl: await postgresDatabaseFor(dataDir), close: async () => {} }),
};

/** What a user sees after a load: the run, its rejects report, and the tables through the API. */
interface Seen {
  run: unknown;
  rejects: string | null;
  /** The repairs the load reported (its summary's first 100). */
  fixed: RowFix[] | null;
  /** The file's name in the load's summary (the CLI's report names it so). */
  source: string | null;
  contacts: Record<string, unknown>[];
  departments: unknown;
  lists: unknown;
  /** After the first load: the API's answers to a few writes (the fourth way data changes). */
  writes: unknown;
}

/** Lists whose order or members the derived columns decide. */
const QUERIES = [
  "sort=first_name", "sort=-last_name", "sort=company_name", "sort=city", "sort=state", "sort=zip", "sort=email",
  "q=jose", "q=ÑE", "q=example.com", "q=zoe", "company=esq", "company=INC", "department=ventas", "department=Diseno", "state=MA", "city=san%20jose",
];

/**
 * A few writes through the API between the first and the next day's load, the same on every path;
 * their answers (timestamps as the step that set them).
 */
async function apiWrites(url: string, stamps: Map<string, string>): Promise<unknown> {
  const answers: unknown[] = [];
  const call = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = (res.status === 204 ? {} : await res.json()) as Record<string, unknown>;
    for (const key of ["created_at", "updated_at"]) {
      if (typeof json[key] !== "string") continue;
      const stamp = `${json.id}:${key}:${json[key]}`;
      if (!stamps.has(stamp)) stamps.set(stamp, "write");
      json[key] = stamps.get(stamp);
    }
    answers.push([method, path, res.status, res.headers.get("etag"), json]);
  };
  // A person the next day's file brings, created first by hand (another case of the e-mail).
  await call("POST", "/contacts", { first_name: " Logan  Ray ", last_name: "Gar", city: "Albany", state: "ny", zip: "2207", email: "NEW.37@example.com", departments: ["ventas", "Nuevo"] });
  await call("PATCH", "/contacts/2", { city: "Boston ", departments: ["DISENO", "r&d"] });
  await call("PUT", "/contacts/3", { first_name: "Ana", last_name: "Lee", company_name: "Lee, Ann; Esq", state: "ma", zip: "2110", email: "ANA.LEE@example.com", departments: [] });
  await call("PATCH", "/contacts/4", { phone2: null });
  await call("POST", "/contacts", { first_name: "Bad", last_name: "State", state: "Texas", email: "bad@example.com" });
  await call("POST", "/contacts", { first_name: "Dup", last_name: "Licate", email: "NEW.38@EXAMPLE.COM", departments: ["Compras"] });
  await call("POST", "/contacts", { first_name: "Dup", last_name: "Again", email: "new.38@example.com" });
  // Gone by hand, and back with the next file (a new id); an e-mail taken over from the next file's person.
  await call("DELETE", "/contacts/5", undefined);
  await call("PATCH", "/contacts/6", { email: "New.36@Example.com", departments: [] });
  await call("PUT", "/contacts/7", { first_name: "Ελένη", last_name: "ΟΔΟΣ", company_name: "Øresund ApS", city: "İzmir", email: "eleni@example.com", departments: ["Ventas", "ΟΔΟΣ"] });
  return answers;
}

async function getJson(url: string): Promise<any> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url}: ${res.status}`);
  return res.json();
}

/** The codes of an unusable file (ContactsCsvError) and how the hand-over reports one (HandoverError). */
const UNUSABLE_FILE = ["unreadable", "empty-file", "missing-column", "duplicate-column", "header-repeated", "not-utf8", "not-csv", "api-rejected"];

/**
 * The run as compared: its run id, times (also in messages) and data dir taken out of the text.
 * Documented differences are made alike: an unusable file fails the hand-over with the API's 422
 * (`HandoverError("api-rejected")`, etl/contacts/README.md "Errors"; load_contacts_test.ts), whose
 * message names the file by its name where a direct load names its path.
 */
function plainRun(run: RunRecord, dataDir: string, csvPath: string): unknown {
  const error = run.error === null ? null : UNUSABLE_FILE.includes(run.error.code) ? { code: "unusable-file", message: run.error.message.replaceAll(csvPath, basename(csvPath)) } : run.error;
  const text = JSON.stringify({ status: run.status, counts: run.counts, changes: run.changes, findings: run.findings, error, file: run.file === null ? null : { name: run.file.name, size: run.file.size, sha256: run.file.sha256 } });
  return JSON.parse(text.replaceAll(run.id, "<run>").replaceAll(dataDir, "<data>").replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>"));
}

/**
 * Loads `files` one after another by `path` into a fresh data dir and returns what was seen after
 * each. Times are replaced by the step that set them (created_at, updated_at), since each path
 * runs at another moment.
 */
async function loadSequence(path: LoadPath, files: Buffer[], root: string, fileName: string): Promise<Seen[]> {
  const dataDir = join(root, path.name);
  // The same file name on every path: it is in the run's findings.
  const csvPath = join(root, `${path.name}-in`, fileName);
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(join(root, `${path.name}-in`));
  const opened = await path.open(dataDir);
  const seen: Seen[] = [];
  const stamps = new Map<string, string>();
  try {
    for (const [step, bytes] of files.entries()) {
      writeFileSync(csvPath, bytes);
      // A failed load is compared by its run record (status, error), as the person running it sees it.
      const result = await loadContacts({ csvPath, dataDir, databaseUrl: opened.databaseUrl }).catch(() => undefined);
      const fixed = result?.fixed ?? null;
      // How the CLI's report names the file (etl/report.ts).
      const source = result?.source ?? null;
      const runs = readRuns(dataDir);
      assert.equal(runs.length, step + 1, `${path.name}: one run per load`);
      const run = runs[step];
      let rejects: string | null = null;
      try {
        rejects = readFileSync(join(dataDir, "rejects", `contacts-${run.id}.csv`), "utf8");
      } catch {
        // No report: no rejects (compared as such).
      }
      // The tables as the API shows them (a reading API for the paths that have none running): after
      // the loads that write, and after the last (which would show anything the others wrote).
      if (step > 2 && step < files.length - 1) {
        seen.push({ run: plainRun(run, dataDir, csvPath), rejects, fixed, source, contacts: [], departments: null, lists: null, writes: undefined });
        continue;
      }
      const reader = path === API ? undefined : await server(dataDir, opened.databaseUrl, false);
      const url = reader?.url ?? JSON.parse(readFileSync(join(dataDir, "api.json"), "utf8")).url;
      try {
        const contacts: Record<string, unknown>[] = [];
        let next: string | null = "";
        while (next !== null) {
          const page: { items: Record<string, unknown>[]; next_cursor: string | null } = await getJson(`${url}/contacts?limit=1000${next === "" ? "" : `&cursor=${encodeURIComponent(next)}`}`);
          contacts.push(...page.items);
          next = page.next_cursor;
        }
        for (const c of contacts) {
          // Its point read (cached by the API) shows the same, and its ETag the version.
          const res = await fetch(`${url}/contacts/${c.id}`);
          assert.deepEqual(await res.json(), c, `${path.name}: GET /contacts/${c.id} after load ${step + 1} differs from its list entry`);
          c.etag = res.headers.get("etag");
          for (const key of ["created_at", "updated_at"]) {
            const stamp = `${c.id}:${key}:${c[key]}`;
            if (!stamps.has(stamp)) stamps.set(stamp, `step ${step}`);
            c[key] = stamps.get(stamp);
          }
        }
        // What the derived columns (sort keys, search text, e-mail key) decide: orders and filters.
        const lists: Record<string, unknown> = {};
        for (const query of QUERIES) lists[query] = ((await getJson(`${url}/contacts?limit=1000&${query}`)).items as { id: number }[]).map((c) => c.id);
        const departments = await getJson(`${url}/departments`);
        const writes = step === 0 ? await apiWrites(url, stamps) : undefined;
        seen.push({ run: plainRun(run, dataDir, csvPath), rejects, fixed, source, contacts, departments, lists, writes });
      } finally {
        await reader?.stop();
      }
    }
  } finally {
    await opened.close();
  }
  return seen;
}

/** The paths this run compares: the first is the reference. */
export function loadPaths(): LoadPath[] {
  return onPostgres() ? [DIRECT, API, POSTGRES] : [DIRECT, API];
}

/** Loads each sequence by every path and fails on the first difference, naming the path, step and what differs. */
export async function assertSamePaths(files: Buffer[], label: string, fileName = "contacts.csv", reports: { rejects: string | null; fixed: RowFix[] | null }[] = []): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "contacts-paths-"));
  try {
    const [reference, ...others] = loadPaths();
    // Each path in a data dir (and database) of its own: they run side by side.
    const [expected, ...results] = await Promise.all([reference, ...others].map((path) => loadSequence(path, files, root, fileName)));
    reports.push(...expected.map((seen) => ({ rejects: seen.rejects, fixed: seen.fixed })));
    for (const [n, other] of others.entries()) {
      const got = results[n];
      for (const [step, want] of expected.entries()) {
        for (const key of ["run", "source", "rejects", "fixed", "writes", "departments", "contacts", "lists"] as const) {
          assert.deepEqual(got[step][key], want[key], `${label}: ${other.name} differs from ${reference.name} in ${key} after load ${step + 1}`);
        }
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export const STYLES: CsvStyle[] = [
  { separator: ",", lineEnd: "\n", bom: false },
  { separator: ";", lineEnd: "\r\n", bom: true, dropNextDay: ["phone2", "company_name"] },
  { separator: "\t", lineEnd: "\r\n", bom: false, shuffled: true, name: "Contactos (2) España.csv", dropNextDay: ["department"] },
];

for (const [i, style] of STYLES.entries()) {
  const seed = 11 + i * 7;
  test(`every load path gives the same contacts, runs and rejects (seed ${seed}, ${JSON.stringify(style)})`, async () => {
    const [day1, day2] = messyDays(seed);
    const first = csvBytes(day1, style);
    const next = csvBytes(day2, style, style.dropNextDay);
    // Every row rejected: a failed run. A required column missing: an unusable file.
    const allRejected = csvBytes([COLUMNS, ["Ann", "Lee", "", "", "", "Texas", "", "", "", "ann@example.com", "Ventas"], { raw: "a,b" }], style);
    const noEmail = csvBytes([COLUMNS, ["Ann", "Lee", "", "", "", "NY", "", "", "", "ann@example.com", "Ventas"]], style, ["email"]);
    const headerOnly = csvBytes([COLUMNS], style);
    const reports: { rejects: string | null; fixed: RowFix[] | null }[] = [];
    // The first file, the next day's, the first again (changed back), again (unchanged: skipped), then broken ones.
    await assertSamePaths([first, next, first, first, allRejected, noEmail, headerOnly], `seed ${seed}`, style.name, reports);
    assertSameValidation(day1, [], reports[0], `seed ${seed}, first file`);
    assertSameValidation(day2, style.dropNextDay ?? [], reports[1], `seed ${seed}, next day's file`);
  });
}

// Shrunk from the runs above: a file named as people name theirs (a browser's "(2)", an accent).
// The API named it 'Contactos _2_ Espa_a.csv' in its summary and messages, a direct load by its name.
test("every load path names a file called 'Contactos (2) España.csv' by that name", async () => {
  await assertSamePaths([Buffer.from("first_name,last_name\nAnn,Lee\n"), Buffer.from("first_name,last_name,email\nAnn,Lee,ann@example.com\n")], "named", "Contactos (2) España.csv");
});
