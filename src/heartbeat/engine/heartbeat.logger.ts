/**
 * What the engine needs of a logger. Nest's `Logger` fits, and so does `console`; the Nest module
 * hands the engine a `Logger('Heartbeat')`, the Express middleware a console logger unless given
 * one, so the engine never imports a framework to say something.
 *
 * @publicApi
 */
export interface HeartbeatLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

/**
 * Writes `[Heartbeat] message` lines to the console: errors and warnings to stderr, the rest to
 * stdout. Debug lines are dropped.
 *
 * @publicApi
 */
export const consoleHeartbeatLogger: HeartbeatLogger = Object.freeze({
  log: (message: string) => console.log(`[Heartbeat] ${message}`),
  warn: (message: string) => console.warn(`[Heartbeat] ${message}`),
  error: (message: string) => console.error(`[Heartbeat] ${message}`),
  debug: () => undefined,
});
