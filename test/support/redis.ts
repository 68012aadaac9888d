import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { childEnv } from './child-env.js';
import {
  prefixPattern,
  redactedUrl,
  scanKeys,
  shortLivedClient,
  TEST_KEY_ROOT,
  TEST_REDIS_URL,
} from './redis-namespace.js';

export { TEST_REDIS_URL };

/** Why no Redis answers at HB_TEST_REDIS_URL, or undefined when one does. */
async function probe(): Promise<string | undefined> {
  const client = shortLivedClient(TEST_REDIS_URL);
  // connect() rejects with a bare "Connection is closed."; the cause came as an 'error' event.
  let cause: unknown;
  client.on('error', (error) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    cause ??= error;
    const message = cause instanceof Error ? cause.message : String(cause);
    return `no Redis answers at ${redactedUrl(TEST_REDIS_URL)}: ${message || 'connection failed'}`;
  } finally {
    client.disconnect();
  }
}

function hasRedisServerBinary(): boolean {
  try {
    execFileSync('redis-server', ['--version'], {
      stdio: 'ignore',
      env: childEnv(),
    });
    return true;
  } catch {
    return false;
  }
}

const NO_BINARY = 'no redis-server binary on PATH';
const binary = hasRedisServerBinary();

/** Why the shared-Redis suites cannot run, or undefined when they can. */
export const redisUnavailable: string | undefined = await probe().then(
  (reason) => (reason && !binary ? `${reason} (and ${NO_BINARY})` : reason),
);

/** Whether a Redis server answers at HB_TEST_REDIS_URL (default database 13 of 127.0.0.1:6379). */
export const redisAvailable = redisUnavailable === undefined;

/** Why suites that start their own `redis-server` cannot run, or undefined when they can. */
export const redisServerBinaryMissing: string | undefined = binary
  ? undefined
  : NO_BINARY;

/**
 * `describe` that runs when `reason` is undefined. Otherwise the suite is skipped, loudly, naming
 * the suite and the reason; under `CI=true` it fails instead, never a silent skip.
 */
function describeUnless(
  reason: string | undefined,
  name: string,
  suite: () => void,
): void {
  if (reason === undefined) {
    describe(name, suite);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('cannot run', () => {
        throw new Error(`CI=true but ${reason}: "${name}" cannot run`);
      });
    });
    return;
  }
  console.warn(`SKIPPED (${reason}): ${name}`);
  describe.skip(`${name} [skipped: ${reason}]`, suite);
}

/** `describe` for suites that need the shared test Redis (HB_TEST_REDIS_URL). */
export function describeWithRedis(name: string, suite: () => void): void {
  describeUnless(redisUnavailable, name, suite);
}

/** `describe` for suites that start (and kill) their own `redis-server` (see PrivateRedis). */
export function describeWithRedisServerBinary(
  name: string,
  suite: () => void,
): void {
  describeUnless(redisServerBinaryMissing, name, suite);
}

/**
 * A key prefix no other test or run uses: `hbtest:<run>:<uuid>:`. The run ID comes from the
 * global setup, which checks after the run that no key of the run is left.
 */
export function uniquePrefix(): string {
  const run = inject('hbTestRunId') ?? `pid${process.pid}`;
  return `${TEST_KEY_ROOT}${run}:${randomUUID()}:`;
}

/** A client on the test database (HB_TEST_REDIS_URL); the caller disconnects it. */
export function testRedisClient(): Redis {
  return new Redis(TEST_REDIS_URL);
}

/** Deletes every key under a prefix in the test database (test cleanup). */
export async function deleteKeys(prefix: string): Promise<void> {
  const client = shortLivedClient(TEST_REDIS_URL);
  try {
    await client.connect();
    const keys = await scanKeys(client, prefixPattern(prefix));
    if (keys.length > 0) await client.del(...keys);
  } finally {
    client.disconnect();
  }
}
