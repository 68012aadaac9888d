import { HeartbeatError } from './errors.js';
import { HeartbeatMessages } from './messages.js';

/** The three protocol commands. @internal */
export const HEARTBEAT_COMMANDS = ['hb_init', 'hb_ping', 'hb_done'] as const;
/** @publicApi */
export type HeartbeatCommand = (typeof HEARTBEAT_COMMANDS)[number];

/** The monitoring queries. @internal */
export const MONITOR_QUERIES = ['list', 'status'] as const;
/** @publicApi */
export type MonitorQuery = (typeof MONITOR_QUERIES)[number];

/** Methods each route family accepts; anything else is a 405. @internal */
export const PROTOCOL_METHODS = ['GET', 'POST'] as const;
/** @internal */
export const MONITOR_METHODS = ['GET', 'HEAD'] as const;

/** Limits that input parsing enforces. @internal */
export interface ProtocolLimits {
  readonly maxAppIdLength: number;
  readonly maxTimeoutMs: number;
}

/** A query string split into what the protocol reads. @internal */
export interface ParsedQuery {
  /** TIMEOUT as written: the first part without `=`, or `timeout=`; undefined when absent. */
  readonly timeout: string | undefined;
  /** Decoded `appid` value, undefined when absent. */
  readonly appId: string | undefined;
}

/** A validated protocol command request. @internal */
export interface ProtocolRequest {
  readonly timeoutMs: number;
  readonly appId: string;
}

/** Everything an adapter knows about an HTTP request that the protocol looks at. @internal */
export interface ProtocolInput {
  /** The raw query string, without the leading `?` (may be empty). */
  readonly query: string;
  /** A parsed body (object), a raw body (string or bytes) or nothing. */
  readonly body?: unknown;
  /** The request's `Content-Type`, used to read a raw body. */
  readonly contentType?: string;
}

// C0 and C1 controls, DEL, and the Unicode line/paragraph separators: none may reach a status line.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// Unicode format characters (category Cf): zero-width spaces and joiners, bidirectional overrides
// and isolates, the BOM, the soft hyphen, tag characters. Invisible or reordering what an operator
// reads, so `tet\u200Bris` would pass for `tetris` and U+202E would reverse a status line.
const FORMAT_CHARACTER = /\p{Cf}/u;
// A surrogate that is not half of a pair: not Unicode text at all. Such an ID would be stored,
// then listed as U+FFFD by every encoder, and could never be queried or removed again.
const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const DECIMAL = /^[0-9]+$/;

/**
 * A request target split as the protocol reads it: the fragment (which a client should never
 * send, but may) is cut first, so nothing after a `#` is ever read as query or path.
 *
 * @internal
 */
export function splitTarget(url: string): { path: string; query: string } {
  const hash = url.indexOf('#');
  const target = hash === -1 ? url : url.slice(0, hash);
  const start = target.indexOf('?');
  return start === -1
    ? { path: target, query: '' }
    : { path: target.slice(0, start), query: target.slice(start + 1) };
}

/**
 * The command of a request path: its last segment, taken as written (no percent-decoding, case
 * sensitive), so `/hb_ping`, `/heartbeat/hb_ping` and `/any/prefix/hb_ping` are the same command,
 * and a trailing slash (`/hb_ping/`) names none.
 *
 * @internal
 */
export function lastPathSegment(url: string): string {
  const { path } = splitTarget(url);
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Whether the command is at the mount point itself: `/hb_ping`, or `//hb_ping` from an `HB_URL`
 * that ends in `/` (one empty segment, which is what the Nest routes can match too).
 *
 * @internal
 */
export function isAtMountPoint(url: string): boolean {
  const { path } = splitTarget(url);
  const end = path.lastIndexOf('/');
  return end === 0 || (end === 1 && path[0] === '/');
}

/** The query string of a URL, without the `?` and without any fragment. @internal */
export function rawQueryOf(url: string): string {
  return splitTarget(url).query;
}

function percentDecode(part: string, plusIsSpace: boolean): string {
  const text = plusIsSpace ? part.replaceAll('+', ' ') : part;
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw new HeartbeatError(
      'invalid',
      HeartbeatMessages.malformedEncoding(part),
    );
  }
}

