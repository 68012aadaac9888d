import { Injectable, Logger } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { EventEmitter } from 'node:events';
import { config } from 'rxjs';
import { Test, type TestingModule } from '@nestjs/testing';
import { resolveHeartbeatOptions } from '../core/options.js';
import {
  HEARTBEAT_CLOCK,
  HEARTBEAT_STORE,
} from '../nest/heartbeat.constants.js';
import {
  HeartbeatEvents,
  HeartbeatStateChangedEvent,
  type HeartbeatEvent,
} from './heartbeat.events.js';
import { HeartbeatModule } from '../nest/heartbeat.module.js';
import { HeartbeatExpiryScheduler } from '../nest/heartbeat-expiry.scheduler.js';
import { InMemoryHeartbeatStore } from '../stores/in-memory-heartbeat.store.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';
import { HeartbeatRegistry } from './heartbeat-registry.js';

/** A compact view of events for assertions. */
function describeEvent(event: HeartbeatEvent): string {
  return event instanceof HeartbeatStateChangedEvent
    ? `${event.appId}: ${event.from} -> ${event.to}`
    : `${event.name} ${event.appId}`;
}

@Injectable()
class AlertListener {
  readonly received: string[] = [];

  @OnEvent(HeartbeatEvents.STATE_CHANGED)
  onStateChanged(event: HeartbeatStateChangedEvent): void {
    this.received.push(
      `${event.appId}: ${event.from} -> ${event.to} at od=${event.od.toFixed(2)}`,
    );
  }

  @OnEvent(HeartbeatEvents.REGISTERED)
  onRegistered(): void {
    throw new Error('a broken listener');
  }
}

/** A registry built as a plain class, as the Express middleware does, without Nest. */
function plainRegistry(clock: FakeHeartbeatClock): HeartbeatRegistry {
  return new HeartbeatRegistry(
    resolveHeartbeatOptions({}),
    new InMemoryHeartbeatStore(),
    clock,
    new Logger('Heartbeat'),
  );
}

