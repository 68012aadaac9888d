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
import { HeartbeatError } from '../core/errors.js';
import { HeartbeatRegistry } from './heartbeat-registry.js';
import type { HeartbeatLogger } from './heartbeat.logger.js';

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
      paused: 0,
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

/**
 * An in-memory store that can be told to refuse writes (as Redis out of memory does) or
 * everything (as an unreachable Redis does).
 */
class RefusingStore extends InMemoryHeartbeatStore {
  refuseWrites = false;
  refuseReads = false;

  private check(write: boolean): void {
    if (this.refuseReads || (write && this.refuseWrites)) {
      throw new HeartbeatError('unavailable', 'store unavailable');
    }
  }

  override async upsert(
    ...args: Parameters<InMemoryHeartbeatStore['upsert']>
  ): ReturnType<InMemoryHeartbeatStore['upsert']> {
    this.check(true);
    return super.upsert(...args);
  }
  override async remove(appId: string): Promise<boolean> {
    this.check(true);
    return super.remove(appId);
  }
  // Deletions only: Redis allows them even out of memory.
  override async removeExpired(now: number, limit: number) {
    this.check(false);
    return super.removeExpired(now, limit);
  }
  override async get(appId: string) {
    this.check(false);
    return super.get(appId);
  }
  override async page(
    ...args: Parameters<InMemoryHeartbeatStore['page']>
  ): ReturnType<InMemoryHeartbeatStore['page']> {
    this.check(false);
    return super.page(...args);
  }
  override async pageIds(
    ...args: Parameters<InMemoryHeartbeatStore['pageIds']>
  ): ReturnType<InMemoryHeartbeatStore['pageIds']> {
    this.check(false);
    return super.pageIds(...args);
  }
  override async counts(now: number) {
    this.check(false);
    return super.counts(now);
  }
  override async mostOverdue(
    ...args: Parameters<InMemoryHeartbeatStore['mostOverdue']>
  ): ReturnType<InMemoryHeartbeatStore['mostOverdue']> {
    this.check(false);
    return super.mostOverdue(...args);
  }
  async checkWritable(): Promise<void> {
    this.check(true);
  }
}

