import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function probe(): Promise<boolean> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Whether a Redis server answers at REDIS_URL (default 127.0.0.1:6379). */
export const redisAvailable = await probe();

/**
 * `describe` for suites that need a real Redis. Without one they are skipped, loudly, naming the
 * suite; under `CI=true` a missing Redis is a failure, never a silent skip.
 */
export function describeWithRedis(name: string, suite: () => void): void {
  if (redisAvailable) {
    describe(name, suite);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs Redis', () => {
        throw new Error(
          `CI=true but no Redis answers at ${REDIS_URL}: "${name}" cannot run`,
        );
      });
    });
    return;
  }
  console.warn(`SKIPPED (no Redis at ${REDIS_URL}): ${name}`);
  describe.skip(`${name} [skipped: no Redis at ${REDIS_URL}]`, suite);
}

/** A key prefix no other test run uses. */
export function uniquePrefix(): string {
  return `hbtest:${randomUUID()}:`;
}

/** Deletes every key under a prefix (test cleanup). */
export async function deleteKeys(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 0 });
  try {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
  } finally {
    client.disconnect();
  }
}
