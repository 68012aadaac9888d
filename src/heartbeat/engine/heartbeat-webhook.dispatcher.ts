import { createHash, createHmac } from 'node:crypto';
import type { Observable, Subscription } from 'rxjs';
import { HeartbeatMessages } from '../core/messages.js';
import type { HeartbeatState } from '../core/status.js';
import { redactWebhookUrl } from '../core/webhooks.js';
import type { HeartbeatClock } from '../interfaces/clock.interface.js';
import type { ResolvedHeartbeatOptions } from '../interfaces/heartbeat-module-options.interface.js';
import type { HeartbeatEventClaims } from '../interfaces/heartbeat-webhook.interface.js';
import { systemClock } from './heartbeat.clock.js';
import { HeartbeatEvents, type HeartbeatEvent } from './heartbeat.events.js';
import {
  consoleHeartbeatLogger,
  type HeartbeatLogger,
} from './heartbeat.logger.js';

/**
 * The JSON body of a webhook request. Times are given twice: ISO 8601 (`at`, `lastSeen`) and
 * epoch milliseconds (`atMs`, `lastSeenMs`).
 * @publicApi
 */
export interface HeartbeatWebhookPayload {
  /** The same for one event on every replica; `X-Heartbeat-Delivery` is derived from it. */
  readonly id: string;
  /** `heartbeat.state-changed`, `heartbeat.dropped`, `heartbeat.deregistered`, ... */
  readonly event: string;
  readonly appId: string;
  /**
   * The state before; `null` when there was none to tell (a registration, a goodbye, a pause);
   * `PAUSED` when a pause ended.
   */
  readonly from: HeartbeatState | 'PAUSED' | null;
  /**
   * The state after: `OK`, `WARNING`, `CRITICAL`, or `DROPPED` (too late), `DEREGISTERED`
   * (`hb_done`) or `PAUSED` (an operator's pause; `OK` when it ends).
   */
  readonly to: HeartbeatState | 'DROPPED' | 'DEREGISTERED' | 'PAUSED';
  /** The overdue ratio when it happened; `null` for a goodbye. */
  readonly od: number | null;
  readonly at: string;
  readonly atMs: number;
  /** The last heartbeat; `null` for a goodbye. */
  readonly lastSeen: string | null;
  readonly lastSeenMs: number | null;
  /** `T = TIMEOUT + tolerance`; `null` for a goodbye. */
  readonly delayMs: number | null;
  /** For `heartbeat.paused`: when the pause ends by itself; `null` when resumed by hand. */
  readonly until?: string | null;
  readonly untilMs?: number | null;
  /** For `heartbeat.resumed`: `resumed` (by an operator) or `expired` (its `until` came). */
  readonly reason?: 'resumed' | 'expired';
}

/**
 * One delivery (an event to one receiver) as `GET /webhooks/deliveries` shows it.
 * @publicApi
 */
