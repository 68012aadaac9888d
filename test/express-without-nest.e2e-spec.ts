import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { buildStandalone } from './support/build-standalone.js';

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
    const fixtures = join(import.meta.dirname, 'fixtures');
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
});
