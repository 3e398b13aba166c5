// @ts-check
/**
 * The relationship network as SVG markup: one <g data-actor-id> per actor, a line per pair.
 * Symmetric pairs are solid; asymmetric pairs (only one side marked the other) are dashed with an
 * arrow toward the actor who was marked; actors whose matrix row is only unknown cells are hollow
 * and grey, and actors only in the list (not in the matrix) are drawn as squares. Pure: data in,
 * string out; the page attaches the events.
 */
import { escapeHtml } from "./html.js";

/** @typedef {import("./api_client.js").Actor} Actor */
/** @typedef {import("./api_client.js").Relationship} Relationship */
/** @typedef {{ source: number, target: number, kind: "mutual" | "forward" | "backward", otherUnknown: boolean }} GraphEdge  otherUnknown: the unmarked side is a blank cell, not a 0 */
/** @typedef {{ x: number, y: number }} Point */

/**
 * Returns the kind of node an actor is drawn as: "unknown-only" when every cell of its own matrix
 * row is blank (the diagonal may be blank too), "list-only" when it is not in the matrix at all.
 *
 * @example
 * actorKind({ unknown_cells: 49, in_matrix: true }, 50); // "unknown-only"
 * @param {Pick<Actor, "unknown_cells" | "in_matrix">} actor
 * @param {number} matrixSize  how many actors the matrix has
 * @returns {"normal" | "unknown-only" | "list-only"}
 */
export function actorKind(actor, matrixSize) {
  if (!actor.in_matrix) return "list-only";
  if (actor.unknown_cells > 0 && actor.unknown_cells >= matrixSize - 1) return "unknown-only";
  return "normal";
}

/**
 * Returns the `limit` actors with the highest degree (ties by id), plus every actor in `keep`.
 * This is how the page degrades for thousands of actors: draw the busiest, search for the rest.
 *
 * @example
 * topByDegree(actors, 100, new Set([selectedId]));
 * @param {readonly Actor[]} actors
 * @param {number} limit
 * @param {ReadonlySet<number>} [keep]
 * @returns {Actor[]}
 */
export function topByDegree(actors, limit, keep = new Set()) {
  const sorted = [...actors].sort((a, b) => b.degree - a.degree || a.id - b.id);
  const chosen = sorted.slice(0, limit);
  const ids = new Set(chosen.map((a) => a.id));
  for (const actor of sorted) if (keep.has(actor.id) && !ids.has(actor.id)) chosen.push(actor);
  return chosen;
}

/**
 * Returns the edges between the given actors, one per pair, with its direction kind.
 *
 * @example
 * graphEdges(relationships, new Set([1, 2])); // [{ source: 1, target: 2, kind: "mutual" }]
 * @param {readonly Relationship[]} relationships
 * @param {ReadonlySet<number>} ids
 * @returns {GraphEdge[]}
 */
