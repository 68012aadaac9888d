import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';
import {
  DashboardEventStreams,
  type DashboardStreamOptions,
} from './dashboard-event.streams.js';

/** The part of a `ServerResponse` a stream uses, recording what is written. */
class FakeResponse extends EventEmitter {
  status?: number;
  headers: string[] = [];
  written = '';
  ended = false;
  writableLength = 0;

  writeHead(status: number, headers: string[]): this {
    this.status = status;
    this.headers = headers;
    return this;
  }
  write(chunk: string): boolean {
    this.written += chunk;
    return true;
  }
  end(): this {
    this.ended = true;
    this.emit('close');
    return this;
  }
  /** The messages written so far, parsed as an EventSource would (counts left out). */
  events(): Array<{ event: string; data: Record<string, unknown> }> {
    return this.messages().filter((m) => m.event !== 'counts');
  }
  messages(): Array<{ event: string; data: Record<string, unknown> }> {
    return this.written
      .split('\n\n')
      .filter((block) => block.startsWith('event: '))
      .map((block) => {
        const [event, data] = block.split('\n');
        return {
          event: event!.slice('event: '.length),
          data: JSON.parse(data!.slice('data: '.length)) as Record<
            string,
            unknown
          >,
        };
      });
  }
}

const asResponse = (fake: FakeResponse) => fake as unknown as ServerResponse;

