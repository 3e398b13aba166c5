/**
 * Generates the bundled sample data, `data/relaciones.xlsx` and `data/contacts.csv`, from invented
 * people only (the users' real files never enter the repository). The output is deterministic: a fixed
 * seed and fixed ZIP timestamps, so running it again gives byte-identical files, and a test keeps the
 * committed files from drifting away from this script.
 *
 * Usage: `npm run samples` (writes into data/) or `npm run samples -- --out DIR`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { matrixPlan, matrixWorkbook, type MatrixOptions, type MatrixPlan } from "./testing/matrix_workbook.ts";
import { mulberry32 } from "./testing/random.ts";
import { xlsxBytes, type SheetSpec } from "./testing/xlsx_writer.ts";
import { fold } from "../etl/text/mod.js";
import { invokedFrom } from "../etl/settings/mod.js";
import { parseArgs } from "node:util";

// ---------------------------------------------------------------------------------------------
// The relationship workbook
// ---------------------------------------------------------------------------------------------

/** 50 invented actors (accents on purpose: the pipeline must keep them intact). */
const ACTOR_NAMES = [
  "Lucía Fernández Ortiz", "Andrés Felipe Muñoz", "María Camila Peña", "Julián Ibáñez", "Sofía Castañeda Ruiz",
  "Tomás Núñez Arango", "Valentina Ordóñez", "Sebastián Zúñiga Mora", "Ángela Quiñones", "Óscar Iván Beltrán",
  "Daniela Patiño Gómez", "Martín Suárez Londoño", "Íngrid Cárdenas", "Joaquín Rodríguez Díaz", "Mónica Montaño",
  "Nicolás Hernández Ríos", "Verónica Ramírez Solís", "Simón Martínez Acuña", "Natalia Gómez Niño", "Padre Germán Ospina",
  "Catalina Muñoz Peña", "Esteban Londoño Ibáñez", "Paula Andrea Vélez", "Raúl Benítez Caicedo", "Luisa Fernanda Cortés",
  "Hernán Darío Gutiérrez", "Juliana Sánchez Mejía", "Felipe Álvarez Toro", "Carolina Jiménez Ñañez", "Diego Armando Restrepo",
  "Manuela Quintero Báez", "Camilo Andrés Rincón", "Mariana Osorio Peláez", "Santiago Durán Vélez", "Laura Cristina Mejía",
  "Gabriel Ángel Bermúdez", "Isabel Echeverri Ruíz", "Alejandro Nieto Cañón", "Ana María Guzmán", "Emilio Salcedo Páez",
  "Ximena Andrade Lozano", "Rodrigo Peñaloza Tobón", "Teresa Zapata Aristizábal", "Mauricio Giraldo Úsuga", "Diana Marcela Ochoa",
  "Fabián Escobar Gaitán", "Renata Villamizar Ángel", "Jerónimo Castaño Buriticá", "Beatriz Elena Múnera", "Iñaki Otálora Serna",
];

/**
 * The options that define the sample workbook: 50 actors, matrix filled for the first 17, 3 asymmetric
 * pairs, actor 42 coded 'AÑ' in the matrix but 'AX' in the list, the header row's codes one letter
 * behind the rows' from actor 43 on, two names typed with a trailing space, zeros on the whole
 * diagonal and formatted blank cells, as in the users' workbook.
 * @example const plan = matrixPlan(SAMPLE_WORKBOOK); plan.asymmetricPairs; // [[a, b], ...]
 */
export const SAMPLE_WORKBOOK: MatrixOptions = {
  actors: 50,
  filledActors: 17,
  seed: 20210728,
  density: 0.2,
  asymmetric: 3,
  codeMismatch: { id: 42, listCode: "AX" },
  headerCodesLagFrom: 43,
  paddedNames: [30, 48],
  diagonalZeros: true,
  name: (id) => ACTOR_NAMES[id - 1],
};

/**
 * The sample workbook's sheets and its plan (expected cells, asymmetric pairs, mismatched code).
 * @example const { sheets, plan } = sampleWorkbook(); plan.cell(1, 2); // 0 | 1
 */
export function sampleWorkbook(): { sheets: SheetSpec[]; plan: MatrixPlan } {
  return { sheets: matrixWorkbook(SAMPLE_WORKBOOK), plan: matrixPlan(SAMPLE_WORKBOOK) };
}

/**
 * The bytes of `data/relaciones.xlsx`: Excel flavor, deflated, built in memory.
 * @example writeFileSync("relaciones.xlsx", sampleWorkbookBytes());
 */
export function sampleWorkbookBytes(): Uint8Array {
  // In memory (not writeXlsxFile): the file is small and this keeps its local headers free of padding.
  return xlsxBytes(sampleWorkbook().sheets, { flavor: "excel", styledBlanks: true });
}

// ---------------------------------------------------------------------------------------------
// The contacts CSV
// ---------------------------------------------------------------------------------------------

/** The users' CSV columns, in their order. */
export const CONTACT_COLUMNS = [
  "first_name", "last_name", "company_name", "address", "city", "state", "zip", "phone1", "phone2", "email", "department",
] as const;

