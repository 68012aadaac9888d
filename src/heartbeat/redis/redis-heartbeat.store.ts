import {
  Cluster,
  Redis,
  type ClusterNode,
  type ClusterOptions,
  type RedisOptions,
} from 'ioredis';
import { HeartbeatError } from '../core/errors.js';
import { HeartbeatMessages } from '../core/messages.js';
import { PAUSED_DEADLINE } from '../core/status.js';
import {
  consoleHeartbeatLogger,
  type HeartbeatLogger,
} from '../engine/heartbeat.logger.js';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import type {
  HeartbeatStateCounts,
  HeartbeatStore,
  HeartbeatStorePage,
  HeartbeatStoreState,
  HeartbeatStoreStateChange,
  HeartbeatUpsertResult,
} from '../interfaces/heartbeat-store.interface.js';
import type {
  HeartbeatTombstone,
  HeartbeatTombstonePolicy,
} from '../interfaces/heartbeat-tombstone.interface.js';
import {
  COUNTS_SCRIPT,
  DUE_PAUSES_SCRIPT,
  END_PAUSE_SCRIPT,
  MOST_OVERDUE_SCRIPT,
  PAGE_IDS_SCRIPT,
  PAGE_SCRIPT,
  PAUSE_SCRIPT,
  REDIS_KEY_NAMES,
  REMOVE_EXPIRED_SCRIPT,
  REMOVE_SCRIPT,
  TAKE_STATE_CHANGES_SCRIPT,
  UPSERT_SCRIPT,
  type RedisScript,
} from './redis-heartbeat.scripts.js';
import {
  REDIS_TOMBSTONE_KEY_NAMES,
  tombstoneArgs,
  unpackTombstone,
} from './redis-tombstone.scripts.js';
import {
  RedisTimeClock,
  type RedisTimeClockOptions,
} from './redis-time.clock.js';

/**
 * Options of {@link RedisHeartbeatStore}: an existing client (standalone or cluster), a URL, or
 * the nodes of a Redis Cluster to connect to.
 * @publicApi
 */
export type RedisHeartbeatStoreOptions = (
  | {
      /** A client you own (`Redis` or `Cluster`); the store never closes it. */
      client: Redis | Cluster;
      url?: never;
      nodes?: never;
    }
  | {
      /** `redis://[:password@]host:port/db`; the store opens and closes this connection. */
      url: string;
      client?: never;
      nodes?: never;
    }
  | {
      /**
       * Some nodes of a Redis Cluster (`'host:port'` or `{ host, port }`); the store opens and
       * closes a cluster client that discovers the rest.
       */
      nodes: ReadonlyArray<ClusterNode>;
      client?: never;
      url?: never;
    }
) & {
  /**
   * Prefix of every key the store writes. Every key also carries one Redis Cluster hash tag, so
   * that each script's keys live in one slot: the prefix's own `{tag}` when it has one, else
   * `{hb}` after it (`heartbeat:{hb}:apps`). Give registries that share a cluster a tag each
   * (`team-a:{hb-a}:`) to put them in different slots.
   * @default 'heartbeat:'
   */
  keyPrefix?: string;
  /**
   * Upper bound on one Redis command, after which the request is answered 503
   * (only for the connection the store opens).
   * @default 1000
   */
  commandTimeoutMs?: number;
  /**
   * Password (and user name) for the connections the store opens to cluster nodes; a `url`
   * carries its own.
   */
  password?: string;
  username?: string;
  /** Options of the shared Redis clock. */
  clock?: RedisTimeClockOptions;
  /**
   * Where outages and recoveries are logged (Nest's `Logger` fits).
   * @default console
   */
  logger?: HeartbeatLogger;
};

const DEFAULT_KEY_PREFIX = 'heartbeat:';

