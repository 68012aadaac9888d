import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { buildStandalone } from './support/build-standalone.js';

/**
 * ioredis, prom-client, @nestjs/event-emitter, @nestjs/terminus and @nestjs/platform-fastify are
 * optional: the built package must load, run as a Nest module (events on events$), as middleware
 * and as the standalone server (without /metrics) without them.
 */
/** The standalone server must use its in-memory store here, whatever the environment says. */
function withoutRedis(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.REDIS_URL;
  return copy;
}

describe('optional peer dependencies', () => {
  let build: ReturnType<typeof buildStandalone>;

  beforeAll(() => {
    build = buildStandalone();
  }, 120_000);
  afterAll(() => build?.cleanup());

  it('the core package works with every optional peer missing', () => {
    const fixtures = join(import.meta.dirname, 'fixtures');
    const output = execFileSync(
      process.execPath,
      [
        '--import',
        join(fixtures, 'block-optional-peers.mjs'),
        join(fixtures, 'optional-peers-child.mjs'),
        dirname(build.main),
      ],
      {
        encoding: 'utf8',
        cwd: join(import.meta.dirname, '..'),
        env: withoutRedis(process.env),
      },
    );
    expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({
      ioredis: 'missing',
      'prom-client': 'missing',
      '@nestjs/event-emitter': 'missing',
      '@nestjs/terminus': 'missing',
      nest: 2000,
      events: ['heartbeat.registered'],
      standalone: { init: '1000', metrics: 404 },
      middleware: '1000',
    });
    // A child process that loads the whole build: seconds on a busy machine.
  }, 60_000);
});
