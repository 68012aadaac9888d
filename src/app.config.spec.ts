import {
  heartbeatOptionsFromEnv,
  loadAppConfig,
  resolveListenAddress,
} from './app.config.js';
import { maxParamLengthFor } from './app.setup.js';

describe('resolveListenAddress', () => {
  it.each([
    [{}, { host: '127.0.0.1', port: 8888 }],
    [{ HB_HOST: '0.0.0.0' }, { host: '0.0.0.0', port: 8888 }],
    [{ HB_PORT: '9000' }, { host: '127.0.0.1', port: 9000 }],
    [{ HB_URL: 'http://10.0.0.5:9999' }, { host: '10.0.0.5', port: 9999 }],
    [{ HB_URL: 'http://hb.example' }, { host: 'hb.example', port: 80 }],
    [{ HB_URL: 'http://[::1]:8888/heartbeat' }, { host: '::1', port: 8888 }],
    [
      {
        HB_URL: 'http://127.0.0.1:8888',
        HB_HOST: '127.0.0.1',
        HB_PORT: '8888',
      },
      { host: '127.0.0.1', port: 8888 },
    ],
    [
      { HB_HOST: '', HB_PORT: '' },
      { host: '127.0.0.1', port: 8888 },
    ],
  ])('%j -> %j', (env, address) => {
    expect(resolveListenAddress(env)).toEqual(address);
  });

  it.each([
    [
      { HB_URL: 'http://127.0.0.1:8888', HB_PORT: '9000' },
      'HB_PORT=9000 disagrees with HB_URL=http://127.0.0.1:8888',
    ],
    [
      { HB_URL: 'http://127.0.0.1:8888', HB_HOST: '0.0.0.0' },
      'HB_HOST=0.0.0.0 disagrees with HB_URL=http://127.0.0.1:8888',
    ],
    [
      { HB_URL: 'https://127.0.0.1:8888' },
      'HB_URL=https://127.0.0.1:8888 is not an http://host:port address',
    ],
    [
      { HB_URL: 'not a url' },
      'HB_URL=not a url is not an http://host:port address',
    ],
    [{ HB_PORT: 'http' }, 'HB_PORT=http is not a TCP port'],
    [{ HB_PORT: '70000' }, 'HB_PORT=70000 is not a TCP port'],
  ])('refuses %j', (env, message) => {
    expect(() => resolveListenAddress(env)).toThrow(message);
  });
});

describe('heartbeatOptionsFromEnv', () => {
  it('maps HB_* variables onto options, as text for the module to validate', () => {
    expect(
      heartbeatOptionsFromEnv({
        HB_TOLERANCE_MS: '500',
        HB_WARN_THRESHOLD: '2.5',
        HB_CRIT_THRESHOLD: '4',
        HB_DROP_THRESHOLD: '8',
        HB_SWEEP_INTERVAL_MS: '250',
        HB_SWEEP_BATCH_SIZE: '100',
        HB_MAX_APPS: '10',
        HB_MAX_APP_ID_LENGTH: '64',
        HB_MAX_TIMEOUT_MS: '60000',
        HB_MAX_BODY_BYTES: '1024',
        HB_MAX_LISTED_IDS: '5',
        HB_PAGE_SIZE: '50',
        HB_MAX_PAGE_SIZE: '500',
        HB_READ_BATCH_SIZE: '200',
        HB_MAX_PAGE_SCAN: '2000',
        HB_TOMBSTONE_MS: '0',
        HB_MAX_TOMBSTONES: '50',
        HB_CORS_ORIGIN: 'https://kiosk.example',
      }),
    ).toEqual({
      toleranceMs: '500',
      warnThreshold: '2.5',
      critThreshold: '4',
      dropThreshold: '8',
      sweepIntervalMs: '250',
      sweepBatchSize: '100',
      maxApps: '10',
      maxAppIdLength: '64',
      maxTimeoutMs: '60000',
      maxBodyBytes: '1024',
      maxListedIds: '5',
      pageSize: '50',
      maxPageSize: '500',
      readBatchSize: '200',
      maxPageScan: '2000',
      tombstoneMs: '0',
      maxTombstones: '50',
      corsOrigin: 'https://kiosk.example',
    });
  });

  it('trims values and treats empty ones as unset', () => {
    expect(
      heartbeatOptionsFromEnv({ HB_MAX_APPS: ' 10 ', HB_TOLERANCE_MS: '  ' }),
    ).toMatchObject({ maxApps: '10', toleranceMs: undefined });
  });

  it('an empty HB_CORS_ORIGIN turns the header off', () => {
    expect(heartbeatOptionsFromEnv({ HB_CORS_ORIGIN: '' }).corsOrigin).toBe(
      false,
    );
  });
});

