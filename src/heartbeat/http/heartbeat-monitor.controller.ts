import { All, Controller, Inject, Req, Res, UseFilters } from '@nestjs/common';
import {
  assertMethod,
  MONITOR_METHODS,
  rawQueryOf,
  type MonitorQuery,
} from '../core/protocol.js';
import { HEARTBEAT_OPTIONS } from '../heartbeat.constants.js';
import type { ResolvedHeartbeatOptions } from '../interfaces/heartbeat-module-options.interface.js';
import { HeartbeatRegistry } from '../registry/heartbeat-registry.service.js';
import { HeartbeatErrorFilter } from './heartbeat-error.filter.js';
import { lastSegmentRoutes } from './heartbeat-routes.js';
import {
  requestUrl,
  sendPlainText,
  type PlainTextReply,
  type ProtocolHttpRequest,
} from './plain-text.js';

/**
 * The monitoring queries: `/list` and the Nagios-compatible `/status`, by GET and HEAD.
 *
 * @publicApi
 */
@Controller()
@UseFilters(HeartbeatErrorFilter)
export class HeartbeatMonitorController {
  constructor(
    private readonly registry: HeartbeatRegistry,
    @Inject(HEARTBEAT_OPTIONS)
    private readonly options: ResolvedHeartbeatOptions,
  ) {}

  @All(lastSegmentRoutes('list'))
  list(
    @Req() request: ProtocolHttpRequest,
    @Res() reply: PlainTextReply,
  ): Promise<void> {
    return this.run('list', request, reply);
  }

  @All(lastSegmentRoutes('status'))
  status(
    @Req() request: ProtocolHttpRequest,
    @Res() reply: PlainTextReply,
  ): Promise<void> {
    return this.run('status', request, reply);
  }

  private async run(
    query: MonitorQuery,
    request: ProtocolHttpRequest,
    reply: PlainTextReply,
  ): Promise<void> {
    assertMethod(request.method, MONITOR_METHODS);
    const body = await this.registry.query(
      query,
      rawQueryOf(requestUrl(request)),
    );
    sendPlainText(reply, 200, body, this.options.corsOrigin);
  }
}
