// Standalone SVG pictures, drawn by our own small layout: zones are columns, regions are rows,
// boxes stack inside each cell, arrows are straight (or a bracket when both ends share a column),
// labels sit in the gaps between columns and are nudged apart. Output is a pure function of the
// model: integer coordinates, model order, no randomness, so regenerating gives identical bytes.
import type { Model, Sequence } from "../model/mod.ts";
import type { Diagram, DiagramEdge, DiagramNode } from "./project_view.ts";
import { EDGE_STYLES, PALETTE } from "./to_mermaid.ts";
import { projectSequence } from "./sequence_view.ts";

/**
 * Returns text escaped for SVG/XML content and attributes.
 * @example xmlText('a < b & "c"') // "a &lt; b &amp; &quot;c&quot;"
 */
export function xmlText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/**
 * Returns words wrapped into lines of at most `width` characters (a longer word gets a line of its own).
 * @example wrap("PaymentCaptured, PaymentFailed", 20) // ["PaymentCaptured,", "PaymentFailed"]
 */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.length > 0 ? lines : [""];
}

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

// Label positions to try, nearest first: vertical moves cost 1 per px, sideways ones 0.6 per px plus 30.
const NUDGES: [number, number][] = (() => {
  const out: { dx: number; dy: number; cost: number }[] = [];
  for (let k = -40; k <= 40; k++) {
    for (const dx of [0, -120, 120, -240, 240]) {
      const dy = k * 7;
      out.push({ dx, dy, cost: Math.abs(dy) + (dx === 0 ? 0 : 30 + Math.abs(dx) * 0.6) });
    }
  }
  out.sort((a, b) => a.cost - b.cost || a.dy - b.dy || a.dx - b.dx);
  return out.map((o) => [o.dx, o.dy]);
})();

const LANE_NUDGES: [number, number][] = [0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6].map((k) => [k * 110, 0]);

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
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
    svg.push(`<text x="${x + 50}" y="${ly + 14}" font-size="11">${xmlText(p.label)}</text>`);
    ly += lineH;
  }
  for (const s of styles) {
    svg.push(`<path d="M${x + 12},${ly + 10} H${x + 40}" ${edgeAttrs(s)}/>`);
    svg.push(`<text x="${x + 50}" y="${ly + 14}" font-size="11">${xmlText(EDGE_STYLES[s].label)}</text>`);
    ly += lineH;
  }
  svg.push(`<text x="${x + 12}" y="${ly + 14}" font-size="11" fill="#374151">arrow text: label, then protocol</text>`);
  svg.push("</g>");
  return { svg, w, h };
}

function header(title: string, description: string): string[] {
  return [
    `<text x="${MARGIN}" y="${MARGIN + 18}" font-size="20" font-weight="bold">${xmlText(title)}</text>`,
    `<text x="${MARGIN}" y="${MARGIN + 40}" font-size="12" fill="#4b5563">${xmlText(description)}</text>`,
  ];
}

