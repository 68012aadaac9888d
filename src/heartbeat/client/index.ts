// The public API of nestjs-heartbeat/client: sending heartbeats. Nothing reachable from here
// imports `@nestjs/*` at load time, so this subpath works where Nest is not installed.

export {
  HeartbeatClient,
  type HeartbeatStatus,
  type NagiosState,
} from './heartbeat.client.js';
export {
  HeartbeatClientError,
  type HeartbeatClientErrorKind,
} from './heartbeat-client.error.js';
export {
  HeartbeatKeeper,
  type HeartbeatKeeperState,
} from './heartbeat.keeper.js';
export {
  HeartbeatClientModule,
  getHeartbeatClientToken,
  type HeartbeatClientDynamicModule,
  type HeartbeatClientProvider,
  type HeartbeatClientToken,
} from './heartbeat-client.module.js';
export {
  Heartbeat,
  type HeartbeatDecoratorOptions,
  type HeartbeatMethodDecorator,
} from './heartbeat.decorator.js';
export {
  bindHeartbeatClient,
  getBoundHeartbeatClient,
  settleHeartbeats,
  type BindHeartbeatClientOptions,
} from './heartbeat-client.binding.js';
export {
  HEARTBEAT_CLIENT_DEFAULTS,
  HEARTBEAT_CLIENT_MODULE_OPTIONS,
} from './heartbeat-client.constants.js';
export {
  consoleHeartbeatLogger,
  systemScheduler,
} from './heartbeat-client.defaults.js';
export type {
  HeartbeatClientLogger,
  HeartbeatClientModuleAsyncOptions,
  HeartbeatClientModuleExtras,
  HeartbeatClientModuleOptions,
  HeartbeatClientOptions,
  HeartbeatKeeperOptions,
  HeartbeatRequestOptions,
  HeartbeatScheduler,
} from './heartbeat-client-options.interface.js';
