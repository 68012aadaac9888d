import {
  HeartbeatEvents,
  resolveHeartbeatOptions,
  type HeartbeatModuleOptions,
  type ResolvedHeartbeatOptions,
} from './heartbeat/index.js';

/** Heartbeat options as text: what `resolveHeartbeatOptions` accepts from configuration. */
type HeartbeatOptionsFromEnv = NonNullable<
  Parameters<typeof resolveHeartbeatOptions>[0]
>;

/** Everything the standalone server reads from its environment. */
export interface AppConfig {
  readonly host: string;
  readonly port: number;
  /** Options for `HeartbeatModule`, validated. */
  readonly heartbeat: ResolvedHeartbeatOptions;
  /** `HB_ADAPTER`: the HTTP platform. */
  readonly adapter: 'express' | 'fastify';
  /** `HB_DASHBOARD`: serve the live dashboard at `/` (on unless `false`). */
  readonly dashboard: boolean;
  /**
   * `REDIS_URL` (one Redis) or `REDIS_CLUSTER_NODES` (a Redis Cluster): keep the registry there
   * instead of in memory.
   */
  readonly redis?: RedisConfig;
  /**
   * `HB_SHUTDOWN_TIMEOUT_MS`: how long a graceful stop waits for requests in flight before it
   * closes their connections and exits.
   */
  readonly shutdownTimeoutMs: number;
}

/** Where the standalone server keeps its registry in Redis. */
export type RedisConfig = (
  | { readonly url: string; readonly nodes?: never }
  | {
      /** Cluster nodes to start from, `host:port` each. */
      readonly nodes: ReadonlyArray<{ host: string; port: number }>;
      readonly url?: never;
      /** `REDIS_PASSWORD`, for the cluster's nodes. */
      readonly password?: string;
    }
) & { readonly keyPrefix?: string };

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8888;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/** `HB_*` variables that map one-to-one onto numeric heartbeat options. */
const NUMERIC_OPTIONS = {
  HB_TOLERANCE_MS: 'toleranceMs',
  HB_WARN_THRESHOLD: 'warnThreshold',
  HB_CRIT_THRESHOLD: 'critThreshold',
  HB_DROP_THRESHOLD: 'dropThreshold',
  HB_SWEEP_INTERVAL_MS: 'sweepIntervalMs',
  HB_SWEEP_BATCH_SIZE: 'sweepBatchSize',
  HB_MAX_APPS: 'maxApps',
  HB_MAX_LISTED_IDS: 'maxListedIds',
  HB_PAGE_SIZE: 'pageSize',
  HB_MAX_PAGE_SIZE: 'maxPageSize',
  HB_READ_BATCH_SIZE: 'readBatchSize',
  HB_MAX_PAGE_SCAN: 'maxPageScan',
  HB_TOMBSTONE_MS: 'tombstoneMs',
  HB_MAX_TOMBSTONES: 'maxTombstones',
  HB_MAX_APP_ID_LENGTH: 'maxAppIdLength',
  HB_MAX_TIMEOUT_MS: 'maxTimeoutMs',
  HB_MAX_BODY_BYTES: 'maxBodyBytes',
  HB_WEBHOOK_TIMEOUT_MS: 'webhookTimeoutMs',
  HB_WEBHOOK_MAX_ATTEMPTS: 'webhookMaxAttempts',
  HB_WEBHOOK_RETRY_DELAY_MS: 'webhookRetryDelayMs',
  HB_WEBHOOK_QUEUE_SIZE: 'webhookQueueSize',
  HB_WEBHOOK_CONCURRENCY: 'webhookConcurrency',
  HB_WEBHOOK_HISTORY_SIZE: 'webhookHistorySize',
  HB_DASHBOARD_MAX_STREAMS: 'dashboardMaxStreams',
  HB_DASHBOARD_MAX_PAGE_SIZE: 'dashboardMaxPageSize',
  HB_DASHBOARD_KEEPALIVE_MS: 'dashboardKeepAliveMs',
  HB_DASHBOARD_REFRESH_MS: 'dashboardRefreshMs',
  HB_STATE_FLUSH_MS: 'stateFlushMs',
  HB_STATE_FLUSH_BATCH_SIZE: 'stateFlushBatchSize',
} as const satisfies Record<string, keyof HeartbeatModuleOptions>;

/** The variable that sets each option, for error messages. */
const VARIABLE_OF: Partial<Record<keyof HeartbeatModuleOptions, string>> = {
  ...Object.fromEntries(
    Object.entries(NUMERIC_OPTIONS).map(([name, option]) => [option, name]),
  ),
  corsOrigin: 'HB_CORS_ORIGIN',
  stateFile: 'HB_STATE_FILE',
};

