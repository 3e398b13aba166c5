import { test } from "node:test";
import assert from "node:assert/strict";
import { findingsHtml, groupFindings } from "./findings_view.js";

test("groupFindings() and findingsHtml() group by severity then check, with cell refs", () => {
  const findings = [
    { check: "blank_cells", severity: "info" as const, message: "Blank", cells: ["'Matriz de adyacencia'!C48"], count: 245 },
    { check: "asymmetric", severity: "warning" as const, message: "A marks B only", cells: ["'Matriz de adyacencia'!F5"] },
    { check: "code_mismatch", severity: "error" as const, message: "Codes differ <b>", cells: ["'Lista de actores'!A8"] },
    { check: "asymmetric", severity: "warning" as const, message: "C marks D only", cells: ["'Matriz de adyacencia'!E6"] },
  ];
  const groups = groupFindings(findings);
  assert.deepEqual(groups.map((g) => g.severity), ["error", "warning", "info"]);
  assert.equal(groups[1].checks[0].findings.length, 2);
  assert.equal(groups[2].checks[0].total, 245);
  const html = findingsHtml(findings, { maxCells: 1 });
  assert.match(html, /<code>&#39;Matriz de adyacencia&#39;!F5<\/code>/);
  assert.match(html, /Codes differ &lt;b&gt;/);
  assert.match(html, /and 244 more/);
  assert.match(findingsHtml([]), /No quality findings/);
});
