import { Cluster, Redis, type ClusterNode } from 'ioredis';
import type { HeartbeatEventClaims } from '../interfaces/heartbeat-webhook.interface.js';

/**
 * Options of {@link RedisEventClaims}: an existing client, a URL, or the nodes of a Redis Cluster
 * to connect to.
 * @publicApi
 */
export type RedisEventClaimsOptions = (
  | {
      /** A client you own (the store's, typically; `Redis` or `Cluster`); never closed here. */
      client: Redis | Cluster;
      url?: never;
      nodes?: never;
    }
  | {
      /** `redis://[:password@]host:port/db`; opened and closed here. */
      url: string;
      client?: never;
      nodes?: never;
    }
  | {
      /** Some nodes of a Redis Cluster; a cluster client is opened and closed here. */
      nodes: ReadonlyArray<ClusterNode>;
      /** Password (and user name) of the cluster's nodes. */
      password?: string;
      username?: string;
      client?: never;
      url?: never;
    }
) & {
  /**
   * Prefix of the claim keys (`<prefix>webhook:<event id>`): use the store's.
   * @default 'heartbeat:'
   */
  keyPrefix?: string;
  /**
   * Upper bound on one claim (only for the connection opened here); a claim that cannot be
   * made in time counts as won, so an event is delivered twice rather than never.
   * @default 1000
   */
  commandTimeoutMs?: number;
};

/**
 * Webhook event claims on Redis: the first replica to `SET <prefix>webhook:<event id> NX PX`
 * delivers the event, the others skip it. Event IDs are the same on every replica that reports
 * an event (name, app, target state, heartbeat), so each state change, drop and goodbye is
 * delivered once however many replicas see it. Keys expire on their own, shortly after the app
 * itself would have been dropped.
 *
 * @example
 * HeartbeatModule.forRoot({
 *   store: new RedisHeartbeatStore({ client }),
 *   webhooks: [{ url: 'https://alerts.example.com/hb', secret }],
 *   webhookClaims: new RedisEventClaims({ client }),
 * });
 * @publicApi
 */
export class RedisEventClaims implements HeartbeatEventClaims {
  private readonly client: Redis | Cluster;
  private readonly ownsClient: boolean;
  private readonly prefix: string;

  constructor(options: RedisEventClaimsOptions) {
    this.prefix = `${options.keyPrefix ?? 'heartbeat:'}webhook:`;
    const connection = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      connectTimeout: 2000,
    };
    const retryStrategy = (attempt: number) => Math.min(attempt * 100, 2000);
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      this.client = options.nodes
        ? new Cluster([...options.nodes], {
            enableOfflineQueue: false,
            clusterRetryStrategy: retryStrategy,
            redisOptions: {
              ...connection,
              ...(options.password !== undefined && {
                password: options.password,
              }),
              ...(options.username !== undefined && {
                username: options.username,
              }),
            },
          })
        : new Redis(options.url, { ...connection, retryStrategy });
      // The dispatcher reports a failed claim; the connection's own errors need no second line.
      this.client.on('error', () => undefined);
      this.ownsClient = true;
    }
  }

  async claim(eventId: string, ttlMs: number): Promise<boolean> {
    const reply = await this.client.set(
      `${this.prefix}${eventId}`,
      '1',
      'PX',
      Math.max(1, Math.ceil(ttlMs)),
      'NX',
    );
    return reply === 'OK';
  }

  /** Closes the connection if it was opened here. */
  async close(): Promise<void> {
    if (!this.ownsClient) return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}
