/**
 * Differential fuzz of the CSV load: seeded random files of the users' shape are loaded by the real
 * `ingestContacts()` and read by an independent reference reader written here from the rules in
 * README.md and etl/contacts/README.md (RFC 4180 quoting; a BOM; LF, CRLF or CR line ends, one kind a
 * file; the header's `,`, `;` or tab; a quote opens a quoted field only at a field's start; empty rows
 * skipped; a file that is not UTF-8 refused whole, a UTF-8 file's damaged lines rejected one by one).
 * Both must agree on who is loaded (their values), which lines are rejected (line and field) and
 * which files are refused. Then valid files are mutated byte by byte and the load must end with a
 * result or a refusal, name only real lines, and keep every valid row above the mutation.
 * Deterministic: fixed seeds, bounded cases (CSV_FUZZ_CASES, CSV_FUZZ_MUTATIONS and CSV_FUZZ_SEED run
 * more). A failure prints the shrunk input as a JS string.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../db/mod.ts";
import type { IngestSummary } from "../handover/mod.ts";
import { ContactsCsvError, ingestContacts } from "./ingest_contacts.ts";
import { migrate } from "./migrate.ts";
import { contactRecord } from "./contact_record.ts";
import { validateRecord } from "./validate_contact.ts";
import { mulberry32 } from "../../scripts/testing/random.ts";
import { within } from "../../scripts/testing/within.ts";

const COLUMNS = ["first_name", "last_name", "company_name", "address", "city", "state", "zip", "phone1", "phone2", "email", "department"];
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

// ---------------------------------------------------------------------------------------------
// The reference reader.

/** What the reference expects of a file: a refusal, or the people loaded and the lines rejected. */
type Expected = { refused: string } | { people: string[]; rejects: string[] };

interface RefRecord {
  line: number;
  fields: Buffer[];
  /** Why the record cannot be read as fields, if it cannot. */
  malformed: string | null;
  /** Only line-end bytes, nothing else: a blank line. */
  blank: boolean;
}

/** Whether `bytes` from `i` is a well-formed UTF-8 sequence beyond ASCII; its length, or 0. */
function utf8Sequence(bytes: Buffer, i: number): number {
  const b = bytes[i];
  const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  for (let j = 1; j < length; j++) if ((bytes[i + j] & 0xc0) !== 0x80) return 0;
  const second = bytes[i + 1];
  if (b === 0xe0 && second < 0xa0) return 0; // overlong
  if (b === 0xed && second > 0x9f) return 0; // surrogate
  if (b === 0xf0 && second < 0x90) return 0; // overlong
  if (b === 0xf4 && second > 0x8f) return 0; // beyond U+10FFFF
  return length;
}

/** Offsets of the bytes that are not UTF-8, and whether any multi-byte sequence is well-formed. */
function utf8Damage(bytes: Buffer): { bad: number[]; multiByte: boolean } {
  const bad: number[] = [];
  let multiByte = false;
  for (let i = 0; i < bytes.length; ) {
    if (bytes[i] < 0x80) {
      i++;
      continue;
    }
    const n = utf8Sequence(bytes, i);
    if (n > 0) {
      multiByte = true;
      i += n;
    } else {
      bad.push(i);
      i++;
    }
  }
  return { bad, multiByte };
}

