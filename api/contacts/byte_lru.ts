/**
 * A least-recently-used map bounded by bytes, not entries: what it holds is the sum of the sizes
 * its callers declare, and the oldest entries go first when a new one would pass the bound. Map
 * keeps insertion order, so "recently used" is "deleted and set again".
 */
export class ByteLru<K, V> {
  readonly maxBytes: number;
  #bytes = 0;
  readonly #map = new Map<K, { value: V; size: number }>();

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** The value for `key`, now the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const hit = this.#map.get(key);
    if (hit === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, hit);
    return hit.value;
  }

  /** Keeps `value` (of `size` bytes) unless it alone is over the bound; evicts the oldest as needed. */
  set(key: K, value: V, size: number): void {
    this.delete(key);
    // Each entry also costs the Map's slot and the objects around the bytes: count it.
    const cost = size + ENTRY_OVERHEAD;
    if (cost > this.maxBytes) return;
    this.#map.set(key, { value, size: cost });
    this.#bytes += cost;
    for (const [oldest, entry] of this.#map) {
      if (this.#bytes <= this.maxBytes) break;
      this.#map.delete(oldest);
      this.#bytes -= entry.size;
    }
  }

  delete(key: K): void {
    const hit = this.#map.get(key);
    if (hit === undefined) return;
    this.#map.delete(key);
    this.#bytes -= hit.size;
  }

  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }

  stats(): { entries: number; bytes: number; maxBytes: number } {
    return { entries: this.#map.size, bytes: this.#bytes, maxBytes: this.maxBytes };
  }
}

/** Rough bytes per entry besides the value's own: the view object, the JSON string, the Map slot. */
const ENTRY_OVERHEAD = 512;
