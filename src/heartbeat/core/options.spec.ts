import { HEARTBEAT_DEFAULTS, resolveHeartbeatOptions } from './options.js';

describe('resolveHeartbeatOptions', () => {
  it('applies every default', () => {
    expect(resolveHeartbeatOptions()).toEqual(HEARTBEAT_DEFAULTS);
    expect(HEARTBEAT_DEFAULTS).toMatchObject({
      toleranceMs: 1000,
      warnThreshold: 3,
      critThreshold: 5,
      dropThreshold: 6,
      maxApps: 100_000,
      maxAppIdLength: 256,
      maxListedIds: 20,
      pageSize: 100,
      maxPageSize: 1000,
      readBatchSize: 1000,
      maxPageScan: 10_000,
      tombstoneMs: 86_400_000,
      maxTombstones: 10_000,
      corsOrigin: '*',
      dashboardMaxStreams: 100,
      dashboardMaxPageSize: 1000,
      dashboardKeepAliveMs: 15_000,
      dashboardRefreshMs: 5000,
    });
  });

  it('keeps given values and ignores undefined ones', () => {
    const options = resolveHeartbeatOptions({
      toleranceMs: 0,
      maxApps: undefined,
      corsOrigin: false,
    });
    expect(options.toleranceMs).toBe(0);
    expect(options.maxApps).toBe(100_000);
    expect(options.corsOrigin).toBe(false);
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(resolveHeartbeatOptions())).toBe(true);
  });

  it.each([
    [{ toleranceMs: -1 }, 'toleranceMs=-1: expected an integer >= 0'],
    [{ toleranceMs: 1.5 }, 'toleranceMs=1.5'],
    [{ maxApps: 0 }, 'maxApps=0: expected an integer >= 1'],
    [{ maxAppIdLength: 0 }, 'maxAppIdLength=0'],
    [{ maxTimeoutMs: -5 }, 'maxTimeoutMs=-5'],
    [{ maxBodyBytes: 10 }, 'maxBodyBytes=10: expected an integer >= 64'],
    [{ sweepIntervalMs: 1 }, 'sweepIntervalMs=1'],
    [{ sweepBatchSize: 0 }, 'sweepBatchSize=0'],
    [
      { dashboardMaxStreams: 0 },
      'dashboardMaxStreams=0: expected an integer >= 1',
    ],
    [{ dashboardMaxPageSize: 0 }, 'dashboardMaxPageSize=0'],
    [
      { dashboardKeepAliveMs: 5 },
      'dashboardKeepAliveMs=5: expected an integer >= 10',
    ],
    [{ dashboardRefreshMs: 2.5 }, 'dashboardRefreshMs=2.5'],
    [{ maxApps: Number.NaN }, 'maxApps=null'],
    [{ warnThreshold: 0 }, 'warnThreshold=0: expected a positive number'],
    [{ dropThreshold: Infinity }, 'dropThreshold=null'],
    [
      { warnThreshold: 5, critThreshold: 5 },
      'got warnThreshold=5 critThreshold=5 dropThreshold=6',
    ],
    [{ critThreshold: 7 }, 'warnThreshold=3 critThreshold=7 dropThreshold=6'],
    [{ corsOrigin: 5 as unknown as string }, 'corsOrigin=5'],
    [{ maxListedIds: -1 }, 'maxListedIds=-1: expected an integer >= 0'],
    [{ pageSize: 0 }, 'pageSize=0'],
    [{ maxPageSize: 0 }, 'maxPageSize=0'],
    [{ pageSize: 200, maxPageSize: 100 }, 'pageSize=200: expected at most'],
    [{ readBatchSize: 0 }, 'readBatchSize=0'],
    [{ maxPageScan: 0.5 }, 'maxPageScan=0.5'],
    [{ tombstoneMs: -1 }, 'tombstoneMs=-1: expected an integer >= 0'],
    [{ maxTombstones: 0 }, 'maxTombstones=0: expected an integer >= 1'],
    [
      { maxTombstones: '10k' },
      'maxTombstones="10k": expected an integer >= 1, written as decimal digits',
    ],
    [{ webhookTimeoutMs: 0 }, 'webhookTimeoutMs=0: expected an integer >= 1'],
    [{ webhookQueueSize: 0 }, 'webhookQueueSize=0'],
    [{ webhookConcurrency: 0 }, 'webhookConcurrency=0'],
    [{ webhookRetryDelayMs: -1 }, 'webhookRetryDelayMs=-1'],
    [{ auth: { read: ['a b'] } }, 'auth.read[0]: a token is'],
    [{ webhooks: [{ url: 'x' }] }, 'webhooks[0].url'],
  ])('refuses %j', (raw, message) => {
    expect(() => resolveHeartbeatOptions(raw)).toThrow(message);
  });

  it('resolves auth and webhooks, and resolving again changes nothing', () => {
    const once = resolveHeartbeatOptions({
      auth: { ping: ['p:kiosk-:3'], admin: ['a'] },
      webhooks: [{ url: 'http://hooks.test/', events: ['dropped'] }],
    });
    expect(once.auth.ping).toEqual([
      { token: 'p', prefix: 'kiosk-', maxApps: 3 },
    ]);
    expect(once.webhooks[0]!.events).toEqual(['heartbeat.dropped']);
    expect(resolveHeartbeatOptions(once)).toEqual(once);
  });

  it('takes a state file for the in-memory store, and refuses it with a store that keeps its own records', () => {
    expect(resolveHeartbeatOptions({ stateFile: '/tmp/x.bin' })).toMatchObject({
      stateFile: '/tmp/x.bin',
      stateFlushMs: 1000,
      stateFlushBatchSize: 10_000,
    });
    expect(
      resolveHeartbeatOptions({ stateFile: '' }).stateFile,
    ).toBeUndefined();
    expect(() =>
      resolveHeartbeatOptions({ stateFile: 7 as unknown as string }),
    ).toThrow('invalid heartbeat option stateFile=7: expected a file path');
    class RedisLikeStore {}
    expect(() =>
      resolveHeartbeatOptions({
        stateFile: '/tmp/x.bin',
        store: new RedisLikeStore() as never,
      }),
    ).toThrow(
      'invalid heartbeat option stateFile="/tmp/x.bin": a state file keeps the in-memory registry, but the registry is in RedisLikeStore, which keeps its records itself; leave the state file out',
    );
    expect(() => resolveHeartbeatOptions({ stateFlushMs: '9' })).toThrow(
      'invalid heartbeat option stateFlushMs="9": expected an integer >= 10, written as decimal digits',
    );
  });

  it('accepts crit == drop', () => {
    expect(resolveHeartbeatOptions({ critThreshold: 6 }).critThreshold).toBe(6);
  });

  describe('numeric options given as decimal strings (configuration is text)', () => {
    it('converts them to numbers', () => {
      const options = resolveHeartbeatOptions({
        toleranceMs: '1500',
        maxApps: '007',
        maxTimeoutMs: '0',
        warnThreshold: '2.5',
        critThreshold: '4',
        dropThreshold: '8.25',
      });
      expect(options).toMatchObject({
        toleranceMs: 1500,
        maxApps: 7,
        maxTimeoutMs: 0,
        warnThreshold: 2.5,
        critThreshold: 4,
        dropThreshold: 8.25,
      });
      const { corsOrigin, auth, webhooks, ...numeric } = options;
      expect(corsOrigin).toBe('*');
      expect({ auth, webhooks }).toEqual({
        auth: { ping: [], read: [], admin: [] },
        webhooks: [],
      });
      for (const value of Object.values(numeric)) {
        expect(typeof value).toBe('number');
      }
    });

    it.each([
      [{ toleranceMs: '15s' }, 'toleranceMs="15s": expected an integer >= 0'],
      [{ toleranceMs: '' }, 'toleranceMs=""'],
      [{ toleranceMs: ' 1500' }, 'toleranceMs=" 1500"'],
      [{ toleranceMs: '1e3' }, 'toleranceMs="1e3"'],
      [{ toleranceMs: '0x10' }, 'toleranceMs="0x10"'],
      [{ toleranceMs: '-1' }, 'toleranceMs="-1"'],
      [{ toleranceMs: '1500.0' }, 'toleranceMs="1500.0"'],
      [{ maxApps: '1.5' }, 'maxApps="1.5": expected an integer >= 1'],
      [{ maxApps: '0' }, 'maxApps="0": expected an integer >= 1'],
      [{ maxApps: '99999999999999999999' }, 'maxApps="99999999999999999999"'],
      [
        { warnThreshold: '2,5' },
        'warnThreshold="2,5": expected a positive number',
      ],
      [{ warnThreshold: '.5' }, 'warnThreshold=".5"'],
      [{ warnThreshold: '5.' }, 'warnThreshold="5."'],
      [{ warnThreshold: '0' }, 'warnThreshold="0": expected a positive number'],
      [{ dropThreshold: 'Infinity' }, 'dropThreshold="Infinity"'],
      [
        { warnThreshold: '5', critThreshold: '5' },
        'got warnThreshold="5" critThreshold="5" dropThreshold=6',
      ],
    ])('refuses %j, naming the option', (raw, message) => {
      expect(() => resolveHeartbeatOptions(raw)).toThrow(message);
    });

    it('says how a string must be written', () => {
      expect(() => resolveHeartbeatOptions({ maxApps: '1e3' })).toThrow(
        'expected an integer >= 1, written as decimal digits',
      );
      expect(() => resolveHeartbeatOptions({ warnThreshold: '1e3' })).toThrow(
        'expected a positive number, written as decimal digits with an optional fraction, like 2.5',
      );
    });
  });

  it('names options as the caller says (the standalone server names its variables)', () => {
    const names: Record<string, string> = {
      maxApps: 'HB_MAX_APPS',
      warnThreshold: 'HB_WARN_THRESHOLD',
    };
    const source = {
      describe: (option: string, value: unknown) =>
        `${names[option] ?? option}=${String(value)}`,
    };
    expect(() => resolveHeartbeatOptions({ maxApps: '-3' }, source)).toThrow(
      'invalid heartbeat option HB_MAX_APPS=-3: expected an integer >= 1',
    );
    expect(() =>
      resolveHeartbeatOptions({ warnThreshold: '10' }, source),
    ).toThrow('got HB_WARN_THRESHOLD=10 critThreshold=5 dropThreshold=6');
  });
});
