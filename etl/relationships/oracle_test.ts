// A model-based test of the whole relationship path: random small workbooks (seeded) written as real
// .xlsx bytes, loaded by the real `loadRelationships()` in sequences of 2-4 versions, served by the
// real API, and every answer compared with a small independent oracle written from the READMEs
// (this file, `etl/relationships/README.md`, `api/README.md`), not from the code:
//
// - a pair is an unordered pair of actors marked 1 in either direction; `a_to_b` is the cell at
//   row a, column b (true 1, false 0, null blank or no such cell); the diagonal is never a pair;
// - `degree` counts an actor's pairs; `unknown_cells` the blank cells of its matrix row, the
//   diagonal excluded (a header actor without a row: n - 1; an actor only in the list: none, 0);
// - `/relationships/path` follows pairs "in either direction": a pair marked 1 one way only (the
//   other 0 or blank) links its actors, a pair blank both ways is no pair and links nothing;
// - `/matrix` rows are the cells as typed ('1', '0', '.'), a header actor without a row is all '.';
// - `/changes`: actors added/removed (field actor_name) or changed per field, pairs added/removed
//   (`a_to_b/b_to_a`, `?` = unknown) or changed per direction, against the previous version.
//
// A disagreement is shrunk (versions, actors, rows, list entries, cells dropped one at a time) to
// a minimal sequence, which the failure prints with the answer expected and the one given.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../db/mod.ts";
import { fold } from "../text/mod.js";
import { letterCode } from "../../scripts/testing/matrix_workbook.ts";
import { mulberry32 } from "../../scripts/testing/random.ts";
import { testServer } from "../../scripts/testing/api_server.ts";
import { until } from "../../scripts/testing/until.ts";
import { xlsxBytes, type CellInput, type SheetSpec } from "../../scripts/testing/xlsx_writer.ts";
import { loadRelationships, snapshotPath } from "./mod.ts";
import type { ChangeRow } from "./mod.ts";

type Cell = 0 | 1 | null;
type Dir = boolean | null;

/** One workbook as the generator wrote it: the matrix (header, its codes, data rows) and the list. */
interface Book {
  header: number[];
  headerCodes: (string | null)[];
  /** Data rows in sheet order; `cells[p]` is the cell under header position p. */
  rows: { id: number; code: string | null; cells: Cell[] }[];
  /** List rows in sheet order. */
  list: { id: number; code: string | null; name: string | null }[];
}

// ---------------------------------------------------------------------------------------------
// The generator

function generate(seed: number): Book {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const n = 1 + Math.floor(rnd() * rnd() * 40); // mostly small, up to 40
  const universe = new Set<number>();
  while (universe.size < n) universe.add(1 + Math.floor(rnd() * (3 * n + 5)));
  const ids = shuffle([...universe], rnd);
  // Most actors are in the header, some only have a row, some only the list.
  const header = ids.filter(() => rnd() < 0.85);
  if (header.length === 0) header.push(ids[0]);
  orderHeader(header, rnd);
  const density = pick([0, 0.05, 0.2, 0.5, 0.9, 1]);
  const blank = pick([0, 0, 0.1, 0.4]);
  const asym = pick([0, 0.05, 0.3]);
  const code = (id: number) => letterCode((id * 7 + seed) % 200);
  const other = (id: number) => (rnd() < 0.5 ? letterCode((id * 7 + seed + 1) % 200) : code(id).toLowerCase());
  const headerCodes = header.map((id) => (rnd() < 0.05 ? null : rnd() < 0.05 ? other(id) : code(id)));
  const rowIds = shuffle(ids.filter((id) => (header.includes(id) ? rnd() < 0.9 : rnd() < 0.5)), rnd);
  const base = new Map<string, 0 | 1>();
  const baseOf = (a: number, b: number): 0 | 1 => {
    const key = `${Math.min(a, b)}-${Math.max(a, b)}`;
    if (!base.has(key)) base.set(key, rnd() < density ? 1 : 0);
    return base.get(key)!;
  };
  const rowBlank = new Map(rowIds.map((id) => [id, rnd() < 0.15 ? 1 : blank]));
  const rows = rowIds.map((id) => ({
    id,
    code: rnd() < 0.05 ? null : rnd() < 0.05 ? other(id) : code(id),
    cells: header.map((b): Cell => {
      if (b === id) return pick([0, 0, null, 1]);
      if (rnd() < rowBlank.get(id)!) return null;
      const v = baseOf(id, b);
      return rnd() < asym ? ((1 - v) as 0 | 1) : v;
    }),
  }));
  const listed = shuffle(ids.filter(() => rnd() < 0.85), rnd);
  const list = listed.map((id, i) => ({
    id,
    // The first row names both, so it fixes the list's columns (README: code | id | name).
    code: i > 0 && rnd() < 0.08 ? null : rnd() < 0.08 ? other(id) : code(id),
    name: i > 0 && rnd() < 0.08 ? null : pick(["Ana", "Óscar", "Íñigo", "Zoe", "ana", "Ñandú", "Beto"]) + ` ${pick(["Peña", "Díaz", "Muñoz"])} ${id % 5}`,
  }));
  return { header, headerCodes, rows, list };
}

