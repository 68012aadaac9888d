import { Redis, type RedisOptions } from 'ioredis';
import { HeartbeatError } from '../core/errors.js';
import { HeartbeatMessages } from '../core/messages.js';
import {
  consoleHeartbeatLogger,
  type HeartbeatLogger,
} from '../engine/heartbeat.logger.js';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import type {
  HeartbeatStore,
  HeartbeatUpsertResult,
} from '../interfaces/heartbeat-store.interface.js';
import {
  LIST_SCRIPT,
  REMOVE_EXPIRED_SCRIPT,
  REMOVE_SCRIPT,
  UPSERT_SCRIPT,
  type RedisScript,
} from './redis-heartbeat.scripts.js';
import {
  RedisTimeClock,
  type RedisTimeClockOptions,
} from './redis-time.clock.js';

/** Options of {@link RedisHeartbeatStore}: an existing client or a URL to connect to. @publicApi */
export type RedisHeartbeatStoreOptions = (
  | {
      /** A client you own; the store never closes it. */
      client: Redis;
      url?: never;
    }
  | {
      /** `redis://[:password@]host:port/db`; the store opens and closes this connection. */
      url: string;
      client?: never;
    }
) & {
  /**
   * Prefix of every key the store writes.
   * @default 'heartbeat:'
   */
  keyPrefix?: string;
  /**
   * Upper bound on one Redis command, after which the request is answered 503
   * (only for the connection the store opens).
   * @default 1000
   */
  commandTimeoutMs?: number;
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
 * A `HeartbeatStore` on Redis, for several replicas behind a load balancer or state that
 * survives a restart. Each update is one Lua script (atomic across keys); records expire through
 * a sorted set by drop deadline, so the expiry work is proportional to what expires. Replicas
 * judge lateness by Redis time ({@link RedisTimeClock}, exposed as `clock`).
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
  private readonly client: Redis;
  private readonly ownsClient: boolean;
  private readonly keys: readonly [string, string, string, string];
  private readonly logger: HeartbeatLogger;
  /** A key never created: what `checkWritable()` writes nothing to, in the slot of our keys. */
  private readonly probeKey: string;
  /**
   * The outage being reported: `writes` while Redis answers reads but refuses writes (out of
   * memory, read-only replica), `all` while it does not answer. Undefined while it serves.
   */
  private down: 'writes' | 'all' | undefined;
  private closed = false;

  constructor(options: RedisHeartbeatStoreOptions) {
    const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.logger = options.logger ?? consoleHeartbeatLogger;
    this.keys = [
      `${prefix}apps`,
      `${prefix}deadlines`,
      `${prefix}order`,
      `${prefix}seq`,
    ];
    this.probeKey = `${this.keys[0]}:write-probe`;
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      this.client = new Redis(
        options.url,
        redisOptions(options.commandTimeoutMs ?? 1000),
      );
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

  async upsert(
    record: HeartbeatRecord,
    maxApps: number,
  ): Promise<HeartbeatUpsertResult> {
    const reply = await this.eval(UPSERT_SCRIPT, 'write', [
      record.appId,
      String(record.lastSeen),
      String(record.delayMs),
      String(record.registeredAt),
      String(record.expiresAt),
      String(maxApps),
    ]);
    if (!Array.isArray(reply) || typeof reply[0] !== 'string')
      throw badReply('upsert', reply);
    const [status, packed, dropped] = reply as unknown[];
    if (status === 'full') return { status };
    if (
      (status !== 'created' && status !== 'updated') ||
      typeof packed !== 'string'
    ) {
      throw badReply('upsert', reply);
    }
    return {
      status,
      record: unpack(record.appId, packed),
      ...(typeof dropped === 'string' && {
        dropped: unpack(record.appId, dropped),
      }),
    };
  }

  async get(appId: string): Promise<HeartbeatRecord | undefined> {
    const packed = await this.command('read', () =>
      this.client.hget(this.keys[0], appId),
    );
    return packed === null ? undefined : unpack(appId, packed);
  }

  async list(): Promise<HeartbeatRecord[]> {
    return unpackPairs('list', await this.eval(LIST_SCRIPT, 'read', []));
  }

  async remove(appId: string): Promise<boolean> {
    // Only deletions: Redis allows them even out of memory, so success proves no writability.
    return (await this.eval(REMOVE_SCRIPT, 'read', [appId])) === 1;
  }

  async removeExpired(now: number, limit: number): Promise<HeartbeatRecord[]> {
    return unpackPairs(
      'removeExpired',
      await this.eval(REMOVE_EXPIRED_SCRIPT, 'read', [
        String(now),
        String(limit),
      ]),
    );
  }

  count(): Promise<number> {
    return this.command('read', () => this.client.hlen(this.keys[0]));
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

function redisOptions(commandTimeout: number): RedisOptions {
  return {
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

function unpack(appId: string, packed: string): HeartbeatRecord {
  const fields = packed.split(',').map(Number);
  if (fields.length !== 4 || fields.some((n) => !Number.isFinite(n))) {
    throw badReply('record', packed);
  }
  const [lastSeen, delayMs, registeredAt, expiresAt] = fields as [
    number,
    number,
    number,
    number,
  ];
  return { appId, lastSeen, delayMs, registeredAt, expiresAt };
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
