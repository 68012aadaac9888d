import type { HeartbeatClock } from './clock.interface.js';
import type { HeartbeatRecord } from './heartbeat-record.interface.js';
import type {
  HeartbeatTombstone,
  HeartbeatTombstonePolicy,
} from './heartbeat-tombstone.interface.js';

/** A state of a live application, as stores compare it with a record's deadlines. @publicApi */
export type HeartbeatStoreState = 'OK' | 'WARNING' | 'CRITICAL';

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
      /**
       * Stores that implement {@link HeartbeatStore.takeStateChanges}: the late state last
       * claimed for the record this upsert refreshed (`WARNING` or `CRITICAL`), so that exactly
       * one caller, the one whose heartbeat ended it, reports the way back to OK.
       */
      readonly recovered?: 'WARNING' | 'CRITICAL';
    }
  | { readonly status: 'full' };

/**
 * Live records per state at one instant, and their total. @publicApi
 */
export interface HeartbeatStateCounts {
  /** Live records: `OK + WARNING + CRITICAL`. */
  readonly total: number;
  readonly OK: number;
  readonly WARNING: number;
  readonly CRITICAL: number;
  /**
   * Records held by a pause (counted in `OK` too; a pause whose end has come counts until the
   * sweep ends it). Stores without pauses (no {@link HeartbeatStore.pause}) leave it out.
   */
  readonly paused?: number;
}

/** One page of records in registration order. @publicApi */
export interface HeartbeatStorePage {
  /** At most the requested number of records, in registration order. */
  readonly records: HeartbeatRecord[];
  /**
   * `cursors[i]` is where a page that starts right after `records[i]` begins, so a caller that
   * filters can stop in the middle of a page and resume exactly there.
   */
  readonly cursors: string[];
  /**
   * Where the next page starts (pass it back as `cursor`); `undefined` when this page reached the
   * end. Opaque; a cursor stays valid while records are added and removed.
   */
  readonly next?: string;
}

/**
 * A threshold crossing claimed by one caller of {@link HeartbeatStore.takeStateChanges}.
 * @publicApi
 */
export interface HeartbeatStoreStateChange {
  /** The record as stored when the change was claimed. */
  readonly record: HeartbeatRecord;
  readonly from: 'OK' | 'WARNING';
  readonly to: 'WARNING' | 'CRITICAL';
}

/**
 * The storage contract behind the registry. Implementations must be safe to call concurrently
 * and keep each method atomic. Every method may reject with a `HeartbeatError` of kind
 * `unavailable` when the backing service cannot be reached.
 *
 * Stores never evaluate lateness themselves: the registry passes each record's deadlines in
 * (`warnAt`, `critAt`, `expiresAt`), and the reads compare them with the `now` it passes. Both
 * are in the registry's recorded time (wall time minus the time the store refused heartbeats,
 * which is wall time until an outage happens); a store only compares them. A record is in state
 * CRITICAL at `now` when `critAt <= now < expiresAt`, WARNING when `warnAt <= now < critAt`, OK
 * when `now < warnAt`, and absent from every read that takes `now` once `expiresAt <= now`.
 *
 * No method reads the whole registry: each one's work is bounded by what it returns (or, for
 * {@link counts}, logarithmic in the number of records where the store can index it), so that a
 * shared store is never held by one caller while a million apps are registered.
 *
 * @publicApi
 */
