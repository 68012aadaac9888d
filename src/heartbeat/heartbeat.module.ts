import { Module } from '@nestjs/common';
import {
  HEARTBEAT_CLOCK,
  HEARTBEAT_OPTIONS,
  HEARTBEAT_STORE,
} from './heartbeat.constants.js';
import { ConfigurableModuleClass } from './heartbeat.module-definition.js';
import { heartbeatProviders } from './heartbeat.providers.js';
import { HeartbeatErrorFilter } from './http/heartbeat-error.filter.js';
import { HeartbeatRegistry } from './registry/heartbeat-registry.service.js';
import { HeartbeatExpiryScheduler } from './scheduler/heartbeat-expiry.scheduler.js';

/**
 * The heartbeat server as a Nest module: protocol and monitoring controllers, the injectable
 * `HeartbeatRegistry`, and a scheduled expiry task. The host imports `ScheduleModule.forRoot()`
 * once.
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
    HeartbeatRegistry,
    HeartbeatExpiryScheduler,
    HeartbeatErrorFilter,
  ],
  exports: [
    HeartbeatRegistry,
    HEARTBEAT_OPTIONS,
    HEARTBEAT_STORE,
    HEARTBEAT_CLOCK,
  ],
})
export class HeartbeatModule extends ConfigurableModuleClass {}
