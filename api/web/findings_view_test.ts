import { test } from "node:test";
import assert from "node:assert/strict";
import { checkTitle, findingRows, findingsHtml, groupFindings, type FindingContext } from "./findings_view.js";
import { rowOfSheetRow } from "./cell_refs.js";

// The sample's layout: ids in row 1 from column C, codes in row 2, data rows from row 3.
const header = ["Ana", "Bruno", "Carla", "Diego"].map((name, i) => ({ id: i + 1, letter_code: "ABCD"[i], name, sheet_row: 3 + i }));
const context: FindingContext = {
  layout: { sheet: "Matriz de adyacencia", header_row: 1, first_col: 3, code_row: 2, id_col: 1, code_col: 2 },
  header,
  rowBySheetRow: rowOfSheetRow(header),
  valueAt: (r, c) => (r === 3 && c === 3 ? "1" : "0"),
};

test("groupFindings() groups by severity then check; checkTitle() speaks human", () => {
  const findings = [
    { check: "unknown_cells", severity: "info" as const, message: "Blank", cells: ["'Matriz de adyacencia'!C48"], count: 245 },
    { check: "asymmetric_pair", severity: "warning" as const, message: "x", cells: [] },
    { check: "duplicate_id", severity: "error" as const, message: "y", cells: [] },
  ];
  assert.deepEqual(groupFindings(findings).map((g) => g.severity), ["error", "warning", "info"]);
  assert.equal(groupFindings(findings)[2].checks[0].total, 245);
  assert.equal(checkTitle("asymmetric_pair"), "Marked in one direction only");
  assert.equal(checkTitle("contacts.invalid_email"), "Rows rejected: invalid email");
  assert.equal(checkTitle("contacts.fixed_zip"), "Values repaired: zip");
  assert.equal(checkTitle("some_new_check"), "Some new check");
});

test("findingRows() pairs asymmetric cells: who marked whom, which cell holds the 1 and which the 0", () => {
  // Row of Bruno (sheet row 4) marks Carla (column E); Carla's row (5) holds 0 for Bruno (column D).
  const rows = findingRows({ check: "asymmetric_pair", severity: "warning", message: "1 pair", cells: ["'Matriz de adyacencia'!E4", "'Matriz de adyacencia'!D5"], count: 1 }, context);
  assert.equal(rows.length, 1);
  assert.match(rows[0].html, /^Bruno <span class="code">B<\/span> marked Carla <span class="code">C<\/span>; Carla did not mark back/);
  assert.deepEqual(rows[0].cells, [{ ref: "'Matriz de adyacencia'!E4", value: "1" }, { ref: "'Matriz de adyacencia'!D5", value: "0" }]);
  assert.deepEqual(rows[0].show, { row: 1, col: 2 });
  assert.deepEqual(rows[0].pair, [2, 3]);
});

test("findingRows() puts two disagreeing codes side by side with where each came from", () => {
  const rows = findingRows(
    { check: "code_mismatch_list", severity: "warning", message: "1 letter code in the matrix disagrees with the actor list ('4: D vs DX')", cells: ["'Matriz de adyacencia'!B6", "'Lista de actores'!A9"], count: 1 },
    context,
  );
  assert.match(rows[0].html, /Diego <span class="code">D<\/span>: matrix says <strong>D<\/strong>, list says <strong>DX<\/strong>/);
  assert.deepEqual(rows[0].cells, [{ ref: "'Matriz de adyacencia'!B6", value: "D" }, { ref: "'Lista de actores'!A9", value: "DX" }]);
});