/** Splits `a=b&c=d` into decoded pairs; a part without `=` has value `undefined`. */
function decodePairs(
  source: string,
  plusIsSpace: boolean,
): Array<[key: string, value: string | undefined]> {
  const pairs: Array<[string, string | undefined]> = [];
  for (const part of source.split('&')) {
    const eq = part.indexOf('=');
    if (eq === -1) {
      pairs.push([percentDecode(part, plusIsSpace), undefined]);
    } else {
      pairs.push([
        percentDecode(part.slice(0, eq), plusIsSpace),
        percentDecode(part.slice(eq + 1), plusIsSpace),
      ]);
    }
  }
  return pairs;
}

/**
 * Parses a protocol query string. It is split on `&` and each part is percent-decoded on its own
 * (so an ID may contain an encoded `&`). The first part is TIMEOUT when it has no `=`;
 * `timeout=N` is accepted anywhere. The first `appid=` wins. Other parameters are ignored.
 *
 * @internal
 */
export function parseQuery(query: string): ParsedQuery {
  let timeout: string | undefined;
  let appId: string | undefined;
  decodePairs(query, false).forEach(([key, value], index) => {
    if (value === undefined) {
      if (index === 0) timeout = key;
    } else if (key === 'appid') {
      appId ??= value;
    } else if (key.toLowerCase() === 'timeout') {
      timeout ??= value;
    }
  });
  return { timeout, appId };
}

/**
 * TIMEOUT in milliseconds: a missing or empty value is 0; anything but a decimal integer up to
 * `maxTimeoutMs` is refused.
 *
 * @internal
 */
export function parseTimeout(
  raw: string | undefined,
  maxTimeoutMs: number,
): number {
  if (raw === undefined || raw === '') return 0;
  if (!DECIMAL.test(raw)) {
    throw new HeartbeatError('invalid', HeartbeatMessages.invalidTimeout(raw));
  }
  const value = Number(raw);
  // Checked here, on the text, because a long digit string parses to Infinity.
  if (value > maxTimeoutMs) {
    throw new HeartbeatError(
      'invalid',
      HeartbeatMessages.timeoutTooLarge(raw, maxTimeoutMs),
    );
  }
  return value;
}

/**
 * Checks a TIMEOUT given as a number: a non-negative integer up to `maxTimeoutMs`.
 *
 * @internal
 */
export function validateTimeout(
  timeoutMs: number,
  maxTimeoutMs: number,
): number {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0) {
    throw new HeartbeatError(
      'invalid',
      HeartbeatMessages.invalidTimeout(String(timeoutMs)),
    );
  }
  if (timeoutMs > maxTimeoutMs) {
    throw new HeartbeatError(
      'invalid',
      HeartbeatMessages.timeoutTooLarge(String(timeoutMs), maxTimeoutMs),
    );
  }
  return timeoutMs;
}

/**
 * Checks an application ID: present, a non-empty string, at most `maxAppIdLength` characters,
 * well-formed Unicode, and free of control characters and of invisible format characters. Every
 * face and the registry's own methods call it, so an ID refused here is refused everywhere.
 *
 * @internal
 */
export function validateAppId(appId: unknown, maxAppIdLength: number): string {
  if (appId === undefined || appId === null) {
    throw new HeartbeatError('invalid', HeartbeatMessages.missingAppId());
  }
  if (typeof appId !== 'string') {
    throw new HeartbeatError('invalid', HeartbeatMessages.appIdNotString());
  }
  if (appId === '') {
    throw new HeartbeatError('invalid', HeartbeatMessages.emptyAppId());
  }
  if (appId.length > maxAppIdLength) {
    // Characters are code points: stable across platforms and cheap, unlike graphemes.
    // oxlint-disable-next-line typescript/no-misused-spread
    const characters = [...appId].length;
    if (characters > maxAppIdLength) {
      throw new HeartbeatError(
        'invalid',
        HeartbeatMessages.appIdTooLong(characters, maxAppIdLength),
      );
    }
  }
  if (CONTROL_CHARACTER.test(appId)) {
    throw new HeartbeatError(
      'invalid',
      HeartbeatMessages.appIdControlCharacter(),
    );
  }
  const lone = LONE_SURROGATE.exec(appId);
  if (lone) {
    throw new HeartbeatError(
      'invalid',
      HeartbeatMessages.appIdNotWellFormed(codePoint(lone[0])),
    );
  }
  const format = FORMAT_CHARACTER.exec(appId);
  if (format) {
    throw new HeartbeatError(
      'invalid',
      HeartbeatMessages.appIdFormatCharacter(codePoint(format[0])),
    );
  }
  return appId;
}