export interface HeartbeatWebhookDelivery {
  /** The `X-Heartbeat-Delivery` header: the same on every attempt. */
  readonly id: string;
  readonly event: string;
  readonly appId: string;
  /** The receiver, scheme and host only (a URL's path is often its secret). */
  readonly url: string;
  /** `pending` (being sent), `retrying`, `delivered`, `failed` (attempts used up) or `dropped` (queue full, or shut down). */
  readonly status: 'pending' | 'retrying' | 'delivered' | 'failed' | 'dropped';
  readonly attempts: number;
  /** The HTTP status of the last answer, `null` when there was none (timeout, refused). */
  readonly responseStatus: number | null;
  /** Why the last attempt failed. */
  readonly error: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * Totals since start, for metrics.
 * @publicApi
 */
export interface HeartbeatWebhookCounters {
  /** Deliveries answered 2xx. */
  delivered: number;
  /** Deliveries given up after `webhookMaxAttempts`. */
  failed: number;
  /** Deliveries dropped because the queue was full. */
  dropped: number;
  /** Requests sent, retries included. */
  attempts: number;
  /** Events another replica claimed. */
  skipped: number;
}

/** What the dispatcher is built from besides the options. @publicApi */
export interface HeartbeatWebhookDispatcherDependencies {
  /** The events to deliver (`registry.events$`). */
  readonly events$: Observable<HeartbeatEvent>;
  /** Delivery times, and timers when the clock has `setTimer`. @default systemClock */
  readonly clock?: HeartbeatClock;
  /** @default console */
  readonly logger?: HeartbeatLogger;
  /** @default options.webhookClaims */
  readonly claims?: HeartbeatEventClaims;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

type WebhookOptions = Pick<
  ResolvedHeartbeatOptions,
  | 'webhooks'
  | 'webhookTimeoutMs'
  | 'webhookMaxAttempts'
  | 'webhookRetryDelayMs'
  | 'webhookQueueSize'
  | 'webhookConcurrency'
  | 'webhookHistorySize'
  | 'webhookClaims'
  | 'dropThreshold'
>;

interface Receiver {
  readonly url: string;
  readonly shownUrl: string;
  readonly secret: string | undefined;
  readonly events: ReadonlySet<string>;
  /** Per app, its undelivered jobs in order; only the first is ever sent. */
  readonly lanes: Map<string, Job[]>;
  /** Lane heads that may be sent now, oldest first. */
  readonly ready: Job[];
  active: number;
}

interface Job {
  readonly receiver: Receiver;
  readonly event: string;
  readonly appId: string;
  readonly deliveryId: string;
  readonly body: string;
  readonly claim: Promise<boolean>;
  attempts: number;
  state: 'waiting' | 'ready' | 'active' | 'backoff';
  cancelTimer?: () => void;
  abort?: AbortController;
  record?: DeliveryRecord;
}

type DeliveryRecord = {
  -readonly [K in keyof HeartbeatWebhookDelivery]: HeartbeatWebhookDelivery[K];
};

interface Attempt {
  readonly ok: boolean;
  readonly status: number | null;
  readonly error: string | null;
}

/** How long a claim outlives the event beyond the app's own drop deadline. */
const CLAIM_MARGIN_MS = 60_000;
const KNOWN_EVENTS: readonly string[] = Object.values(HeartbeatEvents);

function realTimer(callback: () => void, ms: number): () => void {
  const timer = setTimeout(callback, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

function hash(...parts: Array<string | number>): string {
  return createHash('sha256')
    .update(parts.join('\0'))
    .digest('hex')
    .slice(0, 32);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * What identifies an event on every replica that reports it: its name, the app, where it went
 * and the heartbeat it is about. Not `at` or `od`, which depend on when each replica looked.
 * @internal
 */
export function heartbeatEventId(event: HeartbeatEvent): string {
  switch (event.name) {
    case HeartbeatEvents.STATE_CHANGED:
      return hash(event.name, event.appId, event.to, event.lastSeen);
    case HeartbeatEvents.DROPPED:
      return hash(event.name, event.appId, event.lastSeen);
    default:
      return hash(event.name, event.appId, event.at);
  }
}

/**
 * The webhook body of an event.
 * @internal
 */
export function heartbeatWebhookPayload(
  event: HeartbeatEvent,
): HeartbeatWebhookPayload {
  const common = {
    id: heartbeatEventId(event),
    event: event.name,
    appId: event.appId,
    at: iso(event.at),
    atMs: event.at,
  };
  switch (event.name) {
    case HeartbeatEvents.STATE_CHANGED:
      return {
        ...common,
        from: event.from,
        to: event.to,
        od: event.od,
        lastSeen: iso(event.lastSeen),
        lastSeenMs: event.lastSeen,
        delayMs: event.delayMs,
      };
    case HeartbeatEvents.DROPPED:
      return {
        ...common,
        from: 'CRITICAL',
        to: 'DROPPED',
        od: event.delayMs > 0 ? (event.at - event.lastSeen) / event.delayMs : 0,
        lastSeen: iso(event.lastSeen),
        lastSeenMs: event.lastSeen,
        delayMs: event.delayMs,
      };
    case HeartbeatEvents.REGISTERED:
      return {
        ...common,
        from: null,
        to: 'OK',
        od: 0,
        lastSeen: iso(event.at),
        lastSeenMs: event.at,
        delayMs: event.delayMs,
      };
    case HeartbeatEvents.PAUSED:
      return {
        ...common,
        from: null,
        to: 'PAUSED',
        od: 0,
        lastSeen: null,
        lastSeenMs: null,
        delayMs: null,
        until: event.until === undefined ? null : iso(event.until),
        untilMs: event.until ?? null,
      };
    case HeartbeatEvents.RESUMED:
      return {
        ...common,
        from: 'PAUSED',
        to: 'OK',
        od: 0,
        lastSeen: null,
        lastSeenMs: null,
        delayMs: null,
        reason: event.reason,
      };
    default:
      return {
        ...common,
        from: null,
        to: 'DEREGISTERED',
        od: null,
        lastSeen: null,
        lastSeenMs: null,
        delayMs: null,
      };
  }
}

/**
 * Sends the registry's events to webhook receivers, off the request path: an event is queued
 * and the protocol goes on, whatever the receiver does.
 *
 * - Each chosen event is POSTed as JSON ({@link HeartbeatWebhookPayload}), signed with
 *   `X-Heartbeat-Signature: sha256=<hex HMAC-SHA256 of the body>` when the receiver has a secret,
 *   and named by `X-Heartbeat-Delivery` (stable across attempts and replicas).
 * - A non-2xx answer, a refused connection or no answer within `webhookTimeoutMs` is retried
 *   after `webhookRetryDelayMs`, doubling, up to `webhookMaxAttempts` attempts in all.
 * - Per receiver, each app's events go in order (the next waits for the previous to be delivered
 *   or given up); different apps go side by side, `webhookConcurrency` at a time.
 * - At most `webhookQueueSize` deliveries wait; beyond, the oldest is dropped, logged, counted.
 * - With `claims` (several replicas on one store), only the replica that claims an event
 *   delivers it.
 *
 * Timers come from the clock when it has `setTimer` (tests move time), otherwise they are
 * `unref()`'d process timers.
 *
 * @example
 * const webhooks = HeartbeatWebhookDispatcher.forRegistry(registry);
 * webhooks.start();
 * // ... at shutdown:
 * await webhooks.close();
 * @publicApi
 */
export class HeartbeatWebhookDispatcher {
  /** Totals since start. */
  readonly counters: Readonly<HeartbeatWebhookCounters> = {
    delivered: 0,
    failed: 0,
    dropped: 0,
    attempts: 0,
    skipped: 0,
  };
  private readonly receivers: Receiver[];
  private readonly clock: HeartbeatClock;
  private readonly logger: HeartbeatLogger;
  private readonly claims: HeartbeatEventClaims | undefined;
  private readonly send: typeof fetch;
  private readonly setTimer: (callback: () => void, ms: number) => () => void;
  /** Every undelivered job, oldest first. */
  private readonly pending = new Set<Job>();
  private readonly history: DeliveryRecord[] = [];
  private readonly waiters: Array<() => void> = [];
  private subscription?: Subscription;
  private inFlight = 0;
  private full = false;
  private droppedWhileFull = 0;
  private closed = false;

  constructor(
    private readonly options: WebhookOptions,
    private readonly dependencies: HeartbeatWebhookDispatcherDependencies,
  ) {
    for (const webhook of options.webhooks) {
      for (const name of webhook.events) {
        if (!KNOWN_EVENTS.includes(name)) {
          throw new Error(
            HeartbeatMessages.unknownWebhookEvent(name, KNOWN_EVENTS),
          );
        }
      }
    }
    this.receivers = options.webhooks.map((webhook) => ({
      url: webhook.url,
      shownUrl: redactWebhookUrl(webhook.url),
      secret: webhook.secret,
      events: new Set(webhook.events),
      lanes: new Map(),
      ready: [],
      active: 0,
    }));
    this.clock = dependencies.clock ?? systemClock;
    this.logger = dependencies.logger ?? consoleHeartbeatLogger;
    this.claims = dependencies.claims ?? options.webhookClaims;
    this.send = dependencies.fetch ?? ((...args) => fetch(...args));
    const clock = this.clock;
    this.setTimer = clock.setTimer
      ? (callback, ms) => clock.setTimer!(callback, ms)
      : realTimer;
  }

  /** A dispatcher for a registry's events and options. */
  static forRegistry(
    registry: {
      readonly options: WebhookOptions;
      readonly events$: Observable<HeartbeatEvent>;
    },
    dependencies: Omit<HeartbeatWebhookDispatcherDependencies, 'events$'> = {},
  ): HeartbeatWebhookDispatcher {
    return new HeartbeatWebhookDispatcher(registry.options, {
      ...dependencies,
      events$: registry.events$,
    });
  }

  /** Whether any receiver is configured. */
  get enabled(): boolean {
    return this.receivers.length > 0;
  }

  /** Deliveries waiting or retrying. */
  get queued(): number {
    return this.pending.size;
  }

  /**
   * Starts listening to the events (which also starts the registry's state tracking). Does
   * nothing without receivers.
   */
  start(): void {
    if (!this.enabled || this.subscription || this.closed) return;
    this.subscription = this.dependencies.events$.subscribe({
      next: (event) => {
        // An error here would surface as an uncaught one (RxJS rethrows it): log it instead.
        try {
          this.accept(event);
        } catch (error) {
          this.logger.error(`webhook dispatch failed: ${String(error)}`);
        }
      },
    });
  }

  /** The latest deliveries, newest first (at most `webhookHistorySize`). */
  deliveries(): HeartbeatWebhookDelivery[] {
    return this.history.map((record) => ({ ...record })).reverse();
  }

  /**
   * Resolves once no request is in flight: everything queued has been delivered, given up, or
   * waits for a retry timer. For tests, and for anyone who wants to know.
   */
  settled(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Stops listening, cancels retries and requests in flight (what was still queued is logged as
   * dropped), and closes the claims.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subscription?.unsubscribe();
    const abandoned = this.pending.size;
    for (const job of this.pending) {
      job.cancelTimer?.();
      job.abort?.abort();
      if (job.record) this.update(job.record, { status: 'dropped' });
    }
    this.pending.clear();
    for (const receiver of this.receivers) {
      receiver.lanes.clear();
      receiver.ready.length = 0;
      receiver.active = 0;
    }
    this.inFlight = 0;
    this.wake();
    if (abandoned > 0) {
      this.logger.warn(HeartbeatMessages.webhooksAbandoned(abandoned));
    }
    await this.claims?.close?.();
  }

  private accept(event: HeartbeatEvent): void {
    if (this.closed) return;
    const receivers = this.receivers.filter((r) => r.events.has(event.name));
    if (receivers.length === 0) return;
    const payload = heartbeatWebhookPayload(event);
    const body = JSON.stringify(payload);
    const claim = this.claim(payload);
    for (const receiver of receivers) {
      this.enqueue({
        receiver,
        event: event.name,
        appId: event.appId,
        deliveryId: hash(payload.id, receiver.url),
        body,
        claim,
        attempts: 0,
        state: 'waiting',
      });
    }
  }

  /** Asked at once, so the replica that saw an event first is the one that claims it. */
  private claim(payload: HeartbeatWebhookPayload): Promise<boolean> {
    if (!this.claims) return Promise.resolve(true);
    const ttl =
      Math.ceil(this.options.dropThreshold * (payload.delayMs ?? 0)) +
      CLAIM_MARGIN_MS;
    return this.claims.claim(payload.id, ttl).catch((error: unknown) => {
      // Better twice (same delivery ID, so a receiver can tell) than never.
      this.logger.warn(HeartbeatMessages.webhookClaimFailed(String(error)));
      return true;
    });
  }

  private enqueue(job: Job): void {
    if (this.pending.size >= this.options.webhookQueueSize) {
      let oldest: Job | undefined;
      for (const candidate of this.pending) {
        if (candidate.state !== 'active') {
          oldest = candidate;
          break;
        }
      }
      if (!oldest) {
        this.drop(job);
        return;
      }
      this.remove(oldest);
      this.drop(oldest);
    }
    this.pending.add(job);
    const { lanes } = job.receiver;
    const lane = lanes.get(job.appId);
    if (lane) {
      lane.push(job);
    } else {
      lanes.set(job.appId, [job]);
      this.makeReady(job);
    }
  }

  private makeReady(job: Job): void {
    job.state = 'ready';
    job.receiver.ready.push(job);
    this.pump(job.receiver);
  }

  private pump(receiver: Receiver): void {
    while (
      !this.closed &&
      receiver.active < this.options.webhookConcurrency &&
      receiver.ready.length > 0
    ) {
      void this.run(receiver.ready.shift()!);
    }
  }

  private async run(job: Job): Promise<void> {
    job.state = 'active';
    job.receiver.active++;
    this.inFlight++;
    if (job.attempts === 0) {
      const mine = await job.claim;
      if (this.closed) return;
      if (!mine) {
        this.count('skipped');
        this.finish(job);
        return;
      }
      job.record = this.remember(job, 'pending');
    }
    job.attempts++;
    this.count('attempts');
    const attempt = await this.attempt(job);
    if (this.closed) return;
    const record = job.record!;
    if (attempt.ok) {
      this.count('delivered');
      this.update(record, {
        status: 'delivered',
        ...this.outcome(job, attempt),
      });
      this.finish(job);
      return;
    }
    if (job.attempts >= this.options.webhookMaxAttempts) {
      this.count('failed');
      this.update(record, { status: 'failed', ...this.outcome(job, attempt) });
      this.logger.warn(
        HeartbeatMessages.webhookFailed(
          job.receiver.shownUrl,
          job.event,
          job.appId,
          job.attempts,
          attempt.error ?? '',
        ),
      );
      this.finish(job);
      return;
    }
    this.update(record, { status: 'retrying', ...this.outcome(job, attempt) });
    this.deactivate(job, 'backoff');
    this.pump(job.receiver);
    const delay = this.options.webhookRetryDelayMs * 2 ** (job.attempts - 1);
    job.cancelTimer = this.setTimer(() => {
      job.cancelTimer = undefined;
      if (this.pending.has(job)) this.makeReady(job);
    }, delay);
    this.wake();
  }

  private async attempt(job: Job): Promise<Attempt> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'nestjs-heartbeat',
      'x-heartbeat-event': job.event,
      'x-heartbeat-delivery': job.deliveryId,
    };
    if (job.receiver.secret !== undefined) {
      const digest = createHmac('sha256', job.receiver.secret)
        .update(job.body)
        .digest('hex');
      headers['x-heartbeat-signature'] = `sha256=${digest}`;
    }
    const abort = new AbortController();
    job.abort = abort;
    const timeoutMs = this.options.webhookTimeoutMs;
    const cancel = this.setTimer(() => abort.abort(), timeoutMs);
    try {
      const response = await this.send(job.receiver.url, {
        method: 'POST',
        headers,
        body: job.body,
        signal: abort.signal,
        redirect: 'manual',
      });
      // Only the status matters; release the connection without reading an answer of any size.
      await response.body?.cancel().catch(() => undefined);
      return response.ok
        ? { ok: true, status: response.status, error: null }
        : {
            ok: false,
            status: response.status,
            error: `answered ${response.status}`,
          };
    } catch (error) {
      return {
        ok: false,
        status: null,
        error: abort.signal.aborted
          ? `no answer within ${timeoutMs} ms`
          : describeFailure(error),
      };
    } finally {
      cancel();
      job.abort = undefined;
    }
  }

  private outcome(
    job: Job,
    attempt: Attempt,
  ): Pick<DeliveryRecord, 'attempts' | 'responseStatus' | 'error'> {
    return {
      attempts: job.attempts,
      responseStatus: attempt.status,
      error: attempt.ok ? null : attempt.error,
    };
  }

  /** A job is done (delivered, given up, or claimed elsewhere): the next of its app may go. */
  private finish(job: Job): void {
    this.remove(job);
    if (this.full && this.pending.size <= this.options.webhookQueueSize / 2) {
      this.full = false;
      this.logger.log(
        HeartbeatMessages.webhookQueueRecovered(this.droppedWhileFull),
      );
      this.droppedWhileFull = 0;
    }
    this.pump(job.receiver);
    this.wake();
  }

  /** Takes a job out of the queue, its lane and its receiver's ready list. */
  private remove(job: Job): void {
    this.pending.delete(job);
    job.cancelTimer?.();
    job.cancelTimer = undefined;
    const { receiver } = job;
    if (job.state === 'ready') {
      receiver.ready.splice(receiver.ready.indexOf(job), 1);
    }
    if (job.state === 'active') this.deactivate(job, 'waiting');
    const lane = receiver.lanes.get(job.appId);
    if (!lane) return;
    const index = lane.indexOf(job);
    if (index !== -1) lane.splice(index, 1);
    if (lane.length === 0) {
      receiver.lanes.delete(job.appId);
    } else if (index === 0) {
      this.makeReady(lane[0]!);
    }
  }

  private deactivate(job: Job, state: Job['state']): void {
    job.state = state;
    job.receiver.active--;
    this.inFlight--;
  }

  private drop(job: Job): void {
    this.count('dropped');
    if (job.record) this.update(job.record, { status: 'dropped' });
    else this.remember(job, 'dropped');
    this.droppedWhileFull++;
    if (!this.full) {
      this.full = true;
      this.logger.warn(
        HeartbeatMessages.webhookQueueFull(this.options.webhookQueueSize),
      );
    }
  }

  private remember(
    job: Job,
    status: HeartbeatWebhookDelivery['status'],
  ): DeliveryRecord {
    const now = iso(this.clock.now());
    const record: DeliveryRecord = {
      id: job.deliveryId,
      event: job.event,
      appId: job.appId,
      url: job.receiver.shownUrl,
      status,
      attempts: job.attempts,
      responseStatus: null,
      error: null,
      createdAt: now,
      updatedAt: now,
    };
    if (this.options.webhookHistorySize > 0) {
      this.history.push(record);
      if (this.history.length > this.options.webhookHistorySize) {
        this.history.shift();
      }
    }
    return record;
  }

  private update(
    record: DeliveryRecord,
    change: Partial<DeliveryRecord>,
  ): void {
    Object.assign(record, change, { updatedAt: iso(this.clock.now()) });
  }

  private count(counter: keyof HeartbeatWebhookCounters): void {
    (this.counters as HeartbeatWebhookCounters)[counter]++;
  }

  private wake(): void {
    if (this.inFlight > 0) return;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

/** `fetch failed` says nothing; its cause (`ECONNREFUSED ...`) does. */
function describeFailure(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const source = cause instanceof Error ? cause : error;
  return source instanceof Error ? source.message : String(source);
}
