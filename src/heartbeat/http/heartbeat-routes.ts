/**
 * Route paths for a command: the bare segment and the same segment after any prefix, so the
 * command is the last path segment wherever the module is mounted.
 * @internal
 */
export function lastSegmentRoutes(segment: string): string[] {
  return [segment, `*prefix/${segment}`];
}
