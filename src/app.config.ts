import {
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
  /** `REDIS_URL`: keep the registry in Redis instead of memory. */
  readonly redis?: { readonly url: string; readonly keyPrefix?: string };
  /**
   * `HB_SHUTDOWN_TIMEOUT_MS`: how long a graceful stop waits for requests in flight before it
   * closes their connections and exits.
   */
  readonly shutdownTimeoutMs: number;
}

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
  HB_MAX_APP_ID_LENGTH: 'maxAppIdLength',
  HB_MAX_TIMEOUT_MS: 'maxTimeoutMs',
  HB_MAX_BODY_BYTES: 'maxBodyBytes',
  HB_DASHBOARD_MAX_STREAMS: 'dashboardMaxStreams',
  HB_DASHBOARD_MAX_PAGE_SIZE: 'dashboardMaxPageSize',
  HB_DASHBOARD_KEEPALIVE_MS: 'dashboardKeepAliveMs',
  HB_DASHBOARD_REFRESH_MS: 'dashboardRefreshMs',
} as const satisfies Record<string, keyof HeartbeatModuleOptions>;

/** The variable that sets each option, for error messages. */
const VARIABLE_OF: Partial<Record<keyof HeartbeatModuleOptions, string>> = {
  ...Object.fromEntries(
    Object.entries(NUMERIC_OPTIONS).map(([name, option]) => [option, name]),
  ),
  corsOrigin: 'HB_CORS_ORIGIN',
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
  return {
    ...resolveListenAddress(env),
    heartbeat: resolveHeartbeatOptions(heartbeatOptionsFromEnv(env), {
      describe: describeByVariable(env),
    }),
    adapter: adapterFromEnv(env),
    dashboard: booleanFrom(env, 'HB_DASHBOARD', true),
    ...redisFromEnv(env),
    shutdownTimeoutMs: shutdownTimeoutFromEnv(env),
  };
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

/** `REDIS_URL` (`redis://` or `rediss://`) and `HB_REDIS_PREFIX`. */
function redisFromEnv(env: Env): Pick<AppConfig, 'redis'> {
  const url = env.REDIS_URL?.trim();
  if (!url) return {};
  if (!/^rediss?:\/\//.test(url)) {
    throw new Error(`REDIS_URL=${url} is not a redis:// or rediss:// URL`);
  }
  const keyPrefix = env.HB_REDIS_PREFIX?.trim() || undefined;
  return { redis: { url, ...(keyPrefix && { keyPrefix }) } };
}
