import {
  HeartbeatRegistry,
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

const quiet = { log: () => {}, warn: () => {}, error: () => {} };

/** Two replicas on one Redis share every pause, and each end of a pause is reported once. */
describeWithRedis('pauses on two replicas of one Redis', () => {
  let prefix: string;
  let clock: FakeHeartbeatClock;
  let a: HeartbeatRegistry;
  let b: HeartbeatRegistry;
  let events: string[];

  async function replica(): Promise<HeartbeatRegistry> {
    const registry = HeartbeatRegistry.create(
      {
        store: new RedisHeartbeatStore({
          url: TEST_REDIS_URL,
          keyPrefix: prefix,
        }),
        // Both replicas share one clock: in production that is Redis time.
        clock,
      },
      { logger: quiet },
    );
    await eventually(
      () =>
        registry.counts().then(
          () => true,
          () => false,
        ),
      'replica connected to Redis',
    );
    return registry;
  }

  beforeEach(async () => {
    prefix = uniquePrefix();
    clock = new FakeHeartbeatClock();
    a = await replica();
    b = await replica();
    events = [];
    const note = (replica: string) => (event: HeartbeatEvent) =>
      events.push(`${replica} ${event.name} ${event.appId}`);
    a.events$.subscribe(note('A'));
    b.events$.subscribe(note('B'));
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await deleteKeys(prefix);
  });

  it('a pause set through A holds on B, through B’s heartbeats, and its end is reported once', async () => {
    await a.register('batch', 1000); // T = 2000
    await a.register('other', 1000);
    const until = clock.now() + 60_000;
    await a.pause('batch', until);
    await a.pause('other');
    expect(await b.status('batch')).toBe(
      'OK - paused application [batch]| od=0.00;3;5;0;6 delay=2000ms;;;',
    );
    await b.beat('batch', 1000);
    clock.advance(30_000);
    await Promise.all([a.sweep(), b.sweep()]);
    expect(await b.get('batch')).toMatchObject({ paused: true, od: 0 });
    expect(await a.counts()).toMatchObject({ total: 2, OK: 2, paused: 2 });

    clock.advance(30_000); // until
    await Promise.all([a.sweep(), b.sweep()]);
    await Promise.all([a.sweep(), b.sweep()]);
    expect(events.filter((e) => e.includes('heartbeat.resumed'))).toHaveLength(
      1,
    );
    expect(await a.counts()).toMatchObject({ paused: 1 });
    clock.advance(6000); // 3 T after until
    expect(await a.status('batch')).toBe(
      'WARNING - somewhat late application [batch]| od=3.00;3;5;0;6 delay=2000ms;;;',
    );

    // B resumes what A paused; A sees it at once.
    expect(await b.resume('other')).toMatchObject({ paused: false, od: 0 });
    expect(await a.get('other')).toMatchObject({ paused: false, od: 0 });
    expect(await a.counts()).toMatchObject({ paused: 0 });
  });
});