// The codes came only from the message, which quotes five: the sixth disagreement on read
// "header and row disagree", its cells without values.
test("findingRows() shows both codes of every header/row disagreement `values` carries, past the five the message quotes", () => {
  const seven = "ABCDEFG".split("").map((code, i) => ({ id: i + 1, letter_code: code, name: `Actor ${code}`, sheet_row: 3 + i }));
  const wide: FindingContext = { ...context, header: seven, rowBySheetRow: rowOfSheetRow(seven) };
  const M = "'Matriz de adyacencia'";
  const cells = seven.flatMap((a, i) => [`${M}!${String.fromCharCode(67 + i)}2`, `${M}!B${a.sheet_row}`]);
  const quoted = seven.slice(0, 5).map((a) => `'${a.id}: ${a.letter_code}X vs ${a.letter_code}'`).join(", ");
  const finding = { check: "code_mismatch_matrix", severity: "warning" as const, message: `7 letter codes in the header row disagree with the row's code (${quoted})`, cells, count: 7 };
  const values = seven.flatMap((a) => [`${a.letter_code}X`, a.letter_code]);
  const rows = findingRows({ ...finding, values }, wide);
  assert.equal(rows.length, 7);
  rows.forEach((row, i) => {
    const code = seven[i].letter_code;
    assert.match(row.html, new RegExp(`^Actor ${code} <span class="code">${code}</span>: header says <strong>${code}X</strong>, row says <strong>${code}</strong>$`), `row ${i + 1}`);
    assert.deepEqual(row.cells.map((c) => c.value), [`${code}X`, code], `row ${i + 1}`);
  });
  // A run recorded before `values`: the message's five, then no codes.
  const old = findingRows(finding, wide);
  assert.match(old[4].html, /header says <strong>EX<\/strong>, row says <strong>E<\/strong>$/);
  assert.match(old[5].html, /: header and row disagree$/);
});

test("findingRows() names the actor of a blank row, a cell's value, a CSV line", () => {
  const blank = findingRows({ check: "unknown_cells", severity: "info", message: "m", cells: ["'Matriz de adyacencia'!C6:F6"], count: 4 }, context);
  assert.match(blank[0].html, /^Diego .* · row$/);
  assert.deepEqual(blank[0].show, { row: 3, col: null });
  const diagonal = findingRows({ check: "diagonal_one", severity: "warning", message: "m", cells: ["'Matriz de adyacencia'!F6"], count: 1 }, context);
  assert.deepEqual(diagonal[0].cells, [{ ref: "'Matriz de adyacencia'!F6", value: "1" }]);
  const csv = findingRows({ check: "contacts.invalid_email", severity: "error", message: "m", cells: ["contacts.csv:12"], count: 1 }, null);
  assert.equal(csv[0].html, "Line 12");
  // Without a layout (an older snapshot), references are still listed as they are.
  assert.deepEqual(findingRows({ check: "diagonal_one", severity: "warning", message: "m", cells: ["'Matriz de adyacencia'!F6"] }, null)[0].cells, [{ ref: "'Matriz de adyacencia'!F6", value: undefined }]);
});

test("findingsHtml() shows titles, code names, rows with Show buttons, and how many are not listed", () => {
  const html = findingsHtml(
    [
      { check: "asymmetric_pair", severity: "warning", message: "3 pairs <b>", cells: ["'Matriz de adyacencia'!E4", "'Matriz de adyacencia'!D5"], count: 3 },
      { check: "unknown_cells", severity: "info", message: "blank", cells: ["'Matriz de adyacencia'!C6:F6"], count: 4 },
    ],
    { context },
  );
  assert.match(html, /<strong>Marked in one direction only<\/strong> <span class="muted">3 pairs<\/span> <code class="check-code">asymmetric_pair<\/code>/);
  assert.match(html, /3 pairs &lt;b&gt;/);
  assert.match(html, /data-show-row="1" data-show-col="2" data-show-pair="2-3"/);
  // Each Show is named by its cells, not a dozen buttons alike called "Show".
  assert.match(html, /aria-label="Show &#39;Matriz de adyacencia&#39;!E4 and &#39;Matriz de adyacencia&#39;!D5 in the matrix and the network">Show<\/button>/);
  assert.match(html, /and 2 more/);
  assert.match(findingsHtml([]), /No quality findings/);
});

test("findingsHtml() says 'and N more' only for cells it did not list, never for a remark that names no cell", () => {
  const remark = findingsHtml([{ check: "contacts.file", severity: "warning", message: "Column 'city' is not in the file; existing values are kept", cells: [], count: 1 }]);
  assert.doesNotMatch(remark, /more/);
  const capped = findingsHtml([{ check: "contacts.invalid_email", severity: "error", message: "x", cells: ["contacts.csv:3"], count: 4 }]);
  assert.match(capped, /and 3 more/);
});
