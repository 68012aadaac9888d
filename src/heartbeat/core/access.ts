import type {
  HeartbeatAuthOptions,
  HeartbeatPingToken,
  ResolvedHeartbeatAuth,
  ResolvedHeartbeatPingToken,
} from '../interfaces/heartbeat-access.interface.js';
import { HeartbeatMessages } from './messages.js';

/**
 * The three kinds of token: `ping` for the protocol commands, `read` for every read, `admin`
 * for everything.
 * @publicApi
 */
export const HEARTBEAT_ACCESS_KINDS = ['ping', 'read', 'admin'] as const;
/** @publicApi */
export type HeartbeatAccessKind = (typeof HEARTBEAT_ACCESS_KINDS)[number];

/**
 * What a token may be: characters that survive a URL path segment and an HTTP header unchanged,
 * so the same token works as `Authorization: Bearer <token>` and as `/<token>/hb_ping`.
 */
const TOKEN = /^[A-Za-z0-9._~+=-]{1,256}$/;
const QUOTA = /^[0-9]{1,9}$/;

/** No token at all: every kind open. @internal */
export const OPEN_AUTH: ResolvedHeartbeatAuth = Object.freeze({
  ping: Object.freeze([]),
  read: Object.freeze([]),
  admin: Object.freeze([]),
});

function checkToken(token: unknown, where: string): string {
  // The message names the entry, never its value: a token must not reach a log.
  if (typeof token !== 'string' || !TOKEN.test(token)) {
    throw new Error(HeartbeatMessages.invalidToken(where));
  }
  return token;
}

function pingToken(
  entry: string | HeartbeatPingToken,
  where: string,
): ResolvedHeartbeatPingToken {
  if (typeof entry === 'string') {
    const parts = entry.split(':');
    if (parts.length > 3) {
      throw new Error(HeartbeatMessages.invalidPingToken(where));
    }
    const [token, prefix = '', quota] = parts;
    if (quota !== undefined && !QUOTA.test(quota)) {
      throw new Error(HeartbeatMessages.invalidTokenQuota(where));
    }
    return pingToken(
      {
        token: token!,
        prefix,
        ...(quota !== undefined && { maxApps: Number(quota) }),
      },
      where,
    );
  }
  if (typeof entry !== 'object' || entry === null) {
    throw new Error(HeartbeatMessages.invalidPingToken(where));
  }
  const prefix = entry.prefix ?? '';
  if (typeof prefix !== 'string') {
    throw new Error(HeartbeatMessages.invalidPingToken(where));
  }
  const { maxApps } = entry;
  if (
    maxApps !== undefined &&
    (!Number.isSafeInteger(maxApps) || maxApps < 1)
  ) {
    throw new Error(HeartbeatMessages.invalidTokenQuota(where));
  }
  return Object.freeze({
    token: checkToken(entry.token, where),
    prefix,
    maxApps,
  });
}

function list<T>(value: unknown, kind: string): readonly T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new Error(
      HeartbeatMessages.invalidOption(
        `auth.${kind} (${typeof value})`,
        'a list',
      ),
    );
  }
  return value as T[];
}

/**
 * Validates the `auth` option: each token well-formed, no token given twice (in one kind or in
 * two), ping prefixes and quotas parsed. Messages name the entry (`auth.ping[2]`), never a token.
 *
 * @example
 * resolveHeartbeatAuth({ ping: ['secret:kiosk-:100'], read: ['nagios'] });
 * @publicApi
 */
export function resolveHeartbeatAuth(
  raw: HeartbeatAuthOptions | undefined,
): ResolvedHeartbeatAuth {
  if (raw === undefined) return OPEN_AUTH;
  if (typeof raw !== 'object' || raw === null) {
    throw new Error(
      HeartbeatMessages.invalidOption(`auth (${typeof raw})`, 'an object'),
    );
  }
  const ping = list<string | HeartbeatPingToken>(raw.ping, 'ping').map(
    (entry, i) => pingToken(entry, `auth.ping[${i}]`),
  );
  const read = list<string>(raw.read, 'read').map((token, i) =>
    checkToken(token, `auth.read[${i}]`),
  );
  const admin = list<string>(raw.admin, 'admin').map((token, i) =>
    checkToken(token, `auth.admin[${i}]`),
  );
  const seen = new Set<string>();
  const entries: Array<[string, string]> = [
    ...ping.map((p, i): [string, string] => [p.token, `auth.ping[${i}]`]),
    ...read.map((t, i): [string, string] => [t, `auth.read[${i}]`]),
    ...admin.map((t, i): [string, string] => [t, `auth.admin[${i}]`]),
  ];
  for (const [token, where] of entries) {
    if (seen.has(token))
      throw new Error(HeartbeatMessages.repeatedToken(where));
    seen.add(token);
  }
  return Object.freeze({
    ping: Object.freeze(ping),
    read: Object.freeze(read),
    admin: Object.freeze(admin),
  });
}

/**
 * The kinds that need no token under these rules. A kind without tokens is open; admin
 * operations only while no token of any kind is configured, since an admin API anyone may call
 * would undo every other lock.
 *
 * @publicApi
 */
export function openAccessKinds(
  auth: ResolvedHeartbeatAuth,
): HeartbeatAccessKind[] {
  const open: HeartbeatAccessKind[] = [];
  if (auth.ping.length === 0) open.push('ping');
  if (auth.read.length === 0) open.push('read');
  if (auth.ping.length + auth.read.length + auth.admin.length === 0) {
    open.push('admin');
  }
  return open;
}

/**
 * Whether an address is the loopback interface: `127.0.0.0/8`, `::1` (also IPv4-mapped) or
 * `localhost`. Anything else (`0.0.0.0`, `::`, a LAN address) is reachable from elsewhere.
 *
 * @publicApi
 */
export function isLoopbackAddress(address: string): boolean {
  const host = address.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return (
    host === 'localhost' ||
    host === '::1' ||
    /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}
