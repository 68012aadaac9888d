/**
 * Gives each ID a small integer slot for typed-array columns, reusing freed slots, and keeps the
 * IDs in insertion order. `onGrow(capacity)` is called before a slot beyond the current capacity
 * is handed out, so the owner can widen its columns (doubling: amortised O(1)).
 *
 * @internal
 */
export class SlotIndex {
  private readonly slots = new Map<string, number>();
  private ids: (string | undefined)[] = [];
  private readonly free: number[] = [];
  private next = 0;

  constructor(
    private capacity: number,
    private readonly onGrow: (capacity: number) => void,
  ) {}

  get size(): number {
    return this.slots.size;
  }

  slotOf(id: string): number | undefined {
    return this.slots.get(id);
  }

  idOf(slot: number): string {
    return this.ids[slot]!;
  }

  add(id: string): number {
    const slot = this.free.pop() ?? this.next++;
    if (slot >= this.capacity) {
      this.capacity *= 2;
      this.onGrow(this.capacity);
    }
    const own = ownCopy(id);
    this.ids[slot] = own;
    this.slots.set(own, slot);
    return slot;
  }

  delete(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    this.slots.delete(id);
    this.ids[slot] = undefined;
    this.free.push(slot);
  }

  /** Moves an ID to the end of the insertion order, keeping its slot. */
  moveToEnd(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    this.slots.delete(id);
    this.slots.set(this.ids[slot]!, slot);
  }

  /** Slots in insertion order of their IDs. */
  slotsInOrder(): IterableIterator<number> {
    return this.slots.values();
  }

  clear(): void {
    this.slots.clear();
    this.ids = [];
    this.free.length = 0;
    this.next = 0;
  }
}

/**
 * V8 represents a substring of 13 characters or more as a view on its parent string: an ID parsed
 * out of a request URL would keep the whole URL alive for as long as the app stays registered
 * (about 55 bytes per app more for a 36-character ID). A JSON round trip copies the characters
 * into a string of their own, lone surrogates included; shorter strings are always copies already.
 */
function ownCopy(id: string): string {
  return id.length < 13 ? id : (JSON.parse(JSON.stringify(id)) as string);
}

/**
 * A copy of a typed-array column with room for `capacity` slots (what `onGrow` owners call).
 * @internal
 */
export function widen<
  T extends Float64Array | Int32Array | Uint32Array | Uint8Array,
>(column: T, capacity: number): T {
  const wider = new (column.constructor as new (length: number) => T)(capacity);
  wider.set(column);
  return wider;
}