describe('loadAppConfig', () => {
  it('converts HB_* values to numbers', () => {
    expect(
      loadAppConfig({ HB_TOLERANCE_MS: '1500', HB_WARN_THRESHOLD: ' 2.5 ' })
        .heartbeat,
    ).toMatchObject({ toleranceMs: 1500, warnThreshold: 2.5 });
  });

  it.each([
    [
      { HB_MAX_APPS: '0' },
      'invalid heartbeat option HB_MAX_APPS=0: expected an integer >= 1',
    ],
    [
      { HB_MAX_APPS: 'many' },
      'invalid heartbeat option HB_MAX_APPS=many: expected an integer >= 1, written as decimal digits',
    ],
    [
      { HB_TOLERANCE_MS: '15s' },
      'invalid heartbeat option HB_TOLERANCE_MS=15s',
    ],
    [
      { HB_MAX_TIMEOUT_MS: '1e3' },
      'invalid heartbeat option HB_MAX_TIMEOUT_MS=1e3',
    ],
    [
      { HB_SWEEP_INTERVAL_MS: '-5' },
      'invalid heartbeat option HB_SWEEP_INTERVAL_MS=-5',
    ],
    [
      { HB_CRIT_THRESHOLD: '0' },
      'invalid heartbeat option HB_CRIT_THRESHOLD=0: expected a positive number',
    ],
    [
      { HB_TOMBSTONE_MS: '1d' },
      'invalid heartbeat option HB_TOMBSTONE_MS=1d: expected an integer >= 0',
    ],
    [
      { HB_MAX_TOMBSTONES: '0' },
      'invalid heartbeat option HB_MAX_TOMBSTONES=0: expected an integer >= 1',
    ],
    [
      { HB_WARN_THRESHOLD: '10' },
      'got HB_WARN_THRESHOLD=10 HB_CRIT_THRESHOLD=5 (default) HB_DROP_THRESHOLD=6 (default)',
    ],
    [
      { HB_CRIT_THRESHOLD: ' 7 ', HB_DROP_THRESHOLD: '6.5' },
      'got HB_WARN_THRESHOLD=3 (default) HB_CRIT_THRESHOLD=7 HB_DROP_THRESHOLD=6.5',
    ],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => loadAppConfig(env)).toThrow(message);
  });

  it('never names an option where a variable set it', () => {
    expect(() => loadAppConfig({ HB_MAX_APPS: '-3' })).toThrow(
      /^(?![\s\S]*maxApps)[\s\S]*HB_MAX_APPS=-3/,
    );
    expect(() => loadAppConfig({ HB_WARN_THRESHOLD: '10' })).toThrow(
      /^(?![\s\S]*(warnThreshold|warn=))[\s\S]*HB_WARN_THRESHOLD=10/,
    );
  });

  it('defaults everything', () => {
    expect(loadAppConfig({})).toMatchObject({
      host: '127.0.0.1',
      port: 8888,
      heartbeat: { toleranceMs: 1000, maxApps: 100_000 },
    });
  });
});

describe('REDIS_URL', () => {
  it('is absent by default (in memory)', () => {
    expect(loadAppConfig({}).redis).toBeUndefined();
  });

  it('selects Redis with an optional key prefix', () => {
    expect(
      loadAppConfig({ REDIS_URL: 'redis://127.0.0.1:6379/2' }).redis,
    ).toEqual({
      url: 'redis://127.0.0.1:6379/2',
    });
    expect(
      loadAppConfig({
        REDIS_URL: 'rediss://cache:6380',
        HB_REDIS_PREFIX: 'hb:prod:',
      }).redis,
    ).toEqual({ url: 'rediss://cache:6380', keyPrefix: 'hb:prod:' });
  });

  it('refuses something that is not a Redis URL', () => {
    expect(() => loadAppConfig({ REDIS_URL: 'localhost:6379' })).toThrow(
      'REDIS_URL=localhost:6379 is not a redis:// or rediss:// URL',
    );
  });

  it('takes the nodes of a Redis Cluster from REDIS_CLUSTER_NODES', () => {
    expect(
      loadAppConfig({
        REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, redis-b:7001,[::1]:7002',
        REDIS_PASSWORD: 'secret',
        HB_REDIS_PREFIX: 'hb:{prod}:',
      }).redis,
    ).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-b', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      password: 'secret',
      keyPrefix: 'hb:{prod}:',
    });
  });

  it('refuses a malformed cluster node, or both REDIS_URL and REDIS_CLUSTER_NODES', () => {
    expect(() => loadAppConfig({ REDIS_CLUSTER_NODES: 'a:1,b' })).toThrow(
      'REDIS_CLUSTER_NODES: b is not a host:port address',
    );
    expect(() => loadAppConfig({ REDIS_CLUSTER_NODES: 'a:70000' })).toThrow(
      'a:70000 is not a host:port address',
    );
    expect(() =>
      loadAppConfig({
        REDIS_URL: 'redis://a:1',
        REDIS_CLUSTER_NODES: 'a:1',
      }),
    ).toThrow('REDIS_URL and REDIS_CLUSTER_NODES are both set');
  });
});

