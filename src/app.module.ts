import { Logger, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { loadAppConfig, type AppConfig } from './app.config.js';
import {
  HeartbeatModule,
  type HeartbeatEventClaims,
  type HeartbeatStore,
} from './heartbeat/index.js';
import { MetricsController } from './metrics.controller.js';

/**
 * The Redis store when `REDIS_URL` is set, else none (the module's in-memory default). ioredis is
 * loaded only then, so a memory-only install never needs it. An unreachable Redis does not stop
 * the server: it starts, says so, answers 503 (and `/status` UNKNOWN) and recovers on its own
 * once Redis answers.
 */
async function createStore(
  config: AppConfig,
): Promise<HeartbeatStore | undefined> {
  if (!config.redis) return undefined;
  const { RedisHeartbeatStore } = await import('./heartbeat/redis/index.js');
  const logger = new Logger('Heartbeat');
  const { keyPrefix } = config.redis;
  if (config.redis.nodes) {
    const { nodes, password } = config.redis;
    logger.log(
      `registry in Redis Cluster at ${nodes.map((n) => `${n.host}:${n.port}`).join(',')}`,
    );
    return new RedisHeartbeatStore({ nodes, password, keyPrefix, logger });
  }
  logger.log(`registry in Redis at ${redactPassword(config.redis.url)}`);
  return new RedisHeartbeatStore({ url: config.redis.url, keyPrefix, logger });
}

/**
 * With webhooks on Redis, several replicas may see one event: the first to claim it in Redis
 * delivers it.
 */
async function createClaims(
  config: AppConfig,
): Promise<HeartbeatEventClaims | undefined> {
  if (!config.redis || config.heartbeat.webhooks.length === 0) return undefined;
  const { RedisEventClaims } = await import('./heartbeat/redis/index.js');
  return new RedisEventClaims(config.redis);
}

function redactPassword(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

/**
 * The standalone heartbeat server: the module configured from `HB_*` environment variables.
 * Being the application, it owns the scheduler and calls `ScheduleModule.forRoot()` once.
 */
@Module({
  imports: [
    ScheduleModule.forRoot(),
    HeartbeatModule.forRootAsync({
      useFactory: async () => {
        const config = loadAppConfig(process.env);
        return {
          ...config.heartbeat,
          store: await createStore(config),
          webhookClaims: await createClaims(config),
        };
      },
      // The front door (app.setup.ts) answers the protocol and monitoring routes.
      protocol: false,
      monitoring: false,
      api: true,
    }),
  ],
  controllers: [MetricsController],
})
export class AppModule {}