/** Splits `bytes` (BOM removed) into records, RFC 4180 with the documented extensions. */
function referenceRecords(bytes: Buffer, sep: number): { records: RefRecord[]; ends: Array<[string, number]> } {
  const records: RefRecord[] = [];
  const ends: Array<[string, number]> = [];
  let i = 0;
  let line = 1;
  const n = bytes.length;
  const eol = (at: number): number => (bytes[at] === CR ? (bytes[at + 1] === LF ? 2 : 1) : bytes[at] === LF ? 1 : 0);
  while (i < n) {
    const start = line;
    const fields: Buffer[] = [];
    let malformed: string | null = null;
    let cell: number[] = [];
    let fieldStart = true;
    let blank = true;
    for (;;) {
      if (i >= n) break;
      const c = bytes[i];
      const e = eol(i);
      if (e > 0) {
        ends.push([e === 2 ? "CRLF" : c === CR ? "CR" : "LF", line]);
        i += e;
        line++;
        break;
      }
      blank = false;
      if (fieldStart && c === QUOTE) {
        i++;
        let closed = false;
        // A line end inside the field, then text: the open field took in a line after its own.
        let newline = false;
        let spans = false;
        while (i < n) {
          if (bytes[i] === QUOTE) {
            if (bytes[i + 1] === QUOTE) {
              cell.push(QUOTE);
              if (newline) spans = true;
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          const inner = eol(i);
          if (inner > 0) line++;
          if (inner > 0) newline = true;
          else if (newline) spans = true;
          for (let k = 0; k < Math.max(inner, 1); k++) cell.push(bytes[i + k]);
          i += Math.max(inner, 1);
        }
        if (!closed) malformed ??= spans ? "unterminated quote taking in lines" : "unterminated quote";
        else if (i < n && bytes[i] !== sep && eol(i) === 0) malformed ??= "text after a closing quote";
        fieldStart = false;
        continue;
      }
      if (c === sep) {
        fields.push(Buffer.from(cell));
        cell = [];
        fieldStart = true;
        i++;
        continue;
      }
      cell.push(c);
      fieldStart = false;
      i++;
    }
    fields.push(Buffer.from(cell));
    records.push({ line: start, fields, malformed, blank });
  }
  return { records, ends };
}

/** A cell as the load validates it: a quoted CRLF is LF, a CSV export's formula guard taken off. */
function cleanCell(text: string): string {
  const cell = text.replaceAll("\r\n", "\n");
  return /^'+[=+@\t\r-]/.test(cell) ? cell.slice(1) : cell;
}

/** What loading `file` into empty tables should do, by the documented rules. */
function expected(file: Buffer): Expected {
  let bytes = file;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  if (file.length === 0) return { refused: "empty-file" };
  const damage = utf8Damage(file);
  if (damage.bad.length > 0 && !damage.multiByte) return { refused: "not-utf8" };
  // The separator: the header's comma, else `;`, else a tab.
  let sep = 0x2c;
  {
    const { records } = referenceRecords(bytes, 0x2c);
    const header = records[0]?.fields.map((f) => f.toString("utf8")) ?? [];
    if (header.length === 1) {
      const seen = referenceRecords(bytes, 0x3b).records[0]?.fields.length ?? 1;
      sep = seen > 1 ? 0x3b : (referenceRecords(bytes, 0x09).records[0]?.fields.length ?? 1) > 1 ? 0x09 : 0x2c;
    }
  }
  const { records, ends } = referenceRecords(bytes, sep);
  // A quote never closed that takes in the lines after its own: the file is refused, not loaded
  // with those lines lost.
  if (records.some((r) => r.malformed === "unterminated quote taking in lines")) return { refused: "unreadable" };
  const headerRecord = records[0];
  if (headerRecord === undefined || headerRecord.blank) return { refused: "empty-file" };
  const header = headerRecord.fields.map((f) => f.toString("utf8").trim().toLowerCase());
  const read = new Set([...COLUMNS]);
  const index = new Map<string, number>();
  for (const [i, name] of header.entries()) {
    if (name === "") continue;
    if (index.has(name)) {
      if (read.has(name)) return { refused: "duplicate-column" };
      continue;
    }
    index.set(name, i);
  }
  if (!["first_name", "last_name", "email"].every((c) => index.has(c))) return { refused: "missing-column" };
  const kinds = new Set(ends.map(([kind]) => kind));
  if (kinds.size > 1) return { refused: "unreadable" };
  // Bytes that are not UTF-8 reject the record they are in.
  let badAt = 0;
  const badLines = new Set<number>();
  {
    let line = 1;
    const offset = file.length - bytes.length;
    for (let i = 0; i < bytes.length && badAt < damage.bad.length; i++) {
      if (damage.bad[badAt] - offset === i) {
        badLines.add(line);
        badAt++;
      }
      if (bytes[i] === LF || (bytes[i] === CR && bytes[i + 1] !== LF)) line++;
    }
  }
  const width = header.length;
  const rejects: string[] = [];
  const first = new Map<string, Record<string, unknown>>();
  for (const r of records.slice(1)) {
    if (r.blank) continue;
    // A line of only spaces and tabs (separators too, when the tab is one) is a blank line as well.
    if (r.malformed === null && r.fields.map((f) => f.toString("utf8")).join(String.fromCharCode(sep)).trim() === "") continue;
    const lastLine = r.line + r.fields.reduce((s, f) => s + (f.toString("latin1").match(/\r\n|\r|\n/g)?.length ?? 0), 0);
    const damaged = [...badLines].some((l) => l >= r.line && l <= lastLine);
    // Extra fields that are all empty (trailing separators) are read as the header's width.
    if (r.fields.length > width && r.fields.slice(width).every((f) => f.length === 0)) r.fields.length = width;
    if (r.malformed !== null || r.fields.length !== width || damaged) {
      rejects.push(`${r.line}:*`);
      continue;
    }
    const cells = r.fields.map((f) => cleanCell(f.toString("utf8")));
    const input: Record<string, string> = {};
    for (const f of contactRecord.fields) if (index.has(f.name)) input[f.name] = cells[index.get(f.name)!];
    const dept = index.has("department") ? cells[index.get("department")!] : "";
    if (Object.values(input).every((v) => v.trim() === "") && dept.trim() === "") continue;
    const js = validateRecord(contactRecord, input, "create");
    const bad: string[] = js.ok ? [] : js.errors.map((e) => e.field);
    if (/[\x00-\x1f\x7f-\x9f]/.test(dept) || [...dept.trim()].length > 100) bad.push("department");
    if (bad.length > 0 || !js.ok) {
      for (const field of bad) rejects.push(`${r.line}:${field}`);
      continue;
    }
    const key = String(js.value.email).toLowerCase();
    const earlier = first.get(key);
    const values = Object.fromEntries(contactRecord.fields.map((f) => [f.name, js.value[f.name] ?? null]));
    if (earlier === undefined) first.set(key, values);
    else if (contactRecord.fields.some((f) => f.name !== "email" && earlier[f.name] !== values[f.name])) rejects.push(`${r.line}:email`);
  }
  return { people: [...first.values()].map((v) => JSON.stringify(v)).sort(), rejects: rejects.sort() };
}

// ---------------------------------------------------------------------------------------------
// The product, loaded into empty tables.

type Outcome = { refused: string; message: string } | { people: string[]; rejects: string[]; summary: IngestSummary };

class Harness {
  #dir = mkdtempSync(join(tmpdir(), "contacts-fuzz-"));
  #db!: Database;
  #n = 0;

  async open(): Promise<void> {
    this.#db = await Database.open(join(this.#dir, "contacts.duckdb"));
    await migrate(this.#db);
  }

  async close(): Promise<void> {
    this.#db.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async load(file: Buffer): Promise<Outcome> {
    const db = this.#db;
    await db.run("DELETE FROM contact_departments; DELETE FROM contacts; DELETE FROM departments; DELETE FROM contact_loads");
    const path = join(this.#dir, `f${this.#n++ % 4}.csv`);
    writeFileSync(path, file);
    try {
      const summary = await within(20_000, "the load", ingestContacts(db, path, { sourceName: "fuzz.csv" }));
      const rows = await db.all<Record<string, unknown>>(`SELECT ${contactRecord.fields.map((f) => f.name).join(", ")} FROM contacts`);
      const people = rows.map((r) => JSON.stringify(Object.fromEntries(contactRecord.fields.map((f) => [f.name, r[f.name] ?? null])))).sort();
      const rejects = [...new Set(summary.rejects.map((r) => `${r.line}:${r.field}`))].sort();
      for (const text of [...summary.rejects.map((r) => r.reason), ...summary.warnings]) {
        assert.ok(!/\n\s+at /.test(String(text)), `a stack trace reached the report: ${text}`);
      }
      return { people, rejects, summary };
    } catch (error) {
      if (error instanceof ContactsCsvError) {
        assert.ok(!/\n\s+at /.test(error.message), `a stack trace in the refusal: ${error.message}`);
        return { refused: error.code, message: error.message };
      }
      throw error;
    }
  }
}

/** Where reference and product disagree, in words, or null. */
function disagreement(want: Expected, got: Outcome): string | null {
  if ("refused" in want || "refused" in got) {
    if ("refused" in want && "refused" in got && want.refused === got.refused) return null;
    return `reference: ${"refused" in want ? `refused (${want.refused})` : `loads ${want.people.length}, rejects ${want.rejects.join(" ")}`}; ` +
      `product: ${"refused" in got ? `refused (${got.refused}: ${got.message})` : `loads ${got.people.length}, rejects ${got.rejects.join(" ")}`}`;
  }
  const problems: string[] = [];
  if (want.rejects.join(" ") !== got.rejects.join(" ")) problems.push(`rejects: reference ${want.rejects.join(" ") || "none"}, product ${got.rejects.join(" ") || "none"}`);
  const missing = want.people.filter((p) => !got.people.includes(p));
  const extra = got.people.filter((p) => !want.people.includes(p));
  if (missing.length > 0) problems.push(`not loaded: ${missing.join(" ")}`);
  if (extra.length > 0) problems.push(`loaded but not expected: ${extra.join(" ")}`);
  return problems.length === 0 ? null : problems.join("; ");
}

// ---------------------------------------------------------------------------------------------
// The generator: files of the users' shape, with the faults users' files have.

const random = mulberry32;

const POOLS: Record<string, string[]> = {
  first_name: ["Ann", "Bob", "José", "李", "Zoë", "Mary  Ann", " Cid ", "", "123", "Dan"],
  last_name: ["Lee", "Peña", "O'Brien", "de la Cruz", "Müller", 'Cox "Jr"', "Ray"],
  company_name: ["", "ACME", "Lee, Ann & Co", '24" Monitors', 'Say "hi"', "Benton; John", "Tab\there"],
  address: ["", "1 Main St", "1 Main St\nSuite 2", "PO Box 7\r\nFloor 2", "x".repeat(201)],
  city: ["Albany", "", "São Paulo", "Troy"],
  state: ["NY", "ny", "TX", "Texas", ""],
  zip: ["12204", "8014", "02110", "abc", ""],
  phone1: ["", "504-621-8927", "5.04E+09"],
  phone2: ["", "+34 600 000 000"],
  department: ["Sales", "", "Sales, East", "HR", "R&D \"Lab\""],
};

interface Shape {
  sep: string;
  eol: string;
}

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)];
}

function field(rnd: () => number, value: string, shape: Shape): string {
  const needs = value.includes(shape.sep) || value.includes('"') && value.startsWith('"') || /[\r\n]/.test(value) || value.startsWith('"');
  if (needs || rnd() < 0.15 || value.includes('"') && rnd() < 0.5) return `"${value.replaceAll('"', '""')}"`;
  return value;
}

/** One file of the users' shape, with faults chosen by `rnd`. */
function generate(rnd: () => number, faults: boolean): Buffer {
  const shape: Shape = { sep: pick(rnd, [",", ",", ",", ";", "\t"]), eol: pick(rnd, ["\n", "\n", "\r\n", "\r\n", "\r"]) };
  const parts: Buffer[] = [];
  if (rnd() < 0.3) parts.push(Buffer.from([0xef, 0xbb, 0xbf]));
  const header = rnd() < 0.2 ? COLUMNS.map((c) => c.toUpperCase()) : COLUMNS;
  parts.push(Buffer.from(header.join(shape.sep) + shape.eol));
  const rows = 1 + Math.floor(rnd() * 7);
  for (let r = 0; r < rows; r++) {
    const values = COLUMNS.map((c) => (c === "email" ? `p${r}@example.com` : pick(rnd, POOLS[c])));
    // Multi-line values are written with the file's own line end.
    let cells = values.map((v) => field(rnd, v.replace(/\r?\n/g, shape.eol), shape));
    let tail = shape.eol;
    let raw: Buffer | null = null;
    const fault = faults ? pick(rnd, ["none", "none", "none", "empty", "seps", "few", "many", "trailing", "unterminated", "stray", "after", "nul", "cr", "long", "damaged", "mixed", "utf8"]) : "none";
    switch (fault) {
      case "empty":
        cells = [];
        break;
      case "seps":
        cells = COLUMNS.map(() => "");
        break;
      case "few":
        cells = cells.slice(0, 1 + Math.floor(rnd() * (cells.length - 1)));
        break;
      case "many":
        cells = [...cells, "extra"];
        break;
      case "trailing":
        cells = [...cells, ""];
        break;
      case "unterminated": {
        const at = Math.floor(rnd() * cells.length);
        cells[at] = `"${values[at].replaceAll('"', "")}`;
        break;
      }
      case "stray": {
        const at = pick(rnd, [2, 4, 0]);
        cells[at] = `${values[at] || "x"}"y`.replaceAll(shape.sep, " ");
        break;
      }
      case "after":
        cells[2] = `"ab"cd`;
        break;
      case "nul":
        cells[pick(rnd, [0, 2, 4])] = "N\u0000ul";
        break;
      case "cr":
        cells[3] = pick(rnd, ['"a\rb"', "a\rb"]);
        break;
      case "long":
        cells[2] = pick(rnd, ["y".repeat(5000), `"${"z,".repeat(3000)}"`]);
        break;
      case "damaged":
        raw = Buffer.concat([Buffer.from(`${cells.slice(0, 2).join(shape.sep)}${shape.sep}B`), Buffer.from([pick(rnd, [0xff, 0xc3, 0x80])]), Buffer.from(`${shape.sep}${cells.slice(3).join(shape.sep)}`)]);
        break;
      case "mixed":
        tail = shape.eol === "\n" ? "\r\n" : "\n";
        break;
      case "utf8":
        cells[0] = "Renée 😀";
        break;
    }
    if (r === rows - 1 && rnd() < 0.25) tail = "";
    parts.push(raw ?? Buffer.from(cells.join(shape.sep)), Buffer.from(tail));
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// Shrinking: the smallest file (whole lines, then bytes) that still fails.

async function shrink(input: Buffer, fails: (b: Buffer) => Promise<boolean>, budget = 400): Promise<Buffer> {
  let best = input;
  const attempt = async (candidate: Buffer): Promise<boolean> => {
    if (candidate.length >= best.length || budget-- <= 0) return false;
    if (!(await fails(candidate))) return false;
    best = candidate;
    return true;
  };
  for (let changed = true; changed && budget > 0; ) {
    changed = false;
    // Drop a line (after the header), then a run of bytes, then one byte.
    const lines = splitLines(best);
    for (let i = lines.length - 1; i >= 1; i--) {
      if (await attempt(Buffer.concat(lines.filter((_, j) => j !== i)))) {
        changed = true;
        break;
      }
    }
    if (changed) continue;
    for (const size of [1024, 128, 16, 4, 1]) {
      for (let at = best.length - size; at >= 0; at -= size === 1 ? 1 : Math.ceil(size / 2)) {
        if (await attempt(Buffer.concat([best.subarray(0, at), best.subarray(at + size)]))) {
          changed = true;
          break;
        }
      }
      if (changed) break;
    }
  }
  return best;
}

function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === LF || (bytes[i] === CR && bytes[i + 1] !== LF)) {
      lines.push(bytes.subarray(from, i + 1));
      from = i + 1;
    }
  }
  if (from < bytes.length) lines.push(bytes.subarray(from));
  return lines;
}

