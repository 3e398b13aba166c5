// @ts-check
/**
 * The network section: loads actors and pairs, lays them out with forceLayout(), draws the SVG and
 * handles selection and search. Up to DRAW_ALL actors are all drawn; past that only the top-N by
 * degree (plus whatever the user searched for and its neighbours), because a hairball of thousands
 * of nodes tells nobody anything.
 */
import * as api from "./api_client.js";
import { byId, debounce, keyboardClicks } from "./_dom.js";
import { forceLayout } from "./force_layout.js";
import { graphEdges, nearestInDirection, networkSvg, relationshipListHtml, topByDegree } from "./network_view.js";
import { escapeHtml, formatCount } from "./html.js";

/** @typedef {import("./api_client.js").Actor} Actor */
/** @typedef {import("./api_client.js").Relationship} Relationship */

const DRAW_ALL = 150;
const MAX_ACTORS = 5000;
const MAX_PAIRS = 20000;
const WIDTH = 860;
const HEIGHT = 540;

/**
 * Mounts the network section and returns `load()`, resolving to every loaded actor (for names
 * elsewhere on the page).
 *
 * @example
 * const network = mountNetwork({ announce });
 * const actors = await network.load();
 * @param {{ announce: (message: string) => void }} options
 * @returns {{ load: () => Promise<Actor[]> }}
 */