function open(width: number, height: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" role="img" aria-label="${xmlText(title)}">`,
    `<title>${xmlText(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
}

function nodeSvg(n: DiagramNode, b: Box): string[] {
  const p = PALETTE[n.kind];
  const rx = n.kind === "client" ? 26 : n.kind === "external" ? 2 : 8;
  const out = [`<g class="node" id="${xmlText(n.id)}">`];
  out.push(`<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="${rx}" fill="${p.fill}" stroke="${p.stroke}" stroke-width="1.5"/>`);
  if (["datastore", "cache", "search-index", "object-store", "file"].includes(n.kind)) {
    // A second top edge reads as a cylinder: the usual sign for storage.
    out.push(`<path d="M${b.x},${b.y + 8} Q${b.x + b.w / 2},${b.y + 18} ${b.x + b.w},${b.y + 8}" fill="none" stroke="${p.stroke}"/>`);
  }
  const tech = wrap(n.tech, 36).slice(0, 2);
  const top = b.y + (n.kind === "datastore" || n.kind === "cache" ? 26 : 22);
  out.push(`<text x="${b.x + b.w / 2}" y="${top}" font-size="13" font-weight="bold" text-anchor="middle">${xmlText(n.name)}</text>`);
  tech.forEach((t, i) => out.push(`<text x="${b.x + b.w / 2}" y="${top + 15 + i * 12}" font-size="10" fill="#374151" text-anchor="middle">${xmlText(t)}</text>`));
  out.push("</g>");
  return out;
}

/**
 * Returns the nodes of each cell (row x column) ordered to shorten arrows: a few barycentre sweeps
 * (each node moves towards the mean position of its neighbours), ties kept in model order.
 * @example orderCells(diagram).get("|app") // ["web", "search", ...]
 */
export function orderCells(diagram: Diagram): Map<string, string[]> {
  const cells = new Map<string, string[]>();
  for (const n of diagram.nodes) {
    const key = `${n.row}|${n.column}`;
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
 * Returns a standalone SVG document for a projected view: title, zone columns, region rows,
 * boxes, labelled arrows and a legend box. Arrows between neighbouring columns are straight; longer
 * ones climb to a lane above the columns so they never cross a box.
 * @example flowchartSvg(projectView(model, view)).startsWith("<svg") // true
 */
export function flowchartSvg(diagram: Diagram): string {
  const colIndex = new Map(diagram.columns.map((c, i) => [c.id, i]));
  const deployment = diagram.rows.length > 1 || diagram.rows[0].id !== "";
  const nodeById = new Map(diagram.nodes.map((n) => [n.id, n]));
  const colOf = (id: string) => colIndex.get(nodeById.get(id)!.column)!;
  const span = (e: DiagramEdge) => Math.abs(colOf(e.from) - colOf(e.to));
  const laneEdges = diagram.edges.filter((e) => span(e) > 1);
  // Each long edge runs in its own horizontal lane above the columns; a lane is as tall as its
  // label (at least 36 px), so a three-line label never touches the next lane's.
  const labelHeight = (e: DiagramEdge) => (wrap(e.label, 34).length + wrap(e.protocol, 34).length) * 12 + 6;
  const laneTops: number[] = [];
  let laneBottom = HEADER_H;
  for (const e of laneEdges) {
    laneTops.push(laneBottom);
    laneBottom += Math.max(36, labelHeight(e) + 6);
  }
  const columnsTop = laneBottom;
  const cells = orderCells(diagram);
  const last = diagram.columns.length - 1;
  // Labels live in the gaps between columns. Count them per gap (gap g lies right of column g),
  // send each column's brackets (both ends in one column) to its quieter side, then widen busy gaps
  // and stretch the vertical spacing so the labels of the busiest gap fit (about 38 px per label).
  const gapLoad = new Map<number, number>();
  const addLoad = (gap: number) => gapLoad.set(gap, (gapLoad.get(gap) ?? 0) + 1);
  for (const e of diagram.edges) if (span(e) === 1) addLoad(Math.min(colOf(e.from), colOf(e.to)));
  const bracketLeft = new Map<number, boolean>();
  for (let c = 0; c <= last; c++) {
    const left = c > 0 ? (gapLoad.get(c - 1) ?? 0) : Infinity;
    const right = c < last ? (gapLoad.get(c) ?? 0) : Infinity;
    bracketLeft.set(c, left < right);
  }
  for (const e of diagram.edges) {
    if (span(e) !== 0) continue;
    const c = colOf(e.from);
    addLoad(bracketLeft.get(c) ? c - 1 : c);
  }
  const colX = new Map<string, number>();
  let x = MARGIN;
  diagram.columns.forEach((c, i) => {
    colX.set(c.id, x);
    x += NODE_W + 2 * COL_PAD + COL_GAP + ((gapLoad.get(i) ?? 0) > 8 ? 220 : 0);
  });
  const tallestStack = Math.max(1, ...[...cells.values()].map((ids) => ids.length));
  const busiest = Math.max(0, ...[...gapLoad.values()].map((n) => (n > 8 ? n / 2 : n)));
  const slot = deployment ? NODE_H + V_GAP : Math.max(NODE_H + V_GAP, Math.ceil((busiest * 38) / tallestStack));
  const boxes = new Map<string, Box>();
  const rowBands: { id: string; name: string; y: number; h: number }[] = [];
  let y = columnsTop + ZONE_HEAD;
  for (const row of diagram.rows) {
    const bandTop = y;
    const inner = bandTop + (deployment ? ROW_HEAD : 0) + 10;
    let tallest = 0;
    for (const col of diagram.columns) {
      const members = cells.get(`${row.id}|${col.id}`) ?? [];
      members.forEach((id, i) => boxes.set(id, { x: colX.get(col.id)! + COL_PAD, y: inner + i * slot, w: NODE_W, h: NODE_H }));
      tallest = Math.max(tallest, members.length * slot);
    }
    const h = (deployment ? ROW_HEAD : 0) + 10 + tallest + 10;
    rowBands.push({ id: row.id, name: row.name, y: bandTop, h });
    y = bandTop + h + (deployment ? 12 : 0);
  }
  const contentBottom = y;
  const columnsWidth = colX.get(diagram.columns[last].id)! + NODE_W + 2 * COL_PAD + MARGIN;

  const edgeSvg: string[] = [];
  const labelSvg: string[] = [];
  const placed: Box[] = [...boxes.values()];
  const outDegree = new Map<string, number>();
  const inDegree = new Map<string, number>();
  for (const e of diagram.edges) {
    outDegree.set(e.from, (outDegree.get(e.from) ?? 0) + 1);
    inDegree.set(e.to, (inDegree.get(e.to) ?? 0) + 1);
  }
  const pairs = new Set(diagram.edges.map((e) => `${e.from}\u0000${e.to}`));
  const bracketCount = new Map<number, number>();
  const channelCount = new Map<number, number>();
  const channel = (gapEdge: number, dir: number) => {
    // Vertical runs in a gap get their own x so parallel runs stay apart.
    const k = channelCount.get(gapEdge) ?? 0;
    channelCount.set(gapEdge, k + 1);
    return gapEdge + dir * (COL_PAD + 10 + (k % 12) * 7);
  };
  for (const e of diagram.edges) {
    const a = boxes.get(e.from)!;
    const b = boxes.get(e.to)!;
    let path: string;
    let lx: number;
    let ly: number;
    let anchor: "left" | "center" | "right" = "center";
    const lane = laneEdges.indexOf(e);
    if (a.x === b.x) {
      const k = bracketCount.get(a.x) ?? 0;
      bracketCount.set(a.x, k + 1);
      const left = bracketLeft.get(colOf(e.from))!;
      const side = left ? a.x : a.x + a.w;
      const out = side + (left ? -1 : 1) * (COL_PAD + 8 + (k % 10) * 8);
      const ay = a.y + a.h / 2 + 6;
      const by = b.y + b.h / 2 - 6;
      path = `M${side},${ay} H${out} V${by} H${side}`;
      lx = out + (left ? -6 : 6);
      ly = Math.round((ay + by) / 2);
      anchor = left ? "right" : "left";
    } else if (lane >= 0) {
      const forward = a.x < b.x;
      const x1 = forward ? a.x + a.w : a.x;
      const x2 = forward ? b.x : b.x + b.w;
      const cx1 = channel(x1, forward ? 1 : -1);
      const cx2 = channel(x2, forward ? -1 : 1);
      const laneY = Math.round((laneTops[lane] + (laneTops[lane + 1] ?? columnsTop)) / 2);
      path = `M${x1},${a.y + a.h / 2} H${cx1} V${laneY} H${cx2} V${b.y + b.h / 2} H${x2}`;
      lx = Math.round((cx1 + cx2) / 2);
      ly = laneY;
    } else {
      const forward = a.x < b.x;
      const x1 = forward ? a.x + a.w : a.x;
      const x2 = forward ? b.x : b.x + b.w;
      // A pair of arrows in both directions would overlap: move each 6 px to its own side.
      const twin = pairs.has(`${e.to}\u0000${e.from}`) ? (e.from < e.to ? -6 : 6) : 0;
      const y1 = a.y + a.h / 2 + twin;
      const y2 = b.y + b.h / 2 + twin;
      path = `M${x1},${y1} L${x2},${y2}`;
      // Put the label nearer the busier end's opposite: where this line is furthest from its siblings.
      const nearTarget = (outDegree.get(e.from) ?? 0) >= (inDegree.get(e.to) ?? 0);
      const t = nearTarget ? 0.66 : 0.34;
      lx = Math.round(x1 + (x2 - x1) * t);
      ly = Math.round(y1 + (y2 - y1) * t);
    }
    edgeSvg.push(`<path d="${path}" ${edgeAttrs(e.style)}/>`);
    const labelLines = wrap(e.label, 34);
    const lines = [...labelLines, ...wrap(e.protocol, 34)];
    const w = Math.round(Math.max(...lines.map((l) => l.length)) * CHAR_W + 10);
    const h = lines.length * 12 + 6;
    const baseY = ly - Math.round(h / 2);
    const baseX = anchor === "left" ? lx : anchor === "right" ? lx - w : lx - Math.round(w / 2);
    let box: Box = { x: baseX, y: baseY, w, h };
    {
      // Try spots near the line first (small vertical moves), then beside it, until the label covers
      // no box and no other label. Candidates are in a fixed order, so the result is deterministic.
      // Lane labels only move along their lane.
      for (const [dx, dy] of lane < 0 ? NUDGES : LANE_NUDGES) {
        box = { x: baseX + dx, y: baseY + dy, w, h };
        if (!placed.some((p) => overlaps(p, box))) break;
      }
    }
    placed.push(box);
    labelSvg.push(`<g class="edge-label"><rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" rx="3" fill="#ffffff" fill-opacity="0.92" stroke="${EDGE_STYLES[e.style].color}" stroke-width="0.6"/>`);
    lines.forEach((l, i) => {
      const weight = i < labelLines.length ? "" : ' font-style="italic" fill="#4b5563"';
      labelSvg.push(`<text x="${box.x + box.w / 2}" y="${box.y + 14 + i * 12}" font-size="10" text-anchor="middle"${weight}>${xmlText(l)}</text>`);
    });
    labelSvg.push("</g>");
  }

  // Brackets on the last column put labels right of it: widen the picture to keep them inside.
  const width = Math.max(columnsWidth, ...placed.map((p) => p.x + p.w + MARGIN));
  const kinds = [...new Set(diagram.nodes.map((n) => n.kind))];
  const styles = [...new Set(diagram.edges.map((e) => e.style))];
  const lg = legend(MARGIN, contentBottom + 20, kinds, styles);
  const height = contentBottom + 20 + lg.h + MARGIN;
  const svg = [...open(width, height, diagram.title), ...defs(), ...header(diagram.title, diagram.description)];
  for (const col of diagram.columns) {
    const x = colX.get(col.id)!;
    svg.push(`<rect x="${x}" y="${columnsTop}" width="${NODE_W + 2 * COL_PAD}" height="${contentBottom - columnsTop}" rx="8" fill="#f9fafb" stroke="#d1d5db" stroke-dasharray="4 3"/>`);
    svg.push(`<text x="${x + 10}" y="${columnsTop + 19}" font-size="12" font-weight="bold" fill="#374151">${xmlText(col.name)}</text>`);
  }
  if (deployment) {
    for (const band of rowBands) {
      svg.push(`<rect x="${MARGIN - 8}" y="${band.y}" width="${width - 2 * MARGIN + 16}" height="${band.h}" rx="8" fill="none" stroke="#0369a1" stroke-width="1.2"/>`);
      svg.push(`<text x="${MARGIN}" y="${band.y + 20}" font-size="12" font-weight="bold" fill="#0369a1">${xmlText(band.name)}</text>`);
    }
  }
  for (const n of diagram.nodes) svg.push(...nodeSvg(n, boxes.get(n.id)!));
  svg.push(...edgeSvg, ...labelSvg, ...lg.svg, "</svg>");
  return svg.join("\n") + "\n";
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
        body.push(`<text x="${(left + right) / 2}" y="${y - 1 + j * 12}" font-size="10" text-anchor="middle">${xmlText(l)}</text>`);
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
      body.push(`<text x="${Math.round((x1 + x2) / 2)}" y="${y + 3 - (lines.length - 1 - j) * 12}" font-size="10" text-anchor="middle" stroke="#ffffff" stroke-width="3" paint-order="stroke">${xmlText(l)}</text>`);
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
    name.forEach((line, j) => svg.push(`<text x="${px}" y="${top + 17 + j * 13}" font-size="12" font-weight="bold" text-anchor="middle">${xmlText(line)}</text>`));
    // What is left of the box holds the technology; a longer one ends in an ellipsis rather than silently.
    const room = name.length > 1 ? 1 : 2;
    const tech = wrap(l.tech, 34);
    if (tech.length > room) tech.splice(room - 1, tech.length, `${wrap(tech.slice(room - 1).join(" "), 32)[0]}…`);
    tech.forEach((line, j) => svg.push(`<text x="${px}" y="${top + 20 + name.length * 13 + j * 11}" font-size="9" fill="#374151" text-anchor="middle">${xmlText(line)}</text>`));
  }
  svg.push(...body, ...lg.svg);
  const noteY = lastY + 30 + lg.h + 18;
  svg.push(`<text x="${MARGIN}" y="${noteY}" font-size="11" fill="#374151">${xmlText(`dashed arrows are replies${styles.has("reply") ? "" : " (none here)"}; every message ends with its protocol in brackets`)}</text>`);
  svg.push("</svg>");
  return svg.join("\n") + "\n";
}
