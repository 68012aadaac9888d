import { ManualScheduler } from '../../../test/support/manual-scheduler.js';
import {
  startReferenceServerDouble,
  type ReferenceServerDouble,
} from '../../../test/support/reference-server-double.js';
import { spyLogger, type SpyLogger } from '../../../test/support/spy-logger.js';
import { HeartbeatClient } from './heartbeat.client.js';
import { HeartbeatKeeper } from './heartbeat.keeper.js';

describe('HeartbeatKeeper', () => {
  let server: ReferenceServerDouble;
  let scheduler: ManualScheduler;
  let logger: SpyLogger;

  beforeEach(async () => {
    server = await startReferenceServerDouble();
    scheduler = new ManualScheduler();
    logger = spyLogger();
  });
  afterEach(() => server.close());

  function keeper(
    timeoutMs = 60_000,
    random = () => 0.5,
    clientOptions: { requestTimeoutMs?: number } = {},
  ) {
    const client = new HeartbeatClient({ url: server.url, ...clientOptions });
    return new HeartbeatKeeper(client, {
      appId: 'worker 1',
      timeoutMs,
      logger,
      scheduler,
      random,
    });
  }

  const targets = () => server.requests.map((r) => r.target);

  it('registers, pings every half of its promise and says goodbye', async () => {
    const k = keeper(60_000);

    k.start();
    expect(k.state).toBe('registering');
    await k.idle();
    expect(k.state).toBe('beating');
    expect(k.lastDelayMs).toBe(61_000);
    expect(scheduler.pending).toEqual([30_000]);

    scheduler.runNext();
    await k.idle();
    scheduler.runNext();
    await k.idle();
    await k.stop();

    expect(k.state).toBe('stopped');
    expect(scheduler.pending).toEqual([]);
    expect(targets()).toEqual([
      '/hb_init?60000&appid=worker%201',
      '/hb_ping?60000&appid=worker%201',
      '/hb_ping?60000&appid=worker%201',
      '/hb_done?0&appid=worker%201',
    ]);
    expect(logger.log.mock.calls).toEqual([
      [`registered [worker 1] with ${server.url} (server delay 61000 ms)`],
    ]);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it.each([
    [0, 27_000],
    [0.25, 28_500],
    [0.75, 31_500],
    [0.999_999, 33_000],
  ])(
    'spreads heartbeats by ±10 %% (random %d: %d ms)',
    async (random, delay) => {
      const k = keeper(60_000, () => random);

      k.start();
      await k.idle();

      expect(scheduler.pending).toEqual([delay]);
      await k.stop();
    },
  );

  it('while the server fails: logs the first failure once, backs off up to half the promise, logs the recovery once', async () => {
    server.answerWith(() => ({
      status: 503,
      body: 'ERROR: store unavailable',
    }));
    const k = keeper(10_000);

    k.start();
    await k.idle();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      delays.push(scheduler.runNext());
      await k.idle();
    }

    expect(k.state).toBe('failing');
    expect(k.failures).toBe(6);
    expect(delays).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(logger.warn.mock.calls).toEqual([
      [
        'heartbeat for [worker 1] failed: hb_init: the heartbeat server answered 503: ERROR: store unavailable; retrying with backoff, quiet until it recovers',
      ],
    ]);

    server.answerWith(undefined);
    scheduler.runNext();
    await k.idle();

    expect(k.state).toBe('beating');
    expect(scheduler.pending).toEqual([5000]);
    expect(logger.log.mock.calls).toEqual([
      [
        'heartbeat for [worker 1] delivered again after 6 failed attempts (server delay 11000 ms)',
      ],
    ]);
    expect(targets().every((t) => t.startsWith('/hb_init?'))).toBe(true);
    await k.stop();
  });

  it('once registered, retries with hb_ping and logs each outage once', async () => {
    const k = keeper(10_000);
    k.start();
    await k.idle();

    for (const outage of [1, 2]) {
      server.answerWith(() => 'reset');
      scheduler.runNext();
      await k.idle();
      scheduler.runNext();
      await k.idle();
      server.answerWith(undefined);
      scheduler.runNext();
      await k.idle();
      expect(logger.warn).toHaveBeenCalledTimes(outage);
    }

    expect(logger.warn.mock.calls[0]![0]).toMatch(
      /^heartbeat for \[worker 1\] failed: hb_ping: cannot reach the heartbeat server/,
    );
    expect(logger.log).toHaveBeenCalledTimes(3); // registered, recovered, recovered
    expect(
      targets()
        .slice(1)
        .every((t) => t.startsWith('/hb_ping?')),
    ).toBe(true);
    await k.stop();
  });

  it.each([
    [60_000, 5000, 5000], // the client's request timeout
    [4000, 5000, 2000], // the beat interval, when shorter
    [200, 5000, 1000], // but never under a second
    [200, 300, 300], // nor over the client's
  ])(
    'bounds each heartbeat (promise %i ms, client %i ms: %i ms); registration takes the client timeout',
    async (timeoutMs, requestTimeoutMs, bound) => {
      const client = new HeartbeatClient({ url: server.url, requestTimeoutMs });
      const init = vi.spyOn(client, 'init');
      const ping = vi.spyOn(client, 'ping');
      const k = new HeartbeatKeeper(client, {
        appId: 'a',
        timeoutMs,
        scheduler,
        logger,
      });

      k.start();
      await k.idle();
      scheduler.runNext();
      await k.idle();

      expect(init.mock.calls[0]![1]).toMatchObject({ requestTimeoutMs });
      expect(ping.mock.calls[0]![1]).toMatchObject({ requestTimeoutMs: bound });
      await k.stop();
    },
  );

  it('stop: aborts the heartbeat in flight and still says goodbye', async () => {
    server.answerWith((request) =>
      request.target.startsWith('/hb_init') ? 'hang' : { body: 'bye' },
    );
    const k = keeper();

    k.start();
    await server.received(1);
    await k.stop();

    expect(targets()).toEqual([
      '/hb_init?60000&appid=worker%201',
      '/hb_done?0&appid=worker%201',
    ]);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('stop: no goodbye when the server never heard of us; nothing at all before start', async () => {
    server.answerWith(() => 'reset');
    const never = keeper();
    await never.stop();
    expect(never.state).toBe('stopped');
    never.start(); // a stopped keeper stays stopped
    expect(targets()).toEqual([]);

    const refused = keeper();
    refused.start();
    await refused.idle();
    await refused.stop();

    expect(targets()).toEqual(['/hb_init?60000&appid=worker%201']);
    expect(scheduler.pending).toEqual([]);
  });

  it('stop: a failed goodbye is logged, never thrown; a second stop is the same', async () => {
    const k = keeper();
    k.start();
    k.start();
    await k.idle();
    server.answerWith(() => ({ status: 500, body: 'ERROR: boom' }));

    const first = k.stop();
    expect(k.stop()).toBe(first);
    await first;

    expect(logger.warn.mock.calls).toEqual([
      [
        'goodbye for [worker 1] not delivered: hb_done: the heartbeat server answered 500: ERROR: boom',
      ],
    ]);
    expect(targets().filter((t) => t.startsWith('/hb_init'))).toHaveLength(1);
  });

  it.each([
    [{ appId: '', timeoutMs: 1000 }, /invalid application ID ""/],
    [
      { appId: 'a', timeoutMs: 99 },
      /invalid timeoutMs 99: expected an integer from 100 to 2147483647/,
    ],
    [{ appId: 'a', timeoutMs: 2 ** 31 }, /invalid timeoutMs 2147483648/],
    [{ appId: 'a', timeoutMs: 1000.5 }, /invalid timeoutMs 1000.5/],
  ])('refuses %j', (options, message) => {
    const client = new HeartbeatClient({ url: server.url });
    expect(() => new HeartbeatKeeper(client, options)).toThrow(message);
  });
});
