export type { HeartbeatClock } from './clock.interface.js';
export type {
  HeartbeatAuthOptions,
  HeartbeatPingToken,
  ResolvedHeartbeatAuth,
  ResolvedHeartbeatPingToken,
} from './heartbeat-access.interface.js';
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
export type {
  HeartbeatTombstone,
  HeartbeatTombstonePolicy,
  HeartbeatTombstoneState,
} from './heartbeat-tombstone.interface.js';
export type {
  HeartbeatEventClaims,
  HeartbeatWebhookOptions,
  ResolvedHeartbeatWebhook,
} from './heartbeat-webhook.interface.js';
