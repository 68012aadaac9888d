export {
  HeartbeatHttpHandler,
  type HeartbeatHttpAnswer,
  type HeartbeatHttpHandlerOptions,
  type HeartbeatRoute,
} from './heartbeat-http.handler.js';
export type { HeartbeatHttpRequest } from './plain-text.js';
export { answerClientErrors } from './client-errors.js';
