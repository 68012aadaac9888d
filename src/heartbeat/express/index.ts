// nestjs-heartbeat/express: the heartbeat routes as middleware for apps without Nest.
export {
  createHeartbeatMiddleware,
  type HeartbeatMiddleware,
  type HeartbeatMiddlewareOptions,
} from './heartbeat.middleware.js';
export {
  consoleHeartbeatLogger,
  type HeartbeatLogger,
} from '../engine/heartbeat.logger.js';
