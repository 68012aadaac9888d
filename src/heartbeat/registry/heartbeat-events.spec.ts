import { Injectable, Logger } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import { HEARTBEAT_CLOCK, HEARTBEAT_STORE } from '../heartbeat.constants.js';
import {
  HeartbeatEvents,
  HeartbeatStateChangedEvent,
  type HeartbeatEvent,
} from '../heartbeat.events.js';
import { HeartbeatModule } from '../heartbeat.module.js';
import { HeartbeatExpiryScheduler } from '../scheduler/heartbeat-expiry.scheduler.js';
import { InMemoryHeartbeatStore } from '../stores/in-memory-heartbeat.store.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';
import { HeartbeatRegistry } from './heartbeat-registry.service.js';

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
      for (let i = 0; i < 500; i++)
        await registry.register(`healthy-${i}`, 60_000);
      await registry.register('late', 0);
      const get = vi.spyOn(store, 'get');
      clock.advance(3000);
      await tick();
      expect(get.mock.calls.map(([id]) => id)).toEqual(['late']);
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
