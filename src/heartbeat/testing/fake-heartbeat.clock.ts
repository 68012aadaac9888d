import type { HeartbeatClock } from '../interfaces/clock.interface.js';

interface FakeTimer {
  readonly due: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * A clock that only moves when told to. Install it with
 * `overrideProvider(HEARTBEAT_CLOCK).useValue(clock)` and walk time forward without sleeping.
 * Timers set on it (webhook retries and timeouts) fire as `advance()` passes their time.
 *
 * @example
 * const clock = new FakeHeartbeatClock();
 * const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
 *   .overrideProvider(HEARTBEAT_CLOCK)
 *   .useValue(clock)
 *   .compile();
 * clock.advance(30_000);
 * @publicApi
 */
export class FakeHeartbeatClock implements HeartbeatClock {
  private timers: FakeTimer[] = [];
  private seq = 0;

  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  /** Runs `callback` when `advance()` reaches `now() + ms`; returns its cancel function. */
  setTimer(callback: () => void, ms: number): () => void {
    const timer = {
      due: this.current + Math.max(0, ms),
      seq: this.seq++,
      callback,
    };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Timers set and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /**
   * Moves time forward by `ms` milliseconds, firing each timer due on the way at its own time,
   * in order, and returns the new time.
   */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(
        `advance() takes a non-negative duration, got ${ms}`,
      );
    }
    const end = this.current + ms;
    for (;;) {
      const next = this.nextDue(end);
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.due;
      next.callback();
    }
    this.current = end;
    return this.current;
  }

  /** Jumps to an absolute time (epoch milliseconds); timers then due fire. */
  set(epochMs: number): void {
    if (epochMs >= this.current) {
      this.advance(epochMs - this.current);
      return;
    }
    this.current = epochMs;
  }

  private nextDue(end: number): FakeTimer | undefined {
    let next: FakeTimer | undefined;
    for (const timer of this.timers) {
      if (timer.due > end) continue;
      if (
        !next ||
        timer.due < next.due ||
        (timer.due === next.due && timer.seq < next.seq)
      ) {
        next = timer;
      }
    }
    return next;
  }
}
