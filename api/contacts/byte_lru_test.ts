// The point-read cache's LRU: which entries it keeps, checked against a plain model through long
// random runs of sets, reads, deletes and clears (its eviction keeps one Map iterator across calls,
// which a cursor bug would make evict the wrong entry or stop evicting).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mulberry32 } from "../../scripts/testing/random.ts";
import { ByteLru } from "./byte_lru.ts";

/** The same rules, the obvious way: an array from oldest to newest. */
class ModelLru {
  entries: { key: number; value: number; cost: number }[] = [];
  constructor(readonly maxBytes: number, readonly overhead: number) {}
  get(key: number): number | undefined {
    const i = this.entries.findIndex((e) => e.key === key);
    if (i < 0) return undefined;
    const [hit] = this.entries.splice(i, 1);
    this.entries.push(hit);
    return hit.value;
  }
  set(key: number, value: number, size: number): void {
    this.delete(key);
    const cost = size + this.overhead;
    if (cost > this.maxBytes) return;
    this.entries.push({ key, value, cost });
    while (this.entries.reduce((n, e) => n + e.cost, 0) > this.maxBytes) this.entries.shift();
  }
  delete(key: number): void {
    this.entries = this.entries.filter((e) => e.key !== key);
  }
}

test("ByteLru evicts the least recently used first, by bytes", () => {
  const overhead = 512;
  const lru = new ByteLru<string, number>(3 * (1000 + overhead));
  lru.set("a", 1, 1000);
  lru.set("b", 2, 1000);
  lru.set("c", 3, 1000);
  assert.equal(lru.get("a"), 1, "a read makes a the most recent");
  lru.set("d", 4, 1000);
  assert.equal(lru.get("b"), undefined, "b was the oldest");
  assert.deepEqual([lru.get("c"), lru.get("a"), lru.get("d")], [3, 1, 4]);
  lru.set("e", 5, 2000);
  assert.deepEqual([lru.get("c"), lru.get("a"), lru.get("d"), lru.get("e")], [undefined, undefined, 4, 5], "e took the room of the two oldest");
  lru.set("big", 6, 3 * (1000 + overhead));
  assert.equal(lru.get("big"), undefined, "an entry over the bound alone is not kept");
  assert.equal(lru.get("e"), 5, "and evicts nothing");
});

test("ByteLru keeps what a plain model keeps, through 20,000 random sets, reads, deletes and clears", () => {
  for (const seed of [1, 2, 3]) {
    const random = mulberry32(seed);
    const overhead = 512;
    const maxBytes = 40 * (100 + overhead);
    const lru = new ByteLru<number, number>(maxBytes);
    const model = new ModelLru(maxBytes, overhead);
    for (let op = 0; op < 20_000; op++) {
      const key = Math.floor(random() * 120);
      const roll = random();
      if (roll < 0.5) {
        const size = Math.floor(random() * 400);
        lru.set(key, op, size);
        model.set(key, op, size);
      } else if (roll < 0.9) {
        assert.equal(lru.get(key), model.get(key), `seed ${seed}, op ${op}: get(${key})`);
      } else if (roll < 0.999) {
        lru.delete(key);
        model.delete(key);
      } else {
        lru.clear();
        model.entries = [];
      }
      const stats = lru.stats();
      assert.equal(stats.entries, model.entries.length, `seed ${seed}, op ${op}: entries`);
      assert.equal(stats.bytes, model.entries.reduce((n, e) => n + e.cost, 0), `seed ${seed}, op ${op}: bytes`);
    }
  }
});