export function mountNetwork({ announce }) {
  const graph = byId("network-graph", HTMLElement);
  const detail = byId("network-detail", HTMLElement);
  const search = byId("network-search", HTMLInputElement);
  const results = byId("network-results", HTMLUListElement);
  const limitSelect = byId("network-limit", HTMLSelectElement);
  const note = byId("network-note", HTMLElement);
  const reset = byId("network-reset", HTMLButtonElement);

  /** @type {Actor[]} */
  let actors = [];
  let actorsComplete = true;
  /** @type {Relationship[]} */
  let pairs = [];
  let pairsComplete = true;
  /** @type {Map<number, Actor>} */
  const byActorId = new Map();
  /**
   * In a big graph, an actor chosen outside the top-N replaces the picture with its own
   * neighbourhood: the actor and its busiest neighbours. Null while showing the top-N.
   * @type {{ id: number, ids: number[], total: number } | null}
   */
  let focus = null;
  /** @type {Set<number>} */
  let highlight = new Set();
  /** @type {number | null} */
  let selected = null;
  /** The node in the Tab order, moved by the arrow keys. @type {number | null} */
  let focusId = null;
  /** @type {Actor[]} */
  let drawn = [];
  /** @type {import("./network_view.js").GraphEdge[]} */
  let edges = [];
  /** @type {Map<number, {x: number, y: number}>} */
  let positions = new Map();

  keyboardClicks(graph);
  graph.addEventListener("keydown", (event) => {
    const node = event.target instanceof Element ? event.target.closest("[data-actor-id]") : null;
    if (!node || !["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"].includes(event.key)) return;
    event.preventDefault();
    const key = /** @type {"ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown"} */ (event.key);
    const next = nearestInDirection(positions, Number(node.getAttribute("data-actor-id")), key);
    const target = next === null ? null : graph.querySelector(`[data-actor-id="${next}"]`);
    if (!(target instanceof SVGElement)) return;
    node.setAttribute("tabindex", "-1");
    target.setAttribute("tabindex", "0");
    target.focus();
    focusId = next;
  });
  graph.addEventListener("click", (event) => {
    const node = event.target instanceof Element ? event.target.closest("[data-actor-id]") : null;
    if (node) void select(Number(node.getAttribute("data-actor-id")));
  });
  detail.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-goto-actor]") : null;
    if (button) void select(Number(button.getAttribute("data-goto-actor")), { focus: true });
  });
  results.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-goto-actor]") : null;
    if (button) void select(Number(button.getAttribute("data-goto-actor")), { focus: true });
  });
  search.addEventListener("input", debounce(() => void runSearch(), 250));
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      const first = results.querySelector("button");
      if (first instanceof HTMLButtonElement) first.click();
    }
  });
  limitSelect.addEventListener("change", () => {
    focus = null;
    void relayout();
  });
  reset.addEventListener("click", () => {
    focus = null;
    void relayout().then(() => limitSelect.focus());
  });

  async function load() {
    graph.innerHTML = `<p class="muted">Loading actors…</p>`;
    focus = null;
    const actorPages = await api.collectPages((cursor) => api.listActors({ sort: "degree", limit: 1000, cursor }), MAX_ACTORS);
    actors = actorPages.items;
    actorsComplete = actorPages.complete;
    byActorId.clear();
    for (const actor of actors) byActorId.set(actor.id, actor);
    const pairPages = await api.collectPages((cursor) => api.listRelationships({ limit: 1000, cursor }), MAX_PAIRS);
    pairs = pairPages.items;
    pairsComplete = pairPages.complete;
    limitSelect.parentElement?.querySelectorAll("[for=network-limit], #network-limit").forEach((el) => {
      /** @type {HTMLElement} */ (el).hidden = drawsAll();
    });
    await relayout();
    return actors;
  }

  /** Small graphs are drawn whole; big ones as top-N or a neighbourhood. */
  function drawsAll() {
    return actorsComplete && actors.length <= DRAW_ALL;
  }

  async function relayout() {
    const limit = drawsAll() ? actors.length : Number(limitSelect.value);
    drawn = focus ? focus.ids.flatMap((id) => byActorId.get(id) ?? []) : topByDegree(actors, limit);
    const ids = new Set(drawn.map((a) => a.id));
    let drawnPairs = pairs;
    if (!pairsComplete) {
      // Too many pairs to fetch them all: ask for the drawn actors' pairs one actor at a time.
      drawnPairs = (await Promise.all(drawn.map((a) => api.listRelationships({ actor: a.id, limit: 1000 }).then((p) => p.items)))).flat();
    }
    edges = graphEdges(drawnPairs, ids);
    positions = forceLayout({
      nodes: drawn,
      edges,
      width: WIDTH,
      height: HEIGHT,
      seed: 7,
      iterations: drawn.length > 250 ? 150 : 300,
    });
    const focused = focus ? byActorId.get(focus.id) : undefined;
    note.textContent = focus && focused
      ? `Showing ${focused.name ?? focused.id} and ${formatCount(drawn.length - 1)} of its ${formatCount(focus.total)} related actors.`
      : drawn.length < actors.length || !actorsComplete
        ? `Showing the ${formatCount(drawn.length)} busiest of ${actorsComplete ? formatCount(actors.length) : `more than ${formatCount(actors.length)}`} actors; search to find others.`
        : `${formatCount(actors.length)} actors, ${formatCount(edges.length)} pairs`;
    reset.hidden = focus === null;
    draw();
  }

  function draw() {
    graph.innerHTML = networkSvg({
      actors: drawn,
      edges,
      positions,
      width: WIDTH,
      height: HEIGHT,
      selectedId: selected,
      highlight,
      focusId: selected ?? focusId,
      matrixSize: actors.filter((a) => a.in_matrix).length,
    });
  }

  /**
   * @param {number} id
   * @param {{ focus?: boolean }} [options]
   */
  async function select(id, options = {}) {
    selected = id;
    let actor = byActorId.get(id);
    /** @type {import("./api_client.js").ActorRelationship[]} */
    let related = [];
    try {
      related = await api.actorRelationships(id);
    } catch (error) {
      detail.innerHTML = `<p class="muted">Cannot load the relationships of actor ${id}: ${escapeHtml(error instanceof Error ? error.message : String(error))}</p>`;
      return;
    }
    if (!actor) {
      actor = { id, letter_code: null, name: `Actor ${id}`, degree: related.length, in_matrix: true, in_list: true, unknown_cells: 0 };
    }
    if (!drawn.some((a) => a.id === id)) {
      // Outside the drawing: switch to the actor's neighbourhood, busiest neighbours first.
      for (const r of related) {
        if (!byActorId.has(r.id)) {
          const neighbour = { id: r.id, letter_code: r.letter_code, name: r.name, degree: 1, in_matrix: true, in_list: true, unknown_cells: 0 };
          byActorId.set(r.id, neighbour);
          actors.push(neighbour);
        }
      }
      if (!byActorId.has(id)) {
        byActorId.set(id, actor);
        actors.push(actor);
      }
      if (!pairsComplete || !pairs.some((p) => p.person_a_id === id || p.person_b_id === id)) {
        pairs.push(...related.map((r) => toPair(id, r)));
      }
      if (!drawsAll()) {
        const neighbours = related
          .map((r) => byActorId.get(r.id))
          .filter((a) => a !== undefined)
          .sort((a, b) => b.degree - a.degree || a.id - b.id)
          .slice(0, Number(limitSelect.value) - 1);
        focus = { id, ids: [id, ...neighbours.map((a) => a.id)], total: related.length };
      }
      await relayout();
    } else {
      draw();
    }
    detail.innerHTML = relationshipListHtml(actor, related);
    announce(`${actor.name ?? `Actor ${id}`}: ${related.length} relationships`);
    if (options.focus) {
      const node = graph.querySelector(`[data-actor-id="${id}"]`);
      if (node instanceof SVGElement) node.focus();
    } else {
      // Keep keyboard focus on the node that was activated, now re-rendered.
      const node = graph.querySelector(`[data-actor-id="${id}"]`);
      if (node instanceof SVGElement && document.activeElement === document.body) node.focus();
    }
  }

  async function runSearch() {
    const q = search.value.trim().toLowerCase();
    if (!q) {
      highlight = new Set();
      results.innerHTML = "";
      draw();
      return;
    }
    /** @type {Actor[]} */
    let found;
    if (actorsComplete) {
      found = actors.filter((a) => (a.name ?? "").toLowerCase().includes(q) || (a.letter_code ?? "").toLowerCase() === q || String(a.id) === q);
    } else {
      found = (await api.listActors({ q, sort: "degree", limit: 20 })).items;
    }
    highlight = new Set(found.map((a) => a.id));
    results.innerHTML = found
      .slice(0, 12)
      .map((a) => `<li><button type="button" class="small" data-goto-actor="${a.id}">${escapeHtml(a.name ?? `Actor ${a.id}`)} <span class="code">${escapeHtml(a.letter_code ?? "")}</span></button></li>`)
      .join("");
    announce(`${found.length} ${found.length === 1 ? "actor matches" : "actors match"} "${search.value.trim()}"`);
    draw();
  }

  return { load };
}

/**
 * @param {number} id
 * @param {import("./api_client.js").ActorRelationship} r
 * @returns {Relationship}
 */
function toPair(id, r) {
  const forward = id < r.id;
  return {
    person_a_id: forward ? id : r.id,
    person_a_letter: null,
    person_a_name: null,
    person_b_id: forward ? r.id : id,
    person_b_letter: null,
    person_b_name: null,
    a_to_b: forward ? r.a_to_b : r.b_to_a,
    b_to_a: forward ? r.b_to_a : r.a_to_b,
  };
}
