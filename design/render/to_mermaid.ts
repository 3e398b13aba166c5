// Mermaid text for GitHub: flowcharts for views, sequence diagrams for sequences. Every diagram gets
// a title (front matter) and a legend; every arrow shows its protocol.
import type { Model, Sequence } from "../model/mod.ts";
import type { Diagram, DiagramNode } from "./project_view.ts";
import { projectSequence } from "./sequence_view.ts";
import { wrap } from "./text.ts";

/** Kind -> fill, stroke; shared with the SVG renderer so both pictures use one palette. */
export const PALETTE: Record<string, { fill: string; stroke: string; label: string }> = {
  client: { fill: "#fff4d6", stroke: "#b7950b", label: "client" },
  edge: { fill: "#fde2e4", stroke: "#c0392b", label: "edge (DNS, WAF, CDN, LB)" },
  service: { fill: "#dbeafe", stroke: "#1d4ed8", label: "service" },
  job: { fill: "#e0e7ff", stroke: "#4338ca", label: "job / worker" },
  queue: { fill: "#ede9fe", stroke: "#6d28d9", label: "event bus / queue" },
  datastore: { fill: "#dcfce7", stroke: "#15803d", label: "database" },
  cache: { fill: "#ecfccb", stroke: "#4d7c0f", label: "cache" },
  "search-index": { fill: "#d1fae5", stroke: "#047857", label: "search index" },
  "object-store": { fill: "#ccfbf1", stroke: "#0f766e", label: "object storage" },
  file: { fill: "#f0fdf4", stroke: "#166534", label: "file" },
  external: { fill: "#f3f4f6", stroke: "#4b5563", label: "third party / legacy" },
  system: { fill: "#dbeafe", stroke: "#1e3a8a", label: "our system" },
};

/** Line styles -> colour and meaning, for legends. */
export const EDGE_STYLES: Record<string, { color: string; label: string }> = {
  sync: { color: "#374151", label: "synchronous call" },
  async: { color: "#6d28d9", label: "asynchronous event / message" },
  card: { color: "#dc2626", label: "cardholder data" },
  replication: { color: "#0369a1", label: "cross-region replication" },
};

/**
 * Returns text safe inside a quoted Mermaid label (entity codes for quotes, angle brackets, `#`, `;`).
 * @example mermaidText('say "hi"') // "say #quot;hi#quot;"
 */
