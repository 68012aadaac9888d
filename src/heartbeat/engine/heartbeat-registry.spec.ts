import { Logger } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  HEARTBEAT_CLOCK,
  HEARTBEAT_STORE,
} from '../nest/heartbeat.constants.js';
import { HeartbeatModule } from '../nest/heartbeat.module.js';
import type { HeartbeatStore } from '../interfaces/heartbeat-store.interface.js';
import { InMemoryHeartbeatStore } from '../stores/in-memory-heartbeat.store.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';
import { HeartbeatRegistry } from './heartbeat-registry.js';

describe('HeartbeatRegistry (DI, injected clock)', () => {
  let moduleRef: TestingModule;
  let registry: HeartbeatRegistry;
  let store: InMemoryHeartbeatStore;
  let clock: FakeHeartbeatClock;

  async function compile(options = {}): Promise<void> {
    clock = new FakeHeartbeatClock();
    store = new InMemoryHeartbeatStore();
    moduleRef = await Test.createTestingModule({
      imports: [ScheduleModule.forRoot(), HeartbeatModule.forRoot(options)],
    })
      .overrideProvider(HEARTBEAT_CLOCK)
      .useValue(clock)
      .overrideProvider(HEARTBEAT_STORE)
      .useValue(store)
      .compile();
    registry = moduleRef.get(HeartbeatRegistry);
  }

  beforeEach(() => compile());
  afterEach(() => moduleRef.close());

  it('walks an app through OK -> WARNING -> CRITICAL -> gone without sleeping', async () => {
    const { delayMs } = await registry.register('worker', 1000); // T = 2000
    expect(delayMs).toBe(2000);
    expect((await registry.get('worker'))?.state).toBe('OK');
    expect(await registry.status('worker')).toBe(
      'OK - fine application [worker]| od=0.00;3;5;0;6 delay=2000ms;;;',
    );

    clock.advance(6000); // od = 3
    expect(await registry.status('worker')).toBe(
      'WARNING - somewhat late application [worker]| od=3.00;3;5;0;6 delay=2000ms;;;',
    );

    clock.advance(4000); // od = 5
    expect(await registry.status('worker')).toBe(
      'CRITICAL - quite late application [worker]| od=5.00;3;5;0;6 delay=2000ms;;;',
    );

    clock.advance(1999); // od = 5.9995
    expect((await registry.get('worker'))?.state).toBe('CRITICAL');

    clock.advance(1); // od = 6: dropped
    expect(await registry.status('worker')).toBe(
      'CRITICAL - no application record for queried ID: [worker]',
    );
  });

  it('treats a dropped record as absent for every query before the sweep runs', async () => {
    await registry.register('a', 0); // T = 1000
    await registry.register('b', 60_000);
    clock.advance(6000);

    // The store still holds both records: nothing has swept yet.
    expect(await store.count()).toBe(2);
    expect(await registry.get('a')).toBeUndefined();
    expect((await registry.list()).map((s) => s.appId)).toEqual(['b']);
    expect(await registry.status()).toMatch(/^OK - fine application \[b\]\|/);
    expect(await registry.status('a')).toBe(
      'CRITICAL - no application record for queried ID: [a]',
    );
  });

  it('sweeps dropped records, logging each drop once', async () => {
    const warn = vi
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation(() => {});
    await registry.register('gone', 0);
    await registry.register('alive', 60_000);
    clock.advance(6000);

    expect((await registry.sweep()).map((r) => r.appId)).toEqual(['gone']);
    expect(await registry.sweep()).toEqual([]);
    expect(await store.count()).toBe(1);
    const drops = warn.mock.calls.filter(([message]) =>
      String(message).includes('[gone]'),
    );
    expect(drops).toHaveLength(1);
    warn.mockRestore();
  });

  it('re-creates a dropped-but-unswept record on a ping and logs the drop', async () => {
    const warn = vi
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation(() => {});
    await registry.register('phoenix', 0);
    clock.advance(7000);
    const result = await registry.beat('phoenix', 0);
    expect(result.created).toBe(true);
    expect((await registry.get('phoenix'))?.registeredAt).toBe(clock.now());
    expect(warn).toHaveBeenCalledTimes(1);
    expect(await registry.sweep()).toEqual([]);
    warn.mockRestore();
  });

  it('a ping for an unknown ID registers it; a later ping keeps registeredAt', async () => {
    const first = await registry.beat('late-joiner', 500);
    expect(first).toEqual({
      appId: 'late-joiner',
      delayMs: 1500,
      created: true,
    });
    const registeredAt = clock.now();
    clock.advance(1000);
    const second = await registry.beat('late-joiner', 500);
    expect(second.created).toBe(false);
    expect(await registry.get('late-joiner')).toMatchObject({
      registeredAt,
      lastSeen: clock.now(),
      od: 0,
    });
  });

  it('deregisters known and unknown IDs', async () => {
    await registry.register('x');
    expect(await registry.deregister('x')).toBe(true);
    expect(await registry.deregister('x')).toBe(false);
    expect(await registry.list()).toEqual([]);
  });

  it('answers the host status for zero, one and several apps', async () => {
    expect(await registry.status()).toBe(
      'UNKNOWN - no heartbeat clients at the moment...',
    );
    await registry.register('Tetris', 1725);
    expect(await registry.status()).toBe(
      'OK - fine application [Tetris]| od=0.00;3;5;0;6 delay=2725ms;;;',
    );
    await registry.register('Zelda');
    await registry.register('Sonic');
    expect(await registry.status()).toBe(
      'WARNING - multiple (3) applications: [Tetris,Zelda,Sonic]',
    );
  });

  it('names at most maxListedIds apps in the host line and counts the rest', async () => {
    await moduleRef.close();
    await compile({ maxListedIds: 2 });
    for (const id of ['a', 'b', 'c', 'd']) await registry.register(id, 60_000);
    expect(await registry.status()).toBe(
      'WARNING - multiple (4) applications: [a,b] and 2 more',
    );
    await registry.register('gone', 0);
    clock.advance(6000); // gone: dropped, not yet swept
    expect(await registry.status()).toBe(
      'WARNING - multiple (4) applications: [a,b] and 2 more',
    );
    for (const id of ['a', 'b', 'c']) await registry.deregister(id);
    expect(await registry.status()).toMatch(/^OK - fine application \[d\]/);
  });

  it('reads counts, the most overdue and pages without reading every record', async () => {
    await registry.register('ok', 60_000);
    await registry.register('warn', 1000); // T = 2000
    await registry.register('crit', 0); // T = 1000
    await registry.register('gone', 0);
    clock.advance(500);
    await registry.beat('gone', 0);
    clock.advance(5600); // warn: od 3.05; crit: od 6.1, dropped; gone: od 5.6
    await registry.beat('crit', 0);
    clock.advance(5000); // crit: od 5, CRITICAL; gone: dropped; warn: od 5.55, CRITICAL
    expect(await registry.counts()).toEqual({
      total: 3,
      OK: 1,
      WARNING: 0,
      CRITICAL: 2,
    });
    expect((await registry.mostOverdue(5)).map((a) => a.appId)).toEqual([
      'warn',
      'crit',
      'ok',
    ]);
    expect(
      (await registry.mostOverdue(5, { state: 'OK' })).map((a) => a.appId),
    ).toEqual(['ok']);
    const first = await registry.page({ limit: 2 });
    expect(first.apps.map((a) => a.appId)).toEqual(['ok', 'warn']);
    const second = await registry.page({ cursor: first.next, limit: 2 });
    expect(second).toEqual({
      apps: [expect.objectContaining({ appId: 'crit' })],
    });
    expect(
      (await registry.page({ state: 'CRITICAL' })).apps.map((a) => a.appId),
    ).toEqual(['warn', 'crit']);
    expect(
      (await registry.page({ idContains: 'r' })).apps.map((a) => a.appId),
    ).toEqual(['warn', 'crit']);
  });

  it('stops a filtered page after maxPageScan records, with a cursor to go on', async () => {
    await moduleRef.close();
    await compile({ maxPageScan: 3, readBatchSize: 2 });
    for (let i = 0; i < 8; i++) await registry.register(`app-${i}`, 60_000);
    await registry.register('late', 0);
    clock.advance(3000);
    const seen: string[] = [];
    let calls = 0;
    let cursor: string | undefined;
    do {
      const page = await registry.page({ cursor, state: 'WARNING' });
      seen.push(...page.apps.map((a) => a.appId));
      cursor = page.next;
      calls++;
    } while (cursor);
    expect(seen).toEqual(['late']);
    expect(calls).toBe(3);
    const walked: string[] = [];
    for await (const apps of registry.pages({ idContains: '-' }))
      walked.push(...apps.map((a) => a.appId));
    expect(walked).toHaveLength(8);
  });

  it('refuses a page limit outside 1..maxPageSize', async () => {
    for (const limit of [0, 1001, 1.5, Number.NaN]) {
      await expect(registry.page({ limit })).rejects.toMatchObject({
        kind: 'invalid',
      });
      await expect(registry.mostOverdue(limit)).rejects.toMatchObject({
        kind: 'invalid',
      });
    }
  });

  it('validates input on its typed API', async () => {
    await expect(registry.register('', 0)).rejects.toThrow('empty appid');
    await expect(registry.register('x'.repeat(257))).rejects.toThrow(
      'the limit is 256',
    );
    await expect(registry.beat('a\nb')).rejects.toThrow('control character');
    await expect(registry.beat('x', -1)).rejects.toThrow(
      'non-negative integer',
    );
    await expect(registry.beat('x', 0.5)).rejects.toThrow(
      'non-negative integer',
    );
    await expect(registry.beat('x', 86_400_001)).rejects.toThrow(
      'exceeds the limit',
    );
    expect(await store.count()).toBe(0);
  });

  describe('bounded registry', () => {
    beforeEach(async () => {
      await moduleRef.close();
      await compile({ maxApps: 2 });
    });

    it('refuses new registrations beyond maxApps while known apps keep working', async () => {
      await registry.register('a');
      await registry.register('b');
      await expect(registry.register('c')).rejects.toMatchObject({
        kind: 'capacity',
        message:
          'registry is full (2 applications), new registrations are refused',
      });
      await expect(registry.beat('a', 10)).resolves.toMatchObject({
        delayMs: 1010,
      });
      expect((await registry.list()).map((s) => s.appId)).toEqual(['a', 'b']);
      await registry.deregister('b');
      await expect(registry.register('c')).resolves.toMatchObject({
        created: true,
      });
    });
  });

  it('turns store failures into a typed unavailable error', async () => {
    const failing: HeartbeatStore = {
      upsert: () => Promise.reject(new Error('ECONNREFUSED')),
      get: () => Promise.reject(new Error('ECONNREFUSED')),
      page: () => Promise.reject(new Error('ECONNREFUSED')),
      counts: () => Promise.reject(new Error('ECONNREFUSED')),
      mostOverdue: () => Promise.reject(new Error('ECONNREFUSED')),
      remove: () => Promise.reject(new Error('ECONNREFUSED')),
      removeExpired: () => Promise.reject(new Error('ECONNREFUSED')),
      count: () => Promise.reject(new Error('ECONNREFUSED')),
    };
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => {});
    const direct = new HeartbeatRegistry(registry.options, failing, clock);
    await expect(direct.beat('x')).rejects.toMatchObject({
      kind: 'unavailable',
      message: 'store unavailable',
    });
    expect(await direct.status()).toBe('UNKNOWN - heartbeat store unavailable');
    expect(await direct.status('x')).toBe(
      'UNKNOWN - heartbeat store unavailable',
    );
    await expect(direct.list()).rejects.toMatchObject({ kind: 'unavailable' });
    vi.restoreAllMocks();
  });
});
