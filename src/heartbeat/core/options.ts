import type {
  HeartbeatModuleOptions,
  ResolvedHeartbeatOptions,
} from '../interfaces/heartbeat-module-options.interface.js';
import { HeartbeatMessages } from './messages.js';

/**
 * The one place where option defaults live.
 *
 * @publicApi
 */
export const HEARTBEAT_DEFAULTS = {
  toleranceMs: 1000,
  warnThreshold: 3,
  critThreshold: 5,
  dropThreshold: 6,
  sweepIntervalMs: 1000,
  sweepBatchSize: 1_000,
  maxApps: 100_000,
  maxAppIdLength: 256,
  maxTimeoutMs: 86_400_000,
  maxBodyBytes: 16_384,
  corsOrigin: '*',
  dashboardMaxStreams: 100,
  dashboardMaxPageSize: 1_000,
  dashboardKeepAliveMs: 15_000,
  dashboardRefreshMs: 5_000,
} as const satisfies ResolvedHeartbeatOptions;

type NumericOption = Exclude<
  {
    [
      K in keyof ResolvedHeartbeatOptions
    ]: ResolvedHeartbeatOptions[K] extends number ? K : never;
  }[keyof ResolvedHeartbeatOptions],
  undefined
>;

/** Integer options and the smallest value each accepts. */
const INTEGER_MINIMUMS: Record<
  Exclude<NumericOption, `${string}Threshold`>,
  number
> = {
  toleranceMs: 0,
  sweepIntervalMs: 10,
  sweepBatchSize: 1,
  maxApps: 1,
  maxAppIdLength: 1,
  maxTimeoutMs: 0,
  maxBodyBytes: 64,
  dashboardMaxStreams: 1,
  dashboardMaxPageSize: 1,
  dashboardKeepAliveMs: 10,
  dashboardRefreshMs: 100,
};

/**
 * Applies defaults to raw options and validates every limit. Throws an `Error` whose message
 * names the offending option.
 *
 * @example
 * const options = resolveHeartbeatOptions({ toleranceMs: 500, maxApps: 1_000 });
 * @publicApi
 */
export function resolveHeartbeatOptions(
  raw: HeartbeatModuleOptions = {},
): ResolvedHeartbeatOptions {
  const defined = Object.fromEntries(
    Object.entries(raw).filter(([, value]) => value !== undefined),
  ) as HeartbeatModuleOptions;
  const options = { ...HEARTBEAT_DEFAULTS, ...defined };

  for (const [name, min] of Object.entries(INTEGER_MINIMUMS)) {
    const value = options[name as keyof typeof INTEGER_MINIMUMS];
    if (!Number.isSafeInteger(value) || value < min) {
      throw new Error(
        HeartbeatMessages.invalidOption(name, value, `an integer >= ${min}`),
      );
    }
  }
  const {
    warnThreshold: warn,
    critThreshold: crit,
    dropThreshold: drop,
  } = options;
  for (const [name, value] of Object.entries({ warn, crit, drop })) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new Error(
        HeartbeatMessages.invalidOption(
          `${name}Threshold`,
          value,
          'a positive number',
        ),
      );
    }
  }
  if (!(warn < crit && crit <= drop)) {
    throw new Error(HeartbeatMessages.unorderedThresholds(warn, crit, drop));
  }
  if (options.corsOrigin !== false && typeof options.corsOrigin !== 'string') {
    throw new Error(
      HeartbeatMessages.invalidOption(
        'corsOrigin',
        options.corsOrigin,
        'a string or false',
      ),
    );
  }
  return Object.freeze(options);
}