export function mermaidText(text: string): string {
  // One pass, so the entity codes we insert are not escaped again.
  const codes: Record<string, string> = { "#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", ";": "#59;" };
  return text.replace(/[#"<>;]/g, (ch) => codes[ch]);
}

/**
 * Returns an identifier Mermaid accepts for a model id.
 * @example mermaidId("hotel-db@eu-west-1") // "hotel_db_eu_west_1"
 */
export function mermaidId(id: string): string {
  return id.replace(/[^A-Za-z0-9_]/g, "_");
}

function shape(node: DiagramNode): string {
  const text = `"${narrow(node.name, 22)}<br/>[${narrow(node.tech, 24)}]"`;
  switch (node.kind) {
    case "client":
      return `([${text}])`;
    case "edge":
      return `{{${text}}}`;
    case "queue":
      return `[[${text}]]`;
    case "datastore":
    case "cache":
    case "search-index":
    case "object-store":
    case "file":
      return `[(${text})]`;
    case "external":
      return `[/${text}/]`;
    default:
      return `[${text}]`;
  }
}

function frontMatter(title: string, config: string[] = []): string[] {
  // A title line in YAML: quoting keeps colons in titles from breaking the front matter.
  return ["---", `title: "${title.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`, ...config, "---"];
}

/** Text broken into lines of about `width` characters with `<br/>`, so a box or label stays narrow on the page. */
function narrow(text: string, width: number): string {
  return wrap(text, width).map(mermaidText).join("<br/>");
}

// GitHub scales a diagram to the page: narrow boxes and labels, and top-to-bottom flow for views
// (deployment views stay left to right so each region's boxes stack in a column).
const FLOWCHART_CONFIG = ["config:", "  flowchart:", "    nodeSpacing: 24", "    rankSpacing: 36", "    wrappingWidth: 170"];
const SEQUENCE_CONFIG = ["config:", "  sequence:", "    wrap: true", "    width: 130", "    actorMargin: 24", "    messageFontSize: 14", "    noteFontSize: 13"];

/**
 * Returns an arrow's text in a Mermaid flowchart: its label, then its protocol, each wrapped narrow.
 * @example edgeText({ label: "hold, commit, cancel", protocol: "HTTPS (OTA XML)", ... }) // "hold, commit, cancel<br/>HTTPS (OTA XML)"
 */
export function edgeText(e: { label: string; protocol: string }): string {
  return `${narrow(e.label, 22)}<br/>${narrow(e.protocol, 22)}`;
}

/**
 * Returns a Mermaid flowchart for a projected view, with zone subgraphs (inside region subgraphs for
 * deployment views), one class per kind and a legend subgraph.
 * @example flowchartMermaid(projectView(model, view)).startsWith("---") // true
 */
export function flowchartMermaid(diagram: Diagram): string {
  const deployment = diagram.rows.length > 1 || diagram.rows[0].id !== "";
  const lines = [...frontMatter(diagram.title, FLOWCHART_CONFIG), `flowchart ${deployment ? "LR" : "TB"}`];
  for (const row of diagram.rows) {
    const indent = deployment ? "    " : "  ";
    if (deployment) lines.push(`  subgraph ${mermaidId(`r_${row.id}`)}["${mermaidText(row.name)}"]`);
    for (const column of diagram.columns) {
      const members = diagram.nodes.filter((n) => n.row === row.id && n.column === column.id);
      if (members.length === 0) continue;
      lines.push(`${indent}subgraph ${mermaidId(`z_${row.id}_${column.id}`)}["${mermaidText(column.name)}"]`);
      for (const n of members) lines.push(`${indent}  ${mermaidId(n.id)}${shape(n)}`);
      lines.push(`${indent}end`);
    }
    if (deployment) lines.push("  end");
  }
  const arrows = { sync: "-->", async: "-.->", card: "==>", replication: "-.->" } as const;
  diagram.edges.forEach((e) => {
    lines.push(`  ${mermaidId(e.from)} ${arrows[e.style]}|"${edgeText(e)}"| ${mermaidId(e.to)}`);
  });
  diagram.edges.forEach((e, i) => {
    if (e.style !== "sync") lines.push(`  linkStyle ${i} stroke:${EDGE_STYLES[e.style].color},stroke-width:${e.style === "card" ? 3 : 1.5}px`);
  });
  const kinds = [...new Set(diagram.nodes.map((n) => n.kind))];
  lines.push('  subgraph legend["Legend"]');
  for (const k of kinds) lines.push(`    legend_${mermaidId(k)}["${mermaidText(PALETTE[k].label)}"]`);
  const styles = [...new Set(diagram.edges.map((e) => e.style))];
  const lineText = styles.map((s) => `${{ sync: "solid", async: "dashed", card: "thick red", replication: "dashed blue" }[s]}: ${EDGE_STYLES[s].label}`);
  lines.push(`    legend_lines["${mermaidText(["arrows: label + protocol", ...lineText].join(" | "))}"]`);
  lines.push("  end");
  for (const k of kinds) {
    const p = PALETTE[k];
    lines.push(`  classDef ${mermaidId(`k_${k}`)} fill:${p.fill},stroke:${p.stroke},color:#111827`);
    const ids = [...diagram.nodes.filter((n) => n.kind === k).map((n) => mermaidId(n.id)), `legend_${mermaidId(k)}`];
    lines.push(`  class ${ids.join(",")} ${mermaidId(`k_${k}`)}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * Returns a Mermaid sequence diagram: messages travel on model connections and show their protocol;
 * a legend note spans all lifelines.
 * @example sequenceMermaid(model, model.sequences[0]).includes("sequenceDiagram") // true
 */
export function sequenceMermaid(model: Model, sequence: Sequence): string {
  const diagram = projectSequence(model, sequence);
  const lines = [...frontMatter(diagram.title, SEQUENCE_CONFIG), "sequenceDiagram"];
  for (const l of diagram.lifelines) lines.push(`  ${l.kind === "client" ? "actor" : "participant"} ${mermaidId(l.id)} as ${mermaidText(l.name)}`);
  const first = mermaidId(diagram.lifelines[0].id);
  const last = mermaidId(diagram.lifelines[diagram.lifelines.length - 1].id);
  lines.push(`  Note over ${first},${last}: Legend: solid arrow = call, dashed = reply, open arrow = async event, [..] = protocol, CARD = cardholder data`);
  for (const item of diagram.items) {
    if (item.kind === "note") {
      lines.push(`  Note over ${item.over.map(mermaidId).join(",")}: ${mermaidText(item.text)}`);
      continue;
    }
    const arrow = { sync: "->>", card: "->>", async: "-)", reply: "-->>" }[item.style];
    lines.push(`  ${mermaidId(item.from)}${arrow}${mermaidId(item.to)}: ${mermaidText(item.text)} [${mermaidText(item.protocol)}]`);
  }
  return lines.join("\n") + "\n";
}
