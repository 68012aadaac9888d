import { ScheduleModule } from '@nestjs/schedule';
import express, { type Express } from 'express';
import request from 'supertest';
import {
  createHeartbeatMiddleware,
  type HeartbeatMiddleware,
} from '../src/heartbeat/express/index.js';
import {
  HeartbeatModule,
  HeartbeatRegistry,
  type HeartbeatAuthOptions,
} from '../src/heartbeat/index.js';
import { FakeHeartbeatClock } from '../src/heartbeat/testing/index.js';
import { createHostAppModule } from './fixtures/host-app.module.js';
import {
  createHeartbeatApp,
  type HeartbeatTestApp,
} from './support/create-heartbeat-app.js';
import { expectPlainText } from './support/expect-plain-text.js';
import { PLATFORMS } from './support/platforms.js';

const KIOSK = 'kiosk-team-Token1';
const OPS = 'ops-team-token';
const READ = 'nagios-read-token';
const ADMIN = 'admin-token.42';

const AUTH: HeartbeatAuthOptions = {
  ping: [`${KIOSK}:kiosk-:3`, OPS],
  read: [READ],
  admin: [ADMIN],
};

const UNAUTHORIZED = 'ERROR: missing or invalid token';
const NOT_PING =
  'ERROR: this token may not register, ping and deregister applications';
const NOT_READ = 'ERROR: this token may not read the registry';

type Agent = ReturnType<typeof request>;

/**
 * What the unmodified clients send, with `HB_URL=http://host:port/<token>`: the Python client
 * (form POST), the Bash client (JSON POST), the browser client (GET with a cache buster, and
 * sendBeacon's empty POST), and a Nagios check (GET /status).
 */
function clientRequestsSucceed(
  agent: () => Agent,
  base: string,
  /** A wrong token in the path: 401, or 404 where such a path may be the host's own. */
  wrongPathToken: 401 | 404 = 401,
): void {
  it('Python, Bash and browser clients carry the ping token in HB_URL', async () => {
    const url = `${base}/${KIOSK}`;
    expectPlainText(
      await agent()
        .post(`${url}/hb_init?5000`)
        .type('form')
        .send('appid=kiosk-python'),
      200,
      '6000',
    );
    expectPlainText(
      await agent()
        .post(`${url}/hb_ping?2000`)
        .set('Content-Type', 'application/json')
        .send('{"appid":"kiosk-bash"}'),
      200,
      '3000',
    );
    expectPlainText(
      await agent().get(
        `${url}/hb_ping?1000&appid=kiosk-browser&cache_buster=1767225600000`,
      ),
      200,
      '2000',
    );
    expectPlainText(
      await agent()
        .post(`${url}/hb_ping?1000&appid=kiosk-browser`)
        .set('Content-Type', 'text/plain;charset=UTF-8')
        .send(''),
      200,
      '2000',
    );
    // HB_URL=http://host:port/<token>/ (a trailing slash) works too.
    expectPlainText(
      await agent().get(`${url}//hb_ping?1000&appid=kiosk-browser`),
      200,
      '2000',
    );
    expectPlainText(
      await agent().get(`${url}/hb_done?0&appid=kiosk-bash`),
      200,
      'So Long, and Thanks for All the Fish!',
    );
  });

  it('a Nagios check carries the read token in its URL; the header works too', async () => {
    await agent().get(`${base}/${OPS}/hb_init?0&appid=nightly`).expect(200);
    expectPlainText(
      await agent().get(`${base}/${READ}/status?appid=nightly`),
      200,
      'OK - fine application [nightly]| od=0.00;3;5;0;6 delay=1000ms;;;',
    );
    expectPlainText(
      await agent().get(`${base}/list`).set('Authorization', `Bearer ${READ}`),
      200,
      'nightly\n',
    );
    expectPlainText(
      await agent().get(`${base}/${ADMIN}/status`),
      200,
      'OK - fine application [nightly]| od=0.00;3;5;0;6 delay=1000ms;;;',
    );
  });

  it('no token or a wrong one: 401; a token of another kind or outside its prefix: 403; nothing changes', async () => {
    await agent().get(`${base}/${OPS}/hb_init?0&appid=keep`).expect(200);
    const refusals: Array<[request.Test, number, string]> = [
      [agent().get(`${base}/hb_ping?0&appid=kiosk-1`), 401, UNAUTHORIZED],
      [
        agent()
          .get(`${base}/hb_done?0&appid=keep`)
          .set('Authorization', 'Bearer wrong-token'),
        401,
        UNAUTHORIZED,
      ],
      [agent().get(`${base}/status`), 401, UNAUTHORIZED],
      [agent().get(`${base}/${READ}/hb_done?0&appid=keep`), 403, NOT_PING],
      [agent().get(`${base}/${KIOSK}/list`), 403, NOT_READ],
      [
        agent().get(`${base}/${KIOSK}/hb_done?0&appid=keep`),
        403,
        'ERROR: this token may only use appids starting with [kiosk-], not [keep]',
      ],
    ];
    const wrong = await agent().get(`${base}/wrong-token/hb_ping?0&appid=x`);
    expect(wrong.status).toBe(wrongPathToken);
    for (const [pending, status, body] of refusals) {
      const response = await pending;
      expectPlainText(response, status, body);
      if (status === 401) {
        expect(response.headers['www-authenticate']).toBe(
          'Bearer realm="heartbeat"',
        );
      }
    }
    expectPlainText(await agent().get(`${base}/${READ}/list`), 200, 'keep\n');
  });

  it('a ping token holds at most its quota of apps; an admin token is not limited', async () => {
    for (const id of ['kiosk-1', 'kiosk-2', 'kiosk-3']) {
      await agent().get(`${base}/${KIOSK}/hb_init?0&appid=${id}`).expect(200);
    }
    expectPlainText(
      await agent().get(`${base}/${KIOSK}/hb_init?0&appid=kiosk-4`),
      403,
      'ERROR: this token already holds 3 applications, its limit; new IDs are refused',
    );
    await agent().get(`${base}/${KIOSK}/hb_ping?0&appid=kiosk-2`).expect(200);
    await agent().get(`${base}/${KIOSK}/hb_done?0&appid=kiosk-1`).expect(200);
    await agent().get(`${base}/${KIOSK}/hb_init?0&appid=kiosk-4`).expect(200);
    await agent().get(`${base}/${ADMIN}/hb_init?0&appid=anything`).expect(200);
    expectPlainText(
      await agent().get(`${base}/${READ}/list`),
      200,
      'kiosk-2\nkiosk-3\nkiosk-4\nanything\n',
    );
  });
}

