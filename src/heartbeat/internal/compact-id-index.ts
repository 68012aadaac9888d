import { randomBytes } from 'node:crypto';
import { widen } from './slot-index.js';

const HOLE = 0xffffffff;
/** Flag bits of a slot's byte length: the ID has non-ASCII characters / a lone surrogate. */
const NON_ASCII = 0x80000000;
const LONE_SURROGATE = 0x40000000;
const LENGTH_MASK = 0x3fffffff;
/** Below this many holes compaction is not worth a pass. */
const MIN_HOLES_TO_COMPACT = 1024;

/**
 * Maps application IDs to integer slots for typed-array columns, holding the IDs themselves off
 * the JavaScript heap: their bytes in one growing byte arena (UTF-8, lone surrogates kept as
 * WTF-8), found through an open-addressing hash table of slot numbers. Nothing is allocated per
 * ID on the JavaScript heap, so the garbage collector has nothing to trace however many apps are
 * registered, and memory is the columns' exact size: about 24 bytes per ID plus its characters.
 *
 * Slots are handed out in insertion order and never reused, so slot order is registration order
 * and each slot carries a sequence number that stays valid as a cursor. Removed slots become
 * holes; when holes outnumber live slots (and there are at least 1024), live slots move down,
 * the arena is compacted and the table rebuilt, in one O(n) pass reported slot by slot to
 * `onMove` so the owner can move its columns along. Cursors (sequence numbers) survive it.
 *
 * Lookup hashes the ID's UTF-16 code units with a per-process random seed (so colliding IDs
 * cannot be precomputed) and compares candidates byte for byte without decoding them.
 *
 * @internal
 */
export class CompactIdIndex {
  private table: Int32Array;
  private mask: number;
  private hashes: Uint32Array;
  private offsets: Uint32Array;
  private lengths: Uint32Array;
  private seqs: Float64Array;
  private arena: Buffer;
  private arenaUsed = 0;
  private scratch = Buffer.allocUnsafe(1024);
  private end = 0;
  private live = 0;
  private nextSeq = 1;
  private readonly seed = randomBytes(4).readUInt32LE(0);

  constructor(
    private capacity: number,
    /** Called before a slot beyond the current capacity is handed out (columns double). */
    private readonly onGrow: (capacity: number) => void,
    /** Called for each live slot that compaction moves down, in ascending order. */
    private readonly onMove: (from: number, to: number) => void,
  ) {
    // The table grows with the IDs held (touched at random, it would be resident in full).
    this.table = new Int32Array(tableSizeFor(Math.min(capacity, 1024)));
    this.mask = this.table.length - 1;
    this.hashes = new Uint32Array(capacity);
    this.offsets = new Uint32Array(capacity);
    this.lengths = new Uint32Array(capacity);
    this.seqs = new Float64Array(capacity);
    // Reserved, not resident: the arena is written front to back.
    this.arena = Buffer.alloc(capacity * 16);
  }

  /** Live IDs. */
  get size(): number {
    return this.live;
  }

  /** One past the highest slot handed out: slots `0 .. end - 1` are live or holes. */
  get slotEnd(): number {
    return this.end;
  }

  /** Bytes held per live ID, in the columns and the arena (for the benchmark's accounting). */
  get byteLength(): number {
    return (
      this.table.byteLength +
      this.hashes.byteLength +
      this.offsets.byteLength +
      this.lengths.byteLength +
      this.seqs.byteLength +
      this.arena.byteLength
    );
  }

  /** The slot of an ID, or -1. */
  slotOf(id: string): number {
    const hash = this.hash(id);
    for (let bucket = hash & this.mask; ; bucket = (bucket + 1) & this.mask) {
      const entry = this.table[bucket]!;
      if (entry === 0) return -1;
      const slot = entry - 1;
      if (this.hashes[slot] === hash && this.equals(slot, id)) return slot;
    }
  }

  isLive(slot: number): boolean {
    return slot < this.end && this.lengths[slot] !== HOLE;
  }

  /** The ID held in a live slot, as a new string. */
  idOf(slot: number): string {
    return idFromBytes(this.arena, this.offsets[slot]!, this.lengths[slot]!);
  }

  /**
   * Where a live slot's ID lies in {@link arenaBytes}: its byte offset. With {@link idMetaOf},
   * what a snapshot copies without decoding the ID (see {@link idFromBytes}).
   */
  idOffsetOf(slot: number): number {
    return this.offsets[slot]!;
  }

  /** A live slot's ID byte length with its NON_ASCII / LONE_SURROGATE flags (`idFromBytes`). */
  idMetaOf(slot: number): number {
    return this.lengths[slot]!;
  }

