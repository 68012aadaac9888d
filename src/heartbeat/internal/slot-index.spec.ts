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

  it('keeps its own copy of long IDs, equal to the original, lone surrogates included', () => {
    const index = new SlotIndex(8, () => {});
    const url = '/hb_ping?60&appid=0a1b2c3d-4e5f-6789-abcd-000000000001';
    const sliced = url.slice(url.indexOf('appid=') + 6);
    const odd = 'app-\ud800-with-a-lone-surrogate';
    const slot = index.add(sliced);
    index.add(odd);
    expect(index.idOf(slot)).toBe(sliced);
    expect(index.slotOf(sliced)).toBe(slot);
    expect(index.idOf(index.slotOf(odd)!)).toBe(odd);
    index.moveToEnd(sliced);
    expect([...index.slotsInOrder()].map((s) => index.idOf(s))).toEqual([
      odd,
      sliced,
    ]);
  });
});
