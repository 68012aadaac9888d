import type { HeartbeatStore } from '../interfaces/heartbeat-store.interface.js';
import type { HeartbeatModuleOptions } from '../interfaces/heartbeat-module-options.interface.js';
import { InMemoryHeartbeatStore } from '../stores/in-memory-heartbeat.store.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';
import { HeartbeatRegistry } from './heartbeat-registry.js';
import type { HeartbeatLogger } from './heartbeat.logger.js';

const quiet: HeartbeatLogger = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

describe('HeartbeatRegistry tombstones', () => {
  let clock: FakeHeartbeatClock;
  let store: InMemoryHeartbeatStore;
  let registry: HeartbeatRegistry;

  function create(
    options: HeartbeatModuleOptions = {},
    other?: HeartbeatStore,
  ) {
    clock = new FakeHeartbeatClock();
    store = new InMemoryHeartbeatStore();
    registry = HeartbeatRegistry.create(
      { store: other ?? store, clock, ...options },
      { logger: quiet },
    );
  }
  beforeEach(() => create());
  afterEach(() => registry.close());

  it('remembers a drop as EXPIRED, ended at its drop deadline, before and after the sweep', async () => {
    const start = clock.now();
    await registry.register('worker', 1000); // T = 2000, dropped at start + 12000
    clock.advance(12_500);
    const expected = {
      appId: 'worker',
      state: 'EXPIRED',
      lastSeen: start,
      endedAt: start + 12_000,
    };
    expect(await registry.get('worker')).toBeUndefined();
    expect(await registry.tombstone('worker')).toEqual(expected);
    expect(await registry.sweep()).toHaveLength(1);
    expect(await registry.tombstone('worker')).toEqual(expected);
  });

  it('remembers a goodbye as DEREGISTERED, ended when it came', async () => {
    const start = clock.now();
    await registry.register('worker', 1000);
    clock.advance(700);
    expect(await registry.deregister('worker')).toBe(true);
    expect(await registry.tombstone('worker')).toEqual({
      appId: 'worker',
      state: 'DEREGISTERED',
      lastSeen: start,
      endedAt: start + 700,
    });
  });

  it('answers nothing for a live app, an unknown one, or one registered again', async () => {
    await registry.register('worker', 1000);
    expect(await registry.tombstone('worker')).toBeUndefined();
    expect(await registry.tombstone('nobody')).toBeUndefined();
    await registry.deregister('worker');
    await registry.beat('worker', 1000); // a ping registers it again
    expect(await registry.tombstone('worker')).toBeUndefined();
    expect(await registry.status('worker')).toMatch(/^OK - fine application/);
  });

  it('forgets after tombstoneMs', async () => {
    create({ tombstoneMs: 60_000 });
    await registry.register('worker', 0);
    await registry.deregister('worker');
    clock.advance(59_999);
    expect(await registry.tombstone('worker')).toBeDefined();
    clock.advance(1);
    expect(await registry.tombstone('worker')).toBeUndefined();
  });

  it('keeps at most maxTombstones, the ones that ended last', async () => {
    create({ maxTombstones: 2 });
    for (const id of ['a', 'b', 'c']) {
      await registry.register(id, 0);
      clock.advance(10);
      await registry.deregister(id);
    }
    const states = await Promise.all(
      ['a', 'b', 'c'].map(async (id) => (await registry.tombstone(id))?.state),
    );
    expect(states).toEqual([undefined, 'DEREGISTERED', 'DEREGISTERED']);
  });

  it('tombstoneMs 0 remembers nothing and passes no policy to the store', async () => {
    create({ tombstoneMs: 0 });
    const remove = vi.spyOn(store, 'remove');
    const removeExpired = vi.spyOn(store, 'removeExpired');
    await registry.register('a', 0);
    await registry.register('b', 0);
    await registry.deregister('a');
    clock.advance(6000);
    await registry.sweep();
    expect(remove).toHaveBeenCalledWith('a', undefined);
    expect(removeExpired.mock.calls[0]?.[2]).toBeUndefined();
    expect(await registry.tombstone('a')).toBeUndefined();
    expect(await registry.tombstone('b')).toBeUndefined();
  });

  it('a store without tombstones has none, and the unknown status line stays the same', async () => {
    const bare = new InMemoryHeartbeatStore();
    Object.defineProperty(bare, 'tombstone', { value: undefined });
    create({}, bare);
    await registry.register('a', 0);
    await registry.deregister('a');
    expect(await registry.tombstone('a')).toBeUndefined();
    expect(await registry.status('a')).toBe(
      'CRITICAL - no application record for queried ID: [a]',
    );
  });

  it('validates the ID like every other call', async () => {
    await expect(registry.tombstone('a\nb')).rejects.toMatchObject({
      kind: 'invalid',
    });
  });
});
