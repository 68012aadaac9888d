import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import { errorResponse } from '../core/errors.js';
import { resolveHeartbeatOptions } from '../core/options.js';
import {
  assertMethod,
  HEARTBEAT_COMMANDS,
  lastPathSegment,
  MONITOR_METHODS,
  PROTOCOL_METHODS,
  rawQueryOf,
  type HeartbeatCommand,
  type MonitorQuery,
} from '../core/protocol.js';
import { resolveHeartbeatClock } from '../heartbeat.clock.js';
import { contentTypeOf, sendPlainText } from '../http/plain-text.js';
import { readRequestBody } from '../http/request-body.js';
import type { HeartbeatModuleOptions } from '../interfaces/heartbeat-module-options.interface.js';
import type { HeartbeatStore } from '../interfaces/heartbeat-store.interface.js';
import { HeartbeatRegistry } from '../registry/heartbeat-registry.service.js';
import { InMemoryHeartbeatStore } from '../stores/in-memory-heartbeat.store.js';

/** A request as Node, Express or Connect hands it over; `body` is set when a body parser ran. */
type MiddlewareRequest = IncomingMessage & {
  body?: unknown;
  originalUrl?: string;
};

/**
 * A request handler serving the heartbeat protocol and monitoring routes, usable as Express or
 * Connect middleware (`app.use('/hb', heartbeat)`) or as a plain `node:http` listener.
 *
 * @publicApi
 */
export interface HeartbeatMiddleware {
  (
    request: IncomingMessage,
    response: ServerResponse,
    next?: (error?: unknown) => void,
  ): void;
  /** The registry behind the routes, for the application's own code. */
  readonly registry: HeartbeatRegistry;
  /** Stops the expiry timer and closes the store. */
  close(): Promise<void>;
}

const COMMANDS = new Set<string>(HEARTBEAT_COMMANDS);

/**
 * The heartbeat server without Nest: the same core, registry, store interface and options as
 * `HeartbeatModule`, for any Express (or Connect, or `node:http`) application. Requests whose last
 * path segment is not a heartbeat route are passed to `next()` (404 without one). The expiry task
 * is an `unref()`'d timer, so it never keeps the process alive; `close()` stops it.
 *
 * @example
 * const heartbeat = createHeartbeatMiddleware({ toleranceMs: 1000 });
 * app.use('/hb', heartbeat);
 * process.on('SIGTERM', () => void heartbeat.close());
 * @publicApi
 */
export function createHeartbeatMiddleware(
  options: HeartbeatModuleOptions = {},
): HeartbeatMiddleware {
  const resolved = resolveHeartbeatOptions(options);
  const store: HeartbeatStore = resolved.store ?? new InMemoryHeartbeatStore();
  const registry = new HeartbeatRegistry(
    resolved,
    store,
    resolveHeartbeatClock(resolved, store),
  );
  const logger = new Logger('Heartbeat');

  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    registry
      .sweep()
      .catch((error: unknown) =>
        logger.error(`expiry sweep failed: ${String(error)}`),
      )
      .finally(() => (sweeping = false));
  }, resolved.sweepIntervalMs);
  timer.unref();

  async function answer(
    request: MiddlewareRequest,
    segment: string,
  ): Promise<string> {
    const url = request.originalUrl ?? request.url ?? '/';
    const method = request.method ?? 'GET';
    if (COMMANDS.has(segment)) {
      assertMethod(method, PROTOCOL_METHODS);
      return registry.execute(segment as HeartbeatCommand, {
        query: rawQueryOf(url),
        body:
          method === 'POST'
            ? await readRequestBody(request, resolved.maxBodyBytes)
            : undefined,
        contentType: contentTypeOf(request),
      });
    }
    assertMethod(method, MONITOR_METHODS);
    return registry.query(segment as MonitorQuery, rawQueryOf(url));
  }

  const middleware = (
    request: MiddlewareRequest,
    response: ServerResponse,
    next?: (error?: unknown) => void,
  ): void => {
    const segment = lastPathSegment(request.url ?? '/');
    if (!COMMANDS.has(segment) && segment !== 'list' && segment !== 'status') {
      if (next) return next();
      response.statusCode = 404;
      response.end();
      return;
    }
    answer(request, segment).then(
      (body) => sendPlainText(response, 200, body, resolved.corsOrigin),
      (error: unknown) => {
        const failure = errorResponse(error, resolved);
        registry.recordRejection();
        if (failure.status === 500)
          logger.error(`unexpected error: ${String(error)}`);
        sendPlainText(
          response,
          failure.status,
          failure.body,
          resolved.corsOrigin,
          failure.allow ? [['Allow', failure.allow]] : [],
        );
      },
    );
  };

  return Object.assign(middleware, {
    registry,
    close: async () => {
      clearInterval(timer);
      await registry.onApplicationShutdown();
    },
  }) as HeartbeatMiddleware;
}
