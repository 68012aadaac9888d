import { SetMetadata } from '@nestjs/common';
import {
  startReferenceServerDouble,
  type ReferenceServerDouble,
} from '../../../test/support/reference-server-double.js';
import { spyLogger, type SpyLogger } from '../../../test/support/spy-logger.js';
import {
  bindHeartbeatClient,
  getBoundHeartbeatClient,
  settleHeartbeats,
} from './heartbeat-client.binding.js';
import { HeartbeatClient } from './heartbeat.client.js';
import { Heartbeat } from './heartbeat.decorator.js';

class Job {
  runs = 0;
  fail = false;

  @Heartbeat('sync-job', { timeoutMs: 1000 })
  runSync(value: number): number {
    this.runs++;
    if (this.fail) throw new Error('sync failure');
    return value * 2;
  }

  @Heartbeat('async-job', { timeoutMs: 2000 })
  async runAsync(value: string): Promise<string> {
    this.runs++;
    await Promise.resolve();
    if (this.fail) throw new Error('async failure');
    return value.toUpperCase();
  }

  @Heartbeat('billing-job', { timeoutMs: 3000, client: 'billing' })
  runBilling(): string {
    return 'billed';
  }
}

describe('@Heartbeat', () => {
  let server: ReferenceServerDouble;
  let logger: SpyLogger;
  let unbind: () => void;

  beforeEach(async () => {
    server = await startReferenceServerDouble();
    logger = spyLogger();
    unbind = bindHeartbeatClient(new HeartbeatClient({ url: server.url }), {
      logger,
    });
  });
  afterEach(async () => {
    await settleHeartbeats();
    unbind();
    await server.close();
    vi.restoreAllMocks();
  });

  const targets = () => server.requests.map((r) => r.target);

  it('a method that returns pings its ID; the value passes through', async () => {
    const job = new Job();

    expect(job.runSync(21)).toBe(42);
    await settleHeartbeats();

    expect(targets()).toEqual(['/hb_ping?1000&appid=sync-job']);
    expect(job.runs).toBe(1); // `this` is the instance
  });

  it('a method that throws sends nothing; the same exception reaches the caller', () => {
    const job = new Job();
    job.fail = true;

    expect(() => job.runSync(1)).toThrow('sync failure');
    expect(targets()).toEqual([]);
  });

  it('an async method pings once its promise resolves; the value passes through', async () => {
    const job = new Job();

    const result = job.runAsync('done');
    expect(server.requests).toEqual([]);
    expect(await result).toBe('DONE');
    await settleHeartbeats();

    expect(targets()).toEqual(['/hb_ping?2000&appid=async-job']);
  });

  it('an async method that rejects sends nothing; the same reason reaches the caller', async () => {
    const job = new Job();
    job.fail = true;

    await expect(job.runAsync('x')).rejects.toThrow('async failure');
    await settleHeartbeats();

    expect(targets()).toEqual([]);
  });

  it('a failed ping never reaches the caller: logged once, then its recovery once', async () => {
    const job = new Job();
    server.answerWith(() => ({
      status: 503,
      body: 'ERROR: store unavailable',
    }));

    expect(job.runSync(1)).toBe(2);
    expect(job.runSync(2)).toBe(4);
    await settleHeartbeats();
    server.answerWith(undefined);
    expect(job.runSync(3)).toBe(6);
    await settleHeartbeats();

    expect(logger.warn.mock.calls).toEqual([
      [
        '@Heartbeat [sync-job]: ping failed: hb_ping: the heartbeat server answered 503: ERROR: store unavailable; quiet until a ping succeeds',
      ],
    ]);
    expect(logger.log.mock.calls).toEqual([
      ['@Heartbeat [sync-job]: ping delivered again'],
    ]);
  });

  it('pings through the client bound under its name', async () => {
    const billing = await startReferenceServerDouble();
    const unbindBilling = bindHeartbeatClient(
      new HeartbeatClient({ url: billing.url }),
      { name: 'billing' },
    );
    try {
      expect(new Job().runBilling()).toBe('billed');
      await settleHeartbeats();

      expect(billing.requests.map((r) => r.target)).toEqual([
        '/hb_ping?3000&appid=billing-job',
      ]);
      expect(targets()).toEqual([]);
    } finally {
      unbindBilling();
      await billing.close();
    }
    expect(getBoundHeartbeatClient('billing')).toBeUndefined();
  });

  it('without a bound client the method still runs; the missing client is reported once per ID', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    unbind();

    const job = new Job();
    expect(job.runSync(1)).toBe(2);
    expect(job.runSync(1)).toBe(2);
    await settleHeartbeats();

    expect(warn.mock.calls).toEqual([
      [
        '[heartbeat] @Heartbeat [sync-job]: no heartbeat client bound as "default", not pinged: import HeartbeatClientModule or call bindHeartbeatClient()',
      ],
    ]);
    expect(targets()).toEqual([]);
  });

  it('binding a name again replaces the client (logged); unbinding the older one keeps the newer', () => {
    const newer = new HeartbeatClient({ url: server.url });

    const unbindNewer = bindHeartbeatClient(newer, { logger });
    unbind();

    expect(getBoundHeartbeatClient()).toBe(newer);
    expect(logger.warn.mock.calls).toEqual([
      [
        'a heartbeat client was already bound as "default"; the newer one replaces it for @Heartbeat',
      ],
    ]);
    unbindNewer();
    expect(getBoundHeartbeatClient()).toBeUndefined();
  });

  it("keeps other decorators' metadata, written above or below it", () => {
    class Scheduled {
      @SetMetadata('schedule', 'above')
      @Heartbeat('a', { timeoutMs: 0 })
      above(): void {}

      @Heartbeat('b', { timeoutMs: 0 })
      @SetMetadata('schedule', 'below')
      below(): void {}
    }

    const method = (name: 'above' | 'below'): object =>
      Object.getOwnPropertyDescriptor(Scheduled.prototype, name)!
        .value as object;
    expect(Reflect.getMetadata('schedule', method('above'))).toBe('above');
    expect(Reflect.getMetadata('schedule', method('below'))).toBe('below');
    expect((method('below') as () => void).name).toBe('below');
  });

  it('works as a standard (TypeScript 5) method decorator too', async () => {
    const original = function (this: { n: number }) {
      return this.n;
    };
    const decorate = Heartbeat('standard', { timeoutMs: 5 });
    const wrapped = decorate(original, {
      kind: 'method',
      name: 'run',
    } as ClassMethodDecoratorContext<{ n: number }, typeof original>);

    expect(wrapped.call({ n: 7 })).toBe(7);
    await settleHeartbeats();

    expect(targets()).toEqual(['/hb_ping?5&appid=standard']);
  });

  it.each([
    ['', { timeoutMs: 1 }, /invalid application ID ""/],
    ['x', { timeoutMs: -1 }, /invalid timeoutMs -1/],
    ['x', {} as { timeoutMs: number }, /invalid timeoutMs undefined/],
  ])('refuses %j %j when the class is defined', (id, options, message) => {
    expect(() => Heartbeat(id, options)).toThrow(message);
  });
});
