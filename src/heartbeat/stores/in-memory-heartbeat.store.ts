import { HeartbeatError } from '../core/errors.js';
import { HeartbeatMessages } from '../core/messages.js';
import { PAUSED_DEADLINE } from '../core/status.js';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import type {
  HeartbeatStateCounts,
  HeartbeatStore,
  HeartbeatStorePage,
  HeartbeatStoreState,
  HeartbeatUpsertResult,
} from '../interfaces/heartbeat-store.interface.js';
import type {
  HeartbeatTombstone,
  HeartbeatTombstonePolicy,
} from '../interfaces/heartbeat-tombstone.interface.js';
import { CompactIdIndex } from '../internal/compact-id-index.js';
import { SlotHeap } from '../internal/slot-heap.js';
import { widen } from '../internal/slot-index.js';
import type { StateBlockEncoder } from './in-memory-state.format.js';
import { InMemoryTombstones } from './in-memory-tombstones.js';

const INITIAL_CAPACITY = 1024;
/**
 * Largest capacity reserved up front (about 400 MB of address space at ~100 bytes a slot):
 * beyond it the columns grow by doubling.
 */
const MAX_RESERVED_CAPACITY = 4_194_304;

/** Options of {@link InMemoryHeartbeatStore}. @publicApi */
export interface InMemoryHeartbeatStoreOptions {
  /**
   * Slots to reserve up front, typically `maxApps` (the module and `HeartbeatRegistry.create()`
   * pass it). Reserved columns cost address space, not memory: pages are touched as apps are
   * registered. What it saves is growth: without it the columns double as apps arrive, and
   * each doubling leaves the old arrays for the garbage collector to free, which it may not do
   * for a while (tens of megabytes of RSS at a million apps).
   * @default 1024
   */
  readonly capacity?: number;
}

/**
 * The default store, laid out for a million apps with nothing per app on the JavaScript heap:
 * each app gets a slot in typed-array columns, its ID lives as bytes in an arena found through a
 * hash table of slots ({@link CompactIdIndex}), and a heap of slots ordered by drop deadline lets
 * the expiry task pop what has expired.
 *
 * Why: the garbage collector has no per-app object or string to trace, so full collections stay
 * short at any size, and what the process holds per app is the columns' exact size, about
 * 100 bytes plus the ID's characters (see the benchmark), not a multiple of it.
 *
 * Costs: a heartbeat is O(1) to find the app plus O(log n) for the heap; expiry is O(k log n)
 * for k expired records; a page is O(log n + limit). {@link counts} and {@link mostOverdue} are
 * one pass over the columns (no allocation, a few milliseconds at a million apps, measured by the
 * benchmark), which in one process beats keeping three more ordered indexes up to date on every
 * heartbeat. State lives in this process only.
 *
 * @publicApi
 */
export class InMemoryHeartbeatStore implements HeartbeatStore {
  private lastSeen: Float64Array;
  private delayMs: Float64Array;
  private registeredAt: Float64Array;
  private warnAt: Float64Array;
  private critAt: Float64Array;
  /** Ordered by expiresAt; it also holds the expiresAt column. */
  private readonly deadlines: SlotHeap;
  private readonly index: CompactIdIndex;
  /**
   * Pauses by slot, for the few records an operator paused: a map beside the columns, so
   * records that are never paused cost nothing for it. An entry stays after its pause ended,
   * until a heartbeat clears it (lateness counts from its end until then).
   */
  private readonly pauses = new Map<number, Pause>();
  /** Removed apps, when the registry asks for them to be remembered. */
  private readonly tombstones = new InMemoryTombstones();

  constructor(options: InMemoryHeartbeatStoreOptions = {}) {
    const capacity = Math.min(
      Math.max(INITIAL_CAPACITY, Math.ceil(options.capacity ?? 0)),
      MAX_RESERVED_CAPACITY,
    );
    this.lastSeen = new Float64Array(capacity);
    this.delayMs = new Float64Array(capacity);
    this.registeredAt = new Float64Array(capacity);
    this.warnAt = new Float64Array(capacity);
    this.critAt = new Float64Array(capacity);
    this.deadlines = new SlotHeap(capacity);
    this.index = new CompactIdIndex(
      capacity,
      (grown) => {
        this.lastSeen = widen(this.lastSeen, grown);
        this.delayMs = widen(this.delayMs, grown);
        this.registeredAt = widen(this.registeredAt, grown);
        this.warnAt = widen(this.warnAt, grown);
        this.critAt = widen(this.critAt, grown);
        this.deadlines.grow(grown);
      },
      (from, to) => {
        this.lastSeen[to] = this.lastSeen[from]!;
        this.delayMs[to] = this.delayMs[from]!;
        this.registeredAt[to] = this.registeredAt[from]!;
        this.warnAt[to] = this.warnAt[from]!;
        this.critAt[to] = this.critAt[from]!;
        this.deadlines.move(from, to);
        const pause = this.pauses.get(from);
        if (pause) {
          this.pauses.delete(from);
          this.pauses.set(to, pause);
        }
      },
    );
  }

