/**
 * One receiver of webhook notifications.
 *
 * @example
 * webhooks: [{ url: 'https://alerts.example.com/heartbeat', secret: process.env.HB_WEBHOOK_SECRET }]
 * @publicApi
 */
export interface HeartbeatWebhookOptions {
  /** Where each event is POSTed as JSON (`http:` or `https:`). */
  readonly url: string;
  /**
   * Signs each body: `X-Heartbeat-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.
   * Without it the header is omitted.
   */
  readonly secret?: string;
  /**
   * The events to send, by name (`heartbeat.state-changed`, or short: `state-changed`).
   * @default ['heartbeat.state-changed', 'heartbeat.dropped']
   */
  readonly events?: readonly string[];
}

/**
 * A webhook receiver after validation.
 * @publicApi
 */
export interface ResolvedHeartbeatWebhook {
  readonly url: string;
  readonly secret: string | undefined;
  /** Full event names. */
  readonly events: readonly string[];
}

/**
 * Decides which process delivers an event when several replicas share one store: `claim`
 * resolves `true` for exactly one caller per `eventId` within `ttlMs`. `RedisEventClaims`
 * (`nestjs-heartbeat/redis`) implements it with `SET NX PX`.
 *
 * @publicApi
 */
export interface HeartbeatEventClaims {
  claim(eventId: string, ttlMs: number): Promise<boolean>;
  /** Releases what the claims opened; never a borrowed client. */
  close?(): Promise<void>;
}
