import { Logger } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  HEARTBEAT_CLOCK,
  HeartbeatExpiryScheduler,
  HeartbeatModule,
  HeartbeatRegistry,
  HeartbeatWebhookDispatcher,
} from '../src/heartbeat/index.js';
import {
  RedisEventClaims,
  RedisHeartbeatStore,
} from '../src/heartbeat/redis/index.js';
import { FakeHeartbeatClock } from '../src/heartbeat/testing/index.js';
import { eventually } from './support/private-redis.js';
import {
  deleteKeys,
  describeWithRedis,
  TEST_REDIS_URL,
  testRedisClient,
  uniquePrefix,
} from './support/redis.js';
import { prefixPattern, scanKeys } from './support/redis-namespace.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

interface Replica {
  readonly moduleRef: TestingModule;
  readonly registry: HeartbeatRegistry;
  readonly webhooks: HeartbeatWebhookDispatcher;
  readonly tick: () => Promise<void>;
}

/** Two replicas on one Redis, one receiver: each event arrives once, whoever saw it. */
describeWithRedis('webhooks with two replicas on one Redis', () => {
  let prefix: string;
  let clock: FakeHeartbeatClock;
  let receiver: WebhookReceiver;
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
          webhooks: [
            {
              url: receiver.url,
              secret: 'shared',
              events: ['state-changed', 'dropped', 'deregistered'],
            },
          ],
          webhookClaims: new RedisEventClaims({
            url: TEST_REDIS_URL,
            keyPrefix: prefix,
          }),
        }),
      ],
    })
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
    const webhooks = moduleRef.get(HeartbeatWebhookDispatcher);
    const scheduler = moduleRef.get(HeartbeatExpiryScheduler);
    const created = {
      moduleRef,
      registry,
      webhooks,
      tick: () => scheduler.tick(),
    };
    replicas.push(created);
    return created;
  }

  const settled = () => Promise.all(replicas.map((r) => r.webhooks.settled()));
  const tickAll = async () => {
    await Promise.all(replicas.map((r) => r.tick()));
    await settled();
  };

  beforeEach(async () => {
    prefix = uniquePrefix();
    clock = new FakeHeartbeatClock();
    replicas = [];
    receiver = await WebhookReceiver.start('shared');
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
  });
  afterEach(async () => {
    for (const { moduleRef } of replicas) await moduleRef.close();
    await receiver.close();
    await deleteKeys(prefix);
    vi.restoreAllMocks();
  });

  it('state changes, a recovery, a goodbye and a drop are each delivered by exactly one replica', async () => {
    const a = await replica('a');
    const b = await replica('b');
    await a.registry.register('worker', 0); // T = 1000
    await b.registry.register('silent', 0);
    await b.registry.register('leaving', 60_000);
    clock.advance(3000); // both apps WARNING, seen by both replicas
    await tickAll();
    clock.advance(2000); // CRITICAL
    await tickAll();
    clock.advance(500);
    await a.registry.beat('worker', 60_000); // a reports the recovery at once
    await settled();
    clock.advance(600); // silent is past od 6; b looks at worker again and finds it OK
    await tickAll();
    await b.registry.deregister('leaving');
    await settled();

    const seen = receiver.accepted().map((p) => `${p.appId} ${p.to}`);
    expect([...seen].sort()).toEqual(
      [
        'leaving DEREGISTERED',
        'silent CRITICAL',
        'silent DROPPED',
        'silent WARNING',
        'worker CRITICAL',
        'worker OK',
        'worker WARNING',
      ].sort(),
    );
    expect(receiver.received.every((r) => r.signed)).toBe(true);
    const deliveryIds = receiver.received.map(
      (r) => r.headers['x-heartbeat-delivery'],
    );
    expect(new Set(deliveryIds).size).toBe(deliveryIds.length);
    // Each state change reaches one replica only (the store hands each crossing to one), so no
    // webhook claim is lost and nothing is skipped; the claims still guard every delivery.
    const skipped = a.webhooks.counters.skipped + b.webhooks.counters.skipped;
    expect(skipped).toBe(0);
    const delivered =
      a.webhooks.counters.delivered + b.webhooks.counters.delivered;
    expect(delivered).toBe(7);

    const claims = testRedisClient();
    try {
      const keys = await scanKeys(claims, prefixPattern(`${prefix}webhook:`));
      expect(keys.length).toBeGreaterThanOrEqual(7);
      const ttl = await claims.pttl(keys[0]!);
      expect(ttl).toBeGreaterThan(0);
    } finally {
      claims.disconnect();
    }
  });
});
