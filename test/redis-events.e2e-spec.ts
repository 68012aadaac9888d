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

  it('every listening replica reports each state change once, with the same payload', async () => {
    const a = await replica('a');
    const b = await replica('b');
    await a.registry.register('worker', 0); // T = 1000; b watches it from the store
    const start = clock.now();
    clock.advance(3000);
    await Promise.all([a.tick(), b.tick()]);
    clock.advance(2000);
    await Promise.all([a.tick(), b.tick()]);
    await Promise.all([a.tick(), b.tick()]);
    const changes = [
      `worker: OK -> WARNING (lastSeen ${start})`,
      `worker: WARNING -> CRITICAL (lastSeen ${start})`,
    ];
    expect(a.events.slice(1)).toEqual(changes);
    expect(b.events).toEqual(changes);
  });

  it('a heartbeat through one replica: it reports the recovery at once, the other when it next looks', async () => {
    const a = await replica('a');
    const b = await replica('b');
    await a.registry.register('worker', 0);
    clock.advance(3000);
    await Promise.all([a.tick(), b.tick()]);
    const back = clock.advance(500);
    await a.registry.beat('worker', 0);
    expect(a.events.at(-1)).toBe(`worker: WARNING -> OK (lastSeen ${back})`);
    expect(b.events.at(-1)).toBe(
      `worker: OK -> WARNING (lastSeen ${back - 3500})`,
    );
    clock.advance(1500); // b's next look: the crit deadline of the old heartbeat
    await b.tick();
    expect(b.events.at(-1)).toBe(`worker: WARNING -> OK (lastSeen ${back})`);
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
