import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * Where the tests keep their Redis data: `HB_TEST_REDIS_URL`, by default database 13 of the
 * local server, never the `REDIS_URL` of the shell (that one points at a user's own registry).
 */
export const TEST_REDIS_URL =
  process.env.HB_TEST_REDIS_URL?.trim() || 'redis://127.0.0.1:6379/13';

/** Every key a test creates starts with this, followed by the run's ID (see `uniquePrefix()`). */
export const TEST_KEY_ROOT = 'hbtest:';

/** `url` with its database index replaced (credentials, host and port kept). */
export function withDatabase(url: string, db: number): string {
  const parsed = new URL(url);
  parsed.pathname = `/${db}`;
  return parsed.toString();
}

/** `url` without its password, for messages. */
export function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** Which server and database a URL addresses, so two spellings of one database compare equal. */
export function databaseOf(url: string): string {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.slice(1) || '0');
  return `${parsed.hostname}:${parsed.port || '6379'}/${db}`;
}

/** A glob that matches `prefix` literally, followed by anything. */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
}

/** A client that fails fast instead of retrying: for probes, guards and cleanup. */
export function shortLivedClient(url: string): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  return client;
}

/** Every key matching `pattern`, by SCAN (never KEYS, which blocks a busy server). */
export async function scanKeys(
  client: Redis,
  pattern: string,
): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(
      cursor,
      'MATCH',
      pattern,
      'COUNT',
      1000,
    );
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return [...new Set(keys)];
}

/** Key name to a digest of its serialised value (`DUMP`). */
export type KeySnapshot = ReadonlyMap<string, string>;

/** The keys matching any of `patterns`, each with a digest of its value. */
export async function snapshotKeys(
  client: Redis,
  patterns: readonly string[],
): Promise<KeySnapshot> {
  const snapshot = new Map<string, string>();
  for (const pattern of patterns) {
    for (const key of await scanKeys(client, pattern)) {
      const dump = await client.dumpBuffer(key);
      // A key that expired between SCAN and DUMP is not there any more.
      if (dump === null) continue;
      snapshot.set(key, createHash('sha256').update(dump).digest('hex'));
    }
  }
  return snapshot;
}

export interface SnapshotDiff {
  readonly appeared: readonly string[];
  readonly disappeared: readonly string[];
  readonly changed: readonly string[];
}

/** What happened between two snapshots of the same keys. */
export function diffSnapshots(
  before: KeySnapshot,
  after: KeySnapshot,
): SnapshotDiff {
  return {
    appeared: [...after.keys()].filter((key) => !before.has(key)).sort(),
    disappeared: [...before.keys()].filter((key) => !after.has(key)).sort(),
    changed: [...after]
      .filter(([key, digest]) => before.has(key) && before.get(key) !== digest)
      .map(([key]) => key)
      .sort(),
  };
}
