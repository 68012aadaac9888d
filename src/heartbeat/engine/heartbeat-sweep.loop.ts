import { isHeartbeatError } from '../core/errors.js';
import type { HeartbeatLogger } from './heartbeat.logger.js';

/** What the loop needs of the registry. @internal */
interface Sweepable {
  sweep(): Promise<unknown>;
}

/**
 * The expiry task's loop, one for every face: the Nest module hands its timer to the host's
 * `SchedulerRegistry`, the Express middleware keeps it to itself. A tick never overlaps the
 * previous one and never throws; the timer is `unref()`'d, since a sweep alone must never keep a
 * process alive. Correctness never depends on it: queries treat dropped records as absent.
 *
 * @internal
 */
export class HeartbeatSweepLoop {
  private running = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly registry: Sweepable,
    private readonly intervalMs: number,
    private readonly logger: HeartbeatLogger,
  ) {}

  /** Starts ticking every `intervalMs`; returns the timer (the Nest scheduler registers it). */
  start(): NodeJS.Timeout {
    this.stop();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
    return this.timer;
  }

  /** Stops the timer; a tick in progress finishes on its own. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * One sweep; skipped while the previous one is still running. Never throws. A store outage is
   * not the sweep's to report: the store (or the registry) logs it once when it begins and once
   * when it ends, where a line per tick would repeat it every second on every replica.
   */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.registry.sweep();
    } catch (error) {
      if (isHeartbeatError(error) && error.kind === 'unavailable') {
        this.logger.debug?.(`expiry sweep skipped: ${error.message}`);
      } else {
        this.logger.error(`expiry sweep failed: ${String(error)}`);
      }
    } finally {
      this.running = false;
    }
  }
}
