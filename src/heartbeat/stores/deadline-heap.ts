/** An element of a {@link DeadlineHeap}: it carries its own position so updates are O(log n). */
export interface HeapEntry {
  expiresAt: number;
  heapIndex: number;
}

/**
 * A binary min-heap keyed by `expiresAt`, with in-place updates: each entry knows its index, so a
 * heartbeat moves its entry instead of pushing a new one. The heap therefore holds exactly one
 * slot per record, and popping expired entries costs O(k log n) for k expired.
 *
 * @internal
 */
export class DeadlineHeap<T extends HeapEntry> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(entry: T): void {
    entry.heapIndex = this.items.length;
    this.items.push(entry);
    this.siftUp(entry.heapIndex);
  }

  /** Restores order after `entry.expiresAt` changed. */
  update(entry: T): void {
    this.siftDown(this.siftUp(entry.heapIndex));
  }

  remove(entry: T): void {
    const index = entry.heapIndex;
    const last = this.items.pop()!;
    entry.heapIndex = -1;
    if (last === entry) return;
    this.items[index] = last;
    last.heapIndex = index;
    this.update(last);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /**
   * Up to `limit` entries with `expiresAt <= now`, without removing them. Walks only the part of
   * the heap that is due (every ancestor of a due entry is due too), so it costs O(k) for k due.
   */
  dueBy(now: number, limit: number): T[] {
    const due: T[] = [];
    const stack = [0];
    while (stack.length > 0 && due.length < limit) {
      const index = stack.pop()!;
      const entry = this.items[index];
      if (entry === undefined || entry.expiresAt > now) continue;
      due.push(entry);
      stack.push(2 * index + 1, 2 * index + 2);
    }
    return due;
  }

  clear(): void {
    for (const entry of this.items) entry.heapIndex = -1;
    this.items.length = 0;
  }

  private siftUp(index: number): number {
    const items = this.items;
    const entry = items[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex]!;
      if (parent.expiresAt <= entry.expiresAt) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = entry;
    entry.heapIndex = index;
    return index;
  }

  private siftDown(index: number): void {
    const items = this.items;
    const length = items.length;
    const entry = items[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && items[right]!.expiresAt < items[left]!.expiresAt) {
        child = right;
      }
      const smaller = items[child]!;
      if (smaller.expiresAt >= entry.expiresAt) break;
      items[index] = smaller;
      smaller.heapIndex = index;
      index = child;
    }
    items[index] = entry;
    entry.heapIndex = index;
  }
}
