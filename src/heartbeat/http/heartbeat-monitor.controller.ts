import { All, Controller, Inject, Req, Res, UseFilters } from '@nestjs/common';
import { formatList } from '../core/nagios.js';
import {
  assertMethod,
  MONITOR_METHODS,
  parseMonitorAppId,
  rawQueryOf,
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
  async list(
    @Req() request: ProtocolHttpRequest,
    @Res() reply: PlainTextReply,
  ): Promise<void> {
    assertMethod(request.method, MONITOR_METHODS);
    const live = await this.registry.list();
    sendPlainText(
      reply,
      200,
      formatList(live.map((status) => status.appId)),
      this.options.corsOrigin,
    );
  }

  @All(lastSegmentRoutes('status'))
  async status(
    @Req() request: ProtocolHttpRequest,
    @Res() reply: PlainTextReply,
  ): Promise<void> {
    assertMethod(request.method, MONITOR_METHODS);
    const appId = parseMonitorAppId(
      rawQueryOf(requestUrl(request)),
      this.options,
    );
    const line = await this.registry.status(appId);
    sendPlainText(reply, 200, line, this.options.corsOrigin);
  }
}
