export {
  HEARTBEAT_CLOCK,
  getHeartbeatClockToken,
} from '../nest/heartbeat.constants.js';
export { FakeHeartbeatClock } from './fake-heartbeat.clock.js';
export {
  runHeartbeatStoreContract,
  type HeartbeatStoreContractExpect,
  type HeartbeatStoreContractFixture,
  type HeartbeatStoreContractMatchers,
  type HeartbeatStoreContractRunner,
} from './heartbeat-store.contract.js';
