import { ScheduleModule } from '@nestjs/schedule';
import request from 'supertest';
import {
  HeartbeatModule,
  HeartbeatRegistry,
  type HeartbeatAppView,
} from '../src/heartbeat/index.js';
import {
  createHeartbeatApp,
  type HeartbeatTestApp,
} from './support/create-heartbeat-app.js';
import { PLATFORMS } from './support/platforms.js';

const ADMIN = 'admin-token.42';
const READ = 'nagios-read-token';

describe.each(PLATFORMS)('pause and resume on $name', (platform) => {
  let t: HeartbeatTestApp;
  let registry: HeartbeatRegistry;

  beforeEach(async () => {
    t = await createHeartbeatApp(platform, {
      imports: [
        ScheduleModule.forRoot(),
        HeartbeatModule.forRoot({ api: true }),
      ],
    });
    registry = t.app.get(HeartbeatRegistry);
  });
  afterEach(() => t.app.close());

  /** Moves time and runs the expiry task, as the scheduler does each second. */
  async function pass(ms: number): Promise<void> {
    t.clock.advance(ms);
    await registry.sweep();
  }
  const status = async (id: string) =>
    (await request(t.server).get(`/status?appid=${id}`).expect(200)).text;

  it('POST /apps/:id/pause holds an app OK until resumed, through heartbeats and sweeps', async () => {
    const start = t.clock.now();
    await request(t.server).get('/hb_init?1000&appid=batch').expect(200);
    await pass(9000); // od 4.5: WARNING
    const paused = (
      await request(t.server).post('/apps/batch/pause').expect(200)
    ).body as HeartbeatAppView;
    expect(paused).toEqual({
      id: 'batch',
      state: 'OK',
      od: 0,
      timeoutMs: 1000,
      delayMs: 2000,
      lastSeen: new Date(start).toISOString(),
      registeredAt: new Date(start).toISOString(),
      dropsAt: null,
      paused: true,
      pausedAt: new Date(start + 9000).toISOString(),
      pausedUntil: null,
    });
    expect(await status('batch')).toBe(
      'OK - paused application [batch]| od=0.00;3;5;0;6 delay=2000ms;;;',
    );
    await pass(86_400_000); // a day
    await request(t.server).get('/hb_ping?1000&appid=batch').expect(200);
    await pass(60_000);
    expect(await status('batch')).toBe(
      'OK - paused application [batch]| od=0.00;3;5;0;6 delay=2000ms;;;',
    );
    expect(
      (await request(t.server).get('/apps/batch').expect(200)).body,
    ).toMatchObject({ paused: true, lastSeen: expect.any(String) });

    const resumed = (
      await request(t.server).post('/apps/batch/resume').expect(200)
    ).body as HeartbeatAppView;
    expect(resumed).toMatchObject({
      state: 'OK',
      od: 0,
      paused: false,
      pausedAt: null,
      pausedUntil: null,
    });
    await pass(6000); // 3 T after the resume
    expect(await status('batch')).toBe(
      'WARNING - somewhat late application [batch]| od=3.00;3;5;0;6 delay=2000ms;;;',
    );
  });

  it('takes `until` as ISO 8601 in a JSON body or epoch milliseconds in the query, and ends there', async () => {
    await request(t.server).get('/hb_init?1000&appid=a').expect(200);
    await request(t.server).get('/hb_init?1000&appid=b').expect(200);
    const until = t.clock.now() + 60_000;
    expect(
      (
        await request(t.server)
          .post('/apps/a/pause')
          .send({ until: new Date(until).toISOString() })
          .expect(200)
      ).body,
    ).toMatchObject({
      paused: true,
      pausedUntil: new Date(until).toISOString(),
    });
    expect(
      (
        await request(t.server)
          .post(`/apps/b/pause?until=${until + 1000}`)
          .expect(200)
      ).body,
    ).toMatchObject({ pausedUntil: new Date(until + 1000).toISOString() });
    await pass(59_999);
    expect(await status('a')).toMatch(/^OK - paused application \[a\]/);
    await pass(1);
    expect(await status('a')).toBe(
      'OK - fine application [a]| od=0.00;3;5;0;6 delay=2000ms;;;',
    );
    expect(await status('b')).toMatch(/^OK - paused application \[b\]/);
    await pass(6000);
    expect(await status('a')).toMatch(/^WARNING - somewhat late application/);
    expect(await status('b')).toMatch(/^OK - fine application/);
  });

  it('refuses an until that is not a time to come, and answers 404 for unknown apps', async () => {
    await request(t.server).get('/hb_init?1000&appid=a').expect(200);
    for (const until of [
      'tomorrow',
      '2026-13-01T00:00:00Z',
      '2026-06-01', // a date without a time and zone
      new Date(t.clock.now() - 1).toISOString(),
    ]) {
      const response = await request(t.server)
        .post('/apps/a/pause')
        .send({ until })
        .expect(400);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect((response.body as { message: string }).message).toMatch(
        /^until must be a time to come/,
      );
    }
    await request(t.server)
      .post('/apps/a/pause')
      .send({ until: { at: 1 } })
      .expect(400);
    expect((await registry.get('a'))?.paused).toBe(false);
    expect(
      (await request(t.server).post('/apps/nobody/pause').expect(404)).body
        .message,
    ).toBe('CRITICAL - no application record for queried ID: [nobody]');
    await request(t.server).post('/apps/nobody/resume').expect(404);
    await request(t.server).get('/apps/a/pause').expect(404);
  });

  it('shows paused apps in GET /apps and the host status', async () => {
    await request(t.server).get('/hb_init?1000&appid=solo').expect(200);
    await request(t.server).post('/apps/solo/pause').expect(200);
    expect((await request(t.server).get('/status').expect(200)).text).toBe(
      'OK - paused application [solo]| od=0.00;3;5;0;6 delay=2000ms;;;',
    );
    expect(
      (await request(t.server).get('/apps').expect(200)).body.apps,
    ).toEqual([expect.objectContaining({ id: 'solo', paused: true })]);
  });
});

describe.each(PLATFORMS)('pause and resume under auth on $name', (platform) => {
  let t: HeartbeatTestApp;

  beforeEach(async () => {
    t = await createHeartbeatApp(platform, {
      imports: [
        ScheduleModule.forRoot(),
        HeartbeatModule.forRoot({
          api: true,
          auth: { read: [READ], admin: [ADMIN] },
        }),
      ],
    });
  });
  afterEach(() => t.app.close());

  it('are admin operations: 401 without a token, 403 with a read token, never changing the app', async () => {
    const registry = t.app.get(HeartbeatRegistry);
    await registry.register('batch', 1000);
    for (const path of ['/apps/batch/pause', '/apps/batch/resume']) {
      await request(t.server).post(path).expect(401);
      expect(
        (
          await request(t.server)
            .post(path)
            .set('Authorization', `Bearer ${READ}`)
            .expect(403)
        ).body.message,
      ).toBe('this token may not administer the registry');
    }
    expect((await registry.get('batch'))?.paused).toBe(false);
    await request(t.server)
      .post('/apps/batch/pause')
      .set('Authorization', `Bearer ${ADMIN}`)
      .expect(200);
    expect((await registry.get('batch'))?.paused).toBe(true);
    await request(t.server)
      .post('/apps/batch/resume')
      .set('Authorization', `Bearer ${ADMIN}`)
      .expect(200);
    expect((await registry.get('batch'))?.paused).toBe(false);
  });
});
