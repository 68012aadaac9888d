import { crc32 } from 'node:zlib';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import { InMemoryHeartbeatStore } from './in-memory-heartbeat.store.js';
import {
  encodeStateEnd,
  encodeStateHeader,
  readStateFile,
  STATE_FILE_MAGIC,
  STATE_FILE_VERSION,
  StateBlockEncoder,
  UnreadableStateFileError,
  type StateFileHeader,
} from './in-memory-state.format.js';

const HEADER: StateFileHeader = {
  savedAt: 1_700_000_000_000,
  forgottenMs: 1234,
  outages: [
    [1_699_999_000_000, 1_699_999_030_000],
    [1_699_999_500_000, 1_699_999_500_500],
  ],
};

function record(appId: string, at: number, delayMs = 2000): HeartbeatRecord {
  return {
    appId,
    lastSeen: at,
    delayMs,
    registeredAt: at - 5000,
    warnAt: at + 3 * delayMs,
    critAt: at + 5 * delayMs,
    expiresAt: at + 6 * delayMs,
  };
}

/** A store holding `records`, in this order. */
async function storeOf(
  records: HeartbeatRecord[],
): Promise<InMemoryHeartbeatStore> {
  const store = new InMemoryHeartbeatStore();
  for (const r of records) await store.upsert(r, 1_000_000);
  return store;
}

/** The state file of a store, in memory, `batch` records per block. */
function fileOf(
  store: InMemoryHeartbeatStore,
  batch: number,
  header = HEADER,
): Buffer {
  const encoder = new StateBlockEncoder();
  const parts = [encodeStateHeader(header)];
  let total = 0;
  for (let seq: number | undefined = 0; seq !== undefined;) {
    seq = store.exportSlice(seq, batch, encoder);
    if (encoder.records === 0) break;
    total += encoder.records;
    // take() reuses its buffer: copy each block.
    parts.push(Buffer.from(encoder.take()));
  }
  parts.push(encodeStateEnd(total));
  return Buffer.concat(parts);
}

function read(file: Buffer) {
  const records: HeartbeatRecord[] = [];
  const reading = readStateFile(
    (target, position, length) =>
      position >= file.length
        ? 0
        : file.copy(
            target,
            0,
            position,
            Math.min(file.length, position + length),
          ),
    (r) => {
      records.push({ ...r });
      return true;
    },
  );
  return { reading, records };
}

const APPS = [
  record('backup-nightly', 1_700_000_000_000, 86_401_000),
  record('kiosk-7', 1_699_999_990_000),
  record('Ünïcödé 🚀 ID', 1_699_999_999_000),
  record('x'.repeat(256), 1_699_999_999_500, 1001),
  record('a&b=c|d', 1_699_999_999_900),
];

