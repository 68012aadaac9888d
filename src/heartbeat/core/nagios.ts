import type { HeartbeatAppStatus, HeartbeatThresholds } from './status.js';

/** Nagios plugin exit codes by first word. @publicApi */
export const NAGIOS_EXIT_CODES = {
  OK: 0,
  WARNING: 1,
  CRITICAL: 2,
  UNKNOWN: 3,
} as const;

const STATE_TEXT = {
  OK: 'fine application',
  WARNING: 'somewhat late application',
  CRITICAL: 'quite late application',
} as const;

/** The reference server's goodbye for `hb_done`. @internal */
export const GOODBYE = 'So Long, and Thanks for All the Fish!';

/**
 * An ID as it may appear in a status line: `|` would end the plugin output and start the
 * performance data, so it is written percent-encoded (`%7C`). Control characters never get this
 * far: IDs holding them are refused at the door.
 *
 * @internal
 */
export function nagiosSafeId(appId: string): string {
  return appId.includes('|') ? appId.replaceAll('|', '%7C') : appId;
}

/**
 * `od=<od>;<warn>;<crit>;0;<drop> delay=<T>ms;;;`
 *
 * @internal
 */
export function performanceData(
  status: Pick<HeartbeatAppStatus, 'od' | 'delayMs'>,
  thresholds: HeartbeatThresholds,
): string {
  const { warnThreshold, critThreshold, dropThreshold } = thresholds;
  return `od=${status.od.toFixed(2)};${warnThreshold};${critThreshold};0;${dropThreshold} delay=${status.delayMs}ms;;;`;
}

/**
 * `OK - fine application [Tetris]| od=1.83;3;5;0;6 delay=2725ms;;;`, or for an application an
 * operator paused `OK - paused application [Tetris]| od=0.00;3;5;0;6 delay=2725ms;;;`.
 *
 * @internal
 */
export function formatAppStatusLine(
  status: HeartbeatAppStatus,
  thresholds: HeartbeatThresholds,
): string {
  const text = status.paused ? 'paused application' : STATE_TEXT[status.state];
  return `${status.state} - ${text} [${nagiosSafeId(status.appId)}]| ${performanceData(status, thresholds)}`;
}

/** The answer to `/status?appid=ID` for an unknown (or dropped) ID. @internal */
export function formatUnknownAppLine(appId: string): string {
  return `CRITICAL - no application record for queried ID: [${nagiosSafeId(appId)}]`;
}

/** The answer to `/status` when no application is known. @internal */
export const NO_CLIENTS_LINE =
  'UNKNOWN - no heartbeat clients at the moment...';

/**
 * The answer to `/status` while the store cannot be reached: UNKNOWN (Nagios exit 3), because
 * nothing can be said about the applications, and never a false OK.
 * @internal
 */
export const STORE_UNAVAILABLE_LINE = 'UNKNOWN - heartbeat store unavailable';

/**
 * The answer to `/status` when several applications are known: their number, the first
 * `appIds` by name and how many more there are, so that the line stays short at any size.
 * `WARNING - multiple (3) applications: [A,B,C]`, or with `total` beyond the IDs given,
 * `WARNING - multiple (100000) applications: [A,B,...,T] and 99980 more`.
 *
 * @internal
 */
export function formatMultipleAppsLine(
  appIds: readonly string[],
  total: number = appIds.length,
): string {
  const more =
    total > appIds.length ? ` and ${total - appIds.length} more` : '';
  return `WARNING - multiple (${total}) applications: [${appIds.map(nagiosSafeId).join(',')}]${more}`;
}

/** The body of `/list`: each ID followed by `\n`; empty when there are none. @internal */
export function formatList(appIds: readonly string[]): string {
  return appIds.map((id) => `${id}\n`).join('');
}

/**
 * The Nagios exit code of a status line: by its first word, anything unrecognised is 3.
 *
 * @publicApi
 */
export function nagiosExitCode(line: string): number {
  const word = /^[A-Z]+/.exec(line)?.[0] ?? '';
  return Object.hasOwn(NAGIOS_EXIT_CODES, word)
    ? NAGIOS_EXIT_CODES[word as keyof typeof NAGIOS_EXIT_CODES]
    : NAGIOS_EXIT_CODES.UNKNOWN;
}
