/**
 * Large contacts CSVs of the users' shape for benchmarks and load tests: one row per person per
 * department (most people in one, some in two or three), ZIP codes that lost their leading zero,
 * lower-case states, quoted company names with commas, a multi-line address now and then, and a
 * small share of rows a load must reject (bad state, bad e-mail, empty name, a line that
 * disagrees with the same person's earlier line). Deterministic: the same rows and seed give the
 * same bytes. Written in blocks, so memory does not grow with the file. With `changeEvery` n, every
 * n-th person gets another phone1 and the rest is byte for byte the same file: the next day's file.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { CONTACT_COLUMNS, DEPARTMENTS } from "../generate_samples.ts";
import { mulberry32 } from "./random.ts";

const SYLLABLES = ["an", "bel", "cor", "da", "el", "fin", "gar", "ho", "is", "ja", "ka", "lo", "mar", "ne", "or", "pe", "qui", "ra", "sol", "ta", "ul", "ve", "wen", "xi", "yo", "za", "ñe", "lú", "é"];
const STREETS = ["Maple Ave", "Old Mill Rd", "W Harbor St", "Elm St", "Commerce Blvd", "Cedar Ln", "S Main St", "Ridge Rd"];
// [city, state, zip]: New England and New Jersey ZIP codes start with 0, which spreadsheets drop.
const PLACES: [string, string, string][] = [
  ["Newark", "NJ", "07102"], ["Boston", "MA", "02110"], ["Hartford", "CT", "06103"], ["Providence", "RI", "02903"],
  ["Austin", "TX", "78701"], ["Denver", "CO", "80202"], ["Seattle", "WA", "98101"], ["Columbus", "OH", "43215"],
  ["Tampa", "FL", "33602"], ["San José", "CA", "95113"], ["Los Angeles", "CA", "90034"], ["Albany", "NY", "12207"],
  ["Buffalo", "NY", "14202"], ["Phoenix", "AZ", "85004"], ["Chicago", "IL", "60632"], ["New Orleans", "LA", "70112"],
];
const HOSTS = ["gmail.com", "yahoo.com", "hotmail.com", "aol.com", "cox.net"];

function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Writes a contacts CSV of `rows` data rows to `path` and returns how many people it holds.
 *
 * @example
 * ```ts
 * writeContactsCsv(".bench/contacts-100000.csv", 100_000, 7); // 72_000 people or so
 * writeContactsCsv(".bench/contacts-100000-changed.csv", 100_000, 7, { changeEvery: 10 }); // 7_200 of them changed
 * ```
 */
export function writeContactsCsv(path: string, rows: number, seed = 7, options: { changeEvery?: number } = {}): { rows: number; people: number } {
  const rnd = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  const name = () => {
    const n = 2 + Math.floor(rnd() * 2);
    let text = "";
    for (let i = 0; i < n; i++) text += pick(SYLLABLES);
    return text.charAt(0).toUpperCase() + text.slice(1);
  };
  const digits = (n: number) => String(Math.floor(rnd() * 10 ** n)).padStart(n, "0");
  const fd = openSync(path, "w");
  let block: string[] = [CONTACT_COLUMNS.join(",")];
  let written = 0;
  let people = 0;
  try {
    while (written < rows) {
      const person = people++;
      const first = name();
      const last = name();
      const [city, state0, zip5] = PLACES[person % PLACES.length];
      let state = rnd() < 0.01 ? state0.toLowerCase() : state0;
      const zip = zip5.startsWith("0") && rnd() < 0.5 ? zip5.slice(1) : zip5;
      const company = person % 4 === 1 ? `${name()}, ${name()} Esq` : `${name()} ${pick(["Inc", "Llc", "Co", "Group"])}`;
      let address = `${1 + Math.floor(rnd() * 9800)} ${pick(STREETS)}`;
      if (rnd() < 0.005) address += `\nSuite ${digits(3)}`;
      const ascii = (t: string) => t.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
      let email = `${ascii(first)}.${ascii(last)}${person}@${pick(HOSTS)}`;
      let firstOut = first;
      const bad = rnd();
      if (bad < 0.002) state = "Texas";
      else if (bad < 0.004) email = email.replace(/\.[a-z]+$/, "");
      else if (bad < 0.005) firstOut = " ";
      const phone = () => `${digits(3)}-${digits(3)}-${digits(4)}`;
      const [drawn, p2] = [phone(), phone()];
      // Not drawn: the random sequence, and so every other value, stays that of the unchanged file.
      const changed = options.changeEvery !== undefined && person % options.changeEvery === 3;
      const p1 = changed ? `555.${String(person % 1000).padStart(3, "0")}.${String(person % 10000).padStart(4, "0")}` : drawn;
      const count = person % 6 === 2 ? 2 : person % 10 === 5 ? 3 : 1;
      const start = Math.floor(rnd() * DEPARTMENTS.length);
      const conflict = count > 1 && rnd() < 0.003;
      for (let k = 0; k < count && written < rows; k++) {
        const rowCity = conflict && k === 1 ? "Elsewhere" : city;
        const rowEmail = k === 1 && rnd() < 0.01 ? email.toUpperCase() : email;
        const values = [firstOut, last, company, address, rowCity, state, zip, p1, p2, rowEmail, DEPARTMENTS[(start + k * 2) % DEPARTMENTS.length]];
        block.push(values.map(field).join(","));
        written++;
      }
      if (block.length >= 4096) {
        writeSync(fd, block.join("\n") + "\n");
        block = [];
      }
    }
    if (block.length > 0) writeSync(fd, block.join("\n") + "\n");
  } finally {
    closeSync(fd);
  }
  return { rows: written, people };
}
