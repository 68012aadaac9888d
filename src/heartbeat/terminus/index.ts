// nestjs-heartbeat/terminus: a health indicator (@nestjs/terminus is an optional peer dependency).
export { HeartbeatHealthIndicator } from './heartbeat.health.js';