  upsert(
    record: HeartbeatRecord,
    maxApps: number,
    now: number = record.lastSeen,
  ): Promise<HeartbeatUpsertResult> {
    const slot = this.index.slotOf(record.appId);
    if (slot !== -1 && this.deadlines.deadlineOf(slot) > now) {
      const pause = this.pauses.get(slot);
      if (pause && this.holds(slot, pause, record.lastSeen)) {
        // A heartbeat does not end a pause: it is noted, the pause's deadlines stay.
        this.lastSeen[slot] = record.lastSeen;
        this.delayMs[slot] = record.delayMs;
        return Promise.resolve({ status: 'updated', record: this.read(slot) });
      }
      if (pause) this.pauses.delete(slot);
      this.write(slot, record);
      this.deadlines.update(slot, record.expiresAt);
      return Promise.resolve({ status: 'updated', record: this.read(slot) });
    }
    let dropped: HeartbeatRecord | undefined;
    if (slot !== -1) {
      // Past its drop deadline: a new registration, which restarts its age and is listed last.
      dropped = this.read(slot);
      this.forget(slot);
    } else if (this.index.size >= maxApps) {
      return Promise.resolve({ status: 'full' });
    }
    this.tombstones.forget(record.appId);
    const created = this.index.add(record.appId);
    this.write(created, record);
    this.registeredAt[created] = record.registeredAt;
    this.deadlines.push(created, record.expiresAt);
    const result = this.read(created);
    return Promise.resolve(
      dropped
        ? { status: 'created', record: result, dropped }
        : { status: 'created', record: result },
    );
  }

  get(appId: string): Promise<HeartbeatRecord | undefined> {
    const slot = this.index.slotOf(appId);
    return Promise.resolve(slot === -1 ? undefined : this.read(slot));
  }

  page(cursor: string | undefined, limit: number): Promise<HeartbeatStorePage> {
    const end = this.index.slotEnd;
    let slot = 0;
    if (cursor !== undefined) {
      const seq = parseCursor(cursor);
      if (seq === undefined) return Promise.reject(invalidCursor(cursor));
      slot = this.index.firstSlotFrom(seq);
    }
    const records: HeartbeatRecord[] = [];
    const cursors: string[] = [];
    for (; slot < end && records.length < limit; slot++) {
      if (!this.index.isLive(slot)) continue;
      records.push(this.read(slot));
      cursors.push(String(this.index.seqOf(slot) + 1));
    }
    const next = cursors.at(-1);
    return Promise.resolve(
      slot < end && next !== undefined
        ? { records, cursors, next }
        : { records, cursors },
    );
  }

  pageIds(
    cursor: string | undefined,
    limit: number,
    now: number,
  ): Promise<{ ids: string[]; next?: string }> {
    const end = this.index.slotEnd;
    let slot = 0;
    if (cursor !== undefined) {
      const seq = parseCursor(cursor);
      if (seq === undefined) return Promise.reject(invalidCursor(cursor));
      slot = this.index.firstSlotFrom(seq);
    }
    const ids: string[] = [];
    let examined = 0;
    for (; slot < end && examined < limit; slot++) {
      if (!this.index.isLive(slot)) continue;
      examined++;
      if (this.deadlines.deadlineOf(slot) > now)
        ids.push(this.index.idOf(slot));
    }
    return Promise.resolve(
      slot < end && examined > 0
        ? { ids, next: String(this.index.seqOf(slot - 1) + 1) }
        : { ids },
    );
  }

