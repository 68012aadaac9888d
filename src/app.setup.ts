import type { NestExpressApplication } from '@nestjs/platform-express';
import { HeartbeatErrorFilter } from './heartbeat/index.js';
import type { AppConfig } from './app.config.js';

/**
 * What the standalone server adds on top of the module: body parsers bounded by
 * `maxBodyBytes`, and the heartbeat error filter for errors raised before routing (a malformed or
 * oversized body), so those answers are `ERROR: ...` lines too. Shared by `main.ts` and the tests.
 */
export function setupStandaloneApp(
  app: NestExpressApplication,
  config: AppConfig,
): void {
  const limit = config.heartbeat.maxBodyBytes;
  // Nothing to gain from fingerprinting or conditional GETs on uncacheable text answers.
  app.disable('x-powered-by');
  app.set('etag', false);
  app.useBodyParser('json', { limit });
  app.useBodyParser('urlencoded', { limit, extended: false });
  app.useBodyParser('text', { limit });
  app.useGlobalFilters(app.get(HeartbeatErrorFilter));
}
