import { Logger } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import request from 'supertest';
import {
  HeartbeatExpiryScheduler,
  HeartbeatModule,
} from '../src/heartbeat/index.js';
import { RedisHeartbeatStore } from '../src/heartbeat/redis/index.js';
import { FakeHeartbeatClock } from '../src/heartbeat/testing/index.js';
import {
  createHeartbeatApp,
  type HeartbeatTestApp,
} from './support/create-heartbeat-app.js';
import { PLATFORMS } from './support/platforms.js';
import { eventually } from './support/private-redis.js';
import {
  deleteKeys,
  describeWithRedis,
  TEST_REDIS_URL,
  uniquePrefix,
} from './support/redis.js';

/** Two replicas of the server on one Redis behave as one server. */
describeWithRedis('two replicas on one Redis', () => {
  const [express] = PLATFORMS;
  let prefix: string;
  let clock: FakeHeartbeatClock;
  let a: HeartbeatTestApp;
  let b: HeartbeatTestApp;

  async function replica(): Promise<HeartbeatTestApp> {
    const t = await createHeartbeatApp(express!, {
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
      // Both replicas share one clock: in production that is Redis time (RedisTimeClock).
      clock,
    });
    await eventually(
      async () => (await request(t.server).get('/list')).status === 200,
      'replica connected to Redis',
    );
    return t;
  }

  beforeEach(async () => {
    prefix = uniquePrefix();
    clock = new FakeHeartbeatClock();
    a = await replica();
    b = await replica();
  });
  afterEach(async () => {
    await a.app.close();
    await b.app.close();
    await deleteKeys(prefix);
    vi.restoreAllMocks();
  });

  it('an app registered through A is listed by B with the same status', async () => {
    await request(a.server)
      .get('/hb_init?1725&appid=Tetris')
      .expect(200, '2725');
    await request(b.server)
      .post('/hb_ping?1725')
      .type('form')
      .send('appid=Zelda')
      .expect(200);
    clock.advance(4987);
    for (const replica of [a, b]) {
      expect((await request(replica.server).get('/list')).text).toBe(
        'Tetris\nZelda\n',
      );
      expect(
        (await request(replica.server).get('/status?0&appid=Tetris')).text,
      ).toBe('OK - fine application [Tetris]| od=1.83;3;5;0;6 delay=2725ms;;;');
    }
    await request(b.server).get('/hb_done?0&appid=Tetris').expect(200);
    expect((await request(a.server).get('/list')).text).toBe('Zelda\n');
  });

  it('a drop happens once: exactly one replica removes and logs it', async () => {
    const warn = vi
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation(() => {});
    await request(a.server).get('/hb_init?0&appid=Gone');
    clock.advance(6000);
    await Promise.all([
      a.app.get(HeartbeatExpiryScheduler).tick(),
      b.app.get(HeartbeatExpiryScheduler).tick(),
      a.app.get(HeartbeatExpiryScheduler).tick(),
      b.app.get(HeartbeatExpiryScheduler).tick(),
    ]);
    const drops = warn.mock.calls.filter(([m]) =>
      String(m).includes('dropped application [Gone]'),
    );
    expect(drops).toHaveLength(1);
  });

  it('the registry limit holds across replicas', async () => {
    await a.app.close();
    await b.app.close();
    const limited = (store: RedisHeartbeatStore) =>
      createHeartbeatApp(express!, {
        imports: [
          ScheduleModule.forRoot(),
          HeartbeatModule.forRoot({ store, maxApps: 3 }),
        ],
        clock,
      });
    a = await limited(
      new RedisHeartbeatStore({ url: TEST_REDIS_URL, keyPrefix: prefix }),
    );
    b = await limited(
      new RedisHeartbeatStore({ url: TEST_REDIS_URL, keyPrefix: prefix }),
    );
    await eventually(
      async () => (await request(b.server).get('/list')).status === 200,
      'ready',
    );
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        request(i % 2 ? a.server : b.server).get(`/hb_init?0&appid=app-${i}`),
      ),
    );
    expect(answers.filter((r) => r.status === 200)).toHaveLength(3);
    expect(answers.filter((r) => r.status === 503)).toHaveLength(5);
  });

  it('a replica that goes away mid-traffic loses nothing it acknowledged', async () => {
    // .then() sends each request now; supertest is lazy otherwise.
    const writes = Array.from({ length: 50 }, (_, i) =>
      request(a.server)
        .get(`/hb_ping?1000&appid=app-${i}`)
        .then((response) => response),
    );
    await Promise.race(writes);
    const closing = a.app.close(); // while the rest are in flight
    const answers = await Promise.allSettled(writes);
    await closing;
    const acknowledged = answers.flatMap((answer, i) =>
      answer.status === 'fulfilled' && answer.value.status === 200
        ? [`app-${i}`]
        : [],
    );
    expect(acknowledged.length).toBeGreaterThan(0);
    const ids = (await request(b.server).get('/list')).text
      .split('\n')
      .filter(Boolean);
    expect(ids).toEqual(expect.arrayContaining(acknowledged));
    a = await replica();
    expect((await request(a.server).get('/status')).text).toBe(
      `WARNING - multiple (${ids.length}) applications: [${ids.join(',')}]`,
    );
  });
});
