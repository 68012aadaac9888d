import { createHmac } from 'node:crypto';
import { Subject } from 'rxjs';
import { resolveHeartbeatOptions } from '../core/options.js';
import type { HeartbeatModuleOptions } from '../interfaces/heartbeat-module-options.interface.js';
import type { HeartbeatEventClaims } from '../interfaces/heartbeat-webhook.interface.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';
import {
  HeartbeatDeregisteredEvent,
  HeartbeatDroppedEvent,
  HeartbeatPausedEvent,
  HeartbeatRegisteredEvent,
  HeartbeatResumedEvent,
  HeartbeatStateChangedEvent,
  type HeartbeatEvent,
} from './heartbeat.events.js';
import {
  heartbeatEventId,
  HeartbeatWebhookDispatcher,
  heartbeatWebhookPayload,
} from './heartbeat-webhook.dispatcher.js';

interface Sent {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly payload: Record<string, unknown>;
}

/**
 * A fetch double: records each request and answers from a script (a status, `'hang'` for no
 * answer until aborted, or `'refuse'` for a connection error); 200 once the script runs out.
 */
function fakeFetch(script: Array<number | 'hang' | 'refuse'> = []) {
  const sent: Sent[] = [];
  const waiting: Array<{ count: number; resolve: () => void }> = [];
  /** Resolves once `count` requests have been sent. */
  const requests = (count: number) =>
    new Promise<void>((resolve) => {
      if (sent.length >= count) resolve();
      else waiting.push({ count, resolve });
    });
  const fetch = vi.fn((url: string, init?: RequestInit) => {
    const headers = init!.headers as Record<string, string>;
    const body = init!.body as string;
    sent.push({
      url,
      headers,
      body,
      payload: JSON.parse(body) as Record<string, unknown>,
    });
    for (const waiter of waiting.filter((w) => sent.length >= w.count)) {
      waiter.resolve();
    }
    const step = script.shift() ?? 200;
    if (step === 'refuse') {
      return Promise.reject(
        new TypeError('fetch failed', {
          cause: new Error('connect ECONNREFUSED 127.0.0.1:9'),
        }),
      );
    }
    if (step === 'hang') {
      return new Promise<Response>((_, reject) =>
        init!.signal!.addEventListener('abort', () =>
          reject(new DOMException('aborted', 'AbortError')),
        ),
      );
    }
    return Promise.resolve(new Response('ignored', { status: step }));
  });
  return {
    fetch: fetch as unknown as typeof globalThis.fetch,
    sent,
    requests,
  };
}

const T0 = Date.UTC(2026, 0, 1);

function stateChanged(
  appId: string,
  from: 'OK' | 'WARNING' | 'CRITICAL',
  to: 'OK' | 'WARNING' | 'CRITICAL',
  lastSeen = T0,
  at = T0 + 3000,
): HeartbeatStateChangedEvent {
  return new HeartbeatStateChangedEvent(
    appId,
    from,
    to,
    (at - lastSeen) / 1000,
    at,
    lastSeen,
    1000,
  );
}

