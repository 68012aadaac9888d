import { crc32 } from 'node:zlib';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import { idFromBytes, MAX_ID_BYTES } from '../internal/compact-id-index.js';

/**
 * The state file of the in-memory store: a binary snapshot of the registry, written by slices
 * from the store's typed-array columns (no object per app) and read back block by block.
 *
 * ```
 * file     = header block* end
 * header   = magic(8) version:u32 bodyBytes:u32 body crc32(version .. body):u32
 * body v1  = savedAt:f64 forgottenMs:f64 outages:u32 (start:f64 end:f64){outages}
 * block    = (RECORDS | PAUSES):u32 entries:u32 payloadBytes:u32 crc32(payload):u32 payload
 * record v1 = meta:u32 lastSeen:f64 delayMs:f64 registeredAt:f64 warnAt:f64 critAt:f64
 *            expiresAt:f64 id:bytes(meta & length)
 * pause v1 = meta:u32 pausedAt:f64 pausedUntil:f64 (NaN: until resumed) id:bytes(meta & length)
 * end      = END:u32 totalRecords:u32 0:u32 0:u32
 * ```
 *
 * Everything is little-endian. `savedAt` is the wall time at which the snapshot started and
 * `forgottenMs` with the outages is the registry's outage ledger at that instant (see
 * `HeartbeatOutageLedger`): what lets lateness continue after a restart exactly where it stood.
 * `meta` is the ID's byte length with the index's NON_ASCII / LONE_SURROGATE flags, and the ID
 * bytes are the store's own (UTF-8, lone surrogates as WTF-8), copied as they are.
 *
 * Each block carries its own CRC-32, so a damaged block is skipped and the next one is read; a
 * block header that makes no sense (unknown tag, a length beyond {@link MAX_BLOCK_BYTES} or the
 * file) ends the reading, and a missing end marker means the file was cut short. Within a block
 * each record is checked on its own (finite times, a positive delay, `warnAt <= critAt <=
 * expiresAt`, an ID that fits its block) and a bad one is skipped.
 *
 * Pauses (the few records an operator paused) follow the records in blocks of their own, so
 * records that are never paused cost nothing for them; a paused record's deadlines are in its
 * record (`PAUSED_DEADLINE` while the pause holds it), its pause is applied to it after every
 * record was read. A pause whose record is missing (a damaged block) is skipped.
 *
 * Versions: a record's layout is fixed by the header's version; this reader refuses a newer
 * version by name instead of guessing.
 *
 * @internal
 */
export const STATE_FILE_MAGIC = Buffer.from([
  0x89, 0x48, 0x42, 0x53, 0x0d, 0x0a, 0x1a, 0x0a,
]);
/** The version this code writes, and the newest it reads. @internal */
export const STATE_FILE_VERSION = 1;
/** Tags of the two kinds of block. */
const RECORDS_TAG = 0x53444352; // "RCDS"
const PAUSES_TAG = 0x53554150; // "PAUS"
const END_TAG = 0x21444e45; // "END!"
const BLOCK_HEADER_BYTES = 16;
/** Bytes of a version 1 record before its ID. */
const RECORD_FIXED_BYTES = 4 + 6 * 8;
/** Bytes of a pause before its ID. */
const PAUSE_FIXED_BYTES = 4 + 2 * 8;
/** The most outages a header may list (the ledger remembers at most 64). */
const MAX_HEADER_OUTAGES = 1024;
/**
 * The largest block a reader accepts: a header claiming more is damaged. A writer's blocks are
 * `stateFlushBatchSize` records (about 1 MB at the default), far below.
 * @internal
 */
export const MAX_BLOCK_BYTES = 256 * 1024 * 1024;

/** What the header holds besides the records. @internal */
export interface StateFileHeader {
  /** Wall time at which the snapshot started. */
  readonly savedAt: number;
  /** The outage ledger at `savedAt`: refused time already forgotten... */
  readonly forgottenMs: number;
  /** ...and the outages remembered, `[start, end)`, oldest first (one open at `savedAt` ends there). */
  readonly outages: ReadonlyArray<readonly [number, number]>;
}

/** The header of a state file, ready to be written first. @internal */
export function encodeStateHeader(header: StateFileHeader): Buffer {
  const bodyBytes = 8 + 8 + 4 + header.outages.length * 16;
  const buffer = Buffer.alloc(8 + 4 + 4 + bodyBytes + 4);
  STATE_FILE_MAGIC.copy(buffer, 0);
  let at = buffer.writeUInt32LE(STATE_FILE_VERSION, 8);
  at = buffer.writeUInt32LE(bodyBytes, at);
  at = buffer.writeDoubleLE(header.savedAt, at);
  at = buffer.writeDoubleLE(header.forgottenMs, at);
  at = buffer.writeUInt32LE(header.outages.length, at);
  for (const [start, end] of header.outages) {
    at = buffer.writeDoubleLE(start, at);
    at = buffer.writeDoubleLE(end, at);
  }
  buffer.writeUInt32LE(crc32(buffer.subarray(8, at)), at);
  return buffer;
}