describe('DashboardEventStreams', () => {
  let clock: FakeHeartbeatClock;
  let registry: HeartbeatRegistry;
  let streams: DashboardEventStreams;
  const options: DashboardStreamOptions = {
    maxStreams: 2,
    keepAliveMs: 15_000,
    retryMs: 2_000,
    countsIntervalMs: 1_000,
    maxBufferedBytes: 1024,
  };
  const logger = { log() {}, warn() {}, error() {} };

  /** Lets the batch (and the view reads) of the events so far go out. */
  const settle = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  };

  beforeEach(() => {
    clock = new FakeHeartbeatClock();
    registry = HeartbeatRegistry.create({ clock }, { logger });
    streams = new DashboardEventStreams(registry, logger, options);
  });
  afterEach(async () => {
    streams.close();
    await registry.close();
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('starts each stream with its headers, the retry delay and a comment', () => {
    const response = new FakeResponse();
    streams.open(asResponse(response), ['Content-Type', 'text/event-stream']);
    expect(response.status).toBe(200);
    expect(response.headers).toEqual(['Content-Type', 'text/event-stream']);
    expect(response.written).toBe('retry: 2000\n: connected\n\n');
    expect(streams.size).toBe(1);
  });

  it('writes every registry event to every stream, with the app as it is now', async () => {
    const [a, b] = [new FakeResponse(), new FakeResponse()];
    streams.open(asResponse(a), []);
    streams.open(asResponse(b), []);
    await registry.register('web', 1000); // T = 2000
    await settle();
    clock.advance(6000); // od 3: WARNING
    await registry.sweep();
    await settle();
    await registry.deregister('web');
    await settle();

    const expected = [
      {
        event: 'heartbeat.registered',
        data: {
          appId: 'web',
          delayMs: 2000,
          at: '2026-01-01T00:00:00.000Z',
          now: '2026-01-01T00:00:00.000Z',
          app: expect.objectContaining({ id: 'web', state: 'OK', od: 0 }),
        },
      },
      {
        event: 'heartbeat.state-changed',
        data: {
          appId: 'web',
          from: 'OK',
          to: 'WARNING',
          od: 3,
          at: '2026-01-01T00:00:06.000Z',
          lastSeen: '2026-01-01T00:00:00.000Z',
          now: '2026-01-01T00:00:06.000Z',
          app: {
            id: 'web',
            state: 'WARNING',
            od: 3,
            timeoutMs: 1000,
            delayMs: 2000,
            lastSeen: '2026-01-01T00:00:00.000Z',
            registeredAt: '2026-01-01T00:00:00.000Z',
            dropsAt: '2026-01-01T00:00:12.000Z',
          },
        },
      },
      {
        event: 'heartbeat.deregistered',
        data: { appId: 'web', at: '2026-01-01T00:00:06.000Z' },
      },
    ];
    expect(a.events()).toMatchObject(expected);
    expect(b.written).toBe(a.written);
  });

  it('reads the views of a batch after it: an app gone since is sent as null', async () => {
    const response = new FakeResponse();
    streams.open(asResponse(response), []);
    await registry.register('brief', 1000);
    await registry.deregister('brief');
    await settle();
    const [registered, deregistered] = response.events();
    expect(registered).toMatchObject({
      event: 'heartbeat.registered',
      data: { appId: 'brief', app: null },
    });
    expect(deregistered!.data).not.toHaveProperty('app');
  });

  it('follows changes with the counts, at most once per interval, computed once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    const response = new FakeResponse();
    streams.open(asResponse(response), []);
    const counted = vi.spyOn(registry, 'counts');
    await registry.register('a', 1000);
    await registry.register('b', 1000);
    await settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(response.messages().at(-1)).toEqual({
      event: 'counts',
      data: {
        now: '2026-01-01T00:00:00.000Z',
        counts: { OK: 2, WARNING: 0, CRITICAL: 0 },
        total: 2,
      },
    });
    await registry.register('c', 1000);
    await settle();
    await vi.advanceTimersByTimeAsync(500);
    expect(
      response.messages().filter((m) => m.event === 'counts'),
    ).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500);
    const counts = response.messages().filter((m) => m.event === 'counts');
    expect(counts).toHaveLength(2);
    expect(counts[1]!.data.total).toBe(3);
    expect(counted).toHaveBeenCalledTimes(2);
  });

  it('counts less often when counting is slow: at most 1/20 of the time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    const response = new FakeResponse();
    streams.open(asResponse(response), []);
    // Each count reads the whole registry; say it takes 100 ms.
    let clockMs = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (clockMs += 100));
    const counted = () =>
      response.messages().filter((m) => m.event === 'counts').length;
    await registry.register('a', 1000);
    await settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(counted()).toBe(1);
    await registry.register('b', 1000);
    await settle();
    await vi.advanceTimersByTimeAsync(1900);
    expect(counted()).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(counted()).toBe(2);
  });

  it('keeps idle streams open with a comment every keepAliveMs', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const response = new FakeResponse();
    streams.open(asResponse(response), []);
    vi.advanceTimersByTime(15_000);
    vi.advanceTimersByTime(15_000);
    expect(response.written).toBe(
      'retry: 2000\n: connected\n\n: keep-alive\n\n: keep-alive\n\n',
    );
  });

  it('refuses a stream beyond maxStreams without writing to it', () => {
    streams.open(asResponse(new FakeResponse()), []);
    streams.open(asResponse(new FakeResponse()), []);
    const third = new FakeResponse();
    expect(() => streams.open(asResponse(third), [])).toThrow(
      'too many event streams (2 open), try again later',
    );
    expect(third.written).toBe('');
  });

  it('forgets a stream whose client went, and stops listening with the last', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const [a, b] = [new FakeResponse(), new FakeResponse()];
    streams.open(asResponse(a), []);
    streams.open(asResponse(b), []);
    a.emit('close');
    expect(streams.size).toBe(1);
    b.emit('close');
    expect(streams.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    const before = b.written;
    await registry.register('late', 1000);
    await settle();
    expect(b.written).toBe(before);
  });

  it('ends a stream whose client is too slow to read', async () => {
    const slow = new FakeResponse();
    streams.open(asResponse(slow), []);
    slow.writableLength = 2048;
    await registry.register('x', 1000);
    await settle();
    expect(slow.ended).toBe(true);
    expect(streams.size).toBe(0);
  });

  it('ends every stream and refuses new ones when closed, or when the registry closes', async () => {
    const response = new FakeResponse();
    streams.open(asResponse(response), []);
    await registry.close();
    expect(response.ended).toBe(true);
    expect(() => streams.open(asResponse(new FakeResponse()), [])).toThrow(
      'too many event streams',
    );
  });
});
