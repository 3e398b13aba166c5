// Reads back the geometry of a flowchart SVG written by flowchartSvg(): node boxes, each arrow's
// polyline and its label box, matched by `data-edge`. Tests use it to check that labels sit on their
// own lines and cover no box and no other label.

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface EdgeGeometry {
  index: number;
  points: { x: number; y: number }[];
  label: Rect;
}

function rectOf(attrs: string): Rect {
  const num = (name: string) => Number(new RegExp(`\\b${name}="(-?[\\d.]+)"`).exec(attrs)![1]);
  return { x: num("x"), y: num("y"), w: num("width"), h: num("height") };
}

/**
 * Returns the node boxes and, per arrow, its polyline and label box.
 * @example svgGeometry(flowchartSvg(diagram)).edges[0].label.w > 0 // true
 */
export function svgGeometry(svg: string): { nodes: Rect[]; edges: EdgeGeometry[] } {
  const nodes = [...svg.matchAll(/<g class="node"[^>]*>\n<rect ([^>]*)\/>/g)].map((m) => rectOf(m[1]));
  const labels = new Map([...svg.matchAll(/<g class="edge-label" data-edge="(\d+)"><rect ([^>]*)\/>/g)].map((m) => [Number(m[1]), rectOf(m[2])]));
  const edges = [...svg.matchAll(/<path class="edge" data-edge="(\d+)" d="([^"]+)"/g)].map((m) => {
    const points = [...m[2].matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((p) => ({ x: Number(p[1]), y: Number(p[2]) }));
    return { index: Number(m[1]), points, label: labels.get(Number(m[1]))! };
  });
  return { nodes, edges };
}

/**
 * Returns the distance from a point to a polyline.
 * @example distanceToPolyline({ x: 5, y: 1 }, [{ x: 0, y: 0 }, { x: 10, y: 0 }]) // 1
 */
export function distanceToPolyline(p: { x: number; y: number }, points: { x: number; y: number }[]): number {
  let best = Infinity;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const t = dx === 0 && dy === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / (dx * dx + dy * dy)));
    best = Math.min(best, Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy)));
  }
  return best;
}

/** Whether two rectangles share any area. */
export function intersects(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}