export interface HeartbeatStore {
  /**
   * Creates or refreshes a record. On refresh `registeredAt` of the existing record is kept.
   * An existing record with `expiresAt <= now` has already been dropped: it is
   * replaced as if new (`created`, fresh `registeredAt`, listed last) and returned as `dropped`.
   * A new ID is refused with `{ status: 'full' }` when the store already holds `maxApps` records.
   *
   * `now` is the registry's recorded time (see above), which differs from `record.lastSeen`
   * (wall time) once time was credited (a store outage, a restart from a state file). A store
   * that takes it (both built-in stores do) judges "already dropped" by `expiresAt <= now`, so a
   * record the credit kept alive is refreshed, not registered anew; without it, `lastSeen`.
   */
  upsert(
    record: HeartbeatRecord,
    maxApps: number,
    now?: number,
  ): Promise<HeartbeatUpsertResult>;
  /** One record, or `undefined`. Expired records may still be returned until removed. */
  get(appId: string): Promise<HeartbeatRecord | undefined>;
  /**
   * Up to `limit` records in registration order, starting where `cursor` (the `next` of the
   * previous page) left off, or at the beginning without one. Expired records may still be
   * included until removed (the registry filters them), so a page can hold fewer live records
   * than asked for; only a missing `next` means the end. Costs O(log n + limit).
   */
  page(cursor: string | undefined, limit: number): Promise<HeartbeatStorePage>;
  /**
   * Optional, a cheaper {@link page} for what only needs IDs (`/list`): the IDs of the records of
   * the page that are live at `now` (`expiresAt > now`), in registration order, and where the
   * next page starts. Up to `limit` records are examined, so `ids` may be shorter than `limit`
   * (even empty) with a `next`. Without it, the registry reads `page` and drops the rest.
   */
  pageIds?(
    cursor: string | undefined,
    limit: number,
    now: number,
  ): Promise<{ readonly ids: string[]; readonly next?: string }>;
  /**
   * Live records per state at `now`, by comparing `now` with the indexed deadlines.
   */
  counts(now: number): Promise<HeartbeatStateCounts>;
  /**
   * Up to `limit` live records at `now`, the most overdue first: every CRITICAL record before any
   * WARNING one before any OK one; within CRITICAL, the longest critical first (ascending
   * `critAt`); within WARNING and OK, ascending `warnAt` (the longest late first, then the next
   * to be late). With one TIMEOUT for every app this is descending `od`. Ties in any order.
   * With `state`, only records in that state.
   */
  mostOverdue(
    now: number,
    limit: number,
    state?: HeartbeatStoreState,
  ): Promise<HeartbeatRecord[]>;
  /**
   * Removes a record; resolves `true` when it existed. With `tombstones`, a store that implements
   * {@link tombstone} remembers the removed record as `DEREGISTERED` (in the same atomic step
   * where it can); other stores ignore it.
   */
  remove(
    appId: string,
    tombstones?: HeartbeatTombstonePolicy,
  ): Promise<boolean>;
  /**
   * Removes up to `limit` records whose `expiresAt <= now` and returns them. Each expired record
   * is returned by exactly one call, even with several registry instances on one store.
   * Work is proportional to the number removed, not to the number stored. With `tombstones`, a
   * store that implements {@link tombstone} remembers each as `EXPIRED`, ended at its
   * `expiresAt`.
   */
  removeExpired(
    now: number,
    limit: number,
    tombstones?: HeartbeatTombstonePolicy,
  ): Promise<HeartbeatRecord[]>;
  /**
   * Optional: what the store remembers of an application it removed with a tombstone policy,
   * when it ended after `since`; `undefined` otherwise. A record created again for the ID (an
   * `upsert` with status `created`) clears its tombstone in the same step. Shared by every
   * caller of the store. Without it there are no tombstones.
   */
  tombstone?(
    appId: string,
    since: number,
  ): Promise<HeartbeatTombstone | undefined>;
  /** Number of records held (including expired ones not yet removed). */
  count(): Promise<number>;
  /**
   * Optional, for stores shared by several processes: claims the threshold crossings (a record's
   * `warnAt` or `critAt` passing) that happened after `since` and up to `now`, at most `limit`,
   * in the order they happened, for live records only. Each crossing is returned by exactly one
   * call across every caller of the store, so each state change is reported once. A store that
   * implements it also reports `recovered` from {@link upsert}. Without it, the registry tracks
   * state changes in its own process.
   */
  takeStateChanges?(
    since: number,
    now: number,
    limit: number,
  ): Promise<HeartbeatStoreStateChange[]>;
  /**
   * Optional (with {@link endPause} and {@link duePauses}): pauses a record, so that an operator's
   * maintenance is never reported as lateness. Sets `pausedAt` and `pausedUntil` (absent: until
   * ended) and every deadline to `PAUSED_DEADLINE`, which makes the record OK for every read,
   * last in {@link mostOverdue} and never expired, with no read knowing about pauses. Pausing a
   * paused record replaces its pause. Resolves the stored record, `undefined` when unknown or,
   * given the registry's recorded `now`, already past its drop deadline (a pause never brings a
   * dropped record back).
   *
   * While a record is so held, {@link upsert} keeps it held (a heartbeat does not end a pause):
   * it updates `lastSeen` and `delayMs` and keeps the pause and its deadlines, unless the pause
   * has an end at or before the heartbeat's `lastSeen`, in which case the heartbeat clears the
   * pause and writes its own deadlines. Any heartbeat on a record whose pause has ended clears
   * `pausedAt` and `pausedUntil`.
   */
  pause?(
    appId: string,
    pausedAt: number,
    pausedUntil: number | undefined,
    now?: number,
  ): Promise<HeartbeatRecord | undefined>;
  /**
   * Ends the pause begun at `pausedAt` (a compare-and-set: nothing happens when the record is no
   * longer held by that pause, because a heartbeat, another pause or another replica got there
   * first): sets `pausedUntil` to `endedAt` and writes the given deadlines. Resolves the stored
   * record, or `undefined` when nothing was changed.
   */
  endPause?(
    appId: string,
    pausedAt: number,
    endedAt: number,
    deadlines: Pick<HeartbeatRecord, 'warnAt' | 'critAt' | 'expiresAt'>,
  ): Promise<HeartbeatRecord | undefined>;
  /**
   * Up to `limit` records still held by a pause whose `pausedUntil` is at or before `now`, the
   * earliest end first, for the sweep to end them. Work proportional to what it returns.
   */
  duePauses?(now: number, limit: number): Promise<HeartbeatRecord[]>;
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
