import type { HeartbeatClock } from '../interfaces/clock.interface.js';

/**
 * A clock that only moves when told to. Install it with
 * `overrideProvider(HEARTBEAT_CLOCK).useValue(clock)` and walk time forward without sleeping.
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
  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  /** Moves time forward by `ms` milliseconds and returns the new time. */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(
        `advance() takes a non-negative duration, got ${ms}`,
      );
    }
    this.current += ms;
    return this.current;
  }

  /** Jumps to an absolute time (epoch milliseconds). */
  set(epochMs: number): void {
    this.current = epochMs;
  }
}
