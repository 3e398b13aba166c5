import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { inflateRawSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { CONTACT_COLUMNS, DEPARTMENTS, generateSamples, sampleContacts, sampleWorkbook } from "./generate_samples.ts";

const dataDir = fileURLToPath(new URL("../data", import.meta.url));
const hasUnzip = spawnSync("unzip", ["-v"]).status === 0;

/** Entry name -> inflated bytes, from the central directory (enough for our own small, non-ZIP64 files). */
function zipEntries(bytes: Buffer): Map<string, Buffer> {
  let eocd = bytes.length - 22;
  while (bytes.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  const out = new Map<string, Buffer>();
  let p = bytes.readUInt32LE(eocd + 16);
  for (let i = 0; i < bytes.readUInt16LE(eocd + 10); i++) {
    const method = bytes.readUInt16LE(p + 10);
    const size = bytes.readUInt32LE(p + 20);
    const nameLen = bytes.readUInt16LE(p + 28);
    const skip = nameLen + bytes.readUInt16LE(p + 30) + bytes.readUInt16LE(p + 32);
    const name = bytes.toString("utf8", p + 46, p + 46 + nameLen);
    const local = bytes.readUInt32LE(p + 42);
    const start = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const raw = bytes.subarray(start, start + size);
    out.set(name, method === 8 ? inflateRawSync(raw) : raw);
    p += 46 + skip;
  }
  return out;
}

/** RFC 4180 fields of one CSV text (quoted fields may hold commas, quotes and newlines). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"', i++);
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") (row.push(field), (field = ""));
    else if (ch === "\n") (row.push(field), rows.push(row), (row = []), (field = ""));
    else field += ch;
  }
  if (field || row.length) (row.push(field), rows.push(row));
  return rows;
}

test("generateSamples() reproduces the committed data files", async () => {
  const dir = mkdtempSync(join(tmpdir(), "samples-"));
  try {
    const { workbook, contacts } = await generateSamples(dir);
    assert.ok(readFileSync(contacts).equals(readFileSync(join(dataDir, "contacts.csv"))), "data/contacts.csv is out of date: run `npm run samples`");
    const fresh = readFileSync(workbook);
    const committed = readFileSync(join(dataDir, "relaciones.xlsx"));
    if (!fresh.equals(committed)) {
      // Another zlib build may deflate differently; then the entries must still inflate to the same parts.
      const a = zipEntries(fresh);
      const b = zipEntries(committed);
      assert.deepEqual([...a.keys()], [...b.keys()], "data/relaciones.xlsx is out of date: run `npm run samples`");
      for (const [name, data] of a) assert.ok(data.equals(b.get(name)!), `data/relaciones.xlsx part ${name} is out of date: run \`npm run samples\``);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("sampleWorkbook() has the users' quirks: blank rows, asymmetric pairs, mismatched codes, Ñ codes, padded names", () => {
  const { sheets, plan } = sampleWorkbook();
  assert.deepEqual(sheets.map((s) => s.name), ["Matriz de adyacencia", "Lista de actores"]);
  assert.equal(plan.actors, 50);
  assert.equal(plan.filledActors, 17);
  assert.equal(plan.asymmetricPairs.length, 3);
  for (const [a, b] of plan.asymmetricPairs) assert.ok(a <= 17 && b <= 17 && plan.cell(a, b) === 1 && plan.cell(b, a) === 0);
  assert.deepEqual(plan.mismatch, { id: 42, matrixCode: "AÑ", listCode: "AX" });
  assert.equal(plan.code(15), "Ñ");
  // The header row keeps the old letters from actor 43 on, the rows (and the list) skip 'AO'.
  const lagging = Array.from({ length: 50 }, (_, i) => i + 1).filter((id) => plan.headerCode(id) !== plan.code(id));
  assert.deepEqual(lagging, [43, 44, 45, 46, 47, 48, 49, 50]);
  assert.deepEqual([plan.headerCode(43), plan.code(43), plan.listCode(43)], ["AO", "AP", "AP"]);
  const codes = Array.from({ length: 50 }, (_, i) => plan.code(i + 1));
  assert.equal(new Set(codes).size, 50, "no code given twice among the rows");
  assert.equal(plan.cell(30, 31), null);
  assert.equal(plan.cell(30, 30), 0, "zeros on the diagonal of blank rows, as in the users' file");
  const names = Array.from({ length: 50 }, (_, i) => plan.name(i + 1));
  assert.equal(new Set(names).size, 50);
  assert.ok(names.filter((n) => /[áéíóúñÁÉÍÓÚÑ]/.test(n)).length > 25);
  let pairs = 0;
  for (let a = 1; a <= 17; a++) for (let b = a + 1; b <= 50; b++) if (plan.cell(a, b) === 1 || plan.cell(b, a) === 1) pairs++;
  assert.ok(pairs > 30, `enough pairs to be interesting (${pairs})`);
});

test("data/relaciones.xlsx has the users' layout", () => {
  const parts = zipEntries(readFileSync(join(dataDir, "relaciones.xlsx")));
  const sheet1 = parts.get("xl/worksheets/sheet1.xml")!.toString("utf8");
  const sheet2 = parts.get("xl/worksheets/sheet2.xml")!.toString("utf8");
  const strings = [...parts.get("xl/sharedStrings.xml")!.toString("utf8").matchAll(/<si><t[^>]*>([^<]*)<\/t><\/si>/g)].map((m) => m[1]);
  assert.match(sheet1, /<c r="C1"><v>1<\/v><\/c>/);
  assert.match(sheet1, /<c r="AZ1"><v>50<\/v><\/c>/);
  assert.match(sheet1, /<c r="A3"><v>1<\/v><\/c><c r="B3" t="s"><v>\d+<\/v><\/c>/);
  assert.match(sheet1, /<c r="C20" s="4"\/>/, "formatted blank cells in the unfilled rows");
  const code = (ref: string, xml: string) => strings[Number(new RegExp(`<c r="${ref}" t="s"><v>(\\d+)</v>`).exec(xml)![1])];
  assert.equal(code("Q2", sheet1), "Ñ");
  assert.equal(code("AR2", sheet1), "AÑ");
  assert.equal(code("B4", sheet2), "Lista de actores");
  assert.equal(code("A5", sheet2), "A");
  assert.match(sheet2, /<c r="B5"><v>1<\/v><\/c>/);
  assert.equal(code("A46", sheet2), "AX", "actor 42's code disagrees with the matrix");
  assert.equal(code("AS2", sheet1), "AO", "actor 43's header code is the letter before its row's");
  assert.equal(code("B45", sheet1), "AP");
  const { plan } = sampleWorkbook();
  for (const id of [30, 48]) assert.equal(code(`C${id + 4}`, sheet2), `${plan.name(id)} `, `actor ${id}'s name is typed with a trailing space`);
  assert.match(parts.get("xl/sharedStrings.xml")!.toString("utf8"), /<t xml:space="preserve">[^<]+ <\/t>/);
  if (hasUnzip) assert.equal(spawnSync("unzip", ["-tq", join(dataDir, "relaciones.xlsx")]).status, 0);
});

test("data/contacts.csv has the users' columns and valid, realistic rows", () => {
  const text = readFileSync(join(dataDir, "contacts.csv"), "utf8");
  assert.ok(text.includes('"'), "some quoted company names");
  assert.ok(!text.endsWith("\n"), "no line break after the last row, as the users' export ends");
  const [header, ...rows] = parseCsv(text);
  assert.deepEqual(header, [...CONTACT_COLUMNS]);
  assert.equal(rows.length, sampleContacts().length);
  const people = new Map<string, string>();
  const departments = new Map<string, Set<string>>();
  for (const row of rows) {
    assert.equal(row.length, 11, row.join(","));
    const [first, last, company, , , state, zip, , , email, department] = row;
    assert.ok(first && last && company);
    assert.match(state, /^[A-Z]{2}$/);
    assert.match(zip, /^\d{4,5}$/);
    assert.match(email, /^[a-z0-9._]+@[a-z0-9.]+\.[a-z]+$/);
    assert.ok(DEPARTMENTS.includes(department));
    const person = row.slice(0, 10).join("|");
    assert.equal(people.get(email) ?? person, person, `one person per email (${email})`);
    people.set(email, person);
    const seen = departments.get(email) ?? new Set();
    assert.ok(!seen.has(department), `${email} listed twice in ${department}`);
    departments.set(email, seen.add(department));
  }
  assert.equal(people.size, 60);
  assert.ok([...departments.values()].filter((d) => d.size === 2).length >= 5);
  assert.ok([...departments.values()].filter((d) => d.size === 3).length >= 3);
  const shortZips = rows.filter((r) => r[6].length === 4);
  assert.ok(shortZips.length >= 5 && shortZips.every((r) => ["NJ", "MA", "CT", "RI", "ME", "VT", "NH"].includes(r[5])));
  assert.ok(rows.some((r) => r[2].includes(",")), "company names with commas");
  assert.ok(rows.some((r) => /\S  \S/.test(r[3])), "an address with a double space inside");
  assert.ok(rows.some((r) => /[áéíóúñ]/.test(r[0] + r[1])), "accented names");
});

test("npm run samples -- --out with a relative folder writes where the command was typed, not into the repository", () => {
  // `npm run` starts the script in the repository and says in INIT_CWD where it was typed;
  // `cd ~/reports && npm --prefix ~/relaciones run samples -- --out demo` wrote ~/relaciones/demo.
  const typedIn = mkdtempSync(join(tmpdir(), "samples-typed-in-"));
  const repo = fileURLToPath(new URL("..", import.meta.url));
  const name = `samples-out-${process.pid}`;
  try {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(new URL("./generate_samples.ts", import.meta.url)), "--out", name], {
      cwd: repo,
      encoding: "utf8",
      env: { ...process.env, INIT_CWD: typedIn },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(typedIn, name, "relaciones.xlsx")), `the workbook in the folder it was typed in; wrote:\n${r.stdout}`);
    assert.ok(existsSync(join(typedIn, name, "contacts.csv")));
    assert.ok(!existsSync(join(repo, name)), "nothing written into the repository");
  } finally {
    rmSync(typedIn, { recursive: true, force: true });
    rmSync(join(repo, name), { recursive: true, force: true });
  }
});
