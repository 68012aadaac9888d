// nestjs-heartbeat/redis: the Redis store. Kept out of the main barrel so that ioredis, an
// optional peer dependency, is only loaded by those who use it.
export {
  RedisHeartbeatStore,
  type RedisHeartbeatStoreOptions,
} from './redis-heartbeat.store.js';
export {
  RedisTimeClock,
  type RedisTimeClockOptions,
} from './redis-time.clock.js';
export {
  RedisEventClaims,
  type RedisEventClaimsOptions,
} from './redis-event-claims.js';
