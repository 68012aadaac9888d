import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import { loadAppConfig, type AppConfig } from './app.config.js';
import { AppModule } from './app.module.js';
import { HeartbeatRegistry } from './heartbeat/index.js';
import { createHttpAdapter, setupStandaloneApp } from './app.setup.js';

/** After HB_SHUTDOWN_TIMEOUT_MS closed the connections: how long shutdown hooks may still take. */
const SHUTDOWN_HOOKS_GRACE_MS = 5_000;

/** Nest's own start-up chatter: one line per module and per route, nothing an operator needs. */
const STARTUP_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/**
 * The console logger, minus Nest's start-up lines (a start is a handful of lines) and minus debug
 * and verbose lines (what a client does to its own connection, such as abandoning a request, is
 * not the operator's business).
 */
class QuietStartupLogger extends ConsoleLogger {
  override log(message: unknown, context?: string): void {
    if (context !== undefined && STARTUP_CONTEXTS.has(context)) return;
    super.log(message, context);
  }
}

async function bootstrap(config: AppConfig): Promise<void> {
  const app = await NestFactory.create(
    AppModule,
    await createHttpAdapter(config),
    // The front door reads protocol bodies itself; nothing behind it takes one.
    {
      bodyParser: false,
      logger: new QuietStartupLogger({
        logLevels: ['log', 'warn', 'error', 'fatal'],
      }),
    },
  );
  setupStandaloneApp(app, { dashboard: config.dashboard });
  await app.listen(config.port, config.host);
  const logger = new Logger('Heartbeat');
  const url = await app.getUrl();
  logger.log(`heartbeat server listening on ${url}`);
  if (config.dashboard) logger.log(`dashboard at ${url}/`);
  app.get(HeartbeatRegistry).access.warnIfOpen(config.host, logger);

  // Our own handlers rather than enableShutdownHooks(): Nest re-raises the signal after its
  // hooks, so the process would end "killed by SIGTERM"; a clean stop exits 0.
  // app.close() stops accepting, lets in-flight requests finish and runs every shutdown hook
  // (expiry interval, store connections) before it resolves.
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received, shutting down`);
    // server.close() only closes the keep-alive connections idle at that moment; a connection
    // whose request was still in flight would hold the exit until the client's keep-alive
    // timeout. Close each one as soon as its answer is out.
    const server = app.getHttpServer() as Server;
    const closeIdle = setInterval(() => server.closeIdleConnections(), 50);
    closeIdle.unref();
    // Closing the listener also stops Node's header and request timeouts, so a client trickling
    // its headers or body would hold the stop forever: in-flight requests get
    // HB_SHUTDOWN_TIMEOUT_MS, then whatever is still connected is closed.
    const deadline = setTimeout(() => {
      logger.warn(
        `requests still in flight after ${config.shutdownTimeoutMs} ms (HB_SHUTDOWN_TIMEOUT_MS): closing their connections`,
      );
      server.closeAllConnections();
      // Shutdown hooks get a last moment once the server is closed; a hung one ends here.
      setTimeout(() => {
        logger.error('shutdown hooks did not finish; exiting');
        process.exit(1);
      }, SHUTDOWN_HOOKS_GRACE_MS).unref();
    }, config.shutdownTimeoutMs);
    app.close().then(
      () => {
        clearTimeout(deadline);
        process.exit(0);
      },
      (error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

try {
  await bootstrap(loadAppConfig(process.env));
} catch (error) {
  // A configuration mistake or a busy port: one clear line, not a stack trace.
  console.error(`heartbeat: cannot start: ${(error as Error).message}`);
  process.exit(1);
}
