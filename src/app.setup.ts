import {
  Catch,
  Logger,
  type ArgumentsHost,
  type CanActivate,
  type ExecutionContext,
  type HttpServer,
  type INestApplication,
} from '@nestjs/common';
import { BaseExceptionFilter, type AbstractHttpAdapter } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  answerClientErrors,
  HeartbeatDashboardHandler,
  HeartbeatHttpHandler,
  HeartbeatRegistry,
  type HeartbeatLogger,
} from './heartbeat/index.js';
import type { AppConfig } from './app.config.js';

/**
 * The longest path parameter Fastify matches, for an application ID of `maxAppIdLength`
 * characters percent-encoded (up to 12 bytes each: 4 UTF-8 bytes, 3 characters per byte).
 * Fastify's own default, 100, would refuse `GET /apps/<ID>` for IDs the protocol accepts.
 */
export function maxParamLengthFor(maxAppIdLength: number): number {
  return maxAppIdLength * 12;
}

/**
 * The HTTP platform of the standalone server, for what the front door passes on (the JSON API,
 * metrics). The JSON API's bodies (`POST /apps/:id/pause`) are parsed as JSON only, up to
 * `maxBodyBytes` (see `setupStandaloneApp`); protocol bodies never get past the front door.
 * Fastify is loaded only when chosen.
 */
export async function createHttpAdapter(
  config: AppConfig,
): Promise<AbstractHttpAdapter> {
  if (config.adapter === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    return new FastifyAdapter({
      bodyLimit: config.heartbeat.maxBodyBytes,
      routerOptions: {
        maxParamLength: maxParamLengthFor(config.heartbeat.maxAppIdLength),
      },
    });
  }
  const { ExpressAdapter } = await import('@nestjs/platform-express');
  const adapter = new ExpressAdapter();
  // Nothing to gain from fingerprinting or conditional GETs on uncacheable answers.
  adapter.getInstance().disable('x-powered-by');
  adapter.getInstance().set('etag', false);
  return adapter;
}

/** Requests that reached a controller (marked by {@link RouteMarker}). */
const routed = new WeakSet<object>();

/** A guard that lets everything through and remembers that the request matched a route. */
class RouteMarker implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    routed.add(context.switchToHttp().getRequest<object>());
    return true;
  }
}

/**
 * Errors behind the front door: a controller's own (the JSON API's 404, a metrics failure) are
 * answered by Nest as JSON; a path that nothing serves gets the protocol's one-line
 * `404 ERROR: ...` text, and is not a heartbeat request, so it is never counted as a rejection.
 */
@Catch()
class StandaloneErrorFilter extends BaseExceptionFilter {
  constructor(
    adapter: HttpServer,
    private readonly handler: HeartbeatHttpHandler,
  ) {
    super(adapter);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (routed.has(host.switchToHttp().getRequest<object>())) {
      super.catch(exception, host);
      return;
    }
    const status =
      (exception as { getStatus?: () => number }).getStatus?.() ?? 500;
    const request = host.switchToHttp().getRequest<IncomingMessage>();
    // The protocol's 404 line, quoting the path as sent (no query), like the handler's own.
    const message =
      status === 404
        ? `no heartbeat route at [${printablePath(request.url ?? '/')}]`
        : exception instanceof Error
          ? exception.message.replace(/[\r\n]+/g, ' ')
          : 'internal server error';
    this.handler.write(host.switchToHttp().getResponse(), {
      status,
      body: `ERROR: ${message}`,
    });
  }
}

/** A request path for an error line: no query or fragment, short, nothing unprintable. */
function printablePath(url: string): string {
  const path = url.replace(/[?#].*$/s, '');
  // eslint-disable-next-line no-control-regex
  const clean = path.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}...` : clean;
}

/** What the front door serves besides the protocol. */
export interface StandaloneSetupOptions {
  /** The live dashboard at `/` (`HB_DASHBOARD`). @default true */
  readonly dashboard?: boolean;
}

/**
 * The standalone server's front door: protocol commands and monitoring queries are answered
 * straight from the `node:http` server, as the last path segment under any prefix, before any
 * framework router runs; then the dashboard (`/`, its files, `/dashboard/apps`, `/events`);
 * everything else goes on to Nest. That keeps the hot path (`hb_ping`, `/status`) at the speed of
 * Node itself on either platform, and lets an event stream hold its socket without a framework
 * in the way; the module's lifecycle ends the streams at shutdown. Requests Node itself refuses
 * (malformed, oversized headers, too slow) get a one-line `ERROR:` answer too.
 */
export function setupStandaloneApp(
  app: INestApplication,
  options: StandaloneSetupOptions = {},
): void {
  const logger: HeartbeatLogger = new Logger('Heartbeat');
  const registry = app.get(HeartbeatRegistry);
  const handler = new HeartbeatHttpHandler(registry, logger, {
    anyPrefix: true,
  });
  // The app is created without body parsers; the JSON API's admin operations take a small JSON
  // body. Fastify parses JSON by itself (its bodyLimit is set by createHttpAdapter).
  if (app.getHttpAdapter().getType() === 'express') {
    (app as NestExpressApplication).useBodyParser('json', {
      limit: registry.options.maxBodyBytes,
    });
  }
  app.useGlobalGuards(new RouteMarker());
  app.useGlobalFilters(
    new StandaloneErrorFilter(app.getHttpAdapter(), handler),
  );
  const server = app.getHttpServer() as Server;
  const framework = server.listeners('request') as Array<
    (request: IncomingMessage, response: ServerResponse) => void
  >;
  server.removeAllListeners('request');
  const dashboard =
    options.dashboard === false
      ? undefined
      : app.get(HeartbeatDashboardHandler);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (handler.serve(request, response)) return;
    if (dashboard?.serve(request, response)) return;
    for (const listener of framework) listener.call(server, request, response);
  });
  answerClientErrors(server);
}
