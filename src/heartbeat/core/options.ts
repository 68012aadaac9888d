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
  maxListedIds: 20,
  pageSize: 100,
  maxPageSize: 1_000,
  readBatchSize: 1_000,
  maxPageScan: 10_000,
  maxAppIdLength: 256,
  maxTimeoutMs: 86_400_000,
  maxBodyBytes: 16_384,
  corsOrigin: '*',
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
  maxListedIds: 0,
  pageSize: 1,
  maxPageSize: 1,
  readBatchSize: 1,
  maxPageScan: 1,
  maxAppIdLength: 1,
  maxTimeoutMs: 0,
  maxBodyBytes: 64,
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
  if (options.pageSize > options.maxPageSize) {
    throw new Error(
      HeartbeatMessages.invalidOption(
        'pageSize',
        options.pageSize,
        `at most maxPageSize (${options.maxPageSize})`,
      ),
    );
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
