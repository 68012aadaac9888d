export {
  HEARTBEAT_CLOCK,
  getHeartbeatClockToken,
} from '../nest/heartbeat.constants.js';
export { FakeHeartbeatClock } from './fake-heartbeat.clock.js';
