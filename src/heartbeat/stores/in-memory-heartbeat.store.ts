import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import type {
  HeartbeatStore,
  HeartbeatUpsertResult,
} from '../interfaces/heartbeat-store.interface.js';
import { DeadlineHeap, type HeapEntry } from './deadline-heap.js';

/** The mutable per-app slot: one object per app, shared by the map and the deadline heap. */
class Entry implements HeapEntry {
  heapIndex = -1;
  constructor(
    readonly appId: string,
    public lastSeen: number,
    public delayMs: number,
    public registeredAt: number,
    public expiresAt: number,
  ) {}

  snapshot(): HeartbeatRecord {
    return {
      appId: this.appId,
      lastSeen: this.lastSeen,
      delayMs: this.delayMs,
      registeredAt: this.registeredAt,
      expiresAt: this.expiresAt,
    };
  }
}

/**
 * The default store: a `Map` in registration order plus a deadline heap, so a heartbeat is
 * O(log n) and expiry work is proportional to what expires. State lives in this process only.
 *
 * @publicApi
 */
export class InMemoryHeartbeatStore implements HeartbeatStore {
  private readonly entries = new Map<string, Entry>();
  private readonly deadlines = new DeadlineHeap<Entry>();

  upsert(
    record: HeartbeatRecord,
    maxApps: number,
  ): Promise<HeartbeatUpsertResult> {
    const existing = this.entries.get(record.appId);
    if (existing) {
      const dropped =
        existing.expiresAt <= record.lastSeen ? existing.snapshot() : undefined;
      existing.lastSeen = record.lastSeen;
      existing.delayMs = record.delayMs;
      existing.expiresAt = record.expiresAt;
      if (dropped) {
        // A new registration: it restarts its age and moves to the end of the list.
        existing.registeredAt = record.registeredAt;
        this.entries.delete(record.appId);
        this.entries.set(record.appId, existing);
      }
      this.deadlines.update(existing);
      return Promise.resolve(
        dropped
          ? { status: 'created', record: existing.snapshot(), dropped }
          : { status: 'updated', record: existing.snapshot() },
      );
    }
    if (this.entries.size >= maxApps)
      return Promise.resolve({ status: 'full' });
    const entry = new Entry(
      record.appId,
      record.lastSeen,
      record.delayMs,
      record.registeredAt,
      record.expiresAt,
    );
    this.entries.set(entry.appId, entry);
    this.deadlines.push(entry);
    return Promise.resolve({ status: 'created', record: entry.snapshot() });
  }

  get(appId: string): Promise<HeartbeatRecord | undefined> {
    return Promise.resolve(this.entries.get(appId)?.snapshot());
  }

  list(): Promise<HeartbeatRecord[]> {
    return Promise.resolve(
      Array.from(this.entries.values(), (e) => e.snapshot()),
    );
  }

  remove(appId: string): Promise<boolean> {
    const entry = this.entries.get(appId);
    if (!entry) return Promise.resolve(false);
    this.entries.delete(appId);
    this.deadlines.remove(entry);
    return Promise.resolve(true);
  }

  removeExpired(now: number, limit: number): Promise<HeartbeatRecord[]> {
    const removed: HeartbeatRecord[] = [];
    for (
      let top = this.deadlines.peek();
      top !== undefined && top.expiresAt <= now && removed.length < limit;
      top = this.deadlines.peek()
    ) {
      this.deadlines.pop();
      this.entries.delete(top.appId);
      removed.push(top.snapshot());
    }
    return Promise.resolve(removed);
  }

  count(): Promise<number> {
    return Promise.resolve(this.entries.size);
  }

  close(): Promise<void> {
    this.entries.clear();
    this.deadlines.clear();
    return Promise.resolve();
  }
}