  counts(now: number): Promise<HeartbeatStateCounts> {
    let total = 0;
    let warning = 0;
    let critical = 0;
    const { warnAt, critAt, deadlines, index } = this;
    // In slot order: the columns are read front to back, as the memory prefetcher likes.
    const end = index.slotEnd;
    for (let slot = 0; slot < end; slot++) {
      if (!index.isLive(slot) || deadlines.deadlineOf(slot) <= now) continue;
      total++;
      if (warnAt[slot]! > now) continue;
      if (critAt[slot]! <= now) critical++;
      else warning++;
    }
    let paused = 0;
    for (const slot of this.pauses.keys()) if (this.pausing(slot)) paused++;
    return Promise.resolve({
      total,
      OK: total - warning - critical,
      WARNING: warning,
      CRITICAL: critical,
      paused,
    });
  }

  mostOverdue(
    now: number,
    limit: number,
    state?: HeartbeatStoreState,
  ): Promise<HeartbeatRecord[]> {
    const best = new BoundedSelection(limit);
    const { warnAt, critAt, deadlines, index } = this;
    const end = limit > 0 ? index.slotEnd : 0;
    for (let slot = 0; slot < end; slot++) {
      if (!index.isLive(slot) || deadlines.deadlineOf(slot) <= now) continue;
      const warn = warnAt[slot]!;
      const crit = critAt[slot]!;
      const slotState: HeartbeatStoreState =
        crit <= now ? 'CRITICAL' : warn <= now ? 'WARNING' : 'OK';
      if (state !== undefined && slotState !== state) continue;
      // CRITICAL ranks before the rest, each band by its own deadline.
      if (slotState === 'CRITICAL') best.offer(0, crit, slot);
      else best.offer(1, warn, slot);
    }
    return Promise.resolve(best.slots().map((slot) => this.read(slot)));
  }

  remove(
    appId: string,
    tombstones?: HeartbeatTombstonePolicy,
  ): Promise<boolean> {
    const slot = this.index.slotOf(appId);
    if (slot === -1) return Promise.resolve(false);
    if (tombstones) {
      const { lastSeen } = this.read(slot);
      const state = 'DEREGISTERED';
      this.tombstones.bury(
        [{ appId, state, lastSeen, endedAt: tombstones.now }],
        tombstones,
      );
    }
    this.forget(slot);
    return Promise.resolve(true);
  }

  removeExpired(
    now: number,
    limit: number,
    tombstones?: HeartbeatTombstonePolicy,
  ): Promise<HeartbeatRecord[]> {
    const removed: HeartbeatRecord[] = [];
    for (
      let slot = this.deadlines.peek();
      slot !== -1 &&
      removed.length < limit &&
      this.deadlines.deadlineOf(slot) <= now;
      slot = this.deadlines.peek()
    ) {
      removed.push(this.read(slot));
      this.forget(slot);
    }
    if (tombstones && removed.length > 0) {
      this.tombstones.bury(
        removed.map(({ appId, lastSeen, expiresAt }) => ({
          appId,
          state: 'EXPIRED',
          lastSeen,
          endedAt: expiresAt,
        })),
        tombstones,
      );
    }
    return Promise.resolve(removed);
  }

  tombstone(
    appId: string,
    since: number,
  ): Promise<HeartbeatTombstone | undefined> {
    return Promise.resolve(this.tombstones.get(appId, since));
  }

  count(): Promise<number> {
    return Promise.resolve(this.index.size);
  }

  pause(
    appId: string,
    pausedAt: number,
    pausedUntil: number | undefined,
    now: number = pausedAt,
  ): Promise<HeartbeatRecord | undefined> {
    const slot = this.index.slotOf(appId);
    if (slot === -1 || this.deadlines.deadlineOf(slot) <= now) {
      return Promise.resolve(undefined);
    }
    this.pauses.set(slot, { pausedAt, pausedUntil });
    this.warnAt[slot] = PAUSED_DEADLINE;
    this.critAt[slot] = PAUSED_DEADLINE;
    this.deadlines.update(slot, PAUSED_DEADLINE);
    return Promise.resolve(this.read(slot));
  }

