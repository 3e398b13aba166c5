// Renderer tests: escaping, determinism, titles, legends, protocols on every arrow, and the
// generated-section markers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { designs } from "../designs.ts";
import { hotelPlatform } from "../hotel-platform/model.ts";
import type { Model } from "../model/mod.ts";
import {
  edgeText,
  flowchartMermaid,
  flowchartSvg,
  mermaidText,
  projectSequence,
  projectView,
  renderDesign,
  replaceSections,
  sequenceMermaid,
  sequenceSvg,
  staleFiles,
  traceabilityTable,
  failureTable,
  generatedSections,
  wrap,
  zoneLayers,
} from "./mod.ts";
import { distanceToPolyline, intersects, svgGeometry } from "./svg_geometry.ts";
import { escapeHtml } from "../../api/web/html.js";

test("mermaidText() escapes quotes, brackets, # and ;", () => {
  assert.equal(mermaidText(`"a" <b> #1; c`), "#quot;a#quot; #lt;b#gt; #35;1#59; c");
});

test("wrap() breaks on spaces and keeps long words whole", () => {
  assert.deepEqual(wrap("PaymentCaptured, PaymentFailed", 20), ["PaymentCaptured,", "PaymentFailed"]);
  assert.deepEqual(wrap("", 10), [""]);
});

test("flowchartMermaid() gives every view a title, a legend, and every arrow its protocol", () => {
  for (const view of hotelPlatform.views) {
    const diagram = projectView(hotelPlatform, view);
    const text = flowchartMermaid(diagram);
    assert.ok(text.startsWith(`---\ntitle: "${diagram.title}"\nconfig:\n`), view.id);
    // Deployment views keep each region's boxes in a column; the others flow top to bottom to fit the page.
    assert.match(text, view.level === "deployment" ? /\n---\nflowchart LR\n/ : /\n---\nflowchart TB\n/, view.id);
    assert.match(text, /subgraph legend\["Legend"\]/);
    const arrows = text.split("\n").filter((l) => / (-->|-\.->|==>)\|/.test(l));
    assert.equal(arrows.length, diagram.edges.length);
    diagram.edges.forEach((e, i) => assert.ok(arrows[i].includes(`|"${edgeText(e)}"|`), arrows[i]));
  }
});

test("projectView() merges collapsed members in the context view and instances per region in deployment", () => {
  const context = projectView(hotelPlatform, hotelPlatform.views.find((v) => v.level === "context")!);
  assert.ok(context.nodes.some((n) => n.id === "platform" && n.kind === "system"));
  assert.ok(!context.nodes.some((n) => n.id === "booking"));
  const psp = context.edges.find((e) => e.from === "guest-browser" && e.to === "payment-provider");
  assert.equal(psp?.style, "card");
  const data = projectView(hotelPlatform, hotelPlatform.views.find((v) => v.id === "deployment-data")!);
  assert.ok(data.nodes.some((n) => n.id === "booking-db@us-east-1"));
  assert.ok(data.nodes.some((n) => n.id === "booking-db@us-west-2"));
  assert.ok(data.edges.some((e) => e.style === "replication" && e.from === "booking-db@us-east-1" && e.to === "booking-db@us-west-2"));
  // A component's own region link (the bus forwarding events) is drawn like a store's replication.
  const app = projectView(hotelPlatform, hotelPlatform.views.find((v) => v.id === "deployment-app")!);
  assert.ok(app.edges.some((e) => e.from === "event-bus@us-east-1" && e.to === "event-bus@us-west-2" && e.label === "HotelChanged forwarded"));
  assert.ok(!app.nodes.some((n) => n.id === "booking-outbox@us-west-2"), "relays run in the writer region only");
});