/**
 * A `HeartbeatStore` on Redis or Redis Cluster, for several replicas behind a load balancer or
 * state that survives a restart. Each update is one Lua script (atomic across keys, all in one
 * hash slot); records are indexed by each state deadline in sorted sets, so counts per state are
 * O(log n), and every read is bounded by what it returns: no script walks the registry, so Redis
 * is never held for long at a million apps. Replicas judge lateness by Redis time
 * ({@link RedisTimeClock}, exposed as `clock`) and claim each drop and each state change in a
 * script, so each is reported by exactly one replica. Connections the store opens pipeline
 * concurrent commands automatically (one write per event-loop turn).
 *
 * While Redis is unreachable every operation fails fast with a `HeartbeatError` of kind
 * `unavailable` (503); the connection is retried in the background and service resumes by itself.
 *
 * @example
 * HeartbeatModule.forRoot({ store: new RedisHeartbeatStore({ url: 'redis://127.0.0.1:6379' }) })
 * @publicApi
 */
export class RedisHeartbeatStore implements HeartbeatStore {
  /** The Redis-time clock that replicas on this Redis share. */
  readonly clock: RedisTimeClock;
  private readonly client: Redis | Cluster;
  private readonly ownsClient: boolean;
  private readonly keys: readonly string[];
  private readonly logger: HeartbeatLogger;
  /** A key never created: what `checkWritable()` writes nothing to, in the slot of our keys. */
  private readonly probeKey: string;
  /**
   * The outage being reported: `writes` while Redis answers reads but refuses writes (out of
   * memory, read-only replica), `all` while it does not answer. Undefined while it serves.
   */
  private down: 'writes' | 'all' | undefined;
  private closed = false;
  private pendingUpserts: PendingUpsert[] = [];

  constructor(options: RedisHeartbeatStoreOptions) {
    const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.logger = options.logger ?? consoleHeartbeatLogger;
    this.keys = redisKeys(prefix);
    this.probeKey = `${this.keys[0]}:write-probe`;
    const commandTimeout = options.commandTimeoutMs ?? 1000;
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else if (options.nodes) {
      this.client = new Cluster(
        [...options.nodes],
        clusterOptions(commandTimeout, options),
      );
      this.ownsClient = true;
    } else {
      this.client = new Redis(options.url, redisOptions(commandTimeout));
      this.ownsClient = true;
    }
    this.clock = new RedisTimeClock(this.client, options.clock);
    this.client.on('ready', () => {
      // Connected again; refused writes are over only once a write succeeds.
      if (this.down === 'all') this.reportUp();
      this.clock.sync().catch(() => undefined);
    });
    this.client.on('error', (error: Error) =>
      this.reportDown(error.message, 'all'),
    );
    if (this.client.status === 'ready')
      this.clock.sync().catch(() => undefined);
  }

  /**
   * Heartbeats that arrive in the same turn of the event loop (from any number of connections)
   * are sent together, in arrival order, as one script: one command and one round trip for the
   * batch instead of one each, which is what keeps Redis mode close to memory mode in
   * throughput. Each record is still upserted atomically, with the same result as alone.
   */
  upsert(
    record: HeartbeatRecord,
    maxApps: number,
    now: number = record.lastSeen,
  ): Promise<HeartbeatUpsertResult> {
    if (this.client.status !== 'ready') return Promise.reject(unavailable());
    return new Promise((resolve, reject) => {
      this.pendingUpserts.push({ record, maxApps, now, resolve, reject });
      if (this.pendingUpserts.length === 1) {
        setImmediate(() => this.flushUpserts());
      }
    });
  }

  private flushUpserts(): void {
    const pending = this.pendingUpserts;
    this.pendingUpserts = [];
    for (let i = 0; i < pending.length; i += UPSERT_BATCH) {
      void this.sendUpserts(pending.slice(i, i + UPSERT_BATCH));
    }
  }

