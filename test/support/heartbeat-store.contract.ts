import type {
  HeartbeatRecord,
  HeartbeatStore,
} from '../../src/heartbeat/index.js';

/** How a contract run gets a fresh, empty store and disposes of it. */
export interface StoreFixture {
  create(): Promise<HeartbeatStore> | HeartbeatStore;
  dispose?(store: HeartbeatStore): Promise<void> | void;
}

const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

function record(
  appId: string,
  lastSeen: number,
  delayMs = 1000,
  drop = 6,
): HeartbeatRecord {
  return {
    appId,
    lastSeen,
    delayMs,
    registeredAt: lastSeen,
    expiresAt: lastSeen + drop * delayMs,
  };
}

/**
 * The behaviour every `HeartbeatStore` must have. Each store's spec runs it; a third-party store
 * can run it too.
 */
export function runHeartbeatStoreContract(fixture: StoreFixture): void {
  let store: HeartbeatStore;

  beforeEach(async () => {
    store = await fixture.create();
  });
  afterEach(async () => {
    await fixture.dispose?.(store);
  });

  const ids = async () => (await store.list()).map((r) => r.appId);

  describe('upsert', () => {
    it('creates a record and returns it', async () => {
      const created = await store.upsert(record('a', T0), 10);
      expect(created).toEqual({ status: 'created', record: record('a', T0) });
      expect(await store.get('a')).toEqual(record('a', T0));
      expect(await store.count()).toBe(1);
    });

    it('refreshes a live record, keeping registeredAt', async () => {
      await store.upsert(record('a', T0), 10);
      const updated = await store.upsert(record('a', T0 + 500, 3000), 10);
      const expected = { ...record('a', T0 + 500, 3000), registeredAt: T0 };
      expect(updated).toEqual({ status: 'updated', record: expected });
      expect(await store.get('a')).toEqual(expected);
    });

    it('replaces a record already past its deadline as new, returning it as dropped', async () => {
      await store.upsert(record('a', T0), 10); // expires at T0 + 6000
      await store.upsert(record('b', T0), 10);
      const late = record('a', T0 + 6000);
      const result = await store.upsert(late, 10);
      expect(result).toEqual({
        status: 'created',
        record: late,
        dropped: record('a', T0),
      });
      expect(await ids()).toEqual(['b', 'a']); // registered again: listed last
      expect(await store.removeExpired(T0 + 6000, 10)).toEqual([
        record('b', T0),
      ]);
    });

    it('refuses a new ID when full, but keeps refreshing known ones', async () => {
      await store.upsert(record('a', T0), 2);
      await store.upsert(record('b', T0), 2);
      expect(await store.upsert(record('c', T0), 2)).toEqual({
        status: 'full',
      });
      expect((await store.upsert(record('a', T0 + 1), 2)).status).toBe(
        'updated',
      );
      expect(await ids()).toEqual(['a', 'b']);
    });

    it('never exceeds maxApps under concurrent registrations', async () => {
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          store.upsert(record(`app-${i}`, T0), 10),
        ),
      );
      expect(results.filter((r) => r.status === 'created')).toHaveLength(10);
      expect(results.filter((r) => r.status === 'full')).toHaveLength(15);
      expect(await store.count()).toBe(10);
    });

    it('keeps IDs with separators, unicode and long text intact', async () => {
      const odd = [
        'a,b',
        'x|y',
        'caf\u00e9 \u{1F600}',
        '100%',
        'k'.repeat(256),
        ' spaced ',
      ];
      for (const id of odd) await store.upsert(record(id, T0), 100);
      expect(await ids()).toEqual(odd);
      for (const id of odd) expect((await store.get(id))?.appId).toBe(id);
    });

    it('keeps fractional times exactly', async () => {
      const precise = { ...record('p', T0 + 0.25), expiresAt: T0 + 6001 };
      await store.upsert(precise, 10);
      expect(await store.get('p')).toEqual(precise);
    });
  });

  describe('get, list, count', () => {
    it('get of an unknown ID is undefined', async () => {
      expect(await store.get('nobody')).toBeUndefined();
    });

    it('lists in registration order; refreshing does not reorder', async () => {
      for (const id of ['Sonic', 'Zelda', 'Tetris'])
        await store.upsert(record(id, T0), 10);
      await store.upsert(record('Sonic', T0 + 10), 10);
      expect(await ids()).toEqual(['Sonic', 'Zelda', 'Tetris']);
    });

    it('starts empty', async () => {
      expect(await store.list()).toEqual([]);
      expect(await store.count()).toBe(0);
    });
  });

  describe('remove', () => {
    it('removes a record from every index', async () => {
      await store.upsert(record('a', T0), 10);
      expect(await store.remove('a')).toBe(true);
      expect(await store.get('a')).toBeUndefined();
      expect(await store.list()).toEqual([]);
      expect(await store.removeExpired(T0 + 1e9, 10)).toEqual([]);
      expect(await store.count()).toBe(0);
    });

    it('reports an unknown ID', async () => {
      expect(await store.remove('nobody')).toBe(false);
    });

    it('a re-registration after removal is listed last', async () => {
      for (const id of ['a', 'b']) await store.upsert(record(id, T0), 10);
      await store.remove('a');
      await store.upsert(record('a', T0 + 1), 10);
      expect(await ids()).toEqual(['b', 'a']);
    });
  });

  describe('removeExpired', () => {
    beforeEach(async () => {
      await store.upsert(record('slow', T0, 5000), 10); // expires T0 + 30000
      await store.upsert(record('fast', T0, 1000), 10); // expires T0 + 6000
      await store.upsert(record('mid', T0, 2000), 10); // expires T0 + 12000
    });

    it('returns nothing before the first deadline', async () => {
      expect(await store.removeExpired(T0 + 5999, 10)).toEqual([]);
      expect(await store.count()).toBe(3);
    });

    it('removes records whose deadline has come, soonest first, each once', async () => {
      expect(await store.removeExpired(T0 + 12_000, 10)).toEqual([
        record('fast', T0, 1000),
        record('mid', T0, 2000),
      ]);
      expect(await store.removeExpired(T0 + 12_000, 10)).toEqual([]);
      expect(await ids()).toEqual(['slow']);
    });

    it('honours the limit and leaves the rest for the next call', async () => {
      expect(
        (await store.removeExpired(T0 + 1e9, 2)).map((r) => r.appId),
      ).toEqual(['fast', 'mid']);
      expect(
        (await store.removeExpired(T0 + 1e9, 2)).map((r) => r.appId),
      ).toEqual(['slow']);
    });

    it('a refresh postpones the deadline', async () => {
      await store.upsert(record('fast', T0 + 5000, 1000), 10); // now expires T0 + 11000
      expect(await store.removeExpired(T0 + 6000, 10)).toEqual([]);
      expect(
        (await store.removeExpired(T0 + 11_000, 10)).map((r) => r.appId),
      ).toEqual(['fast']);
    });

    it('concurrent callers never return the same record twice', async () => {
      for (let i = 0; i < 30; i++)
        await store.upsert(record(`x${i}`, T0, 100), 100);
      const batches = await Promise.all(
        Array.from({ length: 6 }, () => store.removeExpired(T0 + 1e9, 7)),
      );
      const claimed = batches.flat().map((r) => r.appId);
      expect(new Set(claimed).size).toBe(claimed.length);
      const rest = await store.removeExpired(T0 + 1e9, 100);
      expect(claimed.length + rest.length).toBe(33);
    });
  });
}
