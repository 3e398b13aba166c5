// Standalone SVG pictures, drawn by our own small layout: zones are columns, regions are rows,
// boxes stack inside each cell, arrows are straight (or a bracket when both ends share a column),
// labels sit in the gaps between columns and are nudged apart. Output is a pure function of the
// model: integer coordinates, model order, no randomness, so regenerating gives identical bytes.
import { escapeHtml } from "../../api/web/html.js";
import type { Model, Sequence } from "../model/mod.ts";
import type { Diagram, DiagramEdge, DiagramNode } from "./project_view.ts";
import { EDGE_STYLES, PALETTE } from "./to_mermaid.ts";
import { projectSequence } from "./sequence_view.ts";
import { wrap } from "./text.ts";

export { wrap };

const NODE_W = 200;
const NODE_H = 58;
const V_GAP = 16;
const COL_PAD = 14;
const COL_GAP = 260;
const MARGIN = 24;
const HEADER_H = 74;
const ZONE_HEAD = 28;
const ROW_HEAD = 30;
const CHAR_W = 5.6; // average width of a 10 px sans-serif character, for label boxes

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function defs(): string[] {
  const out = ["<defs>"];
  for (const [name, style] of Object.entries(EDGE_STYLES)) {
    out.push(`<marker id="arrow-${name}" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${style.color}"/></marker>`);
  }
  out.push("</defs>");
  return out;
}

function edgeAttrs(style: string): string {
  const color = EDGE_STYLES[style].color;
  const width = style === "card" ? 3 : 1.4;
  const dash = style === "async" ? ' stroke-dasharray="6 4"' : style === "replication" ? ' stroke-dasharray="2 3"' : "";
  return `fill="none" stroke="${color}" stroke-width="${width}"${dash} marker-end="url(#arrow-${style})"`;
}

function legend(x: number, y: number, kinds: string[], styles: string[]): { svg: string[]; w: number; h: number } {
  const svg: string[] = [];
  const lineH = 20;
  const h = 30 + lineH * (kinds.length + styles.length + 1);
  const w = 300;
  svg.push(`<g class="legend"><rect x="${x}" y="${y}" width="${w}" height="${h}" rx="6" fill="#ffffff" stroke="#9ca3af"/>`);
  svg.push(`<text x="${x + 12}" y="${y + 20}" font-size="12" font-weight="bold">Legend</text>`);
  let ly = y + 30;
  for (const k of kinds) {
    const p = PALETTE[k];
    svg.push(`<rect x="${x + 12}" y="${ly + 3}" width="28" height="14" rx="3" fill="${p.fill}" stroke="${p.stroke}"/>`);
    svg.push(`<text x="${x + 50}" y="${ly + 14}" font-size="11">${escapeHtml(p.label)}</text>`);
    ly += lineH;
  }
  for (const s of styles) {
    svg.push(`<path d="M${x + 12},${ly + 10} H${x + 40}" ${edgeAttrs(s)}/>`);
    svg.push(`<text x="${x + 50}" y="${ly + 14}" font-size="11">${escapeHtml(EDGE_STYLES[s].label)}</text>`);
    ly += lineH;
  }
  svg.push(`<text x="${x + 12}" y="${ly + 14}" font-size="11" fill="#374151">arrow text: label, then protocol</text>`);
  svg.push("</g>");
  return { svg, w, h };
}

function header(title: string, description: string): string[] {
  return [
    `<text x="${MARGIN}" y="${MARGIN + 18}" font-size="20" font-weight="bold">${escapeHtml(title)}</text>`,
    `<text x="${MARGIN}" y="${MARGIN + 40}" font-size="12" fill="#4b5563">${escapeHtml(description)}</text>`,
  ];
}

