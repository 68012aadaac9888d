import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import request from 'supertest';
import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';
import { HeartbeatDashboardHandler } from './heartbeat-dashboard.handler.js';

describe('HeartbeatDashboardHandler', () => {
  const logger = { log() {}, warn() {}, error() {} };
  let clock: FakeHeartbeatClock;
  let registry: HeartbeatRegistry;
  let dashboard: HeartbeatDashboardHandler;
  let server: http.Server;

  async function serve(mountPath?: string, options = {}): Promise<void> {
    registry = HeartbeatRegistry.create({ clock, ...options }, { logger });
    dashboard = new HeartbeatDashboardHandler(registry, logger, { mountPath });
    server = http.createServer((req, res) => {
      if (dashboard.serve(req, res)) return;
      res.writeHead(404).end('not mine');
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
  }

  beforeEach(() => {
    clock = new FakeHeartbeatClock();
  });
  afterEach(async () => {
    dashboard.close();
    await new Promise((resolve) => server.close(resolve));
    await registry.close();
  });

  it('matches its routes below the mount path and nothing else', async () => {
    await serve('/ops/heartbeat/');
    expect(dashboard.routeOf('/ops/heartbeat/')).toBe('page');
    expect(dashboard.routeOf('/ops/heartbeat')).toBe('page');
    expect(dashboard.routeOf('/ops/heartbeat/dashboard')).toBe('page');
    expect(dashboard.routeOf('/ops/heartbeat/dashboard.js?v=1')).toBe(
      'dashboard.js',
    );
    expect(dashboard.routeOf('/ops/heartbeat/dashboard/apps?q=x')).toBe(
      'dashboard/apps',
    );
    expect(dashboard.routeOf('/ops/heartbeat/events')).toBe('events');
    for (const url of [
      '/',
      '/events',
      '/ops/heartbeatx/events',
      '/ops/heartbeat/events/',
      '/ops/heartbeat/status',
    ]) {
      expect(dashboard.routeOf(url), url).toBeUndefined();
    }
    await request(server).get('/status').expect(404, 'not mine');
  });

  it('serves the page with a strict policy, and revalidates it by ETag', async () => {
    await serve();
    const page = await request(server).get('/').expect(200);
    expect(page.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(page.text).toContain('<table id="apps"');
    await request(server)
      .get('/')
      .set('If-None-Match', page.headers.etag as string)
      .expect(304);
  });

  it('sends its files gzipped when accepted, forever cacheable when versioned', async () => {
    await serve();
    const html = (await request(server).get('/')).text;
    const src = /src="(dashboard\.js\?v=[\w-]+)"/.exec(html)![1]!;
    const js = await request(server)
      .get(`/${src}`)
      .set('Accept-Encoding', 'gzip')
      .expect(200);
    expect(js.headers).toMatchObject({
      'content-type': 'text/javascript; charset=utf-8',
      'content-encoding': 'gzip',
      'cache-control': 'public, max-age=31536000, immutable',
      vary: 'Accept-Encoding',
    });
    expect(js.text).toContain('new EventSource(');
    const plain = await request(server)
      .get('/dashboard.css')
      .set('Accept-Encoding', 'identity')
      .expect(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    // Unversioned (or an old version): revalidated each time.
    expect(plain.headers['cache-control']).toBe('no-cache');
    await request(server)
      .get('/dashboard.css')
      .set('Accept-Encoding', 'identity')
      .set('If-None-Match', plain.headers.etag as string)
      .expect(304);
  });

  it('answers GET dashboard/apps with counts and the first page', async () => {
    await serve(undefined, { corsOrigin: 'https://ops.example' });
    await registry.register('a', 1000);
    clock.advance(7000);
    await registry.register('b', 1000);
    const answer = await request(server)
      .get('/dashboard/apps?limit=1')
      .expect(200);
    expect(answer.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'access-control-allow-origin': 'https://ops.example',
    });
    expect(answer.body).toMatchObject({
      counts: { OK: 1, WARNING: 1, CRITICAL: 0 },
      total: 2,
      matched: 2,
      apps: [{ id: 'a', state: 'WARNING', od: 3.5 }],
      thresholds: { warn: 3, crit: 5, drop: 6 },
      refreshMs: 5000,
    });
  });

  it('asks pages to come back later when reading the first page is slow', async () => {
    await serve(undefined, { dashboardRefreshMs: 5000 });
    const refresh = async () =>
      (await request(server).get('/dashboard/apps').expect(200)).body
        .refreshMs as number;
    expect(await refresh()).toBe(5000);
    // 1 s per read: the next read in 20 s, so reads take at most 1/20 of the time.
    let clockMs = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (clockMs += 1000));
    await refresh();
    expect(await refresh()).toBe(20_000);
    vi.restoreAllMocks();
  });

  it('refuses bad queries and other methods with one ERROR line, changing nothing', async () => {
    await serve(undefined, { dashboardMaxPageSize: 10 });
    const bad = await request(server)
      .get('/dashboard/apps?limit=11')
      .expect(400);
    expect(bad.text).toBe(
      'ERROR: limit must be an integer from 1 to 10, got [11]',
    );
    expect(bad.headers['content-type']).toBe('text/plain; charset=utf-8');
    const post = await request(server).post('/events').expect(405);
    expect(post.text).toBe('ERROR: method POST not allowed, use GET or HEAD');
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(await registry.list()).toEqual([]);
  });

  it('redirects the bare mount path to the page with a slash, relatively', async () => {
    await serve('/ops/heartbeat');
    const answer = await request(server)
      .get('/ops/heartbeat?kiosk=1')
      .expect(308);
    expect(answer.headers.location).toBe('heartbeat/?kiosk=1');
    await request(server).get('/ops/heartbeat/').expect(200);
    await request(server).get('/ops/heartbeat/dashboard').expect(200);
  });

  it('streams events and refuses streams beyond dashboardMaxStreams with 503', async () => {
    await serve(undefined, { dashboardMaxStreams: 1 });
    const { port } = server.address() as AddressInfo;
    const first = await new Promise<http.IncomingMessage>((resolve) =>
      http.get(`http://127.0.0.1:${port}/events`, resolve),
    );
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe(
      'text/event-stream; charset=utf-8',
    );
    first.setEncoding('utf8');
    let received = '';
    first.on('data', (chunk: string) => (received += chunk));

    const second = await request(server).get('/events').expect(503);
    expect(second.text).toBe(
      'ERROR: too many event streams (1 open), try again later',
    );

    await registry.register('streamed', 1000);
    while (!received.includes('event: heartbeat.registered')) {
      await new Promise((resolve) => first.once('data', resolve));
    }
    expect(received).toMatch(/^retry: 2000\n/);
    expect(received).toContain('"appId":"streamed"');
    first.destroy();
    while (dashboard.openStreams > 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  });
});
