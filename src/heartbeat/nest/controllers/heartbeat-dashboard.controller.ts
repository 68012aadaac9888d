import { Controller, Get, Req, Res, UseFilters } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import {
  HeartbeatDashboardHandler,
  type DashboardRoute,
} from '../../dashboard/heartbeat-dashboard.handler.js';
import type { HeartbeatHttpRequest } from '../../http/plain-text.js';
import { HeartbeatErrorFilter } from '../heartbeat-error.filter.js';

/** Express's response is Node's own; Fastify's reply wraps one (`raw`) and must let go of it. */
type DashboardReply =
  ServerResponse | { readonly raw: ServerResponse; hijack(): unknown };

function nodeResponse(reply: DashboardReply): ServerResponse {
  if (!('raw' in reply)) return reply;
  // The handler writes and ends the response itself (an event stream stays open for long).
  reply.hijack();
  return reply.raw;
}

/**
 * The live dashboard at the module's mount path (the `dashboard` extra): the page at
 * `GET dashboard`, its files, `GET dashboard/apps` and `GET events`. Each route hands the
 * request to the framework-free {@link HeartbeatDashboardHandler}, as the standalone server's
 * front door does. The page is a path of its own, not the mount point itself, so it never takes
 * a host's `/` and needs no trailing slash (which Nest strips and Fastify then tells apart).
 * @publicApi
 */
@Controller()
@UseFilters(HeartbeatErrorFilter)
export class HeartbeatDashboardController {
  constructor(private readonly dashboard: HeartbeatDashboardHandler) {}

  @Get('dashboard')
  page(
    @Req() request: HeartbeatHttpRequest,
    @Res() reply: DashboardReply,
  ): Promise<void> {
    return this.serve('page', request, reply);
  }

  @Get('dashboard.css')
  css(
    @Req() request: HeartbeatHttpRequest,
    @Res() reply: DashboardReply,
  ): Promise<void> {
    return this.serve('dashboard.css', request, reply);
  }

  @Get('dashboard.js')
  script(
    @Req() request: HeartbeatHttpRequest,
    @Res() reply: DashboardReply,
  ): Promise<void> {
    return this.serve('dashboard.js', request, reply);
  }

  @Get('dashboard/apps')
  apps(
    @Req() request: HeartbeatHttpRequest,
    @Res() reply: DashboardReply,
  ): Promise<void> {
    return this.serve('dashboard/apps', request, reply);
  }

  @Get('events')
  events(
    @Req() request: HeartbeatHttpRequest,
    @Res() reply: DashboardReply,
  ): Promise<void> {
    return this.serve('events', request, reply);
  }

  private serve(
    route: DashboardRoute,
    request: HeartbeatHttpRequest,
    reply: DashboardReply,
  ): Promise<void> {
    return this.dashboard.serveRoute(route, request, nodeResponse(reply));
  }
}
