/**
 * Where log lines go. Nest's `Logger` fits as is; so does `console`.
 *
 * @publicApi
 */
export interface HeartbeatClientLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * The timer the keeper schedules its heartbeats on. The default is Node's `setTimeout`, unref'd so
 * a pending heartbeat never keeps a process alive; tests pass a manual one and never sleep.
 *
 * @publicApi
 */
export interface HeartbeatScheduler {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Options of `HeartbeatClient`.
 *
 * @publicApi
 */
export interface HeartbeatClientOptions {
  /**
   * Base URL of the heartbeat server: `http://host:8888`, or with a path in front of the
   * commands, e.g. `http://host:8888/<token>` or `https://backend/api/heartbeat`.
   */
  readonly url: string;
  /** Application ID used when a call names none. */
  readonly appId?: string;
  /** Sent as `Authorization: Bearer <token>` (e.g. for a reverse proxy that checks it). */
  readonly token?: string;
  /**
   * Longest wait for a complete answer, per request.
   * @default 5000
   */
  readonly requestTimeoutMs?: number;
}

/**
 * Per-call options of `HeartbeatClient`.
 *
 * @publicApi
 */
export interface HeartbeatRequestOptions {
  /** The application ID of this call; the client's `appId` by default. */
  readonly appId?: string;
  /** Aborts the request (the call then throws a `HeartbeatClientError` of kind `aborted`). */
  readonly signal?: AbortSignal;
  /** Overrides the client's `requestTimeoutMs` for this call. */
  readonly requestTimeoutMs?: number;
}

/**
 * Options of `HeartbeatKeeper`: which ID to keep alive, with which promise.
 *
 * @publicApi
 */
export interface HeartbeatKeeperOptions {
  /** The application ID to register, ping and deregister. */
  readonly appId: string;
  /**
   * The promise sent with every heartbeat: the next one comes within this many milliseconds.
   * Heartbeats go out every `timeoutMs / 2` (±10 %), well inside it.
   */
  readonly timeoutMs: number;
  /**
   * Where the keeper reports its first failure, its recovery and its registration.
   * @default console, prefixed `[heartbeat]`
   */
  readonly logger?: HeartbeatClientLogger;
  /**
   * The timer heartbeats are scheduled on.
   * @default Node's `setTimeout`, unref'd
   */
  readonly scheduler?: HeartbeatScheduler;
  /**
   * Source of the ±10 % jitter, in `[0, 1)`.
   * @default Math.random
   */
  readonly random?: () => number;
}

/**
 * Options of `HeartbeatClientModule.forRoot()`: the client's and the keeper's in one object.
 *
 * @publicApi
 */
export interface HeartbeatClientModuleOptions
  extends
    Omit<HeartbeatClientOptions, 'appId'>,
    Omit<HeartbeatKeeperOptions, 'logger'> {
  /**
   * Where the module logs its first failure, recovery and registration.
   * @default Nest's `Logger` with context `HeartbeatClient`
   */
  readonly logger?: HeartbeatClientLogger;
}

/**
 * Module-shape switches, known synchronously even with `forRootAsync`.
 *
 * @publicApi
 */
export interface HeartbeatClientModuleExtras {
  /**
   * Make `HeartbeatClient` injectable everywhere.
   * @default false
   */
  readonly isGlobal?: boolean;
  /**
   * The name `@Heartbeat(id, { client: name })` selects this module's client by. Give each module
   * its own name when an application imports several.
   * @default 'default'
   */
  readonly name?: string;
}

/**
 * Options of `HeartbeatClientModule.forRootAsync()`.
 *
 * @publicApi
 */
export interface HeartbeatClientModuleAsyncOptions extends HeartbeatClientModuleExtras {
  /** Modules exporting the providers `inject` names. */
  readonly imports?: any[];
  /** Tokens whose values are passed to `useFactory`, in order. */
  readonly inject?: Array<
    string | symbol | (abstract new (...args: any[]) => unknown)
  >;
  /** Builds the options, e.g. from a `ConfigService`. */
  readonly useFactory: (
    ...args: any[]
  ) => HeartbeatClientModuleOptions | Promise<HeartbeatClientModuleOptions>;
}
