/**
 * Injection token of the resolved options (`ResolvedHeartbeatOptions`).
 * @publicApi
 */
export const HEARTBEAT_OPTIONS = Symbol('nestjs-heartbeat:options');
/**
 * Injection token of the `HeartbeatStore` the registry uses.
 * @publicApi
 */
export const HEARTBEAT_STORE = Symbol('nestjs-heartbeat:store');
/**
 * Injection token of the `HeartbeatClock`; override it in tests to control time.
 * @publicApi
 */
export const HEARTBEAT_CLOCK = Symbol('nestjs-heartbeat:clock');
/**
 * Name of the expiry interval in `SchedulerRegistry`.
 * @publicApi
 */
export const HEARTBEAT_EXPIRY_INTERVAL = 'nestjs-heartbeat:expiry';

/** @publicApi */
export const getHeartbeatOptionsToken = (): symbol => HEARTBEAT_OPTIONS;
/** @publicApi */
export const getHeartbeatStoreToken = (): symbol => HEARTBEAT_STORE;
/** @publicApi */
export const getHeartbeatClockToken = (): symbol => HEARTBEAT_CLOCK;
/**
 * Injection token of the `HeartbeatLogger` the engine writes to (Nest's `Logger('Heartbeat')`).
 * @internal
 */
export const HEARTBEAT_LOGGER = Symbol('nestjs-heartbeat:logger');