type Env = Readonly<Record<string, string | undefined>>;

function portFrom(raw: string, name: string): number {
  const port = Number(raw);
  if (!/^[0-9]+$/.test(raw) || port > 65535) {
    throw new Error(`${name}=${raw} is not a TCP port (0-65535)`);
  }
  return port;
}

/**
 * Where to listen: `HB_HOST`/`HB_PORT`, or `HB_URL` (`http://host:port`). When `HB_URL` is given
 * with either of the others they must agree; a disagreement names both values.
 */
export function resolveListenAddress(env: Env): { host: string; port: number } {
  const envHost = env.HB_HOST?.trim() || undefined;
  const envPort = env.HB_PORT?.trim() || undefined;
  const port = envPort === undefined ? undefined : portFrom(envPort, 'HB_PORT');
  const rawUrl = env.HB_URL?.trim() || undefined;
  if (rawUrl === undefined) {
    return { host: envHost ?? DEFAULT_HOST, port: port ?? DEFAULT_PORT };
  }

  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new Error(`HB_URL=${rawUrl} is not an http://host:port address`);
  }
  if (url.protocol !== 'http:' || url.hostname === '') {
    throw new Error(`HB_URL=${rawUrl} is not an http://host:port address`);
  }
  const urlHost = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const urlPort = url.port === '' ? 80 : Number(url.port);
  if (envHost !== undefined && envHost !== urlHost) {
    throw new Error(`HB_HOST=${envHost} disagrees with HB_URL=${rawUrl}`);
  }
  if (port !== undefined && port !== urlPort) {
    throw new Error(`HB_PORT=${envPort} disagrees with HB_URL=${rawUrl}`);
  }
  return { host: urlHost, port: urlPort };
}

/** A comma-separated variable as a list; blank entries (a trailing comma) are ignored. */
function listFrom(env: Env, name: string): string[] | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** `HB_PING_TOKENS`, `HB_READ_TOKENS`, `HB_ADMIN_TOKENS`: the `auth` option. */
function authFromEnv(env: Env): HeartbeatModuleOptions['auth'] {
  const ping = listFrom(env, 'HB_PING_TOKENS');
  const read = listFrom(env, 'HB_READ_TOKENS');
  const admin = listFrom(env, 'HB_ADMIN_TOKENS');
  if (!ping && !read && !admin) return undefined;
  return { ping, read, admin };
}

/**
 * `HB_WEBHOOK_URLS` (one receiver each), with `HB_WEBHOOK_SECRET` and `HB_WEBHOOK_EVENTS`
 * shared by all.
 */
function webhooksFromEnv(env: Env): HeartbeatModuleOptions['webhooks'] {
  const urls = listFrom(env, 'HB_WEBHOOK_URLS');
  if (!urls) return undefined;
  const secret = env.HB_WEBHOOK_SECRET?.trim() || undefined;
  const events = listFrom(env, 'HB_WEBHOOK_EVENTS');
  // Checked here, so a typo stops the server with one line before anything starts.
  const known: string[] = Object.values(HeartbeatEvents);
  for (const name of events ?? []) {
    const full = name.startsWith('heartbeat.') ? name : `heartbeat.${name}`;
    if (!known.includes(full)) {
      throw new Error(
        `HB_WEBHOOK_EVENTS: unknown event ${name}, expected some of ${known.map((k) => k.replace('heartbeat.', '')).join(', ')}`,
      );
    }
  }
  return urls.map((url) => ({ url, secret, events }));
}

/**
 * Heartbeat options from `HB_*` variables, as text (trimmed; empty means unset): the module's
 * `resolveHeartbeatOptions` converts and validates them, by the same rules as any configuration.
 */
export function heartbeatOptionsFromEnv(env: Env): HeartbeatOptionsFromEnv {
  const options: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(NUMERIC_OPTIONS)) {
    options[option] = env[name]?.trim() || undefined;
  }
  if (env.HB_CORS_ORIGIN !== undefined) {
    options.corsOrigin = env.HB_CORS_ORIGIN.trim() || false;
  }
  options.stateFile = env.HB_STATE_FILE?.trim() || undefined;
  options.auth = authFromEnv(env);
  options.webhooks = webhooksFromEnv(env);
  return options as HeartbeatOptionsFromEnv;
}

/**
 * Names an option in an error by the variable that set it (`HB_MAX_APPS=-3`), or by the
 * variable that would have with the default it took (`HB_CRIT_THRESHOLD=5 (default)`).
 */