/** One CSV row, keyed by column name; every value is text (ZIP codes included). */
export type ContactRow = Record<(typeof CONTACT_COLUMNS)[number], string>;

/** The users' seven departments. */
export const DEPARTMENTS = ["Sales", "Marketing", "Human Resources", "Finances", "Production", "Purchasing", "Research and Development"];

const FIRST = [
  "Aurelia", "Bernard", "Celeste", "Desmond", "Elvira", "Fabian", "Greta", "Horace", "Imelda", "Jasper",
  "Kendra", "Lionel", "Marisol", "Nestor", "Odalys", "Preston", "Quincy", "Rosalind", "Soledad", "Thaddeus",
  "Ulises", "Vivian", "Wendell", "Xiomara", "Yolanda", "Zachary", "José", "Inés", "Ramón", "Begoña",
];
const LAST = [
  "Abernathy", "Brightwater", "Calloway", "Dunmore", "Ellsworth", "Fairbanks", "Galloway", "Hollister", "Ingersoll", "Jessup",
  "Kingsley", "Lockhart", "Merriweather", "Northcott", "Ortega", "Pemberton", "Quimby", "Rutledge", "Santángelo", "Thornbury",
  "Underhill", "Valdés", "Whitcombe", "Yarborough", "Zamora", "Núñez", "Briceño", "Ashdown", "Colfax", "Danforth",
];
// Law-firm style names carry a comma, so the CSV must quote them (as the users' export does).
const COMPANIES = [
  "Brightline Logistics Inc", "Harbor & Finch Co", "Cedar Point Dental Pc", "Northwind Traders", "Silver Maple Bakery",
  "Quarry Stone Works", "Bluegill Marine Supply", "Copperleaf Design Studio", "Redwood Title Agency", "Lantern Printing Co",
  "Meridian Tax Service", "Orchard Valley Farms", "Pinnacle Roofing Llc", "Keystone Appraisals", "Tidewater Insurance Group",
];
const LAW_FIRMS = ["Esq", "Jr", "Cpa", "Esq", "Pc"];
const STREETS = ["Maple Ave", "Old Mill Rd", "W Harbor St", "Elm St", "N Lakeview Dr", "Commerce Blvd", "Cedar Ln", "S Main St", "Ridge Rd", "Park Pl"];
// [city, state, zip, area code]. ZIP codes starting with 0 (New England, New Jersey) are written the way
// spreadsheets leave them after treating the column as a number: four digits, leading zero lost.
const PLACES: [string, string, string, string][] = [
  ["Newark", "NJ", "07102", "973"], ["Trenton", "NJ", "08608", "609"], ["Boston", "MA", "02110", "617"],
  ["Worcester", "MA", "01608", "508"], ["Hartford", "CT", "06103", "860"], ["Providence", "RI", "02903", "401"],
  ["Portland", "ME", "04101", "207"], ["Burlington", "VT", "05401", "802"],
  ["Austin", "TX", "78701", "512"], ["Denver", "CO", "80202", "303"], ["Seattle", "WA", "98101", "206"],
  ["Columbus", "OH", "43215", "614"], ["Tampa", "FL", "33602", "813"], ["Madison", "WI", "53703", "608"],
  ["Sacramento", "CA", "95814", "916"], ["San Jose", "CA", "95113", "408"], ["Albany", "NY", "12207", "518"],
  ["Buffalo", "NY", "14202", "716"], ["Pittsburgh", "PA", "15222", "412"], ["Santa Fe", "NM", "87501", "505"],
  ["Anchorage", "AK", "99501", "907"], ["Wichita", "KS", "67202", "316"], ["Nashville", "TN", "37203", "615"],
  ["New Orleans", "LA", "70112", "504"], ["Brighton", "MI", "48116", "810"], ["Milwaukee", "WI", "53202", "414"],
  ["Irving", "TX", "75062", "972"], ["Rockford", "IL", "61101", "815"], ["Phoenix", "AZ", "85004", "602"],
  ["Omaha", "NE", "68102", "402"],
];
const MAIL_HOSTS = ["gmail.com", "yahoo.com", "hotmail.com", "aol.com", "cox.net"];

// An input file is written the way the users' tools write one: quoted where needed, never
// formula-neutralised (that rule, etl/text csvField, is for the files we export).
function inputCsvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function asciiLower(text: string): string {
  return fold(text).replace(/[^a-z]/g, "");
}

/**
 * The sample contact rows: 60 invented people, some listed once per department (2 or 3 rows), ZIP codes
 * of NJ/MA/CT/RI/ME/VT that lost their leading zero, quoted company names with commas. Every row is valid.
 * @example sampleContacts().length; // 82
 */
