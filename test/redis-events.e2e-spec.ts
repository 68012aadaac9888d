import { Logger } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  HEARTBEAT_CLOCK,
  HeartbeatExpiryScheduler,
  HeartbeatModule,
  HeartbeatRegistry,
  HeartbeatStateChangedEvent,
  type HeartbeatEvent,
} from '../src/heartbeat/index.js';
import { RedisHeartbeatStore } from '../src/heartbeat/redis/index.js';
import { FakeHeartbeatClock } from '../src/heartbeat/testing/index.js';
import { eventually } from './support/private-redis.js';
import {
  deleteKeys,
  describeWithRedis,
  TEST_REDIS_URL,
  uniquePrefix,
} from './support/redis.js';

interface Replica {
  readonly name: string;
  readonly moduleRef: TestingModule;
  readonly registry: HeartbeatRegistry;
  readonly tick: () => Promise<void>;
  readonly events: string[];
}

function describeEvent(event: HeartbeatEvent): string {
  return event instanceof HeartbeatStateChangedEvent
    ? `${event.appId}: ${event.from} -> ${event.to} (lastSeen ${event.lastSeen})`
    : `${event.name} ${event.appId}`;
}

/** What each replica on one Redis reports, as the events documentation says. */
describeWithRedis('events with two replicas on one Redis', () => {
  let prefix: string;
  let clock: FakeHeartbeatClock;
  let replicas: Replica[];

  async function replica(name: string): Promise<Replica> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        HeartbeatModule.forRoot({
          store: new RedisHeartbeatStore({
            url: TEST_REDIS_URL,
            keyPrefix: prefix,
          }),
          sweepIntervalMs: 3_600_000,
        }),
      ],
    })
      // Both replicas share one clock: in production that is Redis time (RedisTimeClock).
      .overrideProvider(HEARTBEAT_CLOCK)
      .useValue(clock)
      .compile();
    await moduleRef.init();
    const registry = moduleRef.get(HeartbeatRegistry);
    await eventually(
      () =>
        registry.list().then(
          () => true,
          () => false,
        ),
      `${name} connected to Redis`,
    );
    const events: string[] = [];
    registry.events$.subscribe((event) => events.push(describeEvent(event)));
    const scheduler = moduleRef.get(HeartbeatExpiryScheduler);
    const created = {
      name,
      moduleRef,
      registry,
      events,
      tick: () => scheduler.tick(),
    };
    replicas.push(created);
    return created;
  }

  beforeEach(() => {
    prefix = uniquePrefix();
    clock = new FakeHeartbeatClock();
    replicas = [];
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
  });
  afterEach(async () => {
    for (const { moduleRef } of replicas) await moduleRef.close();
    await deleteKeys(prefix);
    vi.restoreAllMocks();
  });

  it('registrations, goodbyes and drops are reported once, by the replica that saw them', async () => {
    const a = await replica('a');
    const b = await replica('b');
    await a.registry.register('silent', 0); // T = 1000
    await b.registry.register('leaving', 60_000);
    await a.registry.deregister('leaving');
    clock.advance(6000);
    await Promise.all([a.tick(), b.tick()]);
    await Promise.all([a.tick(), b.tick()]);
    const all = [...a.events, ...b.events].filter(
      (event) => !event.includes(' -> '),
    );
    expect(all.sort()).toEqual([
      'heartbeat.deregistered leaving',
      'heartbeat.dropped silent',
      'heartbeat.registered leaving',
      'heartbeat.registered silent',
    ]);
  });

  it('each state change is reported once, by one of the listening replicas', async () => {
    const a = await replica('a');
    const b = await replica('b');
    await a.registry.register('worker', 0); // T = 1000
    await b.registry.register('other', 0);
    const start = clock.now();
    clock.advance(3000);
    await Promise.all([a.tick(), b.tick()]);
    clock.advance(2000);
    await Promise.all([a.tick(), b.tick()]);
    await Promise.all([a.tick(), b.tick()]);
    const changes = [...a.events, ...b.events].filter((e) =>
      e.includes(' -> '),
    );
    expect(changes.sort()).toEqual([
      `other: OK -> WARNING (lastSeen ${start})`,
      `other: WARNING -> CRITICAL (lastSeen ${start})`,
      `worker: OK -> WARNING (lastSeen ${start})`,
      `worker: WARNING -> CRITICAL (lastSeen ${start})`,
    ]);
  });

  it('a recovery is reported once, by the replica that received the heartbeat', async () => {
    const a = await replica('a');
    const b = await replica('b');
    await a.registry.register('worker', 0);
    clock.advance(3000);
    await Promise.all([a.tick(), b.tick()]);
    const late = [...a.events, ...b.events].filter((e) => e.includes(' -> '));
    expect(late).toHaveLength(1);
    const back = clock.advance(500);
    await b.registry.beat('worker', 0);
    expect(b.events.at(-1)).toBe(`worker: WARNING -> OK (lastSeen ${back})`);
    clock.advance(1500);
    await Promise.all([a.tick(), b.tick()]);
    const recoveries = [...a.events, ...b.events].filter((e) =>
      e.includes('-> OK'),
    );
    expect(recoveries).toEqual([`worker: WARNING -> OK (lastSeen ${back})`]);
  });

  it('a heartbeat before the lateness was claimed reports nothing', async () => {
    const a = await replica('a');
    const b = await replica('b');
    await a.registry.register('worker', 0);
    clock.advance(3500); // late, but no replica has looked yet
    await b.registry.beat('worker', 0);
    await Promise.all([a.tick(), b.tick()]);
    expect(
      [...a.events, ...b.events].filter((e) => e.includes(' -> ')),
    ).toEqual([]);
  });

  it('a replica started later reports apps that were registered before it', async () => {
    const a = await replica('a');
    await a.registry.register('old', 0);
    clock.advance(1000);
    const late = await replica('late');
    clock.advance(2000);
    await late.tick();
    expect(late.events).toEqual([
      `old: OK -> WARNING (lastSeen ${clock.now() - 3000})`,
    ]);
  });
});