/** The bytes as a JS string literal (every byte that is not printable ASCII escaped). */
function literal(bytes: Buffer): string {
  let text = "";
  for (const b of bytes) {
    text += b === 0x22 ? '\\"' : b === 0x5c ? "\\\\" : b === LF ? "\\n" : b === CR ? "\\r" : b === 0x09 ? "\\t" : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return `Buffer.from("${text}", "latin1")`;
}

// ---------------------------------------------------------------------------------------------

const CASES = Number(process.env.CSV_FUZZ_CASES ?? 35);
const MUTATIONS = Number(process.env.CSV_FUZZ_MUTATIONS ?? 35);
const SEED = Number(process.env.CSV_FUZZ_SEED ?? 20260301);

test("the CSV load agrees with a reference reader on generated files", async () => {
  const harness = new Harness();
  await harness.open();
  try {
    const failures: string[] = [];
    for (let c = 0; c < CASES && failures.length < 3; c++) {
      const file = generate(random(SEED + c), true);
      const problem = disagreement(expected(file), await harness.load(file));
      if (problem === null) continue;
      const small = await shrink(file, async (b) => disagreement(expected(b), await harness.load(b)) !== null);
      failures.push(`case ${c}: ${literal(small)}\n  ${disagreement(expected(small), await harness.load(small))}`);
    }
    assert.deepEqual(failures, []);
  } finally {
    await harness.close();
  }
});

test("a mutated file loads or is refused clearly, names real lines and keeps the rows above the mutation", async () => {
  const harness = new Harness();
  await harness.open();
  try {
    const failures: string[] = [];
    const check = async (file: Buffer, at: number): Promise<string | null> => {
      let got: Outcome;
      try {
        got = await harness.load(file);
      } catch (error) {
        return `crashed: ${(error as Error).message.split("\n")[0]}`;
      }
      if ("refused" in got) return got.message.length > 0 ? null : "refused without a message";
      const lines = splitLines(file).length;
      const unreal = got.summary.rejects.filter((r) => r.line !== null && (r.line < 2 || r.line > lines));
      if (unreal.length > 0) return `names lines the file does not have (${lines} lines): ${unreal.map((r) => r.line).join(", ")}`;
      // The rows wholly above the mutation's line (and not the header) load as they would without it.
      const mutatedLine = splitLines(file.subarray(0, at)).length;
      const above = Buffer.concat(splitLines(file).slice(0, Math.max(1, mutatedLine - 1)));
      const want = expected(above);
      if ("refused" in want || mutatedLine <= 2) return null;
      const lost = want.people.filter((p) => !got.people.includes(p));
      return lost.length === 0 ? null : `lost rows above the mutation (line ${mutatedLine}): ${lost.join(" ")}`;
    };
    for (let c = 0; c < MUTATIONS && failures.length < 3; c++) {
      const rnd = random(SEED * 7 + c);
      const valid = generate(rnd, false);
      const at = Math.floor(rnd() * valid.length);
      const byte = pick(rnd, [QUOTE, CR, LF, 0x2c, 0x3b, 0x00, 0xff, 0xc3, Math.floor(rnd() * 256)]);
      const kind = pick(rnd, ["insert", "delete", "flip"]);
      const mutated =
        kind === "insert" ? Buffer.concat([valid.subarray(0, at), Buffer.from([byte]), valid.subarray(at)])
        : kind === "delete" ? Buffer.concat([valid.subarray(0, at), valid.subarray(at + 1)])
        : Buffer.concat([valid.subarray(0, at), Buffer.from([valid[at] ^ (1 << Math.floor(rnd() * 8))]), valid.subarray(at + 1)]);
      const problem = await check(mutated, at);
      if (problem !== null) failures.push(`mutation ${c} (${kind} at ${at}): ${literal(mutated)}\n  ${problem}`);
    }
    assert.deepEqual(failures, []);
  } finally {
    await harness.close();
  }
});
