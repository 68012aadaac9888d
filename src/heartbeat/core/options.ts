import type {
  HeartbeatModuleOptions,
  ResolvedHeartbeatOptions,
} from '../interfaces/heartbeat-module-options.interface.js';
import { OPEN_AUTH, resolveHeartbeatAuth } from './access.js';
import { HeartbeatMessages } from './messages.js';
import { resolveHeartbeatWebhooks } from './webhooks.js';

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
  tombstoneMs: 86_400_000,
  maxTombstones: 10_000,
  maxAppIdLength: 256,
  maxTimeoutMs: 86_400_000,
  maxBodyBytes: 16_384,
  corsOrigin: '*',
  auth: OPEN_AUTH,
  webhooks: Object.freeze([]),
  webhookTimeoutMs: 5000,
  webhookMaxAttempts: 5,
  webhookRetryDelayMs: 1000,
  webhookQueueSize: 1000,
  webhookConcurrency: 4,
  webhookHistorySize: 100,
  dashboardMaxStreams: 100,
  dashboardMaxPageSize: 1_000,
  dashboardKeepAliveMs: 15_000,
  dashboardRefreshMs: 5_000,
  stateFlushMs: 1000,
  stateFlushBatchSize: 10_000,
} as const satisfies ResolvedHeartbeatOptions;

type NumericOption = Exclude<
  {
    [
      K in keyof ResolvedHeartbeatOptions
    ]: ResolvedHeartbeatOptions[K] extends number ? K : never;
  }[keyof ResolvedHeartbeatOptions],
  undefined
>;

type ThresholdOption = Extract<NumericOption, `${string}Threshold`>;

/** Integer options and the smallest value each accepts. */
const INTEGER_MINIMUMS: Record<
  Exclude<NumericOption, ThresholdOption>,
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
  tombstoneMs: 0,
  maxTombstones: 1,
  maxAppIdLength: 1,
  maxTimeoutMs: 0,
  maxBodyBytes: 64,
  webhookTimeoutMs: 1,
  webhookMaxAttempts: 1,
  webhookRetryDelayMs: 0,
  webhookQueueSize: 1,
  webhookConcurrency: 1,
  webhookHistorySize: 0,
  dashboardMaxStreams: 1,
  dashboardMaxPageSize: 1,
  dashboardKeepAliveMs: 10,
  dashboardRefreshMs: 100,
  stateFlushMs: 10,
  stateFlushBatchSize: 1,
};

/** Threshold options, which take fractions (`2.5`). */
const THRESHOLDS = [
  'warnThreshold',
  'critThreshold',
  'dropThreshold',
] as const satisfies readonly ThresholdOption[];

/** The only strings an integer option accepts: decimal digits. */
const INTEGER_STRING = /^\d+$/;
/** The only strings a threshold accepts: decimal digits with an optional fraction. */
const DECIMAL_STRING = /^\d+(\.\d+)?$/;

/**
 * Raw options as configuration sources hand them in: numeric options may also be decimal
 * strings, as `ConfigService.get<number>()` returns them from the environment or a `.env` file
 * whatever its type parameter says.
 *
 * @publicApi
 */
export type HeartbeatOptionsInput = {
  [K in keyof HeartbeatModuleOptions]?: K extends NumericOption
    ? number | string
    : HeartbeatModuleOptions[K];
};

/**
 * How `resolveHeartbeatOptions` names an option in its error messages.
 *
 * @publicApi
 */
export interface HeartbeatOptionsSource {
  /**
   * Names an option and the value it was given, as the user wrote it: the standalone server says
   * `HB_MAX_APPS=-3` where an embedder reads `maxApps=-3`.
   * @default (option, value) => `${option}=${JSON.stringify(value)}`
   */
  readonly describe?: (
    option: keyof HeartbeatModuleOptions,
    value: unknown,
  ) => string;
}

const describeOption = (option: string, value: unknown): string =>
  `${option}=${JSON.stringify(value)}`;

/**
 * Whether a store can be saved to a state file: the in-memory store (or one built like it) that
 * exports and imports its records by slices. Others (Redis) keep their records themselves.
 */
function canHoldStateFile(store: unknown): boolean {
  const candidate = store as Record<string, unknown>;
  return (
    typeof candidate.exportSlice === 'function' &&
    typeof candidate.importRecord === 'function'
  );
}

