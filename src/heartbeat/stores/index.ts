export {
  InMemoryHeartbeatStore,
  type InMemoryHeartbeatStoreOptions,
} from './in-memory-heartbeat.store.js';
