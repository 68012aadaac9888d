import type { INestApplication } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { HeartbeatErrorFilter } from './heartbeat/index.js';
import type { AppConfig } from './app.config.js';

/**
 * The HTTP platform of the standalone server. Express runs without body parsers: the protocol
 * controller reads the few POST bodies itself, bounded by `maxBodyBytes`, so GETs (nearly all of
 * the traffic) never go through one. Fastify parses bodies itself; its `bodyLimit` is the same
 * bound. Fastify is loaded only when chosen.
 */
export async function createHttpAdapter(
  config: AppConfig,
): Promise<AbstractHttpAdapter> {
  if (config.adapter === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    return new FastifyAdapter({ bodyLimit: config.heartbeat.maxBodyBytes });
  }
  const { ExpressAdapter } = await import('@nestjs/platform-express');
  const adapter = new ExpressAdapter();
  // Nothing to gain from fingerprinting or conditional GETs on uncacheable text answers.
  adapter.getInstance().disable('x-powered-by');
  adapter.getInstance().set('etag', false);
  return adapter;
}

/**
 * What the standalone server adds on top of the module: the heartbeat error filter also answers
 * errors raised outside the heartbeat routes (a body the platform refused) as `ERROR: ...` lines.
 */
export function setupStandaloneApp(app: INestApplication): void {
  app.useGlobalFilters(app.get(HeartbeatErrorFilter));
}