test("sequenceMermaid() titles the diagram, adds a legend note and the protocol to each message", () => {
  const seq = hotelPlatform.sequences.find((s) => s.id === "seq-book")!;
  const text = sequenceMermaid(hotelPlatform, seq);
  assert.match(text, /^---\ntitle: "Resort booking platform on AWS: Book and pay: hold, authorise, commit, capture"\nconfig:\n  sequence:\n    wrap: true\n[^]*?---\nsequenceDiagram\n/);
  assert.match(text, /Note over guest_browser,\w+: Legend:/);
  const messages = text.split("\n").filter((l) => /(->>|-->>|-\))\w+: /.test(l));
  assert.equal(messages.length, projectSequence(hotelPlatform, seq).items.filter((i) => i.kind === "message").length);
  for (const m of messages) assert.match(m, /\[[^\]]+\]$/);
  assert.ok(messages.some((m) => m.includes("guest_browser->>payment_provider: CARD ")));
});

test("projectSequence() draws a group as one lifeline and leaves out calls inside it", () => {
  const seq = hotelPlatform.sequences.find((s) => s.id === "seq-book")!;
  const diagram = projectSequence(hotelPlatform, seq);
  const ids = diagram.lifelines.map((l) => l.id);
  assert.ok(ids.includes("edge") && ids.includes("events"));
  for (const member of ["waf", "alb", "event-bus", "booking-outbox"]) assert.ok(!ids.includes(member), member);
  assert.ok(diagram.items.every((i) => i.kind === "note" || i.from !== i.to));
  assert.ok(diagram.lifelines.length <= 10, `${diagram.lifelines.length} lifelines do not fit the page`);
  const ungrouped = projectSequence(hotelPlatform, { ...seq, groups: [] });
  assert.ok(ungrouped.lifelines.length > diagram.lifelines.length);
});