describe('HeartbeatRegistry while the store refuses heartbeats', () => {
  const quiet: HeartbeatLogger = {
    log: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  let store: RefusingStore;
  let clock: FakeHeartbeatClock;
  let registry: HeartbeatRegistry;

  beforeEach(() => {
    store = new RefusingStore();
    clock = new FakeHeartbeatClock();
    registry = HeartbeatRegistry.create({ store, clock }, { logger: quiet });
  });
  afterEach(() => registry.close());

  const UNKNOWN = 'UNKNOWN - heartbeat store unavailable';

  it('answers UNKNOWN from the first refused write until writes are accepted again', async () => {
    await registry.register('worker', 1000); // T = 2000
    expect(registry.storeRefusing).toBe(false);
    store.refuseWrites = true;
    await expect(registry.beat('worker', 1000)).rejects.toMatchObject({
      kind: 'unavailable',
    });
    expect(registry.storeRefusing).toBe(true);
    expect(await registry.status()).toBe(UNKNOWN);
    expect(await registry.status('worker')).toBe(UNKNOWN);
    // Reads still answer, with lateness standing still since the refusal.
    clock.advance(60_000);
    expect(await registry.get('worker')).toMatchObject({ od: 0, state: 'OK' });

    store.refuseWrites = false;
    // /status asks the store, so recovery does not wait for a client's heartbeat.
    expect(await registry.status('worker')).toBe(
      'OK - fine application [worker]| od=0.00;3;5;0;6 delay=2000ms;;;',
    );
    expect(registry.storeRefusing).toBe(false);
    clock.advance(10_000);
    expect(await registry.status('worker')).toBe(
      'CRITICAL - quite late application [worker]| od=5.00;3;5;0;6 delay=2000ms;;;',
    );
  });

  it('credits each app with the refused time after its own last heartbeat', async () => {
    await registry.register('early', 1000); // T = 2000, seen at 0
    clock.advance(3000);
    await registry.register('late', 1000); // seen at 3000
    clock.advance(1000);
    store.refuseWrites = true;
    await expect(registry.beat('other')).rejects.toThrow('store unavailable');
    clock.advance(20_000); // refused 4000 -> 24000
    store.refuseWrites = false;
    await registry.beat('other');
    clock.advance(1000); // now 25000: 5000 recorded after "early", 2000 after "late"
    expect(
      (await registry.list()).map(({ appId, od }) => ({ appId, od })),
    ).toEqual([
      { appId: 'early', od: 2.5 },
      { appId: 'late', od: 1 },
      { appId: 'other', od: 1 },
    ]);
  });

  it('counts, the most overdue and pages credit the refused time, exactly', async () => {
    const start = clock.now();
    await registry.register('early', 1000); // T = 2000, seen at 0
    clock.advance(3000);
    await registry.register('late', 1000); // seen at 3000
    clock.advance(1000);
    store.refuseWrites = true;
    await expect(registry.beat('other')).rejects.toThrow('store unavailable');
    clock.advance(20_000); // refused 4000 -> 24000
    store.refuseWrites = false;
    await registry.beat('other', 60_000);
    clock.advance(2000); // now 26000: 6000 recorded after "early" (od 3), 3000 after "late"
    expect(await registry.counts()).toEqual({
      total: 3,
      OK: 2,
      WARNING: 1,
      CRITICAL: 0,
      paused: 0,
    });
    expect((await registry.mostOverdue(3)).map((a) => a.appId)).toEqual([
      'early',
      'late',
      'other',
    ]);
    expect(
      (await registry.page({ state: 'WARNING' })).apps.map((a) => a.appId),
    ).toEqual(['early']);
    const [early] = await registry.mostOverdue(1);
    // Deadlines come back in wall time: 12000 recorded + 20000 refused.
    expect(early).toMatchObject({ od: 3, expiresAt: start + 32_000 });
    clock.advance(6000); // early: 12000 recorded, dropped; late: 9000, WARNING
    expect(await registry.counts()).toMatchObject({ total: 2, WARNING: 1 });
    expect((await registry.sweep()).map((r) => r.appId)).toEqual(['early']);
  });

  it('lets the expiry task find the recovery and keeps credited records', async () => {
    const dropped = vi.fn();
    registry.events$.subscribe((event) => {
      if (event.name === 'heartbeat.dropped') dropped(event.appId);
    });
    await registry.register('worker', 1000); // drop deadline 12 000
    store.refuseWrites = true;
    await expect(registry.sweep()).resolves.toEqual([]);
    await expect(registry.beat('worker', 1000)).rejects.toThrow();
    clock.advance(30_000);
    await expect(registry.sweep()).resolves.toEqual([]);
    store.refuseWrites = false;
    await registry.sweep();
    expect(registry.storeRefusing).toBe(false);
    expect(await store.count()).toBe(1);
    clock.advance(11_999);
    await registry.sweep();
    expect(await registry.get('worker')).toMatchObject({ state: 'CRITICAL' });
    clock.advance(1);
    expect(await registry.get('worker')).toBeUndefined();
    expect((await registry.sweep()).map((r) => r.appId)).toEqual(['worker']);
    expect(dropped.mock.calls).toEqual([['worker']]);
  });

  it('treats a heartbeat after the refusal as a heartbeat, not a drop and a comeback', async () => {
    const events: string[] = [];
    registry.events$.subscribe((event) => events.push(event.name));
    await registry.register('worker', 0); // T = 1000, stored drop deadline 6000
    store.refuseWrites = true;
    await expect(registry.beat('worker', 0)).rejects.toThrow();
    clock.advance(10_000);
    store.refuseWrites = false;
    const result = await registry.beat('worker', 0);
    expect(result.created).toBe(false);
    expect(registry.counters.drops).toBe(0);
    expect(events).toEqual(['heartbeat.registered']);
  });

  it('reports no late transitions for the refused time', async () => {
    const changes: string[] = [];
    registry.events$.subscribe((event) => {
      if (event.name === 'heartbeat.state-changed') {
        changes.push(`${event.appId} ${event.from}->${event.to}`);
      }
    });
    await registry.register('worker', 1000); // T = 2000: WARNING at 6000
    await registry.sweep();
    clock.advance(4000);
    store.refuseWrites = true;
    await expect(registry.beat('worker', 1000)).rejects.toThrow();
    for (let i = 0; i < 10; i++) {
      clock.advance(5000);
      await registry.sweep().catch(() => undefined);
    }
    store.refuseWrites = false;
    await registry.sweep();
    expect(changes).toEqual([]);
    clock.advance(2000); // 6000 recorded since the last heartbeat
    await registry.sweep();
    expect(changes).toEqual(['worker OK->WARNING']);
  });

  it('counts a store that cannot be reached at all as refusing too', async () => {
    await registry.register('worker', 1000);
    store.refuseReads = true;
    await expect(registry.sweep()).rejects.toThrow('store unavailable');
    expect(await registry.status()).toBe(UNKNOWN);
    clock.advance(60_000);
    store.refuseReads = false;
    expect(await registry.status('worker')).toMatch(/^OK - .* od=0\.00;/);
  });

  it('logs a store throwing its own errors once when it fails and once when it answers again', async () => {
    const lines: string[] = [];
    const logger: HeartbeatLogger = {
      log: (message) => void lines.push(`log ${message}`),
      warn: () => undefined,
      error: (message) => void lines.push(`error ${message}`),
    };
    let down = true;
    const flaky = new InMemoryHeartbeatStore();
    const upsert = flaky.upsert.bind(flaky);
    flaky.upsert = (...args) =>
      down ? Promise.reject(new Error('ECONNREFUSED')) : upsert(...args);
    const direct = HeartbeatRegistry.create(
      { store: flaky, clock },
      { logger },
    );
    for (let i = 0; i < 5; i++) {
      await expect(direct.beat('x')).rejects.toThrow('store unavailable');
    }
    down = false;
    await direct.beat('x');
    await direct.beat('x');
    expect(lines).toEqual([
      'error heartbeat store failed: Error: ECONNREFUSED; answering 503 until it answers again',
      'log heartbeat store answers again',
    ]);
    await direct.close();
  });
});
