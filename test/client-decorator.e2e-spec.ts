import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression, ScheduleModule } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  Heartbeat,
  HeartbeatClientModule,
  HeartbeatKeeper,
  settleHeartbeats,
} from '../src/heartbeat/client/index.js';
import {
  startHeartbeatServer,
  type ListeningHeartbeatServer,
} from './support/heartbeat-server.js';
import { ManualScheduler } from './support/manual-scheduler.js';
import { spyLogger } from './support/spy-logger.js';

@Injectable()
class NightlyReport {
  runs = 0;
  failing = false;

  @Cron(CronExpression.EVERY_MINUTE)
  @Heartbeat('nightly-report', { timeoutMs: 120_000 })
  async send(): Promise<string> {
    this.runs++;
    await Promise.resolve();
    if (this.failing) throw new Error('SMTP server down');
    return 'sent';
  }
}

/**
 * `@Heartbeat` on a real `@Cron` job of @nestjs/schedule: the job's time comes from vitest's fake
 * timers, the server's from its fake clock; the pings travel over real HTTP to the project's own
 * server.
 */
describe('@Heartbeat on a @Cron job', () => {
  let server: ListeningHeartbeatServer;
  let host: TestingModule;

  beforeEach(async () => {
    server = await startHeartbeatServer();
    // Only what cron uses: the HTTP stack keeps its real timers.
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'Date'],
      now: new Date('2026-01-01T03:00:30Z'),
    });
    host = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        HeartbeatClientModule.forRoot({
          url: server.url,
          appId: 'report-worker',
          timeoutMs: 60_000,
          scheduler: new ManualScheduler(),
          logger: spyLogger(),
        }),
      ],
      providers: [NightlyReport],
    }).compile();
    await host.init();
    await host.get(HeartbeatKeeper).idle();
  });
  afterEach(async () => {
    await settleHeartbeats();
    await host.close();
    vi.useRealTimers();
    await server.close();
    vi.restoreAllMocks();
  });

  it('a run that succeeds registers the ID on the server; one that throws does not refresh it', async () => {
    const job = host.get(NightlyReport);
    const schedulerErrors = vi
      .spyOn(Logger.prototype, 'error')
      .mockImplementation(() => undefined);
    expect(await server.registry.get('nightly-report')).toBeUndefined();

    await vi.advanceTimersByTimeAsync(30_000); // 03:01:00, the first run
    await settleHeartbeats();

    expect(job.runs).toBe(1);
    const first = await server.registry.get('nightly-report');
    expect(first).toMatchObject({
      lastSeen: server.clock.now(),
      delayMs: 121_000,
      state: 'OK',
    });

    job.failing = true;
    server.clock.advance(60_000);
    await vi.advanceTimersByTimeAsync(60_000); // 03:02:00, a failing run
    await settleHeartbeats();

    expect(job.runs).toBe(2);
    expect(await server.registry.get('nightly-report')).toMatchObject({
      lastSeen: first!.lastSeen, // not refreshed
    });
    // The exception reached the scheduler unchanged (it logs what jobs throw).
    expect(schedulerErrors).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'SMTP server down' }),
    );

    job.failing = false;
    server.clock.advance(60_000);
    await vi.advanceTimersByTimeAsync(60_000); // 03:03:00, succeeds again
    await settleHeartbeats();

    expect(job.runs).toBe(3);
    expect(await server.registry.get('nightly-report')).toMatchObject({
      lastSeen: server.clock.now(),
    });
    expect(await server.registry.list()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ appId: 'report-worker' }),
        expect.objectContaining({ appId: 'nightly-report' }),
      ]),
    );
  });

  it('the value of a successful run passes through to its caller', async () => {
    await expect(host.get(NightlyReport).send()).resolves.toBe('sent');
    await settleHeartbeats();

    expect(await server.registry.get('nightly-report')).toBeDefined();
  });
});