describe('HB_*_TOKENS', () => {
  it('are open by default', () => {
    expect(loadAppConfig({}).heartbeat.auth).toEqual({
      ping: [],
      read: [],
      admin: [],
    });
  });

  it('read comma-separated lists into the auth option', () => {
    expect(
      loadAppConfig({
        HB_PING_TOKENS: 'kiosk-Token:kiosk-:100, ops-token:ops-,',
        HB_READ_TOKENS: 'nagios-token',
        HB_ADMIN_TOKENS: 'admin-1,admin-2',
      }).heartbeat.auth,
    ).toEqual({
      ping: [
        { token: 'kiosk-Token', prefix: 'kiosk-', maxApps: 100 },
        { token: 'ops-token', prefix: 'ops-', maxApps: undefined },
      ],
      read: ['nagios-token'],
      admin: ['admin-1', 'admin-2'],
    });
  });

  it('refuse a bad token by position, never printing it', () => {
    expect(() => loadAppConfig({ HB_READ_TOKENS: 'ok,not/ok' })).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(
          /^invalid heartbeat option HB_READ_TOKENS entry 2: a token is/,
        ) as unknown,
      }),
    );
    expect(() => loadAppConfig({ HB_READ_TOKENS: 'ok,not/ok' })).toThrow(
      expect.objectContaining({
        message: expect.not.stringContaining('not/ok') as unknown,
      }),
    );
  });
});

describe('HB_DASHBOARD', () => {
  it.each([
    [{}, true],
    [{ HB_DASHBOARD: 'true' }, true],
    [{ HB_DASHBOARD: ' FALSE ' }, false],
    [{ HB_DASHBOARD: '' }, true],
  ])('%j -> %s', (env, dashboard) => {
    expect(loadAppConfig(env).dashboard).toBe(dashboard);
  });

  it('refuses anything else', () => {
    expect(() => loadAppConfig({ HB_DASHBOARD: 'off' })).toThrow(
      'HB_DASHBOARD=off is not one of true, false',
    );
  });

  it('maps the dashboard limits onto options, validated', () => {
    expect(
      loadAppConfig({
        HB_DASHBOARD_MAX_STREAMS: '3',
        HB_DASHBOARD_MAX_PAGE_SIZE: '50',
        HB_DASHBOARD_KEEPALIVE_MS: '1000',
        HB_DASHBOARD_REFRESH_MS: '2000',
      }).heartbeat,
    ).toMatchObject({
      dashboardMaxStreams: 3,
      dashboardMaxPageSize: 50,
      dashboardKeepAliveMs: 1000,
      dashboardRefreshMs: 2000,
    });
    expect(() => loadAppConfig({ HB_DASHBOARD_MAX_STREAMS: '0' })).toThrow(
      'invalid heartbeat option HB_DASHBOARD_MAX_STREAMS=0: expected an integer >= 1',
    );
  });
});

describe('HB_STATE_FILE', () => {
  it('is off by default, with documented flush limits', () => {
    const { heartbeat } = loadAppConfig({});
    expect(heartbeat.stateFile).toBeUndefined();
    expect(heartbeat).toMatchObject({
      stateFlushMs: 1000,
      stateFlushBatchSize: 10_000,
    });
    expect(loadAppConfig({ HB_STATE_FILE: '  ' }).heartbeat.stateFile).toBe(
      undefined,
    );
  });

  it('maps the file and its limits onto options, validated by name', () => {
    expect(
      loadAppConfig({
        HB_STATE_FILE: ' /var/lib/heartbeat/state.bin ',
        HB_STATE_FLUSH_MS: '250',
        HB_STATE_FLUSH_BATCH_SIZE: '500',
      }).heartbeat,
    ).toMatchObject({
      stateFile: '/var/lib/heartbeat/state.bin',
      stateFlushMs: 250,
      stateFlushBatchSize: 500,
    });
    expect(() => loadAppConfig({ HB_STATE_FLUSH_MS: '5' })).toThrow(
      'invalid heartbeat option HB_STATE_FLUSH_MS=5: expected an integer >= 10',
    );
    expect(() => loadAppConfig({ HB_STATE_FLUSH_BATCH_SIZE: '0' })).toThrow(
      'invalid heartbeat option HB_STATE_FLUSH_BATCH_SIZE=0: expected an integer >= 1',
    );
  });

  it('is refused with Redis, which keeps the registry itself', () => {
    expect(() =>
      loadAppConfig({
        HB_STATE_FILE: '/tmp/state.bin',
        REDIS_URL: 'redis://127.0.0.1:6379',
      }),
    ).toThrow(
      'HB_STATE_FILE=/tmp/state.bin is for the in-memory registry, but REDIS_URL keeps it in Redis, which persists it itself: unset HB_STATE_FILE',
    );
    expect(() =>
      loadAppConfig({
        HB_STATE_FILE: '/tmp/state.bin',
        REDIS_CLUSTER_NODES: '127.0.0.1:7000',
      }),
    ).toThrow(/^HB_STATE_FILE=.* REDIS_CLUSTER_NODES keeps it in Redis/);
  });
});

