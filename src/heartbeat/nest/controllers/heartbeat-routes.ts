import { SetMetadata } from '@nestjs/common';

/**
 * How many path segments may precede a command. Clients only change `HB_URL`, so a command must
 * match whatever prefix it arrives under; this bound is on top of any global or `RouterModule`
 * prefix of the host.
 * @internal
 */
export const MAX_ROUTE_PREFIX_SEGMENTS = 8;

/**
 * Route paths for `segment` at the module's mount path: `segment` itself and `//segment`, what a
 * client whose `HB_URL` ends in `/` sends (Nest keeps the empty segment, the routers match it
 * literally).
 * @internal
 */
export function mountPointRoutes(segment: string): string[] {
  return [segment, `//${segment}`];
}

/**
 * Route paths that match `segment` as the last path segment after 0 to
 * {@link MAX_ROUTE_PREFIX_SEGMENTS} prefix segments, each also with one empty segment before the
 * command (`/a/b//hb_ping`). Fixed-depth parameters rather than a wildcard, because Fastify's
 * router only accepts a wildcard at the end of a path; this way the same routes work on Express
 * and Fastify.
 * @internal
 */
export function lastSegmentRoutes(segment: string): string[] {
  const routes = mountPointRoutes(segment);
  let prefix = '';
  for (let depth = 1; depth <= MAX_ROUTE_PREFIX_SEGMENTS; depth++) {
    prefix += `:hbPrefix${depth}/`;
    routes.push(`${prefix}${segment}`, `${prefix}/${segment}`);
  }
  return routes;
}

/**
 * The key under which `@nestjs/platform-fastify` reads a route's Fastify `config`
 * (`FASTIFY_ROUTE_CONFIG_METADATA`, spelled here so the module never loads that package).
 */
const FASTIFY_ROUTE_CONFIG_METADATA = '__fastify_route_config__';

/** The Fastify route config field that marks a heartbeat route, and what kind it is. @internal */
export const HEARTBEAT_ROUTE_CONFIG = 'heartbeatRoute';

/** Which heartbeat routes a Fastify route serves. @internal */
export type HeartbeatRouteKind = 'command' | 'query';

/**
 * Marks a controller method as a heartbeat route in its Fastify route config, so the module's
 * Fastify hooks recognise exactly its own routes (see `heartbeat-platform.bridge.ts`). Express
 * ignores it.
 * @internal
 */
export const HeartbeatRouteConfig = (
  kind: HeartbeatRouteKind,
): MethodDecorator =>
  SetMetadata(FASTIFY_ROUTE_CONFIG_METADATA, {
    [HEARTBEAT_ROUTE_CONFIG]: kind,
  });