/** The next version: some cells, codes, names, rows and actors changed. */
function evolve(book: Book, seed: number): Book {
  const rnd = mulberry32(seed);
  if (rnd() < 0.15) return generate(seed);
  let next: Book = structuredClone(book);
  const max = Math.max(0, ...next.header, ...next.rows.map((r) => r.id), ...next.list.map((a) => a.id));
  if (rnd() < 0.4) {
    // An actor added to the header (and maybe the list), with a row.
    const id = max + 1 + Math.floor(rnd() * 3);
    const at = Math.floor(rnd() * (next.header.length + 1));
    next.header.splice(at, 0, id);
    next.headerCodes.splice(at, 0, letterCode(id % 200));
    for (const row of next.rows) row.cells.splice(at, 0, rnd() < 0.3 ? 1 : rnd() < 0.2 ? null : 0);
    if (rnd() < 0.8) next.rows.push({ id, code: letterCode(id % 200), cells: next.header.map((b) => (b === id ? 0 : rnd() < 0.3 ? 1 : 0)) });
    if (rnd() < 0.8) next.list.push({ id, code: letterCode(id % 200), name: `Nuevo ${id}` });
  }
  if (rnd() < 0.3 && next.header.length > 2) {
    // An actor removed from the header (its column), its row and the list.
    const at = Math.floor(rnd() * next.header.length);
    const id = next.header[at];
    next.header.splice(at, 1);
    next.headerCodes.splice(at, 1);
    for (const row of next.rows) row.cells.splice(at, 1);
    next.rows = next.rows.filter((r) => r.id !== id);
    if (rnd() < 0.7) next.list = next.list.filter((a) => a.id !== id || a === next.list[0]);
  }
  for (const row of next.rows) {
    for (let p = 0; p < row.cells.length; p++) {
      if (rnd() < 0.1) row.cells[p] = ([0, 1, null] as const)[Math.floor(rnd() * 3)];
    }
  }
  if (rnd() < 0.3 && next.list.length > 1) next.list.splice(1 + Math.floor(rnd() * (next.list.length - 1)), 1);
  const unlisted = next.rows.filter((r) => !next.list.some((a) => a.id === r.id));
  if (rnd() < 0.3 && unlisted.length > 0) next.list.push({ id: unlisted[0].id, code: unlisted[0].code, name: `Listado ${unlisted[0].id}` });
  for (const a of next.list) {
    if (rnd() < 0.1) a.name = a.name === null ? `Nombre ${a.id}` : `${a.name} bis`;
    if (rnd() < 0.05 && a !== next.list[0]) a.code = null;
  }
  if (rnd() < 0.2 && next.rows.length > 0) next.rows[0].code = letterCode((next.rows[0].id + 13) % 200);
  if (rnd() < 0.2) next = { ...next, rows: shuffle(next.rows, rnd), list: [next.list[0], ...shuffle(next.list.slice(1), rnd)].filter(Boolean) };
  orderHeaderKeepingCells(next, rnd);
  return next;
}