/**
 * A number given as a number, or as a string that matches `format` exactly; undefined for
 * anything else (`"15s"`, `""`, `"1e3"`, `" 5"`, `"0x10"`).
 */
function numeric(value: unknown, format: RegExp): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && format.test(value)) return Number(value);
  return undefined;
}

/**
 * Applies defaults to raw options and validates every limit. Throws an `Error` whose message
 * names the offending option.
 *
 * Numeric options may be given as decimal strings, since configuration usually arrives as text:
 * integer options accept digits only (`"1500"`), thresholds digits with an optional fraction
 * (`"2.5"`). Any other string (`"15s"`, `""`, `"1e3"`, `"-1"`, `" 1500"`) is refused by name.
 *
 * @example
 * const options = resolveHeartbeatOptions({ toleranceMs: 500, maxApps: 1_000 });
 * @publicApi
 */
export function resolveHeartbeatOptions(
  raw: HeartbeatOptionsInput = {},
  source: HeartbeatOptionsSource = {},
): ResolvedHeartbeatOptions {
  const nameOf = source.describe ?? describeOption;
  const defined = Object.fromEntries(
    Object.entries(raw).filter(([, value]) => value !== undefined),
  ) as HeartbeatOptionsInput;
  const given: Record<string, unknown> = { ...HEARTBEAT_DEFAULTS, ...defined };
  const options: Record<string, unknown> = { ...given };
  const hint = (value: unknown, format: string) =>
    typeof value === 'string' ? `, written as ${format}` : '';

  for (const [name, min] of Object.entries(INTEGER_MINIMUMS)) {
    const value = numeric(given[name], INTEGER_STRING);
    if (value === undefined || !Number.isSafeInteger(value) || value < min) {
      throw new Error(
        HeartbeatMessages.invalidOption(
          nameOf(name as NumericOption, given[name]),
          `an integer >= ${min}${hint(given[name], 'decimal digits')}`,
        ),
      );
    }
    options[name] = value;
  }
  for (const name of THRESHOLDS) {
    const value = numeric(given[name], DECIMAL_STRING);
    if (value === undefined || !Number.isFinite(value) || value <= 0) {
      throw new Error(
        HeartbeatMessages.invalidOption(
          nameOf(name, given[name]),
          `a positive number${hint(given[name], 'decimal digits with an optional fraction, like 2.5')}`,
        ),
      );
    }
    options[name] = value;
  }
  const {
    warnThreshold: warn,
    critThreshold: crit,
    dropThreshold: drop,
  } = options as Record<ThresholdOption, number>;
  if (!(warn < crit && crit <= drop)) {
    throw new Error(
      HeartbeatMessages.unorderedThresholds(
        nameOf('warnThreshold', given.warnThreshold),
        nameOf('critThreshold', given.critThreshold),
        nameOf('dropThreshold', given.dropThreshold),
      ),
    );
  }
  const { pageSize, maxPageSize } = options as Record<NumericOption, number>;
  if (pageSize > maxPageSize) {
    throw new Error(
      HeartbeatMessages.invalidOption(
        nameOf('pageSize', given.pageSize),
        `at most maxPageSize (${nameOf('maxPageSize', given.maxPageSize)})`,
      ),
    );
  }
  if (options.corsOrigin !== false && typeof options.corsOrigin !== 'string') {
    throw new Error(
      HeartbeatMessages.invalidOption(
        nameOf('corsOrigin', options.corsOrigin),
        'a string or false',
      ),
    );
  }
  const { stateFile } = options;
  if (stateFile !== undefined) {
    if (typeof stateFile !== 'string' || stateFile.includes('\0')) {
      throw new Error(
        HeartbeatMessages.invalidOption(
          nameOf('stateFile', stateFile),
          'a file path',
        ),
      );
    }
    if (stateFile.trim() === '') delete options.stateFile;
    else if (options.store !== undefined && !canHoldStateFile(options.store)) {
      throw new Error(
        HeartbeatMessages.stateFileWithOwnStore(
          nameOf('stateFile', stateFile),
          (options.store as object).constructor?.name ?? 'store',
        ),
      );
    }
  }
  return Object.freeze({
    ...(options as unknown as ResolvedHeartbeatOptions),
    auth: resolveHeartbeatAuth(defined.auth),
    webhooks: resolveHeartbeatWebhooks(defined.webhooks),
  });
}
