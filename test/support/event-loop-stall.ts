import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** What {@link watchEventLoop} saw between `start` and `stop`. */
export interface EventLoopStalls {
  /** The longest delay of a timer, as `perf_hooks.monitorEventLoopDelay` reports it, in ms. */
  readonly maxDelayMs: number;
  /**
   * The longest delay of a timer while this process was running: each delay is capped by the CPU
   * time the process used in the same interval, so time the operating system gave to other
   * processes (a loaded, shared machine) does not count, while work that kept the loop busy does.
   */
  readonly maxBusyDelayMs: number;
}

/**
 * Watches this process's event loop: a `monitorEventLoopDelay` histogram, plus a timer that
 * compares each late tick with the CPU time used meanwhile.
 */
export function watchEventLoop(intervalMs = 5): { stop(): EventLoopStalls } {
  const histogram = monitorEventLoopDelay({ resolution: intervalMs });
  histogram.enable();
  let maxBusyDelayMs = 0;
  let wall = performance.now();
  let cpu = process.cpuUsage();
  const timer = setInterval(() => {
    const nowWall = performance.now();
    const used = process.cpuUsage(cpu);
    const delay = nowWall - wall - intervalMs;
    const busy = (used.user + used.system) / 1000;
    maxBusyDelayMs = Math.max(maxBusyDelayMs, Math.min(delay, busy));
    wall = nowWall;
    cpu = process.cpuUsage();
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      histogram.disable();
      return { maxDelayMs: histogram.max / 1e6, maxBusyDelayMs };
    },
  };
}