function open(width: number, height: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" role="img" aria-label="${escapeHtml(title)}">`,
    `<title>${escapeHtml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
}

function nodeSvg(n: DiagramNode, b: Box): string[] {
  const p = PALETTE[n.kind];
  const rx = n.kind === "client" ? 26 : n.kind === "external" ? 2 : 8;
  const out = [`<g class="node" id="${escapeHtml(n.id)}">`];
  out.push(`<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="${rx}" fill="${p.fill}" stroke="${p.stroke}" stroke-width="1.5"/>`);
  if (["datastore", "cache", "search-index", "object-store", "file"].includes(n.kind)) {
    // A second top edge reads as a cylinder: the usual sign for storage.
    out.push(`<path d="M${b.x},${b.y + 8} Q${b.x + b.w / 2},${b.y + 18} ${b.x + b.w},${b.y + 8}" fill="none" stroke="${p.stroke}"/>`);
  }
  const tech = wrap(n.tech, 36).slice(0, 2);
  const top = b.y + (n.kind === "datastore" || n.kind === "cache" ? 26 : 22);
  out.push(`<text x="${b.x + b.w / 2}" y="${top}" font-size="13" font-weight="bold" text-anchor="middle">${escapeHtml(n.name)}</text>`);
  tech.forEach((t, i) => out.push(`<text x="${b.x + b.w / 2}" y="${top + 15 + i * 12}" font-size="10" fill="#374151" text-anchor="middle">${escapeHtml(t)}</text>`));
  out.push("</g>");
  return out;
}

/**
 * Returns the nodes of each cell (row x slot) ordered to shorten arrows: a few barycentre sweeps
 * (each node moves towards the mean position of its neighbours), ties kept in model order.
 * @example orderCells(diagram, slotOf).get("|app#0") // ["web", ...]
 */
export function orderCells(diagram: Diagram, slotOf: (id: string) => string): Map<string, string[]> {
  const cells = new Map<string, string[]>();
  for (const n of diagram.nodes) {
    const key = `${n.row}|${slotOf(n.id)}`;
    cells.set(key, [...(cells.get(key) ?? []), n.id]);
  }
  const neighbours = new Map<string, string[]>();
  for (const e of diagram.edges) {
    neighbours.set(e.from, [...(neighbours.get(e.from) ?? []), e.to]);
    neighbours.set(e.to, [...(neighbours.get(e.to) ?? []), e.from]);
  }
  const position = () => {
    const pos = new Map<string, number>();
    for (const ids of cells.values()) ids.forEach((id, i) => pos.set(id, i));
    return pos;
  };
  for (let sweep = 0; sweep < 6; sweep++) {
    const pos = position();
    for (const [key, ids] of cells) {
      const scored = ids.map((id, i) => {
        const ns = (neighbours.get(id) ?? []).filter((n) => !ids.includes(n));
        const bary = ns.length === 0 ? i : ns.reduce((sum, n) => sum + pos.get(n)!, 0) / ns.length;
        return { id, i, bary };
      });
      scored.sort((a, b) => a.bary - b.bary || a.i - b.i);
      cells.set(key, scored.map((x) => x.id));
    }
  }
  return cells;
}

/**
 * Returns the layer of every node inside its zone: calls between two boxes of one zone go left to
 * right (longest path, cycles broken in model order), so they never need a bracket.
 * @example zoneLayers(diagram).get("payments") // 3 when booking (2) calls it
 */
export function zoneLayers(diagram: Diagram): Map<string, number> {
  const node = new Map(diagram.nodes.map((n) => [n.id, n]));
  const inner = diagram.edges.filter((e) => e.style !== "replication" && node.get(e.from)!.column === node.get(e.to)!.column && node.get(e.from)!.row === node.get(e.to)!.row && e.from !== e.to);
  const out = new Map<string, string[]>();
  for (const e of inner) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
  // Drop the edges that close a cycle (found by a depth-first walk in model order).
  const kept: [string, string][] = [];
  const state = new Map<string, "open" | "done">();
  const walk = (id: string) => {
    state.set(id, "open");
    for (const to of out.get(id) ?? []) {
      if (state.get(to) === "open") continue;
      kept.push([id, to]);
      if (!state.has(to)) walk(to);
    }
    state.set(id, "done");
  };
  for (const n of diagram.nodes) if (!state.has(n.id)) walk(n.id);
  const layer = new Map(diagram.nodes.map((n) => [n.id, 0]));
  for (let round = 0; round < diagram.nodes.length; round++) {
    let moved = false;
    for (const [a, b] of kept) {
      if (layer.get(b)! < layer.get(a)! + 1) {
        layer.set(b, layer.get(a)! + 1);
        moved = true;
      }
    }
    if (!moved) break;
  }
  return layer;
}

interface Point {
  x: number;
  y: number;
}

/** The point at fraction `f` of a polyline's length. */
function along(points: Point[], f: number): Point {
  const lengths = points.slice(1).map((p, i) => Math.abs(p.x - points[i].x) + Math.abs(p.y - points[i].y) || Math.hypot(p.x - points[i].x, p.y - points[i].y));
  let left = lengths.reduce((a, b) => a + b, 0) * f;
  for (let i = 0; i < lengths.length; i++) {
    if (left <= lengths[i] || i === lengths.length - 1) {
      const t = lengths[i] === 0 ? 0 : Math.min(1, left / lengths[i]);
      return { x: Math.round(points[i].x + (points[i + 1].x - points[i].x) * t), y: Math.round(points[i].y + (points[i + 1].y - points[i].y) * t) };
    }
    left -= lengths[i];
  }
  return points[0];
}

/** Whether the segment p-q passes through the box (tested on 16 points along it: boxes are large). */
function segmentHitsBox(p: Point, q: Point, box: Box): boolean {
  for (let i = 1; i < 16; i++) {
    const x = p.x + ((q.x - p.x) * i) / 16;
    const y = p.y + ((q.y - p.y) * i) / 16;
    if (x > box.x && x < box.x + box.w && y > box.y && y < box.y + box.h) return true;
  }
  return false;
}

function overlapArea(a: Box, b: Box): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

// Where along its own line a label may sit, middle first.
const FRACTIONS = [0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82, 0.12, 0.88];

/**
 * Returns a standalone SVG document for a projected view: title, zone columns (split into layers so
 * calls inside a zone run left to right), region rows, boxes, arrows and a legend. Every label is
 * centred on its own arrow; when labels cannot all sit free of boxes and of each other, the layout is
 * spread vertically and drawn again.
 * @example flowchartSvg(projectView(model, view)).startsWith("<svg") // true
 */
export function flowchartSvg(diagram: Diagram): string {
  // The picture spreads while labels placed in model order collide, as it did before the repair
  // rounds: a crowded layout they untangle still packs labels against boxes and arrowheads. Labels
  // still overlapping after the rounds weigh most.
  const worse = (a: Drawn, b: Drawn) => a.overlapping > b.overlapping || (a.overlapping === b.overlapping && a.crowded > b.crowded);
  let best = drawFlowchart(diagram, NODE_H + V_GAP);
  for (let slotH = NODE_H + V_GAP + 30; best.crowded > 0 && slotH <= NODE_H + V_GAP + 180; slotH += 30) {
    const next = drawFlowchart(diagram, slotH);
    if (worse(best, next)) best = next;
  }
  return best.svg;
}

/**
 * Returns a deployment diagram with its regions side by side: each (region, zone) becomes a column and
 * every box one row, so a store's copy in the next region sits level with it and the replication arrow
 * runs straight across the gap. Also returns the columns of each region, for the region frames.
 * @example sideBySide(diagram).regions[0].columns // ["us-east-1/data"]
 */
export function sideBySide(diagram: Diagram): { diagram: Diagram; regions: { name: string; columns: string[] }[] } {
  const regions = diagram.rows.map((r) => ({ name: r.name, columns: diagram.columns.filter((c) => diagram.nodes.some((n) => n.row === r.id && n.column === c.id)).map((c) => `${r.id}/${c.id}`) }));
  const names = new Map(diagram.columns.map((c) => [c.id, c.name]));
  const columns = regions.flatMap((r) => r.columns.map((id) => ({ id, name: names.get(id.slice(id.indexOf("/") + 1))! })));
  const nodes = diagram.nodes.map((n) => ({ ...n, column: `${n.row}/${n.column}`, row: "" }));
  return { diagram: { ...diagram, columns, rows: [{ id: "", name: "" }], nodes }, regions };
}

interface Drawn {
  svg: string;
  /** Labels that collided when placed in model order, before the repair rounds. */
  crowded: number;
  /** Labels still on a box or another label after them. */
  overlapping: number;
}

function drawFlowchart(input: Diagram, slotH: number): Drawn {
  const deployment = input.rows.length > 1 || input.rows[0].id !== "";
  const { diagram, regions } = deployment ? sideBySide(input) : { diagram: input, regions: [] };
  const nodeById = new Map(diagram.nodes.map((n) => [n.id, n]));
  const layers = zoneLayers(diagram);
  // Slots: one per (zone, layer), in zone order then layer order.
  const slots: { zone: string; layer: number }[] = [];
  for (const col of diagram.columns) {
    const used = [...new Set(diagram.nodes.filter((n) => n.column === col.id).map((n) => layers.get(n.id)!))].sort((a, b) => a - b);
    for (const layer of used) slots.push({ zone: col.id, layer });
  }
  const slotIndex = new Map(slots.map((s, i) => [`${s.zone}#${s.layer}`, i]));
  const slotOf = (id: string) => slotIndex.get(`${nodeById.get(id)!.column}#${layers.get(id)}`)!;
  const slotSpan = (e: DiagramEdge) => Math.abs(slotOf(e.from) - slotOf(e.to));
  const labelLines = (e: DiagramEdge) => [...wrap(e.label, 34), ...wrap(e.protocol, 34)];
  const slotX: number[] = [];
  let x = MARGIN;
  slots.forEach((s, i) => {
    const newZone = i > 0 && slots[i - 1].zone !== s.zone;
    if (newZone) x += 2 * COL_PAD;
    // Region frames sit around their zones: leave room for the frame between two regions.
    if (newZone && regions.some((r) => r.columns[0] === s.zone)) x += 24;
    slotX.push(x + COL_PAD);
    x += NODE_W + COL_GAP;
  });
  const cells = orderCells(diagram, (id) => String(slotOf(id)));
  // Boxes are placed from y = 0 first, to find which long arrows can go straight; the lanes for the
  // others then push everything down by the same amount.
  const place = (top: number) => {
    const boxes = new Map<string, Box>();
    let y = top + ZONE_HEAD;
    for (const row of diagram.rows) {
      const bandTop = y;
      const inner = bandTop + 10;
      let tallest = 0;
      slots.forEach((_, i) => {
        const members = cells.get(`${row.id}|${i}`) ?? [];
        members.forEach((id, k) => boxes.set(id, { x: slotX[i], y: inner + k * slotH, w: NODE_W, h: NODE_H }));
        tallest = Math.max(tallest, members.length * slotH);
      });
      y = bandTop + 10 + tallest + 10;
    }
    return { boxes, bottom: y };
  };
  const draft = place(0).boxes;
  const crossesABox = (e: DiagramEdge) => {
    const a = draft.get(e.from)!;
    const b = draft.get(e.to)!;
    const p = { x: a.x < b.x ? a.x + a.w : a.x, y: a.y + a.h / 2 };
    const q = { x: a.x < b.x ? b.x : b.x + b.w, y: b.y + b.h / 2 };
    return [...draft.entries()].some(([id, box]) => id !== e.from && id !== e.to && segmentHitsBox(p, q, { x: box.x - 8, y: box.y - 8, w: box.w + 16, h: box.h + 16 }));
  };
  // Arrows that skip a slot go straight when nothing is in the way, else over the top in a lane of their own.
  const laneEdges = diagram.edges.filter((e) => slotSpan(e) > 1 && crossesABox(e));
  const span = (e: DiagramEdge) => (laneEdges.includes(e) ? 2 : Math.min(1, slotSpan(e)));
  const laneTops: number[] = [];
  let laneBottom = HEADER_H;
  for (const e of laneEdges) {
    laneTops.push(laneBottom);
    laneBottom += Math.max(36, labelLines(e).length * 12 + 12);
  }
  // Region frames need a header line above the zone frames.
  const columnsTop = laneBottom + (deployment ? ROW_HEAD : 0);
  const { boxes, bottom } = place(columnsTop);
  let y = bottom;
  const contentBottom = y;

  const edgeSvg: string[] = [];
  const labelSvg: string[] = [];
  const labelSize = (e: DiagramEdge) => {
    const lines = labelLines(e);
    return { lines, w: Math.round(Math.max(...lines.map((l) => l.length)) * CHAR_W + 10), h: lines.length * 12 + 6 };
  };
  /**
   * Two arrows between the same boxes in opposite directions run side by side. Where both labels fit
   * along the line they sit 12 px apart with their labels at opposite ends; where they do not, the
   * arrows move a label's height apart so the labels stack, one above the other.
   */
  const twinOf = (e: DiagramEdge) => diagram.edges.find((o) => o.from === e.to && o.to === e.from);
  const twinApart = (e: DiagramEdge, twin: DiagramEdge) => {
    const a = boxes.get(e.from)!;
    const b = boxes.get(e.to)!;
    const length = Math.hypot(Math.max(a.x, b.x) - Math.min(a.x + a.w, b.x + b.w), b.y - a.y);
    const [mine, theirs] = [labelSize(e), labelSize(twin)];
    if (mine.w + theirs.w + 16 <= length) return { apart: 6, staggered: true };
    return { apart: Math.min(NODE_H / 2 - 4, Math.ceil(Math.max(mine.h, theirs.h) / 2) + 2), staggered: false };
  };
  const bracketCount = new Map<number, number>();
  const channelCount = new Map<number, number>();
  const channel = (edgeX: number, dir: number) => {
    // Vertical runs in a gap get their own x so parallel runs stay apart.
    const k = channelCount.get(edgeX) ?? 0;
    channelCount.set(edgeX, k + 1);
    return edgeX + dir * (COL_PAD + 10 + (k % 12) * 7);
  };
  // Every arrow's line and the spots along it where its label may sit, best first.
  const routes = diagram.edges.map((e) => {
    const a = boxes.get(e.from)!;
    const b = boxes.get(e.to)!;
    let points: Point[];
    let fractions = FRACTIONS;
    if (span(e) === 0) {
      // Same slot (replication between regions, or a cycle): a bracket on the right of the slot.
      const k = bracketCount.get(a.x) ?? 0;
      bracketCount.set(a.x, k + 1);
      const side = a.x + a.w;
      const out = side + COL_PAD + 16 + (k % 8) * 14;
      points = [{ x: side, y: a.y + a.h / 2 + 6 }, { x: out, y: a.y + a.h / 2 + 6 }, { x: out, y: b.y + b.h / 2 - 6 }, { x: side, y: b.y + b.h / 2 - 6 }];
    } else if (span(e) > 1) {
      const lane = laneEdges.indexOf(e);
      const forward = a.x < b.x;
      const x1 = forward ? a.x + a.w : a.x;
      const x2 = forward ? b.x : b.x + b.w;
      const cx1 = channel(x1, forward ? 1 : -1);
      const cx2 = channel(x2, forward ? -1 : 1);
      const laneY = Math.round((laneTops[lane] + (laneTops[lane + 1] ?? columnsTop)) / 2);
      points = [{ x: x1, y: a.y + a.h / 2 }, { x: cx1, y: a.y + a.h / 2 }, { x: cx1, y: laneY }, { x: cx2, y: laneY }, { x: cx2, y: b.y + b.h / 2 }, { x: x2, y: b.y + b.h / 2 }];
    } else {
      const forward = a.x < b.x;
      const twin = twinOf(e);
      const { apart, staggered } = twin ? twinApart(e, twin) : { apart: 0, staggered: false };
      const shift = e.from < e.to ? -apart : apart;
      points = [{ x: forward ? a.x + a.w : a.x, y: a.y + a.h / 2 + shift }, { x: forward ? b.x : b.x + b.w, y: b.y + b.h / 2 + shift }];
      // Side by side, each label starts near its own arrow's tail: the twins run opposite ways, so opposite ends.
      if (staggered) fractions = FRACTIONS.map((f) => f * 0.6);
    }
    const { w, h } = labelSize(e);
    // A lane label only needs the lane's horizontal run; other labels try spots along the whole line.
    const run = span(e) > 1 ? points.slice(2, 4) : span(e) === 0 ? points.slice(1, 3) : points;
    const spots = fractions.map((f) => {
      const c = along(run, f);
      return { x: c.x - Math.round(w / 2), y: c.y - Math.round(h / 2), w, h };
    });
    return { points, spots };
  });
  // Covering a box hides what the picture is about: it costs ten times covering a label.
  const nodeBoxes = [...boxes.values()];
  const chosen: (Box | undefined)[] = [];
  const cost = (i: number, box: Box) =>
    nodeBoxes.reduce((sum, n) => sum + overlapArea(n, box) * 10, 0) + chosen.reduce((sum, other, j) => (j === i || !other ? sum : sum + overlapArea(other, box)), 0);
  const cheapest = (i: number) => {
    let best: { box: Box; cost: number } | undefined;
    for (const box of routes[i].spots) {
      const c = cost(i, box);
      if (!best || c < best.cost) best = { box, cost: c };
      if (c === 0) break;
    }
    return best!;
  };
  // Labels are placed in model order, each on its cheapest spot given those before it; then a few
  // rounds move each label that still collides to a cheaper spot given all the others, so an early
  // label can step aside for a later one that has nowhere else to go.
  let crowded = 0;
  routes.forEach((_, i) => {
    const first = cheapest(i);
    chosen[i] = first.box;
    if (first.cost > 0) crowded++;
  });
  for (let round = 0; round < 4; round++) {
    let moved = false;
    routes.forEach((_, i) => {
      const now = cost(i, chosen[i]!);
      if (now === 0) return;
      const better = cheapest(i);
      if (better.cost < now) {
        chosen[i] = better.box;
        moved = true;
      }
    });
    if (!moved) break;
  }
  const overlapping = routes.filter((_, i) => cost(i, chosen[i]!) > 0).length;
  const placed: Box[] = [...nodeBoxes, ...(chosen as Box[])];
  diagram.edges.forEach((e, index) => {
    const { points } = routes[index];
    const d = `M${points[0].x},${points[0].y} ` + points.slice(1).map((p) => `L${p.x},${p.y}`).join(" ");
    edgeSvg.push(`<path class="edge" data-edge="${index}" d="${d}" ${edgeAttrs(e.style)}/>`);
    const box = chosen[index]!;
    const { lines } = labelSize(e);
    labelSvg.push(`<g class="edge-label" data-edge="${index}"><rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" rx="3" fill="#ffffff" fill-opacity="0.92" stroke="${EDGE_STYLES[e.style].color}" stroke-width="0.6"/>`);
    lines.forEach((l, i) => {
      const weight = i < wrap(e.label, 34).length ? "" : ' font-style="italic" fill="#4b5563"';
      labelSvg.push(`<text x="${box.x + box.w / 2}" y="${box.y + 14 + i * 12}" font-size="10" text-anchor="middle"${weight}>${escapeHtml(l)}</text>`);
    });
    labelSvg.push("</g>");
  });

  const lastSlot = slots.length - 1;
  const columnsWidth = slotX[lastSlot] + NODE_W + COL_PAD + MARGIN;
  // Brackets and labels can reach beyond the last column: widen the picture to keep them inside.
  const width = Math.max(columnsWidth, ...placed.map((p) => p.x + p.w + MARGIN), ...[...bracketCount.keys()].map((bx) => bx + NODE_W + COL_PAD + 140));
  const kinds = [...new Set(diagram.nodes.map((n) => n.kind))];
  const styles = [...new Set(diagram.edges.map((e) => e.style))];
  const lg = legend(MARGIN, contentBottom + 20, kinds, styles);
  const height = contentBottom + 20 + lg.h + MARGIN;
  const svg = [...open(width, height, diagram.title), ...defs(), ...header(diagram.title, diagram.description)];
  for (const col of diagram.columns) {
    const own = slots.map((s, i) => (s.zone === col.id ? i : -1)).filter((i) => i >= 0);
    const left = slotX[own[0]] - COL_PAD;
    const right = slotX[own[own.length - 1]] + NODE_W + COL_PAD;
    svg.push(`<rect x="${left}" y="${columnsTop}" width="${right - left}" height="${contentBottom - columnsTop}" rx="8" fill="#f9fafb" stroke="#d1d5db" stroke-dasharray="4 3"/>`);
    svg.push(`<text x="${left + 10}" y="${columnsTop + 19}" font-size="12" font-weight="bold" fill="#374151">${escapeHtml(col.name)}</text>`);
  }
  for (const region of regions) {
    const own = slots.map((s, i) => (region.columns.includes(s.zone) ? i : -1)).filter((i) => i >= 0);
    const left = slotX[own[0]] - COL_PAD - 8;
    const right = slotX[own[own.length - 1]] + NODE_W + COL_PAD + 8;
    svg.push(`<rect x="${left}" y="${columnsTop - ROW_HEAD}" width="${right - left}" height="${contentBottom - columnsTop + ROW_HEAD + 8}" rx="8" fill="none" stroke="#0369a1" stroke-width="1.2"/>`);
    svg.push(`<text x="${left + 8}" y="${columnsTop - ROW_HEAD + 19}" font-size="12" font-weight="bold" fill="#0369a1">${escapeHtml(region.name)}</text>`);
  }
  for (const n of diagram.nodes) svg.push(...nodeSvg(n, boxes.get(n.id)!));
  svg.push(...edgeSvg, ...labelSvg, ...lg.svg, "</svg>");
  return { svg: svg.join("\n") + "\n", crowded, overlapping };
}

