import {
  deleteKeys,
  describeWithRedis,
  TEST_REDIS_URL,
  testRedisClient,
  uniquePrefix,
} from '../../../test/support/redis.js';
import { runHeartbeatStoreContract } from '../testing/heartbeat-store.contract.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';
import { RedisHeartbeatStore, redisKeys } from './redis-heartbeat.store.js';
import { RedisTimeClock } from './redis-time.clock.js';

describeWithRedis('RedisHeartbeatStore', () => {
  const prefixes = new WeakMap<object, string>();

  runHeartbeatStoreContract(
    {
      create: () => {
        const keyPrefix = uniquePrefix();
        const store = new RedisHeartbeatStore({
          url: TEST_REDIS_URL,
          keyPrefix,
        });
        prefixes.set(store, keyPrefix);
        return waitReady(store);
      },
      dispose: async (store) => {
        await deleteKeys(prefixes.get(store)!);
        await store.close?.();
      },
      claimsStateChanges: true,
    },
    { describe, it, expect, beforeEach, afterEach },
  );

  it('keeps every key in one cluster slot: the prefix tag, or {hb}', () => {
    expect(redisKeys('heartbeat:').slice(0, 2)).toEqual([
      'heartbeat:{hb}:apps',
      'heartbeat:{hb}:deadlines',
    ]);
    expect(redisKeys('team-a:{a}:')[0]).toBe('team-a:{a}:apps');
    expect(redisKeys('odd{}:')[0]).toBe('odd{}:{hb}:apps');
  });

  async function waitReady(
    store: RedisHeartbeatStore,
  ): Promise<RedisHeartbeatStore> {
    // The store fails fast until connected; tests start once the connection is up.
    for (let i = 0; i < 100; i++) {
      try {
        await store.count();
        return store;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    throw new Error('Redis store did not connect');
  }

  it('writes only under its key prefix', async () => {
    const keyPrefix = uniquePrefix();
    const store = await waitReady(
      new RedisHeartbeatStore({ url: TEST_REDIS_URL, keyPrefix }),
    );
    const client = testRedisClient();
    try {
      const record = {
        appId: 'a',
        lastSeen: 1,
        delayMs: 1,
        registeredAt: 1,
        warnAt: 4,
        critAt: 6,
        expiresAt: 7,
      };
      await store.upsert(record, 10);
      await store.takeStateChanges(0, 5, 10);
      await store.pause('a', 2, undefined);
      await store.upsert({ ...record, appId: 'b' }, 10);
      await store.remove('b', { now: 2, keepMs: 1000, max: 10 });
      expect((await client.keys(`${keyPrefix}*`)).sort()).toEqual(
        redisKeys(keyPrefix).sort(),
      );
    } finally {
      await deleteKeys(keyPrefix);
      await store.close();
      client.disconnect();
    }
  });

  it('judges each heartbeat of one batch by the ones before it in that batch', async () => {
    const keyPrefix = uniquePrefix();
    const store = await waitReady(
      new RedisHeartbeatStore({ url: TEST_REDIS_URL, keyPrefix }),
    );
    const beat = (appId: string, at: number) => ({
      appId,
      lastSeen: at,
      delayMs: 10,
      registeredAt: at,
      warnAt: at + 10,
      critAt: at + 20,
      expiresAt: at + 30,
    });
    try {
      // Issued in one turn of the event loop: one script, in this order.
      const results = await Promise.all([
        store.upsert(beat('a', 1), 2),
        store.upsert(beat('a', 2), 2),
        store.upsert(beat('b', 3), 2),
        store.upsert(beat('c', 4), 2),
        store.upsert(beat('b', 20), 2),
      ]);
      expect(results.map((result) => result.status)).toEqual([
        'created',
        'updated',
        'created',
        'full',
        'updated',
      ]);
      expect(results[1]).toMatchObject({ record: { registeredAt: 1 } });
      expect(results[4]).toMatchObject({ record: { registeredAt: 3 } });
      expect(await store.count()).toBe(2);
      expect(await store.get('a')).toEqual({
        ...beat('a', 2),
        registeredAt: 1,
      });
      expect(await store.get('b')).toEqual({
        ...beat('b', 20),
        registeredAt: 3,
      });
      // The deadline indexes hold the last heartbeat of each: a CRITICAL at 25, b OK.
      expect(await store.counts(25)).toMatchObject({
        total: 2,
        OK: 1,
        CRITICAL: 1,
      });
      expect(await store.mostOverdue(25, 10)).toEqual([
        { ...beat('a', 2), registeredAt: 1 },
        { ...beat('b', 20), registeredAt: 3 },
      ]);
    } finally {
      await deleteKeys(keyPrefix);
      await store.close();
    }
  });

  it('never closes a client it was given', async () => {
    const client = testRedisClient();
    const store = await waitReady(
      new RedisHeartbeatStore({ client, keyPrefix: uniquePrefix() }),
    );
    await store.close();
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  });

  it('closes the connection it opened', async () => {
    const store = await waitReady(
      new RedisHeartbeatStore({
        url: TEST_REDIS_URL,
        keyPrefix: uniquePrefix(),
      }),
    );
    await store.close();
    await expect(store.count()).rejects.toMatchObject({
      kind: 'unavailable',
      message: 'store unavailable',
    });
  });
});

describeWithRedis('RedisTimeClock', () => {
  it('agrees with Redis time whatever the skew of the local clock', async () => {
    const client = testRedisClient();
    const skewed = new FakeHeartbeatClock(Date.now() - 3_600_000); // an hour behind
    const clock = new RedisTimeClock(client, { base: skewed });
    try {
      await clock.sync();
      const [seconds, micros] = await client.time();
      const redisNow = Number(seconds) * 1000 + Number(micros) / 1000;
      // The fake base clock does not move, so only the network round trip separates them.
      expect(Math.abs(clock.now() - redisNow)).toBeLessThan(3_600_000 / 100);
      expect(clock.offset).toBeGreaterThan(3_500_000);
    } finally {
      clock.close();
      client.disconnect();
    }
  });
});
