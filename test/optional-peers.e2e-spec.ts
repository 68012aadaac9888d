import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { buildStandalone } from './support/build-standalone.js';
import { childEnv } from './support/child-env.js';

/**
 * ioredis, prom-client, @nestjs/event-emitter, @nestjs/terminus and @nestjs/platform-fastify are
 * optional: the built package must load, run as a Nest module (events on events$), as middleware
 * and as the standalone server (without /metrics) without them.
 */
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
        // Only PATH and friends: the standalone server must use its in-memory store here,
        // whatever REDIS_URL or HB_* the shell exports.
        env: childEnv(),
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
    // A child process that boots Nest twice: on a loaded machine that takes more than the
    // default 5 s. A bound against a hang, not a timing assertion.
  }, 60_000);
});