/** `U+200B`: how a refused character is named in an error line. */
function codePoint(character: string): string {
  const hex = (character.codePointAt(0) ?? 0).toString(16).toUpperCase();
  return `U+${hex.padStart(4, '0')}`;
}

function isFormContentType(contentType: string | undefined): boolean {
  return (
    !!contentType && /application\/x-www-form-urlencoded/i.test(contentType)
  );
}

function isJsonContentType(contentType: string | undefined): boolean {
  return !!contentType && /[/+]json\b/i.test(contentType);
}

/**
 * The `appid` carried by a POST body: a raw JSON (`{"appid":"X"}`, Bash client) or form
 * (`appid=X`, Python client) body, as bytes or text, or a body object a parser already made. An
 * empty body (`navigator.sendBeacon`) carries none. Returns `undefined` when the body has no
 * `appid`; a repeated form `appid` gives its first value, as in the query.
 *
 * A form that a parser already decoded (a host's `express.urlencoded()`) has lost what the client
 * sent: `appid=%ZZ` and `appid=%25ZZ` both arrive as `%ZZ`, since such parsers keep a value they
 * cannot decode as it was. A decoded form value that is not itself valid percent-encoding is
 * therefore refused as malformed, as the raw form would have been; the price is that an ID
 * containing a `%` that starts no escape must come in the query or as JSON on such faces.
 *
 * @internal
 */
export function appIdFromBody(body: unknown, contentType?: string): unknown {
  if (body === undefined || body === null) return undefined;
  if (body instanceof Uint8Array) {
    return appIdFromBody(new TextDecoder().decode(body), contentType);
  }
  if (typeof body === 'string') {
    const text = body.trim();
    if (text === '') return undefined;
    const looksJson =
      isJsonContentType(contentType) ||
      (!isFormContentType(contentType) && text.startsWith('{'));
    if (looksJson) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new HeartbeatError(
          'invalid',
          HeartbeatMessages.malformedJsonBody(),
        );
      }
      return typeof parsed === 'object' && parsed !== null
        ? ownAppId(parsed)
        : undefined;
    }
    const pair = decodePairs(text, true).find(([key]) => key === 'appid');
    return pair?.[1];
  }
  if (typeof body === 'object') {
    const value = ownAppId(body);
    if (!isFormContentType(contentType)) return value;
    const first: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string' && first.includes('%')) {
      // Decodes only to check: a parser keeps what it could not decode as it was.
      percentDecode(first, false);
    }
    return first;
  }
  return undefined;
}

function ownAppId(body: object): unknown {
  return Object.hasOwn(body, 'appid')
    ? (body as { appid: unknown }).appid
    : undefined;
}

/**
 * Parses and validates a protocol command request: TIMEOUT from the query, `appid` from the
 * query or, when the query has none, from the body.
 *
 * @internal
 */
export function parseProtocolRequest(
  input: ProtocolInput,
  limits: ProtocolLimits,
): ProtocolRequest {
  const query = parseQuery(input.query);
  const timeoutMs = parseTimeout(query.timeout, limits.maxTimeoutMs);
  const appId = validateAppId(
    query.appId ?? appIdFromBody(input.body, input.contentType),
    limits.maxAppIdLength,
  );
  return { timeoutMs, appId };
}

/**
 * The `appid` of a monitoring query (`/status?appid=ID`, `/status?0&appid=ID`), validated, or
 * `undefined` when the query names none.
 *
 * @internal
 */
export function parseMonitorAppId(
  query: string,
  limits: Pick<ProtocolLimits, 'maxAppIdLength'>,
): string | undefined {
  const { appId } = parseQuery(query);
  return appId === undefined
    ? undefined
    : validateAppId(appId, limits.maxAppIdLength);
}

/**
 * Refuses a method outside `allowed` with a `method` error (405).
 *
 * @internal
 */
export function assertMethod(method: string, allowed: readonly string[]): void {
  if (!allowed.includes(method.toUpperCase())) {
    throw new HeartbeatError(
      'method',
      HeartbeatMessages.methodNotAllowed(method, allowed),
      allowed,
    );
  }
}