describe('HeartbeatWebhookDispatcher', () => {
  let clock: FakeHeartbeatClock;
  let events: Subject<HeartbeatEvent>;
  let dispatcher: HeartbeatWebhookDispatcher;
  const logger = { log: vi.fn(), warn: vi.fn(), error: vi.fn() };

  function create(
    options: HeartbeatModuleOptions,
    fetch: typeof globalThis.fetch,
    claims?: HeartbeatEventClaims,
  ): HeartbeatWebhookDispatcher {
    dispatcher = new HeartbeatWebhookDispatcher(
      resolveHeartbeatOptions(options),
      { events$: events, clock, logger, fetch, claims },
    );
    dispatcher.start();
    return dispatcher;
  }

  beforeEach(() => {
    clock = new FakeHeartbeatClock(T0);
    events = new Subject();
    vi.clearAllMocks();
  });
  afterEach(async () => {
    await dispatcher?.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('posts the chosen events as signed JSON with a stable delivery ID', async () => {
    const { fetch, sent } = fakeFetch();
    create(
      {
        webhooks: [
          { url: 'http://hooks.test/a', secret: 'shh' },
          { url: 'http://hooks.test/b', events: ['deregistered'] },
        ],
      },
      fetch,
    );
    events.next(new HeartbeatRegisteredEvent('quiet', 1000, T0)); // nobody wants it
    events.next(stateChanged('worker', 'WARNING', 'CRITICAL', T0, T0 + 5000));
    events.next(new HeartbeatDeregisteredEvent('worker', T0 + 6000));
    await dispatcher.settled();

    expect(sent.map((s) => [s.url, s.payload.event])).toEqual([
      ['http://hooks.test/a', 'heartbeat.state-changed'],
      ['http://hooks.test/b', 'heartbeat.deregistered'],
    ]);
    const [change, goodbye] = sent;
    expect(change!.payload).toEqual({
      id: heartbeatEventId(
        stateChanged('worker', 'WARNING', 'CRITICAL', T0, T0 + 5000),
      ),
      event: 'heartbeat.state-changed',
      appId: 'worker',
      from: 'WARNING',
      to: 'CRITICAL',
      od: 5,
      at: '2026-01-01T00:00:05.000Z',
      atMs: T0 + 5000,
      lastSeen: '2026-01-01T00:00:00.000Z',
      lastSeenMs: T0,
      delayMs: 1000,
    });
    const hmac = createHmac('sha256', 'shh').update(change!.body).digest('hex');
    expect(change!.headers).toMatchObject({
      'content-type': 'application/json',
      'x-heartbeat-event': 'heartbeat.state-changed',
      'x-heartbeat-signature': `sha256=${hmac}`,
      'x-heartbeat-delivery': expect.stringMatching(/^[0-9a-f]{32}$/) as string,
    });
    expect(goodbye!.headers).not.toHaveProperty('x-heartbeat-signature');
    expect(goodbye!.payload).toMatchObject({
      from: null,
      to: 'DEREGISTERED',
      lastSeen: null,
    });
    expect(dispatcher.counters).toMatchObject({ delivered: 2, attempts: 2 });
  });

  it('tells a drop from a goodbye', async () => {
    const { fetch, sent } = fakeFetch();
    create(
      {
        webhooks: [
          { url: 'http://hooks.test/', events: ['dropped', 'deregistered'] },
        ],
      },
      fetch,
    );
    events.next(new HeartbeatDroppedEvent('late', T0, 1000, T0 + 6000));
    events.next(new HeartbeatDeregisteredEvent('leaving', T0 + 6000));
    await dispatcher.settled();
    expect(sent.map((s) => s.payload)).toEqual([
      expect.objectContaining({
        event: 'heartbeat.dropped',
        from: 'CRITICAL',
        to: 'DROPPED',
        od: 6,
        lastSeenMs: T0,
      }),
      expect.objectContaining({
        event: 'heartbeat.deregistered',
        to: 'DEREGISTERED',
      }),
    ]);
  });

  it('retries a failure after 1 s, 2 s, 4 s ... and gives up after maxAttempts', async () => {
    const { fetch, sent } = fakeFetch([500, 'refuse', 'hang', 503]);
    create(
      {
        webhooks: [{ url: 'http://hooks.test/' }],
        webhookMaxAttempts: 4,
        webhookTimeoutMs: 5000,
      },
      fetch,
    );
    events.next(stateChanged('a', 'OK', 'WARNING'));
    await dispatcher.settled();
    expect(sent).toHaveLength(1);
    expect(dispatcher.deliveries()[0]).toMatchObject({
      status: 'retrying',
      attempts: 1,
      responseStatus: 500,
      error: 'answered 500',
    });

    clock.advance(999);
    await dispatcher.settled();
    expect(sent).toHaveLength(1);
    clock.advance(1);
    await dispatcher.settled();
    expect(sent).toHaveLength(2);
    expect(dispatcher.deliveries()[0]).toMatchObject({
      attempts: 2,
      responseStatus: null,
      error: 'connect ECONNREFUSED 127.0.0.1:9',
    });

    clock.advance(2000); // third attempt: no answer
    expect(sent).toHaveLength(3);
    clock.advance(5000); // its timeout
    await dispatcher.settled();
    expect(dispatcher.deliveries()[0]).toMatchObject({
      attempts: 3,
      error: 'no answer within 5000 ms',
    });

    clock.advance(4000);
    await dispatcher.settled();
    expect(sent).toHaveLength(4);
    expect(
      new Set(sent.map((s) => s.headers['x-heartbeat-delivery'])).size,
    ).toBe(1);
    expect(dispatcher.deliveries()[0]).toMatchObject({
      status: 'failed',
      attempts: 4,
      responseStatus: 503,
    });
    expect(dispatcher.counters).toMatchObject({ failed: 1, attempts: 4 });
    expect(logger.warn).toHaveBeenCalledWith(
      'webhook to http://hooks.test/ gave up on heartbeat.state-changed of [a] after 4 attempts: answered 503',
    );
    expect(dispatcher.queued).toBe(0);
  });

  it("keeps each app's events in order while other apps go on", async () => {
    const { fetch, sent } = fakeFetch([500]);
    create({ webhooks: [{ url: 'http://hooks.test/' }] }, fetch);
    events.next(stateChanged('a', 'OK', 'WARNING'));
    events.next(stateChanged('a', 'WARNING', 'CRITICAL'));
    events.next(stateChanged('b', 'OK', 'WARNING'));
    await dispatcher.settled();
    // a's first failed and waits for its retry; a's second waits behind it; b is not held up.
    expect(
      sent.map((s) => `${String(s.payload.appId)}:${String(s.payload.to)}`),
    ).toEqual(['a:WARNING', 'b:WARNING']);
    clock.advance(1000);
    await dispatcher.settled();
    expect(
      sent.map((s) => `${String(s.payload.appId)}:${String(s.payload.to)}`),
    ).toEqual(['a:WARNING', 'b:WARNING', 'a:WARNING', 'a:CRITICAL']);
  });

  it('sends at most webhookConcurrency requests at once per receiver', async () => {
    const { fetch, sent, requests } = fakeFetch(['hang', 'hang', 'hang']);
    create(
      { webhooks: [{ url: 'http://hooks.test/' }], webhookConcurrency: 2 },
      fetch,
    );
    for (const id of ['a', 'b', 'c']) {
      events.next(stateChanged(id, 'OK', 'WARNING'));
    }
    await requests(2);
    expect(sent).toHaveLength(2);
    clock.advance(5000); // both time out; c goes
    await requests(3);
    expect(sent.map((s) => s.payload.appId)).toEqual(['a', 'b', 'c']);
  });

  it('when the queue is full, drops the oldest waiting delivery, logs once and counts', async () => {
    const { fetch, sent, requests } = fakeFetch(['hang']);
    create(
      {
        webhooks: [{ url: 'http://hooks.test/' }],
        webhookQueueSize: 3,
        webhookConcurrency: 1,
      },
      fetch,
    );
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      events.next(stateChanged(id, 'OK', 'WARNING'));
    }
    // a is in flight (never dropped); b and c were the oldest waiting.
    expect(dispatcher.queued).toBe(3);
    expect(dispatcher.counters.dropped).toBe(2);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(
      'webhook queue full (3 deliveries): dropping the oldest until receivers catch up',
    );
    expect(
      dispatcher
        .deliveries()
        .filter((d) => d.status === 'dropped')
        .map((d) => d.appId),
    ).toEqual(['c', 'b']);
    await requests(1);
    clock.advance(5000); // a times out, and is retried later; d and e go
    await dispatcher.settled();
    clock.advance(1000);
    await dispatcher.settled();
    expect(sent.map((s) => s.payload.appId)).toEqual(['a', 'd', 'e', 'a']);
    expect(logger.log).toHaveBeenCalledWith(
      'webhook queue has room again; 2 deliveries were dropped while it was full',
    );
  });

  it('with claims, delivers only the events this process claimed', async () => {
    const { fetch, sent } = fakeFetch();
    const taken = new Set<string>();
    const claims = {
      claim: vi.fn((id: string) => {
        const mine = !taken.has(id);
        taken.add(id);
        return Promise.resolve(mine);
      }),
      close: vi.fn(() => Promise.resolve()),
    };
    taken.add(heartbeatEventId(stateChanged('a', 'OK', 'WARNING'))); // another replica's
    create({ webhooks: [{ url: 'http://hooks.test/' }] }, fetch, claims);
    events.next(stateChanged('a', 'OK', 'WARNING'));
    events.next(stateChanged('b', 'OK', 'WARNING'));
    await dispatcher.settled();
    expect(sent.map((s) => s.payload.appId)).toEqual(['b']);
    expect(dispatcher.counters.skipped).toBe(1);
    // Kept until shortly after the app itself would be dropped: 6 x T + 60 s.
    expect(claims.claim).toHaveBeenCalledWith(expect.any(String), 66_000);
    await dispatcher.close();
    expect(claims.close).toHaveBeenCalled();
  });

  it('delivers when the claim cannot be made: twice is better than never', async () => {
    const { fetch, sent } = fakeFetch();
    create({ webhooks: [{ url: 'http://hooks.test/' }] }, fetch, {
      claim: () => Promise.reject(new Error('Redis down')),
    });
    events.next(stateChanged('a', 'OK', 'WARNING'));
    await dispatcher.settled();
    expect(sent).toHaveLength(1);
    expect(logger.warn).toHaveBeenCalledWith(
      'cannot claim a webhook event, delivering it anyway: Error: Redis down',
    );
  });

  it('the event ID is the same wherever the event is seen, and differs between events', () => {
    const seen = stateChanged('a', 'OK', 'WARNING', T0, T0 + 3000);
    const seenLater = stateChanged('a', 'OK', 'WARNING', T0, T0 + 3400);
    expect(heartbeatEventId(seen)).toBe(heartbeatEventId(seenLater));
    expect(heartbeatEventId(seen)).not.toBe(
      heartbeatEventId(stateChanged('a', 'WARNING', 'CRITICAL', T0)),
    );
    expect(heartbeatEventId(seen)).not.toBe(
      heartbeatEventId(stateChanged('a', 'OK', 'WARNING', T0 + 1)),
    );
  });

  it('refuses an unknown event name at start-up', () => {
    expect(() =>
      create(
        { webhooks: [{ url: 'http://hooks.test/', events: ['state-change'] }] },
        fakeFetch().fetch,
      ),
    ).toThrow(
      'invalid heartbeat option webhooks: unknown event [heartbeat.state-change], expected one of heartbeat.registered, heartbeat.state-changed, heartbeat.dropped, heartbeat.deregistered',
    );
  });

  it('close() cancels what waits and logs what was left', async () => {
    const { fetch, requests } = fakeFetch([500, 'hang']);
    create({ webhooks: [{ url: 'http://hooks.test/' }] }, fetch);
    events.next(stateChanged('a', 'OK', 'WARNING'));
    events.next(stateChanged('b', 'OK', 'WARNING'));
    await requests(2);
    await dispatcher.close();
    expect(logger.warn).toHaveBeenCalledWith(
      '2 webhook deliveries still queued at shutdown were dropped',
    );
    events.next(stateChanged('c', 'OK', 'WARNING'));
    expect(dispatcher.queued).toBe(0);
  });

  it('without receivers, does not even listen', () => {
    const subscribe = vi.spyOn(events, 'subscribe');
    create({}, fakeFetch().fetch);
    expect(dispatcher.enabled).toBe(false);
    expect(subscribe).not.toHaveBeenCalled();
  });
});

describe('heartbeatWebhookPayload of a pause', () => {
  const at = Date.UTC(2026, 0, 1);

  it('tells a pause (to PAUSED, with until) from its end (PAUSED to OK, with the reason)', () => {
    expect(
      heartbeatWebhookPayload(
        new HeartbeatPausedEvent('batch', at, at + 60_000),
      ),
    ).toMatchObject({
      event: 'heartbeat.paused',
      appId: 'batch',
      from: null,
      to: 'PAUSED',
      at: new Date(at).toISOString(),
      until: new Date(at + 60_000).toISOString(),
      untilMs: at + 60_000,
    });
    expect(
      heartbeatWebhookPayload(new HeartbeatPausedEvent('batch', at, undefined)),
    ).toMatchObject({ until: null, untilMs: null });
    expect(
      heartbeatWebhookPayload(
        new HeartbeatResumedEvent('batch', at + 60_000, 'expired'),
      ),
    ).toMatchObject({
      event: 'heartbeat.resumed',
      from: 'PAUSED',
      to: 'OK',
      od: 0,
      atMs: at + 60_000,
      reason: 'expired',
    });
  });
});