/** The end marker, written last: a file without it was cut short. @internal */
export function encodeStateEnd(totalRecords: number): Buffer {
  const buffer = Buffer.alloc(BLOCK_HEADER_BYTES);
  buffer.writeUInt32LE(END_TAG, 0);
  buffer.writeUInt32LE(totalRecords, 4);
  return buffer;
}

/**
 * Collects one block of records, written straight from the store's columns and ID arena (see
 * `InMemoryHeartbeatStore.exportSlice`). One encoder is reused for every block of a flush: its
 * buffer grows to the largest block and stays.
 * @internal
 */
export class StateBlockEncoder {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  /** A view on `buffer`: V8 compiles its accessors inline, Buffer's `writeDoubleLE` it does not. */
  private view = viewOf(this.buffer);
  private at = BLOCK_HEADER_BYTES;
  private count = 0;
  private tag = RECORDS_TAG;

  /** Records in the block being collected. */
  get records(): number {
    return this.count;
  }

  /** Appends one record; `meta` and the ID bytes at `idStart` in `arena` as the index holds them. */
  append(
    arena: Buffer,
    idStart: number,
    meta: number,
    lastSeen: number,
    delayMs: number,
    registeredAt: number,
    warnAt: number,
    critAt: number,
    expiresAt: number,
  ): void {
    const idBytes = meta & MAX_ID_BYTES;
    this.reserve(RECORD_FIXED_BYTES + idBytes);
    const { view } = this;
    const at = this.at;
    view.setUint32(at, meta >>> 0, true);
    view.setFloat64(at + 4, lastSeen, true);
    view.setFloat64(at + 12, delayMs, true);
    view.setFloat64(at + 20, registeredAt, true);
    view.setFloat64(at + 28, warnAt, true);
    view.setFloat64(at + 36, critAt, true);
    view.setFloat64(at + 44, expiresAt, true);
    const idAt = at + RECORD_FIXED_BYTES;
    if (idBytes <= 16) {
      // Short IDs byte by byte: cheaper than a native copy call.
      for (let i = 0; i < idBytes; i++)
        this.buffer[idAt + i] = arena[idStart + i]!;
    } else {
      arena.copy(this.buffer, idAt, idStart, idStart + idBytes);
    }
    this.at = idAt + idBytes;
    this.count++;
  }

  /**
   * Appends one pause (`pausedUntil` `undefined`: until resumed). A block holds records or
   * pauses: take the records' block before the first pause.
   */
  appendPause(
    arena: Buffer,
    idStart: number,
    meta: number,
    pausedAt: number,
    pausedUntil: number | undefined,
  ): void {
    if (this.count > 0 && this.tag !== PAUSES_TAG) {
      throw new Error('take() the records block before appending pauses');
    }
    this.tag = PAUSES_TAG;
    const idBytes = meta & MAX_ID_BYTES;
    this.reserve(PAUSE_FIXED_BYTES + idBytes);
    const { view } = this;
    const at = this.at;
    view.setUint32(at, meta >>> 0, true);
    view.setFloat64(at + 4, pausedAt, true);
    view.setFloat64(at + 12, pausedUntil ?? Number.NaN, true);
    const idAt = at + PAUSE_FIXED_BYTES;
    arena.copy(this.buffer, idAt, idStart, idStart + idBytes);
    this.at = idAt + idBytes;
    this.count++;
  }

  /**
   * The block collected so far, framed and checksummed, and a fresh start for the next one. The
   * bytes are valid until the next `append`: write them before collecting more.
   */
  take(): Buffer {
    const buffer = this.buffer;
    const payload = buffer.subarray(BLOCK_HEADER_BYTES, this.at);
    buffer.writeUInt32LE(this.tag, 0);
    buffer.writeUInt32LE(this.count, 4);
    buffer.writeUInt32LE(payload.length, 8);
    buffer.writeUInt32LE(crc32(payload), 12);
    const block = buffer.subarray(0, this.at);
    this.at = BLOCK_HEADER_BYTES;
    this.count = 0;
    this.tag = RECORDS_TAG;
    return block;
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const wider = Buffer.allocUnsafe(
      Math.max(this.buffer.length * 2, this.at + bytes),
    );
    this.buffer.copy(wider, 0, 0, this.at);
    this.buffer = wider;
    this.view = viewOf(wider);
  }
}

