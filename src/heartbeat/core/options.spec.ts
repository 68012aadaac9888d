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
    [{ warnThreshold: 5, critThreshold: 5 }, 'warn=5 crit=5 drop=6'],
    [{ critThreshold: 7 }, 'warn=3 crit=7 drop=6'],
    [{ corsOrigin: 5 as unknown as string }, 'corsOrigin=5'],
  ])('refuses %j', (raw, message) => {
    expect(() => resolveHeartbeatOptions(raw)).toThrow(message);
  });

  it('accepts crit == drop', () => {
    expect(resolveHeartbeatOptions({ critThreshold: 6 }).critThreshold).toBe(6);
  });
});