  private async sendUpserts(batch: PendingUpsert[]): Promise<void> {
    // Two arguments per record, the numbers in one: encoding an argument costs the client and
    // Redis about as much whatever its length.
    const args = [String(batch.length), PAUSED];
    for (const { record, maxApps, now } of batch) {
      args.push(
        record.appId,
        `${record.lastSeen},${record.delayMs},${record.registeredAt},${record.warnAt},${record.critAt},${record.expiresAt},${maxApps},${now}`,
      );
    }
    let results: HeartbeatUpsertResult[];
    try {
      const reply = await this.eval(UPSERT_SCRIPT, 'write', args);
      const parts = typeof reply === 'string' ? reply.split(';') : [];
      if (parts.length !== batch.length) throw badReply('upsert', reply);
      results = batch.map(({ record }, i) => upsertResult(record, parts[i]!));
    } catch (error) {
      for (const { reject } of batch) reject(error);
      return;
    }
    for (const [i, { resolve }] of batch.entries()) resolve(results[i]!);
  }

  async get(appId: string): Promise<HeartbeatRecord | undefined> {
    const packed = await this.command('read', () =>
      this.client.hget(this.keys[0]!, appId),
    );
    return packed === null ? undefined : unpack(appId, packed);
  }

  async page(
    cursor: string | undefined,
    limit: number,
  ): Promise<HeartbeatStorePage> {
    let from = cursor === undefined ? 0 : parseCursor(cursor);
    const records: HeartbeatRecord[] = [];
    const cursors: string[] = [];
    for (;;) {
      const want = Math.min(SCRIPT_BATCH, limit - records.length);
      const reply = await this.eval(PAGE_SCRIPT, 'read', [
        String(from),
        String(want),
      ]);
      if (!Array.isArray(reply) || (reply.length - 1) % 3 !== 0)
        throw badReply('page', reply);
      for (let i = 1; i < reply.length; i += 3) {
        const [appId, packed, seq] = [reply[i], reply[i + 1], reply[i + 2]];
        if (
          typeof appId !== 'string' ||
          typeof packed !== 'string' ||
          typeof seq !== 'string'
        ) {
          throw badReply('page', reply);
        }
        records.push(unpack(appId, packed));
        cursors.push(String(Number(seq) + 1));
      }
      const next = cursors.at(-1);
      if (reply[0] !== 1 || next === undefined) return { records, cursors };
      if (records.length >= limit) return { records, cursors, next };
      from = Number(next);
    }
  }

  async pageIds(
    cursor: string | undefined,
    limit: number,
    now: number,
  ): Promise<{ ids: string[]; next?: string }> {
    const from = cursor === undefined ? 0 : parseCursor(cursor);
    const reply = await this.eval(PAGE_IDS_SCRIPT, 'read', [
      String(from),
      String(Math.min(limit, PAGE_IDS_BATCH)),
      String(now),
    ]);
    if (
      !Array.isArray(reply) ||
      (reply[0] !== 0 && reply[0] !== 1) ||
      typeof reply[1] !== 'string' ||
      reply.slice(2).some((id) => typeof id !== 'string')
    ) {
      throw badReply('pageIds', reply);
    }
    const ids = reply.slice(2) as string[];
    return reply[0] === 1
      ? { ids, next: String(Number(reply[1]) + 1) }
      : { ids };
  }

  async counts(now: number): Promise<HeartbeatStateCounts> {
    const reply = await this.eval(COUNTS_SCRIPT, 'read', [String(now)]);
    if (
      !Array.isArray(reply) ||
      reply.length !== 5 ||
      reply.some((n) => typeof n !== 'number')
    ) {
      throw badReply('counts', reply);
    }
    const [records, expired, warned, critical, paused] = reply as number[] as [
      number,
      number,
      number,
      number,
      number,
    ];
    return {
      total: records - expired,
      OK: records - warned,
      WARNING: warned - critical,
      CRITICAL: critical - expired,
      paused,
    };
  }

