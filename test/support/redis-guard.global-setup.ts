import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import {
  databaseOf,
  diffSnapshots,
  prefixPattern,
  redactedUrl,
  scanKeys,
  shortLivedClient,
  snapshotKeys,
  TEST_KEY_ROOT,
  TEST_REDIS_URL,
  withDatabase,
  type KeySnapshot,
} from './redis-namespace.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** This run's ID: every test key starts with `hbtest:<id>:` (see `uniquePrefix()`). */
    hbTestRunId: string;
  }
}

/**
 * Vitest global setup: proves a run leaves a user's Redis data alone.
 *
 * Before the run it records the keys a heartbeat server of the user's would own (`heartbeat*`,
 * and `<HB_REDIS_PREFIX>*` when the shell sets one) in database 0 of the test server, of the
 * default local server, and in the database of a `REDIS_URL` inherited from the shell, with a
 * digest of each value. After the run it fails the run (exit code 1) when a key appeared or
 * disappeared there, or when a key of this run (`hbtest:<run>:*`) is left anywhere it looked.
 *
 * Why appear/disappear and not every value: the user's own server may be running against that
 * Redis while `npm test` runs, and it rewrites its keys on every heartbeat, so a changed value
 * is no evidence against the tests; it is reported as a note only. The tests never write
 * there at all, and a write by them to an empty namespace (the usual case, always on CI) shows up
 * as a new key. A live server that writes its very first key, or loses its last app, during the
 * run trips the guard once; the message says so.
 */
export default async function setup(project: TestProject) {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  project.provide('hbTestRunId', runId);
  const runPattern = prefixPattern(`${TEST_KEY_ROOT}${runId}:`);

  const patterns = ['heartbeat*'];
  const userPrefix = process.env.HB_REDIS_PREFIX?.trim();
  if (userPrefix) patterns.push(prefixPattern(userPrefix));

  const watched = new Map<string, string>();
  const watch = (url: string) => {
    try {
      watched.set(databaseOf(url), url);
    } catch {
      // Not a URL: nothing a test could have reached either.
    }
  };
  watch(withDatabase(TEST_REDIS_URL, 0));
  watch('redis://127.0.0.1:6379/0');
  const inherited = process.env.REDIS_URL?.trim();
  if (inherited && /^rediss?:\/\//.test(inherited)) watch(inherited);

  const before = new Map<string, KeySnapshot>();
  for (const [db, url] of watched) {
    const snapshot = await withClient(url, (client) =>
      snapshotKeys(client, patterns),
    );
    if (snapshot) before.set(db, snapshot);
  }

  return async function teardown(): Promise<void> {
    const problems: string[] = [];
    const notes: string[] = [];
    for (const [db, url] of watched) {
      const previous = before.get(db);
      const label = redactedUrl(url);
      const result = await withClient(url, async (client) => ({
        snapshot: previous && (await snapshotKeys(client, patterns)),
        leftovers: await removeAll(client, runPattern),
      }));
      if (!result) {
        if (previous) notes.push(`${label}: no answer after the run`);
        continue;
      }
      if (result.leftovers.length > 0) {
        problems.push(
          `${label}: keys of this run in a user database: ${list(result.leftovers)}`,
        );
      }
      if (!previous || !result.snapshot) continue;
      const diff = diffSnapshots(previous, result.snapshot);
      if (diff.appeared.length > 0) {
        problems.push(`${label}: appeared: ${list(diff.appeared)}`);
      }
      if (diff.disappeared.length > 0) {
        problems.push(`${label}: disappeared: ${list(diff.disappeared)}`);
      }
      if (diff.changed.length > 0) {
        notes.push(
          `${label}: values changed (a server of yours writing there?): ${list(diff.changed)}`,
        );
      }
    }
    if (!watched.has(databaseOf(TEST_REDIS_URL))) {
      const leftovers = await withClient(TEST_REDIS_URL, (client) =>
        removeAll(client, runPattern),
      );
      if (leftovers && leftovers.length > 0) {
        problems.push(
          `${redactedUrl(TEST_REDIS_URL)}: left behind by this run (removed now): ${list(leftovers)}`,
        );
      }
    }

    for (const note of notes) console.warn(`redis guard: note: ${note}`);
    if (problems.length === 0) return;
    console.error(
      [
        '',
        'redis guard: FAILED: the test run touched Redis data it did not create.',
        ...problems.map((problem) => `  ${problem}`),
        `Tests must keep their keys in HB_TEST_REDIS_URL (${redactedUrl(TEST_REDIS_URL)}) under`,
        'uniquePrefix() and delete them, and give spawned processes an explicit environment.',
        'If a heartbeat server of your own shares this Redis and created or lost keys during',
        'the run, that change was its own: run the tests again.',
        '',
      ].join('\n'),
    );
    process.exitCode = 1;
  };
}

/** Runs `use` with a connected client, or returns undefined when nothing answers at `url`. */
async function withClient<T>(
  url: string,
  use: (client: Redis) => Promise<T>,
): Promise<T | undefined> {
  const client = shortLivedClient(url);
  try {
    await client.connect();
  } catch {
    client.disconnect();
    return undefined;
  }
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** Deletes the keys matching `pattern` and returns their names. */
async function removeAll(client: Redis, pattern: string): Promise<string[]> {
  const keys = await scanKeys(client, pattern);
  if (keys.length > 0) await client.del(...keys);
  return keys.sort();
}

function list(keys: readonly string[], max = 10): string {
  const shown = keys.slice(0, max).join(', ');
  return keys.length > max ? `${shown} and ${keys.length - max} more` : shown;
}
