// @ts-check
/**
 * The network section. It asks the server for exactly what it draws (GET /relationships/subgraph:
 * the busiest actors and the pairs between them, or one actor's neighbourhood) instead of every
 * pair, lays it out so actors keep their places across versions (from the positions this browser
 * last drew, else from the previous version rebuilt out of today's changes), marks the pairs added,
 * removed and changed since the previous version, and fits the drawing to its box with pan and zoom.
 */
import * as api from "./api_client.js";
import { byId, debounce, keyboardClicks, latestOnly } from "./_dom.js";
import { forceLayout, fractionsOf } from "./force_layout.js";
import { graphEdges, labelledActors, nearestInDirection, networkSvg, pairChanges, previousEdges, readPlaces, relationshipListHtml, storedPlaces } from "./network_view.js";
import { errorText, escapeHtml, formatCount } from "./html.js";

/** @typedef {import("./api_client.js").Actor} Actor */
/** @typedef {import("./api_client.js").Change} Change */
/** @typedef {import("./api_client.js").Subgraph} Subgraph */
/** @typedef {{ x: number, y: number, w: number, h: number }} ViewBox */

const DRAW_ALL = 150;
const POSITIONS_KEY = "relaciones.network.positions";
const MAX_STORED = 3000;
/** Search matches listed under the box (the drawing highlights every match of the page). */
const SEARCH_LISTED = 12;

/** Changed pairs among the drawn actors marked at most (one page of GET /changes). */
const MARKS_PAGE = 1000;

/**
 * Mounts the network section.
 *
 * @example
 * const network = mountNetwork({ announce });
 * await network.load({ versionId: version.version_id, changes: page.items, complete: page.next_cursor === null });
 * @param {{ announce: (message: string) => void }} options
 * @returns {{ load: (served: { versionId: number, changes: readonly Change[], complete?: boolean }) => Promise<void>, empty: (message: string) => void, showPair: (a: number, b: number) => Promise<void> }}
 */