/**
 * Returns a standalone SVG sequence diagram: lifelines across the top, one row per message or note,
 * the protocol on every message, and a legend box. Lifelines stand as far apart as their longest
 * message needs (within limits; longer text wraps onto a second line above its arrow).
 * @example sequenceSvg(model, model.sequences[0]).includes("<svg") // true
 */
export function sequenceSvg(model: Model, sequence: Sequence): string {
  const diagram = projectSequence(model, sequence);
  const index = new Map(diagram.lifelines.map((l, i) => [l.id, i]));
  const messages = diagram.items.filter((m) => m.kind === "message");
  const texts = messages.map((m, i) => `${i + 1}. ${m.text} [${m.protocol}]`);
  // Half a message per lifeline gap on two lines: spacing grows with the longest text, up to a limit.
  const need = Math.max(...messages.map((m, i) => (texts[i].length * CHAR_W) / 2 / Math.max(1, Math.abs(index.get(m.from)! - index.get(m.to)!)) + 30));
  const SPACING = Math.round(Math.min(300, Math.max(190, need)));
  const ROW = 44;
  const x = new Map(diagram.lifelines.map((l, i) => [l.id, MARGIN + 90 + i * SPACING]));
  const top = HEADER_H + 10;
  const boxH = 54;
  const firstRow = top + boxH + 36;
  const lastY = firstRow + diagram.items.length * ROW;
  const styles = new Set<string>();
  const body: string[] = [];
  let n = 0;
  diagram.items.forEach((item, i) => {
    const y = firstRow + i * ROW;
    if (item.kind === "note") {
      const xs = item.over.map((o) => x.get(o)!);
      const left = Math.min(...xs) - 80;
      const right = Math.max(...xs) + 80;
      body.push(`<rect x="${left}" y="${y - 14}" width="${right - left}" height="30" fill="#fef9c3" stroke="#ca8a04"/>`);
      wrap(item.text, Math.floor((right - left) / CHAR_W)).slice(0, 2).forEach((l, j) => {
        body.push(`<text x="${(left + right) / 2}" y="${y - 1 + j * 12}" font-size="10" text-anchor="middle">${escapeHtml(l)}</text>`);
      });
      return;
    }
    styles.add(item.style);
    const drawStyle = item.style === "reply" ? "sync" : item.style;
    const dash = item.style === "reply" ? ' stroke-dasharray="4 3"' : "";
    const x1 = x.get(item.from)!;
    const x2 = x.get(item.to)!;
    body.push(`<path class="message" d="M${x1},${y + 8} H${x2}" ${edgeAttrs(drawStyle).replace('fill="none"', `fill="none"${dash}`)}/>`);
    const width = Math.max(Math.abs(x2 - x1), SPACING) - 16;
    const lines = wrap(texts[n++], Math.floor(width / CHAR_W)).slice(0, 2);
    // The text sits just above its own arrow; a white halo keeps it readable across lifelines.
    lines.forEach((l, j) => {
      body.push(`<text x="${Math.round((x1 + x2) / 2)}" y="${y + 3 - (lines.length - 1 - j) * 12}" font-size="10" text-anchor="middle" stroke="#ffffff" stroke-width="3" paint-order="stroke">${escapeHtml(l)}</text>`);
    });
  });
  const width = MARGIN * 2 + 180 + (diagram.lifelines.length - 1) * SPACING;
  const legendKinds = [...new Set(diagram.lifelines.map((l) => l.kind))];
  const legendStyles = ["sync", "async", "card"].filter((s) => styles.has(s));
  const lg = legend(MARGIN, lastY + 30, legendKinds, legendStyles);
  const height = lastY + 30 + lg.h + 24 + MARGIN;
  const svg = [...open(width, height, diagram.title), ...defs(), ...header(diagram.title, diagram.description)];
  for (const l of diagram.lifelines) {
    const px = x.get(l.id)!;
    const pal = PALETTE[l.kind];
    svg.push(`<line x1="${px}" y1="${top + boxH}" x2="${px}" y2="${lastY}" stroke="#9ca3af" stroke-dasharray="3 3"/>`);
    svg.push(`<rect x="${px - 85}" y="${top}" width="170" height="${boxH}" rx="6" fill="${pal.fill}" stroke="${pal.stroke}"/>`);
    const name = wrap(l.name, 26).slice(0, 2);
    name.forEach((line, j) => svg.push(`<text x="${px}" y="${top + 17 + j * 13}" font-size="12" font-weight="bold" text-anchor="middle">${escapeHtml(line)}</text>`));
    // What is left of the box holds the technology; a longer one ends in an ellipsis rather than silently.
    const room = name.length > 1 ? 1 : 2;
    const tech = wrap(l.tech, 34);
    if (tech.length > room) tech.splice(room - 1, tech.length, `${wrap(tech.slice(room - 1).join(" "), 32)[0]}…`);
    tech.forEach((line, j) => svg.push(`<text x="${px}" y="${top + 20 + name.length * 13 + j * 11}" font-size="9" fill="#374151" text-anchor="middle">${escapeHtml(line)}</text>`));
  }
  svg.push(...body, ...lg.svg);
  const noteY = lastY + 30 + lg.h + 18;
  svg.push(`<text x="${MARGIN}" y="${noteY}" font-size="11" fill="#374151">${escapeHtml(`dashed arrows are replies${styles.has("reply") ? "" : " (none here)"}; every message ends with its protocol in brackets`)}</text>`);
  svg.push("</svg>");
  return svg.join("\n") + "\n";
}
