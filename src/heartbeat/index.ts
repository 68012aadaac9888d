// The public API of nestjs-heartbeat: what a host, an embedder or a store author calls, by name.
// Parsers and formatters stay internal; the subpaths (/express, /redis, /metrics, /terminus,
// /testing) hold what only some users need.

// The Nest face.
export { HeartbeatModule } from './nest/heartbeat.module.js';
// The raw options given to forRoot stay inside the module: HEARTBEAT_OPTIONS (the resolved ones,
// defaults applied and validated) is the one options token users inject.
export {
  type HeartbeatModuleAsyncOptions,
  type HeartbeatModuleExtras,
  type HeartbeatModuleForRootOptions,
  type HeartbeatOptionsFactory,
} from './nest/heartbeat.module-definition.js';
export {
  HEARTBEAT_CLOCK,
  HEARTBEAT_EXPIRY_INTERVAL,
  HEARTBEAT_OPTIONS,
  HEARTBEAT_STORE,
  getHeartbeatClockToken,
  getHeartbeatOptionsToken,
  getHeartbeatStoreToken,
} from './nest/heartbeat.constants.js';
export {
  InjectHeartbeatClock,
  InjectHeartbeatOptions,
  InjectHeartbeatStore,
} from './nest/heartbeat.decorators.js';
export { HeartbeatExpiryScheduler } from './nest/heartbeat-expiry.scheduler.js';
export {
  HeartbeatMonitorController,
  HeartbeatProtocolController,
} from './nest/controllers/heartbeat-routes.controllers.js';
export {
  HeartbeatApiController,
  type HeartbeatAppListQuery,
  type HeartbeatAppListView,
  type HeartbeatAppView,
  type HeartbeatPauseBody,
  type HeartbeatRemovedView,
} from './nest/controllers/heartbeat-api.controller.js';
export type { HeartbeatNotFoundView } from './nest/controllers/heartbeat-tombstone.view.js';
export {
  HeartbeatWebhooksController,
  type HeartbeatDeliveriesView,
} from './nest/controllers/heartbeat-webhooks.controller.js';
export {
  HeartbeatAccessGuard,
  RequireHeartbeatAccess,
} from './nest/heartbeat-access.guard.js';
export { HeartbeatDashboardController } from './nest/controllers/heartbeat-dashboard.controller.js';

// The engine.
export {
  HeartbeatRegistry,
  type HeartbeatAppPage,
  type HeartbeatBeatResult,
  type HeartbeatCounters,
  type HeartbeatCounts,
  type HeartbeatPageOptions,
  type HeartbeatRegistryDependencies,
  type HeartbeatWalkOptions,
} from './engine/heartbeat-registry.js';
export type { HeartbeatEventEmitter } from './engine/heartbeat-event.tracker.js';
export type { HeartbeatStateFileReport } from './engine/heartbeat-state-file.js';
export {
  HeartbeatAccessControl,
  type HeartbeatAccessGrant,
  type HeartbeatAccessRefusals,
} from './engine/heartbeat-access.js';
export {
  HeartbeatWebhookDispatcher,
  type HeartbeatWebhookCounters,
  type HeartbeatWebhookDelivery,
  type HeartbeatWebhookDispatcherDependencies,
  type HeartbeatWebhookPayload,
} from './engine/heartbeat-webhook.dispatcher.js';
export {
  consoleHeartbeatLogger,
  type HeartbeatLogger,
} from './engine/heartbeat.logger.js';
export { systemClock } from './engine/heartbeat.clock.js';
export {
  HeartbeatDeregisteredEvent,
  HeartbeatPausedEvent,
  HeartbeatResumedEvent,
  HeartbeatDroppedEvent,
  HeartbeatEvents,
  HeartbeatRegisteredEvent,
  HeartbeatStateChangedEvent,
  type HeartbeatEvent,
  type HeartbeatEventName,
} from './engine/heartbeat.events.js';

// The framework-free HTTP face, for node:http servers of your own.
export {
  authorizeHeartbeatRequest,
  HEARTBEAT_AUTH_CHALLENGE,
  answerClientErrors,
  HeartbeatHttpHandler,
  redactHeartbeatUrl,
  type HeartbeatAuthorizeOptions,
  type HeartbeatHttpAnswer,
  type HeartbeatHttpHandlerOptions,
  type HeartbeatHttpRequest,
  type HeartbeatRoute,
} from './http/index.js';

// The live dashboard (page, first page as JSON, server-sent events), framework-free as well.
export {
  DASHBOARD_SORTS,
  HeartbeatDashboardHandler,
  firstPage,
  type DashboardAppView,
  type DashboardCounts,
  type DashboardPage,
  type DashboardQuery,
  type DashboardRoute,
  type DashboardSort,
  type HeartbeatDashboardHandlerOptions,
} from './dashboard/index.js';

// Stores and contracts.
export {
  InMemoryHeartbeatStore,
  type InMemoryHeartbeatStoreOptions,
} from './stores/index.js';
export type * from './interfaces/index.js';

// Options, states and errors.
export {
  HEARTBEAT_DEFAULTS,
  HeartbeatError,
  NAGIOS_EXIT_CODES,
  isHeartbeatError,
  nagiosExitCode,
  PAUSED_DEADLINE,
  resolveHeartbeatOptions,
  stateAt,
  stateDeadlines,
  type HeartbeatAccessKind,
  type HeartbeatAppStatus,
  type HeartbeatDeadlines,
  type HeartbeatCommand,
  type HeartbeatErrorKind,
  type HeartbeatState,
  type HeartbeatThresholds,
  type MonitorQuery,
} from './core/index.js';
