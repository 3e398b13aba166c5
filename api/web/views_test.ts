// Tests for the pure view modules (data -> markup) and the matrix math; the browser tests cover
// how they behave on the page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeHtml, formatCount, formatTime } from "./_html.js";
import { runChartSvg, niceCeiling } from "./run_chart.js";
import { findingsHtml, groupFindings } from "./findings_view.js";
import { latestRunHtml, describeChange } from "./latest_run.js";
import { actorKind, graphEdges, networkSvg, relationshipListHtml, topByDegree } from "./network_view.js";
import { contactInput, contactRowsHtml, fieldErrors, contactFieldsHtml, CONTACT_FIELDS } from "./contacts_view.js";
import { cellAt, countCells, fitView, matrixPixels, MATRIX_COLORS, panBy, visibleRows, zoomAt } from "./matrix_heatmap.js";
import { query } from "./api_client.js";
import type { RunRecord, Actor, Relationship } from "./api_client.js";

function run(overrides: Partial<RunRecord>): RunRecord {
  return {
    id: "r1",
    kind: "relationships",
    status: "succeeded",
    started_at: "2026-11-20T02:00:00.000Z",
    finished_at: "2026-11-20T02:00:03.000Z",
    file: { name: "relaciones.xlsx", path: "data/relaciones.xlsx", size: 21831, sha256: "ab".repeat(32) },
    counts: { actors: 50, pairs: 120 },
    findings: [],
    changes: {},
    error: null,
    version_id: 1,
    ...overrides,
  };
}

function actor(id: number, degree: number, extra: Partial<Actor> = {}): Actor {
  return { id, letter_code: `C${id}`, name: `Actor ${id}`, degree, in_matrix: true, in_list: true, unknown_cells: 0, ...extra };
}

function pair(a: number, b: number, ab: boolean | null, ba: boolean | null): Relationship {
  return { person_a_id: a, person_a_letter: null, person_a_name: null, person_b_id: b, person_b_letter: null, person_b_name: null, a_to_b: ab, b_to_a: ba };
}

test("escapeHtml(), formatCount(), formatTime() and query()", () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  assert.equal(escapeHtml(null), "");
  assert.equal(formatCount(12345), "12,345");
  assert.equal(formatCount(undefined), "–");
  assert.equal(formatTime("2026-11-29T09:50:45.123Z"), "2026-11-29 09:50 UTC");
  assert.equal(formatTime("nonsense"), "nonsense");
  assert.equal(query({ q: "ana maría", limit: 10, cursor: undefined, state: "" }), "?q=ana+mar%C3%ADa&limit=10");
  assert.equal(query({}), "");
});

test("runChartSvg() draws a focusable marker per run and marks failures", () => {
  const runs = [
    run({ id: "a", started_at: "2026-11-20T02:00:00Z", counts: { actors: 48, pairs: 110 } }),
    run({ id: "b", started_at: "2026-11-21T02:00:00Z", status: "failed", counts: {}, error: { code: "missing_sheet", message: "Cannot find sheet" } }),
    run({ id: "c", started_at: "2026-11-22T02:00:00Z", status: "skipped" }),
    run({ id: "d", started_at: "2026-11-23T02:00:00Z", counts: { actors: 50, pairs: 120 } }),
  ];
  const svg = runChartSvg([...runs].reverse(), { selectedId: "d" });
  assert.equal(svg.match(/data-run-id=/g)?.length, 4);
  assert.equal(svg.match(/tabindex="0"/g)?.length, 4);
  assert.equal(svg.match(/class="fail-mark"/g)?.length, 1);
  assert.match(svg, /status-failed[^>]*aria-label="[^"]*failed \(Cannot find sheet\)/);
  assert.match(svg, /class="run-point status-succeeded selected" data-run-id="d"/);
  // Oldest first, whatever order the API sent: "a" is drawn before "d".
  assert.ok(svg.indexOf('data-run-id="a"') < svg.indexOf('data-run-id="d"'));
  // The failed run is not drawn as a zero: the line joins the three runs with counts.
  assert.equal(svg.match(/class="line line-actors" d="([^"]*)"/)?.[1].match(/[ML]/g)?.length, 3);
  assert.match(runChartSvg([]), /No runs yet/);
  assert.equal(niceCeiling(137), 200);
  assert.equal(niceCeiling(50), 50);
  assert.equal(niceCeiling(0), 1);
});

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