test("flowchartSvg() and sequenceSvg() are deterministic, titled, legended and escape text", () => {
  const model: Model = structuredClone(hotelPlatform);
  model.components.find((c) => c.id === "search")!.name = `Search <"&'>`;
  const view = model.views.find((v) => v.id === "content")!;
  const a = flowchartSvg(projectView(model, view));
  const b = flowchartSvg(projectView(structuredClone(model), view));
  assert.equal(a, b);
  assert.match(a, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(a.includes("<title>Resort booking platform on AWS: Content and search</title>"));
  assert.ok(a.includes(">Legend</text>"));
  assert.ok(a.includes("Search &lt;&quot;&amp;&#39;&gt;"));
  assert.ok(!a.includes(`Search <"`));
  assert.doesNotMatch(a, /\d\.\d{5,}/, "coordinates are rounded so output is stable");
  const s = sequenceSvg(model, model.sequences[0]);
  assert.equal(s, sequenceSvg(structuredClone(model), model.sequences[0]));
  assert.ok(s.includes(">Legend</text>"));
});

test("replaceSections() fills marked sections and refuses missing or unknown markers", () => {
  const doc = "intro\n<!-- generated:a:start -->\nold\n<!-- generated:a:end -->\nouter\n";
  assert.equal(replaceSections(doc, { a: "new\n" }), "intro\n<!-- generated:a:start -->\nnew\n<!-- generated:a:end -->\nouter\n");
  assert.throws(() => replaceSections(doc, { a: "x", b: "y" }), SyntaxError);
  assert.throws(() => replaceSections(doc, {}), /nothing generates it/);
});

test("staleFiles() reports a README edited by hand inside a generated section, and an SVG out of date", () => {
  const dir = mkdtempSync(join(tmpdir(), "design-"));
  try {
    const sections = Object.keys(renderDesignSections());
    const readme = sections.map((k) => `<!-- generated:${k}:start -->\n<!-- generated:${k}:end -->\n`).join("");
    const files = renderDesign(hotelPlatform, readme);
    mkdirSync(join(dir, "svg"));
    for (const [path, text] of files) writeFileSync(join(dir, path), text);
    assert.deepEqual(staleFiles(dir, hotelPlatform), []);
    const model = structuredClone(hotelPlatform);
    model.connections.find((c) => c.id === "c-ari-crs")!.protocol = "SOAP";
    assert.deepEqual(staleFiles(dir, model), ["README.md", "svg/context.svg", "svg/landscape.svg", "svg/ari.svg", "svg/seq-ari.svg"]);
    // Editing the docs but not the model fails too: a hand edit inside a generated section.
    const rendered = files.get("README.md")!;
    writeFileSync(join(dir, "README.md"), rendered.replace("| R1 |", "| R1 (edited) |"));
    assert.deepEqual(staleFiles(dir, hotelPlatform), ["README.md"]);
    writeFileSync(join(dir, "README.md"), rendered);
    writeFileSync(join(dir, "svg", "old.svg"), "<svg/>");
    assert.ok(staleFiles(dir, hotelPlatform).includes("svg/old.svg"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function renderDesignSections(): Record<string, string> {
  // The section names come from the renderer itself, so this test never lists them by hand.
  return generatedSections(hotelPlatform);
}

test("traceabilityTable() and failureTable() escape pipes and angle brackets for GitHub Markdown", () => {
  const model: Model = structuredClone(hotelPlatform);
  model.requirements[0].text = "a | b <run>";
  const table = traceabilityTable(model);
  assert.ok(table.includes("a \\| b &lt;run&gt;"));
  assert.equal(failureTable(model).split("\n").length, model.failureModes.length + 2);
});

test("every diagram of every design has a title and a legend, and every arrow a label and a protocol", () => {
  for (const { model } of designs) {
    for (const view of model.views) {
      const diagram = projectView(model, view);
      const where = `${model.id}/${view.id}`;
      const mermaid = flowchartMermaid(diagram);
      assert.match(mermaid, /^---\ntitle: "[^"]+"\nconfig:\n[^]*?---\nflowchart (LR|TB)\n/, where);
      assert.ok(mermaid.startsWith(`---\ntitle: "${mermaidText(diagram.title)}"\n`), where);
      assert.match(mermaid, /subgraph legend\["Legend"\]/, where);
      const arrows = mermaid.split("\n").filter((l) => / (-->|-\.->|==>)\|/.test(l));
      assert.equal(arrows.length, diagram.edges.length, where);
      diagram.edges.forEach((e, i) => {
        assert.ok(e.label.trim() && e.protocol.trim(), `${where}: ${e.from} -> ${e.to} needs a label and a protocol`);
        assert.ok(arrows[i].includes(`|"${edgeText(e)}"|`), arrows[i]);
        assert.ok(edgeText(e).replace(/<br\/>/g, " ").includes(mermaidText(e.protocol).split(" ")[0]), arrows[i]);
      });
      const svg = flowchartSvg(diagram);
      assert.ok(svg.includes(`<title>${escapeHtml(diagram.title)}</title>`), where);
      assert.ok(svg.includes(">Legend</text>"), where);
    }
    for (const seq of model.sequences) {
      const where = `${model.id}/${seq.id}`;
      const mermaid = sequenceMermaid(model, seq);
      assert.ok(mermaid.startsWith(`---\ntitle: "${mermaidText(`${model.title}: ${seq.title}`)}"\nconfig:\n`), where);
      assert.match(mermaid, /\n---\nsequenceDiagram\n/, where);
      assert.match(mermaid, /Note over \w+,\w+: Legend:/, where);
      const messages = mermaid.split("\n").filter((l) => /(->>|-->>|-\))\w+: /.test(l));
      assert.equal(messages.length, projectSequence(model, seq).items.filter((i) => i.kind === "message").length, where);
      for (const m of messages) assert.match(m, /\[[^\]]+\]$/, `${where}: every message ends with its protocol`);
      const svg = sequenceSvg(model, seq);
      assert.ok(svg.includes(`<title>${escapeHtml(`${model.title}: ${seq.title}`)}</title>`), where);
      assert.ok(svg.includes(">Legend</text>"), where);
    }
  }
});

test("flowchartSvg() centres every label on its own arrow, never on a box or another label, in every view of every design", () => {
  const overlaps: string[] = [];
  for (const { model } of designs) {
    for (const view of model.views) {
      const diagram = projectView(model, view);
      const geometry = svgGeometry(flowchartSvg(diagram));
      const where = `${model.id}/${view.id}`;
      assert.equal(geometry.edges.length, diagram.edges.length, where);
      for (const e of geometry.edges) {
        const centre = { x: e.label.x + e.label.w / 2, y: e.label.y + e.label.h / 2 };
        const what = `${where}: '${diagram.edges[e.index].label}'`;
        assert.ok(distanceToPolyline(centre, e.points) <= 1.5, `${what} is ${distanceToPolyline(centre, e.points).toFixed(1)} px off its line`);
        assert.ok(!geometry.nodes.some((n) => intersects(n, e.label)), `${what} covers a box`);
        for (const o of geometry.edges.filter((o) => o.index > e.index && intersects(o.label, e.label))) overlaps.push(`${what} and '${diagram.edges[o.index].label}'`);
      }
    }
  }
  // Two labels on top of each other make both unreadable (the two calls between Identity and Guest services did).
  assert.deepEqual(overlaps, [], "labels overlap");
});

test("flowchartSvg() stacks the labels of two opposite calls between the same boxes when they cannot sit side by side", () => {
  const node = (id: string, column: string) => ({ id, name: id, tech: "", kind: "service" as const, column, row: "" });
  const edge = (from: string, to: string, label: string) => ({ from, to, label, protocol: "HTTPS/JSON, a protocol with a long name", style: "sync" as const });
  const columns = [{ id: "left", name: "Left" }, { id: "right", name: "Right" }];
  const diagram = { id: "t", title: "t", description: "", columns, rows: [{ id: "", name: "" }], nodes: [node("a", "left"), node("b", "right")], edges: [edge("a", "b", "a call whose label fills the gap"), edge("b", "a", "the answering call, just as long")] };
  const [there, back] = svgGeometry(flowchartSvg(diagram)).edges;
  assert.ok(!intersects(there.label, back.label), `${JSON.stringify(there.label)} overlaps ${JSON.stringify(back.label)}`);
  for (const e of [there, back]) assert.ok(distanceToPolyline({ x: e.label.x + e.label.w / 2, y: e.label.y + e.label.h / 2 }, e.points) <= 1.5);
});

test("svgGeometry() and distanceToPolyline() read what flowchartSvg() wrote", () => {
  assert.equal(distanceToPolyline({ x: 5, y: 1 }, [{ x: 0, y: 0 }, { x: 10, y: 0 }]), 1);
  assert.equal(distanceToPolyline({ x: 12, y: 5 }, [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 10 }]), 2);
  const geometry = svgGeometry('<g class="node" id="a">\n<rect x="1" y="2" width="3" height="4" rx="8"/></g><path class="edge" data-edge="0" d="M0,0 L10,0"/><g class="edge-label" data-edge="0"><rect x="2" y="-3" width="6" height="6" rx="3"/>');
  assert.deepEqual(geometry.nodes, [{ x: 1, y: 2, w: 3, h: 4 }]);
  assert.deepEqual(geometry.edges, [{ index: 0, points: [{ x: 0, y: 0 }, { x: 10, y: 0 }], label: { x: 2, y: -3, w: 6, h: 6 } }]);
});

test("zoneLayers() runs calls inside a zone left to right and breaks cycles", () => {
  const node = (id: string) => ({ id, name: id, tech: "", kind: "service" as const, column: "app", row: "" });
  const edge = (from: string, to: string) => ({ from, to, label: "x", protocol: "y", style: "sync" as const });
  const diagram = { id: "t", title: "t", description: "", columns: [{ id: "app", name: "App" }], rows: [{ id: "", name: "" }], nodes: ["a", "b", "c"].map(node), edges: [edge("a", "b"), edge("b", "c"), edge("c", "a")] };
  assert.deepEqual([...zoneLayers(diagram)], [["a", 0], ["b", 1], ["c", 2]]);
});
