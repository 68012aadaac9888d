import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { answerClientErrors, clientErrorAnswer } from './client-errors.js';

const error = (code: string) => Object.assign(new Error(code), { code });

describe('clientErrorAnswer', () => {
  it.each([
    [
      'HPE_HEADER_OVERFLOW',
      431,
      'Request Header Fields Too Large',
      'request header fields too large',
    ],
    [
      'HPE_INVALID_METHOD',
      400,
      'Bad Request',
      'malformed HTTP request (HPE_INVALID_METHOD)',
    ],
    [
      'ERR_HTTP_REQUEST_TIMEOUT',
      408,
      'Request Timeout',
      'request not complete in time',
    ],
    [
      'HPE_CHUNK_EXTENSIONS_OVERFLOW',
      413,
      'Payload Too Large',
      'chunk extensions too large',
    ],
  ])('%s -> %d', (code, status, reason, message) => {
    const body = `ERROR: ${message}`;
    expect(clientErrorAnswer(error(code))).toBe(
      `HTTP/1.1 ${status} ${reason}\r\n` +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        `Content-Length: ${body.length}\r\n` +
        'Cache-Control: no-store\r\n' +
        `Connection: close\r\n\r\n${body}`,
    );
  });
});

describe('answerClientErrors', () => {
  let server: Server;
  let port: number;

  beforeEach(async () => {
    // Answers each request once told to, so a test controls what is in flight.
    server = createServer((request, response) => {
      setImmediate(() => response.end(`answer to ${request.url}`));
    });
    answerClientErrors(server);
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const exchange = (bytes: string) =>
    new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.write(bytes);
    });

  it('answers garbage with one ERROR line and closes', async () => {
    const text = await exchange('NOT HTTP\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toMatch(
      /\r\n\r\nERROR: malformed HTTP request \(HPE_INVALID_METHOD\)$/,
    );
  });

  it('answers the requests pipelined before the garbage first, in order', async () => {
    const text = await exchange(
      'GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP\r\n\r\n',
    );
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => m[1]);
    expect(statuses).toEqual(['200', '200', '400']);
    expect(text.indexOf('answer to /one')).toBeLessThan(
      text.indexOf('answer to /two'),
    );
    expect(
      text.endsWith('ERROR: malformed HTTP request (HPE_INVALID_METHOD)'),
    ).toBe(true);
  });

  it('replaces the listeners a framework had installed', () => {
    expect(server.listenerCount('clientError')).toBe(1);
  });
});
