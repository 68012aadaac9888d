export { InMemoryHeartbeatStore } from './in-memory-heartbeat.store.js';
