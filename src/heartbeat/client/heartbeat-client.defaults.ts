import type {
  HeartbeatClientLogger,
  HeartbeatScheduler,
} from './heartbeat-client-options.interface.js';

/**
 * Node's timers, unref'd: a heartbeat waiting for its turn never keeps a process alive.
 * The global `setTimeout` is looked up at each call, so fake timers apply when installed.
 *
 * @publicApi
 */
export const systemScheduler: HeartbeatScheduler = {
  setTimeout(callback, delayMs) {
    const handle = setTimeout(callback, delayMs) as {
      unref?: () => unknown;
    };
    handle.unref?.();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as Parameters<typeof clearTimeout>[0]);
  },
};

/**
 * The logger used outside Nest when none is given: `console`, each line prefixed `[heartbeat]`.
 *
 * @publicApi
 */
export const consoleHeartbeatLogger: HeartbeatClientLogger = {
  log: (message) => console.log(`[heartbeat] ${message}`),
  warn: (message) => console.warn(`[heartbeat] ${message}`),
  error: (message) => console.error(`[heartbeat] ${message}`),
};
