import { All, Controller, Req, Res, UseFilters } from '@nestjs/common';
import { MONITOR_QUERIES, type HeartbeatCommand } from '../../core/protocol.js';
import { HeartbeatHttpHandler } from '../../http/heartbeat-http.handler.js';
import type {
  HeartbeatHttpRequest,
  PlainTextReply,
} from '../../http/plain-text.js';
import { HeartbeatErrorFilter } from '../heartbeat-error.filter.js';
import {
  HeartbeatRouteConfig,
  lastSegmentRoutes,
  mountPointRoutes,
} from './heartbeat-routes.js';

// Each controller is one method on several paths: Nest's router matches, the HTTP handler reads
// the route from the URL and does the rest, as it does for the middleware and the front door.
// A router may match more than the protocol's rule (Express ignores case and a trailing slash,
// Fastify decodes the path): the handler reads the path as sent and answers 404 to those.
// Routes take every method so that others get a protocol-shaped 405 instead of a 404.
// hb_ping first: it is by far the most frequent command, and Express tries routes in order.
const COMMAND_PATHS: HeartbeatCommand[] = ['hb_ping', 'hb_init', 'hb_done'];
const QUERY_PATHS = [...MONITOR_QUERIES];

/**
 * `hb_init`, `hb_ping` and `hb_done` by GET and POST at the module's mount path.
 * @publicApi
 */
@Controller()
@UseFilters(HeartbeatErrorFilter)
export class HeartbeatProtocolController {
  constructor(private readonly handler: HeartbeatHttpHandler) {}

  @All(COMMAND_PATHS.flatMap(mountPointRoutes))
  @HeartbeatRouteConfig('command')
  serve(
    @Req() request: HeartbeatHttpRequest,
    @Res() reply: PlainTextReply,
  ): Promise<void> {
    return this.handler.serveMatched(request, reply);
  }
}

/**
 * The monitoring queries, `/list` and the Nagios-compatible `/status`, by GET and HEAD at the
 * module's mount path.
 * @publicApi
 */
@Controller()
@UseFilters(HeartbeatErrorFilter)
export class HeartbeatMonitorController {
  constructor(private readonly handler: HeartbeatHttpHandler) {}

  @All(QUERY_PATHS.flatMap(mountPointRoutes))
  @HeartbeatRouteConfig('query')
  serve(
    @Req() request: HeartbeatHttpRequest,
    @Res() reply: PlainTextReply,
  ): Promise<void> {
    return this.handler.serveMatched(request, reply);
  }
}

/**
 * The protocol commands as the last path segment under any prefix (the `anyPrefix` extra).
 * @internal
 */
@Controller()
@UseFilters(HeartbeatErrorFilter)
export class HeartbeatAnyPrefixProtocolController extends HeartbeatProtocolController {
  @All(COMMAND_PATHS.flatMap(lastSegmentRoutes))
  @HeartbeatRouteConfig('command')
  override serve(
    @Req() request: HeartbeatHttpRequest,
    @Res() reply: PlainTextReply,
  ): Promise<void> {
    return super.serve(request, reply);
  }
}

/**
 * The monitoring queries as the last path segment under any prefix (the `anyPrefix` extra).
 * @internal
 */
@Controller()
@UseFilters(HeartbeatErrorFilter)
export class HeartbeatAnyPrefixMonitorController extends HeartbeatMonitorController {
  @All(QUERY_PATHS.flatMap(lastSegmentRoutes))
  @HeartbeatRouteConfig('query')
  override serve(
    @Req() request: HeartbeatHttpRequest,
    @Res() reply: PlainTextReply,
  ): Promise<void> {
    return super.serve(request, reply);
  }
}
