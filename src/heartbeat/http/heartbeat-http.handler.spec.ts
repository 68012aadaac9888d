import { Logger } from '@nestjs/common';
import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import { InMemoryHeartbeatStore } from '../stores/in-memory-heartbeat.store.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';
import { HeartbeatHttpHandler } from './heartbeat-http.handler.js';
import { ClientAbortedError } from './request-body.js';

describe('HeartbeatHttpHandler', () => {
  let store: InMemoryHeartbeatStore;
  let registry: HeartbeatRegistry;
  let handler: HeartbeatHttpHandler;
  const logger = new Logger('Heartbeat');

  beforeEach(() => {
    store = new InMemoryHeartbeatStore();
    registry = HeartbeatRegistry.create(
      { store, clock: new FakeHeartbeatClock() },
      { logger },
    );
    handler = new HeartbeatHttpHandler(registry, logger);
  });
  afterEach(() => registry.close());

  const get = (url: string, body?: unknown, method = body ? 'POST' : 'GET') =>
    handler.answer(handler.routeOf(url) ?? 'status', {
      method,
      url,
      headers: {},
      body,
    });

  it('executes protocol commands from raw input', async () => {
    expect((await get('/hb_init?5000&appid=Tetris')).body).toBe('6000');
    expect((await get('/hb_ping?100', { appid: 'Tetris' })).body).toBe('1100');
    expect((await get('/hb_done?appid=Tetris')).body).toBe(
      'So Long, and Thanks for All the Fish!',
    );
    expect((await get('/hb_done?appid=never-seen')).body).toBe(
      'So Long, and Thanks for All the Fish!',
    );
  });

  it('leaves the registry unchanged on bad input and counts each refusal', async () => {
    await registry.register('keep', 1000);
    const before = await store.list();
    const queries = [
      'abc&appid=keep',
      '5&appid=',
      '5',
      '5&appid=%zz',
      '-1&appid=keep',
    ];
    for (const query of queries) {
      for (const command of ['hb_ping', 'hb_done']) {
        const answer = await get(`/${command}?${query}`);
        expect(answer.status).toBe(400);
        expect(answer.body).toMatch(/^ERROR: [^\n]+$/);
      }
    }
    expect(await store.list()).toEqual(before);
    expect(registry.counters.rejected).toBe(queries.length * 2);
  });

  it('refuses other methods with 405 and an Allow header', async () => {
    const answer = await get('/hb_ping?appid=x', undefined, 'DELETE');
    expect(answer).toEqual({
      status: 405,
      body: 'ERROR: method DELETE not allowed, use GET or POST',
      headers: [['Allow', 'GET, POST']],
    });
    expect((await get('/status', undefined, 'POST')).status).toBe(405);
  });

  // One routing rule for every face: the exact lower-case command as the last segment, never
  // decoded; one empty segment before it at the mount point (an HB_URL ending in `/`) is fine,
  // any prefix with anyPrefix; a fragment is no path.
  describe.each([
    [false, '/hb_ping', 'hb_ping'],
    [false, '//hb_ping', 'hb_ping'],
    [false, '///hb_ping', undefined],
    [false, '/status?0&appid=a/b', 'status'],
    [false, '/a/b/hb_ping', undefined],
    [false, '/hb_ping/', undefined],
    [false, '/HB_PING', undefined],
    [false, '/hb_%70ing', undefined],
    [false, '/hb_bogus', undefined],
    [false, '/hb_ping#f?0&appid=X', 'hb_ping'],
    [true, '/a/b/hb_ping', 'hb_ping'],
    [true, '/a//list?x', 'list'],
    [true, '/a/b/hb_ping/', undefined],
    [true, '/a/HB_PING', undefined],
  ])('anyPrefix=%s: %s', (anyPrefix, url, route) => {
    it(`routes to ${String(route)}`, () => {
      const h = new HeartbeatHttpHandler(registry, logger, { anyPrefix });
      expect(h.routeOf(url)).toBe(route);
    });
  });

  it('neither answers nor counts a request whose client went away mid-body', async () => {
    const debug = vi.spyOn(logger, 'debug').mockImplementation(() => {});
    const error = vi.spyOn(logger, 'error').mockImplementation(() => {});
    const answer = handler.errorAnswer(new ClientAbortedError());
    expect(answer.aborted).toBe(true);
    // body-parser's name for the same thing, on the Express bridge
    expect(
      handler.errorAnswer(
        Object.assign(new Error('request aborted'), {
          type: 'request.aborted',
          status: 400,
        }),
      ).aborted,
    ).toBe(true);
    expect(registry.counters.rejected).toBe(0);
    expect(error).not.toHaveBeenCalled();
    expect(debug).toHaveBeenCalledTimes(2);
    vi.restoreAllMocks();
  });

  it('answers a host body parser refusing an oversized body with its own limit', () => {
    expect(
      handler.errorAnswer(
        Object.assign(new Error('request entity too large'), {
          type: 'entity.too.large',
          status: 413,
          limit: 102_400,
        }),
      ),
    ).toMatchObject({
      status: 413,
      body: 'ERROR: request body exceeds 102400 bytes',
    });
  });

  it('reads no ID from inside a fragment', async () => {
    const answer = await get('/hb_ping#f?0&appid=X');
    expect(answer).toEqual({ status: 400, body: 'ERROR: missing appid' });
    expect(await store.count()).toBe(0);
  });
});