  endPause(
    appId: string,
    pausedAt: number,
    endedAt: number,
    deadlines: Pick<HeartbeatRecord, 'warnAt' | 'critAt' | 'expiresAt'>,
  ): Promise<HeartbeatRecord | undefined> {
    const slot = this.index.slotOf(appId);
    const pause = slot === -1 ? undefined : this.pauses.get(slot);
    if (!pause || pause.pausedAt !== pausedAt || !this.pausing(slot)) {
      return Promise.resolve(undefined);
    }
    pause.pausedUntil = endedAt;
    this.warnAt[slot] = deadlines.warnAt;
    this.critAt[slot] = deadlines.critAt;
    this.deadlines.update(slot, deadlines.expiresAt);
    return Promise.resolve(this.read(slot));
  }

  duePauses(now: number, limit: number): Promise<HeartbeatRecord[]> {
    // Paused records are few (an operator paused each one): a pass over them is cheap.
    const due: Array<[until: number, slot: number]> = [];
    for (const [slot, pause] of this.pauses) {
      const until = pause.pausedUntil;
      if (until !== undefined && until <= now && this.pausing(slot)) {
        due.push([until, slot]);
      }
    }
    due.sort((a, b) => a[0] - b[0]);
    return Promise.resolve(
      due.slice(0, limit).map(([, slot]) => this.read(slot)),
    );
  }

  /**
   * Appends up to `limit` records, in registration order from sequence `fromSeq` on, to a state
   * file block, straight from the columns and the ID arena; returns the sequence to resume at, or
   * `undefined` when the slice reached the last record. Sequence numbers survive compaction, so a
   * flush may resume after other code ran; a record changed after its slice was taken is written
   * by the next flush. Pauses follow in blocks of their own (`exportPauses`). @internal
   */
  exportSlice(
    fromSeq: number,
    limit: number,
    encoder: StateBlockEncoder,
  ): number | undefined {
    const { index, deadlines } = this;
    const end = index.slotEnd;
    const arena = index.arenaBytes;
    let slot = index.firstSlotFrom(fromSeq);
    for (let taken = 0; slot < end && taken < limit; slot++) {
      if (!index.isLive(slot)) continue;
      encoder.append(
        arena,
        index.idOffsetOf(slot),
        index.idMetaOf(slot),
        this.lastSeen[slot]!,
        this.delayMs[slot]!,
        this.registeredAt[slot]!,
        this.warnAt[slot]!,
        this.critAt[slot]!,
        deadlines.deadlineOf(slot),
      );
      taken++;
    }
    return slot < end ? index.seqOf(slot) : undefined;
  }

  /** Appends every pause held to a state file block (see `exportSlice`). @internal */
  exportPauses(encoder: StateBlockEncoder): void {
    const { index } = this;
    const arena = index.arenaBytes;
    for (const [slot, pause] of this.pauses) {
      encoder.appendPause(
        arena,
        index.idOffsetOf(slot),
        index.idMetaOf(slot),
        pause.pausedAt,
        pause.pausedUntil,
      );
    }
  }

  /**
   * Gives a record read from a state file its pause; `false` when the record is not held. Its
   * deadlines came with the record. @internal
   */
  importPause(
    appId: string,
    pausedAt: number,
    pausedUntil: number | undefined,
  ): boolean {
    const slot = this.index.slotOf(appId);
    if (slot === -1) return false;
    this.pauses.set(slot, { pausedAt, pausedUntil });
    return true;
  }

  /**
   * Adds a record read from a state file, as it was (its `registeredAt` included), after every
   * record held: `restored`, or why not (`duplicate` ID, store `full` at `maxApps`). @internal
   */
  importRecord(
    record: HeartbeatRecord,
    maxApps: number,
  ): 'restored' | 'duplicate' | 'full' {
    if (this.index.size >= maxApps) {
      return this.index.slotOf(record.appId) === -1 ? 'full' : 'duplicate';
    }
    const slot = this.index.addIfAbsent(record.appId);
    if (slot === -1) return 'duplicate';
    this.write(slot, record);
    this.registeredAt[slot] = record.registeredAt;
    this.deadlines.push(slot, record.expiresAt);
    return 'restored';
  }

  close(): Promise<void> {
    this.pauses.clear();
    this.index.clear();
    this.deadlines.clear();
    this.tombstones.clear();
    return Promise.resolve();
  }

  /** Bytes of the columns, the heap and the ID index (for the benchmark's accounting). @internal */
  get byteLength(): number {
    return (
      this.lastSeen.byteLength * 5 +
      this.deadlines.byteLength +
      this.index.byteLength
    );
  }

  /** Whether a pause holds the record in `slot`: one that no call has ended yet. */
  private pausing(slot: number): boolean {
    return this.deadlines.deadlineOf(slot) >= PAUSED_DEADLINE;
  }

