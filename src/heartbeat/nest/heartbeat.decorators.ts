import { Inject } from '@nestjs/common';
import {
  HEARTBEAT_CLOCK,
  HEARTBEAT_OPTIONS,
  HEARTBEAT_STORE,
} from './heartbeat.constants.js';

/**
 * Injects the `HeartbeatStore` used by the registry.
 * @publicApi
 */
export const InjectHeartbeatStore = (): ParameterDecorator &
  PropertyDecorator => Inject(HEARTBEAT_STORE);
/**
 * Injects the resolved heartbeat options.
 * @publicApi
 */
export const InjectHeartbeatOptions = (): ParameterDecorator &
  PropertyDecorator => Inject(HEARTBEAT_OPTIONS);
/**
 * Injects the `HeartbeatClock`.
 * @publicApi
 */
export const InjectHeartbeatClock = (): ParameterDecorator &
  PropertyDecorator => Inject(HEARTBEAT_CLOCK);