function shuffle<T>(xs: T[], rnd: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Ids in any order, but with two adjacent increasing ones: the README's header (else no matrix is found). */
function orderHeader(header: number[], rnd: () => number): void {
  shuffle(header, rnd).forEach((id, i) => (header[i] = id));
  if (rnd() < 0.3) header.sort((a, b) => a - b);
  if (header.length >= 2 && !header.some((id, i) => i > 0 && header[i - 1] < id)) [header[0], header[1]] = [header[1], header[0]];
}

function orderHeaderKeepingCells(book: Book, rnd: () => number): void {
  if (rnd() < 0.7) return;
  const order = book.header.map((_, p) => p);
  const ids = order.map((p) => book.header[p]);
  orderHeader(ids, rnd);
  const from = ids.map((id) => book.header.indexOf(id));
  book.headerCodes = from.map((p) => book.headerCodes[p]);
  for (const row of book.rows) row.cells = from.map((p) => row.cells[p]);
  book.header = ids;
}

/** The workbook in the users' layout: ids in row 1 from C, codes in row 2, rows from 3 (id in A, code in B); the list's title in B4, then code | id | name. */
function sheetsOf(book: Book, seed: number): SheetSpec[] {
  const rnd = mulberry32(seed ^ 0x5eed);
  // Text a cell may hold for the same value (README: one rule for numbers and text).
  const spell = (v: Cell): CellInput => (v === null ? (rnd() < 0.1 ? " " : null) : rnd() < 0.05 ? (v === 1 ? " 1 " : "0.0") : v);
  const matrix: CellInput[][] = [
    [null, null, ...book.header],
    [null, null, ...book.headerCodes],
    ...book.rows.map((r) => [r.id, r.code, ...r.cells.map(spell)]),
  ];
  const list: CellInput[][] = [[], [], [], [null, "Lista de actores"], ...book.list.map((a) => [a.code, a.id, a.name])];
  return [
    { name: "Matriz de adyacencia", rows: matrix },
    { name: "Lista de actores", rows: list },
  ];
}

// ---------------------------------------------------------------------------------------------
// The oracle

interface OActor {
  id: number;
  letter_code: string | null;
  name: string | null;
  degree: number;
  in_matrix: boolean;
  in_list: boolean;
  unknown_cells: number;
  list_letter_code: string | null;
  matrix_position: number | null;
}
interface OPair {
  a: number;
  b: number;
  ab: Dir;
  ba: Dir;
}
interface Model {
  /** Null when the load must fail (README: no header row of two adjacent increasing ids). */
  ok: boolean;
  actors: Map<number, OActor>;
  pairs: OPair[];
  header: number[];
  /** Row string per header position. */
  matrix: string[];
  /** matrix_rows: [numeric_id, matrix_position, cells] per data row, by id. */
  matrixRows: [number, number | null, string][];
  sheetRow: (number | null)[];
  counts: { one: number; zero: number; unknown: number };
  findings: Map<string, number>;
  layout: { sheet: string; header_row: number; first_col: number; code_row: number | null; id_col: number | null; code_col: number | null };
}

function oracle(book: Book): Model {
  const n = book.header.length;
  // README: the header is a row of two adjacent increasing ids; the list needs a row with an id next to a code or name.
  const ok = book.header.some((id, i) => i > 0 && book.header[i - 1] < id) && book.list.length > 0;
  const pos = new Map(book.header.map((id, p) => [id, p]));
  const row = new Map(book.rows.map((r) => [r.id, r]));
  const listed = new Map(book.list.map((a) => [a.id, a]));
  const cell = (a: number, b: number): Cell => {
    const r = row.get(a);
    const p = pos.get(b);
    return r === undefined || p === undefined ? null : r.cells[p];
  };
  const dir = (c: Cell): Dir => (c === null ? null : c === 1);
  const ids = [...new Set([...pos.keys(), ...row.keys(), ...listed.keys()])].sort((x, y) => x - y);
  const findings = new Map<string, number>();
  const note = (check: string, k = 1) => k > 0 && findings.set(check, (findings.get(check) ?? 0) + k);
  const pairs: OPair[] = [];
  for (const a of ids) {
    for (const b of ids) {
      if (a >= b) continue;
      const ab = cell(a, b);
      const ba = cell(b, a);
      if (ab === 1 || ba === 1) pairs.push({ a, b, ab: dir(ab), ba: dir(ba) });
      if ((ab === 1 && ba === 0) || (ab === 0 && ba === 1)) note("asymmetric_pair");
    }
  }
  const actors = new Map<number, OActor>();
  const codeHolders = new Map<string, number>();
  for (const id of ids) {
    const p = pos.get(id);
    const r = row.get(id);
    const l = listed.get(id);
    const headerCode = p === undefined ? null : book.headerCodes[p];
    const rowCode = r?.code ?? null;
    const matrixCode = rowCode ?? headerCode;
    // Blank cells of its row, the diagonal excluded (api: "Blank cells in its matrix row (the diagonal excluded)").
    const unknown = r !== undefined ? r.cells.filter((c, q) => c === null && book.header[q] !== id).length : p !== undefined ? n - 1 : 0;
    const code = matrixCode ?? l?.code ?? null;
    if (code !== null) codeHolders.set(code.toUpperCase(), (codeHolders.get(code.toUpperCase()) ?? 0) + 1);
    if (p !== undefined && r === undefined) note("header_id_without_row");
    if (r !== undefined && p === undefined) note("row_not_in_header");
    if ((p !== undefined || r !== undefined) && l === undefined) note("not_in_list");
    if (l !== undefined && p === undefined && r === undefined) note("not_in_matrix");
    if (l !== undefined && l.name === null) note("list_name_blank");
    if (headerCode !== null && rowCode !== null && headerCode !== rowCode) note("code_mismatch_matrix");
    if (matrixCode !== null && l?.code && l.code !== matrixCode) note("code_mismatch_list");
    if (r !== undefined && p !== undefined && r.cells[p] === 1) note("diagonal_one");
    note("unknown_cells", unknown);
    actors.set(id, {
      id,
      letter_code: code,
      name: l?.name ?? null,
      degree: pairs.filter((x) => x.a === id || x.b === id).length,
      in_matrix: p !== undefined || r !== undefined,
      in_list: l !== undefined,
      unknown_cells: unknown,
      list_letter_code: l?.code ?? null,
      matrix_position: p ?? null,
    });
  }
  note("duplicate_code", [...codeHolders.values()].filter((k) => k > 1).length);
  const text = (c: Cell) => (c === null ? "." : String(c));
  const matrix = book.header.map((id) => row.get(id)?.cells.map(text).join("") ?? ".".repeat(n));
  let one = 0;
  let zero = 0;
  matrix.forEach((s, p) => [...s].forEach((c, q) => q !== p && (c === "1" ? one++ : c === "0" ? zero++ : 0)));
  const sheetRowOf = new Map(book.rows.map((r, i) => [r.id, 3 + i]));
  return {
    ok,
    actors,
    pairs,
    header: book.header,
    matrix,
    matrixRows: book.rows.map((r): [number, number | null, string] => [r.id, pos.get(r.id) ?? null, r.cells.map(text).join("")]).sort((x, y) => x[0] - y[0]),
    sheetRow: book.header.map((id) => sheetRowOf.get(id) ?? null),
    counts: { one, zero, unknown: n * (n - 1) - one - zero },
    findings,
    layout: {
      sheet: "Matriz de adyacencia",
      header_row: 1,
      first_col: 3,
      code_row: book.headerCodes.some((c) => c !== null) ? 2 : null,
      id_col: book.rows.length > 0 ? 1 : null,
      code_col: book.rows.some((r) => r.code !== null) ? 2 : null,
    },
  };
}

/** BFS distances from `from` over pairs, either direction. */
function distances(m: Model, from: number): Map<number, number> {
  const next = new Map<number, number[]>();
  for (const p of m.pairs) {
    next.set(p.a, [...(next.get(p.a) ?? []), p.b]);
    next.set(p.b, [...(next.get(p.b) ?? []), p.a]);
  }
  const dist = new Map([[from, 0]]);
  let frontier = [from];
  while (frontier.length > 0) {
    const out: number[] = [];
    for (const id of frontier) for (const o of next.get(id) ?? []) if (!dist.has(o)) (dist.set(o, dist.get(id)! + 1), out.push(o));
    frontier = out;
  }
  return dist;
}

/** A row of `changes`, as the pipeline defines it (the oracle computes its own). */
type OChange = ChangeRow;

function changesBetween(old: Model, now: Model): OChange[] {
  const out: OChange[] = [];
  const actor = (change: ChangeRow["change"], id: number, field: string | null, o: string | null, n: string | null) =>
    out.push({ entity: "actor", change, numeric_id: id, person_a: null, person_b: null, field, old_value: o, new_value: n });
  const pair = (change: ChangeRow["change"], a: number, b: number, field: string | null, o: string | null, n: string | null) =>
    out.push({ entity: "pair", change, numeric_id: null, person_a: a, person_b: b, field, old_value: o, new_value: n });
  for (const [id, o] of old.actors) if (!now.actors.has(id)) actor("removed", id, "actor_name", o.name, null);
  for (const [id, n] of now.actors) {
    const o = old.actors.get(id);
    if (o === undefined) {
      actor("added", id, "actor_name", null, n.name);
      continue;
    }
    for (const field of ["letter_code", "name", "list_letter_code", "in_matrix", "in_list"] as const) {
      const ov = o[field] === null ? null : String(o[field]);
      const nv = n[field] === null ? null : String(n[field]);
      if (ov !== nv) actor("changed", id, field === "name" ? "actor_name" : field, ov, nv);
    }
  }
  const key = (p: OPair) => `${p.a}-${p.b}`;
  const q = (d: Dir) => (d === null ? "?" : String(d));
  const oldPairs = new Map(old.pairs.map((p) => [key(p), p]));
  const newPairs = new Map(now.pairs.map((p) => [key(p), p]));
  for (const [k, o] of oldPairs) if (!newPairs.has(k)) pair("removed", o.a, o.b, null, `${q(o.ab)}/${q(o.ba)}`, null);
  for (const [k, n] of newPairs) {
    const o = oldPairs.get(k);
    if (o === undefined) pair("added", n.a, n.b, null, null, `${q(n.ab)}/${q(n.ba)}`);
    else {
      const s = (d: Dir) => (d === null ? null : String(d));
      if (o.ab !== n.ab) pair("changed", n.a, n.b, "a_to_b", s(o.ab), s(n.ab));
      if (o.ba !== n.ba) pair("changed", n.a, n.b, "b_to_a", s(o.ba), s(n.ba));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Running a sequence against the real load and the real API

class Disagreement extends Error {
  constructor(
    readonly what: string,
    detail: string,
  ) {
    super(`${what}: ${detail}`);
  }
}

function same(what: string, actual: unknown, expected: unknown): void {
  try {
    assert.deepStrictEqual(actual, expected);
  } catch {
    throw new Disagreement(what, `\n  expected ${JSON.stringify(expected)}\n  got      ${JSON.stringify(actual)}`);
  }
}

const summaryOf = (a: OActor) => ({ id: a.id, letter_code: a.letter_code, name: a.name, degree: a.degree, in_matrix: a.in_matrix, in_list: a.in_list, unknown_cells: a.unknown_cells });
const pairOf = (m: Model, p: OPair) => ({
  person_a_id: p.a,
  person_a_letter: m.actors.get(p.a)!.letter_code,
  person_a_name: m.actors.get(p.a)!.name,
  person_b_id: p.b,
  person_b_letter: m.actors.get(p.b)!.letter_code,
  person_b_name: m.actors.get(p.b)!.name,
  a_to_b: p.ab,
  b_to_a: p.ba,
});

/** Loads `books` in turn into a fresh data dir and checks every answer after each load; throws the first Disagreement. */
async function runSequence(books: Book[], seed: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "oracle-test-"));
  const workbook = join(dataDir, "book.xlsx");
  const server = await testServer(dataDir);
  const get: Get = Object.assign(
    async (path: string) => {
      const res = await fetch(server.url + path);
      return { status: res.status, body: (await res.json()) as any };
    },
    { url: server.url },
  );
  try {
    const published: Model[] = [];
    for (const [i, book] of books.entries()) {
      const model = oracle(book);
      writeFileSync(workbook, xlsxBytes(sheetsOf(book, seed * 31 + i)));
      const { run } = await loadRelationships({ workbook, dataDir, parquetDir: null, force: true });
      same(`load ${i + 1} status`, { status: run.status, error: run.error?.message ?? null }, { status: model.ok ? "succeeded" : "failed", error: model.ok ? null : run.error?.message ?? "any" });
      if (!model.ok) continue;
      published.push(model);
      const version = published.length;
      await until(`version ${version} served`, async () => (await get("/findings")).body.version_id === version);
      await checkTables(dataDir, model, `v${version}`);
      await checkVersion(get, model, `v${version}`);
      await checkHistory(get, published);
    }
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The published tables themselves, read with DuckDB. */
async function checkTables(dataDir: string, m: Model, v: string): Promise<void> {
  const db = await Database.open(snapshotPath(dataDir), { readOnly: true });
  try {
    const actors = await db.all<Record<string, unknown>>(
      `SELECT numeric_id, letter_code, actor_name, list_letter_code, in_matrix, in_list, matrix_position, degree, unknown_cells FROM actors ORDER BY numeric_id`,
    );
    same(
      `${v} table actors`,
      actors,
      [...m.actors.values()].map((a) => ({
        numeric_id: a.id, letter_code: a.letter_code, actor_name: a.name, list_letter_code: a.list_letter_code, in_matrix: a.in_matrix, in_list: a.in_list,
        matrix_position: a.matrix_position, degree: a.degree, unknown_cells: a.in_matrix ? a.unknown_cells : null,
      })),
    );
    same(`${v} table user_relationships`, await db.all("SELECT person_a, person_b, a_to_b, b_to_a FROM user_relationships ORDER BY 1, 2"), m.pairs.map((p) => ({ person_a: p.a, person_b: p.b, a_to_b: p.ab, b_to_a: p.ba })));
    same(
      `${v} view v_actor_relationships`,
      await db.all("SELECT * FROM v_actor_relationships ORDER BY 1, 4"),
      m.pairs.map((p) => pairOf(m, p)),
    );
    same(
      `${v} table matrix_rows`,
      (await db.all<{ numeric_id: number; matrix_position: number | null; cells: string }>("SELECT * FROM matrix_rows ORDER BY numeric_id")).map((r) => [r.numeric_id, r.matrix_position, r.cells]),
      m.matrixRows,
    );
  } finally {
    db.close();
  }
}

/** GET of a path on the test server, its JSON answer; `url` is the server's. */
type Get = { (path: string): Promise<{ status: number; body: any }>; url: string };

async function all(get: Get, path: string, key = "items"): Promise<unknown[]> {
  const items: unknown[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const res = await get(cursor === null ? path : `${path}${sep}cursor=${encodeURIComponent(cursor)}`);
    if (res.status !== 200) throw new Disagreement(path, `status ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...res.body[key]);
    cursor = res.body.next_cursor;
  } while (cursor !== null);
  return items;
}

async function checkVersion(get: Get, m: Model, v: string): Promise<void> {
  const actors = [...m.actors.values()];
  const byId = [...actors].sort((x, y) => x.id - y.id);
  same(`${v} GET /actors?sort=id`, await all(get, "/actors?sort=id&limit=7"), byId.map(summaryOf));
  same(`${v} GET /actors?sort=degree`, await all(get, "/actors?sort=degree&limit=5"), [...byId].sort((x, y) => y.degree - x.degree || x.id - y.id).map(summaryOf));
  const nameKey = (a: OActor) => fold(a.name);
  same(
    `${v} GET /actors?sort=name`,
    await all(get, "/actors?sort=name&limit=6"),
    [...byId].sort((x, y) => (nameKey(x) < nameKey(y) ? -1 : nameKey(x) > nameKey(y) ? 1 : x.id - y.id)).map(summaryOf),
  );
  const upper = new Map<string, number>();
  for (const a of actors) for (const c of new Set([a.letter_code, a.list_letter_code].map((x) => x?.toUpperCase()))) if (c) upper.set(c, (upper.get(c) ?? 0) + 1);
  for (const a of actors) {
    same(`${v} GET /actors/${a.id}`, (await get(`/actors/${a.id}`)).body, a);
    const related = m.pairs
      .filter((p) => p.a === a.id || p.b === a.id)
      .map((p) => {
        const other = p.a === a.id ? p.b : p.a;
        const [out, inc] = p.a === a.id ? [p.ab, p.ba] : [p.ba, p.ab];
        const o = m.actors.get(other)!;
        return { id: other, letter_code: o.letter_code, name: o.name, a_to_b: out, b_to_a: inc, outgoing: out, incoming: inc };
      })
      .sort((x, y) => x.id - y.id);
    same(`${v} GET /actors/${a.id}/relationships`, (await get(`/actors/${a.id}/relationships`)).body, { items: related });
    same(`${v} GET /relationships?actor=${a.id}`, await all(get, `/relationships?actor=${a.id}&limit=3`), m.pairs.filter((p) => p.a === a.id || p.b === a.id).map((p) => pairOf(m, p)));
    // By code: the matrix's or the list's, any case; a code two actors share is a 409.
    const code = a.letter_code;
    if (code !== null && /^\p{L}+$/u.test(code)) {
      const res = await get(`/actors/${encodeURIComponent(code.toLowerCase())}`);
      same(`${v} GET /actors/${code.toLowerCase()}`, upper.get(code.toUpperCase()) === 1 ? [res.status, res.body.id] : [res.status], upper.get(code.toUpperCase()) === 1 ? [200, a.id] : [409]);
    }
  }
  const missing = Math.max(0, ...m.actors.keys()) + 1;
  same(`${v} GET /relationships?actor=${missing}`, await all(get, `/relationships?actor=${missing}`), []);
  same(`${v} GET /actors/${missing}`, (await get(`/actors/${missing}`)).status, 404);
  same(`${v} GET /relationships`, await all(get, "/relationships?limit=4"), m.pairs.map((p) => pairOf(m, p)));

  // Shortest chains: every ordered pair of a few actors, their length and that each hop is a pair.
  const pairKeys = new Set(m.pairs.map((p) => `${p.a}-${p.b}`));
  const sample = byId.filter((_, i) => i % Math.max(1, Math.floor(byId.length / 5)) === 0).slice(0, 5);
  for (const from of sample) {
    const dist = distances(m, from.id);
    for (const to of byId) {
      const path = `/relationships/path?from=${from.id}&to=${to.id}`;
      const res = await get(path);
      if (!dist.has(to.id)) {
        same(`${v} GET ${path}`, [res.status, res.body.type], [404, "/docs#problem-no-path"]);
        continue;
      }
      const chain: number[] = res.status === 200 ? res.body.path.map((s: { id: number }) => s.id) : [];
      const hops = chain.slice(1).every((id, i) => pairKeys.has(`${Math.min(id, chain[i])}-${Math.max(id, chain[i])}`));
      same(`${v} GET ${path}`, [res.status, res.body.length, chain[0], chain.at(-1), hops], [200, dist.get(to.id), from.id, to.id, true]);
      same(`${v} GET ${path} actors`, res.body.path, chain.map((id) => summaryOf(m.actors.get(id)!)));
    }
  }

  // The matrix, window by window.
  const n = m.header.length;
  const rows: unknown[] = [];
  for (let offset = 0; offset < n; offset += 7) {
    const res = await get(`/matrix?offset=${offset}&limit=7`);
    rows.push(...res.body.rows);
    same(`${v} GET /matrix?offset=${offset}`, [res.body.total, res.body.offset, res.body.counts, res.body.layout], [n, offset, m.counts, m.layout]);
    same(
      `${v} GET /matrix header`,
      res.body.actors,
      m.header.map((id, p) => ({ id, letter_code: m.actors.get(id)!.letter_code, name: m.actors.get(id)!.name, sheet_row: m.sheetRow[p] })),
    );
  }
  same(`${v} GET /matrix rows`, rows, m.header.map((id, p) => ({ id, cells: m.matrix[p] })));
  // The binary form (api/README.md): RMX1, n, offset, rows, then ceil(n/4) bytes a row, 0 blank, 1 = 0, 2 = 1.
  const bytes = Buffer.from(await (await fetch(`${get.url}/matrix?format=binary`)).arrayBuffer());
  const width = (n + 3) >> 2;
  const decoded = Array.from({ length: bytes.readUInt32LE(12) }, (_, r) =>
    Array.from({ length: n }, (_, j) => ".01"[(bytes[16 + r * width + (j >> 2)] >> ((j & 3) << 1)) & 3]).join(""),
  );
  same(`${v} GET /matrix?format=binary`, [bytes.subarray(0, 4).toString("latin1"), bytes.readUInt32LE(4), bytes.readUInt32LE(8), decoded], ["RMX1", n, 0, m.matrix]);

  const findings = (await get("/findings")).body.items as { check: string; count: number }[];
  same(
    `${v} GET /findings (check: count)`,
    Object.fromEntries(findings.map((f) => [f.check, f.count])),
    Object.fromEntries([...m.findings].sort(([a], [b]) => (a < b ? -1 : 1)).filter(([, k]) => k > 0)),
  );
}

async function checkHistory(get: Get, published: Model[]): Promise<void> {
  const last = published.length;
  const now = published[last - 1];
  const byVersion = published.map((m, i) => (i === 0 ? [] : changesBetween(published[i - 1], m)));
  const distinct = (rows: OChange[], entity: string, change: string) =>
    new Set(rows.filter((c) => c.entity === entity && c.change === change).map((c) => c.numeric_id ?? `${c.person_a}-${c.person_b}`)).size;
  const versions = (await all(get, "/versions?limit=2")) as any[];
  same(
    `v${last} GET /versions`,
    versions.map((x) => ({ version_id: x.version_id, actors: x.actors, pairs: x.pairs, changes: x.changes, current: x.current, restored_from: x.restored_from })),
    published
      .map((m, i) => ({
        version_id: i + 1,
        actors: m.actors.size,
        pairs: m.pairs.length,
        changes: Object.fromEntries(
          ["actor", "pair"].flatMap((e) => ["added", "removed", "changed"].map((c) => [`${e}s_${c}`, distinct(byVersion[i], e, c)])),
        ),
        current: i + 1 === last,
        restored_from: null,
      }))
      .reverse(),
  );
  const shape = (c: any): OChange & { version_id: number } => ({
    version_id: c.version_id,
    entity: c.entity,
    change: c.change,
    numeric_id: c.numeric_id,
    person_a: c.person_a,
    person_b: c.person_b,
    field: c.field,
    old_value: c.old_value,
    new_value: c.new_value,
  });
  const order = (rows: (OChange & { version_id: number })[]) => rows.map((r) => JSON.stringify(r)).sort();
  const expected = byVersion.flatMap((rows, i) => rows.map((r) => ({ version_id: i + 1, ...r })));
  const got = (await all(get, "/changes?limit=4")) as any[];
  same(`v${last} GET /changes`, order(got.map(shape)), order(expected));
  same(`v${last} GET /changes order`, got.map((c) => c.version_id), [...got.map((c) => c.version_id)].sort((a, b) => b - a));
  // Names and codes from the version served; an actor it no longer has, as the version before its
  // last removal named it (name and code; the code was null before schema version 4).
  const removed = new Map<number, OActor>();
  byVersion.forEach((rows, i) => {
    for (const r of rows) if (r.entity === "actor" && r.change === "removed") removed.set(r.numeric_id!, published[i - 1].actors.get(r.numeric_id!)!);
  });
  const actorOf = (id: number | null) => (id === null ? undefined : (now.actors.get(id) ?? removed.get(id)));
  const named = got.map((c) => [c.actor_name, c.actor_letter, c.person_a_name, c.person_a_letter, c.person_b_name, c.person_b_letter]);
  same(
    `v${last} GET /changes names`,
    named,
    got.map((c) => [c.numeric_id, c.person_a, c.person_b].flatMap((id) => [actorOf(id)?.name ?? null, actorOf(id)?.letter_code ?? null])),
  );
  // Filters.
  const ids = [...now.actors.keys()];
  const among = ids.filter((_, i) => i % 2 === 0);
  const filters: [string, (c: OChange & { version_id: number }) => boolean][] = [
    [`version=${last}`, (c) => c.version_id === last],
    ["kind=pair-changed", (c) => c.entity === "pair" && c.change === "changed"],
    ["kind=added", (c) => c.change === "added"],
    ["kind=actor", (c) => c.entity === "actor"],
    ...ids.slice(0, 3).map((id): [string, (c: OChange) => boolean] => [`actor=${id}`, (c) => c.numeric_id === id || c.person_a === id || c.person_b === id]),
    [`among=${among.join(",")}`, (c) => among.includes(c.person_a!) && among.includes(c.person_b!)],
  ];
  for (const [query, keep] of filters) {
    same(`v${last} GET /changes?${query}`, order(((await all(get, `/changes?${query}&limit=5`)) as any[]).map(shape)), order(expected.filter(keep)));
  }
}

// ---------------------------------------------------------------------------------------------
// Shrinking

/** Smaller variants of a sequence: a version, an actor, a row, a list entry, a cell fewer. */
function* smaller(books: Book[]): Generator<Book[]> {
  for (let i = 0; i < books.length && books.length > 1; i++) yield books.filter((_, j) => j !== i);
  for (let i = 0; i < books.length; i++) {
    const b = books[i];
    const put = (nb: Book) => books.map((x, j) => (j === i ? nb : x));
    for (let p = 0; p < b.header.length; p++) {
      yield put({ ...b, header: b.header.filter((_, q) => q !== p), headerCodes: b.headerCodes.filter((_, q) => q !== p), rows: b.rows.map((r) => ({ ...r, cells: r.cells.filter((_, q) => q !== p) })) });
    }
    for (let r = 0; r < b.rows.length; r++) yield put({ ...b, rows: b.rows.filter((_, q) => q !== r) });
    for (let l = 1; l < b.list.length; l++) yield put({ ...b, list: b.list.filter((_, q) => q !== l) });
    for (let r = 0; r < b.rows.length; r++) {
      for (let p = 0; p < b.header.length; p++) {
        for (const v of [0, null] as const) {
          if (b.rows[r].cells[p] === v) continue;
          yield put({ ...b, rows: b.rows.map((row, q) => (q === r ? { ...row, cells: row.cells.map((c, k) => (k === p ? v : c)) } : row)) });
        }
      }
    }
  }
}

/**
 * Shrinks a failing sequence to one where every smaller variant passes or fails otherwise (greedy,
 * at most 300 tries or 90 s: a failure should still end in reasonable time).
 */
async function shrink(books: Book[], seed: number, what: string): Promise<{ books: Book[]; error: Disagreement }> {
  let error = await failure(books, seed);
  let steps = 0;
  const deadline = Date.now() + 90_000;
  outer: while (steps < 300 && Date.now() < deadline) {
    for (const candidate of smaller(books)) {
      steps++;
      const e = await failure(candidate, seed);
      // The same check failing, by endpoint (the version number may move as versions drop).
      if (e !== undefined && checkOf(e) === what) {
        books = candidate;
        error = e;
        continue outer;
      }
      if (steps >= 300 || Date.now() > deadline) break;
    }
    break;
  }
  return { books, error: error! };
}

/** Which check failed, whatever the version and actor ids (they move as the case shrinks). */
function checkOf(error: Disagreement): string {
  return error.what.replace(/^(v|load )\d+ /, "").replace(/\/\d+/g, "/N").replace(/=[\d,]+/g, "=N");
}

async function failure(books: Book[], seed: number): Promise<Disagreement | undefined> {
  try {
    await runSequence(books, seed);
    return undefined;
  } catch (error) {
    if (error instanceof Disagreement) return error;
    throw error;
  }
}

const SEQUENCES = 10;

test("random workbooks in sequences of versions: every table and answer is what the README's rules give", { timeout: 300_000 }, async () => {
  for (let s = 1; s <= SEQUENCES; s++) {
    const seed = 1000 + s;
    const rnd = mulberry32(seed);
    const books = [generate(seed)];
    const length = 2 + Math.floor(rnd() * 3);
    while (books.length < length) books.push(evolve(books.at(-1)!, seed * 10 + books.length));
    const error = await failure(books, seed);
    if (error === undefined) continue;
    const minimal = await shrink(books, seed, checkOf(error));
    assert.fail(`seed ${seed}: ${minimal.error.message}\nminimal sequence of workbooks: ${JSON.stringify(minimal.books)}`);
  }
});

test("the oracle's own rules, on a hand-made case", () => {
  // 1 -> 2 marked one way only (2's row blank there), 2 - 3 blank both ways: no pair; 3 -> 4 with 4 -> 3 = 0.
  const book: Book = {
    header: [1, 2, 3, 4],
    headerCodes: ["A", "B", "C", "D"],
    rows: [
      { id: 1, code: "A", cells: [0, 1, 0, 0] },
      { id: 2, code: "B", cells: [null, 0, null, 0] },
      { id: 3, code: "C", cells: [0, null, 0, 1] },
      { id: 4, code: "D", cells: [0, 0, 0, 0] },
    ],
    list: [1, 2, 3, 4].map((id) => ({ id, code: "ABCD"[id - 1], name: `N${id}` })),
  };
  const m = oracle(book);
  assert.deepEqual(m.pairs, [{ a: 1, b: 2, ab: true, ba: null }, { a: 3, b: 4, ab: true, ba: false }]);
  assert.equal(distances(m, 1).has(4), false, "a blank pair links nothing");
  assert.equal(distances(m, 2).get(1), 1, "a one-way mark links both ways");
  assert.deepEqual([...m.actors.values()].map((a) => [a.degree, a.unknown_cells]), [[1, 0], [1, 2], [1, 1], [1, 0]]);
  assert.deepEqual(m.findings.get("asymmetric_pair"), 1);
});
