import { SlotHeap } from './slot-heap.js';

/** A tiny deterministic generator so the randomized test is reproducible. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

describe('SlotHeap', () => {
  it('pops in deadline order after pushes, updates and removals', () => {
    const random = lcg(42);
    const heap = new SlotHeap(16);
    heap.grow(2048);
    const live = new Map<number, number>();
    for (let slot = 0; slot < 2000; slot++) {
      const deadline = Math.floor(random() * 1e6);
      heap.push(slot, deadline);
      live.set(slot, deadline);
    }
    for (let i = 0; i < 1500; i++) {
      const slot = Math.floor(random() * 2000);
      if (!live.has(slot)) continue;
      if (random() < 0.3) {
        heap.remove(slot);
        live.delete(slot);
      } else {
        const deadline = Math.floor(random() * 1e6);
        heap.update(slot, deadline);
        live.set(slot, deadline);
      }
    }
    expect(heap.size).toBe(live.size);
    const popped: number[] = [];
    for (let slot = heap.peek(); slot !== -1; slot = heap.peek()) {
      expect(heap.deadlineOf(slot)).toBe(live.get(slot));
      popped.push(heap.deadlineOf(slot));
      heap.remove(slot);
    }
    expect(popped).toHaveLength(live.size);
    expect(popped).toEqual([...popped].sort((a, b) => a - b));
  });

  it('lists what is due without removing it, up to a limit', () => {
    const heap = new SlotHeap(8);
    [50, 10, 40, 20, 30].forEach((deadline, slot) => heap.push(slot, deadline));
    expect(heap.dueBy(25, 10).sort((a, b) => a - b)).toEqual([1, 3]);
    expect(heap.dueBy(100, 2)).toHaveLength(2);
    expect(heap.dueBy(5, 10)).toEqual([]);
    expect(heap.size).toBe(5);
    heap.clear();
    expect(heap.peek()).toBe(-1);
  });
});
