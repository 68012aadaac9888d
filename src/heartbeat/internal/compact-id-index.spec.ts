import { CompactIdIndex } from './compact-id-index.js';

function index(capacity = 4) {
  const grown: number[] = [];
  const moved: Array<[number, number]> = [];
  const ids = new CompactIdIndex(
    capacity,
    (c) => grown.push(c),
    (from, to) => moved.push([from, to]),
  );
  return { ids, grown, moved };
}

describe('CompactIdIndex', () => {
  it('round-trips every kind of ID exactly, lone surrogates included', () => {
    const { ids } = index();
    const odd = [
      'Tetris',
      'a-thirty-character-long-app-id',
      'caf\u00e9 \u{1F600}',
      '\uD800',
      '\uDBFF',
      'x\uDC00y',
      '\u{10FFFF}',
      'k'.repeat(300),
      '',
    ];
    const slots = odd.map((id) => ids.add(id));
    expect(slots).toEqual(odd.map((_, i) => i));
    for (const [i, id] of odd.entries()) {
      expect(ids.slotOf(id)).toBe(i);
      expect(ids.idOf(i)).toBe(id);
    }
    expect(ids.slotOf('\uDBFE')).toBe(-1);
    expect(ids.slotOf('Tetri')).toBe(-1);
    expect(ids.slotOf('caf\u00e9')).toBe(-1);
  });

  it('grows by doubling and finds every ID after deletions (no tombstones)', () => {
    const { ids, grown } = index();
    for (let i = 0; i < 5000; i++) ids.add(`app-${i}`);
    expect(grown).toEqual([
      8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192,
    ]);
    for (let i = 0; i < 5000; i += 2) ids.delete(ids.slotOf(`app-${i}`));
    for (let i = 0; i < 5000; i++) {
      const slot = ids.slotOf(`app-${i}`);
      if (i % 2 === 0) expect(slot).toBe(-1);
      else expect(ids.idOf(slot)).toBe(`app-${i}`);
    }
    expect(ids.size).toBe(2500);
  });

  it('compacts once holes outnumber live IDs, keeping order and sequence numbers', () => {
    const { ids, moved } = index();
    for (let i = 0; i < 3000; i++) ids.add(`id-${i}`);
    const seqOf = (id: string) => ids.seqOf(ids.slotOf(id));
    const before = seqOf('id-2999');
    for (let i = 0; i < 2000; i++) ids.delete(ids.slotOf(`id-${i}`));
    expect(moved.length).toBeGreaterThan(0);
    expect(ids.slotEnd).toBeLessThan(3000);
    expect(seqOf('id-2999')).toBe(before);
    const live: string[] = [];
    for (let slot = 0; slot < ids.slotEnd; slot++)
      if (ids.isLive(slot)) live.push(ids.idOf(slot));
    expect(live).toEqual(
      Array.from({ length: 1000 }, (_, i) => `id-${2000 + i}`),
    );
    expect(ids.idOf(ids.firstSlotFrom(before))).toBe('id-2999');
    ids.add('after');
    expect(ids.seqOf(ids.slotOf('after'))).toBeGreaterThan(before);
  });

  it('hands out slots in order and never reuses one before compaction', () => {
    const { ids } = index();
    ids.add('a');
    ids.add('b');
    ids.delete(ids.slotOf('a'));
    expect(ids.add('a')).toBe(2);
    expect(ids.isLive(0)).toBe(false);
    expect(ids.firstSlotFrom(ids.seqOf(1) + 1)).toBe(2);
  });
});
