import { Logger } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import express from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createHeartbeatMiddleware } from '../src/heartbeat/express/index.js';
import {
  HeartbeatExpiryScheduler,
  HeartbeatModule,
  HeartbeatRegistry,
  type HeartbeatLogger,
} from '../src/heartbeat/index.js';
import { HEARTBEAT_LOGGER } from '../src/heartbeat/nest/heartbeat.constants.js';
import { RedisHeartbeatStore } from '../src/heartbeat/redis/index.js';
import { FakeHeartbeatClock } from '../src/heartbeat/testing/index.js';
import { freePort } from './support/build-standalone.js';
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

/** A logger that keeps every line, by level. */
function linesLogger(): { logger: HeartbeatLogger; lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (message: string) =>
    void lines.push(`${level} ${message}`);
  return {
    lines,
    logger: {
      log: keep('log'),
      warn: keep('warn'),
      error: keep('error'),
      debug: () => undefined,
    },
  };
}

/** Ways Redis keeps answering reads while it refuses writes. */
const WRITE_REFUSALS = [
  {
    name: 'out of memory (maxmemory 1, noeviction)',
    logged:
      /^error heartbeat store: Redis refuses writes \(OOM command not allowed/,
    refuse: async (admin: Redis) => {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'maxmemory', '1');
    },
    restore: async (admin: Redis) => {
      await admin.config('SET', 'maxmemory', '0');
    },
  },
  {
    name: 'a read-only replica (REPLICAOF a master that is gone)',
    logged:
      /^error heartbeat store: Redis refuses writes \(READONLY You can't write/,
    refuse: async (admin: Redis) => {
      await admin.replicaof('127.0.0.1', await freePort());
    },
    restore: async (admin: Redis) => {
      await admin.replicaof('NO', 'ONE');
    },
  },
] as const;

interface RedisFace {
  readonly server: Parameters<typeof request>[0];
  readonly registry: HeartbeatRegistry;
  readonly clock: FakeHeartbeatClock;
  close(): Promise<void>;
}

/** The faces an embedder uses, each on its own store over the same private Redis. */
const REDIS_FACES: ReadonlyArray<{
  name: string;
  start(store: RedisHeartbeatStore): Promise<RedisFace>;
}> = [
  ...PLATFORMS.map((platform) => ({
    name: `module on ${platform.name}`,
    start: async (store: RedisHeartbeatStore): Promise<RedisFace> => {
      const t = await createHeartbeatApp(platform, {
        imports: [ScheduleModule.forRoot(), HeartbeatModule.forRoot({ store })],
      });
      return {
        server: t.server,
        registry: t.app.get(HeartbeatRegistry),
        clock: t.clock,
        close: () => t.app.close(),
      };
    },
  })),
  {
    name: 'Express middleware',
    start: async (store: RedisHeartbeatStore): Promise<RedisFace> => {
      const clock = new FakeHeartbeatClock();
      const heartbeat = createHeartbeatMiddleware({
        store,
        clock,
        logger: linesLogger().logger,
      });
      const app = express();
      app.use(heartbeat);
      return {
        server: app,
        registry: heartbeat.registry,
        clock,
        close: () => heartbeat.close(),
      };
    },
  },
];

describeWithRedisServerBinary(
  'Redis refusing writes while it answers reads',
  () => {
    let redis: PrivateRedis;
    let admin: Redis;
    let face: RedisFace | undefined;
    let restore: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      redis = await PrivateRedis.start();
      admin = new Redis(redis.url);
    });
    afterAll(async () => {
      admin?.disconnect();
      await redis?.kill();
    });
    afterEach(async () => {
      await restore?.();
      restore = undefined;
      await face?.close();
      face = undefined;
    });

    describe.each(REDIS_FACES)('$name', (definition) => {
      it.each(WRITE_REFUSALS)(
        '$name: UNKNOWN while refused, no app judged late for that time, one line down and one back',
        async (cause) => {
          const { logger, lines } = linesLogger();
          const store = new RedisHeartbeatStore({
            url: redis.url,
            keyPrefix: uniquePrefix(),
            commandTimeoutMs: 300,
            logger,
          });
          face = await definition.start(store);
          const { server, registry, clock } = face;
          const http = () => request(server);
          const ping = () =>
            http().get('/hb_ping?1000&appid=worker').timeout(ANSWER_WITHIN_MS);
          const status = (query: string) =>
            http().get(`/status${query}`).timeout(ANSWER_WITHIN_MS);
          await eventually(
            async () => (await ping()).status === 200,
            'connected',
          );

          restore = () => cause.restore(admin);
          await cause.refuse(admin);
          for (let i = 0; i < 3; i++) {
            expectPlainText(await ping(), 503, UNAVAILABLE);
            expectPlainText(await status(''), 200, UNKNOWN);
            expectPlainText(await status('?appid=worker'), 200, UNKNOWN);
            // 30 s refused: by the wall clock od = 15, far past the drop threshold.
            clock.advance(10_000);
          }
          // Reads still work: the app is listed, judged as it was when heartbeats were refused.
          expectPlainText(await http().get('/list'), 200, 'worker\n');

          await cause.restore(admin);
          restore = undefined;
          // No heartbeat needed: /status itself finds that writes are accepted again.
          expectPlainText(
            await status('?appid=worker'),
            200,
            'OK - fine application [worker]| od=0.00;3;5;0;6 delay=2000ms;;;',
          );
          clock.advance(7000);
          expectPlainText(
            await status('?appid=worker'),
            200,
            'WARNING - somewhat late application [worker]| od=3.50;3;5;0;6 delay=2000ms;;;',
          );
          expectPlainText(await ping(), 200, '2000');
          expect(registry.counters.drops).toBe(0);
          expect((await registry.get('worker'))?.od).toBe(0);

          expect(lines.filter((line) => line.startsWith('error'))).toEqual([
            expect.stringMatching(cause.logged),
          ]);
          expect(
            lines.filter((line) => /Redis is back/.test(line)),
          ).toHaveLength(1);
        },
      );
    });

    it('logs every outage once when it begins and once when it ends, whatever the cause', async () => {
      const { logger, lines } = linesLogger();
      const store = new RedisHeartbeatStore({
        url: redis.url,
        keyPrefix: uniquePrefix(),
        commandTimeoutMs: 300,
        logger,
      });
      const module = linesLogger();
      const t = await createHeartbeatApp(PLATFORMS[0]!, {
        imports: [ScheduleModule.forRoot(), HeartbeatModule.forRoot({ store })],
        override: (builder) =>
          builder.overrideProvider(HEARTBEAT_LOGGER).useValue(module.logger),
      });
      face = {
        server: t.server,
        registry: t.app.get(HeartbeatRegistry),
        clock: t.clock,
        close: () => t.app.close(),
      };
      const scheduler = t.app.get(HeartbeatExpiryScheduler);
      const ping = () =>
        request(t.server)
          .get('/hb_ping?1000&appid=worker')
          .timeout(ANSWER_WITHIN_MS);
      const serving = async () => (await ping()).status === 200;
      await eventually(serving, 'connected');

      // A hung Redis: commands time out, the connection stays up.
      redis.pause();
      try {
        for (let i = 0; i < 3; i++) {
          expectPlainText(await ping(), 503, UNAVAILABLE);
          await scheduler.tick();
        }
      } finally {
        redis.resume();
      }
      await eventually(serving, 'serving after Redis thawed');
      // Out of memory: writes refused, reads answered.
      await WRITE_REFUSALS[0].refuse(admin);
      restore = () => WRITE_REFUSALS[0].restore(admin);
      for (let i = 0; i < 3; i++) {
        expectPlainText(await ping(), 503, UNAVAILABLE);
        await scheduler.tick();
      }
      await WRITE_REFUSALS[0].restore(admin);
      restore = undefined;
      await eventually(serving, 'serving once memory is available');

      const outages = lines.filter((line) => !line.startsWith('log'));
      expect(outages).toEqual([
        expect.stringMatching(
          /^error heartbeat store: Redis unavailable \(Command timed out\)/,
        ),
        expect.stringMatching(
          /^error heartbeat store: Redis refuses writes \(OOM /,
        ),
      ]);
      expect(
        lines.filter((line) => line === 'log heartbeat store: Redis is back'),
      ).toHaveLength(2);
      // The expiry task says nothing of its own about the outage, however many ticks it spans.
      expect(module.lines.filter((line) => /expiry sweep/.test(line))).toEqual(
        [],
      );
    });
  },
);
