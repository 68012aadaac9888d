import type { HeartbeatState } from '../core/status.js';

/**
 * Event names, for `@OnEvent(HeartbeatEvents.STATE_CHANGED)` and for filtering `registry.events$`.
 * @publicApi
 */
export const HeartbeatEvents = {
  REGISTERED: 'heartbeat.registered',
  STATE_CHANGED: 'heartbeat.state-changed',
  DROPPED: 'heartbeat.dropped',
  DEREGISTERED: 'heartbeat.deregistered',
  PAUSED: 'heartbeat.paused',
  RESUMED: 'heartbeat.resumed',
} as const;

/** @publicApi */
export type HeartbeatEventName =
  (typeof HeartbeatEvents)[keyof typeof HeartbeatEvents];

/**
 * An application was seen for the first time (or again after it was dropped or deregistered).
 * @publicApi
 */
export class HeartbeatRegisteredEvent {
  readonly name = HeartbeatEvents.REGISTERED;
  constructor(
    readonly appId: string,
    /** `T`, the promised delay until the next heartbeat. */
    readonly delayMs: number,
    /** Epoch milliseconds. */
    readonly at: number,
  ) {}
}

/**
 * An application moved between OK, WARNING and CRITICAL. Late transitions are detected by the
 * expiry task as their time comes; the way back to OK when a heartbeat arrives.
 * @publicApi
 */
export class HeartbeatStateChangedEvent {
  readonly name = HeartbeatEvents.STATE_CHANGED;
  constructor(
    readonly appId: string,
    readonly from: HeartbeatState,
    readonly to: HeartbeatState,
    /** The overdue ratio when the change was observed. */
    readonly od: number,
    /** When the change was observed (epoch milliseconds). */
    readonly at: number,
    /** The last heartbeat (epoch milliseconds). */
    readonly lastSeen: number,
    /** `T`, the delay the last heartbeat promised. */
    readonly delayMs: number,
  ) {}
}

/**
 * An application reached the drop threshold and its record was removed. Emitted once, by the
 * process that removed it, even with several replicas on one store.
 * @publicApi
 */
export class HeartbeatDroppedEvent {
  readonly name = HeartbeatEvents.DROPPED;
  constructor(
    readonly appId: string,
    readonly lastSeen: number,
    readonly delayMs: number,
    readonly at: number,
  ) {}
}

/**
 * An application said goodbye (`hb_done`).
 * @publicApi
 */
export class HeartbeatDeregisteredEvent {
  readonly name = HeartbeatEvents.DEREGISTERED;
  constructor(
    readonly appId: string,
    readonly at: number,
  ) {}
}

/**
 * An operator paused an application (maintenance): it is OK, never late and never dropped until
 * the pause ends. Pausing a paused application replaces its pause and is reported again.
 * @publicApi
 */
export class HeartbeatPausedEvent {
  readonly name = HeartbeatEvents.PAUSED;
  constructor(
    readonly appId: string,
    /** When the pause began (epoch milliseconds). */
    readonly at: number,
    /** When it ends by itself (epoch milliseconds); `undefined`: when resumed. */
    readonly until: number | undefined,
  ) {}
}

/**
 * An application's pause ended: an operator resumed it (`reason` `resumed`) or its `until` came
 * (`expired`, reported by the sweep that ended it, once across replicas). Its lateness counts
 * from `at`.
 * @publicApi
 */
export class HeartbeatResumedEvent {
  readonly name = HeartbeatEvents.RESUMED;
  constructor(
    readonly appId: string,
    /** When the pause ended (epoch milliseconds). */
    readonly at: number,
    readonly reason: 'resumed' | 'expired',
  ) {}
}

/** @publicApi */
export type HeartbeatEvent =
  | HeartbeatRegisteredEvent
  | HeartbeatStateChangedEvent
  | HeartbeatDroppedEvent
  | HeartbeatDeregisteredEvent
  | HeartbeatPausedEvent
  | HeartbeatResumedEvent;