describe('HB_SHUTDOWN_TIMEOUT_MS', () => {
  it.each([
    [{}, 10_000],
    [{ HB_SHUTDOWN_TIMEOUT_MS: '500' }, 500],
    [{ HB_SHUTDOWN_TIMEOUT_MS: '0' }, 0],
    [{ HB_SHUTDOWN_TIMEOUT_MS: ' ' }, 10_000],
  ])('%j -> %d ms', (env, timeout) => {
    expect(loadAppConfig(env).shutdownTimeoutMs).toBe(timeout);
  });

  it.each(['-1', '1.5', 'soon'])('refuses %j, naming it', (value) => {
    expect(() => loadAppConfig({ HB_SHUTDOWN_TIMEOUT_MS: value })).toThrow(
      `HB_SHUTDOWN_TIMEOUT_MS=${value} is not`,
    );
  });
});

describe('HB_WEBHOOK_*', () => {
  it('configure one receiver per URL, sharing the secret, the events and the limits', () => {
    const { heartbeat } = loadAppConfig({
      HB_WEBHOOK_URLS: 'https://a.example/hook, http://127.0.0.1:9000/',
      HB_WEBHOOK_SECRET: 'shh',
      HB_WEBHOOK_EVENTS: 'state-changed,dropped,deregistered',
      HB_WEBHOOK_TIMEOUT_MS: '2000',
      HB_WEBHOOK_MAX_ATTEMPTS: '3',
      HB_WEBHOOK_RETRY_DELAY_MS: '500',
      HB_WEBHOOK_QUEUE_SIZE: '50',
      HB_WEBHOOK_CONCURRENCY: '2',
      HB_WEBHOOK_HISTORY_SIZE: '20',
    });
    const events = [
      'heartbeat.state-changed',
      'heartbeat.dropped',
      'heartbeat.deregistered',
    ];
    expect(heartbeat.webhooks).toEqual([
      { url: 'https://a.example/hook', secret: 'shh', events },
      { url: 'http://127.0.0.1:9000/', secret: 'shh', events },
    ]);
    expect(heartbeat).toMatchObject({
      webhookTimeoutMs: 2000,
      webhookMaxAttempts: 3,
      webhookRetryDelayMs: 500,
      webhookQueueSize: 50,
      webhookConcurrency: 2,
      webhookHistorySize: 20,
    });
  });

  it('default to none, with documented limits', () => {
    expect(loadAppConfig({}).heartbeat).toMatchObject({
      webhooks: [],
      webhookTimeoutMs: 5000,
      webhookMaxAttempts: 5,
      webhookRetryDelayMs: 1000,
      webhookQueueSize: 1000,
      webhookConcurrency: 4,
      webhookHistorySize: 100,
    });
  });

  it('refuse a URL that is not http(s), and a limit out of range', () => {
    expect(() => loadAppConfig({ HB_WEBHOOK_URLS: 'mailto:ops@x' })).toThrow(
      'invalid heartbeat option HB_WEBHOOK_URLS entry 1: expected an http:// or https:// URL',
    );
    expect(() => loadAppConfig({ HB_WEBHOOK_MAX_ATTEMPTS: '0' })).toThrow(
      'HB_WEBHOOK_MAX_ATTEMPTS=0: expected an integer >= 1',
    );
    expect(() =>
      loadAppConfig({
        HB_WEBHOOK_URLS: 'http://127.0.0.1:9000/',
        HB_WEBHOOK_EVENTS: 'state-changed,droped',
      }),
    ).toThrow(
      'HB_WEBHOOK_EVENTS: unknown event droped, expected some of registered, state-changed, dropped, deregistered',
    );
  });
});

describe('maxParamLengthFor', () => {
  it('fits an ID of maxAppIdLength characters, percent-encoded', () => {
    const id = '😀'.repeat(256);
    expect(encodeURIComponent(id).length).toBeLessThanOrEqual(
      maxParamLengthFor(256),
    );
    expect(maxParamLengthFor(256)).toBeGreaterThan(100); // Fastify's default
  });
});