export function sampleContacts(): ContactRow[] {
  const rnd = mulberry32(4242);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 10)).join("");
  const rows: ContactRow[] = [];
  const emails = new Set<string>();
  const names = new Set<string>();
  for (let person = 0; person < 60; person++) {
    let first: string;
    let last: string;
    do {
      first = pick(FIRST);
      last = pick(LAST);
    } while (names.has(`${first} ${last}`));
    names.add(`${first} ${last}`);
    const [city, state, zip5, area] = PLACES[(person * 7) % PLACES.length];
    // Every New England / New Jersey ZIP loses its leading zero, as in the users' export.
    const zip = zip5.startsWith("0") ? zip5.slice(1) : zip5;
    const company = person % 4 === 1 ? `${pick(LAST)}, ${pick(FIRST)} ${String.fromCharCode(65 + Math.floor(rnd() * 26))} ${pick(LAW_FIRMS)}` : pick(COMPANIES);
    let address = `${1 + Math.floor(rnd() * 9800)} ${pick(STREETS)}${person % 7 === 3 ? ` #${10 + Math.floor(rnd() * 90)}` : ""}`;
    // A double space typed inside an address, as in the users' export ("37275 St  Rt 17m M"): kept as is.
    if (person % 25 === 12) address = address.replace(/ (\S+)$/, "  $1");
    const f = asciiLower(first);
    const l = asciiLower(last);
    const style = person % 4;
    let email =
      style === 0 ? `${f}_${l}@${l}.com` : style === 1 ? `${f[0]}${l}@${pick(MAIL_HOSTS)}` : style === 2 ? `${f}.${l}@${pick(MAIL_HOSTS)}` : `${f}@${l}.org`;
    for (let n = 2; emails.has(email); n++) email = email.replace(/@/, `${n}@`);
    emails.add(email);
    const phone = () => `${area}-${digits(3)}-${digits(4)}`;
    const base = { first_name: first, last_name: last, company_name: company, address, city, state, zip, phone1: phone(), phone2: phone(), email };
    // One row per department, as the users' export lists people: most in one, some in two or three.
    const count = person % 6 === 2 ? 2 : person % 10 === 5 ? 3 : 1;
    const start = Math.floor(rnd() * DEPARTMENTS.length);
    for (let k = 0; k < count; k++) rows.push({ ...base, department: DEPARTMENTS[(start + k * 2) % DEPARTMENTS.length] });
  }
  return rows;
}

/**
 * The text of `data/contacts.csv` (UTF-8, LF line endings, header line first, and no line break after
 * the last row, as the users' export ends).
 * @example sampleContactsCsv().split("\n")[0]; // "first_name,last_name,company_name,..."
 */
export function sampleContactsCsv(): string {
  const lines = [CONTACT_COLUMNS.join(",")];
  for (const row of sampleContacts()) lines.push(CONTACT_COLUMNS.map((c) => inputCsvField(row[c])).join(","));
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

/**
 * Writes `relaciones.xlsx` and `contacts.csv` into `outDir` and returns their paths.
 * @example await generateSamples("data"); // { workbook: "data/relaciones.xlsx", contacts: "data/contacts.csv" }
 */
export async function generateSamples(outDir: string): Promise<{ workbook: string; contacts: string }> {
  mkdirSync(outDir, { recursive: true });
  const workbook = join(outDir, "relaciones.xlsx");
  const contacts = join(outDir, "contacts.csv");
  writeFileSync(workbook, sampleWorkbookBytes());
  writeFileSync(contacts, sampleContactsCsv(), "utf8");
  return { workbook, contacts };
}

const SAMPLES_USAGE = "Usage: npm run samples [-- --out DIR]   (default DIR: data/; a relative DIR is from the folder the command is typed in)";

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { out: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false }));
  } catch (error) {
    console.error(`${(error as Error).message.split("\n")[0]}\n${SAMPLES_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(SAMPLES_USAGE);
    return 0;
  }
  // A relative --out is from where the user typed the command (npm run starts us in the repository).
  const outDir = values.out ? resolve(invokedFrom(), values.out) : fileURLToPath(new URL("../data", import.meta.url));
  const { workbook, contacts } = await generateSamples(outDir);
  const { plan } = sampleWorkbook();
  const rows = sampleContacts();
  console.log(`Wrote ${workbook}: ${plan.actors} actors, matrix filled for ${plan.filledActors}.`);
  console.log(`  asymmetric pairs (row marks column, not back): ${plan.asymmetricPairs.map(([a, b]) => `${a}->${b}`).join(", ")}`);
  if (plan.mismatch) console.log(`  actor ${plan.mismatch.id}: '${plan.mismatch.matrixCode}' in the matrix, '${plan.mismatch.listCode}' in the list`);
  const lagging = Array.from({ length: plan.actors }, (_, i) => i + 1).filter((id) => plan.headerCode(id) !== plan.code(id));
  if (lagging.length > 0) console.log(`  header codes behind the rows' for actors ${lagging[0]}..${lagging.at(-1)} (e.g. '${plan.headerCode(lagging[0])}' over '${plan.code(lagging[0])}')`);
  const people = new Set(rows.map((r) => r.email)).size;
  const shortZips = new Set(rows.filter((r) => r.zip.length === 4).map((r) => r.email)).size;
  console.log(`Wrote ${contacts}: ${rows.length} rows, ${people} people, ${shortZips} people with a 4-digit ZIP.`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(`Cannot generate the samples: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
