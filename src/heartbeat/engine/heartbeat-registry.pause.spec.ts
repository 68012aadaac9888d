import { HeartbeatError } from '../core/errors.js';
import type { HeartbeatStore } from '../interfaces/heartbeat-store.interface.js';
import { InMemoryHeartbeatStore } from '../stores/in-memory-heartbeat.store.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';
import {
  HeartbeatEvents,
  type HeartbeatEvent,
  type HeartbeatStateChangedEvent,
} from './heartbeat.events.js';
import { HeartbeatRegistry } from './heartbeat-registry.js';

const quiet = { log: () => {}, warn: () => {}, error: () => {} };

describe('HeartbeatRegistry pause and resume', () => {
  let clock: FakeHeartbeatClock;
  let store: InMemoryHeartbeatStore;
  let registry: HeartbeatRegistry;
  let events: HeartbeatEvent[];

  beforeEach(() => {
    clock = new FakeHeartbeatClock();
    store = new InMemoryHeartbeatStore();
    registry = HeartbeatRegistry.create({ clock, store }, { logger: quiet });
    events = [];
    registry.events$.subscribe((event) => events.push(event));
  });
  afterEach(() => registry.close());

  /** Advances the clock and runs the expiry task, as the scheduler does every second. */
  async function pass(ms: number): Promise<void> {
    clock.advance(ms);
    await registry.sweep();
  }

  const named = (name: string) => events.filter((e) => e.name === name);

  it('holds a paused app OK with od 0 for as long as it lasts, and never drops it', async () => {
    await registry.register('batch', 1000); // T = 2000
    await pass(4000); // od 2
    const paused = await registry.pause('batch');
    expect(paused).toMatchObject({ state: 'OK', od: 0, paused: true });
    expect(await registry.status('batch')).toBe(
      'OK - paused application [batch]| od=0.00;3;5;0;6 delay=2000ms;;;',
    );
    await pass(3_600_000); // an hour: od 1802 without the pause
    expect(await registry.status('batch')).toBe(
      'OK - paused application [batch]| od=0.00;3;5;0;6 delay=2000ms;;;',
    );
    expect(await registry.status()).toBe(
      'OK - paused application [batch]| od=0.00;3;5;0;6 delay=2000ms;;;',
    );
    expect(await registry.counts()).toEqual({
      total: 1,
      OK: 1,
      WARNING: 0,
      CRITICAL: 0,
      paused: 1,
    });
    expect(named(HeartbeatEvents.DROPPED)).toEqual([]);
    expect(named(HeartbeatEvents.STATE_CHANGED)).toEqual([]);
    expect(named(HeartbeatEvents.PAUSED)).toEqual([
      expect.objectContaining({ appId: 'batch', until: undefined }),
    ]);
  });

  it('keeps the pause through heartbeats (a ping does not resume), noting each one', async () => {
    await registry.register('batch', 1000);
    await registry.pause('batch');
    await pass(10_000);
    await registry.beat('batch', 5000);
    const status = await registry.get('batch');
    expect(status).toMatchObject({
      paused: true,
      od: 0,
      lastSeen: clock.now(),
      delayMs: 6000,
    });
    await pass(3_600_000);
    expect((await registry.get('batch'))?.paused).toBe(true);
  });

  it('restarts lateness from the moment of resume', async () => {
    await registry.register('batch', 1000); // T = 2000
    await pass(9000); // od 4.5: WARNING
    expect((await registry.get('batch'))?.state).toBe('WARNING');
    await registry.pause('batch');
    await pass(60_000);
    const resumedAt = clock.now();
    const resumed = await registry.resume('batch');
    expect(resumed).toMatchObject({ state: 'OK', od: 0, paused: false });
    expect(resumed?.pausedUntil).toBe(resumedAt);
    expect(named(HeartbeatEvents.RESUMED)).toEqual([
      expect.objectContaining({
        appId: 'batch',
        at: resumedAt,
        reason: 'resumed',
      }),
    ]);
    await pass(5999);
    expect((await registry.get('batch'))?.state).toBe('OK');
    await pass(1); // 3 T after the resume
    expect(await registry.status('batch')).toBe(
      'WARNING - somewhat late application [batch]| od=3.00;3;5;0;6 delay=2000ms;;;',
    );
    expect(await registry.counts()).toMatchObject({ WARNING: 1, paused: 0 });
    // The watcher follows it again from the resume on.
    expect(
      named(HeartbeatEvents.STATE_CHANGED).map(
        (e) => (e as HeartbeatStateChangedEvent).to,
      ),
    ).toEqual(['WARNING', 'WARNING']);
    await pass(6000); // 6 T after the resume: dropped
    expect(await registry.get('batch')).toBeUndefined();
    expect(named(HeartbeatEvents.DROPPED)).toHaveLength(1);
  });

  it('ends a pause by itself at `until`, once, and judges from then on', async () => {
    await registry.register('batch', 1000); // T = 2000
    const until = clock.now() + 60_000;
    await registry.pause('batch', new Date(until));
    await pass(59_999);
    expect((await registry.get('batch'))?.paused).toBe(true);
    clock.advance(1); // at until; the sweep has not run yet
    expect(await registry.get('batch')).toMatchObject({
      paused: false,
      state: 'OK',
      od: 0,
      pausedUntil: until,
    });
    clock.advance(6000); // 3 T after until, still no sweep: judged from until regardless
    expect((await registry.get('batch'))?.state).toBe('WARNING');
    await registry.sweep();
    expect(named(HeartbeatEvents.RESUMED)).toEqual([
      expect.objectContaining({ appId: 'batch', at: until, reason: 'expired' }),
    ]);
    expect(await registry.counts()).toMatchObject({ WARNING: 1, paused: 0 });
    await registry.sweep();
    expect(named(HeartbeatEvents.RESUMED)).toHaveLength(1);
  });

  it('lets a heartbeat after `until` end the pause as an ordinary heartbeat', async () => {
    await registry.register('batch', 1000);
    await registry.pause('batch', clock.now() + 1000);
    clock.advance(5000); // past until, before any sweep
    await registry.beat('batch', 1000);
    const status = await registry.get('batch');
    expect(status).toMatchObject({ paused: false, od: 0, state: 'OK' });
    expect(status?.pausedAt).toBeUndefined();
    expect(status?.pausedUntil).toBeUndefined();
    await registry.sweep();
    expect(named(HeartbeatEvents.RESUMED)).toEqual([]); // nothing left to end
  });

  it('replaces a pause with a new one, and leaves an app that is not paused as it is', async () => {
    await registry.register('batch', 1000);
    expect(await registry.resume('batch')).toMatchObject({ paused: false });
    expect(named(HeartbeatEvents.RESUMED)).toEqual([]);
    await registry.pause('batch', clock.now() + 1000);
    await registry.pause('batch');
    await pass(5000);
    expect((await registry.get('batch'))?.paused).toBe(true); // the first until no longer ends it
    expect(named(HeartbeatEvents.PAUSED)).toHaveLength(2);
  });

  it('answers undefined for unknown or dropped apps and refuses an until that has passed', async () => {
    expect(await registry.pause('nobody')).toBeUndefined();
    expect(await registry.resume('nobody')).toBeUndefined();
    await registry.register('gone', 0); // T = 1000
    clock.advance(6000);
    expect(await registry.pause('gone')).toBeUndefined();
    await registry.register('batch', 0);
    for (const until of [clock.now(), clock.now() - 1, Number.NaN]) {
      await expect(registry.pause('batch', until)).rejects.toThrow(
        /^until must be a time to come/,
      );
    }
    await expect(
      registry.pause('batch', new Date('not a date')),
    ).rejects.toMatchObject({ kind: 'invalid' });
    expect((await registry.get('batch'))?.paused).toBe(false);
    await expect(registry.pause('', undefined)).rejects.toBeInstanceOf(
      HeartbeatError,
    );
  });

  it('ranks a paused app after every other app', async () => {
    await registry.register('paused', 0);
    await registry.register('fine', 60_000);
    await registry.register('late', 0);
    await registry.pause('paused');
    clock.advance(3500);
    expect((await registry.mostOverdue(3)).map((a) => a.appId)).toEqual([
      'late',
      'fine',
      'paused',
    ]);
  });

  it('says so when the store cannot pause', async () => {
    const plain: HeartbeatStore = new InMemoryHeartbeatStore();
    Object.assign(plain, { pause: undefined, endPause: undefined });
    const other = HeartbeatRegistry.create(
      { clock, store: plain },
      { logger: quiet },
    );
    await other.register('batch', 0);
    await expect(other.pause('batch')).rejects.toMatchObject({
      kind: 'unsupported',
      message: 'this heartbeat store cannot pause applications',
    });
    await other.close();
  });
});
