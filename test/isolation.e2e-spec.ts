import { childEnv } from './support/child-env.js';
import {
  deleteKeys,
  describeWithRedis,
  testRedisClient,
  uniquePrefix,
} from './support/redis.js';
import {
  databaseOf,
  diffSnapshots,
  prefixPattern,
  snapshotKeys,
  TEST_KEY_ROOT,
  withDatabase,
} from './support/redis-namespace.js';

/** The pieces that keep the tests away from a user's data (see redis-guard.global-setup.ts). */
describe('test isolation', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('a spawned process gets PATH and the variables given, never REDIS_URL, HB_* or NODE_OPTIONS of the shell', () => {
    vi.stubEnv('REDIS_URL', 'redis://127.0.0.1:6379/5');
    vi.stubEnv('HB_MAX_APPS', '1');
    vi.stubEnv('HB_REDIS_PREFIX', 'mine:');
    vi.stubEnv('NODE_OPTIONS', '--inspect');
    const env = childEnv({ HB_PORT: '9000' });
    expect(env).toMatchObject({
      PATH: process.env.PATH,
      NO_COLOR: '1',
      HB_PORT: '9000',
    });
    expect(
      Object.keys(env).filter(
        (name) => !['PATH', 'HOME', 'TMPDIR', 'SYSTEMROOT'].includes(name),
      ),
    ).toEqual(['NO_COLOR', 'HB_PORT']);
  });

  it('test keys are namespaced per run', () => {
    const prefix = uniquePrefix();
    expect(prefix.startsWith(TEST_KEY_ROOT)).toBe(true);
    expect(prefix).toMatch(/^hbtest:[^:]+:[0-9a-f-]{36}:$/);
    expect(prefix.split(':')[1]).toBe(uniquePrefix().split(':')[1]);
    expect(uniquePrefix()).not.toBe(prefix);
  });

  it('names databases and patterns exactly', () => {
    expect(withDatabase('redis://:secret@cache:6380/4', 0)).toBe(
      'redis://:secret@cache:6380/0',
    );
    expect(databaseOf('redis://127.0.0.1:6379')).toBe(
      databaseOf('redis://127.0.0.1:6379/0'),
    );
    expect(databaseOf('redis://127.0.0.1/5')).toBe('127.0.0.1:6379/5');
    expect(prefixPattern('a*b[c]?:')).toBe('a\\*b\\[c\\]\\?:*');
  });

  describeWithRedis('key snapshots', () => {
    let prefix: string;
    let client: ReturnType<typeof testRedisClient>;

    beforeAll(() => {
      client = testRedisClient();
    });
    beforeEach(() => {
      prefix = uniquePrefix();
    });
    afterEach(() => deleteKeys(prefix));
    afterAll(() => client.disconnect());

    it('tell keys that appeared, disappeared or changed from those left alone', async () => {
      await client.set(`${prefix}kept`, 'same');
      await client.set(`${prefix}changed`, 'before');
      await client.hset(`${prefix}gone`, 'a', '1');
      const pattern = prefixPattern(prefix);
      const before = await snapshotKeys(client, [pattern]);
      expect([...before.keys()].sort()).toEqual(
        [`${prefix}changed`, `${prefix}gone`, `${prefix}kept`].sort(),
      );

      await client.set(`${prefix}changed`, 'after');
      await client.del(`${prefix}gone`);
      await client.zadd(`${prefix}new`, 1, 'x');
      expect(
        diffSnapshots(before, await snapshotKeys(client, [pattern])),
      ).toEqual({
        appeared: [`${prefix}new`],
        disappeared: [`${prefix}gone`],
        changed: [`${prefix}changed`],
      });
    });

    it('match their prefix literally', async () => {
      await client.set(`${prefix}x*`, '1');
      await client.set(`${prefix}xy`, '1');
      expect([
        ...(await snapshotKeys(client, [prefixPattern(`${prefix}x*`)])).keys(),
      ]).toEqual([`${prefix}x*`]);
    });
  });
});
