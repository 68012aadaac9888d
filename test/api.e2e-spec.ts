import { Logger } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import request from 'supertest';
import {
  HEARTBEAT_STORE,
  HeartbeatModule,
  type HeartbeatStore,
} from '../src/heartbeat/index.js';
import {
  createHeartbeatApp,
  type HeartbeatTestApp,
} from './support/create-heartbeat-app.js';
import { PLATFORMS } from './support/platforms.js';

describe.each(PLATFORMS)('JSON API on $name', (platform) => {
  let t: HeartbeatTestApp;

  beforeEach(async () => {
    t = await createHeartbeatApp(platform, {
      imports: [
        ScheduleModule.forRoot(),
        HeartbeatModule.forRoot({ api: true }),
      ],
    });
  });
  afterEach(async () => {
    await t.app.close();
    vi.restoreAllMocks();
  });

  it('GET /apps lists live apps with state, od, timeout and ISO times', async () => {
    expect((await request(t.server).get('/apps').expect(200)).body).toEqual({
      apps: [],
      next: null,
    });
    const start = t.clock.now();
    await request(t.server).get('/hb_init?1000&appid=Tetris').expect(200);
    await request(t.server).get('/hb_init?60000&appid=a%2Fb').expect(200);
    t.clock.advance(7000); // Tetris: od = 3.5

    const response = await request(t.server).get('/apps').expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual({
      apps: [
        {
          id: 'Tetris',
          state: 'WARNING',
          od: 3.5,
          timeoutMs: 1000,
          delayMs: 2000,
          lastSeen: new Date(start).toISOString(),
          registeredAt: new Date(start).toISOString(),
          dropsAt: new Date(start + 12_000).toISOString(),
          paused: false,
          pausedAt: null,
          pausedUntil: null,
        },
        expect.objectContaining({ id: 'a/b', state: 'OK', timeoutMs: 60_000 }),
      ],
      next: null,
    });
  });

  it('GET /apps pages by limit and cursor, and filters by state and ID', async () => {
    for (const id of ['a1', 'b1', 'a2', 'late', 'a3'])
      await request(t.server)
        .get(`/hb_init?${id === 'late' ? 0 : 60_000}&appid=${id}`)
        .expect(200);
    t.clock.advance(3000); // late: WARNING
    const ids = (body: { apps: Array<{ id: string }> }) =>
      body.apps.map((app) => app.id);

    const first = (await request(t.server).get('/apps?limit=2').expect(200))
      .body as { apps: Array<{ id: string }>; next: string };
    expect(ids(first)).toEqual(['a1', 'b1']);
    const second = (
      await request(t.server)
        .get(`/apps?limit=2&cursor=${encodeURIComponent(first.next)}`)
        .expect(200)
    ).body as { apps: Array<{ id: string }>; next: string };
    expect(ids(second)).toEqual(['a2', 'late']);
    const last = (
      await request(t.server)
        .get(`/apps?limit=2&cursor=${encodeURIComponent(second.next)}`)
        .expect(200)
    ).body as { apps: Array<{ id: string }>; next: string | null };
    expect(last).toMatchObject({ next: null });
    expect(ids(last)).toEqual(['a3']);

    expect(
      ids((await request(t.server).get('/apps?state=WARNING')).body),
    ).toEqual(['late']);
    expect(
      ids((await request(t.server).get('/apps?idContains=a&limit=5')).body),
    ).toEqual(['a1', 'a2', 'late', 'a3']);
  });

  it('refuses a bad limit, state or cursor with a JSON 400', async () => {
    for (const query of [
      'limit=0',
      'limit=1001',
      'limit=ten',
      'state=LATE',
      'cursor=nope',
      'limit=1&limit=2',
    ]) {
      const response = await request(t.server).get(`/apps?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400 });
    }
  });

  it('GET /apps/:id shows one app, decoded', async () => {
    await request(t.server).get('/hb_init?0&appid=a%2Fb').expect(200);
    const response = await request(t.server).get('/apps/a%2Fb').expect(200);
    expect(response.body).toMatchObject({
      id: 'a/b',
      state: 'OK',
      od: 0,
      delayMs: 1000,
    });
  });

  it('an unknown or dropped app is a JSON 404', async () => {
    await request(t.server).get('/hb_init?0&appid=Gone').expect(200);
    t.clock.advance(6000);
    const response = await request(t.server).get('/apps/Gone').expect(404);
    expect(response.body).toMatchObject({
      statusCode: 404,
      message: 'CRITICAL - no application record for queried ID: [Gone]',
    });
    expect((await request(t.server).get('/apps').expect(200)).body).toEqual({
      apps: [],
      next: null,
    });
  });

  it('a bad ID is a JSON 400', async () => {
    const response = await request(t.server).get('/apps/a%0Ab').expect(400);
    expect(response.body).toMatchObject({
      statusCode: 400,
      message: 'appid contains a control character',
    });
  });

  it('an unreachable store is a JSON 503', async () => {
    const store = t.app.get<HeartbeatStore>(HEARTBEAT_STORE);
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => {});
    vi.spyOn(store, 'page').mockRejectedValue(new Error('ECONNREFUSED'));
    vi.spyOn(store, 'get').mockRejectedValue(new Error('ECONNREFUSED'));
    for (const path of ['/apps', '/apps/x']) {
      const response = await request(t.server).get(path).expect(503);
      expect(response.body).toMatchObject({
        statusCode: 503,
        message: 'store unavailable',
      });
    }
  });

  it('the text routes are unchanged beside it', async () => {
    await request(t.server).get('/hb_init?0&appid=x').expect(200, '1000');
    expect((await request(t.server).get('/list')).text).toBe('x\n');
  });
});
