// nestjs-heartbeat/express: the heartbeat routes as middleware for apps without Nest.
export {
  createHeartbeatMiddleware,
  type HeartbeatMiddleware,
} from './heartbeat.middleware.js';