  async mostOverdue(
    now: number,
    limit: number,
    state?: HeartbeatStoreState,
  ): Promise<HeartbeatRecord[]> {
    const found = new Map<string, HeartbeatRecord>();
    let phase = state === 'OK' ? 'ok' : state === 'WARNING' ? 'warn' : 'crit';
    let rank = 0;
    // Each call examines a bounded window of one index; ranks may shift between calls when
    // records come and go, hence the Map (no duplicates).
    for (
      let calls = 0;
      phase !== '' && found.size < limit && calls < MOST_OVERDUE_MAX_CALLS;
      calls++
    ) {
      const reply = await this.eval(MOST_OVERDUE_SCRIPT, 'read', [
        String(now),
        String(Math.min(SCRIPT_BATCH, limit - found.size)),
        state ?? '',
        phase,
        String(rank),
        String(MOST_OVERDUE_BUDGET),
      ]);
      if (
        !Array.isArray(reply) ||
        typeof reply[0] !== 'string' ||
        typeof reply[1] !== 'number' ||
        reply.length % 2 !== 0
      ) {
        throw badReply('mostOverdue', reply);
      }
      for (const record of unpackPairs('mostOverdue', reply.slice(2))) {
        if (found.size < limit) found.set(record.appId, record);
      }
      [phase, rank] = [reply[0], reply[1]];
    }
    return [...found.values()];
  }

  /**
   * Claims the threshold crossings since the last claim by any replica (at least `since`), so
   * each state change is reported by exactly one replica. See the store contract.
   */
  async takeStateChanges(
    since: number,
    now: number,
    limit: number,
  ): Promise<HeartbeatStoreStateChange[]> {
    const changes: Array<HeartbeatStoreStateChange & { at: number }> = [];
    // Scripts of SCRIPT_BATCH crossings per index, until one comes back short or the limit is met.
    for (
      let claimed = SCRIPT_BATCH;
      claimed >= SCRIPT_BATCH && changes.length < limit;
    ) {
      const reply = await this.eval(TAKE_STATE_CHANGES_SCRIPT, 'write', [
        String(since),
        String(now),
        String(SCRIPT_BATCH),
      ]);
      if (!Array.isArray(reply) || reply.length % 3 !== 0)
        throw badReply('takeStateChanges', reply);
      claimed = reply.length / 3;
      for (let i = 0; i < reply.length; i += 3) {
        const [kind, appId, packed] = [reply[i], reply[i + 1], reply[i + 2]];
        if (
          (kind !== 'warn' && kind !== 'crit') ||
          typeof appId !== 'string' ||
          typeof packed !== 'string'
        ) {
          throw badReply('takeStateChanges', reply);
        }
        const record = unpack(appId, packed);
        changes.push(
          kind === 'warn'
            ? { record, from: 'OK', to: 'WARNING', at: record.warnAt }
            : { record, from: 'WARNING', to: 'CRITICAL', at: record.critAt },
        );
      }
    }
    // In the order they happened; an app's WARNING comes before its CRITICAL.
    changes.sort((a, b) => a.at - b.at);
    return changes.map(({ record, from, to }) => ({ record, from, to }));
  }

  async remove(
    appId: string,
    tombstones?: HeartbeatTombstonePolicy,
  ): Promise<boolean> {
    // Deletions, and a tombstone written only if Redis takes it: Redis allows deletions even out
    // of memory, so success proves no writability.
    return (
      (await this.eval(REMOVE_SCRIPT, 'read', [
        appId,
        ...tombstoneArgs(tombstones),
      ])) === 1
    );
  }

  async removeExpired(
    now: number,
    limit: number,
    tombstones?: HeartbeatTombstonePolicy,
  ): Promise<HeartbeatRecord[]> {
    const removed: HeartbeatRecord[] = [];
    for (;;) {
      const want = Math.min(REMOVE_BATCH, limit - removed.length);
      const batch = unpackPairs(
        'removeExpired',
        await this.eval(REMOVE_EXPIRED_SCRIPT, 'read', [
          String(now),
          String(want),
          ...tombstoneArgs(tombstones),
        ]),
      );
      removed.push(...batch);
      if (batch.length < want || removed.length >= limit) return removed;
    }
  }

  /** One field of the tombstone hash: no script, O(1). */
  async tombstone(
    appId: string,
    since: number,
  ): Promise<HeartbeatTombstone | undefined> {
    const packed = await this.command('read', () =>
      this.client.hget(this.keys.at(-2)!, appId),
    );
    return packed === null ? undefined : unpackTombstone(appId, packed, since);
  }

