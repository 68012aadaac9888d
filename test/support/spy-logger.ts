import type { HeartbeatClientLogger } from '../../src/heartbeat/client/index.js';

/** A `HeartbeatClientLogger` that records each line, by level. */
export function spyLogger() {
  return {
    log: vi.fn<(message: string) => void>(),
    warn: vi.fn<(message: string) => void>(),
    error: vi.fn<(message: string) => void>(),
  } satisfies HeartbeatClientLogger;
}

export type SpyLogger = ReturnType<typeof spyLogger>;
