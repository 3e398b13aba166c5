// @ts-check
/**
 * A small force-directed layout (Fruchterman-Reingold with a cooling schedule), written by hand so
 * the dashboard needs no graph library. Pure: no DOM, no clock, no Math.random. Each actor's start
 * comes from its own id (not its place in the list), and a layout can start from earlier positions
 * (yesterday's version) and only settle from there, so an actor keeps where it "lives" across
 * versions: two days can be compared by eye, and the screenshot and tests stay stable.
 */

/**
 * @typedef {{ id: number }} LayoutNode
 * @typedef {{ source: number, target: number }} LayoutEdge
 * @typedef {{ x: number, y: number }} Point
 * @typedef {object} LayoutOptions
 * @property {readonly LayoutNode[]} nodes
 * @property {readonly LayoutEdge[]} edges  edges whose ends are not in `nodes` are ignored
 * @property {number} width
 * @property {number} height
 * @property {number} [seed=1]
 * @property {number} [iterations=300]
 * @property {number} [margin=24]  nodes are kept this far from the border (room for the label)
 * @property {Map<number, Point>} [initial]  earlier positions, as fractions of the box (0..1): nodes
 *   start there and the layout only settles them (a new node starts beside its placed neighbours)
 */

/**
 * Returns a deterministic pseudo-random generator (mulberry32) yielding numbers in [0, 1).
 *
 * @example
 * const next = seededRandom(42); next(); // 0.6011037519201636, always
 * @param {number} seed
 * @returns {() => number}
 */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return function next() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Returns a number in [0, 1) that depends only on `id` and `salt`: where an actor starts does not
 * change when others are added or removed.
 *
 * @example
 * idUnit(42, 1) === idUnit(42, 1); // true
 * @param {number} id
 * @param {number} salt
 * @returns {number}
 */
export function idUnit(id, salt) {
  return seededRandom(Math.imul(id, 0x9e3779b1) ^ Math.imul(salt, 0x85ebca77))();
}

/**
 * Lays the graph out in a `width` x `height` box and returns each node's position by id.
 * Cost is O(iterations * n^2): fine for the few hundred nodes the dashboard ever draws (it shows the
 * top-N by degree for big graphs).
 *
 * @example
 * const pos = forceLayout({ nodes: [{ id: 1 }, { id: 2 }], edges: [{ source: 1, target: 2 }], width: 400, height: 300 });
 * pos.get(1); // { x: ..., y: ... } inside the box
 * @param {LayoutOptions} options
 * @returns {Map<number, Point>}
 */
