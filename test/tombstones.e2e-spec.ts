import { ScheduleModule } from '@nestjs/schedule';
import request from 'supertest';
import {
  HEARTBEAT_STORE,
  HeartbeatExpiryScheduler,
  HeartbeatModule,
  HeartbeatRegistry,
  type HeartbeatModuleForRootOptions,
  type HeartbeatStore,
} from '../src/heartbeat/index.js';
import { RedisHeartbeatStore } from '../src/heartbeat/redis/index.js';
import { FakeHeartbeatClock } from '../src/heartbeat/testing/index.js';
import {
  createHeartbeatApp,
  type HeartbeatTestApp,
} from './support/create-heartbeat-app.js';
import {
  startFrontDoorApp,
  type FrontDoorApp,
} from './support/front-door-app.js';
import { PLATFORMS } from './support/platforms.js';
import { eventually } from './support/private-redis.js';
import {
  deleteKeys,
  describeWithRedis,
  TEST_REDIS_URL,
  uniquePrefix,
} from './support/redis.js';

const iso = (ms: number) => new Date(ms).toISOString();
const unknownLine = (id: string) =>
  `CRITICAL - no application record for queried ID: [${id}]`;

/** Remember the dead: a 404 of `GET /apps/:id` tells how and when an app ended. */
describe.each(PLATFORMS)('tombstones on $name', (platform) => {
  let t: HeartbeatTestApp;

  async function start(options: HeartbeatModuleForRootOptions = {}) {
    t = await createHeartbeatApp(platform, {
      imports: [
        ScheduleModule.forRoot(),
        HeartbeatModule.forRoot({
          api: true,
          sweepIntervalMs: 3_600_000,
          ...options,
        }),
      ],
    });
  }
  const sweep = () => t.app.get(HeartbeatExpiryScheduler).tick();
  const app = (id: string) =>
    request(t.server).get(`/apps/${encodeURIComponent(id)}`);

  beforeEach(() => start());
  afterEach(() => t.app.close());

  it('a dropped app is a 404 with state EXPIRED, its last heartbeat and when it was dropped', async () => {
    const begin = t.clock.now();
    await request(t.server).get('/hb_init?1000&appid=Tetris').expect(200);
    t.clock.advance(12_000); // T = 2000: dropped at od 6
    const expected = {
      statusCode: 404,
      error: 'Not Found',
      message: unknownLine('Tetris'),
      id: 'Tetris',
      state: 'EXPIRED',
      lastSeen: iso(begin),
      lastSeenMs: begin,
      endedAt: iso(begin + 12_000),
      endedAtMs: begin + 12_000,
    };
    // The same answer before and after the expiry task removes it.
    expect((await app('Tetris').expect(404)).body).toEqual(expected);
    await sweep();
    t.clock.advance(3_600_000);
    const response = await app('Tetris').expect(404);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual(expected);
  });

  it('hb_done and DELETE /apps/:id leave DEREGISTERED', async () => {
    const begin = t.clock.now();
    await request(t.server).get('/hb_init?0&appid=a%2Fb').expect(200);
    await request(t.server).get('/hb_init?0&appid=Zelda').expect(200);
    t.clock.advance(500);
    await request(t.server).get('/hb_done?0&appid=a%2Fb').expect(200);
    expect((await app('a/b').expect(404)).body).toMatchObject({
      id: 'a/b',
      state: 'DEREGISTERED',
      lastSeen: iso(begin),
      endedAt: iso(begin + 500),
      endedAtMs: begin + 500,
    });
    t.clock.advance(500);
    await request(t.server).delete('/apps/Zelda').expect(200);
    expect((await app('Zelda').expect(404)).body).toMatchObject({
      state: 'DEREGISTERED',
      endedAtMs: begin + 1000,
    });
    // Deleting it again: the same 404.
    expect(
      (await request(t.server).delete('/apps/Zelda').expect(404)).body,
    ).toMatchObject({ statusCode: 404, state: 'DEREGISTERED' });
  });

  it('a registration of the ID clears its tombstone', async () => {
    await request(t.server).get('/hb_init?0&appid=x').expect(200);
    await request(t.server).get('/hb_done?0&appid=x').expect(200);
    await request(t.server).get('/hb_ping?0&appid=x').expect(200);
    expect((await app('x').expect(200)).body).toMatchObject({
      id: 'x',
      state: 'OK',
    });
    await request(t.server).get('/hb_done?0&appid=x').expect(200);
    await request(t.server).get('/hb_init?0&appid=x').expect(200);
    expect((await app('x').expect(200)).body).toMatchObject({ state: 'OK' });
  });

  it('never seen, or ended tombstoneMs ago: the plain 404', async () => {
    const plain = (id: string) => ({
      statusCode: 404,
      error: 'Not Found',
      message: unknownLine(id),
    });
    expect((await app('nobody').expect(404)).body).toEqual(plain('nobody'));
    await request(t.server).get('/hb_init?0&appid=old').expect(200);
    await request(t.server).get('/hb_done?0&appid=old').expect(200);
    t.clock.advance(86_400_000 - 1);
    expect((await app('old').expect(404)).body).toMatchObject({
      state: 'DEREGISTERED',
    });
    t.clock.advance(1);
    expect((await app('old').expect(404)).body).toEqual(plain('old'));
  });

  it('/status?appid= says exactly what the protocol says, tombstone or not', async () => {
    await request(t.server).get('/hb_init?0&appid=Gone').expect(200);
    await request(t.server).get('/hb_done?0&appid=Gone').expect(200);
    await request(t.server).get('/hb_init?0&appid=Late').expect(200);
    t.clock.advance(6000);
    await sweep();
    for (const id of ['Gone', 'Late', 'Never']) {
      for (const path of [`/status?appid=${id}`, `/status?0&appid=${id}`]) {
        const response = await request(t.server).get(path).expect(200);
        expect(response.text).toBe(unknownLine(id));
      }
    }
  });

  it('keeps at most maxTombstones, forgetting the oldest first', async () => {
    await t.app.close();
    await start({ maxTombstones: 2 });
    for (const id of ['a', 'b', 'c']) {
      await request(t.server).get(`/hb_init?0&appid=${id}`).expect(200);
      t.clock.advance(10);
      await request(t.server).get(`/hb_done?0&appid=${id}`).expect(200);
    }
    expect((await app('a').expect(404)).body).not.toHaveProperty('state');
    for (const id of ['b', 'c'])
      expect((await app(id).expect(404)).body).toMatchObject({
        state: 'DEREGISTERED',
      });
  });

  it('tombstoneMs 0 turns them off', async () => {
    await t.app.close();
    await start({ tombstoneMs: 0 });
    await request(t.server).get('/hb_init?0&appid=x').expect(200);
    await request(t.server).get('/hb_done?0&appid=x').expect(200);
    expect((await app('x').expect(404)).body).not.toHaveProperty('state');
    expect(await t.app.get(HeartbeatRegistry).tombstone('x')).toBeUndefined();
  });
});

