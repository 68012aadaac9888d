// The public API of nestjs-heartbeat. Everything a host, a store author or an embedder needs is
// exported here by name; nothing should need a deep import.

export { HeartbeatModule } from './heartbeat.module.js';
export {
  HEARTBEAT_MODULE_OPTIONS,
  type HeartbeatModuleAsyncOptions,
  type HeartbeatModuleExtras,
  type HeartbeatModuleForRootOptions,
  type HeartbeatOptionsFactory,
} from './heartbeat.module-definition.js';
export {
  HEARTBEAT_CLOCK,
  HEARTBEAT_EXPIRY_INTERVAL,
  HEARTBEAT_OPTIONS,
  HEARTBEAT_STORE,
  getHeartbeatClockToken,
  getHeartbeatOptionsToken,
  getHeartbeatStoreToken,
} from './heartbeat.constants.js';
export {
  InjectHeartbeatClock,
  InjectHeartbeatOptions,
  InjectHeartbeatStore,
} from './heartbeat.decorators.js';
export { systemClock } from './heartbeat.clock.js';
export {
  HeartbeatDeregisteredEvent,
  HeartbeatDroppedEvent,
  HeartbeatEvents,
  HeartbeatRegisteredEvent,
  HeartbeatStateChangedEvent,
  type HeartbeatEvent,
  type HeartbeatEventName,
} from './heartbeat.events.js';
export {
  HeartbeatRegistry,
  type HeartbeatBeatResult,
  type HeartbeatCounters,
  type HeartbeatEventEmitter,
} from './registry/heartbeat-registry.service.js';
export { HeartbeatExpiryScheduler } from './scheduler/heartbeat-expiry.scheduler.js';
export { HeartbeatProtocolController } from './http/heartbeat-protocol.controller.js';
export { HeartbeatMonitorController } from './http/heartbeat-monitor.controller.js';
export { HeartbeatErrorFilter } from './http/heartbeat-error.filter.js';
export {
  HeartbeatApiController,
  type HeartbeatAppView,
} from './http/heartbeat-api.controller.js';
export { InMemoryHeartbeatStore } from './stores/index.js';
export {
  createHeartbeatMiddleware,
  type HeartbeatMiddleware,
} from './express/index.js';
export type * from './interfaces/index.js';
export {
  GOODBYE,
  HEARTBEAT_COMMANDS,
  HEARTBEAT_DEFAULTS,
  HeartbeatError,
  MONITOR_QUERIES,
  NAGIOS_EXIT_CODES,
  NO_CLIENTS_LINE,
  STORE_UNAVAILABLE_LINE,
  errorResponse,
  evaluateRecord,
  formatAppStatusLine,
  formatHostStatusLine,
  formatList,
  isHeartbeatError,
  nagiosExitCode,
  overdueRatio,
  parseProtocolRequest,
  resolveHeartbeatOptions,
  stateOf,
  type HeartbeatAppStatus,
  type HeartbeatCommand,
  type HeartbeatErrorKind,
  type HeartbeatErrorResponse,
  type HeartbeatState,
  type HeartbeatThresholds,
  type MonitorQuery,
  type ProtocolInput,
  type ProtocolRequest,
} from './core/index.js';
