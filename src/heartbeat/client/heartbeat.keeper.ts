import { HEARTBEAT_CLIENT_DEFAULTS as DEFAULTS } from './heartbeat-client.constants.js';
import {
  consoleHeartbeatLogger,
  systemScheduler,
} from './heartbeat-client.defaults.js';
import { HeartbeatClientError } from './heartbeat-client.error.js';
import { HeartbeatClientMessages as Messages } from './heartbeat-client.messages.js';
import type {
  HeartbeatClientLogger,
  HeartbeatKeeperOptions,
  HeartbeatScheduler,
} from './heartbeat-client-options.interface.js';
import type { HeartbeatClient } from './heartbeat.client.js';

/**
 * Where a keeper is: not started, registering, beating, failing (retrying with backoff), stopped.
 *
 * @publicApi
 */
export type HeartbeatKeeperState =
  'idle' | 'registering' | 'beating' | 'failing' | 'stopped';

interface InFlight {
  readonly controller: AbortController;
  readonly settled: Promise<void>;
}

/**
 * Keeps an application's promise to the heartbeat server: `hb_init` on `start()`, `hb_ping` every
 * `timeoutMs / 2` (±10 % jitter), `hb_done` on `stop()`. Network failures never reach the caller:
 * the first one is logged (warn) with its cause, retries back off exponentially from one second
 * up to half the promise, and the recovery is logged once. One request is in flight at a time,
 * bounded by the client's request timeout; a heartbeat after registration also by the beat
 * interval when that is shorter (but at least a second), so a hung request never holds up the
 * next beat for long.
 *
 * `HeartbeatClientModule` runs one for the application; the `wrap` command runs one for its child.
 *
 * @example
 * const keeper = new HeartbeatKeeper(client, { appId: 'worker-1', timeoutMs: 60_000 });
 * keeper.start();      // returns at once; registration happens in the background
 * // ...
 * await keeper.stop(); // goodbye, bounded by the request timeout
 * @publicApi
 */
export class HeartbeatKeeper {
  readonly appId: string;
  readonly timeoutMs: number;

  #state: HeartbeatKeeperState = 'idle';
  #registered = false;
  /** A request may have reached the server without us seeing the answer. */
  #uncertain = false;
  #failures = 0;
  #lastDelayMs: number | undefined;
  #timer: unknown;
  #inFlight: InFlight | undefined;
  #stopping: Promise<void> | undefined;

  readonly #logger: HeartbeatClientLogger;
  readonly #scheduler: HeartbeatScheduler;
  readonly #random: () => number;
  readonly #intervalMs: number;

  constructor(
    private readonly client: HeartbeatClient,
    options: HeartbeatKeeperOptions,
  ) {
    if (typeof options.appId !== 'string' || options.appId === '') {
      throw new HeartbeatClientError(
        'usage',
        Messages.invalidAppId(options.appId),
      );
    }
    const { minTimeoutMs, maxTimeoutMs } = DEFAULTS;
    if (
      !Number.isSafeInteger(options.timeoutMs) ||
      options.timeoutMs < minTimeoutMs ||
      options.timeoutMs > maxTimeoutMs
    ) {
      throw new HeartbeatClientError(
        'usage',
        Messages.invalidPromise(options.timeoutMs, minTimeoutMs, maxTimeoutMs),
      );
    }
    this.appId = options.appId;
    this.timeoutMs = options.timeoutMs;
    this.#intervalMs = options.timeoutMs / 2;
    this.#logger = options.logger ?? consoleHeartbeatLogger;
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#random = options.random ?? Math.random;
  }

  get state(): HeartbeatKeeperState {
    return this.#state;
  }

  /** The server's delay `T` from the last successful heartbeat. */
  get lastDelayMs(): number | undefined {
    return this.#lastDelayMs;
  }

  /** Failed attempts since the last success. */
  get failures(): number {
    return this.#failures;
  }

  /** Registers in the background and keeps beating. Returns at once; a second call does nothing. */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'registering';
    this.#beat();
  }

  /**
   * Stops beating and says goodbye (`hb_done`) when the server may know the application.
   * Resolves within about one request timeout, whatever the server does; never rejects.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /** Resolves once the request in flight, if any, has settled. */
  async idle(): Promise<void> {
    await this.#inFlight?.settled;
  }

  async #stop(): Promise<void> {
    const wasIdle = this.#state === 'idle';
    this.#state = 'stopped';
    if (wasIdle) return;
    if (this.#timer !== undefined) this.#scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
    const inFlight = this.#inFlight;
    if (inFlight) {
      // A heartbeat on its way may still register us: say goodbye after it, not before.
      this.#uncertain = true;
      inFlight.controller.abort();
      await inFlight.settled;
    }
    if (!this.#registered && !this.#uncertain) return;
    try {
      await this.client.done(0, { appId: this.appId });
    } catch (error) {
      this.#logger.warn(
        Messages.goodbyeFailed(this.appId, (error as Error).message),
      );
    }
  }

  #beat(): void {
    const command = this.#registered ? 'ping' : 'init';
    const controller = new AbortController();
    const settled = this.client[command](this.timeoutMs, {
      appId: this.appId,
      signal: controller.signal,
      // Registration takes what it needs (start-up may be slow: the first request also loads
      // Node's HTTP client); a heartbeat must not hold up the next one for long.
      requestTimeoutMs:
        command === 'init'
          ? this.client.requestTimeoutMs
          : Math.min(
              this.client.requestTimeoutMs,
              Math.max(
                DEFAULTS.minBeatRequestTimeoutMs,
                Math.floor(this.#intervalMs),
              ),
            ),
    }).then(
      (delayMs) => this.#succeeded(delayMs),
      (error: unknown) => this.#failed(error),
    );
    this.#inFlight = { controller, settled };
  }

  #succeeded(delayMs: number): void {
    this.#inFlight = undefined;
    this.#lastDelayMs = delayMs;
    if (!this.#registered && this.#failures === 0) {
      this.#logger.log(
        Messages.registered(this.appId, this.client.target, delayMs),
      );
    } else if (this.#failures > 0) {
      this.#logger.log(Messages.recovered(this.appId, this.#failures, delayMs));
    }
    this.#registered = true;
    this.#uncertain = false;
    this.#failures = 0;
    if (this.#state === 'stopped') return;
    this.#state = 'beating';
    this.#schedule(this.#intervalMs);
  }

  #failed(error: unknown): void {
    this.#inFlight = undefined;
    if (this.#state === 'stopped') return;
    const kind = error instanceof HeartbeatClientError ? error.kind : undefined;
    if (kind === 'timeout') this.#uncertain = true;
    this.#failures++;
    if (this.#failures === 1) {
      this.#logger.warn(
        Messages.firstFailure(this.appId, (error as Error).message),
      );
    }
    this.#state = 'failing';
    const cap = this.#intervalMs;
    const first = Math.min(DEFAULTS.initialBackoffMs, cap);
    this.#schedule(Math.min(first * 2 ** (this.#failures - 1), cap));
  }

  #schedule(delayMs: number): void {
    const spread = (this.#random() * 2 - 1) * DEFAULTS.jitter;
    this.#timer = this.#scheduler.setTimeout(
      () => {
        this.#timer = undefined;
        if (this.#state !== 'stopped') this.#beat();
      },
      Math.max(1, Math.round(delayMs * (1 + spread))),
    );
  }
}
