/**
 * Message factories for every refusal and configuration problem, so that wording lives in one
 * place and tests can assert on it.
 *
 * @internal
 */
export const HeartbeatMessages = {
  missingAppId: () => 'missing appid',
  emptyAppId: () => 'empty appid',
  appIdTooLong: (length: number, max: number) =>
    `appid is ${length} characters long, the limit is ${max}`,
  appIdControlCharacter: () => 'appid contains a control character',
  appIdFormatCharacter: (codePoint: string) =>
    `appid contains an invisible format character (${codePoint})`,
  appIdNotWellFormed: (codePoint: string) =>
    `appid is not well-formed Unicode (lone surrogate ${codePoint})`,
  appIdNotString: () => 'appid must be a string',
  invalidTimeout: (raw: string) =>
    `TIMEOUT must be a non-negative integer number of milliseconds, got [${printable(raw)}]`,
  timeoutTooLarge: (value: string, max: number) =>
    `TIMEOUT ${printable(value)} ms exceeds the limit of ${max} ms`,
  malformedEncoding: (part: string) =>
    `malformed percent-encoding in [${printable(part)}]`,
  malformedJsonBody: () => 'malformed JSON body',
  bodyTooLarge: (limit: number) => `request body exceeds ${limit} bytes`,
  methodNotAllowed: (method: string, allowed: readonly string[]) =>
    `method ${printable(method)} not allowed, use ${allowed.join(' or ')}`,
  appLimitReached: (max: number) =>
    `registry is full (${max} applications), new registrations are refused`,
  noRoute: (path: string) => `no heartbeat route at [${printable(path)}]`,
  storeUnavailable: () => 'store unavailable',
  invalidPauseEnd: (raw: string) =>
    `until must be a time to come, as ISO 8601 (2026-12-24T18:00:00Z) or epoch milliseconds, got [${printable(raw)}]`,
  pauseUnsupported: () => 'this heartbeat store cannot pause applications',
  invalidCursor: (cursor: string) =>
    `cursor [${printable(cursor)}] is not one this registry handed out`,
  repeatedParameter: (name: string) =>
    `query parameter ${printable(name)} is given more than once`,
  invalidStateFilter: (raw: string) =>
    `state must be OK, WARNING or CRITICAL, got [${printable(raw)}]`,
  invalidPageLimit: (raw: string, max: number) =>
    `limit must be an integer from 1 to ${max}, got [${printable(raw)}]`,
  invalidSort: (raw: string, allowed: readonly string[]) =>
    `sort must be one of ${allowed.join(', ')}, got [${printable(raw)}]`,
  filterTooLong: (length: number, max: number) =>
    `q is ${length} characters long, the limit is ${max}`,
  tooManyStreams: (max: number) =>
    `too many event streams (${max} open), try again later`,
  /** `option` names the option and its value, e.g. `maxApps=-3` or `HB_MAX_APPS=-3`. */
  invalidOption: (option: string, expected: string) =>
    `invalid heartbeat option ${option}: expected ${expected}`,
  /** `option` names the state file option and its value, as `invalidOption` does. */
  stateFileWithOwnStore: (option: string, store: string) =>
    `invalid heartbeat option ${option}: a state file keeps the in-memory registry, but the registry is in ${store}, which keeps its records itself; leave the state file out`,
  /** Each argument names a threshold option and its value, as `invalidOption` does. */
  unorderedThresholds: (warn: string, crit: string, drop: string) =>
    `heartbeat thresholds must satisfy 0 < warn < crit <= drop, got ${warn} ${crit} ${drop}`,
  missingToken: () => 'missing or invalid token',
  wrongTokenKind: (kind: 'ping' | 'read' | 'admin') =>
    `this token may not ${ACCESS_VERBS[kind]}`,
  outsideTokenPrefix: (appId: string, prefix: string) =>
    `this token may only use appids starting with [${printable(prefix)}], not [${printable(appId)}]`,
  tokenQuotaReached: (max: number) =>
    `this token already holds ${max} applications, its limit; new IDs are refused`,
  invalidToken: (where: string) =>
    `invalid heartbeat option ${where}: a token is 1 to 256 characters of A-Z a-z 0-9 . _ ~ + = -`,
  invalidPingToken: (where: string) =>
    `invalid heartbeat option ${where}: expected token, token:prefix, token:prefix:maxApps or { token, prefix, maxApps }`,
  invalidTokenQuota: (where: string) =>
    `invalid heartbeat option ${where}: maxApps must be an integer >= 1`,
  repeatedToken: (where: string) =>
    `invalid heartbeat option ${where}: this token is already given (each token belongs to one kind, once)`,
  openAccess: (address: string, kinds: readonly string[]) =>
    `listening on ${address} with open access: anyone who can reach it may ${kinds.map((kind) => ACCESS_VERBS[kind as keyof typeof ACCESS_VERBS]).join(', ')}; set HB_PING_TOKENS, HB_READ_TOKENS and HB_ADMIN_TOKENS (option auth) to require tokens`,
  invalidWebhookUrl: (where: string) =>
    `invalid heartbeat option ${where}.url: expected an http:// or https:// URL`,
  unknownWebhookEvent: (name: string, known: readonly string[]) =>
    `invalid heartbeat option webhooks: unknown event [${printable(name)}], expected one of ${known.join(', ')}`,
  webhookFailed: (
    url: string,
    event: string,
    appId: string,
    attempts: number,
    error: string,
  ) =>
    `webhook to ${url} gave up on ${event} of [${printable(appId)}] after ${attempts} attempts: ${printable(error, 200)}`,
  webhookQueueFull: (size: number) =>
    `webhook queue full (${size} deliveries): dropping the oldest until receivers catch up`,
  webhookQueueRecovered: (dropped: number) =>
    `webhook queue has room again; ${dropped} deliveries were dropped while it was full`,
  webhookClaimFailed: (error: string) =>
    `cannot claim a webhook event, delivering it anyway: ${printable(error, 200)}`,
  webhooksAbandoned: (count: number) =>
    `${count} webhook deliveries still queued at shutdown were dropped`,
  secondRoot: () =>
    'HeartbeatModule.forRoot() is imported twice in one application: import it once, then share it ' +
    'with isGlobal: true, or from a module of yours that imports forRoot() and exports HeartbeatModule',
  missingScheduler: () =>
    'HeartbeatModule needs SchedulerRegistry: import ScheduleModule.forRoot() once in your root module',
} as const;

/** What each kind of token allows, for refusals and warnings. */
const ACCESS_VERBS = {
  ping: 'register, ping and deregister applications',
  read: 'read the registry',
  admin: 'administer the registry',
} as const;

/**
 * Keeps echoed client input on one line, short and visible: controls, format characters and lone
 * surrogates become `?`.
 */
export function printable(value: string, max = 64): string {
  const clean = value.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|\p{Cf}|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu,
    '?',
  );
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}
