import { PAUSED_DEADLINE } from '../core/status.js';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import type { HeartbeatStore } from '../interfaces/heartbeat-store.interface.js';
import { record, T0 } from './heartbeat-store-contract.records.js';
import { runTombstoneContract } from './heartbeat-store-tombstones.contract.js';

/** How a contract run gets a fresh, empty store and disposes of it. */
export interface HeartbeatStoreContractFixture<
  S extends HeartbeatStore = HeartbeatStore,
> {
  /** A new, empty store, for each case. */
  create(): Promise<S> | S;
  /** Called after each case with the store `create` made: close it, delete what it wrote. */
  dispose?(store: S): Promise<void> | void;
  /** The store implements `takeStateChanges` (a store shared by several processes). */
  claimsStateChanges?: boolean;
}

/** The matchers the contract uses; Vitest's and Jest's `expect` both have them. */
export interface HeartbeatStoreContractMatchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatchObject(expected: object): void;
  toHaveLength(length: number): void;
  toHaveProperty(property: string): void;
  toBeUndefined(): void;
  toBeDefined(): void;
  toBeLessThanOrEqual(expected: number): void;
  toBeGreaterThan(expected: number): void;
  toBeLessThan(expected: number): void;
  toContain(expected: unknown): void;
}

/** `expect` as the contract calls it. */
export type HeartbeatStoreContractExpect = (
  actual: unknown,
) => HeartbeatStoreContractMatchers & {
  readonly not: HeartbeatStoreContractMatchers;
  readonly rejects: { toMatchObject(expected: object): Promise<void> };
};

/**
 * The test runner's functions: pass Vitest's or Jest's own, e.g.
 * `{ describe, it, expect, beforeEach, afterEach }` imported from `vitest` or `@jest/globals`.
 */
export interface HeartbeatStoreContractRunner {
  readonly describe: (name: string, body: () => void) => void;
  readonly it: (name: string, test: () => Promise<void>) => void;
  readonly beforeEach: (hook: () => Promise<void>) => void;
  readonly afterEach: (hook: () => Promise<void>) => void;
  readonly expect: HeartbeatStoreContractExpect;
}

/**
 * Declares the cases every `HeartbeatStore` must pass, with the test functions of your runner
 * (Vitest or Jest; the contract imports neither). Call it inside a `describe`; each case gets a
 * fresh store from `fixture.create()` and hands it to `fixture.dispose()` afterwards. The cases
 * for `takeStateChanges` run only with `claimsStateChanges: true`, those for `pageIds` and for
 * pauses (`pause`, `endPause`, `duePauses`) only when the store has them.
 *
 * @example
 * import { afterEach, beforeEach, describe, expect, it } from 'vitest';
 * import { runHeartbeatStoreContract } from 'nestjs-heartbeat/testing';
 *
 * describe('MyStore', () => {
 *   runHeartbeatStoreContract(
 *     { create: () => new MyStore(), dispose: (store) => store.close() },
 *     { describe, it, expect, beforeEach, afterEach },
 *   );
 * });
 * @publicApi
 */