  count(): Promise<number> {
    return this.command('read', () => this.client.hlen(this.keys[0]!));
  }

  async pause(
    appId: string,
    pausedAt: number,
    pausedUntil: number | undefined,
    now: number = pausedAt,
  ): Promise<HeartbeatRecord | undefined> {
    const reply = await this.eval(PAUSE_SCRIPT, 'write', [
      appId,
      String(pausedAt),
      pausedUntil === undefined ? '' : String(pausedUntil),
      PAUSED,
      String(now),
    ]);
    return storedRecord('pause', appId, reply);
  }

  async endPause(
    appId: string,
    pausedAt: number,
    endedAt: number,
    deadlines: Pick<HeartbeatRecord, 'warnAt' | 'critAt' | 'expiresAt'>,
  ): Promise<HeartbeatRecord | undefined> {
    const reply = await this.eval(END_PAUSE_SCRIPT, 'write', [
      appId,
      String(pausedAt),
      String(endedAt),
      String(deadlines.warnAt),
      String(deadlines.critAt),
      String(deadlines.expiresAt),
      PAUSED,
    ]);
    return storedRecord('endPause', appId, reply);
  }

  async duePauses(now: number, limit: number): Promise<HeartbeatRecord[]> {
    return unpackPairs(
      'duePauses',
      await this.eval(DUE_PAUSES_SCRIPT, 'read', [
        String(now),
        String(Math.min(limit, SCRIPT_BATCH)),
      ]),
    );
  }

  /**
   * A write that writes nothing (`SETRANGE` of an empty string on a key that does not exist):
   * Redis refuses it exactly when it would refuse a heartbeat (out of memory with `noeviction`,
   * a read-only replica, a failed background save with `stop-writes-on-bgsave-error`).
   */
  async checkWritable(): Promise<void> {
    await this.command('write', () =>
      this.client.setrange(this.probeKey, 0, ''),
    );
  }

  /** Stops the clock and closes the connection if the store opened it. */
  async close(): Promise<void> {
    this.closed = true;
    this.clock.close();
    if (!this.ownsClient) return;
    try {
      await this.client.quit();
    } catch {
      // Not connected: nothing to say goodbye to.
      this.client.disconnect();
    }
  }

  /**
   * Runs a script. `write`: its success proves Redis accepts writes (the upsert writes with
   * commands Redis refuses when out of memory); `read`: it does not (reads, and deletions, which
   * Redis allows even then).
   */
  private eval(
    script: RedisScript,
    proves: 'read' | 'write',
    args: string[],
  ): Promise<unknown> {
    return this.command(proves, async () => {
      try {
        return await this.client.evalsha(
          script.sha,
          this.keys.length,
          ...this.keys,
          ...args,
        );
      } catch (error) {
        // First use on this server (or after a SCRIPT FLUSH): send the source once.
        if (!String(error).includes('NOSCRIPT')) throw error;
        return this.client.eval(
          script.lua,
          this.keys.length,
          ...this.keys,
          ...args,
        );
      }
    });
  }

