import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { validateAppId } from '../core/protocol.js';
import type { HeartbeatClock } from '../interfaces/clock.interface.js';
import type { ResolvedHeartbeatOptions } from '../interfaces/heartbeat-module-options.interface.js';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import {
  loadStateFile,
  setAsideStateFile,
  writeStateFile,
} from '../stores/in-memory-state.file.js';
import {
  StateBlockEncoder,
  UnreadableStateFileError,
} from '../stores/in-memory-state.format.js';
import type { HeartbeatOutageLedger } from './heartbeat-outage.ledger.js';
import type { HeartbeatLogger } from './heartbeat.logger.js';

/**
 * What a state file did since start, for operators and tests (`registry.stateFile`).
 * @publicApi
 */
export interface HeartbeatStateFileReport {
  /** The file's path (the `stateFile` option). */
  readonly path: string;
  /** Applications restored from it at start-up. */
  readonly restored: number;
  /** Records found at start-up but not restored (damaged, invalid, duplicate, beyond `maxApps`). */
  readonly skipped: number;
  /** How long start-up took to read it, in milliseconds. */
  readonly loadMs: number;
  /** The downtime credited at start-up: wall time from the previous snapshot to this start. */
  readonly downtimeMs: number;
  /** Where a damaged file was set aside at start-up, if it was. */
  readonly setAsideAs?: string;
  /** Flushes written, and failed (each failure is retried at the next interval). */
  readonly flushes: number;
  readonly failedFlushes: number;
  /** Duration and size of the last flush written. */
  readonly lastFlushMs: number;
  readonly lastFlushBytes: number;
}

/** What the state file needs of the store: the in-memory store's slices. @internal */
export interface HeartbeatSliceStore {
  exportSlice(
    fromSeq: number,
    limit: number,
    encoder: StateBlockEncoder,
  ): number | undefined;
  importRecord(
    record: HeartbeatRecord,
    maxApps: number,
  ): 'restored' | 'duplicate' | 'full';
  exportPauses(encoder: StateBlockEncoder): void;
  importPause(
    appId: string,
    pausedAt: number,
    pausedUntil: number | undefined,
  ): boolean;
}

/**
 * Keeps the in-memory registry in a file across restarts: reads it at start-up, rewrites it every
 * `stateFlushMs` and a last time at `close()`.
 *
 * The monitor's own downtime is not counted against any app, by the mechanism that already keeps
 * store outages out of lateness: the snapshot carries the outage ledger as it stood at `savedAt`,
 * and at start-up the ledger continues from it with the time from `savedAt` to now as one more
 * period during which heartbeats could not be recorded. Recorded time therefore resumes exactly
 * where it stood, so every stored deadline (`warnAt`, `critAt`, `expiresAt`, all in recorded
 * time) keeps the time it had left: an app that was fine stays fine for that long, one that was
 * late is as late as it was, and nothing is dropped for the downtime. `lastSeen` stays the real
 * wall time of the last heartbeat, and `od` credits the downtime after it as it credits an
 * outage. No record is rewritten at load, which keeps the load a plain copy. The alternatives
 * were worse: shifting every deadline at load would still need a per-record credit for `od`
 * (or a `lastSeen` that lies), and a separate "restart offset" would be a second copy of what
 * the ledger already does.
 *
 * `savedAt` is when a snapshot started: what changed during a flush after its slice was taken is
 * written by the next one, and the time after `savedAt` counts as downtime, so the error is on
 * the side of the apps (a little more credit), never a false alarm.
 *
 * @internal
 */
export class HeartbeatStateFile {
  private readonly encoder = new StateBlockEncoder();
  private queue: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private closed = false;
  /** Set once the last flush of `close()` is queued: later calls must not save a closed store. */
  private finished = false;
  private failing = false;
  private report: {
    -readonly [
      K in keyof HeartbeatStateFileReport
    ]: HeartbeatStateFileReport[K];
  };

  constructor(
    private readonly path: string,
    private readonly options: ResolvedHeartbeatOptions,
    private readonly store: HeartbeatSliceStore,
    private readonly ledger: HeartbeatOutageLedger,
    private readonly clock: HeartbeatClock,
    private readonly logger: HeartbeatLogger,
  ) {
    this.report = {
      path,
      restored: 0,
      skipped: 0,
      loadMs: 0,
      downtimeMs: 0,
      flushes: 0,
      failedFlushes: 0,
      lastFlushMs: 0,
      lastFlushBytes: 0,
    };
  }

  get status(): HeartbeatStateFileReport {
    return { ...this.report };
  }