function viewOf(buffer: Buffer): DataView {
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** A state file that cannot be read at all: no header this code understands. @internal */
export class UnreadableStateFileError extends Error {}

/** What reading a state file found, besides the records it handed over. @internal */
export interface StateFileReading {
  readonly header: StateFileHeader;
  /** Records handed to `onRecord`. */
  readonly records: number;
  /** Pauses handed to `onPause`. */
  readonly pauses: number;
  /** Records skipped because they failed their own checks (or `onRecord` refused them). */
  readonly badRecords: number;
  /** Blocks skipped because their checksum did not match (their records are lost). */
  readonly badBlocks: number;
  /** Why reading stopped before the end marker, when it did (the rest of the file is lost). */
  readonly stoppedEarly?: string;
}

/** Reads `length` bytes at `position` into `target`; returns how many it could (fewer at EOF). */
export type StateFileReader = (
  target: Buffer,
  position: number,
  length: number,
) => number;

/**
 * Reads a state file block by block through `read` (a `readSync` on an open file), handing each
 * valid record to `onRecord` in file order. `onRecord` gets one reused object: copy what it
 * keeps; it returns `false` for a record it refuses (counted as bad). Throws
 * {@link UnreadableStateFileError} when the header is missing, foreign, damaged or of a newer
 * version; anything wrong after the header is skipped and reported instead.
 * @internal
 */
export function readStateFile(
  read: StateFileReader,
  onRecord: (record: HeartbeatRecord) => boolean,
  onPause: (
    appId: string,
    pausedAt: number,
    pausedUntil: number | undefined,
  ) => boolean = () => false,
): StateFileReading {
  const header = readHeader(read);
  let position = header.bytes;
  let records = 0;
  let pauses = 0;
  let badRecords = 0;
  let badBlocks = 0;
  let total = 0;
  const frame = Buffer.alloc(BLOCK_HEADER_BYTES);
  let payload = Buffer.alloc(0);
  let view = viewOf(payload);
  const scratch = {
    appId: '',
    lastSeen: 0,
    delayMs: 0,
    registeredAt: 0,
    warnAt: 0,
    critAt: 0,
    expiresAt: 0,
  };
  const result = (stoppedEarly?: string): StateFileReading => ({
    header: header.header,
    records,
    pauses,
    badRecords,
    badBlocks,
    ...(stoppedEarly === undefined ? {} : { stoppedEarly }),
  });

  for (;;) {
    const got = read(frame, position, BLOCK_HEADER_BYTES);
    if (got < BLOCK_HEADER_BYTES) {
      return result(
        `the file ends at byte ${position + got} without its end marker (cut short)`,
      );
    }
    const tag = frame.readUInt32LE(0);
    const count = frame.readUInt32LE(4);
    const length = frame.readUInt32LE(8);
    if (tag === END_TAG) {
      // A damaged block's own count is not to be trusted: compare only when every block was read.
      if (badBlocks === 0 && count !== total) {
        return result(
          `the end marker counts ${count} records where the blocks hold ${total}`,
        );
      }
      return result();
    }
    const fixedBytes =
      tag === PAUSES_TAG ? PAUSE_FIXED_BYTES : RECORD_FIXED_BYTES;
    if (
      (tag !== RECORDS_TAG && tag !== PAUSES_TAG) ||
      length > MAX_BLOCK_BYTES ||
      count > length / fixedBytes
    ) {
      return result(`damaged block header at byte ${position}`);
    }
    if (payload.length < length) {
      payload = Buffer.alloc(Math.max(length, payload.length * 2));
      view = viewOf(payload);
    }
    const body = payload.subarray(0, length);
    const gotBody = read(body, position + BLOCK_HEADER_BYTES, length);
    if (gotBody < length) {
      return result(
        `the file ends at byte ${position + BLOCK_HEADER_BYTES + gotBody}, inside a block (cut short)`,
      );
    }
    position += BLOCK_HEADER_BYTES + length;
    if (tag === RECORDS_TAG) total += count;
    if (crc32(body) !== frame.readUInt32LE(12)) {
      badBlocks++;
      continue;
    }
    if (tag === PAUSES_TAG) {
      pauses += readPauses(body, view, count, onPause);
      continue;
    }
    let at = 0;
    for (let i = 0; i < count; i++) {
      if (at + RECORD_FIXED_BYTES > length) {
        badRecords += count - i;
        break;
      }
      const meta = view.getUint32(at, true);
      const idBytes = meta & MAX_ID_BYTES;
      const idStart = at + RECORD_FIXED_BYTES;
      if (idStart + idBytes > length) {
        // The record's own length leaves its block: the rest of the block cannot be framed.
        badRecords += count - i;
        break;
      }
      scratch.lastSeen = view.getFloat64(at + 4, true);
      scratch.delayMs = view.getFloat64(at + 12, true);
      scratch.registeredAt = view.getFloat64(at + 20, true);
      scratch.warnAt = view.getFloat64(at + 28, true);
      scratch.critAt = view.getFloat64(at + 36, true);
      scratch.expiresAt = view.getFloat64(at + 44, true);
      at = idStart + idBytes;
      if (idBytes === 0 || !validTimes(scratch)) {
        badRecords++;
        continue;
      }
      scratch.appId = idFromBytes(body, idStart, meta);
      if (onRecord(scratch)) records++;
      else badRecords++;
    }
  }
}

/** The pauses of a (checksummed) pauses block handed to `onPause`; returns how many it took. */
function readPauses(
  body: Buffer,
  view: DataView,
  count: number,
  onPause: (
    appId: string,
    pausedAt: number,
    pausedUntil: number | undefined,
  ) => boolean,
): number {
  let taken = 0;
  let at = 0;
  for (let i = 0; i < count && at + PAUSE_FIXED_BYTES <= body.length; i++) {
    const meta = view.getUint32(at, true);
    const idBytes = meta & MAX_ID_BYTES;
    const idStart = at + PAUSE_FIXED_BYTES;
    if (idStart + idBytes > body.length) break;
    const pausedAt = view.getFloat64(at + 4, true);
    const until = view.getFloat64(at + 12, true);
    at = idStart + idBytes;
    if (idBytes === 0 || !Number.isFinite(pausedAt)) continue;
    if (!Number.isNaN(until) && !Number.isFinite(until)) continue;
    const appId = idFromBytes(body, idStart, meta);
    if (onPause(appId, pausedAt, Number.isNaN(until) ? undefined : until))
      taken++;
  }
  return taken;
}

function validTimes(record: Omit<HeartbeatRecord, 'appId'>): boolean {
  return (
    Number.isFinite(record.lastSeen) &&
    Number.isFinite(record.registeredAt) &&
    Number.isFinite(record.delayMs) &&
    record.delayMs > 0 &&
    Number.isFinite(record.warnAt) &&
    Number.isFinite(record.critAt) &&
    Number.isFinite(record.expiresAt) &&
    record.warnAt <= record.critAt &&
    record.critAt <= record.expiresAt
  );
}

function readHeader(read: StateFileReader): {
  header: StateFileHeader;
  bytes: number;
} {
  const start = Buffer.alloc(16);
  const got = read(start, 0, 16);
  if (got < 16 || !start.subarray(0, 8).equals(STATE_FILE_MAGIC)) {
    throw new UnreadableStateFileError(
      got === 0
        ? 'the file is empty'
        : 'not a heartbeat state file (no state file header)',
    );
  }
  const version = start.readUInt32LE(8);
  if (version === 0 || version > STATE_FILE_VERSION) {
    throw new UnreadableStateFileError(
      `state file format version ${version}, this version reads up to ${STATE_FILE_VERSION}`,
    );
  }
  const bodyBytes = start.readUInt32LE(12);
  if (bodyBytes < 20 || bodyBytes > 20 + MAX_HEADER_OUTAGES * 16) {
    throw new UnreadableStateFileError('damaged state file header');
  }
  const rest = Buffer.alloc(bodyBytes + 4);
  if (read(rest, 16, rest.length) < rest.length) {
    throw new UnreadableStateFileError('the file ends inside its header');
  }
  const checked = Buffer.concat([start.subarray(8, 16), rest.subarray(0, -4)]);
  if (crc32(checked) !== rest.readUInt32LE(bodyBytes)) {
    throw new UnreadableStateFileError(
      'damaged state file header (checksum mismatch)',
    );
  }
  const savedAt = rest.readDoubleLE(0);
  const forgottenMs = rest.readDoubleLE(8);
  const count = rest.readUInt32LE(16);
  if (
    20 + count * 16 !== bodyBytes ||
    !Number.isFinite(savedAt) ||
    !Number.isFinite(forgottenMs) ||
    forgottenMs < 0
  ) {
    throw new UnreadableStateFileError('damaged state file header');
  }
  const outages: Array<readonly [number, number]> = [];
  let previousEnd = Number.NEGATIVE_INFINITY;
  for (let i = 0, at = 20; i < count; i++, at += 16) {
    const begin = rest.readDoubleLE(at);
    const end = rest.readDoubleLE(at + 8);
    if (
      !Number.isFinite(begin) ||
      !Number.isFinite(end) ||
      begin < previousEnd ||
      end < begin
    ) {
      throw new UnreadableStateFileError('damaged state file header (outages)');
    }
    outages.push([begin, end]);
    previousEnd = end;
  }
  return { header: { savedAt, forgottenMs, outages }, bytes: 16 + rest.length };
}
