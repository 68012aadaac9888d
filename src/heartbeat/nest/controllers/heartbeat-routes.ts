/**
 * How many path segments may precede a command. Clients only change `HB_URL`, so a command must
 * match whatever prefix it arrives under; this bound is on top of any global or `RouterModule`
 * prefix of the host.
 * @internal
 */
export const MAX_ROUTE_PREFIX_SEGMENTS = 8;

/**
 * Route paths that match `segment` as the last path segment after 0 to
 * {@link MAX_ROUTE_PREFIX_SEGMENTS} prefix segments. Fixed-depth parameters rather than a
 * wildcard, because Fastify's router only accepts a wildcard at the end of a path; this way the
 * same routes work on Express and Fastify.
 * @internal
 */
export function lastSegmentRoutes(segment: string): string[] {
  const routes = [segment];
  let prefix = '';
  for (let depth = 1; depth <= MAX_ROUTE_PREFIX_SEGMENTS; depth++) {
    prefix += `:hbPrefix${depth}/`;
    routes.push(`${prefix}${segment}`);
  }
  return routes;
}
