import type { Cluster, Redis } from 'ioredis';
import { systemClock } from '../engine/heartbeat.clock.js';
import type { HeartbeatClock } from '../interfaces/clock.interface.js';

/** Options of {@link RedisTimeClock}. @publicApi */
export interface RedisTimeClockOptions {
  /**
   * How often the offset to Redis time is measured again.
   * @default 30000
   */
  resyncIntervalMs?: number;
  /**
   * The local clock the offset is applied to.
   * @default systemClock
   */
  base?: HeartbeatClock;
}

/**
 * Redis server time, read without a round trip: the offset between the local clock and Redis
 * `TIME` is measured at connection and then periodically, and `now()` is local time plus that
 * offset. Every replica on one Redis thus judges lateness by the same clock, within half a round
 * trip, whatever the skew of their own clocks. Until the first measurement the offset is 0.
 *
 * @publicApi
 */
export class RedisTimeClock implements HeartbeatClock {
  private offsetMs = 0;
  private readonly base: HeartbeatClock;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly client: Pick<Redis | Cluster, 'time'>,
    options: RedisTimeClockOptions = {},
  ) {
    this.base = options.base ?? systemClock;
    this.timer = setInterval(
      () => void this.sync().catch(() => undefined),
      options.resyncIntervalMs ?? 30_000,
    );
    this.timer.unref();
  }

  now(): number {
    return this.base.now() + this.offsetMs;
  }

  /** The current estimate of `Redis time - local time`, in milliseconds. */
  get offset(): number {
    return this.offsetMs;
  }

  /** Measures the offset again; rejects (keeping the previous offset) when Redis cannot answer. */
  async sync(): Promise<number> {
    const before = this.base.now();
    const [seconds, micros] = await this.client.time();
    const after = this.base.now();
    const redisNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    // Redis read its clock somewhere inside the round trip; the midpoint halves the error.
    this.offsetMs = redisNow - (before + after) / 2;
    return this.offsetMs;
  }

  /** Stops the periodic measurement. */
  close(): void {
    clearInterval(this.timer);
  }
}