export function forceLayout(options) {
  const { width, height } = options;
  // Sorted by id, nodes and links alike: the result must not depend on the order the caller lists
  // them in (busiest first today, another order tomorrow), or a rebuilt previous version would not
  // land where it landed the day before.
  const nodes = [...options.nodes].sort((a, b) => a.id - b.id);
  const edges = [...options.edges].sort((a, b) => Math.min(a.source, a.target) - Math.min(b.source, b.target) || Math.max(a.source, a.target) - Math.max(b.source, b.target));
  const seed = options.seed ?? 1;
  const iterations = options.iterations ?? 300;
  const margin = Math.min(options.margin ?? 24, width / 4, height / 4);
  const n = nodes.length;
  /** @type {Map<number, Point>} */
  const result = new Map();
  if (n === 0) return result;
  const cx = width / 2;
  const cy = height / 2;
  if (n === 1) {
    result.set(nodes[0].id, { x: cx, y: cy });
    return result;
  }

  /** @type {Map<number, number>} */
  const index = new Map();
  nodes.forEach((node, i) => index.set(node.id, i));
  /** @type {[number, number][]} */
  const links = [];
  const seen = new Set();
  for (const edge of edges) {
    const a = index.get(edge.source);
    const b = index.get(edge.target);
    if (a === undefined || b === undefined || a === b) continue;
    const key = a < b ? `${a},${b}` : `${b},${a}`;
    if (seen.has(key)) continue; // a pair drawn twice would pull twice as hard
    seen.add(key);
    links.push([a, b]);
  }

  // Actors with no pairs would only be pushed to the walls by repulsion; they go on a shelf along
  // the bottom instead, where "these have no relationships" reads at a glance.
  const linked = new Uint8Array(n);
  for (const [a, b] of links) linked[a] = linked[b] = 1;
  const isolated = [];
  for (let i = 0; i < n; i++) if (!linked[i]) isolated.push(i);
  // Only a few: when most nodes are isolated (e.g. the top-N of a big graph), a shelf would be
  // most of the picture, so they stay in the simulation and gravity rings them around the rest.
  const useShelf = isolated.length > 0 && isolated.length <= Math.max(8, n * 0.2);
  const shelf = useShelf ? shelfLayout(isolated.length, width, height, margin) : null;
  const floor = shelf ? shelf.top : height - margin;

  // Start on a jittered disc, each node at a place drawn from its own id, so no two nodes start on
  // top of each other and a node's start does not depend on who else is drawn.
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  const innerW = width - 2 * margin;
  const innerH = floor - margin;
  const cy2 = margin + innerH / 2;
  const initial = options.initial;
  const placed = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const start = initial?.get(nodes[i].id);
    if (start) {
      // The same frame as fractionsOf() (the whole box inside the margins, shelf or not).
      xs[i] = margin + start.x * (width - 2 * margin);
      ys[i] = margin + start.y * (height - 2 * margin);
      placed[i] = 1;
      continue;
    }
    const angle = 2 * Math.PI * idUnit(nodes[i].id, seed);
    const radius = Math.sqrt(idUnit(nodes[i].id, seed + 1)) * 0.45;
    xs[i] = cx + Math.cos(angle) * radius * innerW;
    ys[i] = cy2 + Math.sin(angle) * radius * innerH;
  }
  // A node new since the earlier layout starts beside the neighbours that were there.
  const warm = initial !== undefined && placed.some((p) => p === 1);
  if (warm) {
    for (let i = 0; i < n; i++) {
      if (placed[i]) continue;
      let sx = 0;
      let sy = 0;
      let count = 0;
      for (const [a, b] of links) {
        const other = a === i ? b : b === i ? a : -1;
        if (other >= 0 && placed[other]) {
          sx += xs[other];
          sy += ys[other];
          count++;
        }
      }
      if (count > 0) {
        xs[i] = sx / count + (idUnit(nodes[i].id, seed + 2) - 0.5) * 20;
        ys[i] = sy / count + (idUnit(nodes[i].id, seed + 3) - 0.5) * 20;
      }
    }
  }

  const area = innerW * innerH;
  const k = Math.sqrt(area / n); // ideal edge length
  const k2 = k * k;
  const gravity = 0.05;
  // From earlier positions the layout only settles: each node is held to where it was by a spring,
  // the temperature starts low and there are fewer rounds, so what was left of an actor yesterday is
  // still left of it today and only the actors whose pairs changed move much.
  const rounds = warm ? Math.min(iterations, 80) : iterations;
  const anchorX = Float64Array.from(xs);
  const anchorY = Float64Array.from(ys);
  const anchor = warm ? k / 3 : 0;
  let temperature = warm ? k / 8 : Math.max(innerW, innerH) / 8;
  const cooling = temperature / (rounds + 1);
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);

  for (let step = 0; step < rounds; step++) {
    dx.fill(0);
    dy.fill(0);
    // Repulsion between every pair.
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let ddx = xs[i] - xs[j];
        let ddy = ys[i] - ys[j];
        let dist2 = ddx * ddx + ddy * ddy;
        if (dist2 < 1e-6) {
          // Coincident nodes: push apart in a direction derived from the indices, not randomness.
          ddx = ((i * 7 + j * 13) % 17) / 17 - 0.5 || 0.1;
          ddy = ((i * 11 + j * 5) % 19) / 19 - 0.5 || 0.1;
          dist2 = ddx * ddx + ddy * ddy;
        }
        const force = k2 / dist2;
        dx[i] += ddx * force;
        dy[i] += ddy * force;
        dx[j] -= ddx * force;
        dy[j] -= ddy * force;
      }
    }
    // Attraction along edges.
    for (const [a, b] of links) {
      const ddx = xs[a] - xs[b];
      const ddy = ys[a] - ys[b];
      const dist = Math.sqrt(ddx * ddx + ddy * ddy) || 0.01;
      const force = dist / k;
      dx[a] -= ddx * force;
      dy[a] -= ddy * force;
      dx[b] += ddx * force;
      dy[b] += ddy * force;
    }
    // Gravity keeps isolated nodes (actors with no pairs) from drifting to the walls; the anchor
    // (warm starts only) pulls each placed node back towards its earlier position.
    for (let i = 0; i < n; i++) {
      dx[i] -= (xs[i] - cx) * gravity * k / 3;
      dy[i] -= (ys[i] - cy2) * gravity * k / 3;
      if (anchor > 0 && placed[i]) {
        dx[i] -= (xs[i] - anchorX[i]) * anchor;
        dy[i] -= (ys[i] - anchorY[i]) * anchor;
      }
    }
    // Move, capped by the temperature, and clamp into the box.
    for (let i = 0; i < n; i++) {
      const len = Math.sqrt(dx[i] * dx[i] + dy[i] * dy[i]);
      if (len > 0) {
        const capped = Math.min(len, temperature);
        xs[i] += (dx[i] / len) * capped;
        ys[i] += (dy[i] / len) * capped;
      }
      xs[i] = Math.min(width - margin, Math.max(margin, xs[i]));
      ys[i] = Math.min(floor, Math.max(margin, ys[i]));
    }
    temperature = Math.max(temperature - cooling, 0.5);
  }

  // Dense graphs settle into a ball in the middle of the box: stretch the result to fill it (per
  // axis, since the box is wide and a layout has no preferred aspect). Only ever enlarges.
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    if (shelf && !linked[i]) continue;
    minX = Math.min(minX, xs[i]);
    maxX = Math.max(maxX, xs[i]);
    minY = Math.min(minY, ys[i]);
    maxY = Math.max(maxY, ys[i]);
  }
  // A warm start already fills the box as the earlier picture did; stretching it again would move
  // every actor a little each version.
  const sx = !warm && maxX > minX ? Math.max(1, (width - 2 * margin) / (maxX - minX)) : 1;
  const sy = !warm && maxY > minY ? Math.max(1, (floor - margin) / (maxY - minY)) : 1;
  for (let i = 0; i < n; i++) {
    if (shelf && !linked[i]) continue;
    xs[i] = sx > 1 ? margin + (xs[i] - minX) * sx : xs[i];
    ys[i] = sy > 1 ? margin + (ys[i] - minY) * sy : ys[i];
  }
  if (shelf) {
    isolated.forEach((i, slot) => {
      xs[i] = shelf.x(slot);
      ys[i] = shelf.y(slot);
    });
  }
  nodes.forEach((node, i) => result.set(node.id, { x: round(xs[i]), y: round(ys[i]) }));
  return result;
}

