import type { HeartbeatAccessKind } from '../core/access.js';
import { splitTarget } from '../core/protocol.js';
import type {
  HeartbeatAccessControl,
  HeartbeatAccessGrant,
} from '../engine/heartbeat-access.js';
import type { HeartbeatHttpRequest } from './plain-text.js';

/**
 * The `WWW-Authenticate` value sent with every `401`.
 * @publicApi
 */
export const HEARTBEAT_AUTH_CHALLENGE = 'Bearer realm="heartbeat"';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
const NO_TOKEN: readonly string[] = [];

/** The token of an `Authorization: Bearer <token>` header, if any. @internal */
export function bearerToken(
  request: Pick<HeartbeatHttpRequest, 'headers'>,
): string | undefined {
  const header = request.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  return value === undefined ? undefined : BEARER.exec(value)?.[1];
}

/**
 * The path segment right before the route (`/<token>/hb_ping`), as written, if there is one.
 * @internal
 */
export function pathToken(url: string): string | undefined {
  const { path } = splitTarget(url);
  const span = tokenSpan(path);
  return span && path.slice(span.start, span.end);
}

/**
 * Where the token segment is in a path: the segment before the route, or before one empty
 * segment before it (`/<token>//hb_ping`, from an `HB_URL` that ends in `/`). `undefined` when
 * that segment is missing or empty.
 * @internal
 */
export function tokenSpan(
  path: string,
): { readonly start: number; readonly end: number } | undefined {
  let end = path.lastIndexOf('/');
  if (end > 0 && path[end - 1] === '/') end -= 1;
  if (end <= 0) return undefined;
  const start = path.lastIndexOf('/', end - 1) + 1;
  return start === end ? undefined : { start, end };
}

/** Where a route accepts its token from. @publicApi */
export interface HeartbeatAuthorizeOptions {
  /**
   * Also take the token from the path segment right before the route (the protocol and
   * monitoring routes, whose clients only set `HB_URL`); otherwise only from the header.
   * @default false
   */
  readonly tokenInPath?: boolean;
}

/**
 * Checks a request for `kind` against the registry's access rules, with the token from its
 * `Authorization: Bearer` header or (with `tokenInPath`) the path segment before the route.
 * Throws a `HeartbeatError` (`unauthorized` → 401, `forbidden` → 403) when refused. Every
 * route calls it: the protocol handler, the JSON API's guard, the metrics and event-stream
 * routes.
 *
 * @example
 * const grant = authorizeHeartbeatRequest(registry.access, request, 'read');
 * @publicApi
 */
export function authorizeHeartbeatRequest(
  access: HeartbeatAccessControl,
  request: HeartbeatHttpRequest,
  kind: HeartbeatAccessKind,
  options: HeartbeatAuthorizeOptions = {},
): HeartbeatAccessGrant {
  if (access.isOpen(kind)) return access.authorize(kind, NO_TOKEN);
  const candidates = [bearerToken(request)];
  if (options.tokenInPath) {
    candidates.push(pathToken(request.originalUrl ?? request.url ?? '/'));
  }
  return access.authorize(kind, candidates);
}

/**
 * A request URL fit for a log line: when tokens are in use, the path segment before the route
 * (where a client puts its token) is replaced by `***`, whether or not it is a valid token, since
 * a near miss is as secret as the token.
 *
 * @publicApi
 */
export function redactHeartbeatUrl(
  url: string,
  access: Pick<HeartbeatAccessControl, 'enabled'>,
): string {
  if (!access.enabled) return url;
  const hash = url.indexOf('#');
  const target = hash === -1 ? url : url.slice(0, hash);
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  const span = tokenSpan(path);
  if (!span) return target;
  return `${path.slice(0, span.start)}***${target.slice(span.end)}`;
}