export function graphEdges(relationships, ids) {
  /** @type {GraphEdge[]} */
  const edges = [];
  const seen = new Set();
  for (const r of relationships) {
    if (!ids.has(r.person_a_id) || !ids.has(r.person_b_id) || (!r.a_to_b && !r.b_to_a)) continue;
    const key = `${r.person_a_id},${r.person_b_id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const kind = r.a_to_b && r.b_to_a ? "mutual" : r.a_to_b ? "forward" : "backward";
    // null (not false) on the unmarked side means that cell was blank: unknown, not "no".
    const otherUnknown = kind === "forward" ? r.b_to_a == null : kind === "backward" ? r.a_to_b == null : false;
    edges.push({ source: r.person_a_id, target: r.person_b_id, kind, otherUnknown });
  }
  return edges;
}

/**
 * Returns the SVG markup of the network.
 *
 * @example
 * svg.outerHTML = networkSvg({ actors, edges, positions, width: 800, height: 560 });
 * @param {object} input
 * @param {readonly Actor[]} input.actors
 * @param {readonly GraphEdge[]} input.edges
 * @param {Map<number, Point>} input.positions
 * @param {number} input.width
 * @param {number} input.height
 * @param {number | null} [input.selectedId]
 * @param {ReadonlySet<number>} [input.highlight] actors matching the search
 * @param {number} [input.matrixSize] actors in the matrix (default: those drawn with in_matrix)
 * @param {number | null} [input.focusId] the one node in the Tab order (default: selected, else the first)
 * @returns {string}
 */
export function networkSvg(input) {
  const { actors, edges, positions, width, height } = input;
  const matrixSize = input.matrixSize ?? actors.filter((a) => a.in_matrix).length;
  const highlight = input.highlight ?? new Set();
  const selected = input.selectedId ?? null;
  // One node in the Tab order (roving tabindex); arrow keys move between nodes, so a keyboard
  // user does not tab through every actor to reach the rest of the page.
  const tabId = [input.focusId, selected, actors[0]?.id].find((id) => id != null && positions.has(id) && actors.some((a) => a.id === id)) ?? null;
  // Size by degree relative to the drawn actors, so a top-N of similar hubs still shows a spread.
  const maxDegree = Math.max(0, ...actors.map((a) => a.degree));
  const minDegree = Math.min(maxDegree, ...actors.map((a) => a.degree));
  const span = Math.max(1, maxDegree - (actors.length > 60 ? minDegree : 0));
  const floor = actors.length > 60 ? minDegree : 0;
  const labels = actors.length <= 120; // past that, letter codes overlap into noise; hover still names them
  /** @param {number} degree */
  const radius = (degree) => (actors.length > 200 ? 3 : 4) + (actors.length > 200 ? 5 : 8) * Math.sqrt(Math.max(0, degree - floor) / span);
  const radii = new Map(actors.map((a) => [a.id, radius(a.degree)]));
  const neighbours = new Set();
  if (selected !== null) {
    for (const e of edges) {
      if (e.source === selected) neighbours.add(e.target);
      if (e.target === selected) neighbours.add(e.source);
    }
  }

  const parts = [
    `<svg class="network" viewBox="0 0 ${width} ${height}" role="group" aria-label="Relationship network: ${actors.length} actors, ${edges.length} pairs">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrow-head"/></marker><marker id="arrow-unknown" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrow-head-unknown"/></marker></defs>`,
    `<g class="edges">`,
  ];
  for (const e of edges) {
    const a = positions.get(e.source);
    const b = positions.get(e.target);
    if (!a || !b) continue;
    // Arrows point from the actor whose row marked the pair to the one it marked.
    const [from, to, toId] = e.kind === "backward" ? [b, a, e.source] : [a, b, e.target];
    const dist = Math.hypot(to.x - from.x, to.y - from.y) || 1;
    const shorten = (radii.get(toId) ?? 6) + 2;
    const ex = to.x - ((to.x - from.x) / dist) * shorten;
    const ey = to.y - ((to.y - from.y) / dist) * shorten;
    const active = selected !== null && (e.source === selected || e.target === selected);
    const cls = `edge ${e.kind === "mutual" ? "mutual" : e.otherUnknown ? "one-known" : "asymmetric"}${active ? " active" : ""}`;
    const marker = e.kind === "mutual" ? "" : e.otherUnknown ? ` marker-end="url(#arrow-unknown)"` : ` marker-end="url(#arrow)"`;
    parts.push(`<line class="${cls}" data-pair="${e.source}-${e.target}" x1="${from.x}" y1="${from.y}" x2="${ex.toFixed(2)}" y2="${ey.toFixed(2)}"${marker}/>`);
  }
  parts.push(`</g><g class="nodes">`);
  for (const actor of actors) {
    const p = positions.get(actor.id);
    if (!p) continue;
    const kind = actorKind(actor, matrixSize);
    const r = radii.get(actor.id) ?? 6;
    const code = actor.letter_code ?? "";
    const name = actor.name ?? `Actor ${actor.id}`;
    const title = `${name}${code ? ` (${code})` : ""} · ${actor.degree} ${actor.degree === 1 ? "relationship" : "relationships"}${kind === "unknown-only" ? " · own row is all blank" : kind === "list-only" ? " · not in the matrix" : ""}`;
    const classes = ["node", kind];
    if (actor.id === selected) classes.push("selected");
    if (neighbours.has(actor.id)) classes.push("neighbour");
    if (highlight.has(actor.id)) classes.push("match");
    const shape =
      kind === "list-only"
        ? `<rect x="${(p.x - r).toFixed(2)}" y="${(p.y - r).toFixed(2)}" width="${(2 * r).toFixed(2)}" height="${(2 * r).toFixed(2)}"/>`
        : `<circle cx="${p.x}" cy="${p.y}" r="${r.toFixed(2)}"/>`;
    const text = labels && code ? `<text x="${(p.x + r + 2).toFixed(2)}" y="${(p.y + 4).toFixed(2)}">${escapeHtml(code)}</text>` : "";
    parts.push(
      `<g class="${classes.join(" ")}" data-actor-id="${actor.id}" tabindex="${actor.id === tabId ? 0 : -1}" role="button" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${shape}${text}</g>`,
    );
  }
  parts.push(`</g></svg>`);
  return parts.join("");
}

/**
 * Returns the list of an actor's relationships as HTML, each direction spelled out.
 *
 * @example
 * relationshipListHtml(actor, await actorRelationships(actor.id));
 * @param {Pick<Actor, "id" | "name" | "letter_code">} actor
 * @param {readonly import("./api_client.js").ActorRelationship[]} items
 * @returns {string}
 */
export function relationshipListHtml(actor, items) {
  const name = escapeHtml(actor.name ?? `Actor ${actor.id}`);
  const code = actor.letter_code ? ` <span class="code">${escapeHtml(actor.letter_code)}</span>` : "";
  if (items.length === 0) return `<h3>${name}${code}</h3><p class="muted">No relationships marked.</p>`;
  const rows = items
    .map((r) => {
      const me = actor.name ?? String(actor.id);
      const direction =
        r.a_to_b && r.b_to_a
          ? "both marked each other"
          : r.a_to_b
            ? `${me} marked them${r.b_to_a == null ? "; their row is blank" : "; they did not mark back"}`
            : `they marked ${me}${r.a_to_b == null ? `; ${me}'s row is blank` : `; ${me} did not mark back`}`;
      const arrow = r.a_to_b && r.b_to_a ? "↔" : r.a_to_b ? "→" : "←";
      return `<li><button type="button" class="link" data-goto-actor="${r.id}">${escapeHtml(r.name ?? `Actor ${r.id}`)}</button> <span class="code">${escapeHtml(r.letter_code ?? "")}</span> <span class="dir" title="${escapeHtml(direction)}" aria-label="${escapeHtml(direction)}">${arrow}</span></li>`;
    })
    .join("");
  return `<h3>${name}${code}</h3><p class="muted">${items.length} ${items.length === 1 ? "relationship" : "relationships"}</p><ul class="rel-list">${rows}</ul>`;
}

/**
 * Returns the node nearest to `fromId` in an arrow key's direction (within a 45° cone on each side,
 * favouring nodes straight ahead), or null when there is none that way.
 *
 * @example
 * nearestInDirection(positions, 3, "ArrowRight"); // 7
 * @param {Map<number, Point>} positions
 * @param {number} fromId
 * @param {"ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown"} key
 * @returns {number | null}
 */
export function nearestInDirection(positions, fromId, key) {
  const from = positions.get(fromId);
  if (!from) return null;
  const [ux, uy] = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[key];
  let best = null;
  let bestScore = Infinity;
  for (const [id, p] of positions) {
    if (id === fromId) continue;
    const dx = p.x - from.x;
    const dy = p.y - from.y;
    const along = dx * ux + dy * uy;
    const across = Math.abs(dx * uy - dy * ux);
    if (along <= 0 || across > along) continue;
    const score = along + 2 * across;
    if (score < bestScore) {
      bestScore = score;
      best = id;
    }
  }
  return best;
}