/** The standalone server's shape: the front door answers hb_done, Nest the JSON API. */
describe('tombstones behind the standalone front door', () => {
  let door: FrontDoorApp;
  afterEach(() => door.app.close());

  it('a goodbye to the front door and a drop are told apart by the JSON 404', async () => {
    door = await startFrontDoorApp(
      { tombstoneMs: 60_000 },
      { dashboard: false },
    );
    const server = door.app.getHttpServer();
    const begin = door.clock.now();
    await request(server).get('/any/prefix/hb_init?0&appid=bye').expect(200);
    await request(server).get('/hb_init?0&appid=late').expect(200);
    await request(server).get('/hb_done?0&appid=bye').expect(200);
    door.clock.advance(6000);
    expect(
      (await request(server).get('/apps/bye').expect(404)).body,
    ).toMatchObject({
      statusCode: 404,
      state: 'DEREGISTERED',
      endedAtMs: begin,
    });
    expect(
      (await request(server).get('/apps/late').expect(404)).body,
    ).toMatchObject({
      state: 'EXPIRED',
      lastSeen: iso(begin),
      endedAt: iso(begin + 6000),
    });
    expect((await request(server).get('/status?appid=late')).text).toBe(
      unknownLine('late'),
    );
    door.clock.advance(60_000);
    expect((await request(server).get('/apps/late').expect(404)).body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: unknownLine('late'),
    });
  });
});