describe('heartbeat events', () => {
  let moduleRef: TestingModule;
  let registry: HeartbeatRegistry;
  let clock: FakeHeartbeatClock;
  let tick: () => Promise<void>;
  let errorLog: ReturnType<typeof vi.spyOn>;

  async function compile(withEmitter: boolean): Promise<void> {
    clock = new FakeHeartbeatClock();
    moduleRef = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        ...(withEmitter ? [EventEmitterModule.forRoot()] : []),
        HeartbeatModule.forRoot({}),
      ],
      providers: withEmitter ? [AlertListener] : [],
    })
      .overrideProvider(HEARTBEAT_CLOCK)
      .useValue(clock)
      .compile();
    await moduleRef.init();
    registry = moduleRef.get(HeartbeatRegistry);
    const scheduler = moduleRef.get(HeartbeatExpiryScheduler);
    tick = () => scheduler.tick();
  }

  beforeEach(() => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
    errorLog = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => {});
  });
  afterEach(async () => {
    await moduleRef.close();
    vi.restoreAllMocks();
  });

  describe('on events$', () => {
    let events: string[];

    beforeEach(async () => {
      await compile(false);
      events = [];
      registry.events$.subscribe((event) => events.push(describeEvent(event)));
    });

    it('reports each transition once, as the expiry task finds it', async () => {
      await registry.register('worker', 1000); // T = 2000: WARNING at 6 s, CRITICAL at 10 s
      expect(events).toEqual(['heartbeat.registered worker']);

      clock.advance(5999);
      await tick();
      expect(events).toHaveLength(1);

      clock.advance(1);
      await tick();
      await tick();
      expect(events.slice(1)).toEqual(['worker: OK -> WARNING']);

      clock.advance(4000);
      await tick();
      expect(events.slice(2)).toEqual(['worker: WARNING -> CRITICAL']);

      await registry.beat('worker', 1000);
      expect(events.slice(3)).toEqual(['worker: CRITICAL -> OK']);

      clock.advance(12_000); // a late tick passes every threshold at once
      await tick();
      expect(events.slice(4)).toEqual(['heartbeat.dropped worker']);
    });

    it('reports each step in order when one tick passes several thresholds', async () => {
      await registry.register('a', 0); // T = 1000
      clock.advance(5500);
      await tick();
      expect(events.slice(1)).toEqual([
        'a: OK -> WARNING',
        'a: WARNING -> CRITICAL',
      ]);
    });

    it('reports goodbyes and drops', async () => {
      await registry.register('leaving');
      await registry.deregister('leaving');
      await registry.deregister('leaving'); // unknown now: no second event
      await registry.register('silent', 0);
      clock.advance(6000);
      await tick();
      expect(events).toEqual([
        'heartbeat.registered leaving',
        'heartbeat.deregistered leaving',
        'heartbeat.registered silent',
        'heartbeat.dropped silent',
      ]);
    });

    it('carries od, timestamps and the last heartbeat', async () => {
      const changes: HeartbeatStateChangedEvent[] = [];
      registry.events$.subscribe((e) => {
        if (e instanceof HeartbeatStateChangedEvent) changes.push(e);
      });
      const start = clock.now();
      await registry.register('x', 0);
      clock.advance(3500);
      await tick();
      expect(changes[0]).toMatchObject({
        name: 'heartbeat.state-changed',
        appId: 'x',
        from: 'OK',
        to: 'WARNING',
        od: 3.5,
        at: start + 3500,
        lastSeen: start,
      });
    });

    it('checks only apps whose transition is due, not every healthy app', async () => {
      const store = moduleRef.get<InMemoryHeartbeatStore>(HEARTBEAT_STORE);
      const page = vi.spyOn(store, 'page');
      await tick(); // the first tick after the first subscription reads the store, once
      for (let i = 0; i < 500; i++)
        await registry.register(`healthy-${i}`, 60_000);
      await registry.register('late', 0);
      const get = vi.spyOn(store, 'get');
      clock.advance(3000);
      await tick();
      await tick();
      expect(get.mock.calls.map(([id]) => id)).toEqual(['late']);
      expect(page).toHaveBeenCalledTimes(1);
    });

    it('tracks apps registered before the first subscription', async () => {
      const late = plainRegistry(clock);
      await late.register('early', 0); // T = 1000, nobody listening yet
      await late.register('beating', 0);
      clock.advance(1000);
      await late.beat('beating', 0);
      const seen: string[] = [];
      late.events$.subscribe((e) => seen.push(describeEvent(e)));
      clock.advance(2000); // early: od 3, WARNING; beating: od 2
      await late.sweep();
      clock.advance(1000); // beating: od 3
      await late.sweep();
      expect(seen).toEqual(['early: OK -> WARNING', 'beating: OK -> WARNING']);
    });

    it('takes the present state of an already late app as its baseline', async () => {
      const late = plainRegistry(clock);
      await late.register('quiet', 0);
      clock.advance(4000); // WARNING before anyone listens
      const seen: string[] = [];
      late.events$.subscribe((e) => seen.push(describeEvent(e)));
      await late.sweep();
      expect(seen).toEqual([]);
      clock.advance(1000);
      await late.sweep();
      expect(seen).toEqual(['quiet: WARNING -> CRITICAL']);
    });

    it('a throwing subscriber breaks neither the registry nor other subscribers', async () => {
      // RxJS hands a subscriber's own error to onUnhandledError (by default: thrown on a timer).
      const reported = new Promise<unknown[]>((resolve) => {
        const errors: unknown[] = [];
        config.onUnhandledError = (error) => {
          errors.push(error);
          if (errors.length === 3) resolve(errors);
        };
      });
      try {
        registry.events$.subscribe(() => {
          throw new Error('a broken subscriber');
        });
        await registry.register('x', 0);
        clock.advance(3000);
        await tick();
        await registry.beat('x', 0);
        expect(events).toEqual([
          'heartbeat.registered x',
          'x: OK -> WARNING',
          'x: WARNING -> OK',
        ]);
        expect(await registry.status('x')).toMatch(/^OK /);
        expect(await reported).toEqual([
          new Error('a broken subscriber'),
          new Error('a broken subscriber'),
          new Error('a broken subscriber'),
        ]);
      } finally {
        config.onUnhandledError = null;
      }
    });
  });

  describe('on a registry built without Nest', () => {
    beforeEach(() => {
      clock = new FakeHeartbeatClock();
    });

    it('delivers to any emitter given to useEventEmitter, and survives a throwing listener', async () => {
      const plain = plainRegistry(clock);
      const emitter = new EventEmitter();
      const changes: string[] = [];
      emitter.on(HeartbeatEvents.REGISTERED, () => {
        throw new Error('a broken listener');
      });
      emitter.on(
        HeartbeatEvents.STATE_CHANGED,
        (e: HeartbeatStateChangedEvent) => changes.push(describeEvent(e)),
      );
      plain.useEventEmitter(emitter);
      await expect(plain.register('w', 0)).resolves.toMatchObject({
        delayMs: 1000,
      });
      expect(errorLog).toHaveBeenCalledWith(
        'a heartbeat.registered listener failed: Error: a broken listener',
      );
      clock.advance(5000);
      await plain.sweep();
      await plain.sweep();
      expect(changes).toEqual(['w: OK -> WARNING', 'w: WARNING -> CRITICAL']);
      await plain.close();
    });
  });

  describe('through @nestjs/event-emitter', () => {
    beforeEach(() => compile(true));

    it('delivers to @OnEvent listeners, and a throwing listener breaks nothing', async () => {
      await expect(registry.register('api', 1000)).resolves.toMatchObject({
        created: true,
      });
      clock.advance(6000);
      await tick();
      expect(moduleRef.get(AlertListener).received).toEqual([
        'api: OK -> WARNING at od=3.00',
      ]);
      expect(await registry.status('api')).toMatch(/^WARNING /);
      // The listener's error was caught and logged, not thrown at the registry.
      expect(errorLog).toHaveBeenCalledWith(
        'a broken listener',
        expect.stringContaining('Error: a broken listener'),
      );
    });
  });
});
