import request from 'supertest';
import { HeartbeatRegistry } from '../src/heartbeat/index.js';
import {
  createHeartbeatApp,
  type HeartbeatTestApp,
} from './support/create-heartbeat-app.js';
import { expectPlainText } from './support/expect-plain-text.js';
import { PLATFORMS } from './support/platforms.js';

const GOODBYE = 'So Long, and Thanks for All the Fish!';

describe.each(PLATFORMS)('protocol commands on $name', (platform) => {
  let t: HeartbeatTestApp;
  let registry: HeartbeatRegistry;

  beforeEach(async () => {
    // The protocol's own rule, the command as the last segment under any prefix (the standalone
    // server's routing), is the `anyPrefix` extra embedded.
    t = await createHeartbeatApp(platform, {
      heartbeat: { anyPrefix: true },
    });
    registry = t.app.get(HeartbeatRegistry);
  });
  afterEach(() => t.app.close());

  const ids = async () => (await registry.list()).map((s) => s.appId);

  describe('GET', () => {
    it('hb_init answers T = TIMEOUT + tolerance and registers the app', async () => {
      expectPlainText(
        await request(t.server).get('/hb_init?5000&appid=Tetris'),
        200,
        '6000',
      );
      expect(await registry.get('Tetris')).toMatchObject({
        delayMs: 6000,
        state: 'OK',
      });
    });

    it('hb_ping refreshes last-seen and the delay', async () => {
      await request(t.server).get('/hb_init?5000&appid=Tetris');
      t.clock.advance(4000);
      expectPlainText(
        await request(t.server).get('/hb_ping?1725&appid=Tetris'),
        200,
        '2725',
      );
      expect(await registry.get('Tetris')).toMatchObject({
        delayMs: 2725,
        od: 0,
      });
    });

    it('hb_ping for an unknown ID registers it (recovery after a restart)', async () => {
      expectPlainText(
        await request(t.server).get('/hb_ping?100&appid=Fresh'),
        200,
        '1100',
      );
      expect(await ids()).toEqual(['Fresh']);
    });

    it('hb_done removes the record and says goodbye; an unknown ID is fine', async () => {
      await request(t.server).get('/hb_init?5000&appid=Tetris');
      expectPlainText(
        await request(t.server).get('/hb_done?0&appid=Tetris'),
        200,
        GOODBYE,
      );
      expect(await ids()).toEqual([]);
      expectPlainText(
        await request(t.server).get('/hb_done?0&appid=Nobody'),
        200,
        GOODBYE,
      );
    });

    it.each([
      ['/hb_ping?appid=NoTimeout', '1000'],
      ['/hb_ping?&appid=EmptyTimeout', '1000'],
      ['/hb_ping?appid=Named&timeout=250', '1250'],
      ['/hb_ping?0&appid=Zero', '1000'],
      ['/hb_ping?300&appid=Busted&cache_buster=1732000000123', '1300'],
    ])('%s -> %s', async (url, body) => {
      expectPlainText(await request(t.server).get(url), 200, body);
    });

    it('the command is the last path segment under any prefix', async () => {
      for (const url of [
        '/hb_init?1&appid=a',
        '/heartbeat/hb_init?1&appid=b',
        '/any/prefix/hb_init?1&appid=c',
        '/one/two/three/four/five/six/seven/eight/hb_init?1&appid=d',
      ]) {
        expectPlainText(await request(t.server).get(url), 200, '1001');
      }
      expect(await ids()).toEqual(['a', 'b', 'c', 'd']);
    });

    it('decodes each query part on its own (an ID may contain an encoded &)', async () => {
      await request(t.server).get('/hb_init?1&appid=Tom%26Jerry%3D1&x=%20');
      expect(await ids()).toEqual(['Tom&Jerry=1']);
    });
  });

  describe('POST, as the clients in the field send it', () => {
    it('Python client: form body appid=X', async () => {
      const response = await request(t.server)
        .post('/hb_init?3000')
        .type('form')
        .send('appid=PyApp');
      expectPlainText(response, 200, '4000');
      expect(await ids()).toEqual(['PyApp']);
    });

    it('Bash client: JSON body {"appid":"X"}', async () => {
      const response = await request(t.server)
        .post('/hb_ping?2000')
        .set('Content-Type', 'application/json')
        .send('{"appid":"BashApp"}');
      expectPlainText(response, 200, '3000');
      expect(await ids()).toEqual(['BashApp']);
    });

    it('browser client: navigator.sendBeacon with an empty body', async () => {
      const response = await request(t.server)
        .post('/hb_ping?1000&appid=Browser&cache_buster=42')
        .set('Content-Type', 'text/plain;charset=UTF-8')
        .send('');
      expectPlainText(response, 200, '2000');
      expect(await ids()).toEqual(['Browser']);
    });

    it('a POST with no body and no content type', async () => {
      expectPlainText(
        await request(t.server).post('/hb_done?0&appid=x'),
        200,
        GOODBYE,
      );
    });

    it('appid in the query wins over the body', async () => {
      await request(t.server)
        .post('/hb_init?0&appid=FromQuery')
        .type('form')
        .send('appid=FromBody');
      expect(await ids()).toEqual(['FromQuery']);
    });

    it('hb_done by POST with a form body', async () => {
      await request(t.server).get('/hb_init?0&appid=PyApp');
      expectPlainText(
        await request(t.server)
          .post('/hb_done?0')
          .type('form')
          .send('appid=PyApp'),
        200,
        GOODBYE,
      );
      expect(await ids()).toEqual([]);
    });
  });

  describe('bad input: 4xx, one ERROR line, registry unchanged, server keeps serving', () => {
    beforeEach(async () => {
      await request(t.server).get('/hb_init?5000&appid=Existing');
      t.clock.advance(1000);
    });

    afterEach(async () => {
      // Exactly as before: same IDs, same last-seen and delay.
      expect(await registry.list()).toEqual([
        expect.objectContaining({
          appId: 'Existing',
          delayMs: 6000,
          lastSeen: t.clock.now() - 1000,
        }),
      ]);
      expectPlainText(
        await request(t.server).get('/hb_ping?0&appid=Probe'),
        200,
        '1000',
      );
      await registry.deregister('Probe');
    });

    it.each([
      [
        'non-numeric TIMEOUT',
        '/hb_ping?soon&appid=Existing',
        'ERROR: TIMEOUT must be a non-negative integer number of milliseconds, got [soon]',
      ],
      [
        'negative TIMEOUT',
        '/hb_ping?-5&appid=Existing',
        'ERROR: TIMEOUT must be a non-negative integer number of milliseconds, got [-5]',
      ],
      [
        'fractional TIMEOUT',
        '/hb_ping?1.5&appid=Existing',
        'ERROR: TIMEOUT must be a non-negative integer number of milliseconds, got [1.5]',
      ],
      [
        'huge TIMEOUT',
        '/hb_init?99999999999999999999&appid=New',
        'ERROR: TIMEOUT 99999999999999999999 ms exceeds the limit of 86400000 ms',
      ],
      ['missing appid', '/hb_ping?5000', 'ERROR: missing appid'],
      ['empty appid', '/hb_ping?5000&appid=', 'ERROR: empty appid'],
      [
        'over-long appid',
        `/hb_init?5&appid=${'x'.repeat(257)}`,
        'ERROR: appid is 257 characters long, the limit is 256',
      ],
      [
        'control character in appid',
        '/hb_init?5&appid=evil%0AOK%20-%20fine',
        'ERROR: appid contains a control character',
      ],
      [
        'NUL in appid',
        '/hb_init?5&appid=a%00b',
        'ERROR: appid contains a control character',
      ],
      [
        'malformed percent-encoding',
        '/hb_ping?5&appid=%E0%A4%A',
        'ERROR: malformed percent-encoding in [%E0%A4%A]',
      ],
      [
        'bad TIMEOUT on hb_done',
        '/hb_done?x&appid=Existing',
        'ERROR: TIMEOUT must be a non-negative integer number of milliseconds, got [x]',
      ],
    ])('%s', async (_name, url, body) => {
      expectPlainText(await request(t.server).get(url), 400, body);
    });

    it('a non-string appid in a JSON body', async () => {
      const response = await request(t.server)
        .post('/hb_ping?5')
        .set('Content-Type', 'application/json')
        .send('{"appid":["Existing"]}');
      expectPlainText(response, 400, 'ERROR: appid must be a string');
    });

    it.each(['PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const)(
      '%s is refused with 405 and Allow',
      async (method) => {
        const response = await request(t.server)[method.toLowerCase() as 'put'](
          '/hb_ping?5&appid=Existing',
        );
        expectPlainText(
          response,
          405,
          `ERROR: method ${method} not allowed, use GET or POST`,
        );
        expect(response.headers['allow']).toBe('GET, POST');
      },
    );

    it('HEAD is not a protocol method', async () => {
      const response = await request(t.server).head('/hb_init?5&appid=New');
      expect(response.status).toBe(405);
    });
  });

  it('an ID containing | never breaks a status line', async () => {
    await request(t.server).get('/hb_init?1000&appid=a%7Cb%7COK');
    const response = await request(t.server).get('/status?appid=a%7Cb%7COK');
    expectPlainText(
      response,
      200,
      'OK - fine application [a%7Cb%7COK]| od=0.00;3;5;0;6 delay=2000ms;;;',
    );
    expect(response.text.split('|')).toHaveLength(2);
  });
});