describe('state file format', () => {
  it('round-trips records (IDs byte for byte, every time) and the header, over several blocks', async () => {
    const store = await storeOf(APPS);
    const { reading, records } = read(fileOf(store, 2));
    expect(reading).toEqual({
      header: HEADER,
      records: APPS.length,
      pauses: 0,
      badRecords: 0,
      badBlocks: 0,
    });
    expect(records).toEqual(APPS);
  });

  it('round-trips an empty registry', async () => {
    const { reading, records } = read(fileOf(await storeOf([]), 10));
    expect(reading.records).toBe(0);
    expect(reading.stoppedEarly).toBeUndefined();
    expect(records).toEqual([]);
  });

  it('skips holes, and resumes a slice by sequence number after compaction moved slots', async () => {
    const store = await storeOf(
      Array.from({ length: 3000 }, (_, i) => record(`app-${i}`, 1000 + i)),
    );
    const encoder = new StateBlockEncoder();
    const next = store.exportSlice(0, 1000, encoder)!;
    encoder.take();
    // Removing 2500 apps compacts the store (holes outnumber live slots): slots move down.
    for (let i = 0; i < 2500; i++) await store.remove(`app-${i}`);
    const seen: string[] = [];
    for (let seq: number | undefined = next; seq !== undefined;) {
      seq = store.exportSlice(seq, 100, encoder);
      if (encoder.records === 0) break;
      const block = Buffer.from(encoder.take());
      const file = Buffer.concat([
        encodeStateHeader(HEADER),
        block,
        encodeStateEnd(block.readUInt32LE(4)),
      ]);
      seen.push(...read(file).records.map((r) => r.appId));
    }
    expect(seen).toEqual(
      Array.from({ length: 500 }, (_, i) => `app-${2500 + i}`),
    );
  });

  it('a file cut short keeps every block before the cut and says so', async () => {
    const file = fileOf(await storeOf(APPS), 2);
    // Without the end marker, and in the middle of the last block.
    for (const cut of [file.length - 16, file.length - 20]) {
      const { reading, records } = read(file.subarray(0, cut));
      expect(reading.stoppedEarly).toMatch(/cut short/);
      expect(records).toEqual(
        cut === file.length - 16 ? APPS : APPS.slice(0, 4),
      );
    }
  });

  it('a damaged block is skipped, the blocks around it are kept', async () => {
    const file = fileOf(await storeOf(APPS), 2);
    const header = encodeStateHeader(HEADER).length;
    // A byte inside the first block's payload.
    file[header + 16 + 30]! ^= 0xff;
    const { reading, records } = read(file);
    expect(reading).toMatchObject({ badBlocks: 1, records: 3 });
    expect(reading.stoppedEarly).toBeUndefined();
    expect(records).toEqual(APPS.slice(2));
  });

  it('a damaged block header ends the reading there', async () => {
    const file = fileOf(await storeOf(APPS), 2);
    const header = encodeStateHeader(HEADER).length;
    file.writeUInt32LE(0xdeadbeef, header); // the first block's tag
    const { reading, records } = read(file);
    expect(reading.stoppedEarly).toBe(`damaged block header at byte ${header}`);
    expect(records).toEqual([]);
  });

  it('checks each record on its own: one with impossible times is skipped, its neighbours kept', async () => {
    const store = await storeOf(APPS.slice(0, 3));
    const file = fileOf(store, 10);
    const header = encodeStateHeader(HEADER).length;
    const payload = header + 16;
    // The second record's warnAt (after the first record's 52 + 14 bytes) beyond its critAt,
    // with the block checksum made right again: a writer's bug, not a disk's.
    const second = payload + 52 + 'backup-nightly'.length;
    file.writeDoubleLE(Number.MAX_VALUE, second + 28);
    const length = file.readUInt32LE(header + 8);
    file.writeUInt32LE(
      crc32(file.subarray(payload, payload + length)),
      header + 12,
    );
    const { reading, records } = read(file);
    expect(reading).toMatchObject({ records: 2, badRecords: 1, badBlocks: 0 });
    expect(records.map((r) => r.appId)).toEqual([
      'backup-nightly',
      'Ünïcödé 🚀 ID',
    ]);
  });

  it('counts what the caller refuses as bad records', async () => {
    const file = fileOf(await storeOf(APPS), 10);
    const reading = readStateFile(
      (target, position, length) =>
        file.copy(
          target,
          0,
          position,
          Math.min(file.length, position + length),
        ),
      (r) => r.appId !== 'kiosk-7',
    );
    expect(reading).toMatchObject({ records: 4, badRecords: 1 });
  });

  it.each([
    ['an empty file', Buffer.alloc(0), 'the file is empty'],
    [
      'a foreign file',
      Buffer.from('{"apps": ["not", "ours"]}\n'),
      'not a heartbeat state file (no state file header)',
    ],
    [
      'a newer version',
      (() => {
        const header = encodeStateHeader(HEADER);
        header.writeUInt32LE(STATE_FILE_VERSION + 1, 8);
        return header;
      })(),
      `state file format version ${STATE_FILE_VERSION + 1}, this version reads up to ${STATE_FILE_VERSION}`,
    ],
    [
      'a damaged header',
      (() => {
        const header = encodeStateHeader(HEADER);
        header[20]! ^= 1; // a bit of savedAt
        return header;
      })(),
      'damaged state file header (checksum mismatch)',
    ],
    [
      'a header cut short',
      encodeStateHeader(HEADER).subarray(0, 30),
      'the file ends inside its header',
    ],
  ])('refuses %s by saying why', (_, file, reason) => {
    let error: unknown;
    try {
      read(file);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnreadableStateFileError);
    expect((error as Error).message).toBe(reason);
  });

  it('starts with a fixed magic and its version', () => {
    const header = encodeStateHeader(HEADER);
    expect(header.subarray(0, 8)).toEqual(STATE_FILE_MAGIC);
    expect(header.readUInt32LE(8)).toBe(1);
  });
});
