import { SlotIndex } from './slot-index.js';

describe('SlotIndex', () => {
  it('hands out slots, reuses freed ones and grows by doubling', () => {
    const grown: number[] = [];
    const index = new SlotIndex(2, (capacity) => grown.push(capacity));
    expect([index.add('a'), index.add('b'), index.add('c')]).toEqual([0, 1, 2]);
    expect(grown).toEqual([4]);
    index.delete('b');
    expect(index.add('d')).toBe(1);
    expect(index.idOf(1)).toBe('d');
    expect(index.size).toBe(3);
  });

  it('keeps insertion order, and moveToEnd re-inserts', () => {
    const index = new SlotIndex(8, () => {});
    ['a', 'b', 'c'].forEach((id) => index.add(id));
    index.moveToEnd('a');
    expect([...index.slotsInOrder()].map((slot) => index.idOf(slot))).toEqual([
      'b',
      'c',
      'a',
    ]);
    index.clear();
    expect(index.size).toBe(0);
    expect(index.add('x')).toBe(0);
  });
});