test("latestRunHtml() shows status, file, counts and changes", () => {
  const html = latestRunHtml(
    run({ version_id: 3, changes: { pairs_added: 2, actors_removed: 0, actors_changed: 1 }, change_details: [{ entity: "pair", change: "added", person_a: 1, person_b: 2 }] }),
    { names: new Map([[1, "Ana (A)"]]) },
  );
  assert.match(html, /data-run-status="succeeded"/);
  assert.match(html, /relaciones\.xlsx/);
  assert.match(html, /<strong>2<\/strong> pairs added/);
  assert.match(html, /<strong>1<\/strong> actor changed/);
  assert.doesNotMatch(html, /actors removed/);
  assert.match(html, /Pair Ana \(A\) – 2 added/);
  const failed = latestRunHtml(run({ status: "failed", error: { code: "bad_zip", message: "Not a workbook" }, counts: {} }));
  assert.match(failed, /data-run-status="failed"/);
  assert.match(failed, /bad_zip/);
  assert.match(latestRunHtml(run({ changes: { pairs_added: 0 } })), /First version/);
  assert.match(latestRunHtml(undefined), /No relationship load has run yet/);
  assert.equal(
    describeChange({ entity: "actor", change: "changed", numeric_id: 3, field: "actor_name", old_value: "Ana", new_value: "Ana María" }, new Map()),
    "Actor 3 actor_name changed: 'Ana' → 'Ana María'",
  );
});

test("network_view: kinds, top-N, edges and SVG", async (t) => {
  await t.test("actorKind()", () => {
    assert.equal(actorKind(actor(1, 0, { unknown_cells: 49 }), 50), "unknown-only");
    assert.equal(actorKind(actor(1, 3, { unknown_cells: 49 }), 50), "unknown-only");
    assert.equal(actorKind(actor(1, 3, { unknown_cells: 10 }), 50), "normal");
    assert.equal(actorKind(actor(1, 0, { in_matrix: false }), 50), "list-only");
  });
  await t.test("topByDegree() keeps the busiest plus requested actors", () => {
    const actors = [actor(1, 1), actor(2, 9), actor(3, 5), actor(4, 5), actor(5, 0)];
    assert.deepEqual(topByDegree(actors, 3).map((a) => a.id), [2, 3, 4]);
    assert.deepEqual(topByDegree(actors, 2, new Set([5])).map((a) => a.id), [2, 3, 5]);
  });
  await t.test("graphEdges() classifies directions and blank other sides", () => {
    const edges = graphEdges([pair(1, 2, true, true), pair(1, 3, true, false), pair(2, 3, null, true), pair(3, 9, true, true), pair(1, 2, true, true)], new Set([1, 2, 3]));
    assert.deepEqual(edges, [
      { source: 1, target: 2, kind: "mutual", otherUnknown: false },
      { source: 1, target: 3, kind: "forward", otherUnknown: false },
      { source: 2, target: 3, kind: "backward", otherUnknown: true },
    ]);
  });
  await t.test("networkSvg() has one [data-actor-id] per actor, titles and distinct edge styles", () => {
    const actors = [actor(1, 2), actor(2, 1, { name: "Ana <María>" }), actor(3, 0, { unknown_cells: 2 })];
    const edges = graphEdges([pair(1, 2, true, true), pair(1, 3, true, null)], new Set([1, 2, 3]));
    const positions = new Map([[1, { x: 10, y: 10 }], [2, { x: 100, y: 10 }], [3, { x: 50, y: 80 }]]);
    const svg = networkSvg({ actors, edges, positions, width: 200, height: 100, selectedId: 1, highlight: new Set([2]) });
    assert.equal(svg.match(/data-actor-id=/g)?.length, 3);
    assert.match(svg, /<title>Ana &lt;María&gt; \(C2\)/);
    assert.match(svg, /class="edge mutual active"/);
    assert.match(svg, /class="edge one-known active"[^>]*marker-end="url\(#arrow-unknown\)"/);
    assert.match(svg, /class="node unknown-only neighbour"/);
    assert.match(svg, /class="node normal selected"/);
    assert.match(svg, /class="node normal neighbour match"/);
  });
  await t.test("relationshipListHtml() spells out directions", () => {
    const html = relationshipListHtml(actor(1, 2), [
      { id: 2, letter_code: "B", name: "Bea", a_to_b: true, b_to_a: true },
      { id: 3, letter_code: "C", name: "Cris", a_to_b: true, b_to_a: null },
    ]);
    assert.match(html, /data-goto-actor="2"/);
    assert.match(html, /both marked each other/);
    assert.match(html, /their row is blank/);
  });
});

