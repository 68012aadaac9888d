import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import { HeartbeatSweepLoop } from '../engine/heartbeat-sweep.loop.js';
import { HeartbeatWebhookDispatcher } from '../engine/heartbeat-webhook.dispatcher.js';
import { systemClock } from '../engine/heartbeat.clock.js';
import {
  consoleHeartbeatLogger,
  type HeartbeatLogger,
} from '../engine/heartbeat.logger.js';
import { HeartbeatHttpHandler } from '../http/heartbeat-http.handler.js';
import type { HeartbeatModuleOptions } from '../interfaces/heartbeat-module-options.interface.js';

/**
 * Options of {@link createHeartbeatMiddleware}: the module's options plus how paths match.
 * @publicApi
 */
export interface HeartbeatMiddlewareOptions extends HeartbeatModuleOptions {
  /**
   * Match a route as the last path segment under any prefix below the mount path
   * (`/hb/a/b/hb_ping`); off, only `<mount>/hb_ping` and the like, and `<mount>/<token>/hb_ping`
   * when that segment is one of the configured tokens (see `auth`).
   * @default false
   */
  anyPrefix?: boolean;
  /** Where drops and failures are logged. @default console */
  logger?: HeartbeatLogger;
}

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
  /** The webhook dispatcher (the `webhooks` option): its latest deliveries and totals. */
  readonly webhooks: HeartbeatWebhookDispatcher;
  /**
   * Stops the expiry timer and the webhooks, and closes the store. It does not close your HTTP
   * server.
   */
  close(): Promise<void>;
}

/**
 * The heartbeat server without Nest: the same engine and HTTP handler as `HeartbeatModule`, for
 * any Express (or Connect, or `node:http`) application. It loads no `@nestjs/*` module. Requests
 * that are not heartbeat routes go to `next()` (404 without one). The expiry task is an
 * `unref()`'d timer, so it never keeps the process alive; `close()` stops it.
 *
 * @example
 * const heartbeat = createHeartbeatMiddleware({ toleranceMs: 1000 });
 * app.use('/hb', heartbeat);
 * const server = app.listen(8888);
 * // On SIGTERM: stop accepting connections, answer the requests in flight, close the heartbeat;
 * // with nothing left open the process ends, and after 10 s it exits anyway.
 * process.once('SIGTERM', () => {
 *   server.close(() => void heartbeat.close()); // closes idle connections, calls back once all are
 *   server.keepAliveTimeout = 1; // a busy connection closes soon after its answer, not 5 s later
 *   setTimeout(() => process.exit(1), 10_000).unref();
 * });
 * @publicApi
 */
export function createHeartbeatMiddleware(
  options: HeartbeatMiddlewareOptions = {},
): HeartbeatMiddleware {
  const { anyPrefix, logger = consoleHeartbeatLogger, ...engine } = options;
  const registry = HeartbeatRegistry.create(engine, { logger });
  const handler = new HeartbeatHttpHandler(registry, logger, { anyPrefix });
  const webhooks = HeartbeatWebhookDispatcher.forRegistry(registry, {
    clock: engine.clock ?? systemClock,
    logger,
  });
  webhooks.start();
  const loop = new HeartbeatSweepLoop(
    registry,
    registry.options.sweepIntervalMs,
    logger,
  );
  loop.start();

  const middleware = (
    request: IncomingMessage,
    response: ServerResponse,
    next?: (error?: unknown) => void,
  ): void => {
    if (handler.serve(request, response)) return;
    if (next) return next();
    response.statusCode = 404;
    response.end();
  };

  return Object.assign(middleware, {
    registry,
    webhooks,
    close: async () => {
      loop.stop();
      await webhooks.close();
      await registry.close();
    },
  });
}