  /** The byte arena the IDs live in (read-only for callers; it is replaced when it grows). */
  get arenaBytes(): Buffer {
    return this.arena;
  }

  /** The registration sequence number of a slot (increasing with the slot). */
  seqOf(slot: number): number {
    return this.seqs[slot]!;
  }

  /** The first slot whose sequence number is `>= seq` (`slotEnd` when none): binary search. */
  firstSlotFrom(seq: number): number {
    let low = 0;
    let high = this.end;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.seqs[mid]! < seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /**
   * Adds an ID at a new slot after every other, unless it is present: then returns -1. One hash
   * where `slotOf` and `add` would compute two (a state file's restore).
   */
  addIfAbsent(id: string): number {
    const hash = this.hash(id);
    for (let bucket = hash & this.mask; ; bucket = (bucket + 1) & this.mask) {
      const entry = this.table[bucket]!;
      if (entry === 0) break;
      const slot = entry - 1;
      if (this.hashes[slot] === hash && this.equals(slot, id)) return -1;
    }
    return this.add(id, hash);
  }

  /** Adds an ID that is not present, at a new slot after every other. */
  add(id: string, hash = this.hash(id)): number {
    if (this.end === this.capacity) {
      this.capacity *= 2;
      this.hashes = widen(this.hashes, this.capacity);
      this.offsets = widen(this.offsets, this.capacity);
      this.lengths = widen(this.lengths, this.capacity);
      this.seqs = widen(this.seqs, this.capacity);
      this.onGrow(this.capacity);
    }
    const maxBytes = id.length * 3;
    if (this.arenaUsed + maxBytes > this.arena.length) {
      const wider = Buffer.alloc(
        Math.max(this.arena.length * 2, this.arenaUsed + maxBytes),
      );
      this.arena.copy(wider, 0, 0, this.arenaUsed);
      this.arena = wider;
    }
    if ((this.live + 1) * 2 > this.table.length)
      this.rehash(this.table.length * 2);
    const slot = this.end++;
    this.hashes[slot] = hash;
    this.offsets[slot] = this.arenaUsed;
    const meta = encodeWtf8(id, this.arena, this.arenaUsed);
    this.lengths[slot] = meta;
    this.arenaUsed += meta & LENGTH_MASK;
    this.seqs[slot] = this.nextSeq++;
    this.insert(slot, hash);
    this.live++;
    return slot;
  }

  /**
   * Removes the ID of a live slot. May compact, moving other slots (see `onMove`): callers must
   * not hold slot numbers across a delete.
   */
  delete(slot: number): void {
    this.unlink(slot);
    this.lengths[slot] = HOLE;
    this.live--;
    const holes = this.end - this.live;
    if (holes >= MIN_HOLES_TO_COMPACT && holes > this.live) this.compact();
  }

  clear(): void {
    this.table.fill(0);
    this.end = 0;
    this.live = 0;
    this.arenaUsed = 0;
  }

  /** Moves live slots down over the holes, compacts the arena, rebuilds the table. */
  private compact(): void {
    let to = 0;
    let bytes = 0;
    for (let from = 0; from < this.end; from++) {
      const meta = this.lengths[from]!;
      if (meta === HOLE) continue;
      const length = meta & LENGTH_MASK;
      const offset = this.offsets[from]!;
      // Arena order is slot order, so every ID moves down (or stays): copyWithin is safe.
      if (offset !== bytes)
        this.arena.copyWithin(bytes, offset, offset + length);
      this.offsets[to] = bytes;
      bytes += length;
      if (from !== to) {
        this.lengths[to] = meta;
        this.hashes[to] = this.hashes[from]!;
        this.seqs[to] = this.seqs[from]!;
        this.onMove(from, to);
      }
      to++;
    }
    this.end = to;
    this.arenaUsed = bytes;
    this.rehash(this.table.length);
  }

  private rehash(size: number): void {
    this.table = new Int32Array(size);
    this.mask = size - 1;
    for (let slot = 0; slot < this.end; slot++) {
      if (this.lengths[slot] !== HOLE) this.insert(slot, this.hashes[slot]!);
    }
  }

  private insert(slot: number, hash: number): void {
    let bucket = hash & this.mask;
    while (this.table[bucket] !== 0) bucket = (bucket + 1) & this.mask;
    this.table[bucket] = slot + 1;
  }

  /** Removes a slot from the table by backward-shift deletion (no tombstones). */
  private unlink(slot: number): void {
    const { table, mask } = this;
    let hole = this.hashes[slot]! & mask;
    while (table[hole] !== slot + 1) hole = (hole + 1) & mask;
    for (
      let next = (hole + 1) & mask;
      table[next] !== 0;
      next = (next + 1) & mask
    ) {
      const home = this.hashes[table[next]! - 1]! & mask;
      // The entry at `next` may fill the hole unless its home lies cyclically in (hole, next].
      const between =
        hole <= next
          ? home > hole && home <= next
          : home > hole || home <= next;
      if (!between) {
        table[hole] = table[next]!;
        hole = next;
      }
    }
    table[hole] = 0;
  }

  private hash(id: string): number {
    let h = this.seed ^ 0x811c9dc5;
    for (let i = 0; i < id.length; i++) {
      h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    }
    // A finalizer, so the low bits that pick a bucket depend on every character.
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  private equals(slot: number, id: string): boolean {
    const meta = this.lengths[slot]!;
    const length = meta & LENGTH_MASK;
    const start = this.offsets[slot]!;
    const arena = this.arena;
    if ((meta & NON_ASCII) === 0) {
      if (length !== id.length) return false;
      for (let i = 0; i < length; i++) {
        if (arena[start + i] !== id.charCodeAt(i)) return false;
      }
      return true;
    }
    if (this.scratch.length < id.length * 3) {
      this.scratch = Buffer.allocUnsafe(id.length * 3);
    }
    const encoded = encodeWtf8(id, this.scratch, 0);
    if (encoded !== meta) return false;
    return this.scratch.compare(arena, start, start + length, 0, length) === 0;
  }
}

/** The smallest power of two that keeps the table at most half full for `capacity` IDs. */
function tableSizeFor(capacity: number): number {
  let size = 16;
  while (size < capacity * 2) size *= 2;
  return size;
}

/**
 * Writes `id` at `at` as UTF-8, a lone surrogate as its three-byte WTF-8 form (so every string
 * round-trips exactly), and returns the byte length with the NON_ASCII / LONE_SURROGATE flags.
 * The target must have room for `3 * id.length` bytes.
 */
function encodeWtf8(id: string, target: Uint8Array, at: number): number {
  let p = at;
  let flags = 0;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x80) {
      target[p++] = c;
      continue;
    }
    flags |= NON_ASCII;
    if (c < 0x800) {
      target[p++] = 0xc0 | (c >> 6);
      target[p++] = 0x80 | (c & 0x3f);
      continue;
    }
    const next = i + 1 < id.length ? id.charCodeAt(i + 1) : 0;
    if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
      target[p++] = 0xf0 | (cp >> 18);
      target[p++] = 0x80 | ((cp >> 12) & 0x3f);
      target[p++] = 0x80 | ((cp >> 6) & 0x3f);
      target[p++] = 0x80 | (cp & 0x3f);
      i++;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) flags |= LONE_SURROGATE;
    target[p++] = 0xe0 | (c >> 12);
    target[p++] = 0x80 | ((c >> 6) & 0x3f);
    target[p++] = 0x80 | (c & 0x3f);
  }
  return ((p - at) | flags) >>> 0;
}

