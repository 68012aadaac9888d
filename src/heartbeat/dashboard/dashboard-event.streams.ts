import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Subscription } from 'rxjs';
import { HeartbeatError } from '../core/errors.js';
import { HeartbeatMessages } from '../core/messages.js';
import type { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import {
  HeartbeatEvents,
  type HeartbeatEvent,
} from '../engine/heartbeat.events.js';
import type { HeartbeatLogger } from '../engine/heartbeat.logger.js';
import {
  appView,
  countStates,
  type DashboardAppView,
} from './dashboard-data.js';

/** Pacing of the event streams. @internal */
export interface DashboardStreamOptions {
  /** Most streams open at once; one more is refused (`capacity`, answered 503). */
  readonly maxStreams: number;
  /** Period of the comment line that keeps idle streams open through proxies. */
  readonly keepAliveMs: number;
  /** The `retry:` sent to clients: how long an `EventSource` waits before it reconnects. */
  readonly retryMs: number;
  /**
   * Shortest period between two `counts` events. Longer when counting is expensive (a whole
   * registry read today): a count waits at least {@link DASHBOARD_READ_BUDGET} times what the
   * previous one took, so counting never takes more than 1/20 of the server's time.
   */
  readonly countsIntervalMs: number;
  /**
   * Most bytes a stream may have waiting for a slow client; beyond, the stream is closed (the
   * client reconnects and reads a fresh page), so a stalled reader never grows the server's memory.
   */
  readonly maxBufferedBytes: number;
}

/**
 * How many times its own duration the dashboard waits before it repeats an expensive read (the
 * counts of the stream, the page's refresh): such reads take at most 1/20 of the server's time.
 * @internal
 */
export const DASHBOARD_READ_BUDGET = 20;

/** The defaults besides the configurable `maxStreams` and `keepAliveMs`. @internal */
export const DASHBOARD_STREAM_DEFAULTS = {
  retryMs: 2_000,
  countsIntervalMs: 1_000,
  maxBufferedBytes: 1 << 20,
} as const;

/** Events whose data carries the application's current view. */
const WITH_VIEW = new Set<string>([
  HeartbeatEvents.REGISTERED,
  HeartbeatEvents.STATE_CHANGED,
  HeartbeatEvents.PAUSED,
  HeartbeatEvents.RESUMED,
]);

/**
 * The server-sent event streams of `GET events`: every registry event, as it happens, to every open
 * stream, and the counts per state after changes.
 *
 * - One subscription to `registry.events$` serves all streams; it exists while a stream is open.
 * - Events are written in batches: the registry's events of one moment (a sweep's transitions)
 *   are read together (`registered` and `state-changed` carry the application's current view, so a
 *   client can show an application it did not know) and written to each stream at once.
 * - `counts` follows changes, at most once per `countsIntervalMs` (less often when counting is
 *   slow, see {@link DASHBOARD_READ_BUDGET}), computed once for all streams.
 * - A comment line every `keepAliveMs` keeps proxies from closing idle streams; `retry:` tells
 *   clients how soon to reconnect.
 * - A stream ends when its client goes, when it falls too far behind, and at shutdown.
 *
 * Wire format (`text/event-stream`): `event: heartbeat.state-changed` and
 * `data: {"appId":…,"from":"OK","to":"WARNING","od":3.01,"at":ISO,"lastSeen":ISO,"now":ISO,"app":{…}}`;
 * `event: counts` and `data: {"now":ISO,"counts":{"OK":…,"WARNING":…,"CRITICAL":…},"total":…}`.
 *
 * @internal
 */
export class DashboardEventStreams {
  private readonly streams = new Set<ServerResponse>();
  private subscription?: Subscription;
  private keepAlive?: NodeJS.Timeout;
  private countsTimer?: NodeJS.Timeout;
  /** When the next `counts` may be computed (wall time). */
  private countsDueAt = 0;
  private pending: HeartbeatEvent[] = [];
  private flushing = false;
  private closed = false;

  constructor(
    private readonly registry: HeartbeatRegistry,
    private readonly logger: HeartbeatLogger,
    private readonly options: DashboardStreamOptions,
  ) {}

  /** Open streams. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Starts a stream on `response` with the given headers. Throws a `capacity` error (503) when
   * `maxStreams` are open or the server is shutting down; nothing is written then.
   */
  open(response: ServerResponse, headers: readonly string[]): void {
    if (this.closed || this.streams.size >= this.options.maxStreams) {
      throw new HeartbeatError(
        'capacity',
        HeartbeatMessages.tooManyStreams(this.options.maxStreams),
      );
    }
    response.writeHead(200, [...headers]);
    response.write(`retry: ${this.options.retryMs}\n: connected\n\n`);
    this.streams.add(response);
    response.once('close', () => this.remove(response));
    if (this.streams.size === 1) this.start();
  }

  /** Ends every stream and refuses new ones (shutdown). */
  close(): void {
    this.closed = true;
    // Ending a stream removes it from the set: deleting while iterating a Set is well defined.
    for (const response of this.streams) response.end();
    this.streams.clear();
    this.stop();
  }

  private start(): void {
    this.subscription = this.registry.events$.subscribe({
      next: (event) => {
        this.pending.push(event);
        if (this.pending.length === 1) setImmediate(() => void this.flush());
      },
      // The registry closed: nothing more will come.
      complete: () => this.close(),
    });
    this.keepAlive = setInterval(
      () => this.broadcast(': keep-alive\n\n'),
      this.options.keepAliveMs,
    );
    this.keepAlive.unref();
  }

  private stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    clearInterval(this.keepAlive);
    clearTimeout(this.countsTimer);
    this.countsTimer = undefined;
    this.pending = [];
  }

  private remove(response: ServerResponse): void {
    if (!this.streams.delete(response)) return;
    if (this.streams.size === 0) this.stop();
  }

  /** Writes the waiting events to every stream, in order; one batch at a time. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0 && this.streams.size > 0) {
        const batch = this.pending;
        this.pending = [];
        const views = await this.views(batch);
        const now = new Date(this.registry.now()).toISOString();
        let chunk = '';
        for (const event of batch) {
          const view = WITH_VIEW.has(event.name)
            ? views.get(event.appId)
            : undefined;
          chunk += formatEvent(event, now, view);
        }
        this.broadcast(chunk);
      }
    } finally {
      this.flushing = false;
    }
    if (this.streams.size > 0) this.scheduleCounts();
  }

  /** The current view of each application a batch announces, read together. */
  private async views(
    batch: readonly HeartbeatEvent[],
  ): Promise<Map<string, DashboardAppView | null>> {
    const ids = [
      ...new Set(
        batch.filter((e) => WITH_VIEW.has(e.name)).map((e) => e.appId),
      ),
    ];
    const views = new Map<string, DashboardAppView | null>();
    const read = await Promise.allSettled(
      ids.map((id) => appView(this.registry, id)),
    );
    // A failed read (store unavailable) leaves the view out; the event still goes.
    read.forEach((result, i) => {
      if (result.status === 'fulfilled') views.set(ids[i]!, result.value);
    });
    return views;
  }

  private scheduleCounts(): void {
    if (this.countsTimer) return;
    const wait = Math.max(0, this.countsDueAt - Date.now());
    this.countsTimer = setTimeout(() => void this.sendCounts(), wait);
    this.countsTimer.unref();
  }

  private async sendCounts(): Promise<void> {
    const started = performance.now();
    try {
      const { counts, total, now } = await countStates(this.registry);
      const took = performance.now() - started;
      this.countsDueAt =
        Date.now() +
        Math.max(this.options.countsIntervalMs, took * DASHBOARD_READ_BUDGET);
      this.broadcast(
        `event: counts\ndata: ${JSON.stringify({ now, counts, total })}\n\n`,
      );
    } catch (error) {
      this.logger.debug?.(`dashboard counts not sent: ${String(error)}`);
    } finally {
      this.countsTimer = undefined;
    }
  }

  private broadcast(chunk: string): void {
    for (const response of this.streams) {
      if (response.writableLength > this.options.maxBufferedBytes) {
        // Too far behind: let it reconnect and start from a fresh page.
        this.logger.debug?.('dashboard event stream closed: client too slow');
        response.end();
        this.remove(response);
        continue;
      }
      response.write(chunk);
    }
  }
}

/** One event as a `text/event-stream` message; times as ISO 8601. @internal */
export function formatEvent(
  event: HeartbeatEvent,
  now: string,
  view: DashboardAppView | null | undefined,
): string {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'name') continue;
    data[key] =
      (key === 'at' || key === 'lastSeen' || key === 'until') &&
      typeof value === 'number'
        ? new Date(value).toISOString()
        : value;
  }
  data.now = now;
  if (view !== undefined) data.app = view;
  return `event: ${event.name}\ndata: ${JSON.stringify(data)}\n\n`;
}