/** One replica drops or deregisters an app; the other answers its 404. */
describeWithRedis('tombstones shared by two replicas on one Redis', () => {
  const [express, fastify] = PLATFORMS;
  let prefix: string;
  let clock: FakeHeartbeatClock;
  let a: HeartbeatTestApp;
  let b: HeartbeatTestApp;

  async function replica(
    platform: (typeof PLATFORMS)[number],
  ): Promise<HeartbeatTestApp> {
    const t = await createHeartbeatApp(platform, {
      imports: [
        ScheduleModule.forRoot(),
        HeartbeatModule.forRoot({
          api: true,
          store: new RedisHeartbeatStore({
            url: TEST_REDIS_URL,
            keyPrefix: prefix,
          }),
          sweepIntervalMs: 3_600_000,
          maxTombstones: 2,
        }),
      ],
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
    a = await replica(express!);
    b = await replica(fastify!);
  });
  afterEach(async () => {
    await a.app.close();
    await b.app.close();
    await deleteKeys(prefix);
  });

  it('a drop swept by A and a goodbye to A are answered by B, until B sees it again', async () => {
    const begin = clock.now();
    await request(a.server).get('/hb_init?0&appid=Gone').expect(200);
    await request(a.server).get('/hb_init?60000&appid=Bye').expect(200);
    clock.advance(6000);
    await a.app.get(HeartbeatExpiryScheduler).tick();
    // Swept by A: B's answer comes from the shared tombstone, not from a record left behind.
    expect(
      await b.app.get<HeartbeatStore>(HEARTBEAT_STORE).get('Gone'),
    ).toBeUndefined();
    await request(a.server).get('/hb_done?0&appid=Bye').expect(200);
    expect(
      (await request(b.server).get('/apps/Gone').expect(404)).body,
    ).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: unknownLine('Gone'),
      id: 'Gone',
      state: 'EXPIRED',
      lastSeen: iso(begin),
      lastSeenMs: begin,
      endedAt: iso(begin + 6000),
      endedAtMs: begin + 6000,
    });
    expect(
      (await request(b.server).get('/apps/Bye').expect(404)).body,
    ).toMatchObject({
      state: 'DEREGISTERED',
      endedAtMs: begin + 6000,
    });
    await request(b.server).get('/hb_ping?0&appid=Gone').expect(200);
    expect(
      (await request(a.server).get('/apps/Gone').expect(200)).body,
    ).toMatchObject({
      state: 'OK',
    });
    expect((await request(a.server).get('/status?appid=Bye')).text).toBe(
      unknownLine('Bye'),
    );
  });

  it('the count bound holds for both replicas', async () => {
    for (const [i, id] of ['p', 'q', 'r'].entries()) {
      const via = i % 2 ? b : a;
      await request(via.server).get(`/hb_init?0&appid=${id}`).expect(200);
      clock.advance(10);
      await request(via.server).get(`/hb_done?0&appid=${id}`).expect(200);
    }
    for (const t of [a, b]) {
      expect(
        (await request(t.server).get('/apps/p').expect(404)).body,
      ).not.toHaveProperty('state');
      expect(
        (await request(t.server).get('/apps/r').expect(404)).body,
      ).toMatchObject({
        state: 'DEREGISTERED',
      });
    }
  });
});