/**
 * Places `count` isolated nodes in rows along the bottom, at least 28 px apart.
 * @param {number} count
 * @param {number} width
 * @param {number} height
 * @param {number} margin
 */
function shelfLayout(count, width, height, margin) {
  const usable = width - 2 * margin;
  const perRow = Math.max(1, Math.min(count, Math.floor(usable / 28) + 1));
  const rows = Math.ceil(count / perRow);
  const rowHeight = 24;
  const bottom = height - margin;
  const gap = perRow > 1 ? Math.min(usable / (perRow - 1), 56) : 0;
  return {
    /** Top of the shelf: the connected part of the graph stays above it. */
    top: Math.max(margin, bottom - rows * rowHeight - 12),
    /** @param {number} slot */
    x: (slot) => margin + (slot % perRow) * gap,
    /** @param {number} slot */
    y: (slot) => bottom - (rows - 1 - Math.floor(slot / perRow)) * rowHeight,
  };
}

/** Two decimals are plenty for SVG and keep the markup short. @param {number} v */
function round(v) {
  return Math.round(v * 100) / 100;
}

/**
 * Returns positions as fractions of the box inside the margins (0..1), the form `initial` takes:
 * how positions are kept from one version (and one box size) to the next.
 *
 * @example
 * fractionsOf(new Map([[1, { x: 24, y: 300 }]]), 800, 600); // Map { 1 => { x: 0, y: 0.5 } }
 * @param {Map<number, Point>} positions
 * @param {number} width
 * @param {number} height
 * @param {number} [margin]
 * @returns {Map<number, Point>}
 */
export function fractionsOf(positions, width, height, margin = 24) {
  const m = Math.min(margin, width / 4, height / 4);
  /** @type {Map<number, Point>} */
  const out = new Map();
  for (const [id, p] of positions) {
    out.set(id, { x: Math.round(((p.x - m) / (width - 2 * m)) * 1e4) / 1e4, y: Math.round(((p.y - m) / (height - 2 * m)) * 1e4) / 1e4 });
  }
  return out;
}