  /**
   * Fails fast while disconnected, so a lost Redis means a quick 503, never a hung request. Every
   * failure (connection lost, command timed out, out of memory, read-only replica, ...) is
   * `unavailable`; a success ends the outage it can vouch for: any success one where Redis did
   * not answer, only a write one where Redis refused writes.
   */
  private async command<T>(
    proves: 'read' | 'write',
    run: () => Promise<T>,
  ): Promise<T> {
    // The connection's own 'error' events report the outage; here we only refuse quickly.
    if (this.client.status !== 'ready') throw unavailable();
    let result: T;
    try {
      result = await run();
    } catch (error) {
      if (error instanceof HeartbeatError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      this.reportDown(message, refusesWrites(message) ? 'writes' : 'all');
      throw unavailable();
    }
    if (this.down === 'all' || (this.down && proves === 'write')) {
      this.reportUp();
    }
    return result;
  }

  /**
   * One log line when an outage begins, with its cause, and one when it ends (`reportUp`), not
   * one per request: whatever the cause, the next outage is logged again.
   */
  private reportDown(reason: string, scope: 'writes' | 'all'): void {
    if (this.closed) return;
    if (this.down !== undefined) {
      // Already reported; a Redis that stopped answering altogether is the larger outage.
      if (scope === 'all') this.down = 'all';
      return;
    }
    this.down = scope;
    this.logger.error(
      scope === 'writes'
        ? `heartbeat store: Redis refuses writes (${oneLine(reason)}); heartbeats are answered 503 and /status UNKNOWN until it accepts them`
        : `heartbeat store: Redis unavailable (${oneLine(reason)}); answering 503 until it is back`,
    );
  }

  private reportUp(): void {
    if (this.down === undefined || this.closed) return;
    this.down = undefined;
    this.logger.log('heartbeat store: Redis is back');
  }
}

/**
 * Errors with which Redis refuses a write while it still answers reads: out of memory
 * (`noeviction`), a read-only replica, writes stopped after a failed background save, too few
 * replicas for `min-replicas-to-write`.
 */
function refusesWrites(message: string): boolean {
  return /^(OOM|READONLY|MISCONF|NOREPLICAS)\b/.test(message);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** An upsert waiting for the end of the event-loop turn, to be sent with the others. */
interface PendingUpsert {
  readonly record: HeartbeatRecord;
  readonly maxApps: number;
  /** The registry's recorded time (see `HeartbeatStore.upsert`). */
  readonly now: number;
  readonly resolve: (result: HeartbeatUpsertResult) => void;
  readonly reject: (error: unknown) => void;
}

/** Most heartbeats sent in one script (each costs Redis about 20 microseconds of CPU). */
const UPSERT_BATCH = 50;

/**
 * One record's part of the upsert script's reply, "status|registeredAt|dropped|recovered|held":
 * the record as given, with its registeredAt.
 */
function upsertResult(
  given: HeartbeatRecord,
  reply: string,
): HeartbeatUpsertResult {
  const fields = reply.split('|');
  const [status, registeredAt, dropped, recovered, held] = fields;
  if (status === 'full' && fields.length === 5) return { status };
  const registered = Number(registeredAt);
  if (
    fields.length !== 5 ||
    (status !== 'created' && status !== 'updated') ||
    !Number.isFinite(registered) ||
    (recovered !== '' && recovered !== 'WARNING' && recovered !== 'CRITICAL')
  ) {
    throw badReply('upsert', reply);
  }
  const record =
    held !== ''
      ? unpack(given.appId, held!)
      : registered === given.registeredAt
        ? given
        : { ...given, registeredAt: registered };
  return {
    status,
    record,
    ...(dropped !== '' && { dropped: unpack(given.appId, dropped!) }),
    ...(recovered !== '' && { recovered }),
  };
}

/**
 * Most records one script reads: pages and most-overdue answers are split into scripts of at
 * most this many (about a millisecond of Redis CPU each at a million apps, measured by the
 * benchmark), so that a script stays far below 10 ms even on a loaded machine.
 */
const SCRIPT_BATCH = 250;
/**
 * Most records one script removes: an expiry batch (`sweepBatchSize`) is split into scripts of
 * this many (about 10 microseconds of Redis CPU per record: four sorted sets and the hash).
 */
const REMOVE_BATCH = 250;
/** Records one pageIds script examines at most (no record is read: IDs and deadlines only). */
const PAGE_IDS_BATCH = 250;
/** Index entries one mostOverdue script examines at most. */
const MOST_OVERDUE_BUDGET = 500;
/**
 * Scripts one mostOverdue call runs at most: past it (only while a mass expiry is still being
 * swept, when expired records fill the front of the indexes) it answers with what it found.
 */
const MOST_OVERDUE_MAX_CALLS = 100;

/**
 * The store's keys under `prefix`, all with one hash tag: the prefix's own `{tag}` if it has
 * one, else `{hb}`.
 * @internal
 */
export function redisKeys(prefix: string): string[] {
  const tagged = /\{[^{}]+\}/.test(prefix) ? prefix : `${prefix}{hb}:`;
  // The tombstone keys come last: scripts find them as the last two KEYS.
  return [...REDIS_KEY_NAMES, ...REDIS_TOMBSTONE_KEY_NAMES].map(
    (name) => `${tagged}${name}`,
  );
}

/** A page cursor of this store: the registration sequence number to resume at. */
function parseCursor(cursor: string): number {
  if (!/^[0-9]{1,15}$/.test(cursor)) {
    throw new HeartbeatError(
      'invalid',
      HeartbeatMessages.invalidCursor(cursor),
    );
  }
  return Number(cursor);
}

function clusterOptions(
  commandTimeout: number,
  options: { password?: string; username?: string },
): ClusterOptions {
  const { retryStrategy, ...node } = redisOptions(commandTimeout);
  return {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    clusterRetryStrategy:
      retryStrategy as ClusterOptions['clusterRetryStrategy'],
    redisOptions: {
      ...node,
      ...(options.password !== undefined && { password: options.password }),
      ...(options.username !== undefined && { username: options.username }),
    },
  };
}

function redisOptions(commandTimeout: number): RedisOptions {
  return {
    // Commands issued in one event-loop turn go out as one pipeline: under load, many heartbeats
    // share a write and a read instead of one round of system calls each.
    enableAutoPipelining: true,
    // Without a queue, commands issued while disconnected fail at once instead of waiting.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout,
    connectTimeout: 2000,
    // Keep reconnecting for as long as it takes, backing off up to 2 s.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  };
}

function unavailable(): HeartbeatError {
  return new HeartbeatError(
    'unavailable',
    HeartbeatMessages.storeUnavailable(),
  );
}

function badReply(operation: string, reply: unknown): Error {
  return new Error(
    `unexpected Redis reply to ${operation}: ${JSON.stringify(reply)}`,
  );
}

/** `PAUSED_DEADLINE` as the scripts receive it. */
const PAUSED = String(PAUSED_DEADLINE);

/** A script's stored packed record, `false` (nil) for none. */
function storedRecord(
  operation: string,
  appId: string,
  reply: unknown,
): HeartbeatRecord | undefined {
  if (reply === null) return undefined;
  if (typeof reply !== 'string') throw badReply(operation, reply);
  return unpack(appId, reply);
}

/** "lastSeen,delayMs,registeredAt,warnAt,critAt,expiresAt[,pausedAt[,pausedUntil]]" */
function unpack(appId: string, packed: string): HeartbeatRecord {
  const fields = packed.split(',').map(Number);
  if (
    fields.length < 6 ||
    fields.length > 8 ||
    fields.some((n) => !Number.isFinite(n))
  ) {
    throw badReply('record', packed);
  }
  const [lastSeen, delayMs, registeredAt, warnAt, critAt, expiresAt] =
    fields as [number, number, number, number, number, number];
  const record: HeartbeatRecord = {
    appId,
    lastSeen,
    delayMs,
    registeredAt,
    warnAt,
    critAt,
    expiresAt,
  };
  const [pausedAt, pausedUntil] = [fields[6], fields[7]];
  if (pausedAt === undefined) return record;
  return pausedUntil === undefined
    ? { ...record, pausedAt }
    : { ...record, pausedAt, pausedUntil };
}

function unpackPairs(operation: string, reply: unknown): HeartbeatRecord[] {
  if (!Array.isArray(reply) || reply.length % 2 !== 0)
    throw badReply(operation, reply);
  const records: HeartbeatRecord[] = [];
  for (let i = 0; i < reply.length; i += 2) {
    const [appId, packed] = [reply[i], reply[i + 1]];
    if (typeof appId !== 'string' || typeof packed !== 'string')
      throw badReply(operation, reply);
    records.push(unpack(appId, packed));
  }
  return records;
}
