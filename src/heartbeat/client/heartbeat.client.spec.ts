import {
  startReferenceServerDouble,
  type ReferenceServerDouble,
} from '../../../test/support/reference-server-double.js';
import { freePort } from '../../../test/support/build-standalone.js';
import { HeartbeatClientError } from './heartbeat-client.error.js';
import { HeartbeatClient } from './heartbeat.client.js';

describe('HeartbeatClient against an HTTP/1.0 reference-style server', () => {
  let server: ReferenceServerDouble;

  beforeEach(async () => {
    server = await startReferenceServerDouble();
  });
  afterEach(() => server.close());

  it('speaks the original protocol: GET <base>/<command>?TIMEOUT&appid=ID, answers as text', async () => {
    const client = new HeartbeatClient({ url: server.url, appId: 'Tetris' });

    expect(await client.init(5000)).toBe(6000);
    expect(await client.ping(2000)).toBe(3000);
    expect(await client.list()).toEqual(['Tetris']);
    expect(await client.status('Tetris')).toEqual({
      line: 'OK - fine application [Tetris]| od=0.00;3;5;0;6 delay=3000ms;;;',
      state: 'OK',
      exitCode: 0,
    });
    expect(await client.done()).toBe('So Long, and Thanks for All the Fish!');
    expect(await client.list()).toEqual([]);

    expect(server.requests.map((r) => `${r.method} ${r.target}`)).toEqual([
      'GET /hb_init?5000&appid=Tetris',
      'GET /hb_ping?2000&appid=Tetris',
      'GET /list',
      'GET /status?appid=Tetris',
      'GET /hb_done?0&appid=Tetris',
      'GET /list',
    ]);
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('reads a body delimited only by the connection closing (no Content-Length)', async () => {
    const ids = Array.from(
      { length: 2000 },
      (_, i) => `app-${i}-${'x'.repeat(40)}`,
    );
    server.answerWith(() => ({
      raw:
        'HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11\r\nContent-Type: text/plain\r\n\r\n' +
        ids.map((id) => `${id}\n`).join(''),
    }));
    const client = new HeartbeatClient({ url: server.url });

    // About 100 KB: read across many chunks until the server closes.
    expect(await client.list()).toEqual(ids);
  });

  it('percent-encodes the ID with encodeURIComponent', async () => {
    const client = new HeartbeatClient({ url: server.url });

    await client.ping(0, { appId: 'a&b c/ü|%' });
    await client.status('a&b c/ü|%');

    expect(server.requests.map((r) => r.target)).toEqual([
      '/hb_ping?0&appid=a%26b%20c%2F%C3%BC%7C%25',
      '/status?appid=a%26b%20c%2F%C3%BC%7C%25',
    ]);
  });

  it('puts the commands under the base path (a token path segment) and keeps it out of messages', async () => {
    const client = new HeartbeatClient({
      url: `${server.url}/s3cr3t-token/`,
      appId: 'x',
    });
    server.answerWith(() => ({ status: 400, body: 'ERROR: nope\n' }));

    const failure = client.ping(10);

    await expect(failure).rejects.toThrow(
      `hb_ping: the heartbeat server answered 400: ERROR: nope`,
    );
    await expect(failure).rejects.not.toThrow(/s3cr3t/);
    expect(client.target).toBe(`${server.url}/…`);
    expect(server.requests[0]!.target).toBe('/s3cr3t-token/hb_ping?10&appid=x');
  });

  it('sends the token as a bearer token, and URL credentials as basic authentication', async () => {
    await new HeartbeatClient({ url: server.url, token: 't0k3n' }).list();
    const withCredentials = server.url.replace('//', '//user:p%40ss@');
    await new HeartbeatClient({ url: withCredentials }).list();

    expect(server.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer t0k3n',
      `Basic ${Buffer.from('user:p@ss').toString('base64')}`,
    ]);
  });

  it.each([
    ['OK - fine application [a]| od=0.10;3;5;0;6 delay=2000ms;;;', 'OK', 0],
    [
      'WARNING - somewhat late application [a]| od=3.10;3;5;0;6 delay=2000ms;;;',
      'WARNING',
      1,
    ],
    ['CRITICAL - no application record for queried ID: [a]', 'CRITICAL', 2],
    ['UNKNOWN - no heartbeat clients at the moment...', 'UNKNOWN', 3],
    ['DEGRADED - a word no plugin knows', 'UNKNOWN', 3],
  ] as const)('status: %s is %s, exit %i', async (line, state, exitCode) => {
    server.answerWith(() => ({ body: `${line}\n` }));

    expect(await new HeartbeatClient({ url: server.url }).status()).toEqual({
      line,
      state,
      exitCode,
    });
    expect(server.requests[0]!.target).toBe('/status');
  });

  it.each(['<html><body>It works!</body></html>', '', 'ok fine'])(
    'status: a 200 answer that is no status line (%j) is an answer error',
    async (body) => {
      server.answerWith(() => ({ body }));

      await expect(
        new HeartbeatClient({ url: server.url }).status(),
      ).rejects.toMatchObject({ kind: 'answer', name: 'HeartbeatClientError' });
    },
  );

  it.each(['abc', '12.5', '', '-3', '1e3'])(
    'init/ping: a body that is not a decimal integer (%j) is an answer error',
    async (body) => {
      server.answerWith(() => ({ body }));
      const client = new HeartbeatClient({ url: server.url, appId: 'a' });

      await expect(client.ping(0)).rejects.toThrow(
        `hb_ping: unexpected answer from ${server.url}/hb_ping: "${body}" is not a decimal integer`,
      );
      await expect(client.init(0)).rejects.toMatchObject({
        kind: 'answer',
        line: body,
      });
    },
  );

  it('a non-2xx answer carries its status and ERROR line', async () => {
    server.answerWith(() => ({
      status: 400,
      body: 'ERROR: cannot process your request: [bad]\nmore\n',
    }));

    const error = await new HeartbeatClient({ url: server.url, appId: 'a' })
      .init(0)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(HeartbeatClientError);
    expect(error).toMatchObject({
      kind: 'http',
      status: 400,
      line: 'ERROR: cannot process your request: [bad]',
      message:
        'hb_init: the heartbeat server answered 400: ERROR: cannot process your request: [bad]',
    });
  });

  it('no answer within the request timeout is a timeout error', async () => {
    server.answerWith(() => 'hang');
    const client = new HeartbeatClient({
      url: server.url,
      requestTimeoutMs: 1,
    });

    await expect(client.list()).rejects.toMatchObject({
      kind: 'timeout',
      message: `list: no answer from ${server.url}/list within 1 ms`,
    });
  });

  it("the caller's signal aborts the request", async () => {
    server.answerWith(() => 'hang');
    const controller = new AbortController();
    const client = new HeartbeatClient({ url: server.url, appId: 'a' });

    const ping = client.ping(0, { signal: controller.signal });
    controller.abort();

    await expect(ping).rejects.toMatchObject({ kind: 'aborted' });
  });

  it('a dropped connection is an unreachable error', async () => {
    server.answerWith(() => 'reset');

    await expect(
      new HeartbeatClient({ url: server.url }).list(),
    ).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('a refused connection is an unreachable error naming the cause', async () => {
    const port = await freePort();
    const client = new HeartbeatClient({
      url: `http://127.0.0.1:${port}`,
      appId: 'a',
    });

    await expect(client.init(0)).rejects.toThrow(
      `hb_init: cannot reach the heartbeat server at http://127.0.0.1:${port}/hb_init (connect ECONNREFUSED 127.0.0.1:${port})`,
    );
  });

  it.each([
    [{ url: 'not a url' }, /invalid heartbeat server URL "not a url"/],
    [{ url: 'ftp://host/' }, /invalid heartbeat server URL "ftp:\/\/host\/"/],
    [{ url: 'http://host/?x=1' }, /must not carry a query string/],
    [{ url: 'http://host', appId: '' }, /invalid application ID ""/],
    [
      { url: 'http://host', requestTimeoutMs: 0 },
      /invalid requestTimeoutMs 0: expected a positive integer/,
    ],
  ])('refuses a bad option: %j', (options, message) => {
    expect(() => new HeartbeatClient(options)).toThrow(message);
  });

  it('refuses a bad call without sending anything', async () => {
    const client = new HeartbeatClient({ url: server.url });

    await expect(client.ping(10)).rejects.toThrow(
      "hb_ping: no application ID (give one to the call or as the client's appId option)",
    );
    await expect(client.init(-1, { appId: 'a' })).rejects.toMatchObject({
      kind: 'usage',
      message:
        'invalid timeoutMs -1: expected a non-negative integer number of milliseconds',
    });
    await expect(client.done(1.5, { appId: 'a' })).rejects.toMatchObject({
      kind: 'usage',
    });
    await expect(client.status('')).rejects.toMatchObject({ kind: 'usage' });
    expect(server.requests).toEqual([]);
  });
});