/** Longest ID byte length a meta word can carry. @internal */
export const MAX_ID_BYTES = LENGTH_MASK;

/**
 * The ID that `meta` (byte length and flags, as {@link CompactIdIndex.idMetaOf} gives it)
 * describes at `start` in `bytes`: how a snapshot's IDs are read back without re-validating the
 * encoding (the caller validates the ID as it validates any appid).
 * @internal
 */
export function idFromBytes(
  bytes: Buffer,
  start: number,
  meta: number,
): string {
  const end = start + (meta & LENGTH_MASK);
  if ((meta & NON_ASCII) === 0) return bytes.toString('latin1', start, end);
  if ((meta & LONE_SURROGATE) === 0) return bytes.toString('utf8', start, end);
  return decodeWtf8(bytes, start, end);
}

/** Decodes what {@link encodeWtf8} wrote, lone surrogates included. */
function decodeWtf8(bytes: Uint8Array, start: number, end: number): string {
  const units: number[] = [];
  for (let p = start; p < end;) {
    const b = bytes[p]!;
    if (b < 0x80) {
      units.push(b);
      p += 1;
    } else if (b < 0xe0) {
      units.push(((b & 0x1f) << 6) | (bytes[p + 1]! & 0x3f));
      p += 2;
    } else if (b < 0xf0) {
      units.push(
        ((b & 0x0f) << 12) |
          ((bytes[p + 1]! & 0x3f) << 6) |
          (bytes[p + 2]! & 0x3f),
      );
      p += 3;
    } else {
      const cp =
        (((b & 0x07) << 18) |
          ((bytes[p + 1]! & 0x3f) << 12) |
          ((bytes[p + 2]! & 0x3f) << 6) |
          (bytes[p + 3]! & 0x3f)) -
        0x10000;
      units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
      p += 4;
    }
  }
  return String.fromCharCode(...units);
}
