import { RouterModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import http from 'node:http';
import request from 'supertest';
import {
  HeartbeatDashboardHandler,
  HeartbeatModule,
  HeartbeatRegistry,
} from '../src/heartbeat/index.js';
import {
  createHeartbeatApp,
  type HeartbeatTestApp,
} from './support/create-heartbeat-app.js';
import { expectPlainText } from './support/expect-plain-text.js';
import {
  startFrontDoorApp,
  type FrontDoorApp,
} from './support/front-door-app.js';
import { PLATFORMS } from './support/platforms.js';

/** Opens `GET events` and resolves once `text` has arrived; returns what came and a way to stop. */
async function readEvents(
  url: string,
  until: () => Promise<unknown>,
  text: string,
): Promise<{ status: number; type: string; received: string }> {
  const response = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.get(url, resolve).once('error', reject),
  );
  response.setEncoding('utf8');
  let received = '';
  response.on('data', (chunk: string) => (received += chunk));
  await new Promise((resolve) => response.once('data', resolve));
  await until();
  while (!received.includes(text)) {
    await new Promise((resolve) => response.once('data', resolve));
  }
  response.destroy();
  return {
    status: response.statusCode!,
    type: response.headers['content-type']!,
    received,
  };
}

describe.each(PLATFORMS)('the dashboard extra on $name', (platform) => {
  let t: HeartbeatTestApp;
  afterEach(() => t?.app.close());

  async function mounted(dashboard: boolean): Promise<HeartbeatTestApp> {
    return createHeartbeatApp(platform, {
      imports: [
        ScheduleModule.forRoot(),
        HeartbeatModule.forRoot({ dashboard }),
        RouterModule.register([{ path: 'heartbeat', module: HeartbeatModule }]),
      ],
    });
  }

  it('serves the page, its files and its data under the module mount path', async () => {
    t = await mounted(true);
    const page = await request(t.server)
      .get('/heartbeat/dashboard')
      .expect(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain(
      "script-src 'self'",
    );
    expect(page.text).toMatch(/src="dashboard\.js\?v=[\w-]+"/);
    // Not the mount point itself: that stays the host's.
    await request(t.server).get('/heartbeat').expect(404);
    const css = await request(t.server)
      .get('/heartbeat/dashboard.css')
      .expect(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers.etag).toMatch(/^"[\w-]+"$/);
    await request(t.server).get('/heartbeat/dashboard.js').expect(200);

    const registry = t.app.get(HeartbeatRegistry);
    await registry.register('<b>web</b>', 1000);
    const apps = await request(t.server)
      .get('/heartbeat/dashboard/apps?q=WEB')
      .expect(200);
    expect(apps.body).toMatchObject({
      counts: { OK: 1, WARNING: 0, CRITICAL: 0 },
      apps: [{ id: '<b>web</b>', state: 'OK' }],
    });
    expectPlainText(
      await request(t.server).get('/heartbeat/dashboard/apps?sort=size'),
      400,
      'ERROR: sort must be one of -od, od, id, -id, -state, state, lastSeen, -lastSeen, got [size]',
    );
  });

  it('streams the registry events on GET events', async () => {
    t = await mounted(true);
    await t.app.listen(0, '127.0.0.1');
    const registry = t.app.get(HeartbeatRegistry);
    const events = await readEvents(
      `${await t.app.getUrl()}/heartbeat/events`,
      () => registry.register('streamed', 1000),
      'event: counts',
    );
    expect(events.status).toBe(200);
    expect(events.type).toBe('text/event-stream; charset=utf-8');
    expect(events.received).toMatch(/^retry: 2000\n: connected\n\n/);
    expect(events.received).toContain(
      'event: heartbeat.registered\ndata: {"appId":"streamed","delayMs":2000',
    );
  });

  it('closes with a stream open: the streams end before the server closes', async () => {
    t = await mounted(true);
    await t.app.listen(0, '127.0.0.1');
    const url = `${await t.app.getUrl()}/heartbeat/events`;
    const response = await new Promise<http.IncomingMessage>((resolve) =>
      http.get(url, resolve),
    );
    const ended = new Promise((resolve) => response.once('end', resolve));
    response.resume();
    expect(t.app.get(HeartbeatDashboardHandler).openStreams).toBe(1);
    await t.app.close();
    await ended;
  });

  it('mounts nothing without the extra', async () => {
    t = await mounted(false);
    await request(t.server).get('/heartbeat/dashboard').expect(404);
    await request(t.server).get('/heartbeat/events').expect(404);
  });
});

describe('the dashboard on the standalone front door', () => {
  let door: FrontDoorApp;
  afterEach(() => door?.app.close());

  it('answers / and its paths before Nest', async () => {
    door = await startFrontDoorApp();
    const server = door.app.getHttpServer();
    await request(server)
      .get('/')
      .expect(200)
      .expect(/<table id="apps"/);
    await request(server).get('/dashboard').expect(200);
    await request(server).get('/dashboard/apps').expect(200);
    // Everything else as before: the protocol at any prefix, the JSON API behind the door.
    expectPlainText(
      await request(server).get('/any/prefix/hb_init?0&appid=a'),
      200,
      '1000',
    );
    await request(server).get('/apps/a').expect(200);
  });

  it('HB_DASHBOARD=false leaves / to the 404 it was', async () => {
    door = await startFrontDoorApp({}, { dashboard: false });
    const server = door.app.getHttpServer();
    for (const path of ['/', '/dashboard.js', '/dashboard/apps', '/events']) {
      const answer = await request(server).get(path).expect(404);
      expect(answer.text).toMatch(/^ERROR: no heartbeat route at \[\//);
    }
  });
});
