import { runHeartbeatStoreContract } from '../testing/heartbeat-store.contract.js';
import { InMemoryHeartbeatStore } from './in-memory-heartbeat.store.js';

describe('InMemoryHeartbeatStore', () => {
  runHeartbeatStoreContract(
    {
      create: () => new InMemoryHeartbeatStore(),
      dispose: (store) => store.close?.(),
    },
    { describe, it, expect, beforeEach, afterEach },
  );

  it('close() empties it', async () => {
    const store = new InMemoryHeartbeatStore();
    await store.upsert(
      {
        appId: 'a',
        lastSeen: 0,
        delayMs: 1,
        registeredAt: 0,
        warnAt: 3,
        critAt: 5,
        expiresAt: 6,
      },
      1,
    );
    await store.close();
    expect(await store.count()).toBe(0);
    expect(await store.removeExpired(100, 10)).toEqual([]);
  });
});