describe.each(PLATFORMS)('access control on $name', (platform) => {
  let t: HeartbeatTestApp;
  const agent = () => request(t.server);
  afterEach(() => t?.app.close());

  describe('the module with auth, tokenInPath and the JSON API', () => {
    beforeEach(async () => {
      t = await createHeartbeatApp(platform, {
        imports: [
          ScheduleModule.forRoot(),
          HeartbeatModule.forRoot({ auth: AUTH, tokenInPath: true, api: true }),
        ],
      });
    });

    clientRequestsSucceed(agent, '');

    it('the JSON reads need a read token in the Authorization header', async () => {
      await agent().get(`/${OPS}/hb_init?0&appid=a%2Fb`).expect(200);
      const refused = await agent().get('/apps').expect(401);
      expect(refused.headers['content-type']).toMatch(/^application\/json/);
      expect(refused.headers['www-authenticate']).toBe(
        'Bearer realm="heartbeat"',
      );
      expect(refused.body).toMatchObject({
        statusCode: 401,
        message: 'missing or invalid token',
      });
      expect(
        (
          await agent()
            .get('/apps')
            .set('Authorization', `Bearer ${OPS}`)
            .expect(403)
        ).body,
      ).toMatchObject({
        statusCode: 403,
        message: 'this token may not read the registry',
      });
      for (const token of [READ, ADMIN]) {
        const apps = await agent()
          .get('/apps/a%2Fb')
          .set('Authorization', `Bearer ${token}`)
          .expect(200);
        expect(apps.body).toMatchObject({ id: 'a/b', state: 'OK' });
      }
      await agent()
        .get('/webhooks/deliveries')
        .set('Authorization', `Bearer ${READ}`)
        .expect(200, {
          deliveries: [],
          queued: 0,
          totals: {
            delivered: 0,
            failed: 0,
            dropped: 0,
            attempts: 0,
            skipped: 0,
          },
        });
      await agent().get('/webhooks/deliveries').expect(401);
    });

    it('DELETE /apps/:id is an admin operation, with the effect of hb_done', async () => {
      await agent().get(`/${OPS}/hb_init?0&appid=a%2Fb`).expect(200);
      const registry = t.app.get(HeartbeatRegistry);
      const events: string[] = [];
      registry.events$.subscribe((e) => events.push(`${e.name} ${e.appId}`));
      await agent().delete('/apps/a%2Fb').expect(401);
      for (const token of [READ, OPS]) {
        expect(
          (
            await agent()
              .delete('/apps/a%2Fb')
              .set('Authorization', `Bearer ${token}`)
              .expect(403)
          ).body.message,
        ).toBe('this token may not administer the registry');
      }
      expect(await registry.get('a/b')).toBeDefined();
      expect(
        (
          await agent()
            .delete('/apps/a%2Fb')
            .set('Authorization', `Bearer ${ADMIN}`)
            .expect(200)
        ).body,
      ).toEqual({ id: 'a/b', removed: true });
      expect(await registry.get('a/b')).toBeUndefined();
      expect(events).toEqual(['heartbeat.deregistered a/b']);
      expect(
        (
          await agent()
            .delete('/apps/a%2Fb')
            .set('Authorization', `Bearer ${ADMIN}`)
            .expect(404)
        ).body.message,
      ).toBe('CRITICAL - no application record for queried ID: [a/b]');
    });
  });

  describe('embedded under a host', () => {
    it("without tokenInPath, the host's routes below the mount path stay the host's, and the host guard still applies", async () => {
      t = await createHeartbeatApp(platform, {
        imports: [
          createHostAppModule({
            heartbeat: HeartbeatModule.forRoot({ auth: { read: [READ] } }),
          }),
        ],
        globalPrefix: 'api',
      });
      await agent().get('/api/hb_init?0&appid=open-ping').expect(200);
      const report = await agent().get('/api/reports/status').expect(200);
      expect(report.body).toEqual({ data: { healthy: true } });
      // The host's guard (x-monitor-token) runs first, then the module's own token check.
      expectPlainText(
        await agent().get('/api/status').set('Authorization', `Bearer ${READ}`),
        401,
        'ERROR: Unauthorized',
      );
      expectPlainText(
        await agent().get('/api/status').set('x-monitor-token', 'secret'),
        401,
        UNAUTHORIZED,
      );
      expectPlainText(
        await agent()
          .get('/api/status')
          .set('x-monitor-token', 'secret')
          .set('Authorization', `Bearer ${READ}`),
        200,
        'OK - fine application [open-ping]| od=0.00;3;5;0;6 delay=1000ms;;;',
      );
    });

    it('with tokenInPath under a RouterModule path, tokens ride in HB_URL', async () => {
      t = await createHeartbeatApp(platform, {
        imports: [
          createHostAppModule({
            heartbeat: HeartbeatModule.forRoot({
              auth: { ping: [OPS] },
              tokenInPath: true,
            }),
            routerPath: 'heartbeat',
          }),
        ],
      });
      expectPlainText(
        await agent().get(`/heartbeat/${OPS}/hb_init?0&appid=x`),
        200,
        '1000',
      );
      expectPlainText(
        await agent().get('/heartbeat/hb_init?0&appid=y'),
        401,
        UNAUTHORIZED,
      );
      const users = await agent().get('/users/list').expect(200);
      expect(users.body).toEqual({ data: ['Ada'] });
    });

    it('without auth, everything is open as before', async () => {
      t = await createHeartbeatApp(platform, {
        imports: [
          ScheduleModule.forRoot(),
          HeartbeatModule.forRoot({ api: true }),
        ],
      });
      await agent().get('/hb_init?0&appid=x').expect(200, '1000');
      await agent().get('/apps/x').expect(200);
      await agent().delete('/apps/x').expect(200, { id: 'x', removed: true });
    });
  });
});