test("contacts_view: form fields, input, errors and rows", () => {
  const fields = contactFieldsHtml();
  for (const f of CONTACT_FIELDS) {
    assert.match(fields, new RegExp(`<label for="contact-${f.name}">`));
    assert.match(fields, new RegExp(`data-error-for="${f.name}"`));
  }
  assert.deepEqual(contactInput({ first_name: " Ana ", last_name: "Ruiz", email: "", departments: "Sales, IT ,," }), {
    first_name: "Ana",
    last_name: "Ruiz",
    email: null,
    company_name: null,
    address: null,
    city: null,
    state: null,
    zip: null,
    phone1: null,
    phone2: null,
    departments: ["Sales", "IT"],
  });
  const errors = fieldErrors({
    status: 422,
    errors: [
      { field: "email", message: "must be an email address" },
      { field: "/state", message: "must be two letters" },
      { field: "departments[0]", message: "is too long" },
      { field: "nickname", message: "is not a known field" },
    ],
  });
  assert.deepEqual([...errors.keys()], ["email", "state", "departments", ""]);
  assert.deepEqual(errors.get(""), ["nickname: is not a known field"]);
  assert.deepEqual([...fieldErrors({ status: 500, title: "Internal error" })], [["", ["Internal error"]]]);
  const rows = contactRowsHtml([
    { id: 7, first_name: "Ana", last_name: "<Ruiz>", company_name: null, address: null, city: "Lima", state: "LA", zip: null, phone1: null, phone2: null, email: "a@b.co", departments: ["Sales"] },
  ]);
  assert.match(rows, /data-contact-id="7"/);
  assert.match(rows, /Ana &lt;Ruiz&gt;/);
  assert.match(rows, /data-edit-contact="7"/);
  assert.match(contactRowsHtml([]), /No contacts match/);
});

test("matrix_heatmap: view math and pixels", () => {
  assert.deepEqual(fitView(50, 500, 400), { scale: 8, x: 0, y: 0 });
  const size = { n: 1000, width: 400, height: 400 };
  assert.deepEqual(zoomAt({ scale: 2, x: 0, y: 0 }, 2, 100, 100, size), { scale: 4, x: 25, y: 25 });
  // Never zoomed out past fitting, never panned off the matrix.
  assert.deepEqual(zoomAt(fitView(1000, 400, 400), 0.1, 0, 0, size), fitView(1000, 400, 400));
  assert.deepEqual(panBy({ scale: 4, x: 0, y: 0 }, 100, 100, size), { scale: 4, x: 0, y: 0 });
  assert.deepEqual(panBy({ scale: 4, x: 0, y: 0 }, -100000, 0, size), { scale: 4, x: 900, y: 0 });
  assert.deepEqual(visibleRows({ scale: 10, x: 0, y: 5 }, 1000, 300), { start: 5, end: 35 });
  assert.deepEqual(cellAt({ scale: 10, x: 0, y: 0 }, 25, 7, 50), { row: 0, col: 2 });
  assert.equal(cellAt({ scale: 10, x: 0, y: 0 }, 600, 7, 50), null);

  const rows = ["1.", "0"];
  const pixels = matrixPixels({ n: 2, getRow: (i) => rows[i], view: { scale: 2, x: 0, y: 0 }, width: 4, height: 4 });
  const at = (x: number, y: number) => Array.from(pixels.slice((y * 4 + x) * 4, (y * 4 + x) * 4 + 3));
  assert.deepEqual(at(0, 0), MATRIX_COLORS.one);
  assert.deepEqual(at(2, 0), MATRIX_COLORS.unknown);
  assert.deepEqual(at(0, 2), MATRIX_COLORS.zero);
  assert.deepEqual(at(2, 2), MATRIX_COLORS.unknown); // row shorter than n: a missing char is unknown
  assert.deepEqual(countCells([[0, "01."], [1, "1.0"]]), { one: 2, zero: 1, unknown: 1 });
  assert.deepEqual(countCells(new Map([[0, "..1"]]).entries()), { one: 1, zero: 0, unknown: 1 });
  const loading = matrixPixels({ n: 2, getRow: () => undefined, view: { scale: 2, x: 0, y: 0 }, width: 4, height: 4 });
  assert.deepEqual(Array.from(loading.slice(0, 3)), MATRIX_COLORS.missing);
});
