import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { buildStandalone, freePort } from './support/build-standalone.js';
import { childEnv } from './support/child-env.js';
import { readmeSections } from './support/readme.js';

const root = join(import.meta.dirname, '..');
const fixtures = join(import.meta.dirname, 'fixtures');

/** Polls `check` until it holds: for waiting on a process, never as a timing assertion. */
async function until(check: () => Promise<boolean> | boolean, what: string) {
  for (let attempt = 0; attempt < 400; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never happened: ${what}`);
}

/** Whether a TCP connection to the port is refused (the socket is closed either way). */
const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

/**
 * `nestjs-heartbeat/express` is the engine and its node:http handler with no Nest at all: with
 * every `@nestjs/*` package unresolvable, the built middleware (and the Redis store) still load
 * and serve the protocol.
 */
describe('the Express face without Nest', () => {
  let build: ReturnType<typeof buildStandalone>;

  beforeAll(() => {
    build = buildStandalone();
  }, 120_000);
  afterAll(() => build?.cleanup());

  it('loads no @nestjs/* module and serves through the middleware', () => {
    const output = execFileSync(
      process.execPath,
      [
        '--import',
        join(fixtures, 'block-nest.mjs'),
        join(fixtures, 'express-without-nest-child.mjs'),
        dirname(build.main),
      ],
      {
        encoding: 'utf8',
        cwd: join(import.meta.dirname, '..'),
        env: { PATH: process.env.PATH ?? '' },
      },
    );
    expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({
      nest: 'missing',
      redisStore: 'function',
      init: '1500',
      ping: '1000',
      list: 'bare\njson\n',
      // Real time passes between the two requests: od is whatever it is, the state OK.
      status: expect.stringMatching(
        /^OK - fine application \[bare\]\| od=\d+\.\d\d;3;5;0;6 delay=1500ms;;;$/,
      ),
      bad: [
        400,
        'ERROR: TIMEOUT must be a non-negative integer number of milliseconds, got [x]',
      ],
    });
    // A child process that loads the whole build: seconds on a busy machine.
  }, 60_000);

  it("the README's shutdown answers a request in flight on SIGTERM, then exits 0", async () => {
    const fixture = join(fixtures, 'express-shutdown.mjs');
    const [snippet] =
      readmeSections().get('Without Nest: Express middleware') ?? [];
    expect(readFileSync(fixture, 'utf8')).toBe(snippet);

    // The build as a package named nestjs-heartbeat, so the snippet imports it by that name.
    const dir = dirname(build.main);
    const { name, exports } = JSON.parse(
      readFileSync(join(root, 'package.json'), 'utf8'),
    ) as { name: string; exports: unknown };
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name,
        type: 'module',
        exports: JSON.parse(
          JSON.stringify(exports).replaceAll('./dist/', './'),
        ) as unknown,
      }),
    );
    cpSync(fixture, join(dir, 'serve.mjs'));

    const port = await freePort();
    const child = spawn(process.execPath, ['serve.mjs'], {
      cwd: dir,
      env: childEnv({ PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit') as Promise<
      [number | null, string | null]
    >;
    try {
      await until(async () => !(await refused(port)), 'the server listens');

      // A request in flight: the server has its headers (it answered 100 Continue), not its body.
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      const closed = once(socket, 'close');
      const body = 'appid=in-flight';
      socket.write(
        [
          'POST /hb/hb_init?1000 HTTP/1.1',
          'Host: 127.0.0.1',
          'Content-Type: application/x-www-form-urlencoded',
          `Content-Length: ${body.length}`,
          'Expect: 100-continue',
          '',
          '',
        ].join('\r\n'),
      );
      await until(() => received.includes('100 Continue'), '100 Continue');

      child.kill('SIGTERM');
      await until(() => refused(port), 'the server stops accepting');
      socket.write(body);
      // The answer, and then the server closes the kept-alive connection (the client never does).
      await closed;
      expect(received).toMatch(
        /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n2000$/,
      );
      expect([...(await exited), output]).toEqual([0, null, '']);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    }
  }, 60_000);
});
