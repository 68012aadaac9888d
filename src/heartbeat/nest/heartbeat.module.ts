import { Module } from '@nestjs/common';
import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import { HeartbeatWebhookDispatcher } from '../engine/heartbeat-webhook.dispatcher.js';
import { HeartbeatAccessGuard } from './heartbeat-access.guard.js';
import {
  HEARTBEAT_CLOCK,
  HEARTBEAT_OPTIONS,
  HEARTBEAT_STORE,
} from './heartbeat.constants.js';
import { HeartbeatEngineLifecycle } from './heartbeat-engine.lifecycle.js';
import { HeartbeatErrorFilter } from './heartbeat-error.filter.js';
import { HeartbeatExpiryScheduler } from './heartbeat-expiry.scheduler.js';
import { ConfigurableModuleClass } from './heartbeat.module-definition.js';
import { heartbeatProviders } from './heartbeat.providers.js';

/**
 * The heartbeat server as a Nest module: the engine (`HeartbeatRegistry`, injectable by type),
 * protocol and monitoring routes at the module's mount path, and a scheduled expiry task. The
 * host imports `ScheduleModule.forRoot()` once.
 *
 * @example
 * @Module({
 *   imports: [
 *     ScheduleModule.forRoot(),
 *     HeartbeatModule.forRoot({ toleranceMs: 1000, maxApps: 10_000 }),
 *   ],
 * })
 * export class AppModule {}
 * @publicApi
 */
@Module({
  providers: [
    ...heartbeatProviders,
    HeartbeatEngineLifecycle,
    HeartbeatExpiryScheduler,
    HeartbeatErrorFilter,
    HeartbeatAccessGuard,
  ],
  exports: [
    HeartbeatRegistry,
    HeartbeatWebhookDispatcher,
    HEARTBEAT_OPTIONS,
    HEARTBEAT_STORE,
    HEARTBEAT_CLOCK,
  ],
})
export class HeartbeatModule extends ConfigurableModuleClass {}
