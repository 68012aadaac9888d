import { closeSync, fsyncSync, openSync, readSync, renameSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import {
  encodeStateEnd,
  encodeStateHeader,
  readStateFile,
  type StateFileHeader,
  type StateFileReading,
} from './in-memory-state.format.js';

/**
 * Writes a state file crash-safely: the header, then each block `nextBlock` hands over (it
 * returns `undefined` when there is no more), then the end marker, all into `<path>.tmp`, which
 * is fsynced, renamed over `path`, and the directory fsynced. A crash at any moment leaves either
 * the previous file or the new one, never a half-written one. Each block is written with an
 * asynchronous write, so the event loop runs between two blocks: `nextBlock` is the only work done
 * on it, and its block size bounds how long a flush holds the loop. Resolves with the bytes written.
 * @internal
 */
export async function writeStateFile(
  path: string,
  header: StateFileHeader,
  nextBlock: () => { block: Buffer; records: number } | undefined,
): Promise<number> {
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w');
  let bytes = 0;
  try {
    const write = async (buffer: Buffer): Promise<void> => {
      // A write may be partial; finish it.
      for (let at = 0; at < buffer.length;) {
        const { bytesWritten } = await file.write(
          buffer,
          at,
          buffer.length - at,
        );
        at += bytesWritten;
      }
      bytes += buffer.length;
    };
    await write(encodeStateHeader(header));
    let total = 0;
    for (let next = nextBlock(); next; next = nextBlock()) {
      await write(next.block);
      total += next.records;
    }
    await write(encodeStateEnd(total));
    await file.sync();
  } catch (error) {
    await file.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await file.close();
  await rename(temporary, path);
  await syncDirectory(dirname(path));
  return bytes;
}

/** Makes a rename durable. Platforms that cannot fsync a directory (Windows) skip it. */
async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM') throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Reads the state file at `path` synchronously (start-up), handing each valid record to
 * `onRecord` (see `readStateFile`). Resolves `undefined` when there is no file yet. Throws what
 * opening or reading throws, and `UnreadableStateFileError` for a file without a readable header.
 * @internal
 */
export function loadStateFile(
  path: string,
  onRecord: (record: HeartbeatRecord) => boolean,
  onPause?: (
    appId: string,
    pausedAt: number,
    pausedUntil: number | undefined,
  ) => boolean,
): StateFileReading | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return readStateFile(
      (target, position, length) => {
        let got = 0;
        while (got < length) {
          const n = readSync(fd, target, got, length - got, position + got);
          if (n === 0) break;
          got += n;
        }
        return got;
      },
      onRecord,
      onPause,
    );
  } finally {
    closeSync(fd);
  }
}

/**
 * Moves a state file that could not be read in full out of the way, to
 * `<path>.corrupt-<UTC time>`, so that the next flush does not overwrite what an operator may
 * want to look at. Returns the new path.
 * @internal
 */
export function setAsideStateFile(path: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const target = join(dirname(path), `${basename(path)}.corrupt-${stamp}`);
  renameSync(path, target);
  try {
    const fd = openSync(dirname(path), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every platform can fsync a directory; the rename happened either way.
  }
  return target;
}
