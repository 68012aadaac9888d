export {
  HEARTBEAT_CLOCK,
  getHeartbeatClockToken,
} from '../heartbeat.constants.js';
export { FakeHeartbeatClock } from './fake-heartbeat.clock.js';
