import { DeadlineHeap, type HeapEntry } from './deadline-heap.js';

interface Item extends HeapEntry {
  id: number;
}

/** A tiny deterministic generator so the randomized test is reproducible. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

describe('DeadlineHeap', () => {
  it('pops in deadline order after pushes, updates and removals', () => {
    const random = lcg(42);
    const heap = new DeadlineHeap<Item>();
    const live = new Map<number, Item>();
    for (let id = 0; id < 2000; id++) {
      const item: Item = {
        id,
        expiresAt: Math.floor(random() * 1e6),
        heapIndex: -1,
      };
      heap.push(item);
      live.set(id, item);
    }
    for (let i = 0; i < 1500; i++) {
      const item = live.get(Math.floor(random() * 2000));
      if (!item) continue;
      if (random() < 0.3) {
        heap.remove(item);
        live.delete(item.id);
      } else {
        item.expiresAt = Math.floor(random() * 1e6);
        heap.update(item);
      }
    }
    expect(heap.size).toBe(live.size);
    const popped: number[] = [];
    for (let item = heap.pop(); item; item = heap.pop()) {
      expect(item.heapIndex).toBe(-1);
      popped.push(item.expiresAt);
    }
    expect(popped).toHaveLength(live.size);
    expect(popped).toEqual([...popped].sort((a, b) => a - b));
  });

  it('keeps each entry at the index it records', () => {
    const heap = new DeadlineHeap<Item>();
    const items = [5, 3, 8, 1, 9, 2].map((expiresAt, id) => ({
      id,
      expiresAt,
      heapIndex: -1,
    }));
    items.forEach((item) => heap.push(item));
    heap.remove(items[1]!);
    items[4]!.expiresAt = 0;
    heap.update(items[4]!);
    expect(heap.peek()).toBe(items[4]);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBeUndefined();
  });
});