export function mountNetwork({ announce }) {
  const graph = byId("network-graph", HTMLElement);
  const detail = byId("network-detail", HTMLElement);
  const search = byId("network-search", HTMLInputElement);
  const results = byId("network-results", HTMLUListElement);
  const limitSelect = byId("network-limit", HTMLSelectElement);
  const note = byId("network-note", HTMLElement);
  const reset = byId("network-reset", HTMLButtonElement);

  /** @type {Subgraph | null} */
  let sub = null;
  let versionId = 0;
  /** @type {Map<string, "added" | "changed" | "removed">} */
  let changed = new Map();
  /**
   * Whether the served changes given to load() are all of the version's: when they are not (a page
   * of a version that changed thousands of pairs), the marks are asked for the drawn actors.
   */
  let complete = true;
  /** The drawn actors have more changed pairs than one page of marks holds. */
  let marksCut = false;
  /** The actor whose neighbourhood is drawn instead of the busiest, or null. @type {number | null} */
  let around = null;
  /** @type {number[]} */
  let include = [];
  /** @type {Set<number>} */
  let highlight = new Set();
  /** @type {number | null} */
  let selected = null;
  /** The relationships of the chosen actor and the search's matches: only the latest asked for are drawn. */
  const selections = latestOnly();
  const searches = latestOnly();
  /** The drawings (a load, a changed N, a neighbourhood, a pair, Back to the busiest): only the latest asked for is drawn. */
  const drawings = latestOnly();
  /** @type {[number, number] | null} */
  let pair = null;
  /** The (trimmed) text whose matches the search's list shows; null before any or after a failure. @type {string | null} */
  let listedFor = null;
  /** The node in the Tab order, moved by the arrow keys. @type {number | null} */
  let focusId = null;
  /** @type {import("./network_view.js").GraphEdge[]} */
  let edges = [];
  /** @type {Map<number, {x: number, y: number}>} */
  let positions = new Map();
  let box = { width: 860, height: 540 };
  /** @type {ViewBox} */
  let view = { x: 0, y: 0, w: 860, h: 540 };

  keyboardClicks(graph);
  graph.addEventListener("keydown", (event) => {
    const node = event.target instanceof Element ? event.target.closest("[data-actor-id]") : null;
    if (["+", "=", "-", "0"].includes(event.key)) {
      event.preventDefault();
      if (event.key === "0") fit();
      else zoom(event.key === "-" ? 1.5 : 1 / 1.5);
      return;
    }
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
    if (dragged) return;
    const node = event.target instanceof Element ? event.target.closest("[data-actor-id]") : null;
    if (node) void select(Number(node.getAttribute("data-actor-id")));
  });
  for (const root of [detail, results]) {
    root.addEventListener("click", (event) => {
      const target = event.target instanceof Element ? event.target : null;
      const go = target?.closest("[data-goto-actor]");
      if (go) void select(Number(go.getAttribute("data-goto-actor")), { focus: true });
      const hood = target?.closest("[data-neighbourhood]");
      if (hood) void showAround(Number(hood.getAttribute("data-neighbourhood")));
    });
  }
  // The wait ending after Enter already searched the same text asks for nothing again: its redraw
  // took the focus off the actor Enter opened.
  search.addEventListener("input", debounce(() => void (search.value.trim() !== listedFor && runSearch()), 250));
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      void openFirstMatch();
    }
  });
  limitSelect.addEventListener("change", () => {
    around = null;
    include = [];
    void redraw();
  });
  reset.addEventListener("click", () => {
    around = null;
    include = [];
    pair = null;
    // The focus goes to the N select, or, when every actor is drawn and the select is hidden (where
    // focus() does nothing, and the hidden button's focus fell to the top of the page), to the drawing.
    void redraw().then(() => {
      if (!limitSelect.hidden) limitSelect.focus();
      else /** @type {HTMLElement | SVGElement | null} */ (graph.querySelector("[tabindex='0']"))?.focus();
    });
  });
  byId("network-zoom-in", HTMLButtonElement).addEventListener("click", () => zoom(1 / 1.5));
  byId("network-zoom-out", HTMLButtonElement).addEventListener("click", () => zoom(1.5));
  byId("network-fit", HTMLButtonElement).addEventListener("click", fit);

  // Pan with a drag, zoom with the wheel or two fingers: the drawing fits its box (even a phone's)
  // and a busy corner can be looked at closely.
  /** @type {Map<number, { x: number, y: number }>} */
  const pointers = new Map();
  let dragged = false;
  let pinch = 0;
  graph.addEventListener("pointerdown", (event) => {
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    dragged = false;
    pinch = pointers.size === 2 ? spread() : 0;
  });
  graph.addEventListener("pointermove", (event) => {
    const last = pointers.get(event.pointerId);
    if (!last) return;
    const svg = graph.querySelector("svg");
    if (!svg) return;
    const scale = view.w / (svg.getBoundingClientRect().width || 1);
    if (pointers.size === 2) {
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      const now = spread();
      if (pinch > 0 && now > 0) zoom(pinch / now);
      pinch = now;
      dragged = true;
      return;
    }
    const dx = event.clientX - last.x;
    const dy = event.clientY - last.y;
    if (!dragged && Math.hypot(dx, dy) < 4) return;
    if (!dragged) graph.setPointerCapture(event.pointerId);
    dragged = true;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    setView({ ...view, x: view.x - dx * scale, y: view.y - dy * scale });
  });
  const release = (/** @type {PointerEvent} */ event) => {
    pointers.delete(event.pointerId);
    if (pointers.size < 2) pinch = 0;
    // A click that ends a drag must not select the node under the pointer.
    if (dragged) setTimeout(() => (dragged = false), 0);
  };
  graph.addEventListener("pointerup", release);
  graph.addEventListener("pointercancel", release);
  graph.addEventListener(
    "wheel",
    (event) => {
      const svg = graph.querySelector("svg");
      if (!svg || !(event.ctrlKey || event.metaKey || document.activeElement?.closest("#network-graph"))) return;
      event.preventDefault();
      const rect = svg.getBoundingClientRect();
      zoom(event.deltaY > 0 ? 1.25 : 0.8, view.x + ((event.clientX - rect.left) / rect.width) * view.w, view.y + ((event.clientY - rect.top) / rect.height) * view.h);
    },
    { passive: false },
  );

  function spread() {
    const [a, b] = [...pointers.values()];
    return a && b ? Math.hypot(a.x - b.x, a.y - b.y) : 0;
  }

  /** @param {number} factor  below 1 zooms in @param {number} [cx] @param {number} [cy] */
  function zoom(factor, cx = view.x + view.w / 2, cy = view.y + view.h / 2) {
    const w = Math.min(box.width, Math.max(box.width / 12, view.w * factor));
    const h = (w / box.width) * box.height;
    setView({ x: cx - ((cx - view.x) / view.w) * w, y: cy - ((cy - view.y) / view.h) * h, w, h });
  }

  function fit() {
    setView({ x: 0, y: 0, w: box.width, h: box.height });
  }

  /** @param {ViewBox} next */
  function setView(next) {
    const x = Math.min(box.width - next.w, Math.max(0, next.x));
    const y = Math.min(box.height - next.h, Math.max(0, next.y));
    view = { x, y, w: next.w, h: next.h };
    graph.querySelector("svg")?.setAttribute("viewBox", `${x.toFixed(1)} ${y.toFixed(1)} ${view.w.toFixed(1)} ${view.h.toFixed(1)}`);
    graph.dataset.zoom = (box.width / view.w).toFixed(2);
  }

  /**
   * @param {{ versionId: number, changes: readonly Change[], complete?: boolean }} served
   */
  async function load(served) {
    versionId = served.versionId;
    complete = served.complete !== false;
    changed = pairChanges(served.changes);
    marksCut = false;
    around = null;
    include = [];
    pair = null;
    selected = null;
    graph.closest("section")?.removeAttribute("data-empty");
    graph.innerHTML = `<p class="muted">Loading the network…</p>`;
    await fetchAndDraw();
  }

  /** @param {string} message */
  function empty(message) {
    // A drawing still on its way must not replace this message.
    drawings();
    sub = null;
    graph.closest("section")?.setAttribute("data-empty", "");
    graph.innerHTML = `<p class="muted empty-state">${escapeHtml(message)}</p>`;
    note.textContent = "";
    detail.innerHTML = `<p class="muted">Nothing to select yet.</p>`;
  }

  /** fetchAndDraw() for a control's change: a failure is said, and the drawing on screen stays. */
  function redraw() {
    return fetchAndDraw().catch((error) => announce(`The network could not be redrawn: ${errorText(error)}`));
  }

  /**
   * Asks for what the controls say (N, a neighbourhood) and draws it, unless another drawing was
   * asked for meanwhile: answers arrive in any order, and an older N's arriving last must not replace
   * the newer one's. Returns whether it drew; a failure is thrown only for the latest.
   * @returns {Promise<boolean>}
   */
  async function fetchAndDraw() {
    const isLatest = drawings();
    const limit = Number(limitSelect.value);
    /** @type {Subgraph} */
    let next;
    /** @type {import("./api_client.js").Page<Change> | null} */
    let marks = null;
    try {
      next = await api.subgraph({ limit: around === null ? Math.max(limit, 1) : limit, around, include });
      // A graph small enough to draw whole is drawn whole, whatever N says.
      if (around === null && next.total_actors > next.actors.length && next.total_actors <= DRAW_ALL) next = await api.subgraph({ limit: DRAW_ALL });
      if (!complete) {
        // The version's first page of changes may hold none of these actors' pairs (at 3,000 actors
        // it held only renames): the pairs among the drawn actors are asked for instead.
        marks = await api.listChanges({ version: versionId, kind: "pair", among: next.actors.map((a) => a.id).join(","), limit: MARKS_PAGE });
      }
    } catch (error) {
      if (!isLatest()) return false;
      throw error;
    }
    if (!isLatest()) return false;
    sub = next;
    if (marks) {
      changed = pairChanges(marks.items);
      marksCut = marks.next_cursor !== null;
    }
    const all = around === null && sub.actors.length >= sub.total_actors;
    for (const el of limitSelect.parentElement?.querySelectorAll("[for=network-limit], #network-limit") ?? []) /** @type {HTMLElement} */ (el).hidden = all && sub.total_actors <= DRAW_ALL;
    layout();
    const centre = around === null ? undefined : sub.actors.find((a) => a.id === around);
    note.textContent = centre
      ? `Showing ${centre.name ?? centre.id} and ${formatCount(sub.actors.length - 1)} of its ${formatCount(sub.center_degree)} related actors.`
      : all
        ? `${formatCount(sub.total_actors)} actors, ${formatCount(sub.pairs.length)} pairs`
        : `Showing the ${formatCount(sub.actors.length)} busiest of ${formatCount(sub.total_actors)} actors (${formatCount(sub.pairs.length)} of ${formatCount(sub.total_pairs)} pairs); search to find others.`;
    if (marksCut) note.textContent += ` Changes are marked on the first ${formatCount(MARKS_PAGE)} changed pairs among them.`;
    reset.hidden = around === null;
    draw();
    fit();
    return true;
  }

  /** Positions: reused when this browser drew the same actors, settled from earlier ones otherwise. */
  function layout() {
    if (!sub) return;
    const width = Math.max(300, Math.round(graph.clientWidth || 860));
    box = { width, height: Math.round(Math.min(560, Math.max(320, width * 0.62))) };
    const ids = new Set(sub.actors.map((a) => a.id));
    edges = graphEdges(sub.pairs, ids, changed);
    const stored = readStored();
    const key = `${versionId}:${around ?? ""}:${[...ids].sort((a, b) => a - b).join(",")}`;
    /** @type {Map<number, {x: number, y: number}> | undefined} */
    let initial = new Map();
    for (const id of ids) {
      const p = stored.places.get(id);
      if (p) initial.set(id, { x: p[0], y: p[1] });
    }
    const common = { nodes: sub.actors, width: box.width, height: box.height, seed: 7, iterations: sub.actors.length > 250 ? 150 : 300 };
    if (stored.key === key && initial.size === ids.size) {
      // The same actors of the same version as last time: the same picture, no layout at all.
      positions = new Map([...initial].map(([id, p]) => [id, { x: round(24 + p.x * (box.width - 48)), y: round(24 + p.y * (box.height - 48)) }]));
    } else {
      if (initial.size < ids.size / 2 && changed.size > 0) {
        // Nothing remembered: lay out the previous version first (today's pairs, minus the added,
        // plus the removed), then settle today's from there, so the changes show as changes.
        const before = forceLayout({ ...common, edges: previousEdges(edges) });
        initial = fractionsOf(before, box.width, box.height);
      }
      positions = forceLayout({ ...common, edges: edges.filter((e) => e.kind !== "removed"), initial: initial.size > 0 ? initial : undefined });
    }
    store(key, stored.places, fractionsOf(positions, box.width, box.height));
  }

  function draw() {
    if (!sub) return;
    const labels = labelledActors(sub.actors, edges, { selected, highlight });
    if (pair) for (const id of pair) labels.add(id);
    graph.innerHTML = networkSvg({
      actors: sub.actors,
      edges,
      positions,
      width: box.width,
      height: box.height,
      selectedId: selected,
      highlight,
      focusId: selected ?? focusId,
      matrixSize: sub.total_actors,
      labels,
      pair,
    });
    setView(view.w > box.width ? { x: 0, y: 0, w: box.width, h: box.height } : { ...view, h: (view.w / box.width) * box.height });
  }

  /**
   * @param {number} id
   * @param {{ focus?: boolean }} [options]
   */
  async function select(id, options = {}) {
    selected = id;
    // Another actor chosen meanwhile: its relationships are the ones to list.
    const isLatest = selections();
    /** @type {import("./api_client.js").ActorRelationship[]} */
    let related = [];
    try {
      related = await api.actorRelationships(id);
      if (!isLatest()) return;
    } catch (error) {
      if (!isLatest()) return;
      detail.innerHTML = `<p class="muted">Cannot load the relationships of actor ${id}: ${escapeHtml(errorText(error))}</p>`;
      return;
    }
    if (!sub?.actors.some((a) => a.id === id)) {
      // Outside the drawing: switch to the actor's neighbourhood, busiest neighbours first.
      around = id;
      include = [];
      // Another drawing asked for meanwhile (a changed N) is the one shown: this choice is over.
      if (!(await fetchAndDraw()) || !isLatest()) return;
    } else {
      draw();
    }
    const actor = sub?.actors.find((a) => a.id === id) ?? { id, letter_code: null, name: `Actor ${id}` };
    detail.innerHTML =
      relationshipListHtml(actor, related) +
      (around !== id && related.length > 0 ? `<p><button type="button" class="small" data-neighbourhood="${id}">Show only ${escapeHtml(actor.name ?? `actor ${id}`)}'s neighbourhood</button></p>` : "");
    announce(`${actor.name ?? `Actor ${id}`}: ${related.length} relationships`);
    const node = graph.querySelector(`[data-actor-id="${id}"]`);
    if (node instanceof SVGElement && (options.focus || document.activeElement === document.body)) node.focus();
  }

  /** @param {number} id */
  async function showAround(id) {
    around = id;
    include = [];
    selected = id;
    if (!(await fetchAndDraw())) return;
    const centre = sub?.actors.find((a) => a.id === id);
    announce(`Showing the neighbourhood of ${centre?.name ?? `actor ${id}`}`);
  }

  /**
   * Highlights a pair (a finding's Show): both actors and their line, switching to the first
   * actor's neighbourhood when the pair is not drawn.
   * @param {number} a
   * @param {number} b
   */
  async function showPair(a, b) {
    pair = [a, b];
    if (!sub?.actors.some((x) => x.id === a) || !sub.actors.some((x) => x.id === b)) {
      around = a;
      include = [b];
      if (!(await fetchAndDraw())) return;
    } else {
      draw();
    }
    selected = null;
    graph.dataset.pair = `${a}-${b}`;
  }

  /**
   * Enter in the search box: opens the first match of the text in the box. Typed and Enter at once,
   * within the search's wait, the list was still the earlier text's (or none): Enter opened another
   * actor than the one typed, or nothing; that text is searched first.
   */
  async function openFirstMatch() {
    if (listedFor !== search.value.trim()) await runSearch();
    // Typed on while it was searched: that newer text's search lists its matches, Enter is over.
    if (listedFor !== search.value.trim()) return;
    const first = results.querySelector("button");
    if (first instanceof HTMLButtonElement) first.click();
  }

  async function runSearch() {
    const q = search.value.trim();
    // The box may change again before the answer comes: only its latest text's answer is drawn.
    const isLatest = searches();
    if (!q) {
      highlight = new Set();
      results.innerHTML = "";
      listedFor = q;
      draw();
      return;
    }
    // The server searches every actor (names and codes, ignoring accents), not just those drawn.
    /** @type {Actor[]} */
    let found;
    /** More actors match than the one page asked for. */
    let more = false;
    try {
      const page = await api.listActors({ q, sort: "degree", limit: 20 });
      found = page.items;
      more = page.next_cursor !== null;
    } catch (error) {
      if (isLatest()) {
        results.innerHTML = `<li class="muted">The search failed: ${escapeHtml(errorText(error))}</li>`;
        listedFor = null;
      }
      return;
    }
    if (!isLatest()) return;
    listedFor = q;
    highlight = new Set(found.map((a) => a.id));
    // No match is said beside the box too: the status line saying it is at the top of the page, out of sight.
    results.innerHTML = found.length
      ? found
          .slice(0, SEARCH_LISTED)
          .map((a) => `<li><button type="button" class="small" data-goto-actor="${a.id}">${escapeHtml(a.name ?? `Actor ${a.id}`)} <span class="code">${escapeHtml(a.letter_code ?? "")}</span></button></li>`)
          .join("")
      : `<li class="muted">No actor matches "${escapeHtml(q)}".</li>`;
    // The page holds at most 20: with more after it, the count is "over 20", not 20.
    const listed = Math.min(found.length, SEARCH_LISTED);
    announce(
      more
        ? `More than ${found.length} actors match "${q}"; the ${listed} busiest are listed, type more to narrow`
        : `${found.length} ${found.length === 1 ? "actor matches" : "actors match"} "${q}"${found.length > listed ? `; the ${listed} busiest are listed` : ""}`,
    );
    draw();
  }

  return { load, empty, showPair };
}

/** @returns {{ key: string, places: Map<number, [number, number]> }} */
function readStored() {
  try {
    return readPlaces(JSON.parse(localStorage.getItem(POSITIONS_KEY) ?? "null"));
  } catch {
    // Storage off or garbage: lay out afresh.
    return readPlaces(null);
  }
}

/**
 * Remembers where each drawn actor is (fractions of the box), keeping other actors' earlier places
 * up to MAX_STORED, the longest unseen dropped first (storedPlaces).
 * @param {string} key
 * @param {Map<number, [number, number]>} earlier  the places stored before (readStored, read for this drawing)
 * @param {Map<number, {x: number, y: number}>} fractions
 */
function store(key, earlier, fractions) {
  const stored = storedPlaces(key, earlier, fractions, MAX_STORED);
  try {
    localStorage.setItem(POSITIONS_KEY, JSON.stringify(stored));
  } catch {
    // A full or disabled storage only costs stability across visits.
  }
}

/** @param {number} v */
function round(v) {
  return Math.round(v * 100) / 100;
}
