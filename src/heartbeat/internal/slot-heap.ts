import { widen } from './slot-index.js';

/**
 * A binary min-heap of integer slots ordered by a per-slot deadline, in typed arrays. Each slot's
 * position is tracked, so a deadline can move or a slot leave in O(log n) with no allocation, and
 * the heap never holds more than one entry per slot.
 *
 * @internal
 */
export class SlotHeap {
  private deadlines: Float64Array;
  private heap: Int32Array;
  private position: Int32Array;
  private length = 0;

  constructor(capacity: number) {
    this.deadlines = new Float64Array(capacity);
    this.heap = new Int32Array(capacity);
    this.position = new Int32Array(capacity);
  }

  get size(): number {
    return this.length;
  }

  /** Bytes held by the heap's typed arrays. */
  get byteLength(): number {
    return (
      this.deadlines.byteLength +
      this.heap.byteLength +
      this.position.byteLength
    );
  }

  /** Makes room for slots up to `capacity - 1`. */
  grow(capacity: number): void {
    this.deadlines = widen(this.deadlines, capacity);
    this.heap = widen(this.heap, capacity);
    this.position = widen(this.position, capacity);
  }

  deadlineOf(slot: number): number {
    return this.deadlines[slot]!;
  }

  /** The slot with the earliest deadline, or -1 when empty. */
  peek(): number {
    return this.length > 0 ? this.heap[0]! : -1;
  }

  push(slot: number, deadline: number): void {
    this.deadlines[slot] = deadline;
    this.heap[this.length] = slot;
    this.position[slot] = this.length;
    this.length++;
    this.siftUp(this.length - 1);
  }

  /** Moves a slot already in the heap to its new deadline. */
  update(slot: number, deadline: number): void {
    this.deadlines[slot] = deadline;
    this.siftDown(this.siftUp(this.position[slot]!));
  }

  remove(slot: number): void {
    const index = this.position[slot]!;
    const last = this.heap[--this.length]!;
    if (last === slot) return;
    this.heap[index] = last;
    this.position[last] = index;
    this.siftDown(this.siftUp(index));
  }

  /** The slot at heap position `index` (`0 <= index < size`): every live slot, in no order. */
  slotAt(index: number): number {
    return this.heap[index]!;
  }

  /** Renumbers a slot in the heap (its owner moved it from `from` to `to`). */
  move(from: number, to: number): void {
    const index = this.position[from]!;
    this.heap[index] = to;
    this.position[to] = index;
    this.deadlines[to] = this.deadlines[from]!;
  }

  /**
   * Up to `limit` slots whose deadline is `<= now`, without removing them. Only the due part of
   * the heap is walked (every ancestor of a due slot is due too): O(k) for k due.
   */
  dueBy(now: number, limit: number): number[] {
    const due: number[] = [];
    const stack = [0];
    while (stack.length > 0 && due.length < limit) {
      const index = stack.pop()!;
      if (index >= this.length) continue;
      const slot = this.heap[index]!;
      if (this.deadlines[slot]! > now) continue;
      due.push(slot);
      stack.push(2 * index + 1, 2 * index + 2);
    }
    return due;
  }

  clear(): void {
    this.length = 0;
  }

  private siftUp(index: number): number {
    const { heap, position, deadlines } = this;
    const slot = heap[index]!;
    const deadline = deadlines[slot]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (deadlines[parent]! <= deadline) break;
      heap[index] = parent;
      position[parent] = index;
      index = parentIndex;
    }
    heap[index] = slot;
    position[slot] = index;
    return index;
  }

  private siftDown(index: number): void {
    const { heap, position, deadlines } = this;
    const slot = heap[index]!;
    const deadline = deadlines[slot]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= this.length) break;
      const right = left + 1;
      const child =
        right < this.length &&
        deadlines[heap[right]!]! < deadlines[heap[left]!]!
          ? right
          : left;
      const smaller = heap[child]!;
      if (deadlines[smaller]! >= deadline) break;
      heap[index] = smaller;
      position[smaller] = index;
      index = child;
    }
    heap[index] = slot;
    position[slot] = index;
  }
}