function describeByVariable(env: Env) {
  return (option: keyof HeartbeatModuleOptions, value: unknown): string => {
    const variable = VARIABLE_OF[option];
    if (variable === undefined) return `${option}=${JSON.stringify(value)}`;
    const raw = env[variable]?.trim();
    return raw
      ? `${variable}=${raw}`
      : `${variable}=${String(value)} (default)`;
  };
}

/**
 * The standalone server's configuration, validated in full before anything starts so a mistake
 * is reported once, clearly, by the name of the variable to fix.
 */
export function loadAppConfig(env: Env): AppConfig {
  const redis = redisFromEnv(env);
  const stateFile = env.HB_STATE_FILE?.trim();
  if (redis.redis && stateFile) {
    // Redis keeps the registry across restarts of the server; a file beside it would be a second,
    // stale copy.
    throw new Error(
      `HB_STATE_FILE=${stateFile} is for the in-memory registry, but ${redis.redis.url ? 'REDIS_URL' : 'REDIS_CLUSTER_NODES'} keeps it in Redis, which persists it itself: unset HB_STATE_FILE`,
    );
  }
  return {
    ...resolveListenAddress(env),
    heartbeat: byVariable(() =>
      resolveHeartbeatOptions(heartbeatOptionsFromEnv(env), {
        describe: describeByVariable(env),
      }),
    ),
    adapter: adapterFromEnv(env),
    dashboard: booleanFrom(env, 'HB_DASHBOARD', true),
    ...redis,
    shutdownTimeoutMs: shutdownTimeoutFromEnv(env),
  };
}

/**
 * Token and webhook entries are named by position in their option (`auth.read[1]`, never by
 * value: a token must not reach a log); here, by the variable and entry to fix.
 */
function byVariable<T>(resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    error.message = error.message
      .replace(
        /\bauth\.(ping|read|admin)\[(\d+)\]/,
        (_, kind: string, i: string) =>
          `HB_${kind.toUpperCase()}_TOKENS entry ${Number(i) + 1}`,
      )
      .replace(
        /\bwebhooks\[(\d+)\]\.url/,
        (_, i: string) => `HB_WEBHOOK_URLS entry ${Number(i) + 1}`,
      );
    throw error;
  }
}

function booleanFrom(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new Error(`${name}=${env[name]} is not one of true, false`);
}

/** `HB_SHUTDOWN_TIMEOUT_MS`: a whole number of milliseconds, 0 or more. */
function shutdownTimeoutFromEnv(env: Env): number {
  const raw = env.HB_SHUTDOWN_TIMEOUT_MS?.trim();
  if (!raw) return DEFAULT_SHUTDOWN_TIMEOUT_MS;
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new Error(
      `HB_SHUTDOWN_TIMEOUT_MS=${raw} is not a whole number of milliseconds (0 or more)`,
    );
  }
  return Number(raw);
}

function adapterFromEnv(env: Env): AppConfig['adapter'] {
  const adapter = env.HB_ADAPTER?.trim() || 'express';
  if (adapter !== 'express' && adapter !== 'fastify') {
    throw new Error(`HB_ADAPTER=${adapter} is not one of express, fastify`);
  }
  return adapter;
}

/**
 * `REDIS_URL` (`redis://` or `rediss://`), or `REDIS_CLUSTER_NODES` (`host:port,host:port,...`,
 * with `REDIS_PASSWORD` when the cluster needs one), and `HB_REDIS_PREFIX`. Both at once is a
 * mistake, refused by name.
 */
function redisFromEnv(env: Env): Pick<AppConfig, 'redis'> {
  const url = env.REDIS_URL?.trim();
  const clusterNodes = env.REDIS_CLUSTER_NODES?.trim();
  if (url && clusterNodes) {
    throw new Error(
      'REDIS_URL and REDIS_CLUSTER_NODES are both set: give one of them',
    );
  }
  const keyPrefix = env.HB_REDIS_PREFIX?.trim() || undefined;
  const prefix = keyPrefix ? { keyPrefix } : {};
  if (clusterNodes) {
    const password = env.REDIS_PASSWORD || undefined;
    return {
      redis: {
        nodes: clusterNodes.split(',').map((node) => nodeFrom(node.trim())),
        ...(password && { password }),
        ...prefix,
      },
    };
  }
  if (!url) return {};
  if (!/^rediss?:\/\//.test(url)) {
    throw new Error(`REDIS_URL=${url} is not a redis:// or rediss:// URL`);
  }
  return { redis: { url, ...prefix } };
}

function nodeFrom(node: string): { host: string; port: number } {
  const match = /^(.+):([0-9]+)$/.exec(node);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new Error(
      `REDIS_CLUSTER_NODES: ${node || '(empty)'} is not a host:port address`,
    );
  }
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}
