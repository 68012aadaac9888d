export type { HeartbeatClock } from './clock.interface.js';
export type {
  HeartbeatModuleOptions,
  ResolvedHeartbeatOptions,
} from './heartbeat-module-options.interface.js';
export type { HeartbeatRecord } from './heartbeat-record.interface.js';
export type {
  HeartbeatStateCounts,
  HeartbeatStore,
  HeartbeatStorePage,
  HeartbeatStoreState,
  HeartbeatStoreStateChange,
  HeartbeatUpsertResult,
} from './heartbeat-store.interface.js';