describe('access control in the Express middleware', () => {
  let app: Express;
  let heartbeat: HeartbeatMiddleware;

  beforeEach(() => {
    heartbeat = createHeartbeatMiddleware({
      clock: new FakeHeartbeatClock(),
      auth: AUTH,
      logger: { log() {}, warn() {}, error() {} },
    });
    app = express();
    app.get('/hb/orders/status', (_req, res) => {
      res.json({ orders: 'fine' });
    });
    app.use('/hb', heartbeat);
  });
  afterEach(() => heartbeat.close());

  // Below its mount path the app may have routes of its own: a segment that is no token is
  // passed on, so a wrong token in the path gets the app's 404.
  clientRequestsSucceed(() => request(app), '/hb', 404);

  it('takes <mount>/<token>/route only for a configured token; other paths stay the app’s', async () => {
    expect(
      (await request(app).get('/hb/orders/status').expect(200)).body,
    ).toEqual({ orders: 'fine' });
    await request(app).get('/hb/not-a-token/hb_ping?0&appid=x').expect(404);
    await request(app).get(`/hb/${OPS}/hb_ping?0&appid=x`).expect(200);
    expect(heartbeat.registry.access.refusals).toEqual({
      unauthorized: 0,
      forbidden: 0,
      quota: 0,
    });
  });
});
