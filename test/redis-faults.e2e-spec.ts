import { Logger } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import request from 'supertest';
import { HeartbeatModule } from '../src/heartbeat/index.js';
import { RedisHeartbeatStore } from '../src/heartbeat/redis/index.js';
import {
  createHeartbeatApp,
  type HeartbeatTestApp,
} from './support/create-heartbeat-app.js';
import { expectPlainText } from './support/expect-plain-text.js';
import { PLATFORMS } from './support/platforms.js';
import { eventually, PrivateRedis } from './support/private-redis.js';
import {
  describeWithRedisServerBinary,
  uniquePrefix,
} from './support/redis.js';

const UNAVAILABLE = 'ERROR: store unavailable';
const UNKNOWN = 'UNKNOWN - heartbeat store unavailable';
// Requests must be answered well within this, never hang: the store's command timeout is 300 ms.
const ANSWER_WITHIN_MS = 3000;

// These tests start their own redis-server on a free port, so they can kill it: they need the
// binary, not the shared test Redis, and follow the same skip-or-fail policy as the Redis suites.
describeWithRedisServerBinary('Redis faults', () => {
  const [express] = PLATFORMS;
  let redis: PrivateRedis;
  let t: HeartbeatTestApp;

  async function startApp(url: string): Promise<void> {
    t = await createHeartbeatApp(express!, {
      imports: [
        ScheduleModule.forRoot(),
        HeartbeatModule.forRoot({
          store: new RedisHeartbeatStore({
            url,
            keyPrefix: uniquePrefix(),
            commandTimeoutMs: 300,
          }),
        }),
      ],
    });
  }

  const ping = (id: string) =>
    request(t.server)
      .get(`/hb_ping?1000&appid=${id}`)
      .timeout(ANSWER_WITHIN_MS);
  const status = (query = '') =>
    request(t.server).get(`/status${query}`).timeout(ANSWER_WITHIN_MS);
  const serving = async () => (await ping('probe')).status === 200;

  beforeEach(() => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => {});
    vi.spyOn(Logger.prototype, 'log').mockImplementation(() => {});
  });
  afterEach(async () => {
    await t?.app.close();
    await redis?.kill();
    vi.restoreAllMocks();
  });

  it('Redis lost while serving: fast 503, UNKNOWN status, and recovery without a restart', async () => {
    redis = await PrivateRedis.start();
    await startApp(redis.url);
    await eventually(serving, 'connected');
    expectPlainText(await ping('worker'), 200, '2000');

    await redis.kill();
    expectPlainText(await ping('worker'), 503, UNAVAILABLE);
    expectPlainText(
      await request(t.server).get('/hb_done?appid=worker'),
      503,
      UNAVAILABLE,
    );
    expectPlainText(await request(t.server).get('/list'), 503, UNAVAILABLE);
    expectPlainText(await status(), 200, UNKNOWN);
    expectPlainText(await status('?0&appid=worker'), 200, UNKNOWN);

    await redis.start();
    await eventually(serving, 'service resumed after Redis came back');
    expectPlainText(await ping('worker'), 200, '2000');
    expect((await status('?appid=worker')).text).toMatch(
      /^OK - fine application \[worker\]/,
    );
  });

  it('a hung Redis is answered with 503 within the command timeout, not a hang', async () => {
    redis = await PrivateRedis.start();
    await startApp(redis.url);
    await eventually(serving, 'connected');

    redis.pause();
    try {
      expectPlainText(await ping('worker'), 503, UNAVAILABLE);
      expectPlainText(await status(), 200, UNKNOWN);
    } finally {
      redis.resume();
    }
    await eventually(serving, 'service resumed after Redis thawed');
  });

  it('Redis unreachable at start-up: the server starts, answers 503/UNKNOWN, then recovers', async () => {
    redis = await PrivateRedis.start();
    await redis.kill();
    await startApp(redis.url); // nothing listens there now

    expectPlainText(await ping('early'), 503, UNAVAILABLE);
    expectPlainText(await status(), 200, UNKNOWN);

    await redis.start();
    await eventually(serving, 'service started once Redis came up');
    expect((await request(t.server).get('/list')).text).toBe('probe\n');
  });
});
