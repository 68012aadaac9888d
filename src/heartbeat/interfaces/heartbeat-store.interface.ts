import type { HeartbeatClock } from './clock.interface.js';
import type { HeartbeatRecord } from './heartbeat-record.interface.js';

/**
 * Outcome of {@link HeartbeatStore.upsert}.
 *
 * @publicApi
 */
export type HeartbeatUpsertResult =
  | {
      readonly status: 'created' | 'updated';
      readonly record: HeartbeatRecord;
      /** An expired record this upsert replaced before the expiry task removed it. */
      readonly dropped?: HeartbeatRecord;
    }
  | { readonly status: 'full' };

/**
 * The storage contract behind the registry. Implementations must be safe to call concurrently
 * and keep each method atomic. Every method may reject with a `HeartbeatError` of kind
 * `unavailable` when the backing service cannot be reached.
 *
 * Stores never evaluate lateness themselves: the registry passes `now` and the drop deadline in,
 * so one rule decides what is alive.
 *
 * @publicApi
 */
export interface HeartbeatStore {
  /**
   * Creates or refreshes a record. On refresh `registeredAt` of the existing record is kept.
   * An existing record with `expiresAt <= record.lastSeen` has already been dropped: it is
   * replaced as if new (`created`, fresh `registeredAt`) and returned as `dropped`.
   * A new ID is refused with `{ status: 'full' }` when the store already holds `maxApps` records.
   */
  upsert(
    record: HeartbeatRecord,
    maxApps: number,
  ): Promise<HeartbeatUpsertResult>;
  /** One record, or `undefined`. Expired records may still be returned until removed. */
  get(appId: string): Promise<HeartbeatRecord | undefined>;
  /** All records in registration order. Expired records may still be included until removed. */
  list(): Promise<HeartbeatRecord[]>;
  /** Removes a record; resolves `true` when it existed. */
  remove(appId: string): Promise<boolean>;
  /**
   * Removes up to `limit` records whose `expiresAt <= now` and returns them. Each expired record
   * is returned by exactly one call, even with several registry instances on one store.
   * Work is proportional to the number removed, not to the number stored.
   */
  removeExpired(now: number, limit: number): Promise<HeartbeatRecord[]>;
  /** Number of records held (including expired ones not yet removed). */
  count(): Promise<number>;
  /**
   * Resolves when the store could record a heartbeat now, rejects (like any method) when it
   * cannot, and changes nothing either way. While writes are refused the registry asks this on
   * each expiry tick and `/status`, so it learns that heartbeats can be recorded again without
   * waiting for a client's next one. Optional: without it, the next heartbeat recorded tells.
   */
  checkWritable?(): Promise<void>;
  /**
   * The clock of a store shared by several processes, so that they all judge lateness by one
   * time source. The registry uses it unless a clock is configured or injected explicitly.
   */
  readonly clock?: HeartbeatClock;
  /** Releases what the store itself opened (timers, connections). Never closes borrowed clients. */
  close?(): Promise<void>;
}