  /**
   * Reads the file into the store (synchronously: nothing is served before it is done). A
   * missing file is an empty registry. A file that cannot be read in full is renamed
   * `<file>.corrupt-<time>`, what could be read is kept, and one line says what was skipped:
   * the server starts either way, so a bad file never makes it crash-loop. Only a file that
   * cannot be opened, or a directory that cannot be written (both configuration mistakes that
   * a restart would not cure), stop the start with an error naming the path.
   */
  load(): void {
    const { path } = this;
    try {
      accessSync(dirname(path), constants.W_OK | constants.X_OK);
    } catch (error) {
      throw new Error(
        `cannot use the state file ${path}: its directory is not writable (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      );
    }
    const started = performance.now();
    const now = this.clock.now();
    const { maxApps, maxAppIdLength } = this.options;
    let refusedIds = 0;
    let duplicates = 0;
    let overCapacity = 0;
    let reading;
    try {
      reading = loadStateFile(
        path,
        (record) => {
          try {
            validateAppId(record.appId, maxAppIdLength);
          } catch {
            refusedIds++;
            return false;
          }
          const result = this.store.importRecord(record, maxApps);
          if (result === 'duplicate') duplicates++;
          if (result === 'full') overCapacity++;
          return result === 'restored';
        },
        (appId, pausedAt, pausedUntil) =>
          this.store.importPause(appId, pausedAt, pausedUntil),
      );
    } catch (error) {
      if (!(error instanceof UnreadableStateFileError)) {
        throw new Error(
          `cannot read the state file ${path}: ${(error as Error).message}`,
        );
      }
      const aside = setAsideStateFile(path, now);
      this.report.setAsideAs = aside;
      this.report.loadMs = performance.now() - started;
      this.logger.warn(
        `state file ${path} unreadable (${error.message}): kept as ${aside}, starting with an empty registry`,
      );
      return;
    }
    this.report.loadMs = performance.now() - started;
    if (!reading) {
      this.logger.log(
        `no state file at ${path} yet: starting with an empty registry, saved every ${this.options.stateFlushMs} ms`,
      );
      return;
    }
    const { header } = reading;
    this.ledger.restore(header, header.savedAt, now);
    this.report.restored = reading.records;
    this.report.skipped = reading.badRecords;
    this.report.downtimeMs = Math.max(0, now - header.savedAt);
    const took = `${Math.round(this.report.loadMs)} ms`;
    const saved = `saved ${new Date(header.savedAt).toISOString()}, ${this.report.downtimeMs} ms of downtime not counted as lateness`;
    const skipped = describeSkipped({
      damagedRecords:
        reading.badRecords - refusedIds - duplicates - overCapacity,
      refusedIds,
      duplicates,
      overCapacity,
      badBlocks: reading.badBlocks,
      stoppedEarly: reading.stoppedEarly,
      maxApps,
      maxAppIdLength,
    });
    if (skipped === undefined) {
      this.logger.log(
        `restored ${reading.records} applications from ${path} in ${took} (${saved})`,
      );
      return;
    }
    const aside = setAsideStateFile(path, now);
    this.report.setAsideAs = aside;
    this.logger.warn(
      `state file ${path}: restored ${reading.records} applications in ${took} (${saved}); skipped ${skipped}; kept the file as ${aside}`,
    );
  }

  /** Starts the flush timer: a flush `stateFlushMs` after the end of the previous one. */
  start(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.tick(), this.options.stateFlushMs);
    this.timer.unref();
  }

  /**
   * Writes the file now; resolves once it is durable on disk. Flushes never overlap: a call
   * during one waits for it and then writes afresh, so what it resolves includes every change
   * made before the call.
   */
  flush(): Promise<void> {
    if (this.finished) return this.queue;
    const run = this.queue.then(() => this.write());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Stops the timer and writes the file a last time (a graceful stop loses nothing). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    try {
      const last = this.flush();
      this.finished = true;
      await last;
    } catch (error) {
      this.logger.error(
        `state file ${this.path}: the last save failed (${String(error)}); changes since the previous save are lost`,
      );
    }
  }

  private async tick(): Promise<void> {
    try {
      await this.flush();
      if (this.failing) {
        this.failing = false;
        this.logger.log(`state file ${this.path} saved again`);
      }
    } catch (error) {
      // Once per failing streak, not once per interval; the previous file stays as it was.
      if (!this.failing) {
        this.failing = true;
        this.logger.error(
          `state file ${this.path} cannot be saved (${String(error)}); retrying every ${this.options.stateFlushMs} ms, the previous save stays in place`,
        );
      }
    } finally {
      this.start();
    }
  }

  private async write(): Promise<void> {
    const started = performance.now();
    const savedAt = this.clock.now();
    const { encoder, store } = this;
    const batch = this.options.stateFlushBatchSize;
    let seq: number | undefined = 0;
    let pausesWritten = false;
    try {
      const bytes = await writeStateFile(
        this.path,
        { savedAt, ...this.ledger.snapshot(savedAt) },
        () => {
          if (seq !== undefined) {
            seq = store.exportSlice(seq, batch, encoder);
            const records = encoder.records;
            if (records > 0) return { records, block: encoder.take() };
            seq = undefined;
          }
          // Then the pauses, in one block of their own (an operator paused each one).
          if (pausesWritten) return undefined;
          pausesWritten = true;
          store.exportPauses(encoder);
          return encoder.records === 0
            ? undefined
            : { records: 0, block: encoder.take() };
        },
      );
      this.report.flushes++;
      this.report.lastFlushMs = performance.now() - started;
      this.report.lastFlushBytes = bytes;
    } catch (error) {
      this.report.failedFlushes++;
      // The next flush starts with an empty block.
      encoder.take();
      throw error;
    }
  }
}

function describeSkipped(found: {
  damagedRecords: number;
  refusedIds: number;
  duplicates: number;
  overCapacity: number;
  badBlocks: number;
  stoppedEarly?: string;
  maxApps: number;
  maxAppIdLength: number;
}): string | undefined {
  const parts: string[] = [];
  if (found.badBlocks > 0)
    parts.push(`${found.badBlocks} damaged blocks (checksum mismatch)`);
  if (found.damagedRecords > 0)
    parts.push(`${found.damagedRecords} damaged records`);
  if (found.refusedIds > 0)
    parts.push(
      `${found.refusedIds} records whose ID this server refuses (maxAppIdLength ${found.maxAppIdLength})`,
    );
  if (found.duplicates > 0) parts.push(`${found.duplicates} duplicate records`);
  if (found.overCapacity > 0)
    parts.push(
      `${found.overCapacity} records beyond maxApps (${found.maxApps})`,
    );
  if (found.stoppedEarly !== undefined)
    parts.push(`everything after that: ${found.stoppedEarly}`);
  return parts.length === 0 ? undefined : parts.join(', ');
}
