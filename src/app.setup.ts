import type { NestExpressApplication } from '@nestjs/platform-express';
import { HeartbeatErrorFilter } from './heartbeat/index.js';

/**
 * What the standalone server adds on top of the module. It runs without body parsers (created
 * with `bodyParser: false`): the protocol controller reads the few POST bodies itself, bounded by
 * `maxBodyBytes`, so GETs, nearly all of the traffic, never go through one. The heartbeat error
 * filter also answers errors raised outside the heartbeat routes as `ERROR: ...` lines.
 */
export function setupStandaloneApp(app: NestExpressApplication): void {
  // Nothing to gain from fingerprinting or conditional GETs on uncacheable text answers.
  app.disable('x-powered-by');
  app.set('etag', false);
  app.useGlobalFilters(app.get(HeartbeatErrorFilter));
}
