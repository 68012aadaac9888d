import type { HeartbeatStore } from '../interfaces/heartbeat-store.interface.js';
import type { HeartbeatTombstonePolicy } from '../interfaces/heartbeat-tombstone.interface.js';
import type { HeartbeatStoreContractRunner } from './heartbeat-store.contract.js';
import { record, T0 } from './heartbeat-store-contract.records.js';

const DAY = 86_400_000;

const policy = (
  now: number,
  max = 100,
  keepMs = DAY,
): HeartbeatTombstonePolicy => ({ now, keepMs, max });

/**
 * The optional tombstone capability (`tombstone`, and the policy argument of `remove` and
 * `removeExpired`), for stores that implement it. Called by `runHeartbeatStoreContract`.
 */
export function runTombstoneContract(
  runner: HeartbeatStoreContractRunner,
  current: () => HeartbeatStore,
): void {
  const { describe, it, expect, beforeEach } = runner;
  describe('tombstones (optional)', () => {
    let store: HeartbeatStore;
    beforeEach(async () => {
      store = current();
      await Promise.resolve();
    });
    const tombstone = (id: string, since = -Infinity) =>
      store.tombstone!(id, since);
    const remembered = async (ids: string[]) => {
      const found: string[] = [];
      for (const id of ids) if (await tombstone(id)) found.push(id);
      return found;
    };

    it('remembers a removal given a policy as DEREGISTERED, ended at its `now`', async () => {
      if (!store.tombstone) return;
      await store.upsert(record('a', T0), 10);
      await store.upsert(record('b', T0 + 10), 10);
      expect(await store.remove('a', policy(T0 + 500))).toBe(true);
      expect(await tombstone('a')).toEqual({
        appId: 'a',
        state: 'DEREGISTERED',
        lastSeen: T0,
        endedAt: T0 + 500,
      });
      expect(await store.remove('b')).toBe(true); // no policy: nothing remembered
      expect(await tombstone('b')).toBeUndefined();
      expect(await store.remove('nobody', policy(T0 + 600))).toBe(false);
      expect(await tombstone('nobody')).toBeUndefined();
      expect(await store.count()).toBe(0);
    });

    it('remembers expired records as EXPIRED, ended at their drop deadline', async () => {
      if (!store.tombstone) return;
      await store.upsert(record('fast', T0, 1000), 10); // expires T0 + 6000
      await store.upsert(record('mid', T0, 2000), 10); // expires T0 + 12000
      await store.upsert(record('slow', T0, 5000), 10);
      const removed = await store.removeExpired(
        T0 + 12_500,
        10,
        policy(T0 + 12_500),
      );
      expect(removed.map((r) => r.appId)).toEqual(['fast', 'mid']);
      expect(await tombstone('fast')).toEqual({
        appId: 'fast',
        state: 'EXPIRED',
        lastSeen: T0,
        endedAt: T0 + 6000,
      });
      expect(await tombstone('mid')).toMatchObject({ endedAt: T0 + 12_000 });
      expect(await tombstone('slow')).toBeUndefined(); // alive
      await store.removeExpired(T0 + 1e9, 10); // no policy
      expect(await tombstone('slow')).toBeUndefined();
    });

    it('answers only tombstones that ended after `since`', async () => {
      if (!store.tombstone) return;
      await store.upsert(record('a', T0), 10);
      await store.remove('a', policy(T0 + 500));
      expect(await tombstone('a', T0 + 499)).toBeDefined();
      expect(await tombstone('a', T0 + 500)).toBeUndefined();
    });

    it('a new record for the ID forgets its tombstone; a refresh of another changes nothing', async () => {
      if (!store.tombstone) return;
      await store.upsert(record('a', T0), 10);
      await store.upsert(record('b', T0), 10);
      await store.remove('a', policy(T0 + 1));
      await store.upsert(record('b', T0 + 2), 10); // updated
      expect(await tombstone('a')).toBeDefined();
      const again = await store.upsert(record('a', T0 + 3), 10);
      expect(again.status).toBe('created');
      expect(await tombstone('a')).toBeUndefined();
      await store.remove('a', policy(T0 + 4));
      expect(await tombstone('a')).toMatchObject({
        lastSeen: T0 + 3,
        endedAt: T0 + 4,
      });
    });

    it('keeps at most `max`, forgetting those that ended first', async () => {
      if (!store.tombstone) return;
      for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) {
        await store.upsert(record(id, T0), 10);
        await store.remove(id, policy(T0 + 100 + i, 2));
      }
      expect(await remembered(['a', 'b', 'c', 'd'])).toEqual(['c', 'd']);
      // An expired record that ended before them is the oldest: it goes first.
      await store.upsert(record('e', T0 - 6000), 10); // expired at T0
      await store.removeExpired(T0 + 200, 10, policy(T0 + 200, 2));
      expect(await remembered(['c', 'd', 'e'])).toEqual(['c', 'd']);
    });

    it('forgets what ended `keepMs` ago or more, at the next removal', async () => {
      if (!store.tombstone) return;
      await store.upsert(record('old', T0), 10);
      await store.upsert(record('new', T0), 10);
      await store.remove('old', policy(T0 + 1, 100, 1000));
      await store.remove('new', policy(T0 + 1001, 100, 1000));
      expect(await remembered(['old', 'new'])).toEqual(['new']);
    });

    it('trims a backlog a bounded number at a time', async () => {
      if (!store.tombstone) return;
      const ids = Array.from({ length: 200 }, (_, i) => `x${i}`);
      await Promise.all(
        ids.map((id, i) => store.upsert(record(id, T0 - i), 300)),
      );
      const removed = await store.removeExpired(
        T0 + 6000,
        300,
        policy(T0 + 6000, 1000),
      );
      expect(removed).toHaveLength(200);
      expect(await remembered(ids)).toHaveLength(200);
      await store.upsert(record('last', T0), 300);
      // max 1 now: one removal forgets its own count plus a bounded slack (128), not all
      await store.remove('last', policy(T0 + 7000, 1));
      const left = await remembered([...ids, 'last']);
      expect(left.length).toBeGreaterThan(1);
      expect(left.length).toBeLessThan(200);
      expect(left).toContain('last'); // the newest stays
    });
  });
}
