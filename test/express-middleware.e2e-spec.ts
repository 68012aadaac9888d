import express, { type Express } from 'express';
import request from 'supertest';
import {
  createHeartbeatMiddleware,
  type HeartbeatMiddleware,
} from '../src/heartbeat/express/index.js';
import { InMemoryHeartbeatStore } from '../src/heartbeat/index.js';
import { FakeHeartbeatClock } from '../src/heartbeat/testing/index.js';
import { expectPlainText } from './support/expect-plain-text.js';

const GOODBYE = 'So Long, and Thanks for All the Fish!';

/** The heartbeat routes on a bare express() app: no Nest anywhere. */
describe('createHeartbeatMiddleware on a bare Express app', () => {
  let app: Express;
  let heartbeat: HeartbeatMiddleware;
  let clock: FakeHeartbeatClock;

  beforeEach(() => {
    clock = new FakeHeartbeatClock();
    heartbeat = createHeartbeatMiddleware({
      clock,
      maxApps: 3,
      maxBodyBytes: 256,
    });
    app = express();
    app.get('/hb/own-route', (_req, res) => {
      res.json({ mine: true });
    });
    app.use('/hb', heartbeat);
  });
  afterEach(() => heartbeat.close());

  it('answers at its mount path only by default, never taking a host route', async () => {
    app.get('/hb/orders/42/status', (_req, res) => {
      res.json({ order: 42 });
    });
    await request(app).get('/hb/hb_init?0&appid=x').expect(200);
    const order = await request(app).get('/hb/orders/42/status').expect(200);
    expect(order.body).toEqual({ order: 42 });
  });

  it('Python client: form POST', async () => {
    expectPlainText(
      await request(app)
        .post('/hb/hb_init?3000')
        .type('form')
        .send('appid=PyApp'),
      200,
      '4000',
    );
  });

  it('Bash client: JSON POST', async () => {
    expectPlainText(
      await request(app)
        .post('/hb/hb_ping?2000')
        .set('Content-Type', 'application/json')
        .send('{"appid":"BashApp"}'),
      200,
      '3000',
    );
  });

  it('browser client: empty sendBeacon POST and GET with cache_buster', async () => {
    expectPlainText(
      await request(app)
        .post('/hb/hb_ping?1000&appid=Browser')
        .set('Content-Type', 'text/plain;charset=UTF-8')
        .send(''),
      200,
      '2000',
    );
    expectPlainText(
      await request(app).get('/hb/hb_ping?1000&appid=Browser&cache_buster=17'),
      200,
      '2000',
    );
  });

  it('uses a body an upstream parser already read', async () => {
    const parsed = express();
    parsed.use(express.json());
    parsed.use('/hb', heartbeat);
    expectPlainText(
      await request(parsed).post('/hb/hb_init?0').send({ appid: 'Parsed' }),
      200,
      '1000',
    );
    expect((await heartbeat.registry.list()).map((s) => s.appId)).toEqual([
      'Parsed',
    ]);
  });

  it('serves /list and /status with the Nagios lines, under any prefix with anyPrefix', async () => {
    app = express();
    await heartbeat.close();
    heartbeat = createHeartbeatMiddleware({ clock, anyPrefix: true });
    app.use('/hb', heartbeat);
    await request(app).get('/hb/hb_init?1725&appid=Tetris');
    clock.advance(4987);
    expectPlainText(await request(app).get('/hb/list'), 200, 'Tetris\n');
    expectPlainText(
      await request(app).get('/hb/some/prefix/status?0&appid=Tetris'),
      200,
      'OK - fine application [Tetris]| od=1.83;3;5;0;6 delay=2725ms;;;',
    );
    clock.advance(2725 * 5);
    expectPlainText(
      await request(app).get('/hb/status'),
      200,
      'UNKNOWN - no heartbeat clients at the moment...',
    );
    await request(app).get('/hb/hb_done?appid=Tetris').expect(200, GOODBYE);
  });

  it('refuses bad input with ERROR lines and leaves the registry unchanged', async () => {
    await request(app).get('/hb/hb_init?0&appid=keep');
    const before = await heartbeat.registry.list();
    expectPlainText(
      await request(app).get('/hb/hb_ping?-1&appid=keep'),
      400,
      'ERROR: TIMEOUT must be a non-negative integer number of milliseconds, got [-1]',
    );
    expectPlainText(
      await request(app).get('/hb/hb_ping?5'),
      400,
      'ERROR: missing appid',
    );
    expectPlainText(
      await request(app).get('/hb/hb_ping?5&appid=%ZZ'),
      400,
      'ERROR: malformed percent-encoding in [%ZZ]',
    );
    const put = await request(app).put('/hb/hb_ping?5&appid=keep');
    expectPlainText(put, 405, 'ERROR: method PUT not allowed, use GET or POST');
    expect(put.headers['allow']).toBe('GET, POST');
    expectPlainText(
      await request(app)
        .post('/hb/hb_ping?5')
        .type('form')
        .send(`appid=${'x'.repeat(300)}`),
      413,
      'ERROR: request body exceeds 256 bytes',
    );
    expectPlainText(
      await request(app)
        .post('/hb/hb_ping?5')
        .set('Content-Type', 'application/json')
        .send('{"appid":'),
      400,
      'ERROR: malformed JSON body',
    );
    expect(await heartbeat.registry.list()).toEqual(before);
  });

  it('enforces the app limit with 503', async () => {
    for (const id of ['a', 'b', 'c'])
      await request(app).get(`/hb/hb_init?0&appid=${id}`).expect(200);
    expectPlainText(
      await request(app).get('/hb/hb_init?0&appid=d'),
      503,
      'ERROR: registry is full (3 applications), new registrations are refused',
    );
    await request(app).get('/hb/hb_ping?0&appid=a').expect(200);
  });

  it('passes other paths on to the app', async () => {
    expect((await request(app).get('/hb/own-route')).body).toEqual({
      mine: true,
    });
    expect((await request(app).get('/hb/unknown')).status).toBe(404);
  });

  it('works as a plain node:http listener too', async () => {
    expectPlainText(
      await request(heartbeat).get('/hb_ping?0&appid=raw'),
      200,
      '1000',
    );
    expect((await request(heartbeat).get('/elsewhere')).status).toBe(404);
  });

  it('expires records on its own unref()ed timer, which close() removes', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const store = new InMemoryHeartbeatStore();
      const own = createHeartbeatMiddleware({
        clock,
        store,
        sweepIntervalMs: 500,
      });
      expect(vi.getTimerCount()).toBe(1);
      await request(own).get('/hb_init?0&appid=gone').expect(200);
      clock.advance(6000);
      expect(await store.count()).toBe(1);
      await vi.advanceTimersByTimeAsync(500);
      expect(await store.count()).toBe(0);
      await own.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