export function runHeartbeatStoreContract<S extends HeartbeatStore>(
  fixture: HeartbeatStoreContractFixture<S>,
  runner: HeartbeatStoreContractRunner,
): void {
  const { describe, it, expect, beforeEach, afterEach } = runner;
  let store: S;

  beforeEach(async () => {
    store = await fixture.create();
  });
  afterEach(async () => {
    await fixture.dispose?.(store);
  });

  /** Every record, walking pages of `size`. */
  const all = async (size = 2) => {
    const records: HeartbeatRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.page(cursor, size);
      expect(page.records.length).toBeLessThanOrEqual(size);
      expect(page.cursors).toHaveLength(page.records.length);
      records.push(...page.records);
      cursor = page.next;
    } while (cursor !== undefined);
    return records;
  };
  const ids = async (size?: number) => (await all(size)).map((r) => r.appId);
  /** Counts as the store reports them: with `paused` when it can pause. */
  const counted = (counts: object) =>
    store.pause ? { ...counts, paused: 0 } : counts;
  // Issued together: on one connection commands keep their order, and a networked store answers
  // a batch in one round trip instead of one each.
  const upsertAll = async (records: HeartbeatRecord[], maxApps = 100) => {
    await Promise.all(records.map((r) => store.upsert(r, maxApps)));
  };

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

    it('judges "already dropped" by the recorded `now` it is given, not by lastSeen', async () => {
      await store.upsert(record('a', T0), 10); // expires at T0 + 6000
      await store.upsert(record('b', T0), 10);
      // Seen at T0 + 7000 by the wall clock, but 2000 ms were credited: recorded now T0 + 5000.
      const credited = { ...record('a', T0 + 7000), registeredAt: T0 + 7000 };
      expect(await store.upsert(credited, 10, T0 + 5000)).toMatchObject({
        status: 'updated',
        record: { appId: 'a', registeredAt: T0 },
      });
      expect(await ids()).toEqual(['a', 'b']); // refreshed: keeps its place
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
      const precise = {
        ...record('p', T0 + 0.25),
        warnAt: T0 + 3000.5,
        critAt: T0 + 5000.75,
        expiresAt: T0 + 6001,
      };
      await store.upsert(precise, 10);
      expect(await store.get('p')).toEqual(precise);
    });
  });

  describe('get, page, count', () => {
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
      expect(await store.page(undefined, 10)).toEqual({
        records: [],
        cursors: [],
      });
      expect(await store.count()).toBe(0);
      expect(await store.counts(T0)).toEqual(
        counted({
          total: 0,
          OK: 0,
          WARNING: 0,
          CRITICAL: 0,
        }),
      );
      expect(await store.mostOverdue(T0, 10)).toEqual([]);
    });
  });

  describe('page', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    beforeEach(() => upsertAll(names.map((id) => record(id, T0))));

    it('walks every record once in registration order, whatever the page size', async () => {
      for (const size of [1, 2, 3, 5, 6, 100])
        expect(await ids(size)).toEqual(names);
      const [first] = (await store.page(undefined, 5)).records;
      expect(first).toEqual(record('a', T0));
    });

    it('has no next once a page reaches the end', async () => {
      const page = await store.page(undefined, 5);
      expect(page.records).toHaveLength(5);
      expect(page.next).toBeUndefined();
      expect((await store.page(undefined, 4)).next).toBeDefined();
    });

    it('resumes right after any record, from its cursor', async () => {
      const page = await store.page(undefined, 5);
      const resumed = await store.page(page.cursors[1], 2);
      expect(resumed.records.map((r) => r.appId)).toEqual(['c', 'd']);
      expect(resumed.next).toBe(resumed.cursors[1]);
    });

    it('keeps cursors valid while records come and go', async () => {
      const first = await store.page(undefined, 2); // a, b
      await store.remove('b');
      await store.remove('c');
      await store.upsert(record('f', T0), 100);
      await store.upsert(record('a', T0 + 1), 100); // a refresh keeps its place
      expect(
        (await store.page(first.next, 10)).records.map((r) => r.appId),
      ).toEqual(['d', 'e', 'f']);
    });

    it('refuses a cursor it did not hand out', async () => {
      await expect(store.page('not a cursor', 2)).rejects.toMatchObject({
        kind: 'invalid',
      });
    });

    it('stays bounded and ordered through many removals', async () => {
      const many = Array.from({ length: 1800 }, (_, i) => record(`m${i}`, T0));
      await upsertAll(many, 10_000);
      await Promise.all(
        many.filter((_, i) => i % 3 !== 0).map((r) => store.remove(r.appId)),
      );
      const expected = [
        ...names,
        ...many.filter((_, i) => i % 3 === 0).map((r) => r.appId),
      ];
      expect(await ids(700)).toEqual(expected);
      for (const id of expected.slice(-3))
        expect((await store.get(id))?.appId).toBe(id);
      expect(await store.get('m1')).toBeUndefined();
      expect(await store.count()).toBe(expected.length);
    });
  });

  describe('pageIds (optional)', () => {
    it('walks the IDs live at `now` in registration order, examining at most `limit` per page', async () => {
      if (!store.pageIds) return;
      await upsertAll([
        record('a', T0),
        record('gone', T0 - 10_000), // expired at T0 - 4000
        record('b', T0),
        record('c', T0),
        record('gone-too', T0 - 6000), // expired at T0
        record('d', T0),
      ]);
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await store.pageIds(cursor, 2, T0);
        pages.push(page.ids);
        cursor = page.next;
      } while (cursor !== undefined);
      expect(pages).toEqual([['a'], ['b', 'c'], ['d']]);
      await expect(store.pageIds('nope', 2, T0)).rejects.toMatchObject({
        kind: 'invalid',
      });
    });
  });

  describe('counts', () => {
    beforeEach(() =>
      upsertAll([
        record('fresh', T0 + 9000), // OK until T0 + 12000
        record('late', T0 + 6500), // WARNING from T0 + 9500
        record('later', T0 + 4500), // WARNING from T0 + 7500, CRITICAL from T0 + 9500
        record('gone', T0), // CRITICAL from T0 + 5000, expired at T0 + 6000, not removed yet
      ]),
    );

    it('counts live records per state by their deadlines, never the expired', async () => {
      expect(await store.counts(T0 + 10_000)).toEqual(
        counted({
          total: 3,
          OK: 1,
          WARNING: 1,
          CRITICAL: 1,
        }),
      );
      expect(await store.count()).toBe(4);
    });

    it('changes state exactly at each deadline', async () => {
      expect(await store.counts(T0 + 9499)).toEqual(
        counted({
          total: 3,
          OK: 2,
          WARNING: 1,
          CRITICAL: 0,
        }),
      );
      expect(await store.counts(T0 + 9500)).toEqual(
        counted({
          total: 3,
          OK: 1,
          WARNING: 1,
          CRITICAL: 1,
        }),
      );
      expect(await store.counts(T0 + 5999)).toEqual(
        counted({
          total: 4,
          OK: 3,
          WARNING: 0,
          CRITICAL: 1,
        }),
      );
      expect((await store.counts(T0 + 6000)).total).toBe(3);
    });

    it('follows refreshes and removals', async () => {
      await store.upsert(record('later', T0 + 9999), 100);
      await store.remove('late');
      expect(await store.counts(T0 + 10_000)).toEqual(
        counted({
          total: 2,
          OK: 2,
          WARNING: 0,
          CRITICAL: 0,
        }),
      );
    });
  });

  describe('mostOverdue', () => {
    const now = T0 + 100_000;
    beforeEach(() =>
      upsertAll([
        record('ok-soon', now - 2900), // OK, late at now + 100
        record('crit-long', now - 5900), // CRITICAL since now - 900
        record('ok-later', now - 1000), // OK, late at now + 2000
        record('warn', now - 3500), // WARNING since now - 500
        record('crit-long-T', now - 26_000, 5000), // CRITICAL since now - 1000
        record('expired', now - 7000), // past its drop deadline
        record('warn-long', now - 4500), // WARNING since now - 1500
      ]),
    );
    const order = async (
      limit: number,
      state?: 'OK' | 'WARNING' | 'CRITICAL',
    ) => (await store.mostOverdue(now, limit, state)).map((r) => r.appId);

    it('CRITICAL first (longest critical first), then WARNING and OK by warn deadline', async () => {
      expect(await order(10)).toEqual([
        'crit-long-T',
        'crit-long',
        'warn-long',
        'warn',
        'ok-soon',
        'ok-later',
      ]);
      const [top] = await store.mostOverdue(now, 1);
      expect(top).toEqual(record('crit-long-T', now - 26_000, 5000));
    });

    it('honours the limit', async () => {
      expect(await order(3)).toEqual(['crit-long-T', 'crit-long', 'warn-long']);
    });

    it('filters by state', async () => {
      expect(await order(10, 'CRITICAL')).toEqual(['crit-long-T', 'crit-long']);
      expect(await order(10, 'WARNING')).toEqual(['warn-long', 'warn']);
      expect(await order(10, 'OK')).toEqual(['ok-soon', 'ok-later']);
      expect(await order(1, 'OK')).toEqual(['ok-soon']);
    });

    it('finds the most overdue among many healthy records', async () => {
      await upsertAll(
        Array.from({ length: 2500 }, (_, i) => record(`h${i}`, now - (i % 50))),
        10_000,
      );
      await upsertAll(
        Array.from({ length: 1500 }, (_, i) => record(`x${i}`, now - 7000 - i)),
        10_000,
      );
      expect(await order(4)).toEqual([
        'crit-long-T',
        'crit-long',
        'warn-long',
        'warn',
      ]);
      expect(await order(1, 'OK')).toEqual(['ok-soon']);
      expect((await store.mostOverdue(now, 2600, 'OK')).length).toBe(2502);
    });
  });

  describe('remove', () => {
    it('removes a record from every index', async () => {
      await store.upsert(record('a', T0), 10);
      expect(await store.remove('a')).toBe(true);
      expect(await store.get('a')).toBeUndefined();
      expect((await store.page(undefined, 10)).records).toEqual([]);
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

    it('removes a large batch in one call, and no more than the limit', async () => {
      await upsertAll(
        Array.from({ length: 1200 }, (_, i) => record(`e${i}`, T0 - i)),
        2000,
      );
      const first = await store.removeExpired(T0 + 5999, 700);
      expect(first).toHaveLength(700);
      expect(first[0]?.appId).toBe('e1199'); // soonest deadline first
      // e0 expires at T0 + 6000: not yet.
      expect(await store.removeExpired(T0 + 5999, 1000)).toHaveLength(499);
      expect(await store.count()).toBe(4);
    });

    it('a removed record leaves every read', async () => {
      await store.removeExpired(T0 + 12_000, 10);
      expect((await store.counts(T0 + 1000)).total).toBe(1);
      expect(
        (await store.mostOverdue(T0 + 1000, 10)).map((r) => r.appId),
      ).toEqual(['slow']);
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

  describe('pause', () => {
    const paused = (appId: string, lastSeen: number, pausedAt: number) => ({
      ...record(appId, lastSeen),
      warnAt: PAUSED_DEADLINE,
      critAt: PAUSED_DEADLINE,
      expiresAt: PAUSED_DEADLINE,
      pausedAt,
    });
    const skip = () => store.pause === undefined;

    it('holds a record OK, last among the most overdue and never expired', async () => {
      if (skip()) return;
      await upsertAll([record('held', T0), record('other', T0)]);
      expect(await store.pause!('held', T0 + 100, undefined)).toEqual(
        paused('held', T0, T0 + 100),
      );
      expect(await store.get('held')).toEqual(paused('held', T0, T0 + 100));
      const late = T0 + 5500; // "other" is CRITICAL
      expect(await store.counts(late)).toEqual({
        total: 2,
        OK: 1,
        WARNING: 0,
        CRITICAL: 1,
        paused: 1,
      });
      expect((await store.mostOverdue(late, 10)).map((r) => r.appId)).toEqual([
        'other',
        'held',
      ]);
      expect(await store.mostOverdue(late, 10, 'WARNING')).toEqual([]);
      expect(
        (await store.removeExpired(T0 + 1_000_000, 10)).map((r) => r.appId),
      ).toEqual(['other']);
      expect(await store.count()).toBe(1);
      expect(await store.pause!('nobody', T0, undefined)).toBeUndefined();
      // Past its drop deadline (not removed yet): a pause never brings it back.
      await store.upsert(record('gone', T0), 10);
      expect(
        await store.pause!('gone', T0 + 6000, undefined, T0 + 6000),
      ).toBeUndefined();
      expect(await store.get('gone')).toEqual(record('gone', T0));
    });

    it('keeps a pause through heartbeats until its end, noting them', async () => {
      if (skip()) return;
      await store.upsert(record('held', T0), 10);
      await store.pause!('held', T0 + 100, T0 + 5000);
      const during = await store.upsert(record('held', T0 + 2000, 4000), 10);
      const held = {
        ...paused('held', T0 + 2000, T0 + 100),
        delayMs: 4000,
        registeredAt: T0,
        pausedUntil: T0 + 5000,
      };
      expect(during).toEqual({ status: 'updated', record: held });
      expect(await store.get('held')).toEqual(held);
      // A heartbeat at or after the end clears the pause and writes its own deadlines.
      const after = await store.upsert(record('held', T0 + 5000), 10);
      expect(after).toMatchObject({ status: 'updated' });
      expect(await store.get('held')).toEqual({
        ...record('held', T0 + 5000),
        registeredAt: T0,
      });
      expect(await store.counts(T0 + 5000)).toMatchObject({ paused: 0 });
    });

    it('hands out the pauses whose end has come, earliest first, up to the limit', async () => {
      if (skip()) return;
      await upsertAll(['a', 'b', 'c', 'd'].map((id) => record(id, T0)));
      await store.pause!('a', T0, T0 + 3000);
      await store.pause!('b', T0, T0 + 1000);
      await store.pause!('c', T0, undefined);
      await store.pause!('d', T0, T0 + 2000);
      expect(await store.duePauses!(T0 + 999, 10)).toEqual([]);
      expect(
        (await store.duePauses!(T0 + 2000, 10)).map((r) => r.appId),
      ).toEqual(['b', 'd']);
      expect(
        (await store.duePauses!(T0 + 10_000, 2)).map((r) => r.appId),
      ).toEqual(['b', 'd']);
    });

    it('ends a pause only while that pause holds the record (compare and set)', async () => {
      if (skip()) return;
      await store.upsert(record('held', T0), 10);
      await store.pause!('held', T0 + 100, T0 + 1000);
      const deadlines = {
        warnAt: T0 + 4000,
        critAt: T0 + 6000,
        expiresAt: T0 + 7000,
      };
      expect(
        await store.endPause!('held', T0 + 99, T0 + 1000, deadlines),
      ).toBeUndefined();
      const ended = {
        ...record('held', T0),
        ...deadlines,
        pausedAt: T0 + 100,
        pausedUntil: T0 + 1000,
      };
      expect(
        await store.endPause!('held', T0 + 100, T0 + 1000, deadlines),
      ).toEqual(ended);
      expect(await store.get('held')).toEqual(ended);
      // Ended: no longer due, no longer counted as paused, judged by its deadlines again.
      expect(
        await store.endPause!('held', T0 + 100, T0 + 1000, deadlines),
      ).toBeUndefined();
      expect(await store.duePauses!(T0 + 10_000, 10)).toEqual([]);
      expect(await store.counts(T0 + 4000)).toEqual({
        total: 1,
        OK: 0,
        WARNING: 1,
        CRITICAL: 0,
        paused: 0,
      });
      expect(
        (await store.removeExpired(T0 + 7000, 10)).map((r) => r.appId),
      ).toEqual(['held']);
    });

    it('forgets the pause with the record', async () => {
      if (skip()) return;
      await store.upsert(record('held', T0), 10);
      await store.pause!('held', T0, T0 + 1000);
      if (store.tombstone) {
        // Remembered like any other: its last heartbeat, ended when removed.
        await store.upsert(record('other', T0), 10);
        await store.pause!('other', T0, undefined);
        expect(
          await store.remove('other', { now: T0 + 50, keepMs: 1000, max: 10 }),
        ).toBe(true);
        expect(await store.tombstone('other', T0)).toEqual({
          appId: 'other',
          state: 'DEREGISTERED',
          lastSeen: T0,
          endedAt: T0 + 50,
        });
      }
      expect(await store.remove('held')).toBe(true);
      expect(await store.duePauses!(T0 + 10_000, 10)).toEqual([]);
      await store.upsert(record('held', T0 + 10), 10);
      expect(await store.get('held')).toEqual(record('held', T0 + 10));
      expect(await store.counts(T0 + 10)).toMatchObject({ paused: 0 });
    });
  });

  runTombstoneContract(runner, () => store);

  if (!fixture.claimsStateChanges) return;

  describe('takeStateChanges', () => {
    const take = (since: number, now: number, limit = 100) =>
      store.takeStateChanges!(since, now, limit).then((changes) =>
        changes.map((c) => `${c.record.appId}: ${c.from} -> ${c.to}`),
      );

    it('hands out each threshold crossing once, in the order they happened', async () => {
      await store.upsert(record('a', T0), 10);
      await store.upsert(record('b', T0 + 500), 10);
      expect(await take(T0, T0 + 3000)).toEqual(['a: OK -> WARNING']);
      expect(await take(T0, T0 + 3000)).toEqual([]);
      expect(await take(T0, T0 + 5400)).toEqual([
        'b: OK -> WARNING',
        'a: WARNING -> CRITICAL',
      ]);
      const [change] = await store.takeStateChanges!(T0, T0 + 6100, 10);
      expect(change).toEqual({
        record: record('b', T0 + 500),
        from: 'WARNING',
        to: 'CRITICAL',
      });
    });

    it('never hands a crossing to two concurrent callers', async () => {
      await upsertAll(
        Array.from({ length: 30 }, (_, i) => record(`x${i}`, T0 + i * 10)),
      );
      const batches = await Promise.all(
        Array.from({ length: 6 }, (_, i) => take(T0, T0 + 5000 + i * 100, 7)),
      );
      const rest = await take(T0, T0 + 5900, 100);
      const all = [...batches.flat(), ...rest];
      expect(new Set(all).size).toBe(all.length);
      expect(all).toHaveLength(60);
    });

    it('reports nothing that happened before `since`', async () => {
      await store.upsert(record('a', T0), 10);
      expect(await take(T0 + 4000, T0 + 4500)).toEqual([]);
      expect(await take(T0 + 4000, T0 + 5000)).toEqual([
        'a: WARNING -> CRITICAL',
      ]);
    });

    it('skips records past their drop deadline (their drop is reported instead)', async () => {
      await store.upsert(record('a', T0), 10);
      expect(await take(T0, T0 + 7000)).toEqual([]);
    });

    it('never splits records that cross at the same instant', async () => {
      await upsertAll(['p', 'q', 'r', 's', 't'].map((id) => record(id, T0)));
      expect(await take(T0, T0 + 3000, 2)).toHaveLength(5);
      expect(await take(T0, T0 + 3000, 2)).toEqual([]);
    });

    it('upsert reports the claimed late state that a heartbeat ends', async () => {
      await upsertAll([record('a', T0), record('b', T0)]);
      expect(await store.upsert(record('b', T0 + 3100), 10)).not.toHaveProperty(
        'recovered',
      );
      await take(T0, T0 + 3200);
      const back = await store.upsert(record('a', T0 + 3300), 10);
      expect(back).toMatchObject({ status: 'updated', recovered: 'WARNING' });
      await take(T0, T0 + 8300);
      expect(await store.upsert(record('b', T0 + 8400), 10)).toMatchObject({
        recovered: 'CRITICAL',
      });
    });
  });
}
