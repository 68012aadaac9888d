/**
 * A ping token in object form: the same as the string `token:prefix:maxApps`.
 *
 * @publicApi
 */
export interface HeartbeatPingToken {
  /** The secret itself: 1 to 256 characters of `A-Z a-z 0-9 . _ ~ + = -`. */
  readonly token: string;
  /**
   * The token may only use application IDs that start with this prefix, so teams sharing one
   * server cannot touch each other's apps.
   * @default '' (any ID)
   */
  readonly prefix?: string;
  /**
   * Most live applications this token may hold at once (distinct IDs it registered or pinged
   * that are still known). A new ID beyond it is refused with `403`.
   * @default unlimited
   */
  readonly maxApps?: number;
}

/**
 * Who may do what. Each kind is a list of tokens; a kind with no token is open to anyone, as
 * without this option. A request carries its token as `Authorization: Bearer <token>` or, on the
 * protocol and monitoring routes, as the path segment right before the route
 * (`/<token>/hb_ping`, `/<token>/status`).
 *
 * @example
 * auth: {
 *   ping: ['k1osk-Team-token:kiosk-:100', { token: 'ops-token', prefix: 'ops-' }],
 *   read: ['nagios-token'],
 *   admin: ['admin-token'],
 * }
 * @publicApi
 */
export interface HeartbeatAuthOptions {
  /**
   * Tokens for `hb_init`, `hb_ping` and `hb_done`: a string `token`, `token:prefix` or
   * `token:prefix:maxApps`, or a {@link HeartbeatPingToken}.
   * @default [] (open)
   */
  readonly ping?: ReadonlyArray<string | HeartbeatPingToken>;
  /**
   * Tokens for `list`, `status`, the JSON reads (`GET /apps...`, `GET /webhooks/deliveries`),
   * metrics and the event stream.
   * @default [] (open)
   */
  readonly read?: readonly string[];
  /**
   * Tokens for everything: the protocol without prefix or quota, every read, and the admin API
   * (`DELETE /apps/:id`). Admin operations are open only while no token of any kind is
   * configured.
   * @default []
   */
  readonly admin?: readonly string[];
}

/**
 * A ping token after validation.
 * @publicApi
 */
export interface ResolvedHeartbeatPingToken {
  readonly token: string;
  /** `''` for any ID. */
  readonly prefix: string;
  /** `undefined` for no quota. */
  readonly maxApps: number | undefined;
}

/**
 * The access rules after validation.
 * @publicApi
 */
export interface ResolvedHeartbeatAuth {
  readonly ping: readonly ResolvedHeartbeatPingToken[];
  readonly read: readonly string[];
  readonly admin: readonly string[];
}