  /** Whether `pause` still holds the record in `slot` at `at` (not ended, or ending later). */
  private holds(slot: number, pause: Pause, at: number): boolean {
    return (
      this.pausing(slot) &&
      (pause.pausedUntil === undefined || pause.pausedUntil > at)
    );
  }

  /** Removes the record in `slot`, with its pause. */
  private forget(slot: number): void {
    this.deadlines.remove(slot);
    this.pauses.delete(slot);
    this.index.delete(slot);
  }

  private write(slot: number, record: HeartbeatRecord): void {
    this.lastSeen[slot] = record.lastSeen;
    this.delayMs[slot] = record.delayMs;
    this.warnAt[slot] = record.warnAt;
    this.critAt[slot] = record.critAt;
  }

  private read(slot: number): HeartbeatRecord {
    const record: HeartbeatRecord = {
      appId: this.index.idOf(slot),
      lastSeen: this.lastSeen[slot]!,
      delayMs: this.delayMs[slot]!,
      registeredAt: this.registeredAt[slot]!,
      warnAt: this.warnAt[slot]!,
      critAt: this.critAt[slot]!,
      expiresAt: this.deadlines.deadlineOf(slot),
    };
    const pause = this.pauses.get(slot);
    if (!pause) return record;
    return pause.pausedUntil === undefined
      ? { ...record, pausedAt: pause.pausedAt }
      : { ...record, pausedAt: pause.pausedAt, pausedUntil: pause.pausedUntil };
  }
}

/** A record's pause: when it began, and when it ends (`undefined`: when resumed). */
interface Pause {
  readonly pausedAt: number;
  pausedUntil: number | undefined;
}

/** A page cursor of this store: the registration sequence number to resume at. */
function parseCursor(cursor: string): number | undefined {
  return /^[0-9]{1,15}$/.test(cursor) ? Number(cursor) : undefined;
}

function invalidCursor(cursor: string): HeartbeatError {
  return new HeartbeatError('invalid', HeartbeatMessages.invalidCursor(cursor));
}

/**
 * The `limit` smallest (band, deadline) keys offered, in a max-heap over typed arrays so each
 * offer is O(log limit), most are one comparison with the root, and none allocates.
 */
class BoundedSelection {
  private readonly bands: Uint8Array;
  private readonly keys: Float64Array;
  private readonly slotIds: Int32Array;
  private length = 0;

  constructor(private readonly limit: number) {
    this.bands = new Uint8Array(limit);
    this.keys = new Float64Array(limit);
    this.slotIds = new Int32Array(limit);
  }

  offer(band: number, key: number, slot: number): void {
    if (this.length < this.limit) {
      let i = this.length++;
      this.put(i, band, key, slot);
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.greater(i, parent)) break;
        this.swap(i, parent);
        i = parent;
      }
      return;
    }
    const rootBand = this.bands[0]!;
    if (band > rootBand || (band === rootBand && key >= this.keys[0]!)) return;
    this.put(0, band, key, slot);
    for (let i = 0; ;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let largest = i;
      if (left < this.length && this.greater(left, largest)) largest = left;
      if (right < this.length && this.greater(right, largest)) largest = right;
      if (largest === i) return;
      this.swap(i, largest);
      i = largest;
    }
  }

  /** The selected slots, smallest key first. */
  slots(): number[] {
    const order = Array.from({ length: this.length }, (_, i) => i);
    order.sort(
      (a, b) =>
        this.bands[a]! - this.bands[b]! || this.keys[a]! - this.keys[b]!,
    );
    return order.map((i) => this.slotIds[i]!);
  }

  private put(i: number, band: number, key: number, slot: number): void {
    this.bands[i] = band;
    this.keys[i] = key;
    this.slotIds[i] = slot;
  }

  private greater(a: number, b: number): boolean {
    const { bands, keys } = this;
    return (
      bands[a]! > bands[b]! || (bands[a] === bands[b] && keys[a]! > keys[b]!)
    );
  }

  private swap(a: number, b: number): void {
    const band = this.bands[a]!;
    const key = this.keys[a]!;
    const slot = this.slotIds[a]!;
    this.put(a, this.bands[b]!, this.keys[b]!, this.slotIds[b]!);
    this.put(b, band, key, slot);
  }
}
