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
/** @typedef {{ source: number, target: number, kind: "mutual" | "forward" | "backward" | "removed", otherUnknown: boolean, change?: "added" | "changed" | "removed" }} GraphEdge  otherUnknown: the unmarked side is a blank cell, not a 0; change: since the previous version */
/** @typedef {import("./api_client.js").Change} Change */
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
 * @param {Map<string, "added" | "changed" | "removed">} [changes]  by "a-b" (a < b), from `pairChanges()`
 * @returns {GraphEdge[]}
 */
export function graphEdges(relationships, ids, changes = new Map()) {
  /** @type {GraphEdge[]} */
  const edges = [];
  const seen = new Set();
  // Pairs gone since the previous version are drawn as ghosts when both actors are still drawn.
  for (const [key, change] of changes) {
    if (change !== "removed") continue;
    const [a, b] = key.split("-").map(Number);
    if (ids.has(a) && ids.has(b)) edges.push({ source: a, target: b, kind: "removed", otherUnknown: false, change });
  }
  for (const r of relationships) {
    if (!ids.has(r.person_a_id) || !ids.has(r.person_b_id) || (!r.a_to_b && !r.b_to_a)) continue;
    const key = `${r.person_a_id},${r.person_b_id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const kind = r.a_to_b && r.b_to_a ? "mutual" : r.a_to_b ? "forward" : "backward";
    // null (not false) on the unmarked side means that cell was blank: unknown, not "no".
    const otherUnknown = kind === "forward" ? r.b_to_a == null : kind === "backward" ? r.a_to_b == null : false;
    const change = changes.get(key.replace(",", "-"));
    edges.push(change === "added" || change === "changed" ? { source: r.person_a_id, target: r.person_b_id, kind, otherUnknown, change } : { source: r.person_a_id, target: r.person_b_id, kind, otherUnknown });
  }
  return edges;
}

/**
 * Returns what happened to each pair in a version's changes, by "a-b" (a < b). A pair both added
 * and changed in one version is added.
 *
 * @example
 * pairChanges([{ entity: "pair", change: "added", person_a: 1, person_b: 2, ... }]); // Map { "1-2" => "added" }
 * @param {readonly Change[]} changes
 * @returns {Map<string, "added" | "changed" | "removed">}
 */
export function pairChanges(changes) {
  /** @type {Map<string, "added" | "changed" | "removed">} */
  const out = new Map();
  for (const c of changes) {
    if (c.entity !== "pair" || c.person_a === null || c.person_b === null) continue;
    const key = `${c.person_a}-${c.person_b}`;
    if (out.get(key) !== "added") out.set(key, c.change);
  }
  return out;
}

/**
 * Returns the edges of the previous version among the same actors: today's, minus the pairs added
 * since, plus those removed. The network is laid out on these first and then settled on today's, so
 * actors stay where yesterday's picture had them.
 *
 * @example
 * previousEdges(edges); // today's edges without the added ones, with the removed ones back
 * @param {readonly GraphEdge[]} edges  from graphEdges(), removed ghosts included
 * @returns {{ source: number, target: number }[]}
 */
export function previousEdges(edges) {
  return edges.filter((e) => e.change !== "added");
}

/**
 * Returns the actors worth a text label: all of them in a small drawing; in a big one only the
 * `top` busiest, the selected one and its neighbours, and search matches, so labels stay readable.
 *
 * @example
 * labelledActors(actors, edges, { selected: 7, highlight: new Set([3]) });
 * @param {readonly Actor[]} actors
 * @param {readonly GraphEdge[]} edges
 * @param {{ selected?: number | null, highlight?: ReadonlySet<number>, top?: number, all?: number }} [options]
 * @returns {Set<number>}
 */
export function labelledActors(actors, edges, options = {}) {
  if (actors.length <= (options.all ?? 60)) return new Set(actors.map((a) => a.id));
  const chosen = new Set(topByDegree(actors, options.top ?? 12).map((a) => a.id));
  for (const id of options.highlight ?? []) chosen.add(id);
  const selected = options.selected ?? null;
  if (selected !== null) {
    chosen.add(selected);
    const around = edges.filter((e) => e.kind !== "removed" && (e.source === selected || e.target === selected));
    if (around.length <= 40) for (const e of around) chosen.add(e.source === selected ? e.target : e.source);
  }
  return chosen;
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
 * @param {ReadonlySet<number>} [input.labels] actors drawn with their letter code (default: all, up to 120 actors)
 * @param {[number, number] | null} [input.pair] a pair to highlight (a finding's "Show")
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
  // Past ~120 actors every letter code would overlap into noise: only the chosen ones get a label.
  const labels = input.labels ?? (actors.length <= 120 ? new Set(actors.map((a) => a.id)) : new Set());
  const pair = input.pair ?? null;
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

  // Hundreds of lines drawn at full strength hide the nodes: a dense drawing fades them, and the
  // selected actor's own lines stand out.
  const dense = edges.length > 250;
  const parts = [
    `<svg class="network${dense ? " dense" : ""}${selected !== null ? " has-selection" : ""}" viewBox="0 0 ${width} ${height}" role="group" aria-label="Relationship network: ${actors.length} actors, ${edges.filter((e) => e.kind !== "removed").length} pairs">`,
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
    const active = (selected !== null && (e.source === selected || e.target === selected)) || (pair !== null && pair.includes(e.source) && pair.includes(e.target));
    const style = e.kind === "removed" ? "removed" : e.kind === "mutual" ? "mutual" : e.otherUnknown ? "one-known" : "asymmetric";
    const cls = `edge ${style}${e.change && e.change !== "removed" ? ` ${e.change}` : ""}${active ? " active" : ""}`;
    const marker = e.kind === "mutual" || e.kind === "removed" ? "" : e.otherUnknown ? ` marker-end="url(#arrow-unknown)"` : ` marker-end="url(#arrow)"`;
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
    if (highlight.has(actor.id) || pair?.includes(actor.id)) classes.push("match");
    const shape =
      kind === "list-only"
        ? `<rect x="${(p.x - r).toFixed(2)}" y="${(p.y - r).toFixed(2)}" width="${(2 * r).toFixed(2)}" height="${(2 * r).toFixed(2)}"/>`
        : `<circle cx="${p.x}" cy="${p.y}" r="${r.toFixed(2)}"/>`;
    const text = labels.has(actor.id) && code ? `<text x="${(p.x + r + 2).toFixed(2)}" y="${(p.y + 4).toFixed(2)}">${escapeHtml(code)}</text>` : "";
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
      // The arrow is seen, the words are read: a span's aria-label is no name (ARIA prohibits it on
      // a generic), so a screen reader read only the arrow.
      return `<li><button type="button" class="link" data-goto-actor="${r.id}">${escapeHtml(r.name ?? `Actor ${r.id}`)}</button> <span class="code">${escapeHtml(r.letter_code ?? "")}</span> <span class="dir" title="${escapeHtml(direction)}"><span aria-hidden="true">${arrow}</span><span class="sr-only">${escapeHtml(direction)}</span></span></li>`;
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

/** @typedef {[id: number, x: number, y: number]} Place  an actor's place as fractions of the box */

/**
 * Reads what `storedPlaces` wrote to localStorage: the key of the last drawing and each actor's
 * place, oldest first. Also reads the format before it (`positions`, an object by id, whose order
 * was lost: numeric keys iterate in ascending order, not as written), so a browser's places survive
 * the change; anything else is nothing stored.
 *
 * @example
 * readPlaces(JSON.parse('{"key":"2::1,2","places":[[2,0.1,0.2],[1,0.5,0.5]]}')).places; // Map { 2 => [0.1, 0.2], 1 => [0.5, 0.5] }
 * @param {unknown} parsed  JSON.parse of the stored text
 * @returns {{ key: string, places: Map<number, [number, number]> }}
 */
export function readPlaces(parsed) {
  /** @type {Map<number, [number, number]>} */
  const places = new Map();
  if (!parsed || typeof parsed !== "object") return { key: "", places };
  const stored = /** @type {{ key?: unknown, places?: unknown, positions?: unknown }} */ (parsed);
  const key = typeof stored.key === "string" ? stored.key : "";
  const fraction = (/** @type {unknown} */ v) => typeof v === "number" && Number.isFinite(v);
  if (Array.isArray(stored.places)) {
    for (const p of stored.places) if (Array.isArray(p) && Number.isInteger(p[0]) && fraction(p[1]) && fraction(p[2])) places.set(p[0], [p[1], p[2]]);
  } else if (stored.positions && typeof stored.positions === "object") {
    for (const [id, p] of Object.entries(stored.positions)) if (/^\d+$/.test(id) && Array.isArray(p) && fraction(p[0]) && fraction(p[1])) places.set(Number(id), [p[0], p[1]]);
  }
  return { key, places };
}

/**
 * Returns what to store after a drawing: `key`, and the earlier places with the drawn actors' new
 * ones moved to the end, as an array (its order is the order kept), the oldest dropped beyond `max`.
 * The drawn actors are never the ones dropped (unless they alone are more than `max`).
 *
 * @example
 * storedPlaces("k", new Map([[9, [0.5, 0.5]]]), new Map([[3, { x: 0.1, y: 0.2 }]]), 3000);
 * // { key: "k", places: [[9, 0.5, 0.5], [3, 0.1, 0.2]] }
 * @param {string} key
 * @param {Map<number, [number, number]>} earlier  readPlaces().places
 * @param {Map<number, Point>} drawn  the drawn actors' places, as fractions of the box
 * @param {number} max
 * @returns {{ key: string, places: Place[] }}
 */
export function storedPlaces(key, earlier, drawn, max) {
  /** @type {Map<number, [number, number]>} */
  const places = new Map(earlier);
  for (const [id, p] of drawn) {
    // Deleted first: a Map keeps the order of insertion, so setting it again moves it to the end.
    places.delete(id);
    places.set(id, [p.x, p.y]);
  }
  /** @type {Place[]} */
  const all = [...places].map(([id, [x, y]]) => [id, x, y]);
  return { key, places: all.slice(Math.max(0, all.length - max)) };
}
