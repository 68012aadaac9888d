import { All, Controller, Inject, Req, Res, UseFilters } from '@nestjs/common';
import {
  assertMethod,
  PROTOCOL_METHODS,
  rawQueryOf,
  type HeartbeatCommand,
} from '../core/protocol.js';
import { HEARTBEAT_OPTIONS } from '../heartbeat.constants.js';
import type { ResolvedHeartbeatOptions } from '../interfaces/heartbeat-module-options.interface.js';
import { HeartbeatRegistry } from '../registry/heartbeat-registry.service.js';
import { HeartbeatErrorFilter } from './heartbeat-error.filter.js';
import { lastSegmentRoutes } from './heartbeat-routes.js';
import { readRequestBody } from './request-body.js';
import {
  contentTypeOf,
  requestUrl,
  sendPlainText,
  type PlainTextReply,
  type ProtocolHttpRequest,
} from './plain-text.js';

/**
 * `hb_init`, `hb_ping` and `hb_done` by GET and POST, as the last path segment under any prefix.
 * Routes take every method so that others get a protocol-shaped 405 instead of a 404.
 *
 * @publicApi
 */
@Controller()
@UseFilters(HeartbeatErrorFilter)
export class HeartbeatProtocolController {
  constructor(
    private readonly registry: HeartbeatRegistry,
    @Inject(HEARTBEAT_OPTIONS)
    private readonly options: ResolvedHeartbeatOptions,
  ) {}

  // hb_ping first: it is by far the most frequent command, and Express tries routes in order.
  @All(lastSegmentRoutes('hb_ping'))
  ping(
    @Req() request: ProtocolHttpRequest,
    @Res() reply: PlainTextReply,
  ): Promise<void> {
    return this.run('hb_ping', request, reply);
  }

  @All(lastSegmentRoutes('hb_init'))
  init(
    @Req() request: ProtocolHttpRequest,
    @Res() reply: PlainTextReply,
  ): Promise<void> {
    return this.run('hb_init', request, reply);
  }

  @All(lastSegmentRoutes('hb_done'))
  done(
    @Req() request: ProtocolHttpRequest,
    @Res() reply: PlainTextReply,
  ): Promise<void> {
    return this.run('hb_done', request, reply);
  }

  private async run(
    command: HeartbeatCommand,
    request: ProtocolHttpRequest,
    reply: PlainTextReply,
  ): Promise<void> {
    assertMethod(request.method, PROTOCOL_METHODS);
    const body = await this.registry.execute(command, {
      query: rawQueryOf(requestUrl(request)),
      body:
        request.method === 'POST'
          ? await readRequestBody(request, this.options.maxBodyBytes)
          : undefined,
      contentType: contentTypeOf(request),
    });
    sendPlainText(reply, 200, body, this.options.corsOrigin);
  }
}
