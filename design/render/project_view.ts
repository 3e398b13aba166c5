// A view of a model reduced to what any renderer needs: boxes in columns (zones) and rows
// (regions, for deployment views), and labelled arrows. Mermaid and SVG both draw this, so the two
// pictures of one view cannot disagree.
import type { ComponentKind, Model, View } from "../model/mod.ts";

/** A box: one component, one instance of it in a region, or a collapsed system. */
export interface DiagramNode {
  id: string;
  name: string;
  tech: string;
  kind: ComponentKind | "system";
  column: string;
  row: string;
}

/** An arrow; `protocol` is always present so every picture shows it. */
export interface DiagramEdge {
  from: string;
  to: string;
  label: string;
  protocol: string;
  style: "sync" | "async" | "card" | "replication";
}

/** Everything a renderer draws for one view. */
export interface Diagram {
  id: string;
  title: string;
  description: string;
  columns: { id: string; name: string }[];
  /** One row with id "" unless the view is a deployment view. */
  rows: { id: string; name: string }[];
  nodes: DiagramNode[];
  edges: DiagramEdge[];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/**
 * Returns the diagram for one view: context views merge collapsed members into one box and merge
 * their arrows; deployment views draw one box per region instance, edge routing and replication.
 * @example projectView(model, model.views[0]).nodes.length // 8
 */
export function projectView(model: Model, view: View): Diagram {
  const components = new Map(model.components.map((c) => [c.id, c]));
  const drawn = new Set(view.elements);
  const nodes: DiagramNode[] = [];
  const edges: DiagramEdge[] = [];
  if (view.level === "deployment") {
    const instances = (id: string) => (components.get(id)?.regions ?? []).map((r) => `${id}@${r}`);
    for (const id of view.elements) {
      const c = components.get(id)!;
      for (const r of c.regions) nodes.push({ id: `${id}@${r}`, name: c.name, tech: c.tech, kind: c.kind, column: c.zone, row: r });
    }
    for (const conn of model.connections) {
      if (!drawn.has(conn.from) || !drawn.has(conn.to)) continue;
      const from = instances(conn.from);
      const to = instances(conn.to);
      // Calls between two multi-region components stay inside a region; the containers view shows them.
      if (from.length > 1 && to.length > 1) continue;
      // A component placed in some of the other's regions (a relay in the writer region) calls its own region's instance.
      const region = (instance: string) => instance.slice(instance.indexOf("@") + 1);
      const shared = from.some((f) => to.some((t) => region(f) === region(t)));
      for (const f of from) {
        for (const t of to) {
          if (shared && region(f) !== region(t)) continue;
          edges.push({ from: f, to: t, label: conn.label, protocol: conn.protocol, style: conn.data.includes("card") ? "card" : conn.mode });
        }
      }
    }
    for (const id of view.elements) {
      const c = components.get(id)!;
      const link = c.regionLink ?? model.stores.find((s) => s.component === id)?.replicationLink;
      if (!link || c.regions.length < 2) continue;
      for (const r of c.regions.slice(1)) {
        edges.push({ from: `${c.id}@${c.regions[0]}`, to: `${c.id}@${r}`, label: link.label, protocol: link.protocol, style: "replication" });
      }
    }
  } else {
    const into = new Map<string, string>();
    for (const id of view.elements) {
      const c = components.get(id)!;
      nodes.push({ id, name: c.name, tech: c.tech, kind: c.kind, column: c.zone, row: "" });
    }
    if (view.collapse) {
      const k = view.collapse;
      nodes.push({ id: k.id, name: k.name, tech: k.description, kind: "system", column: k.zone, row: "" });
      for (const m of k.members) into.set(m, k.id);
    }
    const merged = new Map<string, { from: string; to: string; labels: string[]; protocols: string[]; styles: string[] }>();
    for (const conn of model.connections) {
      const from = drawn.has(conn.from) ? conn.from : into.get(conn.from);
      const to = drawn.has(conn.to) ? conn.to : into.get(conn.to);
      if (!from || !to || from === to) continue;
      const key = `${from}\u0000${to}`;
      const m = merged.get(key) ?? { from, to, labels: [], protocols: [], styles: [] };
      m.labels.push(conn.label);
      m.protocols.push(conn.protocol);
      m.styles.push(conn.data.includes("card") ? "card" : conn.mode);
      merged.set(key, m);
    }
    for (const m of merged.values()) {
      const style = m.styles.includes("card") ? "card" : m.styles.every((s) => s === "async") ? "async" : "sync";
      edges.push({ from: m.from, to: m.to, label: unique(m.labels).join("; "), protocol: unique(m.protocols).join(", "), style });
    }
  }
  const usedColumns = new Set(nodes.map((n) => n.column));
  const usedRows = new Set(nodes.map((n) => n.row));
  return {
    id: view.id,
    title: `${model.title}: ${view.title}`,
    description: view.description,
    columns: model.zones.filter((z) => usedColumns.has(z.id)).map((z) => ({ id: z.id, name: z.name })),
    rows: view.level === "deployment" ? model.regions.filter((r) => usedRows.has(r.id)).map((r) => ({ id: r.id, name: r.name })) : [{ id: "", name: "" }],
    nodes,
    edges,
  };
}
