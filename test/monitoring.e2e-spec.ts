import request from 'supertest';
import { HeartbeatRegistry } from '../src/heartbeat/index.js';
import {
  createHeartbeatApp,
  type HeartbeatTestApp,
} from './support/create-heartbeat-app.js';
import { expectPlainText } from './support/expect-plain-text.js';
import { PLATFORMS } from './support/platforms.js';

describe.each(PLATFORMS)('monitoring queries on $name', (platform) => {
  let t: HeartbeatTestApp;

  beforeEach(async () => {
    // The protocol's own rule, the command as the last segment under any prefix (the standalone
    // server's routing), is the `anyPrefix` extra embedded.
    t = await createHeartbeatApp(platform, {
      heartbeat: { anyPrefix: true },
    });
  });
  afterEach(() => t.app.close());

  const init = (id: string, timeout: number) =>
    request(t.server)
      .get(`/hb_init?${timeout}&appid=${encodeURIComponent(id)}`)
      .expect(200);

  describe('/list', () => {
    it('is empty when no app is known', async () => {
      expectPlainText(await request(t.server).get('/list'), 200, '');
    });

    it('lists each ID followed by a newline, in registration order', async () => {
      await init('Sonic', 1000);
      await init('Zelda', 1000);
      await init('Tetris', 1000);
      expectPlainText(
        await request(t.server).get('/list'),
        200,
        'Sonic\nZelda\nTetris\n',
      );
      expectPlainText(
        await request(t.server).get('/heartbeat/list'),
        200,
        'Sonic\nZelda\nTetris\n',
      );
    });

    it('streams a list too long to hold at once, every live ID once, in order', async () => {
      const registry = t.app.get(HeartbeatRegistry);
      const ids = Array.from({ length: 12_000 }, (_, i) => `app-${i}`);
      for (const id of ids) await registry.register(id, 60_000);
      await registry.register('gone', 0);
      t.clock.advance(6000);
      const response = await request(t.server).get('/list');
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe(
        'text/plain; charset=utf-8',
      );
      expect(response.headers['content-length']).toBeUndefined();
      expect(response.text).toBe(ids.map((id) => `${id}\n`).join(''));
      const head = await request(t.server).head('/list');
      expect(head.status).toBe(200);
      expect(head.text ?? '').toBe('');
    });

    it('answers HEAD with the headers and no body', async () => {
      await init('Sonic', 1000);
      const response = await request(t.server).head('/list');
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe(
        'text/plain; charset=utf-8',
      );
      expect(response.text ?? '').toBe('');
    });
  });

  describe('/status', () => {
    it('with no app: UNKNOWN', async () => {
      expectPlainText(
        await request(t.server).get('/status'),
        200,
        'UNKNOWN - no heartbeat clients at the moment...',
      );
    });

    it('with exactly one app: its status line with performance data', async () => {
      await init('Tetris', 1725);
      t.clock.advance(4987); // od = 4987 / 2725 = 1.83
      expectPlainText(
        await request(t.server).get('/status'),
        200,
        'OK - fine application [Tetris]| od=1.83;3;5;0;6 delay=2725ms;;;',
      );
    });

    it('with several apps: WARNING with the count and IDs', async () => {
      await init('Tetris', 1000);
      await init('Zelda', 1000);
      await init('Sonic', 1000);
      expectPlainText(
        await request(t.server).get('/status'),
        200,
        'WARNING - multiple (3) applications: [Tetris,Zelda,Sonic]',
      );
    });

    it('with more apps than it names: the first 20 IDs and how many more', async () => {
      const registry = t.app.get(HeartbeatRegistry);
      const ids = Array.from({ length: 25 }, (_, i) => `app-${i}`);
      for (const id of ids) await registry.register(id, 60_000);
      expectPlainText(
        await request(t.server).get('/status'),
        200,
        `WARNING - multiple (25) applications: [${ids.slice(0, 20).join(',')}] and 5 more`,
      );
    });

    it.each([
      '/status?appid=Zelda',
      '/status?0&appid=Zelda',
      '/mon/status?0&appid=Zelda',
    ])('%s: that app, through OK, WARNING, CRITICAL and gone', async (url) => {
      await init('Zelda', 1754); // T = 2754
      await init('Other', 60_000);
      t.clock.advance(5921); // od = 2.15
      expectPlainText(
        await request(t.server).get(url),
        200,
        'OK - fine application [Zelda]| od=2.15;3;5;0;6 delay=2754ms;;;',
      );
      t.clock.advance(2754 * 3.83 - 5921);
      expectPlainText(
        await request(t.server).get(url),
        200,
        'WARNING - somewhat late application [Zelda]| od=3.83;3;5;0;6 delay=2754ms;;;',
      );
      t.clock.set(t.clock.now() + 2754 * (5.07 - 3.83));
      expectPlainText(
        await request(t.server).get(url),
        200,
        'CRITICAL - quite late application [Zelda]| od=5.07;3;5;0;6 delay=2754ms;;;',
      );
      t.clock.advance(2754);
      expectPlainText(
        await request(t.server).get(url),
        200,
        'CRITICAL - no application record for queried ID: [Zelda]',
      );
    });

    it('an unknown ID is CRITICAL', async () => {
      expectPlainText(
        await request(t.server).get('/status?0&appid=Ghost'),
        200,
        'CRITICAL - no application record for queried ID: [Ghost]',
      );
    });

    it('ignores extra parameters', async () => {
      await init('Tetris', 0);
      const response = await request(t.server).get(
        '/status?0&appid=Tetris&cache_buster=9',
      );
      expect(response.text).toMatch(/^OK - fine application \[Tetris\]\| /);
    });

    it('refuses a bad ID with a 400 ERROR line', async () => {
      expectPlainText(
        await request(t.server).get('/status?appid=%0A'),
        400,
        'ERROR: appid contains a control character',
      );
    });
  });

  it.each(['POST', 'PUT', 'DELETE'] as const)(
    '%s on /list and /status is 405',
    async (method) => {
      for (const path of ['/list', '/status']) {
        const response = await request(t.server)[
          method.toLowerCase() as 'post'
        ](path);
        expectPlainText(
          response,
          405,
          `ERROR: method ${method} not allowed, use GET or HEAD`,
        );
        expect(response.headers['allow']).toBe('GET, HEAD');
      }
    },
  );
});
